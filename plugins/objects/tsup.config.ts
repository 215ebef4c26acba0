import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { name, version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { name: string; version: string };

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Names this build in the operations' cacheKey: a new version compiles cached plans again.
  define: { __PACKAGE_ID__: JSON.stringify(`${name}@${version}`) },
});
