import { DialectBase } from '@covet/core/dialect';
import type { ColumnState, DatabaseConfig, DialectCapabilities, DialectConnection } from '@covet/core/dialect';
import { resolve } from 'node:path';
import { SqliteCompiler } from './sqlite-compiler.js';
import { openSqliteConnection } from './sqlite-connection.js';
import { normalizeSqliteColumn } from './sqlite-types.js';

declare const __COVET_BUILD_ID__: string | undefined;

/**
 * Covet's SQLite dialect, on better-sqlite3.
 *
 * DDL is transactional, so every migration is all-or-nothing. Column changes and foreign keys,
 * which SQLite cannot ALTER, rebuild the table inside the migration's transaction, keeping every
 * row, index, trigger and view. The migration lock is SQLite's write lock (`BEGIN IMMEDIATE`).
 */
export class SqliteDialect extends DialectBase {
  readonly name = 'sqlite';
  /** This build of the compiler (set when the package is built): compiled plans are cached under it. */
  readonly cacheKey = typeof __COVET_BUILD_ID__ === 'string' ? `@covet/dialect-sqlite@${__COVET_BUILD_ID__}` : undefined;
  readonly capabilities: DialectCapabilities = Object.freeze({
    transactionalDdl: true,
    alterColumn: 'rebuild',
    // SQLite has no limit on names (keeping them portable is a policy plugin's choice).
    maxIdentifierLength: Number.POSITIVE_INFINITY,
    // Index names are unique in the schema; a foreign key's name is only a label in its table's SQL.
    nameScopes: [
      { kinds: ['index'], scope: 'schema' },
      { kinds: ['foreignKey'], scope: 'table' },
    ] as const,
    // The lock is BEGIN IMMEDIATE: a run commits once, when it ends.
    lockIsTransaction: true,
  });
  protected readonly compiler = new SqliteCompiler((name) => this.quoteIdentifier(name));

  override normalizeColumn(column: ColumnState): ColumnState {
    return normalizeSqliteColumn(column);
  }

  async connect(config: DatabaseConfig): Promise<DialectConnection> {
    return openSqliteConnection(this, databaseFile(config), config.options ?? {});
  }

  describeDatabase(config: DatabaseConfig): string {
    return `sqlite ${databaseFile(config)}`;
  }
}

/**
 * The database file: `name` resolved from `root` (the config file's folder when the name came
 * from the config file), or `:memory:` / a `file:` URI as given.
 */
export function databaseFile(config: DatabaseConfig): string {
  const name = config.name ?? ':memory:';
  if (name === ':memory:' || name.startsWith('file:')) return name;
  return resolve(config.root ?? process.cwd(), name);
}

/**
 * Creates the SQLite dialect. Most projects do not call it: the package's default export is a
 * plugin that registers it, and the CLI loads it for `engine: 'sqlite'`.
 *
 * @example
 * const dialect = createSqliteDialect();
 * const connection = await dialect.connect({ engine: 'sqlite', name: './app.db' });
 */
export function createSqliteDialect(): SqliteDialect {
  return new SqliteDialect();
}
