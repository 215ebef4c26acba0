import { CovetError, isCovetError, parseDatabaseUrl } from '@covet/core/dialect';
import type { DatabaseConfig, Dialect, DialectConnection, MigrationLockOptions, SqlStatement } from '@covet/core/dialect';
import mysql from 'mysql2/promise';
import type { Pool, PoolConnection, PoolOptions } from 'mysql2/promise';
import { MysqlIntrospector } from './mysql-introspector.js';
import { acquireMigrationLock, migrationLockName, releaseMigrationLock } from './mysql-lock.js';
import { causesImplicitCommit, splitStatements } from './mysql-statements.js';

/** Driver options Covet sets itself, and Covet's own options: never passed to the driver from `database.options`. */
const FIXED_OPTIONS = new Set(['multipleStatements', 'host', 'port', 'user', 'password', 'database', 'uri', 'lockWaitTimeout']);

/** `lock_wait_timeout` (seconds) when the configuration does not set `options.lockWaitTimeout`. */
export const DEFAULT_LOCK_WAIT_TIMEOUT = 10;
/** The server's own maximum (a year): what `lockWaitTimeout: 0` (no limit) sets. */
const NO_LOCK_WAIT_LIMIT = 31_536_000;

/**
 * `lock_wait_timeout` in seconds from `options.lockWaitTimeout`: milliseconds (a number, or a
 * string of digits, as from a URL), or `'10s'`, `'500ms'`, `'1min'`; rounded up to whole
 * seconds (the server's unit); `0` lifts the limit. DDL waiting longer than this for a
 * metadata lock (another session's open transaction on the table) fails instead of blocking
 * every reader of the table behind it.
 */
export function lockWaitTimeoutSetting(value: unknown): number {
  if (value === undefined || value === null || value === '') return DEFAULT_LOCK_WAIT_TIMEOUT;
  const match = typeof value === 'number' ? [String(value), String(value), 'ms'] : /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min)?\s*$/.exec(String(value));
  const amount = match ? Number(match[1]) : Number.NaN;
  if (!match || !Number.isFinite(amount) || amount < 0) {
    throw new CovetError('CONFIG_INVALID', `Invalid database.options.lockWaitTimeout ${JSON.stringify(value)} (database settings)`, {
      hint: "Give milliseconds (10000) or a duration ('10s', '500ms', '1min'); 0 lifts the limit.",
    });
  }
  const ms = amount * ({ ms: 1, s: 1000, min: 60_000 }[(match[2] ?? 'ms') as 'ms' | 's' | 'min']);
  return ms === 0 ? NO_LOCK_WAIT_LIMIT : Math.min(NO_LOCK_WAIT_LIMIT, Math.max(1, Math.ceil(ms / 1000)));
}

/** MySQL's ER_LOCK_WAIT_TIMEOUT, for metadata locks (lock_wait_timeout) and row locks alike. */
const ER_LOCK_WAIT_TIMEOUT = 1205;

/** The table a DDL statement works on, for an error that must name it (best effort; unquoted). */
export function statementTable(sql: string): string | undefined {
  const name = '(`(?:[^`]|``)+`|[A-Za-z0-9_$]+)';
  const patterns = [
    new RegExp(`^\\s*(?:ALTER|TRUNCATE)\\s+(?:IGNORE\\s+|ONLINE\\s+)?TABLE\\s+(?:IF\\s+EXISTS\\s+)?${name}`, 'i'),
    new RegExp(`^\\s*DROP\\s+(?:TEMPORARY\\s+)?TABLE\\s+(?:IF\\s+EXISTS\\s+)?${name}`, 'i'),
    new RegExp(`^\\s*RENAME\\s+TABLE\\s+${name}`, 'i'),
    new RegExp(`^\\s*(?:CREATE|DROP)\\s+(?:UNIQUE\\s+|FULLTEXT\\s+|SPATIAL\\s+)?INDEX\\s+(?:IF\\s+(?:NOT\\s+)?EXISTS\\s+)?\\S+\\s+ON\\s+${name}`, 'i'),
    new RegExp(`^\\s*CREATE\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?${name}`, 'i'),
    new RegExp(`^\\s*(?:INSERT|REPLACE)\\s+(?:IGNORE\\s+)?INTO\\s+${name}`, 'i'),
    new RegExp(`^\\s*UPDATE\\s+${name}`, 'i'),
    new RegExp(`^\\s*DELETE\\s+FROM\\s+${name}`, 'i'),
  ];
  for (const pattern of patterns) {
    const found = pattern.exec(sql)?.[1];
    if (found) return found.startsWith('`') ? found.slice(1, -1).replace(/``/g, '`') : found;
  }
  return undefined;
}
const NUMERIC_OPTIONS = new Set(['connectTimeout', 'connectionLimit', 'maxIdle', 'idleTimeout', 'queueLimit', 'maxPreparedStatements']);
const BOOLEAN_OPTIONS = new Set(['enableKeepAlive', 'supportBigNumbers', 'bigNumberStrings', 'dateStrings', 'decimalNumbers', 'debug', 'trace', 'insecureAuth']);

/**
 * An error the server returned for a statement, with MySQL's identification of it: `errno`
 * (1050), `sqlState` (`42S01`) and `mysqlCode` (`ER_TABLE_EXISTS_ERROR`). The message is the
 * server's, on one line; bound values never appear in it.
 */
export class MysqlQueryError extends CovetError {
  readonly errno: number | undefined;
  readonly sqlState: string | undefined;
  readonly mysqlCode: string | undefined;

  /**
   * The code is `CONNECTION_LOST` when the driver says the connection is gone (`fatal`: the
   * session was killed, the server went away), else `QUERY_FAILED`.
   */
  constructor(error: { message?: string; sqlMessage?: string; errno?: number; sqlState?: string; code?: string; fatal?: boolean }, detail?: { message: string; hint: string }) {
    const message = detail?.message ?? (error.sqlMessage ?? error.message ?? 'Query failed').split('\n')[0]!;
    const where = [error.code, error.errno === undefined ? undefined : `errno ${error.errno}`, error.sqlState ? `SQLSTATE ${error.sqlState}` : undefined]
      .filter(Boolean)
      .join(', ');
    super(error.fatal ? 'CONNECTION_LOST' : 'QUERY_FAILED', where ? `${message} [${where}]` : message, { cause: error, ...(detail ? { hint: detail.hint } : {}) });
    this.errno = error.errno;
    this.sqlState = error.sqlState;
    this.mysqlCode = error.code;
  }
}

function wrap(error: unknown, sql?: string, lockWaitSeconds?: number): unknown {
  if (isCovetError(error) || typeof error !== 'object' || error === null) return error;
  const driver = error as { errno?: unknown; sqlState?: unknown; fatal?: boolean };
  if (driver.errno === undefined && driver.sqlState === undefined && !driver.fatal) return error;
  if (driver.errno === ER_LOCK_WAIT_TIMEOUT && sql !== undefined) {
    // Name the table: the server's message does not.
    const table = statementTable(sql);
    const waited = lockWaitSeconds === undefined ? '' : ` (${lockWaitSeconds}s)`;
    return new MysqlQueryError(error as never, {
      message: `Lock wait timeout exceeded${waited} on table ${table === undefined ? '(unknown)' : `\`${table}\``}: another session holds a lock on it`,
      hint: `An open transaction of another session that used the table holds its metadata lock. Find it with SELECT * FROM information_schema.PROCESSLIST (or information_schema.INNODB_TRX), end it, and run again; database.options.lockWaitTimeout sets how long DDL waits (default ${DEFAULT_LOCK_WAIT_TIMEOUT}s).`,
    });
  }
  return new MysqlQueryError(error as never);
}

/** mysql2 pool options from Covet's settings (URL or fields), with `options` passed through. */
export function poolOptions(config: DatabaseConfig): PoolOptions {
  const settings: DatabaseConfig = config.url && !config.host ? { ...parseDatabaseUrl(config.url), ...stripUndefined(config) } : config;
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings.options ?? {})) {
    if (FIXED_OPTIONS.has(key)) continue;
    if (NUMERIC_OPTIONS.has(key) && typeof value === 'string') options[key] = Number(value);
    else if (BOOLEAN_OPTIONS.has(key) && typeof value === 'string') options[key] = value === 'true' || value === '1';
    else if (key === 'ssl' && typeof value === 'string') options[key] = value === 'true' || value === '1' ? {} : value;
    else options[key] = value;
  }
  return {
    charset: 'utf8mb4',
    supportBigNumbers: true,
    // mysql2 captures a stack trace on every call to show where a failed query came from;
    // Covet's errors name the migration, the operation and the SQL instead. (`trace: true`
    // in database.options brings it back.)
    trace: false,
    ...options,
    // The run's session holds the lock; the intent record is written on a second one
    // (executeDurably), so a pool of one would wait for itself.
    connectionLimit: Math.max(2, Number(options.connectionLimit ?? 4) || 4),
    host: settings.host ?? '127.0.0.1',
    port: settings.port ?? 3306,
    user: settings.user ?? 'root',
    ...(settings.password !== undefined ? { password: settings.password } : {}),
    ...(settings.name !== undefined ? { database: settings.name } : {}),
    // CURRENT_TIMESTAMP and DATETIME values are UTC, on the server and in JavaScript.
    timezone: 'Z',
    // Never: bound values are sent separately from the SQL (prepared statements) and a script
    // is split into statements (see splitStatements), so nothing needs it.
    multipleStatements: false,
  };
}

function stripUndefined(config: DatabaseConfig): Partial<DatabaseConfig> {
  return Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined)) as Partial<DatabaseConfig>;
}

/** booleans as 1/0 and `undefined` as NULL, as the binary protocol expects. */
function bind(params: readonly unknown[]): unknown[] {
  return params.map((value) => (value === undefined ? null : typeof value === 'boolean' ? (value ? 1 : 0) : value));
}

type Runner = Pool | PoolConnection;

/**
 * One MySQL or MariaDB database, through a mysql2 pool.
 *
 * Values are always bound: a statement with values runs as a server-side prepared statement
 * (`execute`), so neither `ANSI_QUOTES` nor `NO_BACKSLASH_ESCAPES` can change how a value is
 * read; a statement without values is sent as text. `multipleStatements` is never enabled.
 *
 * `withMigrationLock` takes `GET_LOCK` on a connection of its own and runs everything until it
 * ends (queries, transactions, the tracking table) on that same connection. `transaction`
 * also runs on one connection; DDL commits implicitly on MySQL, so a transaction only rolls
 * back what ran after the last DDL statement (see `capabilities.transactionalDdl`).
 */
export class MysqlConnection implements DialectConnection {
  readonly dialect: Dialect;
  readonly introspector: MysqlIntrospector;
  readonly #pool: Pool;
  readonly #database: string;
  readonly #mariadb: boolean;
  readonly #version: string;
  /** The connection every statement uses while a lock or an outermost transaction holds one. */
  #pinned: PoolConnection | undefined;
  #depth = 0;
  #savepoints = 0;
  /** Counts implicit commits (DDL) inside transactions: a savepoint older than the last one is gone. */
  #commits = 0;
  #locked = false;
  /** `lock_wait_timeout` of every session, in seconds. */
  readonly #lockWaitSeconds: number;

  constructor(dialect: Dialect, pool: Pool, info: { database: string; version: string; lockWaitSeconds?: number }) {
    this.dialect = dialect;
    this.#pool = pool;
    this.#database = info.database;
    this.#version = info.version;
    this.#lockWaitSeconds = info.lockWaitSeconds ?? DEFAULT_LOCK_WAIT_TIMEOUT;
    this.#mariadb = /mariadb/i.test(info.version);
    this.introspector = new MysqlIntrospector((sql, params) => this.query(sql, params), {
      schema: () => this.#database,
      mariadb: () => this.#mariadb,
    });
  }

  /** The database (schema) this connection works on. */
  get database(): string {
    return this.#database;
  }

  /** The server's `VERSION()`, e.g. `10.11.6-MariaDB`. */
  get serverVersion(): string {
    return this.#version;
  }

  /** True on MariaDB, false on MySQL. */
  get isMariaDb(): boolean {
    return this.#mariadb;
  }

  /** The mysql2 pool, for tests and tools that need the driver itself. */
  get pool(): Pool {
    return this.#pool;
  }

  async query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    return (await this.#run(this.#pinned ?? this.#pool, sql, params)) as Row[];
  }

  async execute(statement: SqlStatement): Promise<void> {
    const runner = this.#pinned ?? this.#pool;
    if (statement.params !== undefined && statement.params.length > 0) {
      await this.#run(runner, statement.sql, statement.params);
      return;
    }
    for (const sql of splitStatements(statement.sql)) await this.#run(runner, sql);
  }

  /**
   * Runs a statement on a session of its own in autocommit mode, so that it commits at once,
   * whatever transaction the run's session holds, and stays if that session is killed: the
   * runner's intent record (see `DialectConnection.executeDurably`).
   */
  async executeDurably(statement: SqlStatement): Promise<void> {
    await this.#run(this.#pool, statement.sql, statement.params);
  }

  /**
   * Runs statements in one transaction on a session of its own, committed when all succeeded
   * and rolled back when one fails: a migration's tracking row with the runner's next intent
   * note, one commit (see `DialectConnection.executeDurablyAll`). Statements that commit
   * implicitly (DDL) are refused: they would break the transaction in two.
   */
  async executeDurablyAll(statements: readonly SqlStatement[]): Promise<void> {
    for (const statement of statements) {
      if (causesImplicitCommit(statement.sql)) throw new CovetError('QUERY_FAILED', `executeDurablyAll cannot run a statement that commits on its own: ${statement.sql.split('\n')[0]}`);
    }
    const connection = await this.#acquire();
    let healthy = true;
    try {
      await this.#run(connection, 'START TRANSACTION');
      try {
        for (const statement of statements) await this.#run(connection, statement.sql, statement.params);
        await this.#run(connection, 'COMMIT');
      } catch (error) {
        healthy = !isLost(error);
        if (healthy) await this.#run(connection, 'ROLLBACK').catch(() => (healthy = false));
        throw error;
      }
    } finally {
      if (healthy) connection.release();
      else connection.destroy();
    }
  }

  /** Whether a statement commits on its own (DDL and the like): no rollback undoes it. */
  commitsImplicitly(sql: string): boolean {
    return causesImplicitCommit(sql);
  }

  async #run(runner: Runner, sql: string, params?: readonly unknown[]): Promise<unknown[]> {
    if (this.#depth > 0 && runner !== this.#pool && causesImplicitCommit(sql)) this.#commits++;
    try {
      const [rows] = params !== undefined && params.length > 0 ? await runner.execute(sql, bind(params) as never) : await runner.query(sql);
      return Array.isArray(rows) ? rows : [];
    } catch (error) {
      throw wrap(error, sql, this.#lockWaitSeconds);
    }
  }

  async tableExists(name: string): Promise<boolean> {
    const rows = await this.query('SELECT 1 AS found FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [this.#database, name]);
    return rows.length > 0;
  }

  async tableColumns(name: string): Promise<string[]> {
    const rows = await this.query<{ name: string }>(
      'SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
      [this.#database, name],
    );
    return rows.map((row) => row.name);
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#depth > 0) return this.#savepoint(fn);
    const own = this.#pinned === undefined;
    const connection = this.#pinned ?? (await this.#acquire());
    this.#pinned = connection;
    try {
      // autocommit=0 rather than START TRANSACTION: after a DDL statement's implicit commit the
      // next statements open a new transaction instead of running in autocommit mode.
      await this.#run(connection, 'SET autocommit = 0');
      this.#depth = 1;
      try {
        const result = await fn();
        await this.#run(connection, 'COMMIT');
        return result;
      } catch (error) {
        await this.#run(connection, 'ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        this.#depth = 0;
        await this.#run(connection, 'SET autocommit = 1').catch(() => undefined);
      }
    } finally {
      if (own) {
        this.#pinned = undefined;
        connection.release();
      }
    }
  }

  async #savepoint<T>(fn: () => Promise<T>): Promise<T> {
    const connection = this.#pinned!;
    const name = `covet_savepoint_${++this.#savepoints}`;
    const commits = this.#commits;
    await this.#run(connection, `SAVEPOINT ${name}`);
    this.#depth++;
    try {
      const result = await fn();
      if (this.#commits === commits) await this.#run(connection, `RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      // A DDL statement since the savepoint committed everything before it and dropped the
      // savepoint: only what ran after that statement (all of it inner work) can be undone.
      if (this.#commits === commits) await this.#run(connection, `ROLLBACK TO SAVEPOINT ${name}`).catch(() => undefined);
      else await this.#run(connection, 'ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      this.#depth--;
    }
  }

  async withMigrationLock<T>(fn: () => Promise<T>, options: MigrationLockOptions): Promise<T> {
    if (this.#locked) return fn();
    if (this.#pinned !== undefined) {
      throw new CovetError('LOCK_FAILED', 'withMigrationLock cannot start inside a transaction (mysql)');
    }
    const connection = await this.#acquire();
    const name = migrationLockName(this.#database);
    const query = (sql: string, params: readonly unknown[]) => this.#run(connection, sql, params) as Promise<Record<string, unknown>[]>;
    let healthy = true;
    try {
      await acquireMigrationLock(query, name, this.#database, options);
    } catch (error) {
      connection.release();
      throw error;
    }
    this.#pinned = connection;
    this.#locked = true;
    try {
      // The session stays in autocommit mode: what runs outside transaction() (DDL, which
      // commits anyway, and the tracking row of a migration made only of DDL: see the
      // runner) commits statement by statement, without a COMMIT round trip.
      return await fn();
    } catch (error) {
      healthy = !isLost(error);
      throw error;
    } finally {
      this.#pinned = undefined;
      this.#locked = false;
      try {
        await releaseMigrationLock(query, name);
      } catch {
        // The session is gone, and the server released the lock with it.
        healthy = false;
      }
      if (healthy) connection.release();
      else connection.destroy();
    }
  }

  async #acquire(): Promise<PoolConnection> {
    try {
      return await this.#pool.getConnection();
    } catch (error) {
      throw wrap(error);
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

/** Whether an error (or one it was caused by) says the session is gone. */
function isLost(error: unknown): boolean {
  for (let cause = error, depth = 0; typeof cause === 'object' && cause !== null && depth < 5; depth++) {
    if ((cause as { fatal?: unknown }).fatal === true || (isCovetError(cause) && cause.code === 'CONNECTION_LOST')) return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}

/** Opens a pool for `config` and checks it reaches the database. */
export async function openMysqlConnection(dialect: Dialect, config: DatabaseConfig, where: string): Promise<MysqlConnection> {
  const options = poolOptions(config);
  if (options.database === undefined || options.database === '') {
    throw new CovetError('CONFIG_INVALID', `No database name for MySQL (${where})`, {
      hint: 'Set database.name in the config, end the URL with /<database>, or set DB_NAME.',
    });
  }
  const lockWaitSeconds = lockWaitTimeoutSetting(config.options?.lockWaitTimeout);
  const pool = mysql.createPool(options);
  // Every session works in UTC, so CURRENT_TIMESTAMP in the tracking table is UTC like SQLite's,
  // and waits at most lock_wait_timeout for a metadata lock (a number checked above).
  pool.on('connection', (connection) => {
    (connection as unknown as { query(sql: string, callback: (error: unknown) => void): void }).query(
      `SET time_zone = '+00:00', lock_wait_timeout = ${lockWaitSeconds}`,
      () => undefined,
    );
  });
  try {
    const [rows] = await pool.query('SELECT VERSION() AS version');
    const version = String((rows as { version: string }[])[0]?.version ?? '');
    return new MysqlConnection(dialect, pool, { database: String(options.database), version, lockWaitSeconds });
  } catch (error) {
    await pool.end().catch(() => undefined);
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new CovetError('CONNECTION_FAILED', `Cannot connect to ${where}: ${message}`, {
      hint: 'Check that the server runs, and the host, port, user, password and database name.',
      cause: error,
    });
  }
}
