import { CovetError, redactSecrets } from '@covet/core/dialect';
import type { DatabaseConfig, Dialect, DialectConnection, MigrationLockOptions, SqlStatement } from '@covet/core/dialect';
import type pg from 'pg';
import { loadPg } from './pg-driver.js';
import { PostgresIntrospector } from './postgres-introspector.js';
import { acquireMigrationLock, migrationLockKey, releaseMigrationLock } from './postgres-lock.js';
import { canPipeline, isSingleCommand, PipelinedStatements, type PipelineError, type PipelineStatement } from './postgres-pipeline.js';

/** `lock_timeout` when the configuration does not set `options.lockTimeout`. */
export const DEFAULT_LOCK_TIMEOUT = '10s';

/** Keys of `DatabaseConfig.options` that Covet reads itself instead of passing them to `pg`. */
const COVET_OPTIONS = new Set(['lockTimeout', 'schema']);

/** Counts of what a connection sent, for tests and the benchmark. */
export interface PostgresConnectionStatistics {
  /** Round trips to the server (a batch of statements sent together counts once). */
  roundTrips: number;
}

/** `lock_timeout` from `options.lockTimeout`: milliseconds, or PostgreSQL's `'10s'`, `'500ms'`, `'1min'`; `0` turns it off. */
export function lockTimeoutSetting(value: unknown): string {
  if (value === undefined || value === null || value === '') return DEFAULT_LOCK_TIMEOUT;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return `${Math.round(value)}ms`;
  if (typeof value === 'string' && /^\d+\s*(ms|s|min|h)?$/.test(value.trim())) return value.trim();
  throw new CovetError('CONFIG_INVALID', `Invalid database.options.lockTimeout ${JSON.stringify(value)} (database settings)`, {
    hint: "Use milliseconds (10000) or a PostgreSQL interval such as '10s'.",
  });
}

/** The schema a configuration names: `database.schema`, else `options.schema`, else `public`. */
export function schemaOf(config: DatabaseConfig): string {
  const schema = config.schema ?? config.options?.schema;
  return typeof schema === 'string' && schema !== '' ? schema : 'public';
}

/** `pg` pool settings from Covet's database settings; `options` are passed through (SSL included). */
export function poolConfig(config: DatabaseConfig): pg.PoolConfig {
  const passed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config.options ?? {})) if (!COVET_OPTIONS.has(key)) passed[key] = value;
  const settings: pg.PoolConfig = {
    application_name: 'covet',
    connectionTimeoutMillis: 10_000,
    ...passed,
    // One session per run: the migration lock and every statement of the run share it.
    max: 1,
  };
  if (config.url) settings.connectionString = config.url;
  if (config.host !== undefined) settings.host = config.host;
  if (config.port !== undefined) settings.port = config.port;
  if (config.user !== undefined) settings.user = config.user;
  if (config.password !== undefined) settings.password = config.password;
  if (config.name !== undefined) settings.database = config.name;
  return settings;
}

/**
 * A driver error's message as one line without secrets (its first line, passed through
 * `redactSecrets`), for Covet's one-line errors. Shared with dialects built on this one.
 */
export function driverErrorLine(error: unknown): string {
  return redactSecrets((error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '');
}

/** Whether a statement can go in a pipeline: Parse takes one command (a bound value implies one). */
function pipelinable(statement: SqlStatement): boolean {
  return (statement.params !== undefined && statement.params.length > 0) || isSingleCommand(statement.sql);
}

/**
 * `error` with the position of the failing statement of a batch (`executeAll`): the runner
 * reads `statementIndex` to name the operation that failed. Shared with dialects built on this one.
 */
export function withStatementIndex(error: unknown, index: number): unknown {
  return typeof error === 'object' && error !== null ? Object.assign(error, { statementIndex: index }) : error;
}

/**
 * Catalog queries for `tableExists` and `tableColumns` (`$1` the schema, `$2` the table): only
 * tables (ordinary and partitioned), never a view or sequence of the same name. Shared with
 * dialects built on this one (PGlite).
 */
export const TABLE_EXISTS_SQL =
  "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')";
/** See {@link TABLE_EXISTS_SQL}: the table's live columns, in order. */
export const TABLE_COLUMNS_SQL =
  "SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum";
/**
 * One Covet run's PostgreSQL session: a `pg` pool holding one dedicated client, so the
 * migration lock (a session advisory lock), the tracking-table reads and every migration's
 * transaction go through the same server session, serialised by that lock.
 *
 * The session's `search_path` is the configured schema (where the tracking table lives) and
 * its `lock_timeout` defaults to {@link DEFAULT_LOCK_TIMEOUT}, so a migration waiting behind a
 * long transaction fails with SQLSTATE 55P03 instead of queueing every reader behind it.
 *
 * A transaction's `BEGIN` is sent together with its first statement, saving a round trip per
 * migration; {@link PostgresConnection.executeAll} pipelines a whole migration with it.
 */
export class PostgresConnection implements DialectConnection {
  readonly dialect: Dialect;
  readonly introspector: PostgresIntrospector;
  readonly statistics: PostgresConnectionStatistics = { roundTrips: 0 };
  /** The schema every unqualified name refers to. */
  readonly schema: string;
  readonly #pool: pg.Pool;
  readonly #client: pg.PoolClient;
  readonly #where: string;
  readonly #pid: number;
  readonly #lockKey: string;
  #depth = 0;
  #savepoints = 0;
  /** Transaction control not yet sent (`BEGIN`, `SAVEPOINT ...`), sent with the next statement. */
  #deferred: string[] = [];
  #broken: Error | undefined;
  #closed = false;
  /** How to open a second session (to cancel this one's statement). */
  readonly #clientConfig: pg.ClientConfig;

  private constructor(
    dialect: Dialect,
    pool: pg.Pool,
    client: pg.PoolClient,
    session: { schema: string; pid: number; database: string; where: string; clientConfig: pg.ClientConfig },
  ) {
    this.dialect = dialect;
    this.#clientConfig = session.clientConfig;
    this.#pool = pool;
    this.#client = client;
    this.schema = session.schema;
    this.#pid = session.pid;
    this.#where = session.where;
    this.#lockKey = migrationLockKey(session.database, session.schema);
    this.introspector = new PostgresIntrospector((sql) => this.#batch(sql));
    client.on('error', (error: Error) => {
      this.#broken = error;
    });
  }

  /** Opens the pool and its session, and sets the session's schema and lock timeout. */
  static async open(dialect: Dialect, config: DatabaseConfig, where: string): Promise<PostgresConnection> {
    const schema = schemaOf(config);
    const lockTimeout = lockTimeoutSetting(config.options?.lockTimeout);
    const clientConfig = poolConfig(config);
    const pool = new (loadPg().Pool)(clientConfig);
    // An idle client whose server session ends emits here; the run reports it on its next query.
    pool.on('error', () => undefined);
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      await pool.end().catch(() => undefined);
      const code = (error as { code?: unknown }).code;
      throw new CovetError('CONNECTION_FAILED', `Cannot connect to ${where}: ${driverErrorLine(error)}${typeof code === 'string' ? ` [${code}]` : ''}`, {
        hint: 'Check the host, port, user, password and database name, and that the server accepts connections.',
        cause: error,
      });
    }
    try {
      const quoted = `"${schema.replace(/"/g, '""')}"`;
      const result = await client.query<{ pid: number; database: string }>(
        "SELECT set_config('search_path', $1, false), set_config('lock_timeout', $2, false), pg_backend_pid() AS pid, current_database() AS database",
        [quoted, lockTimeout],
      );
      const row = result.rows[0]!;
      const connection = new PostgresConnection(dialect, pool, client, { schema, pid: row.pid, database: row.database, where, clientConfig });
      connection.statistics.roundTrips = 1;
      return connection;
    } catch (error) {
      client.release(true);
      await pool.end().catch(() => undefined);
      throw new CovetError('CONNECTION_FAILED', `Cannot set up the session on ${where}: ${driverErrorLine(error)}`, { cause: error });
    }
  }

  /** The `pg` client of this connection's session, for tests and tools that need the driver. */
  get client(): pg.PoolClient {
    return this.#client;
  }

  /** The server process of this session (`pg_backend_pid()`). */
  get backendPid(): number {
    return this.#pid;
  }

  #usable(): void {
    if (this.#closed) throw new CovetError('CONNECTION_CLOSED', `The connection to ${this.#where} is closed`);
    if (this.#broken) {
      throw new CovetError('CONNECTION_LOST', `Lost the connection to ${this.#where}: ${driverErrorLine(this.#broken)}`, { cause: this.#broken });
    }
  }

  async #send<Row>(text: string, params?: readonly unknown[]): Promise<pg.QueryResult<Row & pg.QueryResultRow> | pg.QueryResult<Row & pg.QueryResultRow>[]> {
    this.#usable();
    let sql = text;
    if (this.#deferred.length > 0) {
      const control = this.#deferred.join('; ');
      this.#deferred = [];
      if (params && params.length > 0) {
        this.statistics.roundTrips++;
        await this.#client.query(control);
      } else {
        sql = `${control};\n${text}`;
      }
    }
    this.statistics.roundTrips++;
    const result = params && params.length > 0 ? await this.#client.query(sql, params as unknown[]) : await this.#client.query(sql);
    return result as never;
  }

  async query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    const result = await this.#send<Row>(sql, params);
    return Array.isArray(result) ? (result.at(-1)?.rows ?? []) : result.rows;
  }

  async execute(statement: SqlStatement): Promise<void> {
    await this.#send(statement.sql, statement.params);
  }

  /**
   * Runs `statements` in order. Inside a transaction they are pipelined on the extended query
   * protocol (Parse/Bind/Execute each, values bound, then one Sync), together with the
   * transaction's deferred `BEGIN`/`SAVEPOINT`: one round trip for the lot. A statement that
   * may hold several commands (which Parse refuses) goes on its own as a simple query, costing
   * one more round trip. The error of a failing statement carries `statementIndex`; the server
   * skips the rest of the pipeline, and the transaction is aborted until the caller rolls back.
   *
   * Outside a transaction the statements run one by one (a pipeline would make them one
   * implicit transaction, and some statements refuse to run in one).
   */
  async executeAll(statements: readonly SqlStatement[]): Promise<void> {
    if (this.#depth === 0 || !canPipeline(this.#client)) {
      for (const [index, statement] of statements.entries()) {
        try {
          await this.execute(statement);
        } catch (error) {
          throw withStatementIndex(error, index);
        }
      }
      return;
    }
    this.#usable();
    let index = 0;
    while (index < statements.length) {
      const control = this.#deferred;
      this.#deferred = [];
      const first = statements[index]!;
      if (!pipelinable(first)) {
        this.statistics.roundTrips++;
        try {
          await this.#client.query(control.length > 0 ? `${control.join('; ')};\n${first.sql}` : first.sql);
        } catch (error) {
          throw withStatementIndex(error, index);
        }
        index++;
        continue;
      }
      let end = index + 1;
      while (end < statements.length && pipelinable(statements[end]!)) end++;
      const batch: PipelineStatement[] = control.map((sql) => ({ sql }));
      for (let at = index; at < end; at++) batch.push(statements[at]!);
      const pipeline = new PipelinedStatements(batch);
      this.statistics.roundTrips++;
      this.#client.query(pipeline);
      try {
        await pipeline.done;
      } catch (error) {
        const failed = (error as PipelineError).completed - control.length;
        if (failed < 0) throw error;
        Error.captureStackTrace?.(error as Error);
        throw withStatementIndex(error, index + failed);
      }
      index = end;
    }
  }

  /** Several statements without parameters in one round trip; the rows of each. */
  async #batch(sql: string): Promise<Record<string, unknown>[][]> {
    const result = await this.#send<Record<string, unknown>>(sql);
    return Array.isArray(result) ? result.map((r) => r.rows) : [result.rows];
  }

  async tableExists(name: string): Promise<boolean> {
    return (await this.query(TABLE_EXISTS_SQL, [this.schema, name])).length > 0;
  }

  async tableColumns(name: string): Promise<string[]> {
    const rows = await this.query<{ attname: string }>(TABLE_COLUMNS_SQL, [this.schema, name]);
    return rows.map((row) => row.attname);
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#depth > 0) return this.#savepoint(fn);
    this.#deferred.push('BEGIN');
    this.#depth = 1;
    try {
      const result = await fn();
      if (this.#deferred[0] === 'BEGIN') this.#deferred = [];
      else await this.#control('COMMIT');
      return result;
    } catch (error) {
      if (this.#deferred[0] === 'BEGIN') this.#deferred = [];
      else await this.#control('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      this.#depth = 0;
      this.#deferred = [];
    }
  }

  async #savepoint<T>(fn: () => Promise<T>): Promise<T> {
    const name = `covet_savepoint_${++this.#savepoints}`;
    this.#deferred.push(`SAVEPOINT ${name}`);
    this.#depth++;
    try {
      const result = await fn();
      if (this.#deferred.at(-1) === `SAVEPOINT ${name}`) this.#deferred.pop();
      else await this.#control(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      if (this.#deferred.at(-1) === `SAVEPOINT ${name}`) this.#deferred.pop();
      else await this.#control(`ROLLBACK TO SAVEPOINT ${name}; RELEASE SAVEPOINT ${name}`).catch(() => undefined);
      throw error;
    } finally {
      this.#depth--;
    }
  }

  async #control(sql: string): Promise<void> {
    await this.#send(sql);
  }

  async withMigrationLock<T>(fn: () => Promise<T>, options: MigrationLockOptions): Promise<T> {
    const query = <Row>(sql: string, params?: readonly unknown[]) => this.query<Row>(sql, params);
    await acquireMigrationLock(query, this.#lockKey, this.#pid, this.#where, options);
    try {
      if (this.schema !== 'public') await this.execute({ sql: `CREATE SCHEMA IF NOT EXISTS ${this.dialect.quoteIdentifier(this.schema)}` });
      return await fn();
    } finally {
      // On a lost session the server has already released it.
      if (!this.#broken) await releaseMigrationLock(query, this.#lockKey).catch(() => undefined);
    }
  }

  /**
   * Cancels the statement this session is running, if any, with `pg_cancel_backend` from a
   * short-lived second session: the runner calls it on SIGINT/SIGTERM, so the current
   * migration's transaction rolls back at once instead of after a long statement.
   */
  async cancel(): Promise<void> {
    const other = new (loadPg().Client)(this.#clientConfig);
    other.on('error', () => undefined);
    try {
      await other.connect();
      await other.query('SELECT pg_cancel_backend($1)', [this.#pid]);
    } finally {
      await other.end().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.release(this.#broken ?? undefined);
    await this.#pool.end().catch(() => undefined);
  }
}
