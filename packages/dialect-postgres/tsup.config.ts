import { defineConfig } from 'tsup';
import { buildId } from '../../scripts/build-id.mjs';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Identifies this build: compiled migration plans are cached under it (see PlanCache).
  define: { __COVET_BUILD_ID__: JSON.stringify(buildId()) },
  // pg is required when the first connection opens (src/pg-driver.ts): the ES module build
  // needs a require for that, as @covet/core's does.
  banner: ({ format }) =>
    format === 'esm' ? { js: "import { createRequire as __covetCreateRequire } from 'node:module';\nconst require = __covetCreateRequire(import.meta.url);" } : {},
});
