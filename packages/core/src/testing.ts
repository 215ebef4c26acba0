// `@covet/core/testing`: the conformance suite every dialect, first-party or third-party, runs
// against itself on a real database. It registers vitest `describe`/`it` blocks.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
export { findWorkspaceRoot } from './testing/workspace-root.js';
export { BOOKKEEPING_TABLES, shapesOf } from './runner/tracking-table.js';
export type { BookkeepingTable, BookkeepingVersion } from './runner/tracking-table.js';
import { describeBookkeepingConformance } from './testing/bookkeeping-conformance.js';
import { apply, compile } from './testing/apply-operations.js';
import { describeIdentifierProperty } from './testing/identifier-property.js';
import { describeLockConformance } from './testing/lock-conformance.js';
export { createCliProject, describeCliHistory, migrationSource } from './testing/cli-history.js';
export { describeCliHooks } from './testing/cli-hooks.js';
export type { CliDatabase, CliHistoryOptions, CliProject, CliProjectOptions, CliRunResult } from './testing/cli-history.js';
import type { DatabaseConfig, Dialect, DialectConnection } from './dialect/dialect.js';
import { BUILTIN_OPERATION_KINDS } from './operations/builtin/index.js';
import { createOperation, IRREVERSIBLE, type Operation, type OperationRegistry } from './operations/define-operation.js';
import { checkOperationSql } from './operations/operation-sql.js';
import { createCovet } from './plugin/covet.js';
import { buildTableState } from './schema/define-table.js';
import { createNameRecord } from './schema/name-record.js';
import { identifierLength, identifierProblem, validateIdentifier } from './schema/identifiers.js';
import { identifierRulesOf } from './dialect/identifier-rules.js';
import { getTable } from './state/schema-state.js';
import { t } from './schema/column-builder.js';
import type { ColumnState, SchemaState, SqlStatement, TableState } from './schema/types.js';

/** A database made for one test, and how to remove it. */
export interface ConformanceDatabase {
  readonly config: DatabaseConfig;
  drop(): Promise<void>;
}

/** Options of {@link runDialectConformance}. */
export interface DialectConformanceOptions {
  /** The suite's name in the test report, e.g. `sqlite`. */
  readonly name: string;
  /** The dialect under test. */
  readonly dialect: Dialect;
  /** Creates an empty database for one test (a temp file, a fresh PostgreSQL database, ...). */
  createDatabase(): Promise<ConformanceDatabase>;
  /**
   * Plugins (or factories, or `[plugin, options]` pairs, as in a config's `plugins`) whose
   * operation kinds the dialect must have SQL for, besides the built-ins: list the plugins
   * your dialect supplies SQL for through `operationSql`. Default none.
   */
  readonly plugins?: readonly unknown[];
  /**
   * Creates an empty database that two connections of this process reach at once, for the
   * migration-lock tests (two runs against one database). Default {@link createDatabase};
   * supply it when `createDatabase` gives each connection a database of its own (an in-memory
   * one). Where a second connection waits to open the database (PGlite's data directory), make
   * that wait long enough for a short run to finish (2 s or more) and short enough for a test
   * (a few seconds): the lock-timeout test waits for it to give up.
   */
  createSharedDatabase?(): Promise<ConformanceDatabase>;
}

/**
 * The registry of a `Covet` instance with the built-ins and `plugins`, after checking that
 * `dialect` has SQL for every kind in it: a kind without stops the suite, naming the kind and
 * the dialect, before any database is made.
 */
function conformanceRegistry(dialect: Dialect, name: string, plugins: readonly unknown[] = []): OperationRegistry {
  const registry = createCovet({ plugins }).operations;
  checkOperationSql(
    registry.kinds().map((kind) => registry.get(kind)),
    dialect,
    `runDialectConformance ${name}`,
  );
  return registry;
}

function withoutUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * A state as the dialect reports it, for comparison: columns through `normalizeColumn`,
 * indexes and foreign keys through `normalizeTable` and by name, unmanaged objects left out. A primary key name is only
 * compared when `expected` has one (databases that always name primary keys report a name the
 * portable state may not hold).
 */
function comparable(dialect: Dialect, state: SchemaState, expected?: SchemaState, anyColumnOrder = false): unknown {
  const normalizeColumn = (column: ColumnState) => (dialect.normalizeColumn ? dialect.normalizeColumn(column) : column);
  const normalizeTable = (table: TableState) => (dialect.normalizeTable ? dialect.normalizeTable(table) : table);
  const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const tables = createNameRecord<unknown>();
  for (const name of Object.keys(state.tables).sort()) {
    const table = normalizeTable(getTable(state, name)!);
    const expectedKey = expected ? getTable(expected, name)?.primaryKey : undefined;
    const primaryKey = table.primaryKey
      ? expected && !expectedKey?.name
        ? { columns: table.primaryKey.columns }
        : table.primaryKey
      : undefined;
    tables[name] = withoutUndefined({
      name: table.name,
      columns: anyColumnOrder ? table.columns.map(normalizeColumn).sort(byName) : table.columns.map(normalizeColumn),
      primaryKey,
      indexes: [...table.indexes].sort(byName),
      foreignKeys: [...table.foreignKeys].sort(byName),
    });
  }
  return tables;
}

function expectSameState(dialect: Dialect, actual: SchemaState, expected: SchemaState, anyColumnOrder = false): void {
  expect(comparable(dialect, actual, expected, anyColumnOrder)).toEqual(comparable(dialect, expected, expected, anyColumnOrder));
}

/**
 * Names every engine holds when quoted, and the longest the dialect allows in its own unit:
 * spaces, unicode, quote characters of every dialect, reserved words, and the names a plain
 * JavaScript object inherits (`__proto__`, `constructor`, ...). Characters the dialect's
 * `checkIdentifier` refuses (MySQL: outside the BMP) are left out. Distinct even where names
 * compare without case or accents (MySQL columns).
 */
export function oddNames(dialect: Pick<Dialect, 'name' | 'capabilities' | 'checkIdentifier'>): string[] {
  const rules = identifierRulesOf(dialect);
  const names = ['__proto__', 'order items', 'café', 'a"b', 'it\'s', 'a`b', '[x]', 'select', 'constructor', 'toString', 'hasOwnProperty', 'Ω 表', '👍 ok'];
  const limit = dialect.capabilities.maxIdentifierLength;
  const unit = dialect.capabilities.identifierLengthUnit ?? 'characters';
  // The longest name: 'é' is 2 bytes, so a byte limit is met exactly with an odd tail of 'z'.
  const longest = Number.isFinite(limit) ? limit : 300;
  const wide = unit === 'bytes' ? 'é'.repeat(Math.floor((longest - 1) / 2)) : 'é'.repeat(longest - 1);
  names.push(`${wide}${'z'.repeat(longest - identifierLength(wide, unit))}`);
  return names.filter((name) => identifierProblem(name, rules) === undefined);
}

const authors = buildTableState('authors', {
  id: t.serial().primaryKey(),
  name: t.varchar(100).notNull(),
  email: t.varchar(255).unique(),
});
const posts = buildTableState(
  'posts',
  {
    id: t.serial().primaryKey(),
    author_id: t.integer().notNull().references('authors', 'id', { onDelete: 'cascade' }),
    reviewer_id: t.integer(),
    title: t.varchar(200).notNull().default('untitled'),
    body: t.text(),
    published: t.boolean().notNull().default(false),
    score: t.decimal(10, 2),
  },
  { indexes: [{ name: 'posts_title_idx', columns: ['title'] }] },
);
const tags = buildTableState('tags', { id: t.integer().primaryKey(), label: t.text() });

/** The 12 built-in operations as the suite exercises them, each on the base schema. */
function conformanceOperations(quote: (name: string) => string): { name: string; operation: Operation }[] {
  const comments = buildTableState('comments', {
    id: t.serial().primaryKey(),
    post_id: t.integer().notNull().references('posts', 'id', { onDelete: 'cascade', name: 'comments_post_fk' }),
    body: t.text().notNull(),
    slug: t.varchar(50).unique(),
  });
  return [
    { name: 'createTable', operation: createOperation('createTable', comments) },
    { name: 'dropTable', operation: createOperation('dropTable', { name: 'tags' }) },
    { name: 'renameTable (a referenced table)', operation: createOperation('renameTable', { from: 'authors', to: 'writers' }) },
    {
      name: 'addColumn',
      operation: createOperation('addColumn', { table: 'posts', column: { name: 'subtitle', type: { type: 'varchar', length: 100 }, nullable: true, default: { kind: 'value', value: "it's" } } }),
    },
    {
      name: 'addColumn (NOT NULL with a default)',
      operation: createOperation('addColumn', { table: 'posts', column: { name: 'views', type: { type: 'bigint' }, nullable: false, default: { kind: 'value', value: 0 } } }),
    },
    { name: 'dropColumn', operation: createOperation('dropColumn', { table: 'posts', column: 'body' }) },
    { name: 'dropColumn (indexed)', operation: createOperation('dropColumn', { table: 'posts', column: 'title' }) },
    {
      name: 'alterColumn',
      operation: createOperation('alterColumn', { table: 'posts', column: { name: 'title', type: { type: 'varchar', length: 300 }, nullable: true, default: { kind: 'value', value: 'none' } } }),
    },
    {
      name: 'alterColumn (a referenced table)',
      operation: createOperation('alterColumn', { table: 'authors', column: { name: 'name', type: { type: 'text' }, nullable: true } }),
    },
    { name: 'renameColumn', operation: createOperation('renameColumn', { table: 'posts', from: 'title', to: 'headline' }) },
    {
      name: 'createIndex',
      operation: createOperation('createIndex', { table: 'posts', index: { name: 'posts_author_title_key', columns: ['author_id', 'title'], unique: true } }),
    },
    { name: 'dropIndex', operation: createOperation('dropIndex', { table: 'posts', name: 'posts_title_idx' }) },
    { name: 'renameIndex', operation: createOperation('renameIndex', { table: 'posts', from: 'posts_title_idx', to: 'posts_headline_idx' }) },
    {
      name: 'addForeignKey',
      operation: createOperation('addForeignKey', {
        table: 'posts',
        foreignKey: { name: 'posts_reviewer_fk', columns: ['reviewer_id'], references: { table: 'authors', columns: ['id'] }, onDelete: 'set null', onUpdate: 'no action' },
      }),
    },
    { name: 'dropForeignKey', operation: createOperation('dropForeignKey', { table: 'posts', name: 'posts_author_id_fkey' }) },
    {
      name: 'runSql',
      operation: createOperation('runSql', {
        sql: `INSERT INTO ${quote('tags')} (${quote('id')}, ${quote('label')}) VALUES (100, 'from runSql')`,
        reverseSql: `DELETE FROM ${quote('tags')} WHERE ${quote('id')} = 100`,
      }),
    },
  ];
}

async function countRows(connection: DialectConnection, quote: (name: string) => string, table: string): Promise<number> {
  const rows = await connection.query<{ count: number | string }>(`SELECT COUNT(*) AS ${quote('count')} FROM ${quote(table)}`);
  return Number(rows[0]!.count);
}

/**
 * Registers the dialect conformance suite. First, before any database is made, it checks that
 * the dialect has SQL for every operation kind registered by the built-ins and
 * `options.plugins` (its `operationSql` or the operation's own `sql`), and throws
 * `Dialect "foo" has no SQL for operation kind "views.createView" (runDialectConformance foo)`
 * for the first without. Then: each built-in operation applied to a small schema with rows
 * and reversed, with the introspected schema checked after each step; identifiers that are
 * reserved words or mixed case; injection attempts; and transactional rollback.
 *
 * @example
 * // packages/dialect-foo/test/conformance.test.ts
 * import { runDialectConformance } from '@covet/core/testing';
 * runDialectConformance({
 *   name: 'foo',
 *   dialect: createFooDialect(),
 *   async createDatabase() {
 *     const name = await createTemporaryFooDatabase();
 *     return { config: { engine: 'foo', name }, drop: () => dropFooDatabase(name) };
 *   },
 * });
 */
export function runDialectConformance(options: DialectConformanceOptions): void {
  const { dialect } = options;
  const registry = conformanceRegistry(dialect, options.name, options.plugins);
  const quote = (name: string) => dialect.quoteIdentifier(name);
  const placeholders = (count: number) => Array.from({ length: count }, (_, i) => dialect.placeholder(i + 1)).join(', ');

  describe(`dialect conformance: ${options.name}: operation catalogue`, () => {
    it('exercises every built-in operation kind', () => {
      const exercised = new Set(conformanceOperations(quote).map(({ operation }) => operation.kind));
      expect(BUILTIN_OPERATION_KINDS.filter((kind) => !exercised.has(kind))).toEqual([]);
    });
  });

  describe(`dialect conformance: ${options.name}`, () => {
    let database: ConformanceDatabase;
    let connection: DialectConnection;

    beforeEach(async () => {
      database = await options.createDatabase();
      connection = await dialect.connect(database.config);
    });
    afterEach(async () => {
      await connection?.close();
      await database?.drop();
    });

    async function createBaseSchema(): Promise<SchemaState> {
      const operations = [authors, posts, tags].map((table) => createOperation('createTable', table));
      await apply(dialect, connection, operations, { tables: {} }, registry);
      await connection.transaction(async () => {
        for (const [id, name, email] of [[1, 'Ada', 'ada@example.com'], [2, 'Grace', null]] as const) {
          await connection.execute({ sql: `INSERT INTO ${quote('authors')} (${['id', 'name', 'email'].map(quote).join(', ')}) VALUES (${placeholders(3)})`, params: [id, name, email] });
        }
        for (const [id, author, title, published] of [[1, 1, 'First', true], [2, 1, 'Second', false], [3, 2, 'Third', true]] as const) {
          await connection.execute({
            sql: `INSERT INTO ${quote('posts')} (${['id', 'author_id', 'title', 'published', 'score'].map(quote).join(', ')}) VALUES (${placeholders(5)})`,
            params: [id, author, title, published, '1.50'],
          });
        }
      });
      return connection.introspector.introspect();
    }

    it('introspects the state it created', async () => {
      const state = await createBaseSchema();
      expectSameState(dialect, state, { tables: { authors, posts, tags } });
    });

    for (const { name, operation } of conformanceOperations(quote)) {
      it(`${name}: applies, introspects as its state, and reverses`, async () => {
        const initial = await createBaseSchema();
        const counts = { authors: await countRows(connection, quote, 'authors'), posts: await countRows(connection, quote, 'posts') };

        const expected = await apply(dialect, connection, [operation], initial, registry);
        const after = await connection.introspector.introspect();
        expectSameState(dialect, after, expected);
        for (const table of ['authors', 'posts'] as const) {
          if (getTable(after, table)) expect(await countRows(connection, quote, table), `rows of ${table}`).toBe(counts[table]);
        }

        const reverse = registry.get(operation.kind).reverse(operation.args, initial);
        expect(reverse).not.toBe(IRREVERSIBLE);
        await apply(dialect, connection, reverse as readonly Operation[], after, registry);
        const restored = await connection.introspector.introspect();
        // A dropped column comes back at the end of the table: no database adds one in place.
        expectSameState(dialect, restored, initial, true);
        for (const table of ['authors', 'posts'] as const) {
          expect(await countRows(connection, quote, table), `rows of ${table} after the reverse`).toBe(counts[table]);
        }
      });
    }

    it('runSql changes rows and its reverse restores them', async () => {
      await createBaseSchema();
      const operation = conformanceOperations(quote).find((o) => o.name === 'runSql')!.operation;
      const state = await connection.introspector.introspect();
      await apply(dialect, connection, [operation], state, registry);
      expect(await countRows(connection, quote, 'tags')).toBe(1);
      await apply(dialect, connection, registry.get(operation.kind).reverse(operation.args, state) as Operation[], state, registry);
      expect(await countRows(connection, quote, 'tags')).toBe(0);
    });

    it('handles reserved words and mixed case as identifiers', async () => {
      const group = buildTableState('Group', { id: t.integer().primaryKey(), Name: t.text().notNull() });
      const order = buildTableState(
        'order',
        {
          id: t.serial().primaryKey(),
          select: t.varchar(20).default('from'),
          group_id: t.integer().references('Group', 'id', { name: 'order_Group_fk' }),
        },
        { indexes: [{ name: 'Order_Select_idx', columns: ['select'] }] },
      );
      let state = await apply(dialect, connection, [createOperation('createTable', group), createOperation('createTable', order)], { tables: {} }, registry);
      await connection.execute({ sql: `INSERT INTO ${quote('Group')} (${quote('id')}, ${quote('Name')}) VALUES (${placeholders(2)})`, params: [1, 'g'] });
      await connection.execute({ sql: `INSERT INTO ${quote('order')} (${quote('select')}, ${quote('group_id')}) VALUES (${placeholders(2)})`, params: ['x', 1] });
      expectSameState(dialect, await connection.introspector.introspect(), state);

      const operations = [
        createOperation('addColumn', { table: 'order', column: { name: 'Where', type: { type: 'integer' }, nullable: true } }),
        createOperation('alterColumn', { table: 'order', column: { name: 'select', type: { type: 'text' }, nullable: false, default: { kind: 'value', value: 'from' } } }),
        createOperation('renameColumn', { table: 'order', from: 'select', to: 'From' }),
        createOperation('renameTable', { from: 'Group', to: 'Table' }),
      ];
      state = await apply(dialect, connection, operations, state, registry);
      expectSameState(dialect, await connection.introspector.introspect(), state);
      expect(await countRows(connection, quote, 'order')).toBe(1);
    });

    it('quoteLiteral writes values that read back exactly, in a query and in DDL', async () => {
      expect(typeof dialect.quoteLiteral, 'the dialect has quoteLiteral').toBe('function');
      const literal = (value: Parameters<NonNullable<Dialect['quoteLiteral']>>[0]) => dialect.quoteLiteral!(value);
      const strings = ["it's", 'a\\b', "\\'", "''", "back\\\\slash'quote\\", 'line\nbreak\ttab', 'é 😀 %_', '', '$1 ? :name', "'; DROP TABLE posts; --"];
      for (const value of strings) {
        const [row] = await connection.query<{ v: unknown }>(`SELECT ${literal(value)} AS v`);
        expect(row!.v, `SELECT ${literal(value)}`).toBe(value);
      }
      for (const value of [42, -7, 0, 1099511627776n]) {
        const [row] = await connection.query<{ v: unknown }>(`SELECT ${literal(value)} AS v`);
        expect(String(row!.v)).toBe(String(value));
      }
      const [nothing] = await connection.query<{ v: unknown }>(`SELECT ${literal(null)} AS v`);
      expect(nothing!.v).toBeNull();
      // DDL takes no bound values: a default holding quotes and backslashes.
      const tricky = "O'Brien\\n \\' end";
      await connection.execute({ sql: `CREATE TABLE ${quote('literals')} (${quote('id')} integer, ${quote('v')} varchar(100) DEFAULT ${literal(tricky)})` });
      await connection.execute({ sql: `INSERT INTO ${quote('literals')} (${quote('id')}) VALUES (${placeholders(1)})`, params: [1] });
      const [stored] = await connection.query<{ v: unknown }>(`SELECT ${quote('v')} AS v FROM ${quote('literals')}`);
      expect(stored!.v).toBe(tricky);
      expect(() => literal('nul\0byte')).toThrow(/NUL/);
      expect(() => literal(Number.NaN)).toThrow(/NaN cannot be an SQL literal/);
    });

    it('holds names with quotes and SQL in them as names: quoted, never run', async () => {
      const initial = await createBaseSchema();
      const hostile = 'users"; DROP TABLE posts; --';
      const tables = [hostile, 'x`; DROP TABLE posts; --', "x'); DROP TABLE posts; --", 'x]; DROP TABLE posts; --'].map((name) =>
        buildTableState(name, { id: t.integer().primaryKey(), [hostile]: t.text() }, { indexes: [{ name: `${name}_i`, columns: [hostile] }] }),
      );
      let state = await apply(dialect, connection, tables.map((table) => createOperation('createTable', table)), initial, registry);
      expectSameState(dialect, await connection.introspector.introspect(), state);
      state = await apply(dialect, connection, tables.map((table) => createOperation('dropTable', { name: table.name })), state, registry);
      expectSameState(dialect, await connection.introspector.introspect(), initial);
      expect(await countRows(connection, quote, 'posts')).toBe(3);
    });

    it('refuses a name the engine cannot hold before any SQL runs, naming the reason', async () => {
      const initial = await createBaseSchema();
      const rules = identifierRulesOf(dialect);
      const refused = ['a\u0000b', 'a\uD800b'];
      const limit = dialect.capabilities.maxIdentifierLength;
      if (Number.isFinite(limit)) refused.push('x'.repeat(limit + 1));
      for (const name of refused) {
        expect(() => dialect.quoteIdentifier(name)).toThrow(/Invalid identifier/);
        expect(() => validateIdentifier(name, 'table', rules)).toThrow(/Invalid identifier/);
        const attempts = [
          createOperation('createTable', { name, columns: [{ name: 'id', type: { type: 'integer' }, nullable: false }], indexes: [], foreignKeys: [] }),
          createOperation('addColumn', { table: 'posts', column: { name, type: { type: 'integer' }, nullable: true } }),
          createOperation('createIndex', { table: 'posts', index: { name, columns: ['title'], unique: false } }),
        ];
        for (const operation of attempts) {
          await expect(
            Promise.resolve().then(() =>
              dialect.compileOperation(operation, { dialect, stateBefore: initial, stateAfter: initial, query: connection.query.bind(connection) }),
            ),
          ).rejects.toThrow(/Invalid identifier/);
        }
      }
      expectSameState(dialect, await connection.introspector.introspect(), initial);
    });

    it('creates, introspects, changes and drops odd legal names exactly', async () => {
      const names = oddNames(dialect);
      const [first, second, ...rest] = names;
      // One table per name, its key column named like it, a column referencing the first table
      // named like the first table, an index and a foreign key named after it.
      const created = names.map((name, i) =>
        buildTableState(
          name,
          {
            [name]: t.integer().primaryKey(),
            [i === 0 ? 'ref' : first!]: t.integer().references(first!, first!, { name: `${i} ${name.slice(0, 12)} fk` }),
            note: t.text(),
          },
          { indexes: [{ name: `${name.slice(0, 12)} ${i} ix`, columns: ['note'] }] },
        ),
      );
      let state = await apply(dialect, connection, created.map((table) => createOperation('createTable', table)), { tables: {} }, registry);
      expectSameState(dialect, await connection.introspector.introspect(), state);
      for (const name of names) {
        await connection.execute({ sql: `INSERT INTO ${quote(name)} (${quote(name)}, ${quote('note')}) VALUES (${placeholders(2)})`, params: [1, name] });
      }
      const changes = [
        createOperation('addColumn', { table: second!, column: { name: rest[0] ?? 'added', type: { type: 'text' }, nullable: true } }),
        createOperation('renameColumn', { table: second!, from: 'note', to: `${second} note` }),
        createOperation('renameTable', { from: second!, to: `${second} renamed` }),
      ];
      state = await apply(dialect, connection, changes, state, registry);
      expectSameState(dialect, await connection.introspector.introspect(), state);
      const notes = await connection.query<Record<string, unknown>>(`SELECT ${quote(`${second} note`)} AS ${quote('n')} FROM ${quote(`${second} renamed`)}`);
      expect(notes.map((row) => row.n)).toEqual([second]);
      const drops = [...names.slice(2).reverse(), `${second} renamed`, first!].map((name) => createOperation('dropTable', { name }));
      state = await apply(dialect, connection, drops, state, registry);
      expect(Object.keys(state.tables)).toEqual([]);
      expect(Object.keys((await connection.introspector.introspect()).tables)).toEqual([]);
    });

    // Where DDL commits implicitly (MySQL), a failing statement cannot take the CREATE TABLE
    // before it back: only the failure itself is asserted there.
    it(`${dialect.capabilities.transactionalDdl ? 'leaves the schema unchanged' : 'reports the failure'} when a statement in a transaction fails`, async () => {
      const initial = await createBaseSchema();
      const extra = buildTableState('extra', { id: t.integer().primaryKey() });
      await expect(
        connection.transaction(async () => {
          const { statements } = await compile(dialect, connection, createOperation('createTable', extra), initial, registry);
          for (const statement of statements) await connection.execute(statement);
          await connection.execute({ sql: `INSERT INTO ${quote('posts')} (${quote('nope')}) VALUES (1)` });
        }),
      ).rejects.toThrow();
      if (dialect.capabilities.transactionalDdl) {
        expectSameState(dialect, await connection.introspector.introspect(), initial);
        expect(await connection.tableExists('extra')).toBe(false);
      }
      // Either way the connection is usable afterwards.
      expect(await countRows(connection, quote, 'posts')).toBe(3);
    });

    it('rolls back rows written in a failed transaction', async () => {
      await createBaseSchema();
      await expect(
        connection.transaction(async () => {
          await connection.execute({ sql: `INSERT INTO ${quote('tags')} (${quote('id')}) VALUES (${placeholders(1)})`, params: [7] });
          await connection.execute({ sql: `INSERT INTO ${quote('tags')} (${quote('nope')}) VALUES (1)` });
        }),
      ).rejects.toThrow();
      expect(await countRows(connection, quote, 'tags')).toBe(0);
    });

    it('runs an operation in the migration lock, and a transaction inside it', async () => {
      const initial = await createBaseSchema();
      const extra = buildTableState('extra', { id: t.integer().primaryKey() });
      const result = await connection.withMigrationLock(async () => {
        await apply(dialect, connection, [createOperation('createTable', extra)], initial, registry);
        return 'done';
      }, { timeoutMs: 5000 });
      expect(result).toBe('done');
      expect(await connection.tableExists('extra')).toBe(true);
    });

    it('nested transactions roll back only the inner work', async () => {
      await createBaseSchema();
      await connection.transaction(async () => {
        await connection.execute({ sql: `INSERT INTO ${quote('tags')} (${quote('id')}) VALUES (1)` });
        await expect(
          connection.transaction(async () => {
            await connection.execute({ sql: `INSERT INTO ${quote('tags')} (${quote('id')}) VALUES (2)` });
            throw new Error('inner failure');
          }),
        ).rejects.toThrow('inner failure');
      });
      expect(await countRows(connection, quote, 'tags')).toBe(1);
    });
  });

  describe(`dialect conformance: ${options.name}: generated names`, () => describeIdentifierProperty(dialect, () => options.createDatabase()));
  describeBookkeepingConformance(`dialect conformance: ${options.name}: Covet's own tables`, dialect, () => options.createDatabase());
  describeLockConformance(`dialect conformance: ${options.name}: migration lock`, dialect, () => (options.createSharedDatabase ? options.createSharedDatabase() : options.createDatabase()));
}
