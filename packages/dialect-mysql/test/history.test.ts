// The history commands through the real `covet` binary on MySQL/MariaDB (the shared suite of
// @covet/core/testing): resolve --forget, makemigrations --merge, resolve --accept-edit,
// checksums of another scheme, migrate --fake-initial and squashmigrations.
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeCliHistory } from '@covet/core/testing';
import { createMysqlDialect } from '../src/index.js';
import { createTestDatabase, reportSkipped, UNAVAILABLE } from './helpers.js';

const TITLE = 'history commands through the covet binary: mysql';
if (UNAVAILABLE) {
  reportSkipped(TITLE);
} else {
  describeCliHistory({
    name: 'mysql',
    dialect: createMysqlDialect(),
    bin: join(dirname(createRequire(import.meta.url).resolve('@covet/cli/package.json')), 'bin', 'covet.cjs'),
    root: join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'test', '.tmp'),
    createDatabase: createTestDatabase,
    rawDdl: { serialId: 'id int AUTO_INCREMENT PRIMARY KEY' },
  });
}
