import { defineConfig } from '@covet/core';

// The organization's preset, by package name: Acme's policy rules and naming conventions.
export default defineConfig({
  database: { engine: 'sqlite', name: './app.db' },
  models: './models',
  migrations: './migrations',
  app: 'shop',
  plugins: ['@acme/covet-preset'],
});
