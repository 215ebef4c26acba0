// The blog on PostgreSQL: `covet --config covet.postgres.config.ts migrate`. Same models and
// migrations as the SQLite configuration; only the database differs. Point it at a server with
// COVET_BLOG_PG_URL (the default is a local `covet_blog` database, which must exist).
import { defineConfig } from '@covet/core';

export default defineConfig({
  database: {
    engine: 'postgres',
    url: process.env.COVET_BLOG_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/covet_blog',
    schema: 'public',
    // DDL gives up after 5 s behind a busy table instead of blocking its readers (SQLSTATE 55P03).
    options: { lockTimeout: '5s' },
  },
  models: './models',
  migrations: './migrations',
  app: 'blog',
  lockTimeoutMs: 30_000,
});
