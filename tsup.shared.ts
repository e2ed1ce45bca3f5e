import type { Options } from 'tsup';

/** Every package's library build: ESM and CJS (webpack configs are often CommonJS), with types. */
export const library: Options = {
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  target: 'node20',
  sourcemap: true,
};
