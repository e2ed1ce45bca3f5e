import { describe, expect, it } from 'vitest';
import { chooseStyle, programOf } from '../src/cli/style.js';

describe('programOf', () => {
  it('sees through env, variable assignments, npx and pnpm exec', () => {
    expect(programOf(['ninja', '-C', 'build'])).toBe('ninja');
    expect(programOf(['env', '-i', 'A=1', '/usr/bin/ninja'])).toBe('/usr/bin/ninja');
    expect(programOf(['npx', 'ninja'])).toBe('ninja');
    expect(programOf(['pnpm', 'exec', 'ninja'])).toBe('ninja');
    expect(programOf(['pnpm', 'run', 'build'])).toBe('pnpm');
    expect(programOf([])).toBeUndefined();
  });
});

describe('chooseStyle', () => {
  it('ninja gets the fifo whatever is above; make the pipe; others the style above (pipe without one)', () => {
    for (const outer of ['pipe', 'fifo', undefined] as const) {
      expect(chooseStyle('auto', ['ninja'], outer)).toBe('fifo');
      expect(chooseStyle('auto', ['/opt/make-4.4.1/bin/make', '-s'], outer)).toBe('pipe');
      expect(chooseStyle('auto', ['gmake'], outer)).toBe('pipe');
    }
    expect(chooseStyle('auto', ['sh', '-c', 'ninja'], 'fifo')).toBe('fifo');
    expect(chooseStyle('auto', ['sh', '-c', 'ninja'], 'pipe')).toBe('pipe');
    expect(chooseStyle('auto', ['npm', 'run', 'build'], undefined)).toBe('pipe');
  });

  it('an explicit --style wins', () => {
    expect(chooseStyle('pipe', ['ninja'], 'fifo')).toBe('pipe');
    expect(chooseStyle('fifo', ['make'], 'pipe')).toBe('fifo');
  });
});
