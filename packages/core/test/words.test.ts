import { describe, expect, it } from 'vitest';
import { describeCommand } from '../src/cli/words.js';

describe('describeCommand', () => {
  it('names the command as typed when it fits in the line', () => {
    expect(describeCommand(['/nonexistent/cmd'])).toBe('/nonexistent/cmd');
    expect(describeCommand(['/usr/local/bin/make', '-C', 'sub'])).toBe('/usr/local/bin/make -C sub');
    expect(describeCommand(['cargo', 'build'])).toBe('cargo build');
  });

  it('names the program, not a long path it was found at, so the arguments stay in the line', () => {
    const deep = `Z:\\${'very-long-directory\\'.repeat(4)}node.exe`;
    expect(describeCommand([deep, 'fixtures/client.mjs', 'leak'])).toBe('node.exe fixtures/client.mjs leak');
  });

  it('cuts a long command at 60 characters', () => {
    const text = describeCommand(['tsc', ...Array.from({ length: 30 }, (_, i) => `arg${i}`)]);
    expect(text).toHaveLength(60);
    expect(text.endsWith('...')).toBe(true);
  });
});
