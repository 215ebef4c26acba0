// On MariaDB with the real `covet` binary: a serial primary key becomes an identity column
// (both AUTO_INCREMENT) and back, rows and numbering kept, no change left, rolled back; and a
// decimal without precision, which MySQL would make decimal(10,0) (every fraction rounded
// away), refused in one line naming the column before anything runs, and seen as a change
// against a database that holds decimal(10,0).
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliProject, covetOk, createTestDatabase, expectUnchanged, queryDatabase, runCovet as covet, UNAVAILABLE, type TestDatabase } from './helpers.js';

const SERIAL = `import { defineTable, t } from '@covet/core';
export const notes = defineTable('notes', {
  id: t.serial().primaryKey(),
  body: t.text(),
});
`;

describe.runIf(!UNAVAILABLE)('keys and decimals on MariaDB', () => {
  let database: TestDatabase;
  let folder = '';
  beforeEach(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    await database.drop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });
  const ok = (...argv: string[]) => covetOk(folder, ...argv);
  const unchanged = () => expectUnchanged(folder);
  const query = (sql: string, params: unknown[] = []) => queryDatabase(database.url, sql, params);
  const insert = async (body: string) => Number((await query('INSERT INTO notes (body) VALUES (?)', [body])).insertId);
  const models = (source: string) => writeFileSync(join(folder, 'models', 'notes.ts'), source);

  it('a serial primary key becomes an identity and a serial again, numbering on; rolled back', { timeout: 180_000 }, async () => {
    folder = cliProject('serial-identity', database);
    models(SERIAL);
    ok('makemigrations', '--name', 'initial');
    ok('migrate');
    expect([await insert('a'), await insert('b')]).toEqual([1, 2]);
    models(SERIAL.replace('t.serial().primaryKey()', 't.integer().identity().primaryKey()'));
    ok('makemigrations', '--name', 'identity');
    ok('migrate');
    expect(await insert('c')).toBe(3);
    unchanged();
    models(SERIAL);
    ok('makemigrations', '--name', 'serial');
    ok('migrate');
    expect(await insert('d')).toBe(4);
    unchanged();
    ok('rollback');
    ok('rollback');
    expect(await insert('e')).toBe(5);
    expect(ok('makemigrations', '--from', 'database', '--dry-run').stdout).toContain('No changes detected');
    expect((await query('SELECT body FROM notes ORDER BY id')).map((row) => row.body).join('')).toBe('abcde');
    ok('migrate', 'zero');
  });

  it('t.decimal() without precision is refused in one line; against decimal(10,0) it is a change', { timeout: 120_000 }, async () => {
    folder = cliProject('bare-decimal', database);
    models("import { defineTable, t } from '@covet/core';\nexport const notes = defineTable('notes', { id: t.integer().primaryKey(), amount: t.decimal() });\n");
    ok('makemigrations', '--name', 'initial');
    const run = covet(folder, 'migrate');
    expect(run.status).not.toBe(0);
    expect(run.stderr.split('\n')[0]).toBe('error: MySQL has no decimal without precision: notes.amount is t.decimal() (MySQL would make it decimal(10,0), rounding every fraction away)');
    expect(await query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'notes'")).toEqual([]);

    await query('CREATE TABLE notes (id int PRIMARY KEY, amount decimal)');
    const fromDatabase = ok('makemigrations', '--from', 'database', '--dry-run');
    expect(fromDatabase.stdout).toContain('Alter column notes.amount');
    models("import { defineTable, t } from '@covet/core';\nexport const notes = defineTable('notes', { id: t.integer().primaryKey(), amount: t.decimal(10, 0) });\n");
    expect(ok('makemigrations', '--from', 'database', '--dry-run').stdout).toContain('No changes detected');
  });
});
