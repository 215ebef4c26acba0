import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/bin.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  shims: true,
  target: 'node20',
  // Bundled in (see THIRD-PARTY-LICENSES.md): cac is an ES module, which the CommonJS binary
  // would load through require(esm); both cost 2.6 ms of every start as separate packages.
  noExternal: ['cac', 'picocolors'],
});
