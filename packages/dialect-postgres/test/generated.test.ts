// Generated (computed) columns and arrays on PostgreSQL with the real `covet` binary: built,
// read back equal (a second makemigrations and --from database find nothing, inspectdb writes
// them back as the models say them), changed (an expression: the column is added again and
// computed; a generated column made plain keeps its values; array dimensions and element
// types), rolled back, and dropped. PostgreSQL 15 has stored generated columns only: a
// virtual one is refused in one line before anything runs, and so is t.enum() (PostgreSQL's
// enum types are schema objects, not modelled yet).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { cliProject, createTestDatabase, describeWithPostgres, withClient, type CliProject, type TestDatabase } from './helpers.js';

const MODELS = `import { defineTable, sql, t } from '@covet/core';
export const lines = defineTable('lines', {
  id: t.serial().primaryKey(),
  price: t.numeric(10, 2).notNull(),
  quantity: t.integer().notNull(),
  total: t.numeric(12, 2).generated(sql\`price * quantity\`, { stored: true }),
  label: t.text().notNull().generated(sql\`'#' || id::text\`, { stored: true }),
  tags: t.text().array(),
  grid: t.integer().array(2),
  codes: t.varchar(10).array().notNull().default(sql\`'{}'\`),
}, { indexes: [{ name: 'lines_total_idx', columns: ['total'] }] });
`;

describeWithPostgres('generated columns and arrays on PostgreSQL', () => {
  let database: TestDatabase;
  let project: CliProject;
  beforeEach(async () => {
    database = await createTestDatabase();
    project = cliProject(database);
  });
  afterEach(async () => {
    project.remove();
    await database.drop();
  });

  const ok = (...argv: string[]) => project.ok(...argv);
  const unchanged = () => project.expectUnchanged();
  const columns = () =>
    withClient(database.url, async (client) => {
      const { rows } = await client.query(
        `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attndims AS dims, a.attgenerated AS generated,
                CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END AS expression
           FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
          WHERE a.attrelid = 'lines'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      );
      return Object.fromEntries(rows.map((row) => [row.name, [row.type, row.dims, row.generated, row.expression].filter((value) => value !== null && value !== '' && value !== 0)]));
    });
  const rows = () =>
    withClient(database.url, async (client) => (await client.query('SELECT id, total::text, label, tags, grid, codes FROM lines ORDER BY id')).rows);

  it('built, equal to the models and to inspectdb, changed, rolled back, dropped', { timeout: 240_000 }, async () => {
    project.write('models/lines.ts', MODELS);
    ok('makemigrations', '--name', 'initial');
    ok('migrate');
    expect(await columns()).toEqual({
      id: ['integer'],
      price: ['numeric(10,2)'],
      quantity: ['integer'],
      total: ['numeric(12,2)', 's', '(price * (quantity)::numeric)'],
      label: ['text', 's', "('#'::text || (id)::text)"],
      tags: ['text[]', 1],
      grid: ['integer[]', 2],
      codes: ['character varying(10)[]', 1],
    });
    await withClient(database.url, async (client) => {
      await client.query("INSERT INTO lines (price, quantity, tags, grid) VALUES (2.50, 4, '{a,b}', '{{1,2},{3,4}}'), (1, 3, NULL, NULL)");
      await expect(client.query('INSERT INTO lines (price, quantity, total) VALUES (1, 1, 5)')).rejects.toThrow(/cannot insert a non-DEFAULT value into column "total"/);
    });
    expect(await rows()).toEqual([
      { id: 1, total: '10.00', label: '#1', tags: ['a', 'b'], grid: [[1, 2], [3, 4]], codes: [] },
      { id: 2, total: '3.00', label: '#2', tags: null, grid: null, codes: [] },
    ]);
    unchanged();

    // inspectdb says the same columns (as PostgreSQL spells them): as the models, the database is no change.
    ok('inspectdb', '--out', 'inspected');
    const inspected = readFileSync(join(project.dir, 'inspected', 'lines.ts'), 'utf8');
    expect(inspected).toContain('total: t.decimal(12, 2).generated(sql`price * (quantity)::numeric`, { stored: true }),');
    expect(inspected).toContain('tags: t.text().array(),');
    expect(inspected).toContain('grid: t.integer().array(2),');
    expect(inspected).toContain("codes: t.varchar(10).array().notNull().default('{}'),");
    project.write('models/lines.ts', inspected);
    expect(ok('makemigrations', '--from', 'database', '--dry-run').stdout).toContain('No changes detected');

    // Another expression (the column is added again, computed, with its index), a generated column
    // made plain (keeps its values), arrays of another element type and dimension.
    project.write(
      'models/lines.ts',
      MODELS.replace('sql`price * quantity`', 'sql`price * quantity * 2`')
        .replace("t.text().notNull().generated(sql`'#' || id::text`, { stored: true })", 't.text().notNull()')
        .replace('tags: t.text().array()', 'tags: t.varchar(20).array()')
        .replace('grid: t.integer().array(2)', 'grid: t.bigint().array(3)'),
    );
    ok('makemigrations', '--name', 'change');
    ok('migrate');
    expect(await columns()).toMatchObject({
      total: ['numeric(12,2)', 's', '((price * (quantity)::numeric) * (2)::numeric)'],
      label: ['text'],
      tags: ['character varying(20)[]', 1],
      grid: ['bigint[]', 3],
    });
    expect(await rows()).toEqual([
      { id: 1, total: '20.00', label: '#1', tags: ['a', 'b'], grid: [['1', '2'], ['3', '4']], codes: [] },
      { id: 2, total: '6.00', label: '#2', tags: null, grid: null, codes: [] },
    ]);
    await withClient(database.url, async (client) => {
      const { rows: indexes } = await client.query("SELECT indexname FROM pg_indexes WHERE tablename = 'lines' ORDER BY indexname");
      expect(indexes.map((row) => row.indexname)).toEqual(['lines_pkey', 'lines_total_idx']);
    });
    unchanged();

    ok('rollback');
    expect(await columns()).toMatchObject({ total: ['numeric(12,2)', 's', '(price * (quantity)::numeric)'], label: ['text', 's', "('#'::text || (id)::text)"], tags: ['text[]', 1], grid: ['integer[]', 2] });
    expect((await rows()).map((row) => [row.total, row.label])).toEqual([['10.00', '#1'], ['3.00', '#2']]);
    project.write('models/lines.ts', MODELS);
    expect(ok('makemigrations', '--from', 'database', '--dry-run').stdout).toContain('No changes detected');
    ok('migrate', 'zero');
    await withClient(database.url, async (client) => {
      const { rows: tables } = await client.query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename NOT LIKE 'covet%'");
      expect(tables).toEqual([]);
    });
  });

  for (const [label, column, message] of [
    ['a virtual generated column', 'b: t.integer().generated(sql`a + 1`)', 'error: PostgreSQL before 18 has no virtual generated columns: lines.b is .generated() without { stored: true }'],
    ['an enum column', "b: t.enum(['x', 'y'])", 'error: PostgreSQL enum types are not in the model DSL yet: lines.b is t.enum()'],
  ] as const) {
    it(`${label} is refused in one line naming it; nothing runs`, { timeout: 60_000 }, async () => {
      project.write('models/lines.ts', `import { defineTable, sql, t } from '@covet/core';\nexport const lines = defineTable('lines', { a: t.integer(), ${column} });\n`);
      ok('makemigrations', '--name', 'initial');
      const run = project.run('migrate');
      expect(run.status).not.toBe(0);
      expect(run.stderr.split('\n')[0]).toBe(message);
      await withClient(database.url, async (client) => {
        const { rows: tables } = await client.query('SELECT tablename FROM pg_tables WHERE schemaname = current_schema()');
        expect(tables).toEqual([]);
      });
    });
  }
});
