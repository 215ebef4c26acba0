import { CovetError } from '@covet/core/dialect';
import type { Dialect, DialectConnection, MigrationLockOptions, SqlStatement } from '@covet/core/dialect';
import Database from 'better-sqlite3';
import { SqliteIntrospector } from './sqlite-introspector.js';
import { beginImmediate } from './sqlite-lock.js';

interface ForeignKeyViolation {
  table: string;
  rowid: number | null;
  parent: string;
  fkid: number;
}

/** DDL this dialect compiles that cannot leave a foreign key violation behind (see #noteWrite). */
const CANNOT_VIOLATE = /^\s*(?:CREATE\s+(?:UNIQUE\s+)?INDEX\b|CREATE\s+TABLE\b)/i;

/** better-sqlite3 binds numbers, strings, bigints, buffers and null; booleans become 1/0 as SQLite stores them. */
function bind(params: readonly unknown[] | undefined): unknown[] {
  return (params ?? []).map((value) => (typeof value === 'boolean' ? (value ? 1 : 0) : value));
}

/**
 * One open SQLite database, on the synchronous better-sqlite3 driver behind async methods.
 *
 * Every outermost transaction (and the migration lock) runs with `PRAGMA foreign_keys=OFF`,
 * as a table rebuild requires (https://www.sqlite.org/lang_altertable.html#otheralter): with
 * foreign keys on, dropping the old table would delete or cascade to the children's rows. The
 * pragma is a no-op inside a transaction, so it is set before BEGIN and restored after; when it
 * was on, `PRAGMA foreign_key_check` runs before each commit and savepoint release instead, and
 * a violation rolls that work back.
 */
export class SqliteConnection implements DialectConnection {
  readonly dialect: Dialect;
  readonly introspector: SqliteIntrospector;
  readonly #database: Database.Database;
  readonly #file: string;
  #depth = 0;
  #savepoints = 0;
  #checkForeignKeys = false;
  /** Whether something that could break a foreign key ran since the last check. */
  #unchecked = false;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(dialect: Dialect, database: Database.Database, file: string) {
    this.dialect = dialect;
    this.#database = database;
    this.#file = file;
    this.introspector = new SqliteIntrospector((sql, params) => this.query(sql, params));
  }

  /** The better-sqlite3 handle, for tests and tools that need the driver itself. */
  get database(): Database.Database {
    return this.#database;
  }

  async query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]> {
    const statement = this.#prepare(sql);
    if (!statement.reader) {
      this.#noteWrite({ sql });
      statement.run(...bind(params));
      return [];
    }
    return statement.all(...bind(params)) as Row[];
  }

  async execute(statement: SqlStatement): Promise<void> {
    this.#execute(statement);
  }

  /** Runs statements in order; a failure carries `statementIndex`. The driver is synchronous: no await between them. */
  async executeAll(statements: readonly SqlStatement[]): Promise<void> {
    for (let index = 0; index < statements.length; index++) {
      try {
        this.#execute(statements[index]!);
      } catch (error) {
        if (typeof error === 'object' && error !== null) Object.assign(error, { statementIndex: index });
        throw error;
      }
    }
  }

  #execute(statement: SqlStatement): void {
    this.#noteWrite(statement);
    // exec() runs several statements but cannot bind values; prepare() binds but runs one.
    if (statement.params === undefined || statement.params.length === 0) this.#database.exec(statement.sql);
    else this.#prepare(statement.sql).run(...bind(statement.params));
  }

  /** Prepared statements by text: the tracking insert runs once per migration. */
  #prepare(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#database.prepare(sql);
      if (this.#statements.size >= 100) this.#statements.clear();
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * Remembers that the open transaction changed something a foreign key check must look at.
   * Creating a table or an index cannot leave a violation (a new table is empty), nor can a
   * write to Covet's own tables (`bookkeeping`: they have no foreign keys), so a migration
   * made only of those skips the check, which scans every table with foreign keys.
   */
  #noteWrite(statement: SqlStatement): void {
    if (!this.#checkForeignKeys || this.#unchecked || statement.bookkeeping === true) return;
    const { sql } = statement;
    // One statement only: a script could hide anything after its first `;`.
    if (!CANNOT_VIOLATE.test(sql) || /;\s*\S/.test(sql)) this.#unchecked = true;
  }

  async tableExists(name: string): Promise<boolean> {
    const rows = await this.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name]);
    return rows.length > 0;
  }

  async tableColumns(name: string): Promise<string[]> {
    const rows = await this.query<{ name: string }>('SELECT name FROM pragma_table_info(?) ORDER BY cid', [name]);
    return rows.map((row) => row.name);
  }

  transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#depth > 0 || this.#database.inTransaction) return this.#savepoint(fn);
    return this.#outermost(async () => {
      this.#database.exec('BEGIN');
    }, fn);
  }

  withMigrationLock<T>(fn: () => Promise<T>, options: MigrationLockOptions): Promise<T> {
    if (this.#depth > 0) return this.#savepoint(fn);
    return this.#outermost(() => beginImmediate(this.#database, this.#file, options), fn);
  }

  async close(): Promise<void> {
    if (this.#database.open) this.#database.close();
  }

  async #outermost<T>(begin: () => Promise<void>, fn: () => Promise<T>): Promise<T> {
    const foreignKeys = this.#database.pragma('foreign_keys', { simple: true }) === 1;
    if (foreignKeys) this.#database.pragma('foreign_keys = OFF');
    try {
      await begin();
      this.#depth = 1;
      this.#checkForeignKeys = foreignKeys;
      try {
        const result = await fn();
        this.#assertForeignKeys();
        this.#database.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.#database.inTransaction) this.#database.exec('ROLLBACK');
        throw error;
      }
    } finally {
      this.#depth = 0;
      this.#checkForeignKeys = false;
      this.#unchecked = false;
      if (foreignKeys) this.#database.pragma('foreign_keys = ON');
    }
  }

  async #savepoint<T>(fn: () => Promise<T>): Promise<T> {
    const name = `covet_savepoint_${++this.#savepoints}`;
    this.#database.exec(`SAVEPOINT ${name}`);
    this.#depth++;
    try {
      const result = await fn();
      this.#assertForeignKeys();
      this.#database.exec(`RELEASE ${name}`);
      return result;
    } catch (error) {
      // Some errors (SQLITE_FULL, SQLITE_IOERR) end the whole transaction themselves.
      if (this.#database.inTransaction) this.#database.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
      throw error;
    } finally {
      this.#depth--;
    }
  }

  #assertForeignKeys(): void {
    if (!this.#checkForeignKeys || !this.#unchecked) return;
    const violation = this.#database.prepare('PRAGMA foreign_key_check').get() as ForeignKeyViolation | undefined;
    if (!violation) {
      this.#unchecked = false;
      return;
    }
    throw new CovetError(
      'FOREIGN_KEY_VIOLATION',
      `Row ${violation.rowid ?? '(without rowid)'} of table "${violation.table}" references a missing row of "${violation.parent}" (foreign key check)`,
      { hint: `Fix or delete the rows of ${violation.table} that PRAGMA foreign_key_check lists, then run again.` },
    );
  }
}

/** Opens `config.name` (a file path, or `:memory:`) with better-sqlite3. */
export function openSqliteConnection(dialect: Dialect, file: string, options: Readonly<Record<string, unknown>> = {}): SqliteConnection {
  try {
    return new SqliteConnection(dialect, new Database(file, options as Database.Options), file);
  } catch (error) {
    throw new CovetError('CONNECTION_FAILED', `Cannot open the SQLite database (${file}): ${error instanceof Error ? error.message : String(error)}`, {
      hint: 'Check that the folder exists and is writable.',
      cause: error,
    });
  }
}
