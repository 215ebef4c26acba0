// MySQL/MariaDB keep a table in files named after it, in the server's `filename` character set
// (a non-ASCII letter takes 3 characters, other characters 5): a 64-character name can be too
// long for the file system. The dialect checks table names against that limit before any SQL;
// columns and indexes keep the 64-character limit.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMysqlDialect, type MysqlConnection } from '../src/index.js';
import { fileNameLength, MAX_TABLE_FILE_NAME } from '../src/mysql-file-names.js';
import { createTestDatabase, reportSkipped, UNAVAILABLE, type TestDatabase } from './helpers.js';
import { covet } from './interruptions.js';

describe('fileNameLength', () => {
  it('counts 1 for ASCII letters, digits and _, 3 for the letters the server writes as @ and 2, 5 for the others', () => {
    expect(fileNameLength('Ab_9')).toBe(4);
    expect(fileNameLength('é')).toBe(3);
    expect(fileNameLength('Ⅻ')).toBe(3);
    expect(fileNameLength('Ｚ')).toBe(3);
    expect(fileNameLength('中')).toBe(5);
    expect(fileNameLength(' ')).toBe(5);
    expect(fileNameLength('$-')).toBe(10);
  });
});

describe.runIf(!UNAVAILABLE)('table names and the file-name limit on MySQL/MariaDB', () => {
  let database: TestDatabase;
  let admin: MysqlConnection;
  let folder: string;
  beforeEach(async () => {
    database = await createTestDatabase();
    admin = (await createMysqlDialect().connect(database.config)) as MysqlConnection;
    folder = join(import.meta.dirname, '.tmp', `file-names-${database.name}`);
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(join(folder, 'migrations'), { recursive: true });
    writeFileSync(join(folder, 'covet.config.json'), JSON.stringify({ database: { engine: 'mysql', url: database.url }, migrations: './migrations', app: 'shop' }));
  });
  afterEach(async () => {
    await admin.close();
    await database.drop();
    rmSync(folder, { recursive: true, force: true });
  });

  it("agrees with the server's own encoding for every character of the Basic Multilingual Plane", async () => {
    // Every code point 1..0xFFFF but the surrogates, from four hex digits (MySQL has no seq_ tables).
    const digits = Array.from({ length: 16 }, (_, digit) => `SELECT ${digit} AS d`).join(' UNION ALL ');
    const rows = await admin.query<{ cp: number; length: number }>(
      `SELECT cp, LENGTH(CONVERT(CHAR(cp USING utf32) USING filename)) AS length FROM (SELECT a.d * 4096 + b.d * 256 + c.d * 16 + e.d AS cp FROM (${digits}) a, (${digits}) b, (${digits}) c, (${digits}) e) codes WHERE cp > 0 AND (cp < 55296 OR cp > 57343)`,
    );
    expect(rows.length).toBe(65535 - 2048);
    const differing = rows.filter((row) => fileNameLength(String.fromCodePoint(Number(row.cp))) !== Number(row.length));
    expect(differing.slice(0, 5)).toEqual([]);
  });

  /** A migration creating table `name` with a column and an index of 64 CJK characters (5 each: 320 as a file name). */
  function createTableMigration(name: string): void {
    const column = '中'.repeat(64);
    writeFileSync(
      join(folder, 'migrations', '20260101000001_long.ts'),
      `import { defineMigration, op, t } from '@covet/core';\n\nexport default defineMigration({\n  operations: [\n    op.createTable(${JSON.stringify(name)}, { id: t.serial().primaryKey(), ${JSON.stringify(column)}: t.integer() }),\n    op.createIndex(${JSON.stringify(name)}, { name: ${JSON.stringify(`${column.slice(0, 60)}_idx`)}, columns: [${JSON.stringify(column)}] }),\n  ],\n});\n`,
    );
  }
  const tables = async () =>
    (await admin.query<{ name: string }>('SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME', [database.name])).map((row) => row.name);

  it('a name just within the limit (251 as a file name) is created and introspected, with a column of 64 CJK characters', async () => {
    const name = `${'a'.repeat(16)}${'中'.repeat(47)}`;
    expect(fileNameLength(name)).toBe(MAX_TABLE_FILE_NAME);
    createTableMigration(name);
    const result = covet(folder, 'migrate');
    expect(result.status, result.stderr).toBe(0);
    expect(await tables()).toEqual(['covet_migrations', 'covet_migrations_partial', 'covet_table_versions', name].sort());
    const state = await admin.introspector.introspect();
    expect(Object.keys(state.tables)).toEqual([name]);
    expect(state.tables[name]!.columns.map((column) => column.name)).toEqual(['id', '中'.repeat(64)]);
    expect(state.tables[name]!.indexes.map((index) => index.name)).toEqual([`${'中'.repeat(60)}_idx`]);
  });

  it('a 64-character name one over is refused before any SQL, naming the table, its length as a file name and the rule', async () => {
    const name = `${'a'.repeat(17)}${'中'.repeat(47)}`;
    expect([...name].length).toBe(64);
    expect(fileNameLength(name)).toBe(MAX_TABLE_FILE_NAME + 1);
    createTableMigration(name);
    const result = covet(folder, 'migrate');
    expect(result.status, result.stderr).toBe(1);
    const line = result.stderr.split('\n').find((text) => text.startsWith('error: '));
    expect(line).toContain(
      `Invalid identifier ${JSON.stringify(name)} for name of createTable: it is 252 characters as a file name, more than the mysql limit of 251 for a table name (the server names the table's files after it, writing each character other than A-Z, a-z, 0-9 and _ as 3 or 5: é as @0p, 中 as @4e2d)`,
    );
    expect(line).toContain('20260101000001_long');
    // Nothing ran: not even Covet's own tables were created.
    expect(await tables()).toEqual([]);
  });
});

if (UNAVAILABLE) reportSkipped('table names and the file-name limit on MySQL/MariaDB');
