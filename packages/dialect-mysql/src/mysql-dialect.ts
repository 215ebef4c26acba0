import { DialectBase, describeCharacter, identifierRulesOf, standardLiteral, validateIdentifier } from '@covet/core/dialect';
import type { ColumnState, DatabaseConfig, DialectCapabilities, IdentifierKind, SqlLiteral, TableState } from '@covet/core/dialect';
import { MAX_DATABASE_FILE_NAME, MAX_TABLE_FILE_NAME, fileNameLength } from './mysql-file-names.js';
import { MysqlCompiler } from './mysql-compiler.js';
import { openMysqlConnection, poolOptions, type MysqlConnection } from './mysql-connection.js';
import { normalizeMysqlColumn, normalizeMysqlTable, stringLiteral } from './mysql-types.js';

declare const __COVET_BUILD_ID__: string | undefined;

/**
 * Covet's MySQL dialect (MySQL 8, MariaDB 10.6+), on mysql2.
 *
 * MySQL commits every DDL statement implicitly, so `capabilities.transactionalDdl` is false:
 * a migration's operations run one by one, each as one atomic DDL statement where MySQL
 * allows it, and a failed migration is undone by the runner reversing the operations that
 * ran. `transaction()` still wraps the DML and the tracking row. Tables are InnoDB, utf8mb4.
 * The migration lock is `GET_LOCK('covet_migrate:<database>')` on a dedicated connection.
 */
export class MysqlDialect extends DialectBase {
  /** `string`, not the literal: a dialect for a MySQL-compatible engine may extend this class under its own name (with `family = 'mysql'`). */
  readonly name: string = 'mysql';
  /** This build of the compiler (set when the package is built): compiled plans are cached under it. */
  readonly cacheKey = typeof __COVET_BUILD_ID__ === 'string' ? `@covet/dialect-mysql@${__COVET_BUILD_ID__}` : undefined;
  readonly capabilities: DialectCapabilities = Object.freeze({
    transactionalDdl: false,
    alterColumn: 'native',
    // MySQL and MariaDB limit table, column, index and constraint names to 64 characters.
    maxIdentifierLength: 64,
    identifierLengthUnit: 'characters',
    // Index names are unique per table only (Sakila reuses idx_fk_address_id on several);
    // InnoDB keeps foreign key names per database, apart from index names (a foreign key's
    // index usually carries its name).
    nameScopes: [
      { kinds: ['index'], scope: 'table' },
      { kinds: ['foreignKey'], scope: 'schema' },
    ] as const,
  });
  protected readonly compiler = new MysqlCompiler((name) => this.quoteIdentifier(name));

  /** `` `name` ``, after checking MySQL can hold the name; embedded backticks are doubled. */
  override quoteIdentifier(name: string): string {
    validateIdentifier(name, 'identifier', identifierRulesOf(this));
    return `\`${name.replace(/`/g, '``')}\``;
  }

  /**
   * A literal that means the same with and without `NO_BACKSLASH_ESCAPES`: quotes doubled, and
   * a string holding a backslash as `_utf8mb4 X'...'` (an expression: MySQL accepts it in
   * DEFAULT, SELECT, INSERT, CHECK, but not in a COMMENT clause, which takes only a plain string).
   */
  override quoteLiteral(value: SqlLiteral): string {
    return standardLiteral(value, this.name, stringLiteral);
  }

  /**
   * MySQL's rules beyond core's: names hold characters of the Basic Multilingual Plane only
   * (identifiers are stored as utf8mb3), and cannot end with a space; the name of a table
   * (`kind` `table`) or a database must also fit the server's file names, where a character
   * other than an ASCII letter, digit or `_` takes 3 or 5 (see fileNameLength).
   */
  override checkIdentifier(name: string, kind?: IdentifierKind): string | undefined {
    let position = 0;
    for (const character of name) {
      position++;
      const codePoint = character.codePointAt(0)!;
      if (codePoint > 0xffff) {
        return `character ${describeCharacter(codePoint)} at position ${position} is not allowed: MySQL names hold only characters up to U+FFFF (the Basic Multilingual Plane)`;
      }
    }
    if (name.endsWith(' ')) return `it ends with a space (position ${position}), which MySQL does not allow`;
    if (kind === 'table' || kind === 'database') {
      const limit = kind === 'table' ? MAX_TABLE_FILE_NAME : MAX_DATABASE_FILE_NAME;
      const length = fileNameLength(name);
      if (length > limit) {
        return `it is ${length} characters as a file name, more than the mysql limit of ${limit} for a ${kind} name (the server names the ${kind === 'table' ? "table's files" : "database's directory"} after it, writing each character other than A-Z, a-z, 0-9 and _ as 3 or 5: é as @0p, 中 as @4e2d)`;
      }
    }
    return undefined;
  }

  override normalizeColumn(column: ColumnState): ColumnState {
    return normalizeMysqlColumn(column);
  }

  override normalizeTable(table: TableState): TableState {
    return normalizeMysqlTable(table);
  }

  connect(config: DatabaseConfig): Promise<MysqlConnection> {
    return openMysqlConnection(this, config, this.describeDatabase(config));
  }

  /** `mysql user@host:port/database`, never with the password. */
  describeDatabase(config: DatabaseConfig): string {
    let options;
    try {
      options = poolOptions(config);
    } catch {
      return 'mysql (invalid URL)';
    }
    return `mysql ${options.user}@${options.host}:${options.port}/${options.database ?? ''}`;
  }
}

/**
 * Creates the MySQL dialect. Most projects do not call it: the package's default export is a
 * plugin that registers it, and the CLI loads it for `engine: 'mysql'`.
 *
 * @example
 * const dialect = createMysqlDialect();
 * const connection = await dialect.connect({ engine: 'mysql', url: 'mysql://root@127.0.0.1:3306/app' });
 */
export function createMysqlDialect(): MysqlDialect {
  return new MysqlDialect();
}
