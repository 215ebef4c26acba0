import type { IdentifierKind } from '../schema/identifiers.js';
import type { ColumnState, SchemaState, SqlStatement, TableState } from '../schema/types.js';

// The contract between core, dialects and operations: a dialect receives operations and
// compile contexts, and a compile context carries the dialect, so these types live in one
// module that imports nothing but the schema types (no dialect <-> operation import cycle).

/**
 * The version of the dialect contract below. A dialect states the version it implements so
 * core can refuse (with a clear message) one written for an incompatible contract.
 */
export const DIALECT_SPECIFICATION_VERSION = 'v1' as const;

/** An operation: plain, frozen, serialisable data. `kind` names its `OperationDefinition`. */
export interface Operation<Args = unknown> {
  readonly kind: string;
  readonly args: Args;
}

/** What validation knows of the target database (nothing, when there is none yet). */
export interface ValidationContext {
  readonly capabilities?: DialectCapabilities;
}

/** What a SQL renderer knows while it turns an operation into statements. */
export interface CompileContext {
  readonly dialect: Dialect;
  /** The schema before this operation. */
  readonly stateBefore: SchemaState;
  /** The schema after this operation. */
  readonly stateAfter: SchemaState;
  /**
   * Reads from the live database (for renderers that must look at what the state does not
   * hold, such as SQLite's table rebuild). Absent when compiling offline.
   */
  readonly query?: <Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]) => Promise<Row[]>;
}

/** What a database can do; core asks these instead of comparing dialect names. */
export interface DialectCapabilities {
  /** DDL runs inside a transaction and rolls back with it (PostgreSQL, SQLite; not MySQL). */
  readonly transactionalDdl: boolean;
  /** How a column's type, nullability or default changes: native ALTER, or a table rebuild. */
  readonly alterColumn: 'native' | 'rebuild';
  /**
   * Longest identifier the database accepts, in {@link DialectCapabilities.identifierLengthUnit}
   * (`Infinity` for none), checked before any SQL is sent: PostgreSQL 63 bytes, MySQL/MariaDB
   * 64 characters, SQLite none.
   */
  readonly maxIdentifierLength: number;
  /**
   * What `maxIdentifierLength` counts: UTF-8 `bytes` (PostgreSQL) or `characters` (Unicode
   * code points; MySQL). Default `characters`.
   */
  readonly identifierLengthUnit?: 'bytes' | 'characters';
  /**
   * Where index names must be unique: in the whole schema (PostgreSQL, SQLite; the default)
   * or only within their table (MySQL). Read only when `nameScopes` is not given.
   *
   * @deprecated Say `nameScopes`, which also tells where foreign key names live.
   */
  readonly indexNameScope?: 'schema' | 'table';
  /**
   * The engine's namespaces for the names of indexes and foreign keys: each lists the kinds
   * of names it holds and whether they must differ across the `schema` or within one `table`.
   * Two objects may share a name unless one namespace holds both their kinds. Within one
   * table, two indexes or two foreign keys never share a name (Covet knows them by name).
   * PostgreSQL: indexes in the schema, foreign keys per table (so a foreign key may be named
   * like an index, as MySQL dumps do); MySQL: indexes per table, foreign keys in the schema.
   * Default (a dialect that does not say): index names in the schema (or as
   * `indexNameScope` says), and index and foreign key names of a table all different.
   */
  readonly nameScopes?: readonly NameScope[];
  /**
   * `withMigrationLock` holds one transaction around the whole run (SQLite's `BEGIN
   * IMMEDIATE`): what the run does commits together when the lock is released, and each
   * migration's `transaction` is a savepoint inside it. The runner may then write the tracking
   * rows of a run together at its end. Default false (a lock that is not a transaction, as
   * PostgreSQL's advisory lock or MySQL's GET_LOCK).
   */
  readonly lockIsTransaction?: boolean;
}

/** A kind of name that a table's objects carry (see {@link DialectCapabilities.nameScopes}). */
export type NamedObjectKind = 'index' | 'foreignKey';

/** One namespace of an engine: the kinds of names it holds, and how far it reaches. */
export interface NameScope {
  readonly kinds: readonly NamedObjectKind[];
  /** `schema`: no two objects of these kinds anywhere in the schema share a name; `table`: none in one table. */
  readonly scope: 'schema' | 'table';
}

/** Database settings after configuration is resolved. Every key but `engine` is optional. */
export interface DatabaseConfig {
  /** Dialect name: `sqlite`, `postgres`, `mysql`, or a third-party dialect's name. */
  readonly engine: string;
  readonly url?: string;
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  /** Database name, or the file path for SQLite (`:memory:` for an in-memory database). */
  readonly name?: string;
  /** Schema (namespace) where the dialect has them; PostgreSQL's default is `public`. */
  readonly schema?: string;
  /** Driver options passed through as they are (SSL settings, timeouts, ...). */
  readonly options?: Readonly<Record<string, unknown>>;
  /**
   * The folder relative paths in these settings are relative to (a SQLite file name, a
   * certificate): the config file's folder when they came from the file, else the working
   * directory. Set by configuration resolution.
   */
  readonly root?: string;
}

/** Options of {@link DialectConnection.withMigrationLock}. */
export interface MigrationLockOptions {
  /** Give up after this long (milliseconds) with a `LOCK_TIMEOUT` error. */
  readonly timeoutMs: number;
  /** Called once if the lock is busy and the run starts waiting. */
  readonly onWait?: (message: string) => void;
}

/** Reads the live schema. */
export interface SchemaIntrospector {
  /**
   * The whole schema as state, in a small constant number of queries. Covet's own tables
   * (`covet_*`) are left out; views, triggers and other objects the state does not model are
   * listed in `unmanaged`.
   */
  introspect(): Promise<SchemaState>;
}

/** One open connection of a dialect, used for one run. */
export interface DialectConnection {
  readonly dialect: Dialect;
  /** Runs a read query with bound parameters and returns its rows. */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /**
   * Runs one statement with bound parameters. Statements that write Covet's own tables (the
   * tracking table and the tables beside it) come with `bookkeeping: true` (see
   * {@link SqlStatement.bookkeeping}): a dialect that treats them apart (SQLite skips its
   * foreign key check for them) reads the flag, never the SQL text.
   */
  execute(statement: SqlStatement): Promise<void>;
  /**
   * Optional: runs several statements in order in as few round trips as the driver allows
   * (the runner sends a whole migration and its tracking row this way when it can). If one
   * fails, the error thrown carries `statementIndex`, the position of the failing statement:
   * those before it ran, those after it did not.
   */
  executeAll?(statements: readonly SqlStatement[]): Promise<void>;
  /**
   * Runs `fn` in a transaction: commit when it resolves, roll back when it throws. A call
   * inside another `transaction` or inside `withMigrationLock` (where a dialect may hold a
   * transaction as its lock) uses a savepoint, so the inner work is still all-or-nothing.
   */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /**
   * Holds the dialect's migration lock while `fn` runs, so two runs never apply the same
   * migration. Waits up to `timeoutMs`, calling `onWait` once; then fails with a CovetError
   * whose code is `LOCK_TIMEOUT`. If `fn` throws, everything it did that is not yet
   * committed is rolled back.
   */
  withMigrationLock<T>(fn: () => Promise<T>, options: MigrationLockOptions): Promise<T>;
  /**
   * Optional, for databases without transactional DDL: runs one statement so that it commits
   * at once and stays committed whatever happens to the transaction the run holds (on a
   * session of its own, in autocommit mode). The runner writes its intent record this way
   * (which migration is part-way, which operations are done), so that the record survives a
   * killed process or a lost connection. Without it the runner uses `execute`.
   */
  executeDurably?(statement: SqlStatement): Promise<void>;
  /**
   * Optional, with `executeDurably`: runs `statements` in one transaction on a session of its
   * own, committed at once when all succeeded, rolled back (none of them kept) when one fails.
   * The runner writes a migration's tracking row and the intent record's next note this way:
   * one commit where two would take two (see the runner's intent record). Without it each is
   * written on its own.
   */
  executeDurablyAll?(statements: readonly SqlStatement[]): Promise<void>;
  /**
   * Optional, for databases without transactional DDL: whether a statement commits on its own
   * (DDL on MySQL), so that a rollback cannot undo it. The runner asks it about the statements
   * a migration's custom code runs, to know what a failure of that code leaves behind.
   * Without it every such statement is taken to commit.
   */
  commitsImplicitly?(sql: string): boolean;
  /**
   * Optional, for databases with transactional DDL: cancels the statement the run's session is
   * running now, if any (PostgreSQL: `pg_cancel_backend` from another session). The runner
   * calls it when its run is stopped (SIGINT/SIGTERM), so the current migration rolls back at
   * once instead of after a long statement; the statement then fails, and the run reports the
   * stop instead.
   */
  cancel?(): Promise<void>;
  /** Whether a table exists (used for the tracking table). */
  tableExists(name: string): Promise<boolean>;
  /**
   * Optional: the column names of a table, in order (used to check the shape of Covet's own
   * tables before upgrading them). Without it core probes the columns it knows one by one.
   */
  tableColumns?(name: string): Promise<string[]>;
  /** The introspector of this connection. */
  readonly introspector: SchemaIntrospector;
  close(): Promise<void>;
}

/**
 * A dialect's SQL renderers by operation kind ({@link Dialect.operationSql}). A renderer for a
 * plugin's kind takes that kind's arguments: `(args: ViewArgs, context) => [...]`.
 */
export type OperationSqlTable = {
  readonly [kind: string]: ((args: never, context: CompileContext) => readonly SqlStatement[] | Promise<readonly SqlStatement[]>) | undefined;
};

/** A value {@link Dialect.quoteLiteral} can write. */
export type SqlLiteral = string | number | bigint | boolean | null;

/**
 * A database dialect: how Covet talks to one kind of database. First-party dialects and
 * third-party ones (`covet-dialect-*`) implement the same interface, registered by a plugin
 * through `covet.dialects.register(dialect)`. See `docs/writing-a-dialect.md`.
 */
export interface Dialect {
  readonly specificationVersion: typeof DIALECT_SPECIFICATION_VERSION;
  /** The engine name users put in `database.engine`, e.g. `sqlite`. */
  readonly name: string;
  /**
   * Optional: the engine whose SQL this dialect speaks, when it is not its own name: a
   * PostgreSQL-compatible engine (PGlite, a wire-compatible server) says `'postgres'`, a
   * MySQL-compatible one `'mysql'`. An operation's `sql[family]` then serves this dialect when
   * the operation has no `sql[name]` and the dialect has no SQL of its own for the kind, so a
   * plugin that wrote `sql.postgres` works here unchanged (see `compileOperationSql`). Plugins
   * ask `dialectFamily(dialect)` rather than compare names. Unset: the family is `name`.
   */
  readonly family?: string;
  readonly capabilities: DialectCapabilities;
  /** Quotes an identifier (already validated) for this database. */
  quoteIdentifier(name: string): string;
  /**
   * Optional: the engine's own rules for names beyond core's (no NUL, no lone surrogate) and
   * the length limit in `capabilities`. Returns why `name` is refused — naming the character,
   * its position and the rule — or `undefined` when the engine accepts it. Example: MySQL
   * refuses characters outside the Basic Multilingual Plane and names ending with a space.
   * Only what the engine refuses or cannot round-trip belongs here; restricting names further
   * is a policy plugin's job. `kind` says what the name names where the caller knows it (the
   * runner does, for operations' arguments): MySQL/MariaDB hold a table's name to the limit of
   * the file named after it as well.
   */
  checkIdentifier?(name: string, kind?: IdentifierKind): string | undefined;
  /** The placeholder for the `index`-th bound value (1-based): `?` or `$1`. */
  placeholder(index: number): string;
  /**
   * Optional (every first-party dialect and {@link DialectBase} have it). A value as an SQL
   * literal, for statements that take no bound values, such as DDL: `COMMENT ON TABLE t IS
   * <literal>`, a view's body, a default. It is an expression that means the value whatever
   * the session's settings (PostgreSQL `E'a\\b'` for a backslash; MySQL `_utf8mb4 X'...'`
   * for one, which MySQL accepts wherever an expression goes but not in a `COMMENT` clause).
   * Strings holding a NUL character and numbers that are not finite are refused. Prefer
   * bound values (`params`) wherever the statement takes them.
   */
  quoteLiteral?(value: SqlLiteral): string;
  /**
   * The SQL for an operation, given the state before and after it. Returns `undefined` for a
   * kind this dialect does not know (core then reports it before anything runs).
   * {@link DialectBase} answers from {@link Dialect.operationSql}.
   */
  compileOperation(operation: Operation, context: CompileContext): readonly SqlStatement[] | Promise<readonly SqlStatement[]> | undefined;
  /**
   * Optional (every first-party dialect and {@link DialectBase} have it): the SQL renderers
   * this dialect has, by operation kind — its built-in compiler's methods, and any plugin
   * kinds it knows. This is how a dialect package supplies SQL for a plugin's kind (say
   * `views.createView` on an engine the plugin never heard of): core asks it when the
   * operation's own `sql` has nothing for this dialect's name, before the operation's
   * `sql.default`. It is also what the conformance suite reads to check, before anything
   * runs, that every registered kind has SQL here. See `docs/writing-a-dialect.md`.
   */
  readonly operationSql?: OperationSqlTable;
  /**
   * Optional. Identifies what `compileOperation` produces: the same operations and schema
   * states must always compile to the same SQL under the same key, so it must change whenever
   * the compiler (or an option it reads) changes, e.g. `my-dialect@1.4.2`. With it, a runner
   * given a `PlanCache` keeps the compiled SQL of migrations and applies them to another
   * database without compiling them again; without it, nothing is cached.
   */
  readonly cacheKey?: string | undefined;
  /**
   * The column as this database would store and report it (e.g. SQLite has no bigserial),
   * so the engine does not see a change where the database cannot tell two definitions apart.
   */
  normalizeColumn?(column: ColumnState): ColumnState;
  /**
   * Optional: the table's indexes and foreign keys as this database would report them, so
   * definitions it cannot tell apart are not changes when models are compared with a live
   * database: referential actions it treats as one (MySQL: RESTRICT is NO ACTION), indexes it
   * creates or hides by itself (MySQL: the index an auto-increment column needs). The engine
   * compares the result's indexes and foreign keys; columns are compared one by one through
   * `normalizeColumn`. Must be idempotent and must not rename anything.
   */
  normalizeTable?(table: TableState): TableState;
  /** Opens a connection. Errors must not contain the password. */
  connect(config: DatabaseConfig): Promise<DialectConnection>;
  /** A one-line description of where `config` points, without secrets (`sqlite ./app.db`). */
  describeDatabase(config: DatabaseConfig): string;
}
