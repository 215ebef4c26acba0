import { defineConfig } from '@covet/core';

export default defineConfig({
  database: { engine: 'sqlite', name: './blog.db' },
  models: './models',
  migrations: './migrations',
  app: 'blog',
});
