import { DialectBase, standardLiteral } from '@covet/core/dialect';
import type { ColumnState, DatabaseConfig, DialectCapabilities, DialectConnection, SqlLiteral } from '@covet/core/dialect';
import { PostgresCompiler } from './postgres-compiler.js';
import { PostgresConnection, schemaOf } from './postgres-connection.js';
import { normalizePostgresColumn } from './postgres-types.js';

declare const __COVET_BUILD_ID__: string | undefined;

/**
 * Covet's PostgreSQL dialect, on `pg`.
 *
 * DDL is transactional, so each migration and its tracking row commit or roll back together.
 * Columns change with PostgreSQL's own ALTER forms; the schema is read from the system catalogs
 * in one round trip; concurrent runs are serialised by a session advisory lock keyed by
 * database and schema; DDL waits at most `lock_timeout` (10 s unless
 * `database.options.lockTimeout` says otherwise) for a busy table.
 */
export class PostgresDialect extends DialectBase {
  /** `string`, not the literal: a dialect for a PostgreSQL-compatible engine may extend this class under its own name (with `family = 'postgres'`). */
  readonly name: string = 'postgres';
  /** This build of the compiler (set when the package is built): compiled plans are cached under it. */
  readonly cacheKey = typeof __COVET_BUILD_ID__ === 'string' ? `@covet/dialect-postgres@${__COVET_BUILD_ID__}` : undefined;
  readonly capabilities: DialectCapabilities = Object.freeze({
    transactionalDdl: true,
    alterColumn: 'native',
    // NAMEDATALEN - 1 bytes (of the database encoding, UTF-8): longer names are silently
    // truncated by the server, so they are refused before any SQL is sent.
    maxIdentifierLength: 63,
    identifierLengthUnit: 'bytes',
    // Indexes are relations (one namespace per schema); a foreign key is a constraint, named
    // per table, so it may share an index's name.
    nameScopes: [
      { kinds: ['index'], scope: 'schema' },
      { kinds: ['foreignKey'], scope: 'table' },
    ] as const,
  });
  protected readonly compiler = new PostgresCompiler((name) => this.quoteIdentifier(name));

  /**
   * A literal whatever `standard_conforming_strings` says: a string holding a backslash is
   * written as an escape string (`E'a\\b'` for a\b: backslashes doubled), any other as `'...'`.
   */
  override quoteLiteral(value: SqlLiteral): string {
    return standardLiteral(value, this.name, (text) =>
      text.includes('\\') ? `E'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'` : `'${text.replace(/'/g, "''")}'`,
    );
  }

  override placeholder(index: number): string {
    return `$${index}`;
  }

  override normalizeColumn(column: ColumnState): ColumnState {
    return normalizePostgresColumn(column);
  }

  async connect(config: DatabaseConfig): Promise<DialectConnection> {
    return PostgresConnection.open(this, config, this.describeDatabase(config));
  }

  /** `postgres user@host:port/database` (and the schema unless it is `public`), never the password. */
  describeDatabase(config: DatabaseConfig): string {
    let host = config.host;
    let port = config.port;
    let user = config.user;
    let name = config.name;
    if (config.url && (host === undefined || name === undefined)) {
      try {
        const url = new URL(config.url);
        host ??= decodeURIComponent(url.hostname) || undefined;
        port ??= url.port ? Number(url.port) : undefined;
        user ??= decodeURIComponent(url.username) || undefined;
        name ??= decodeURIComponent(url.pathname.replace(/^\//, '')) || undefined;
      } catch {
        // A malformed URL is reported by the connection; the description stays without it.
      }
    }
    const schema = schemaOf(config);
    const where = `${user ? `${user}@` : ''}${host ?? 'localhost'}${port ? `:${port}` : ''}/${name ?? user ?? ''}`;
    return `postgres ${where}${schema === 'public' ? '' : ` (schema ${schema})`}`;
  }
}

/**
 * Creates the PostgreSQL dialect. Most projects do not call it: the package's default export is
 * a plugin that registers it, and the CLI loads it for `engine: 'postgres'`.
 *
 * @example
 * const dialect = createPostgresDialect();
 * const connection = await dialect.connect({ engine: 'postgres', url: 'postgres://app@localhost/app' });
 */
export function createPostgresDialect(): PostgresDialect {
  return new PostgresDialect();
}
