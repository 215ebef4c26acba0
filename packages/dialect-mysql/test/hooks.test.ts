// The documented order of every hook, through the real `covet` binary on MySQL/MariaDB (the
// shared suite of @covet/core/testing): makemigrations, migrate, rollback and a failing migrate
// (compensation with the operation hooks of the reverse it runs), with afterFailure once.
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeCliHooks } from '@covet/core/testing';
import { createMysqlDialect } from '../src/index.js';
import { createTestDatabase, reportSkipped, UNAVAILABLE } from './helpers.js';

const TITLE = 'hook order through the covet binary: mysql';
if (UNAVAILABLE) {
  reportSkipped(TITLE);
} else {
  describeCliHooks({
    name: 'mysql',
    dialect: createMysqlDialect(),
    bin: join(dirname(createRequire(import.meta.url).resolve('@covet/cli/package.json')), 'bin', 'covet.cjs'),
    root: join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'test', '.tmp'),
    createDatabase: createTestDatabase,
  });
}
