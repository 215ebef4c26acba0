import { defineConfig } from 'tsup';
import { buildId } from '../../scripts/build-id.mjs';

export default defineConfig({
  // dynamic-import: the one module that calls import() (see src/dynamic-import.ts).
  entry: ['src/index.ts', 'src/dialect.ts', 'src/testing.ts', 'src/dynamic-import.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Also for CommonJS: index, dialect and testing share their code (one CovetError, one schema
  // state), as a CommonJS project or the covet binary loads more than one of them. With
  // treeshake, rollup writes the CommonJS chunks (tsup's own CommonJS splitting rewrites every
  // `?.` and `??` into helper calls).
  splitting: true,
  treeshake: true,
  // tapable (15 small CommonJS files) is bundled in (see THIRD-PARTY-LICENSES.md): resolving
  // and loading it file by file was 2.5 ms of every command's start. Its CommonJS code
  // requires node's util: in the ES module build that needs a require.
  noExternal: ['tapable'],
  banner: ({ format }) =>
    format === 'esm' ? { js: "import { createRequire as __covetCreateRequire } from 'node:module';\nconst require = __covetCreateRequire(import.meta.url);" } : {},
  // Identifies this build: compiled migration plans are cached under it (see PlanCache).
  define: { __COVET_BUILD_ID__: JSON.stringify(buildId()) },
});
