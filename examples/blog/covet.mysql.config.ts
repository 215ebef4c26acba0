import { defineConfig } from '@covet/core';

// The blog on MySQL 8 or MariaDB 10.6+: `covet migrate --config covet.mysql.config.ts`.
// Needs @covet/dialect-mysql installed; DATABASE_URL (e.g. mysql://root@127.0.0.1:3306/blog)
// overrides nothing here, so set the URL below or pass --database-url.
export default defineConfig({
  database: { engine: 'mysql', url: process.env.COVET_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/blog' },
  models: './models',
  migrations: './migrations-mysql',
  app: 'blog',
});
