import { CovetError } from '@covet/core/dialect';
import type { DatabaseConfig, Dialect, DialectConnection, MigrationLockOptions, SqlStatement } from '@covet/core/dialect';
import {
  acquireMigrationLock,
  driverErrorLine,
  migrationLockKey,
  PostgresIntrospector,
  releaseMigrationLock,
  schemaOf,
  TABLE_COLUMNS_SQL,
  TABLE_EXISTS_SQL,
  withStatementIndex,
} from '@covet/dialect-postgres';
import type { PGlite } from '@electric-sql/pglite';
import { lockDataDirectory, openTimeoutOf } from './directory-lock.js';

/** `config.name` for a database that lives in memory for the connection's lifetime. */
export const MEMORY = ':memory:';

type PGliteClass = typeof PGlite;

/** `@electric-sql/pglite`, imported when the first connection opens (loading the dialect costs nothing). */
async function loadPGlite(): Promise<PGliteClass> {
  try {
    return (await import('@electric-sql/pglite')).PGlite;
  } catch (error) {
    throw new CovetError('DRIVER_MISSING', `Cannot load @electric-sql/pglite: ${driverErrorLine(error)}`, {
      hint: 'Install it next to @covet/dialect-pglite: npm install @electric-sql/pglite',
      cause: error,
    });
  }
}

/**
 * The files of a freshly initialised cluster, made once per process: `initdb` is most of the
 * cost of opening a new in-memory database (about 5 s), loading this copy a fraction of it.
 */
let freshCluster: Promise<Blob> | undefined;

async function openMemory(PGliteClass: PGliteClass): Promise<PGlite> {
  freshCluster ??= (async () => {
    const db = await PGliteClass.create();
    try {
      return await db.dumpDataDir('none');
    } finally {
      await db.close();
    }
  })();
  let cluster: Blob;
  try {
    cluster = await freshCluster;
  } catch (error) {
    freshCluster = undefined;
    throw error;
  }
  return PGliteClass.create({ loadDataDir: cluster });
}

/**
 * One Covet run's PGlite database: PostgreSQL compiled to WebAssembly, in this process, on a
 * data directory (`config.name`, relative to `config.root`) or in memory (`:memory:`).
 *
 * PGlite is one session, so every statement of the run shares it, as on a PostgreSQL
 * connection. Its data directory is opened by one process at a time: opening it takes the
 * directory's lock file (see `lockDataDirectory`), waiting up to `options.openTimeout` ms
 * (10 s) for another process to close it. The migration lock is PostgreSQL's session advisory
 * lock, taken by the same code as `@covet/dialect-postgres`.
 */
export class PGliteConnection implements DialectConnection {
  readonly dialect: Dialect;
  readonly introspector: PostgresIntrospector;
  /** The schema every unqualified name refers to. */
  readonly schema: string;
  readonly #db: PGlite;
  readonly #where: string;
  readonly #pid: number;
  readonly #lockKey: string;
  readonly #release: () => void;
  #depth = 0;
  #savepoints = 0;
  #closed = false;

  private constructor(dialect: Dialect, db: PGlite, session: { schema: string; pid: number; key: string; where: string; release: () => void }) {
    this.dialect = dialect;
    this.#db = db;
    this.schema = session.schema;
    this.#pid = session.pid;
    this.#where = session.where;
    this.#lockKey = session.key;
    this.#release = session.release;
    this.introspector = new PostgresIntrospector(async (sql) => (await this.#exec(sql)).map((result) => result.rows as Record<string, unknown>[]));
  }

  /**
   * Opens `directory` (an absolute path, or {@link MEMORY}) and sets the session's schema.
   * `where` names the database in messages.
   */
  static async open(dialect: Dialect, config: DatabaseConfig, directory: string, where: string): Promise<PGliteConnection> {
    const schema = schemaOf(config);
    const timeout = openTimeoutOf(config.options?.openTimeout);
    const PGliteClass = await loadPGlite();
    const release = directory === MEMORY ? () => undefined : await lockDataDirectory(directory, timeout);
    let db: PGlite | undefined;
    try {
      db = directory === MEMORY ? await openMemory(PGliteClass) : await PGliteClass.create({ dataDir: directory });
      const quoted = `"${schema.replace(/"/g, '""')}"`;
      const result = await db.query<{ pid: number }>("SELECT set_config('search_path', $1, false), pg_backend_pid() AS pid", [quoted]);
      return new PGliteConnection(dialect, db, { schema, pid: result.rows[0]!.pid, key: migrationLockKey(directory, schema), where, release });
    } catch (error) {
      await db?.close().catch(() => undefined);
      release();
      throw new CovetError('CONNECTION_FAILED', `Cannot open ${where}: ${driverErrorLine(error)}`, {
        hint: 'Check that the directory is a PGlite data directory (or does not exist yet) and is writable.',
        cause: error,
      });
    }
  }

  /** The PGlite instance of this connection, for tests and tools that need the driver. */
  get db(): PGlite {
    return this.#db;
  }

  #usable(): void {
    if (this.#closed) throw new CovetError('CONNECTION_CLOSED', `The connection to ${this.#where} is closed`);
    if (this.#db.closed) throw new CovetError('CONNECTION_LOST', `Lost ${this.#where}: the PGlite instance was closed`);
  }

  /** Statements without parameters (several allowed), on the simple query protocol: the results of each. */
  async #exec(sql: string): Promise<{ rows: unknown[] }[]> {
    this.#usable();
    return this.#db.exec(sql);
  }

  async query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    if (params && params.length > 0) {
      this.#usable();
      return (await this.#db.query<Row>(sql, params as unknown[])).rows;
    }
    return ((await this.#exec(sql)).at(-1)?.rows ?? []) as Row[];
  }

  async execute(statement: SqlStatement): Promise<void> {
    await this.query(statement.sql, statement.params);
  }

  /** Runs `statements` in order (PGlite is in this process: there is no round trip to save); a failure carries `statementIndex`. */
  async executeAll(statements: readonly SqlStatement[]): Promise<void> {
    for (const [index, statement] of statements.entries()) {
      try {
        await this.execute(statement);
      } catch (error) {
        throw withStatementIndex(error, index);
      }
    }
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
    await this.#exec('BEGIN');
    this.#depth = 1;
    try {
      const result = await fn();
      await this.#exec('COMMIT');
      return result;
    } catch (error) {
      await this.#exec('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      this.#depth = 0;
    }
  }

  async #savepoint<T>(fn: () => Promise<T>): Promise<T> {
    const name = `covet_savepoint_${++this.#savepoints}`;
    await this.#exec(`SAVEPOINT ${name}`);
    this.#depth++;
    try {
      const result = await fn();
      await this.#exec(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      await this.#exec(`ROLLBACK TO SAVEPOINT ${name}; RELEASE SAVEPOINT ${name}`).catch(() => undefined);
      throw error;
    } finally {
      this.#depth--;
    }
  }

  /**
   * The session advisory lock of the data directory and schema. Another process cannot reach
   * the directory while this connection has it open (its lock file), so the advisory lock only
   * ever waits for another holder inside this session's own process.
   */
  async withMigrationLock<T>(fn: () => Promise<T>, options: MigrationLockOptions): Promise<T> {
    const query = <Row>(sql: string, params?: readonly unknown[]) => this.query<Row>(sql, params);
    await acquireMigrationLock(query, this.#lockKey, this.#pid, this.#where, options);
    try {
      if (this.schema !== 'public') await this.execute({ sql: `CREATE SCHEMA IF NOT EXISTS ${this.dialect.quoteIdentifier(this.schema)}` });
      return await fn();
    } finally {
      if (!this.#db.closed) await releaseMigrationLock(query, this.#lockKey).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#db.close();
    } finally {
      this.#release();
    }
  }
}
