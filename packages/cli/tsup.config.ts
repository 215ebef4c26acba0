import { defineConfig, type Options } from 'tsup';

type Plugin = NonNullable<Options['esbuildPlugins']>[number];

/**
 * src/imports.ts holds the CLI's import() calls and is built as a file of its own (the second
 * config below) that the bundles load at run time (./imports.cjs from the CommonJS build,
 * ./imports.js from the ES module one): the covet binary compiles CommonJS modules with V8's
 * code cache, which a module calling import() cannot use on Node 20 (see
 * bin/compile-cache.cjs), and the CommonJS build turns every other import() into require().
 */
const importsApart: Plugin = {
  name: 'covet-imports-apart',
  setup(build) {
    // (With treeshake, esbuild writes ES modules that rollup turns into CommonJS: the file
    // extension tells the two builds apart.)
    const file = build.initialOptions.outExtension?.['.js'] === '.cjs' ? './imports.cjs' : './imports.js';
    build.onResolve({ filter: /^\.\.?\/(?:.*\/)?imports\.js$/ }, () => ({ path: file, external: true }));
  },
};

const common = {
  format: ['esm', 'cjs'],
  sourcemap: true,
  shims: true,
  target: 'node20',
} satisfies Options;

export default defineConfig([
  {
    ...common,
    entry: ['src/index.ts', 'src/bin.ts'],
    dts: { entry: ['src/index.ts', 'src/bin.ts'] },
    // The imports file is written by the other config, at the same time.
    clean: ['**/*', '!imports.*'],
    // One chunk per command (src/cli.ts imports each when it runs): `covet migrate` loads the
    // parser, the project and the migrate command, not makemigrations (the writer, the diff
    // and the prompts) or the other commands. CommonJS chunks are written by rollup with
    // treeshake (tsup's own CommonJS splitting rewrites every `?.` and `??` into helper
    // calls), as in @covet/core.
    splitting: true,
    treeshake: true,
    // Bundled in (see THIRD-PARTY-LICENSES.md): cac is an ES module, which the CommonJS binary
    // would load through require(esm). (picocolors is loaded only on a terminal: see output.ts.)
    noExternal: ['cac'],
    esbuildPlugins: [importsApart],
    esbuildOptions(options, context) {
      // The commands' import() calls become require() calls in the CommonJS build: a command
      // loads as CommonJS, with the code cache, not through the ES module loader.
      if (context.format === 'cjs') options.supported = { ...options.supported, 'dynamic-import': false };
    },
  },
  {
    ...common,
    entry: ['src/imports.ts'],
    dts: false,
    clean: false,
  },
]);
