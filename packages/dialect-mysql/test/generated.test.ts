// Generated (computed) columns on MariaDB with the real `covet` binary: stored and virtual,
// built, read back equal (a second makemigrations and --from database find nothing, inspectdb
// writes them back), changed where MODIFY cannot (virtual to stored: the column is added again
// in its place, computed; virtual to plain: its values are copied first), rolled back and
// dropped. What MariaDB cannot hold is refused in one line before anything runs: a NOT NULL
// generated column, an array column.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliProject, covetOk, createTestDatabase, expectUnchanged, queryDatabase, runCovet as covet, UNAVAILABLE, type TestDatabase } from './helpers.js';

const MODELS = `import { defineTable, sql, t } from '@covet/core';
export const items = defineTable('items', {
  id: t.serial().primaryKey(),
  price: t.integer().notNull(),
  quantity: t.integer().notNull(),
  total: t.integer().generated(sql\`price * quantity\`, { stored: true }),
  label: t.varchar(20).generated(sql\`concat('#', price)\`),
  half: t.integer().generated(sql\`price div 2\`),
}, { indexes: [{ name: 'lines_total_idx', columns: ['total'] }] });
`;

describe.runIf(!UNAVAILABLE)('generated columns on MariaDB', () => {
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
  const query = (sql: string) => queryDatabase(database.url, sql);
  const columns = async () =>
    Object.fromEntries(
      (await query(`SELECT COLUMN_NAME AS name, EXTRA AS extra, GENERATION_EXPRESSION AS expression FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'items' ORDER BY ORDINAL_POSITION`)).map((row) => [row.name, [row.extra, row.expression].filter((value) => value !== null && value !== '')]),
    );
  const models = (source: string) => writeFileSync(join(folder, 'models', 'items.ts'), source);

  it('stored and virtual: built, equal to the models and to inspectdb, changed, rolled back, dropped', { timeout: 240_000 }, async () => {
    folder = cliProject('generated', database);
    models(MODELS);
    ok('makemigrations', '--name', 'initial');
    ok('migrate');
    expect(await columns()).toEqual({
      id: ['auto_increment'],
      price: [],
      quantity: [],
      total: ['STORED GENERATED', '`price` * `quantity`'],
      label: ['VIRTUAL GENERATED', "concat('#',`price`)"],
      half: ['VIRTUAL GENERATED', '`price` DIV 2'],
    });
    await query('INSERT INTO items (price, quantity) VALUES (3, 4), (5, 6)');
    expect(await query('SELECT id, total, label, half FROM items ORDER BY id')).toEqual([
      { id: 1, total: 12, label: '#3', half: 1 },
      { id: 2, total: 30, label: '#5', half: 2 },
    ]);
    unchanged();

    ok('inspectdb', '--out', 'inspected');
    const inspected = readFileSync(join(folder, 'inspected', 'items.ts'), 'utf8');
    expect(inspected).toContain('total: t.integer().generated(sql`\\`price\\` * \\`quantity\\``, { stored: true }),');
    expect(inspected).toContain("label: t.varchar(20).generated(sql`concat('#',\\`price\\`)`),");
    models(inspected);
    expect(ok('makemigrations', '--from', 'database', '--dry-run').stdout).toContain('No changes detected');

    // Virtual to stored and a new expression (added again in place), virtual to plain (values kept).
    models(
      MODELS.replace('sql`price * quantity`, { stored: true }', 'sql`price * quantity * 2`, { stored: true }')
        .replace("sql`concat('#', price)`)", "sql`concat('#', price)`, { stored: true })")
        .replace('t.integer().generated(sql`price div 2`)', 't.integer()'),
    );
    ok('makemigrations', '--name', 'change');
    ok('migrate');
    expect(Object.keys(await columns())).toEqual(['id', 'price', 'quantity', 'total', 'label', 'half']);
    expect(await columns()).toMatchObject({ total: ['STORED GENERATED', '`price` * `quantity` * 2'], label: ['STORED GENERATED', "concat('#',`price`)"], half: [] });
    expect(await query('SELECT id, total, label, half FROM items ORDER BY id')).toEqual([
      { id: 1, total: 24, label: '#3', half: 1 },
      { id: 2, total: 60, label: '#5', half: 2 },
    ]);
    expect((await query("SHOW INDEX FROM items WHERE Key_name = 'lines_total_idx'")).map((row) => row.Column_name)).toEqual(['total']);
    unchanged();

    ok('rollback');
    expect(await columns()).toMatchObject({ total: ['STORED GENERATED', '`price` * `quantity`'], label: ['VIRTUAL GENERATED', "concat('#',`price`)"], half: ['VIRTUAL GENERATED', '`price` DIV 2'] });
    expect(await query('SELECT id, total, half FROM items ORDER BY id')).toEqual([{ id: 1, total: 12, half: 1 }, { id: 2, total: 30, half: 2 }]);
    models(MODELS);
    expect(ok('makemigrations', '--from', 'database', '--dry-run').stdout).toContain('No changes detected');
    ok('migrate', 'zero');
    expect(await query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE 'covet%'")).toEqual([]);
  });

  it('a NOT NULL generated column and an array column are refused in one line naming them; nothing runs', { timeout: 60_000 }, async () => {
    for (const [column, message] of [
      ['b: t.integer().notNull().generated(sql`a + 1`)', 'error: MariaDB cannot declare a generated column NOT NULL: items.b is .generated().notNull()'],
      ['b: t.text().array()', 'error: MySQL has no array columns: items.b is an array of text'],
    ] as const) {
      folder = cliProject('generated-refused', database);
      models(`import { defineTable, sql, t } from '@covet/core';\nexport const items = defineTable('items', { a: t.integer(), ${column} });\n`);
      ok('makemigrations', '--name', 'initial');
      const run = covet(folder, 'migrate');
      expect(run.status).not.toBe(0);
      expect(run.stderr.split('\n')[0]).toBe(message);
      expect(await query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'items'")).toEqual([]);
    }
  });
});
