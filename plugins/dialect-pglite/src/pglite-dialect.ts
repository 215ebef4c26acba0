import { resolve } from 'node:path';
import { DialectBase } from '@covet/core/dialect';
import type { ColumnState, DatabaseConfig, DialectCapabilities, DialectConnection, SqlLiteral } from '@covet/core/dialect';
import { PostgresCompiler, PostgresDialect } from '@covet/dialect-postgres';
import { MEMORY, PGliteConnection } from './pglite-connection.js';

declare const __COVET_BUILD_ID__: string | undefined;

/**
 * Covet's PGlite dialect: PostgreSQL compiled to WebAssembly, in the Covet process, with no
 * server. The SQL, the column normalisation and the introspection are
 * `@covet/dialect-postgres`'s (PGlite is PostgreSQL), so a project can move between the two
 * by changing its `database` settings.
 */
export class PGliteDialect extends DialectBase {
  readonly name = 'pglite';
  /** PGlite speaks PostgreSQL: an operation's `sql.postgres` serves it (see `dialectFamily`). */
  readonly family = 'postgres';
  readonly #postgres = new PostgresDialect();
  /** This build and the PostgreSQL compiler's (compiled plans are cached under it). */
  readonly cacheKey =
    typeof __COVET_BUILD_ID__ === 'string' && this.#postgres.cacheKey !== undefined
      ? `@covet/dialect-pglite@${__COVET_BUILD_ID__}+${this.#postgres.cacheKey}`
      : undefined;
  readonly capabilities: DialectCapabilities = this.#postgres.capabilities;
  protected readonly compiler = new PostgresCompiler((name) => this.quoteIdentifier(name));

  override quoteLiteral(value: SqlLiteral): string {
    return this.#postgres.quoteLiteral(value);
  }

  override placeholder(index: number): string {
    return this.#postgres.placeholder(index);
  }

  override normalizeColumn(column: ColumnState): ColumnState {
    return this.#postgres.normalizeColumn(column);
  }

  async connect(config: DatabaseConfig): Promise<DialectConnection> {
    return PGliteConnection.open(this, config, pgliteDirectory(config), this.describeDatabase(config));
  }

  /** `pglite <absolute data directory>` or `pglite :memory:`. */
  describeDatabase(config: DatabaseConfig): string {
    return `pglite ${pgliteDirectory(config)}`;
  }
}

/**
 * Where a configuration's database lives: `:memory:` (also when `name` is absent), else the
 * data directory `name`, resolved against `config.root` (the config file's folder).
 */
export function pgliteDirectory(config: DatabaseConfig): string {
  const name = config.name ?? MEMORY;
  if (name === MEMORY || name === 'memory://') return MEMORY;
  return resolve(config.root ?? process.cwd(), name.startsWith('file://') ? name.slice('file://'.length) : name);
}

/**
 * Creates the PGlite dialect. Most projects do not call it: the package's default export is a
 * plugin that registers it, and the CLI loads it for `engine: 'pglite'`.
 *
 * @example
 * const dialect = createPGliteDialect();
 * const connection = await dialect.connect({ engine: 'pglite', name: ':memory:' });
 */
export function createPGliteDialect(): PGliteDialect {
  return new PGliteDialect();
}
