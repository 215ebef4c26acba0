// Schemas as real PostgreSQL databases hold them, with the real `covet` binary: a foreign key
// named like an index of its table (a constraint and a relation live in different namespaces);
// the column-level DSL: jsonb, sized blobs, numeric without precision, collations, function
// defaults, comments and identity columns, built, read back equal, changed and rolled back.
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SchemaState } from '@covet/core';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createPostgresDialect } from '../src/index.js';
import { cliProject, CORPUS, createTestDatabase, describeWithPostgres, loadWithPsql, psqlAvailable, typeStatements, withClient, type CliProject, type TestDatabase } from './helpers.js';

describeWithPostgres('fidelity on PostgreSQL', () => {
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

  it('a foreign key named like an index of its table is built, and then seen as no change', { timeout: 120_000 }, async () => {
    project.write(
      'models/shop.ts',
      `import { defineTable, t } from '@covet/core';
export const users = defineTable('users', { id: t.serial().primaryKey() });
export const orders = defineTable('orders', {
  id: t.serial().primaryKey(),
  user_id: t.integer().notNull().references(users, 'id', { name: 'fk_orders_user' }),
}, { indexes: [{ name: 'fk_orders_user', columns: ['user_id'] }] });
`,
    );
    for (const argv of [['makemigrations', '--name', 'initial'], ['migrate']]) {
      const run = project.run(...argv);
      expect(run.status, run.stderr).toBe(0);
    }
    await withClient(database.url, async (client) => {
      const { rows } = await client.query(
        `SELECT 'index' AS kind, indexname AS name FROM pg_indexes WHERE tablename = 'orders' AND indexname <> 'orders_pkey'
         UNION ALL SELECT 'foreign key', conname FROM pg_constraint WHERE conrelid = 'orders'::regclass AND contype = 'f'`,
      );
      expect(rows.map((row) => `${row.kind} ${row.name}`).sort()).toEqual(['foreign key fk_orders_user', 'index fk_orders_user']);
    });
    for (const argv of [['makemigrations', '--dry-run'], ['makemigrations', '--from', 'database', '--dry-run']]) {
      const run = project.run(...argv);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout, argv.join(' ')).toContain('No changes detected');
    }
    const rollback = project.run('rollback');
    expect(rollback.status, rollback.stderr).toBe(0);
  });

  const COLUMNS = `import { defineTable, sql, t } from '@covet/core';
export const docs = defineTable('docs', {
  id: t.bigint().identity().primaryKey(),
  code: t.integer().identity({ always: true }),
  body: t.jsonb(),
  meta: t.json({ binary: true }),
  raw: t.json(),
  file: t.blob({ size: 'long' }),
  amount: t.numeric(),
  price: t.numeric(12, 4),
  title: t.text().notNull().collate('C').comment("The title's text, as typed \\\\ kept"),
  key: t.uuid().notNull().default(sql\`gen_random_uuid()\`),
  n: t.integer(),
});
`;

  it('the column DSL: jsonb, sized blob, numeric, collation, function default, comment, identity', { timeout: 180_000 }, async () => {
    project.write('models/docs.ts', COLUMNS);
    for (const argv of [['makemigrations', '--name', 'initial'], ['migrate']]) {
      const run = project.run(...argv);
      expect(run.status, run.stderr).toBe(0);
    }
    const read = () =>
      withClient(database.url, async (client) => {
        const { rows } = await client.query(
          `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attidentity AS identity,
              CASE WHEN a.attcollation <> y.typcollation THEN k.collname END AS collation, col_description(a.attrelid, a.attnum) AS comment
             FROM pg_attribute a JOIN pg_type y ON y.oid = a.atttypid LEFT JOIN pg_collation k ON k.oid = a.attcollation
            WHERE a.attrelid = 'docs'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
        );
        return Object.fromEntries(rows.map((row) => [row.name, [row.type, row.identity, row.collation, row.comment].filter((value) => value !== null && value !== '')]));
      });
    expect(await read()).toEqual({
      id: ['bigint', 'd'],
      code: ['integer', 'a'],
      body: ['jsonb'],
      meta: ['jsonb'],
      raw: ['json'],
      file: ['bytea'],
      amount: ['numeric'],
      price: ['numeric(12,4)'],
      title: ['text', 'C', "The title's text, as typed \\ kept"],
      key: ['uuid'],
      n: ['integer'],
    });
    await withClient(database.url, async (client) => {
      await client.query("INSERT INTO docs (title, n) VALUES ('a', 1), ('b', 2)");
      const { rows } = await client.query('SELECT id, code, key FROM docs ORDER BY id');
      expect(rows.map((row) => [Number(row.id), row.code])).toEqual([[1, 1], [2, 2]]);
      expect(rows[0].key).toMatch(/^[0-9a-f-]{36}$/);
      // GENERATED ALWAYS refuses a given value.
      await expect(client.query("INSERT INTO docs (code, title) VALUES (5, 'c')")).rejects.toThrow(/cannot insert a non-DEFAULT value into column "code"/);
    });
    for (const argv of [['makemigrations', '--dry-run'], ['makemigrations', '--from', 'database', '--dry-run']]) {
      const run = project.run(...argv);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout, argv.join(' ')).toContain('No changes detected');
    }

    // Change each: another collation and comment, identity by default, a plain column becomes an identity (numbered after its rows).
    project.write(
      'models/docs.ts',
      COLUMNS.replace(".collate('C').comment(\"The title's text, as typed \\\\ kept\")", ".collate('POSIX').comment('Title')")
        .replace('code: t.integer().identity({ always: true }),', 'code: t.integer().identity(),')
        .replace('n: t.integer(),', 'n: t.integer().identity(),')
        .replace("body: t.jsonb(),", "body: t.json(),"),
    );
    let run = project.run('makemigrations', '--name', 'change');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.split('\n').filter((line) => line.startsWith('    - ')).sort()).toEqual([
      '    - Alter column docs.body',
      '    - Alter column docs.code',
      // NOT NULL now: rows holding NULL would stop it.
      '    - Alter column docs.n (may lose data)',
      '    - Alter column docs.title',
    ]);
    run = project.run('migrate');
    expect(run.status, run.stderr).toBe(0);
    expect(await read()).toMatchObject({ code: ['integer', 'd'], n: ['integer', 'd'], body: ['json'], title: ['text', 'POSIX', 'Title'] });
    await withClient(database.url, async (client) => {
      await client.query("INSERT INTO docs (code, title) VALUES (9, 'c')");
      const { rows } = await client.query("SELECT n FROM docs WHERE title = 'c'");
      expect(rows).toEqual([{ n: 3 }]);
    });
    for (const argv of [['makemigrations', '--dry-run'], ['makemigrations', '--from', 'database', '--dry-run']]) {
      run = project.run(...argv);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout, argv.join(' ')).toContain('No changes detected');
    }
    run = project.run('rollback');
    expect(run.status, run.stderr).toBe(0);
    expect(await read()).toMatchObject({ code: ['integer', 'a'], n: ['integer'], body: ['jsonb'], title: ['text', 'C', "The title's text, as typed \\ kept"] });
    run = project.run('migrate', 'zero');
    expect(run.status, run.stderr).toBe(0);
    await withClient(database.url, async (client) => {
      const { rows } = await client.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'covet%'");
      expect(rows).toEqual([]);
    });
  });

  for (const [label, file, tables] of [
    ['Sakila', join(CORPUS, 'sakila', 'postgres-sakila-schema.sql'), 21],
    ['Chinook', join(CORPUS, 'chinook', 'Chinook_PostgreSql.sql'), 11],
  ] as const) {
    it(`inspectdb round-trips ${label}: models, no changes from the database, --fake-initial, a fresh copy introspected equal`, { timeout: 300_000 }, async () => {
      if (!psqlAvailable()) throw new Error('psql is not on PATH: the corpus scripts are loaded with it');
      const sql = readFileSync(file, 'utf8').replace(/^(DROP DATABASE|CREATE DATABASE|\\c)\b.*$/gm, '');
      loadWithPsql(database.url, sql);
      let run = project.run('inspectdb');
      expect(run.status, run.stderr).toBe(0);
      expect(readdirSync(join(project.dir, 'models'))).toHaveLength(tables);
      expect(run.stdout).not.toContain('nearest the model DSL can say');
      for (const argv of [['makemigrations', '--from', 'database', '--dry-run'], ['makemigrations', '--name', 'initial'], ['migrate', '--fake-initial']]) {
        run = project.run(...argv);
        expect(run.status, `${argv.join(' ')}: ${run.stderr}`).toBe(0);
      }
      expect(run.stdout).toContain('its tables exist already (--fake-initial)');
      run = project.run('makemigrations', '--from', 'database', '--dry-run');
      expect(run.stdout).toContain('No changes detected');

      // A fresh database with the types the tables use (enums and domains are not modelled yet).
      const target = await createTestDatabase();
      const copy = cliProject(target);
      try {
        loadWithPsql(target.url, typeStatements(sql));
        cpSync(join(project.dir, 'models'), join(copy.dir, 'models'), { recursive: true });
        cpSync(join(project.dir, 'migrations'), join(copy.dir, 'migrations'), { recursive: true });
        run = copy.run('migrate');
        expect(run.status, run.stderr).toBe(0);
        const dialect = createPostgresDialect();
        const introspect = async (url: string): Promise<SchemaState> => {
          const connection = await dialect.connect({ engine: 'postgres', url });
          try {
            return await connection.introspector.introspect();
          } finally {
            await connection.close();
          }
        };
        expect((await introspect(target.url)).tables).toEqual((await introspect(database.url)).tables);
      } finally {
        copy.remove();
        await target.drop();
      }
    });
  }
});
