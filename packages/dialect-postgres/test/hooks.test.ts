// The documented order of every hook, through the real `covet` binary on PostgreSQL (the shared
// suite of @covet/core/testing): makemigrations, migrate, rollback and a failing migrate, with
// afterFailure once.
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeCliHooks } from '@covet/core/testing';
import { createPostgresDialect } from '../src/index.js';
import { createTestDatabase, describeWithPostgres } from './helpers.js';

describeWithPostgres('hook order on PostgreSQL', () => {
  describeCliHooks({
    name: 'postgres',
    dialect: createPostgresDialect(),
    bin: join(dirname(createRequire(import.meta.url).resolve('@covet/cli/package.json')), 'bin', 'covet.cjs'),
    root: join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'test', '.tmp'),
    async createDatabase() {
      const database = await createTestDatabase();
      return { config: { engine: 'postgres', url: database.url }, drop: () => database.drop() };
    },
  });
});
