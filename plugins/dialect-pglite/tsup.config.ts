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
});
