// The history commands through the real `covet` binary on PostgreSQL (the shared suite of
// @covet/core/testing): resolve --forget, makemigrations --merge, resolve --accept-edit,
// checksums of another scheme, migrate --fake-initial and squashmigrations.
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeCliHistory } from '@covet/core/testing';
import { createPostgresDialect } from '../src/index.js';
import { createTestDatabase, describeWithPostgres } from './helpers.js';

describeWithPostgres('history on PostgreSQL', () => {
  describeCliHistory({
    name: 'postgres',
    dialect: createPostgresDialect(),
    bin: join(dirname(createRequire(import.meta.url).resolve('@covet/cli/package.json')), 'bin', 'covet.cjs'),
    root: join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'test', '.tmp'),
    async createDatabase() {
      const database = await createTestDatabase();
      return { config: { engine: 'postgres', url: database.url }, drop: () => database.drop() };
    },
    rawDdl: { serialId: 'id serial PRIMARY KEY' },
  });
});
