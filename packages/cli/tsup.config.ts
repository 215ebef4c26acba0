import { defineConfig, type Options } from 'tsup';

type Plugin = NonNullable<Options['esbuildPlugins']>[number];

/**
 * src/imports.ts holds the CLI's import() calls and is built as a file of its own that the
 * bundles load at run time (./imports.cjs from the CommonJS build, ./imports.js from the ES
 * module one): the covet binary compiles CommonJS modules with V8's code cache, which a
 * module calling import() cannot use on Node 20 (see bin/compile-cache.cjs).
 */
const importsApart: Plugin = {
  name: 'covet-imports-apart',
  setup(build) {
    const file = build.initialOptions.format === 'cjs' ? './imports.cjs' : './imports.js';
    build.onResolve({ filter: /^\.\.?\/(?:.*\/)?imports\.js$/ }, () => ({ path: file, external: true }));
  },
};

export default defineConfig({
  entry: ['src/index.ts', 'src/bin.ts', 'src/imports.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  shims: true,
  target: 'node20',
  // Bundled in (see THIRD-PARTY-LICENSES.md): cac is an ES module, which the CommonJS binary
  // would load through require(esm). (picocolors is loaded only on a terminal: see output.ts.)
  noExternal: ['cac'],
  esbuildPlugins: [importsApart],
});
