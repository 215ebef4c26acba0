import { CovetError } from '../errors/covet-error.js';
import type { CompileContext, Operation } from '../operations/define-operation.js';
import { validateIdentifier, type IdentifierKind } from '../schema/identifiers.js';
import { identifierRulesOf } from './identifier-rules.js';
import type { ColumnState, TableState } from '../schema/types.js';
import { builtinOperationSql, type BuiltinOperationCompiler, type CompileResult } from './builtin-compiler.js';
import {
  DIALECT_SPECIFICATION_VERSION,
  type DatabaseConfig,
  type Dialect,
  type DialectCapabilities,
  type DialectConnection,
  type OperationSqlTable,
  type SqlLiteral,
} from './dialect.js';

/**
 * A base for dialects: the contract version, ANSI identifier quoting (`"name"`, after
 * validation against `capabilities.maxIdentifierLength` and `checkIdentifier`), `?` placeholders, no column
 * normalisation, and `compileOperation` dispatched to its {@link Dialect.operationSql}: the methods of a
 * {@link BuiltinOperationCompiler} (one per built-in kind, required by the type checker) and the
 * SQL it has for plugin kinds ({@link DialectBase.pluginOperationSql}).
 * Extending it rather than implementing {@link Dialect} from scratch means a new optional
 * member of the contract arrives with a default instead of breaking the dialect.
 *
 * @example
 * class MyDialect extends DialectBase {
 *   readonly name = 'mine';
 *   readonly capabilities = { transactionalDdl: true, alterColumn: 'native', maxIdentifierLength: 63 } as const;
 *   protected readonly compiler = new MyCompiler((name) => this.quoteIdentifier(name));
 *   async connect(config: DatabaseConfig) { return openMyConnection(this, config); }
 *   describeDatabase(config: DatabaseConfig) { return `mine ${config.name}`; }
 * }
 */
export abstract class DialectBase implements Dialect {
  readonly specificationVersion = DIALECT_SPECIFICATION_VERSION;
  abstract readonly name: string;
  abstract readonly capabilities: DialectCapabilities;
  /** The SQL of the built-in operations: one method per built-in kind, required by its type. */
  protected abstract readonly compiler: BuiltinOperationCompiler;
  /**
   * SQL for kinds beyond the built-ins that this dialect knows (a plugin's), by kind; none by
   * default. A subclass overrides it:
   * `protected override readonly pluginOperationSql = { 'views.createView': (args: ViewArgs, context) => [...] }`.
   */
  protected readonly pluginOperationSql: OperationSqlTable = {};
  #operationSql: OperationSqlTable | undefined;

  /**
   * `"name"`, after checking the engine can hold it (`capabilities.maxIdentifierLength` in
   * its unit, and `checkIdentifier`); embedded quotes are doubled.
   */
  quoteIdentifier(name: string): string {
    validateIdentifier(name, 'identifier', identifierRulesOf(this));
    return `"${name.replace(/"/g, '""')}"`;
  }

  /** No rules beyond core's and the length limit; a dialect overrides this with its engine's. */
  checkIdentifier(_name: string, _kind?: IdentifierKind): string | undefined {
    return undefined;
  }

  placeholder(_index: number): string {
    return '?';
  }

  /**
   * A standard SQL literal: `'it''s'` (quotes doubled, backslashes as they are), numbers and
   * bigints as digits, `TRUE` / `FALSE`, `NULL`. Dialects whose strings treat a backslash as
   * an escape override it.
   */
  quoteLiteral(value: SqlLiteral): string {
    return standardLiteral(value, this.name);
  }

  /**
   * The compiler's methods and {@link DialectBase.pluginOperationSql}, by kind (built when first
   * read: the subclass's fields are set by then).
   */
  get operationSql(): OperationSqlTable {
    this.#operationSql ??= builtinOperationSql(this.compiler, this.pluginOperationSql);
    return this.#operationSql;
  }

  compileOperation(operation: Operation, context: CompileContext): CompileResult | undefined {
    return this.operationSql[operation.kind]?.(operation.args as never, context);
  }

  normalizeColumn(column: ColumnState): ColumnState {
    return column;
  }

  normalizeTable(table: TableState): TableState {
    return table;
  }

  abstract connect(config: DatabaseConfig): Promise<DialectConnection>;
  abstract describeDatabase(config: DatabaseConfig): string;
}

/**
 * A value as a standard SQL literal (see {@link DialectBase.quoteLiteral}); refuses what no
 * literal can hold exactly, naming the dialect: a NUL character, a number that is not finite,
 * a value of another type.
 */
export function standardLiteral(value: SqlLiteral, dialect: string, quoteString: (text: string) => string = (text) => `'${text.replace(/'/g, "''")}'`): string {
  if (value === null) return 'NULL';
  switch (typeof value) {
    case 'string':
      if (value.includes('\0')) throw new CovetError('LITERAL_INVALID', `A string with a NUL character cannot be an SQL literal (quoteLiteral of ${dialect})`);
      return quoteString(value);
    case 'number':
      if (!Number.isFinite(value)) throw new CovetError('LITERAL_INVALID', `${value} cannot be an SQL literal (quoteLiteral of ${dialect})`);
      return Object.is(value, -0) ? '0' : String(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'TRUE' : 'FALSE';
    default:
      throw new CovetError('LITERAL_INVALID', `A value of type ${typeof value} cannot be an SQL literal (quoteLiteral of ${dialect})`, {
        hint: 'Pass a string, a number, a bigint, a boolean or null.',
      });
  }
}
