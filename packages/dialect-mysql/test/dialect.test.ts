import { buildTableState, BUILTIN_OPERATIONS, createOperation, IRREVERSIBLE, op, sql, t, type Operation, type SchemaState } from '@covet/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMysqlDialect, poolOptions, splitStatements, type MysqlConnection } from '../src/index.js';
import { applyOperations, createTestDatabase, reportSkipped, UNAVAILABLE, type TestDatabase } from './helpers.js';

const dialect = createMysqlDialect();

describe('MySQL dialect without a server', () => {
  it('quotes with backticks and checks the 64-character limit before any SQL', () => {
    expect(dialect.quoteIdentifier('order')).toBe('`order`');
    expect(dialect.quoteIdentifier('a'.repeat(64))).toBe(`\`${'a'.repeat(64)}\``);
    expect(() => dialect.quoteIdentifier('a'.repeat(65))).toThrow(/it is 65 characters, more than the mysql limit of 64 characters/);
    // Characters, not bytes: 64 two-byte characters fit.
    expect(dialect.quoteIdentifier('é'.repeat(64))).toBe(`\`${'é'.repeat(64)}\``);
    // A backtick is doubled: the name stays one identifier.
    expect(dialect.quoteIdentifier('x`; DROP TABLE y')).toBe('`x``; DROP TABLE y`');
    expect(() => dialect.quoteIdentifier('a👍')).toThrow(
      'Invalid identifier "a👍" for identifier: character U+1F44D "👍" at position 2 is not allowed: MySQL names hold only characters up to U+FFFF (the Basic Multilingual Plane)',
    );
    expect(() => dialect.quoteIdentifier('name ')).toThrow('it ends with a space (position 5), which MySQL does not allow');
    expect(dialect.capabilities).toEqual({
      transactionalDdl: false,
      alterColumn: 'native',
      maxIdentifierLength: 64,
      identifierLengthUnit: 'characters',
      nameScopes: [
        { kinds: ['index'], scope: 'table' },
        { kinds: ['foreignKey'], scope: 'schema' },
      ],
    });
  });

  it('splits a script at top-level semicolons only', () => {
    expect(splitStatements("INSERT INTO t VALUES ('a;b'); -- c;\nINSERT INTO t VALUES (\"x;\") ; /* ; */ UPDATE `we;ird` SET a = 'it''s;'")).toEqual([
      "INSERT INTO t VALUES ('a;b')",
      '-- c;\nINSERT INTO t VALUES ("x;")',
      "/* ; */ UPDATE `we;ird` SET a = 'it''s;'",
    ]);
    expect(splitStatements("SELECT 'a\\';b'")).toEqual(["SELECT 'a\\';b'"]);
    const procedure = 'CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END';
    expect(splitStatements(procedure)).toEqual([procedure]);
    expect(splitStatements(`${procedure};`)).toEqual([procedure]);
    expect(() => splitStatements(`SELECT 3; ${procedure}`)).toThrow(/first and alone in its runSql/);
    expect(() => splitStatements('DELIMITER $$\nSELECT 1$$')).toThrow(/DELIMITER/);
    // One statement without a semicolon is taken as it is; DELIMITER is refused all the same.
    expect(splitStatements('  ALTER TABLE `t` ADD INDEX `i` (`a`)\n')).toEqual(['ALTER TABLE `t` ADD INDEX `i` (`a`)']);
    expect(splitStatements('SELECT `delimiter` FROM t')).toEqual(['SELECT `delimiter` FROM t']);
    expect(() => splitStatements('delimiter //\nCREATE PROCEDURE p() BEGIN SELECT 1 END //')).toThrow(/DELIMITER/);
  });

  it('sets the driver: never several statements per query, no stack capture per call unless asked', () => {
    const defaults = poolOptions({ engine: 'mysql', url: 'mysql://u:p@db.example:3307/shop' });
    expect(defaults).toMatchObject({ host: 'db.example', port: 3307, user: 'u', database: 'shop', multipleStatements: false, trace: false, charset: 'utf8mb4' });
    const chosen = poolOptions({ engine: 'mysql', url: 'mysql://u@db.example/shop', options: { trace: 'true', multipleStatements: true } });
    expect(chosen).toMatchObject({ trace: true, multipleStatements: false });
  });

  it('compiles MODIFY COLUMN from the full definition after the change', async () => {
    const before: SchemaState = { tables: { users: buildTableState('users', { id: t.serial().primaryKey(), name: t.varchar(50).notNull().default('x') }) } };
    const operation = op.alterColumn('users', 'name', t.varchar(80).notNull().default("it's"));
    const after = BUILTIN_OPERATIONS.find((d) => d.kind === 'alterColumn')!.applyToState(before, operation.args);
    expect(await dialect.compileOperation(operation, { dialect, stateBefore: before, stateAfter: after })).toEqual([
      { sql: "ALTER TABLE `users` MODIFY COLUMN `name` varchar(80) NOT NULL DEFAULT 'it''s'" },
    ]);
    expect(() => dialect.compileOperation(op.createIndex('users', { name: 'p', columns: ['name'], where: 'id > 1' } as never), { dialect, stateBefore: before, stateAfter: before })).toThrow(/partial/);
  });

  it('normalises what MySQL cannot tell apart', () => {
    const column = (type: object, extra: object = {}) => dialect.normalizeColumn({ name: 'c', type: type as never, nullable: true, ...extra });
    expect(column({ type: 'uuid' }).type).toEqual({ type: 'char', length: 36 });
    expect(column({ type: 'serial' })).toEqual({ name: 'c', type: { type: 'serial' }, nullable: false });
    expect(column({ type: 'custom', sql: 'INT(11) UNSIGNED' }).type).toEqual({ type: 'custom', sql: 'int unsigned' });
    expect(column({ type: 'custom', sql: 'BOOLEAN' }).type).toEqual({ type: 'boolean' });
    expect(column({ type: 'boolean' }, { default: { kind: 'value', value: 1 } }).default).toEqual({ kind: 'value', value: true });
    expect(column({ type: 'decimal', precision: 10, scale: 2 }, { default: { kind: 'value', value: '1.50' } }).default).toEqual({ kind: 'value', value: 1.5 });
    expect(column({ type: 'timestamp' }, { default: { kind: 'sql', sql: 'now()' } }).default).toEqual({ kind: 'sql', sql: 'CURRENT_TIMESTAMP' });
    expect(column({ type: 'text' }, { default: { kind: 'value', value: null } }).default).toBeUndefined();
  });
});

describe.runIf(!UNAVAILABLE)('MySQL dialect on the server', () => {
  let database: TestDatabase;
  let connection: MysqlConnection;
  beforeEach(async () => {
    database = await createTestDatabase();
    connection = (await dialect.connect(database.config)) as MysqlConnection;
  });
  afterEach(async () => {
    await connection?.close();
    await database?.drop();
  });

  const introspect = () => connection.introspector.introspect();
  const comparable = (state: SchemaState) =>
    JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(state.tables).map(([name, table]) => [name, { ...table, columns: table.columns.map((c) => dialect.normalizeColumn(c)) }]))));

  for (const mode of ['ANSI_QUOTES', 'NO_BACKSLASH_ESCAPES', 'ANSI_QUOTES,NO_BACKSLASH_ESCAPES']) {
    it(`binds values and writes defaults correctly under sql_mode ${mode}`, async () => {
      const awkward = ['it\'s', 'back\\slash', '"double"', "\\'; DROP TABLE notes; --", 'ünïcödé 🎉', '%_'];
      const table = buildTableState('notes', {
        id: t.serial().primaryKey(),
        body: t.text(),
        label: t.varchar(60).notNull().default('a\\b \'c\' "d"'),
      });
      await connection.transaction(async () => {
        // The session's sql_mode: the transaction keeps one connection.
        await connection.execute({ sql: `SET SESSION sql_mode = CONCAT(@@sql_mode, ',${mode}')` });
        await applyOperations(connection, [createOperation('createTable', table)], { tables: {} });
        for (const value of awkward) await connection.execute({ sql: 'INSERT INTO notes (body) VALUES (?)', params: [value] });
        const rows = await connection.query<{ body: string; label: string }>('SELECT body, label FROM notes WHERE body IN (?, ?, ?, ?, ?, ?) ORDER BY id', awkward);
        expect(rows.map((row) => row.body)).toEqual(awkward);
        expect(new Set(rows.map((row) => row.label))).toEqual(new Set(['a\\b \'c\' "d"']));
      });
      expect(comparable(await introspect())).toEqual(comparable({ tables: { notes: table } }));
    });
  }

  it('reads back types, defaults and keys exactly', async () => {
    const table = buildTableState(
      'kinds',
      {
        id: t.bigserial().primaryKey(),
        flag: t.boolean().notNull().default(true),
        amount: t.decimal(12, 3).default('1.500'),
        ratio: t.real(),
        big: t.double().notNull().default(0),
        day: t.date().default('2020-01-02'),
        at: t.timestamp().notNull().default(sql`CURRENT_TIMESTAMP`),
        at_tz: t.timestamp({ withTimeZone: true }),
        doc: t.json(),
        key: t.uuid().notNull().unique(),
        bytes: t.blob(),
        code: t.char(3).default('abc'),
        notes: t.text().default('long text default'),
        // enum('s','m','l') is read back too (see the Sakila test), but core's t.custom refuses quotes for now.
        count: t.custom('int unsigned').notNull().default(0),
        tiny: t.smallint(),
      },
      { indexes: [{ name: 'kinds_notes_idx', columns: ['notes'] }] },
    );
    await applyOperations(connection, [createOperation('createTable', table)], { tables: {} });
    expect(comparable(await introspect())).toEqual(comparable({ tables: { kinds: table } }));
  });

  it('keeps the index a foreign key needs: created with it, kept when another index goes, dropped with it', async () => {
    const parents = buildTableState('parents', { id: t.serial().primaryKey() });
    const children = buildTableState('children', { id: t.serial().primaryKey(), parent_id: t.integer(), other: t.integer() }, {
      indexes: [{ name: 'children_parent_other_idx', columns: ['parent_id', 'other'] }],
    });
    let state = await applyOperations(connection, [createOperation('createTable', parents), createOperation('createTable', children)], { tables: {} });
    const indexNames = async () =>
      (await connection.query<{ name: string }>("SELECT DISTINCT INDEX_NAME AS name FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'children' ")).map((r) => r.name).sort();
    const steps: Operation[] = [
      op.addForeignKey('children', { name: 'children_parent_fk', columns: ['parent_id'], references: { table: 'parents', columns: ['id'] }, onDelete: 'cascade' }),
      op.dropIndex('children', 'children_parent_other_idx'),
      op.dropForeignKey('children', 'children_parent_fk'),
    ];
    const states: SchemaState[] = [state];
    state = await applyOperations(connection, [steps[0]!], state);
    expect(await indexNames()).toEqual(['PRIMARY', 'children_parent_other_idx']);
    states.push(state);
    state = await applyOperations(connection, [steps[1]!], state);
    expect(await indexNames()).toEqual(['PRIMARY', 'children_parent_fk']);
    expect(comparable(await introspect())).toEqual(comparable(state));
    states.push(state);
    state = await applyOperations(connection, [steps[2]!], state);
    expect(await indexNames()).toEqual(['PRIMARY']);
    expect(comparable(await introspect())).toEqual(comparable(state));
    // And every step reversed, last first, returns the schema to what it was.
    for (let i = steps.length - 1; i >= 0; i--) {
      const reverse = BUILTIN_OPERATIONS.find((d) => d.kind === steps[i]!.kind)!.reverse(steps[i]!.args, states[i]!);
      expect(reverse).not.toBe(IRREVERSIBLE);
      state = await applyOperations(connection, reverse as Operation[], state);
      expect(comparable(await introspect())).toEqual(comparable(states[i]!));
    }
  });

  it('alters an indexed varchar to text and back (index prefix added and removed in the same statement)', async () => {
    const table = buildTableState('docs', { id: t.integer().primaryKey(), title: t.varchar(100) }, { indexes: [{ name: 'docs_title_idx', columns: ['title'], unique: true }] });
    const initial = await applyOperations(connection, [createOperation('createTable', table)], { tables: {} });
    const changed = await applyOperations(connection, [op.alterColumn('docs', 'title', t.text().notNull())], initial);
    expect(comparable(await introspect())).toEqual(comparable(changed));
    await applyOperations(connection, [op.alterColumn('docs', 'title', t.varchar(100))], changed);
    expect(comparable(await introspect())).toEqual(comparable(initial));
  });

  it('runs a runSql script one statement at a time and refuses DELIMITER before running anything', async () => {
    await connection.execute({ sql: 'CREATE TABLE n (v varchar(20))' });
    await applyOperations(connection, [op.runSql("INSERT INTO n VALUES ('a;1'); INSERT INTO n VALUES ('b'); -- done;")], { tables: {} });
    expect((await connection.query<{ v: string }>('SELECT v FROM n ORDER BY v')).map((r) => r.v)).toEqual(['a;1', 'b']);
    expect(() => dialect.compileOperation(op.runSql('DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END //'), { dialect, stateBefore: { tables: {} }, stateAfter: { tables: {} } })).toThrow(/DELIMITER/);
    await applyOperations(connection, [op.runSql('CREATE PROCEDURE covet_p() BEGIN SELECT 1; SELECT 2; END')], { tables: {} });
    expect((await introspect()).unmanaged).toContainEqual({ kind: 'procedure', name: 'covet_p' });
  });

  it("carries MySQL's code, errno and SQLSTATE on a failed statement, in one line", async () => {
    const error = await connection.execute({ sql: 'SELECT * FROM missing_table' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'QUERY_FAILED', errno: 1146, sqlState: '42S02', mysqlCode: 'ER_NO_SUCH_TABLE' });
    expect((error as Error).message).toMatch(/^Table '.*missing_table' doesn't exist \[ER_NO_SUCH_TABLE, errno 1146, SQLSTATE 42S02\]$/);
  });

  it('rolls back the rows written after the last DDL statement of a transaction', async () => {
    await connection.execute({ sql: 'CREATE TABLE r (id int PRIMARY KEY)' });
    await expect(
      connection.transaction(async () => {
        await connection.execute({ sql: 'INSERT INTO r VALUES (?)', params: [1] });
        await connection.execute({ sql: 'CREATE TABLE r2 (id int PRIMARY KEY)' }); // commits the row above
        await connection.execute({ sql: 'INSERT INTO r VALUES (?)', params: [2] });
        await connection.transaction(async () => {
          await connection.execute({ sql: 'INSERT INTO r VALUES (?)', params: [3] });
          throw new Error('inner');
        }).catch(() => undefined);
        throw new Error('outer');
      }),
    ).rejects.toThrow('outer');
    expect((await connection.query<{ id: number }>('SELECT id FROM r ORDER BY id')).map((r) => r.id)).toEqual([1]);
    expect(await connection.tableExists('r2')).toBe(true);
  });

  it('makes a failed five-operation migration undoable: reversing the operations that ran restores the schema', async () => {
    // What the runner does for a non-transactional dialect (issue 5, item 4): operation 3 fails,
    // operations 2 and 1 are reversed, and the tracking table is not touched.
    await connection.execute({ sql: 'CREATE TABLE covet_migrations (id int AUTO_INCREMENT PRIMARY KEY, name varchar(255) NOT NULL)' });
    const base = buildTableState('accounts', { id: t.serial().primaryKey(), email: t.varchar(100).notNull() });
    const initial = await applyOperations(connection, [createOperation('createTable', base)], { tables: {} });
    const before = comparable(await introspect());
    const operations: Operation[] = [
      op.addColumn('accounts', 'nickname', t.varchar(40)),
      op.createIndex('accounts', { name: 'accounts_email_key', columns: ['email'], unique: true }),
      op.runSql('INSERT INTO no_such_table VALUES (1)', 'SELECT 1'),
      op.renameColumn('accounts', 'nickname', 'handle'),
      op.dropColumn('accounts', 'handle'),
    ];
    const ran: { operation: Operation; stateBefore: SchemaState }[] = [];
    let state = initial;
    let failure: unknown;
    for (const operation of operations) {
      try {
        const stateBefore = state;
        state = await applyOperations(connection, [operation], state);
        ran.push({ operation, stateBefore });
      } catch (error) {
        failure = error;
        break;
      }
    }
    expect(ran).toHaveLength(2);
    expect(failure).toMatchObject({ errno: 1146 });
    for (const { operation, stateBefore } of ran.reverse()) {
      const reverse = BUILTIN_OPERATIONS.find((d) => d.kind === operation.kind)!.reverse(operation.args, stateBefore) as Operation[];
      state = await applyOperations(connection, reverse, state);
    }
    expect(comparable(await introspect())).toEqual(before);
    expect(await connection.query('SELECT * FROM covet_migrations')).toEqual([]);
  });
});

if (UNAVAILABLE) reportSkipped('MySQL dialect on the server');
