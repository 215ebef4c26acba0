// Keys on PostgreSQL with the real `covet` binary: a serial primary key becomes an identity
// column and back again (rows and numbering kept, no change left either way, rolled back), and
// a foreign key named like a UNIQUE constraint of its table (an adopted database's: Covet makes
// unique indexes), which PostgreSQL cannot hold, refused in one line with nothing changed.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { cliProject, createTestDatabase, describeWithPostgres, withClient, type CliProject, type TestDatabase } from './helpers.js';

const SERIAL = `import { defineTable, t } from '@covet/core';
export const notes = defineTable('notes', {
  id: t.serial().primaryKey(),
  body: t.text(),
});
`;

describeWithPostgres('keys on PostgreSQL', () => {
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
  const insert = (body: string) =>
    withClient(database.url, async (client) => Number((await client.query('INSERT INTO notes (body) VALUES ($1) RETURNING id', [body])).rows[0].id));
  const shape = () =>
    withClient(database.url, async (client) => {
      const { rows } = await client.query(
        `SELECT a.attidentity AS identity, pg_get_expr(d.adbin, d.adrelid) AS "default" FROM pg_attribute a
           LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE a.attrelid = 'notes'::regclass AND a.attname = 'id'`,
      );
      return rows[0];
    });

  it('a serial primary key becomes an identity and a serial again, numbering on; rolled back', { timeout: 180_000 }, async () => {
    project.write('models/notes.ts', SERIAL);
    ok('makemigrations', '--name', 'initial');
    ok('migrate');
    expect([await insert('a'), await insert('b')]).toEqual([1, 2]);

    project.write('models/notes.ts', SERIAL.replace('t.serial().primaryKey()', 't.integer().identity().primaryKey()'));
    ok('makemigrations', '--name', 'identity');
    ok('migrate');
    expect(await shape()).toEqual({ identity: 'd', default: null });
    expect(await insert('c')).toBe(3);
    unchanged();

    project.write('models/notes.ts', SERIAL.replace('t.serial().primaryKey()', 't.integer().identity({ always: true }).primaryKey()'));
    ok('makemigrations', '--name', 'always');
    ok('migrate');
    expect(await shape()).toEqual({ identity: 'a', default: null });
    expect(await insert('d')).toBe(4);
    unchanged();

    project.write('models/notes.ts', SERIAL);
    ok('makemigrations', '--name', 'serial');
    ok('migrate');
    expect(await shape()).toEqual({ identity: '', default: "nextval('notes_id_seq'::regclass)" });
    expect(await insert('e')).toBe(5);
    unchanged();

    ok('rollback');
    expect(await shape()).toEqual({ identity: 'a', default: null });
    expect(await insert('f')).toBe(6);
    ok('rollback');
    ok('rollback');
    expect(await shape()).toEqual({ identity: '', default: "nextval('notes_id_seq'::regclass)" });
    expect(await insert('g')).toBe(7);
    expect(ok('makemigrations', '--from', 'database', '--dry-run').stdout).toContain('No changes detected');
    await withClient(database.url, async (client) => {
      expect((await client.query('SELECT id, body FROM notes ORDER BY id')).rows.map((row) => row.body).join('')).toBe('abcdefg');
    });
    ok('migrate', 'zero');
  });

  it('a foreign key named like a UNIQUE constraint of its table is refused in one line; nothing changes', { timeout: 120_000 }, async () => {
    await withClient(database.url, async (client) => {
      await client.query(`CREATE TABLE users (id integer PRIMARY KEY);
        CREATE TABLE orders (id integer PRIMARY KEY, user_id integer NOT NULL, CONSTRAINT orders_user UNIQUE (user_id))`);
    });
    ok('inspectdb');
    ok('makemigrations', '--name', 'initial');
    ok('migrate', '--fake-initial');
    project.write(
      'models/orders.ts',
      `import { defineTable, t } from '@covet/core';
export const orders = defineTable('orders', {
  id: t.integer().primaryKey(),
  user_id: t.integer().notNull().references('users', 'id', { name: 'orders_user' }),
}, { uniques: [{ name: 'orders_user', columns: ['user_id'] }] });
`,
    );
    ok('makemigrations', '--name', 'reference');
    const run = project.run('migrate');
    expect(run.status).not.toBe(0);
    expect(run.stderr.split('\n')[0]).toBe('error: PostgreSQL keeps constraint names per table: foreign key orders_user of orders is named like its UNIQUE constraint');
    await withClient(database.url, async (client) => {
      const { rows } = await client.query("SELECT conname, contype FROM pg_constraint WHERE conrelid = 'orders'::regclass ORDER BY conname");
      expect(rows).toEqual([{ conname: 'orders_pkey', contype: 'p' }, { conname: 'orders_user', contype: 'u' }]);
      expect((await client.query('SELECT name FROM covet_migrations ORDER BY name')).rows.map((row) => row.name)).toEqual([expect.stringMatching(/_initial$/)]);
    });
  });
});
