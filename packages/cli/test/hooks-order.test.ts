// The documented order of every hook, through the real `covet` binary on SQLite (the shared
// suite of @covet/core/testing, also run by @covet/dialect-postgres and @covet/dialect-mysql):
// makemigrations, migrate, rollback and a failing migrate, with afterFailure once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeCliHooks, type CliDatabase } from '@covet/core/testing';
import { createSqliteDialect } from '@covet/dialect-sqlite';

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

describeCliHooks({
  name: 'sqlite',
  dialect: createSqliteDialect(),
  bin: join(PACKAGE_ROOT, 'bin', 'covet.cjs'),
  root: join(PACKAGE_ROOT, 'test', '.tmp'),
  async createDatabase(): Promise<CliDatabase> {
    const dir = mkdtempSync(join(tmpdir(), 'covet-hooks-'));
    return { config: { engine: 'sqlite', name: join(dir, 'app.db') }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  },
});
