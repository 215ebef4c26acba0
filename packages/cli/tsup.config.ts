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
  // would load through require(esm). (picocolors is loaded only on a terminal: see output.ts.)
  noExternal: ['cac'],
});
