// executeAll: a migration's statements (and its tracking row, with bound values) pipelined on
// the extended query protocol with the transaction's BEGIN, one round trip; a failing statement
// named by its position, nothing after it run, nothing of the batch left after the rollback.
import { createCovet, createMigration, MigrationGraph, MigrationRunner, op, t, type Migration, type MigrationEntry } from '@covet/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import postgres, { createPostgresDialect, type PostgresConnection } from '../src/index.js';
import { isSingleCommand } from '../src/postgres-pipeline.js';
import { createTestDatabase, describeWithPostgres, withClient, type TestDatabase } from './helpers.js';

const dialect = createPostgresDialect();

describe('isSingleCommand', () => {
  it('accepts one command, a trailing semicolon and comments after it', () => {
    expect(isSingleCommand('CREATE TABLE a (id integer)')).toBe(true);
    expect(isSingleCommand('CREATE TABLE a (id integer);')).toBe(true);
    expect(isSingleCommand('CREATE TABLE a (id integer); -- done\n  ;; /* really */ ')).toBe(true);
  });

  it('skips semicolons in strings, quoted identifiers, dollar-quoted bodies and comments', () => {
    expect(isSingleCommand("INSERT INTO a VALUES ('x;y', 'it''s; fine')")).toBe(true);
    expect(isSingleCommand('CREATE TABLE "odd;name" (id integer)')).toBe(true);
    expect(isSingleCommand('CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM 1; PERFORM 2; END $$')).toBe(true);
    expect(isSingleCommand('CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$')).toBe(true);
    expect(isSingleCommand('SELECT 1 -- a; b\n')).toBe(true);
    expect(isSingleCommand('SELECT 1 /* a; /* nested; */ b; */')).toBe(true);
  });

  it('refuses several commands and anything doubtful', () => {
    expect(isSingleCommand('CREATE TABLE a (); CREATE TABLE b ()')).toBe(false);
    expect(isSingleCommand("SELECT 'unterminated; x")).toBe(false);
    expect(isSingleCommand("SELECT E'\\'; DROP TABLE a; --'")).toBe(false);
    expect(isSingleCommand('SELECT $$ never closed; x')).toBe(false);
    expect(isSingleCommand('SELECT a$b$ FROM t; SELECT 1')).toBe(false);
  });
});

describeWithPostgres('executeAll (pipelined batches)', () => {
  let database: TestDatabase;
  let connection: PostgresConnection;
  beforeEach(async () => {
    database = await createTestDatabase();
    connection = (await dialect.connect({ engine: 'postgres', url: database.url })) as PostgresConnection;
  });
  afterEach(async () => {
    await connection?.close();
    await database.drop();
  });

  const tables = () =>
    withClient(database.url, async (client) =>
      (await client.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).rows.map((r) => r.name),
    );

  it('runs several statements with bound values, and the BEGIN, in one round trip', async () => {
    const tricky = "it's'); DROP TABLE items; --";
    let batchTrips = -1;
    const before = connection.statistics.roundTrips;
    await connection.transaction(async () => {
      const start = connection.statistics.roundTrips;
      await connection.executeAll([
        { sql: 'CREATE TABLE items (id serial PRIMARY KEY, label text NOT NULL, qty integer, meta jsonb, at timestamptz)' },
        { sql: 'CREATE INDEX items_label_idx ON items (label)' },
        { sql: 'INSERT INTO items (label, qty, meta, at) VALUES ($1, $2, $3, $4)', params: [tricky, 3, { a: [1, 2] }, new Date('2026-01-02T03:04:05Z')] },
        { sql: 'INSERT INTO items (label, qty) VALUES ($1, $2)', params: ['second', null] },
        { sql: 'SELECT count(*) FROM items' },
        { sql: 'UPDATE items SET qty = coalesce(qty, 0) + $1', params: [10] },
      ]);
      batchTrips = connection.statistics.roundTrips - start;
    });
    expect(batchTrips).toBe(1);
    // The batch and the COMMIT.
    expect(connection.statistics.roundTrips - before).toBe(2);
    const rows = await withClient(database.url, async (client) => (await client.query('SELECT label, qty, meta, at FROM items ORDER BY id')).rows);
    expect(rows).toEqual([
      { label: tricky, qty: 13, meta: { a: [1, 2] }, at: new Date('2026-01-02T03:04:05Z') },
      { label: 'second', qty: 10, meta: null, at: null },
    ]);
  });

  it('a failing middle statement: statementIndex is its position, nothing after it ran, nothing of the batch remains', async () => {
    await connection.execute({ sql: 'CREATE SEQUENCE probe' });
    const before = connection.statistics.roundTrips;
    const failure = await connection
      .transaction(() =>
        connection.executeAll([
          { sql: 'CREATE TABLE first_one (id integer)' },
          { sql: 'INSERT INTO first_one VALUES ($1)', params: [1] },
          { sql: 'INSERT INTO missing_table VALUES ($1)', params: [2] },
          // Sequences are not transactional: had this run, the rollback would not undo it.
          { sql: "SELECT nextval('probe')" },
          { sql: 'CREATE TABLE after_it (id integer)' },
        ]),
      )
      .then(
        () => undefined,
        (error: unknown) => error as Error & { statementIndex?: number; code?: string },
      );
    expect(failure).toBeInstanceOf(Error);
    expect(failure!.statementIndex).toBe(2);
    expect(failure!.code).toBe('42P01');
    expect(failure!.message).toContain('missing_table');
    // The batch and the ROLLBACK.
    expect(connection.statistics.roundTrips - before).toBe(2);
    expect(await tables()).toEqual([]);
    expect(await connection.query('SELECT is_called FROM probe')).toEqual([{ is_called: false }]);
    // The session is usable afterwards, in and out of transactions.
    await connection.transaction(() => connection.executeAll([{ sql: 'CREATE TABLE later (id integer)' }, { sql: 'INSERT INTO later VALUES ($1)', params: [7] }]));
    expect(await connection.query('SELECT id FROM later')).toEqual([{ id: 7 }]);
  });

  it('a failing first statement (a parse error) is index 0; a bad last one is the tracking-row position', async () => {
    const first = await connection.transaction(() => connection.executeAll([{ sql: 'CREATE TABLE broken (' }, { sql: 'CREATE TABLE never (id integer)' }])).catch((error: unknown) => error as { statementIndex?: number; code?: string });
    expect(first).toMatchObject({ statementIndex: 0, code: '42601' });
    const last = await connection
      .transaction(() =>
        connection.executeAll([
          { sql: 'CREATE TABLE t1 (id integer)' },
          { sql: 'CREATE TABLE t2 (id integer)' },
          { sql: 'INSERT INTO t1 (id) VALUES ($1)', params: ['not a number'] },
        ]),
      )
      .catch((error: unknown) => error as { statementIndex?: number; code?: string });
    expect(last).toMatchObject({ statementIndex: 2, code: '22P02' });
    expect(await tables()).toEqual([]);
  });

  it('a statement holding several commands goes as a simple query between pipelines, in order', async () => {
    let trips = -1;
    await connection.transaction(async () => {
      const start = connection.statistics.roundTrips;
      await connection.executeAll([
        { sql: 'CREATE FUNCTION twice(x integer) RETURNS integer LANGUAGE plpgsql AS $$ BEGIN RETURN x * 2; END; $$' },
        { sql: 'CREATE TABLE a (id integer); CREATE TABLE b (id integer)' },
        { sql: 'INSERT INTO a VALUES (twice($1))', params: [21] },
        { sql: 'INSERT INTO b SELECT id FROM a' },
      ]);
      trips = connection.statistics.roundTrips - start;
    });
    expect(trips).toBe(3);
    expect(await connection.query('SELECT id FROM b')).toEqual([{ id: 42 }]);

    const failure = await connection
      .transaction(() => connection.executeAll([{ sql: 'CREATE TABLE c (id integer)' }, { sql: 'CREATE TABLE d (id integer); INSERT INTO nowhere VALUES (1)' }, { sql: 'CREATE TABLE e (id integer)' }]))
      .catch((error: unknown) => error as { statementIndex?: number; code?: string });
    expect(failure).toMatchObject({ statementIndex: 1, code: '42P01' });
    expect(await tables()).toEqual(['a', 'b']);
  });

  it('inside a savepoint: the SAVEPOINT goes in the pipeline, a failure undoes only the inner work', async () => {
    await connection.transaction(async () => {
      await connection.executeAll([{ sql: 'CREATE TABLE outer_kept (id integer)' }]);
      const start = connection.statistics.roundTrips;
      const inner = await connection
        .transaction(() => connection.executeAll([{ sql: 'CREATE TABLE inner_gone (id integer)' }, { sql: 'SELECT 1/0' }]))
        .catch((error: unknown) => error as { statementIndex?: number; code?: string });
      expect(inner).toMatchObject({ statementIndex: 1, code: '22012' });
      // The pipeline (with its SAVEPOINT) and the ROLLBACK TO SAVEPOINT.
      expect(connection.statistics.roundTrips - start).toBe(2);
      await connection.executeAll([{ sql: 'INSERT INTO outer_kept VALUES ($1)', params: [1] }]);
    });
    expect(await tables()).toEqual(['outer_kept']);
    expect(await connection.query('SELECT id FROM outer_kept')).toEqual([{ id: 1 }]);
  });

  it('outside a transaction: statement by statement, those before the failure stay', async () => {
    const failure = await connection
      .executeAll([{ sql: 'CREATE TABLE stays (id integer)' }, { sql: 'INSERT INTO stays VALUES ($1)', params: ['x'] }, { sql: 'CREATE TABLE never (id integer)' }])
      .catch((error: unknown) => error as { statementIndex?: number; code?: string });
    expect(failure).toMatchObject({ statementIndex: 1, code: '22P02' });
    expect(await tables()).toEqual(['stays']);
  });

  /** Three migrations (table, index, a row) through core's runner; the round trips of each. */
  async function runThree(): Promise<number[]> {
    const covet = createCovet({ plugins: [postgres] });
    const names = ['20260101000001_one', '20260101000002_two', '20260101000003_three'];
    const migrations: Migration[] = names.map((name, i) =>
      createMigration('default', name, {
        dependencies: i === 0 ? [] : [names[i - 1]!],
        operations: [
          op.createTable(`t${i}`, { id: t.serial().primaryKey(), label: t.varchar(40).notNull(), n: t.integer().notNull().default(0) }),
          op.createIndex(`t${i}`, { name: `t${i}_label_idx`, columns: ['label'] }),
          op.runSql(`INSERT INTO t${i} (label) VALUES ('row ${i}')`, `DELETE FROM t${i}`),
        ],
      }),
    );
    const entries: MigrationEntry[] = migrations.map((migration) => ({
      id: migration.id,
      app: migration.app,
      name: migration.name,
      file: `${migration.name}.ts`,
      dependencies: migration.dependencies,
      checksum: migration.checksum,
      load: async () => migration,
    }));
    const trips: number[] = [];
    let mark = 0;
    const runner = new MigrationRunner({
      covet,
      dialect: covet.dialects.get('postgres')!,
      connection,
      migrations: new MigrationGraph(entries),
      onEvent: (event) => {
        if (event.type === 'migrationStart') mark = connection.statistics.roundTrips;
        if (event.type === 'migrationDone') trips.push(connection.statistics.roundTrips - mark);
      },
    });
    const summary = await runner.migrate();
    expect(summary.migrations).toHaveLength(3);
    const tracking = await connection.query<{ name: string }>('SELECT name FROM covet_migrations ORDER BY id');
    expect(tracking.map((row) => row.name)).toEqual(names);
    expect(await connection.query('SELECT label FROM t2')).toEqual([{ label: 'row 2' }]);
    return trips;
  }

  it('the runner applies migrations and their tracking rows', async () => {
    await runThree();
  });

  // Expected to fail for now: core's MigrationRunner#batchable asks `hook.isUsed()`, which is
  // true for every hook (createHooks registers a naming interceptor on each), so the runner
  // never calls executeAll. Once core checks for taps instead, this passes: make it `it`.
  it('the runner sends a migration and its tracking row in two round trips (pipeline and COMMIT)', async () => {
    const trips = await runThree();
    // The first migration also creates the tracking table.
    expect(trips.slice(1)).toEqual([2, 2]);
  });
});
