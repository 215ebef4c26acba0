import type { CompileContext, Operation } from '../operations/define-operation.js';
import { validateIdentifier } from '../schema/identifiers.js';
import type { ColumnState } from '../schema/types.js';
import { compileBuiltin, type BuiltinOperationCompiler, type CompileResult } from './builtin-compiler.js';
import {
  DIALECT_SPECIFICATION_VERSION,
  type DatabaseConfig,
  type Dialect,
  type DialectCapabilities,
  type DialectConnection,
} from './dialect.js';

/**
 * A base for dialects: the contract version, ANSI identifier quoting (`"name"`, after
 * validation against `capabilities.maxIdentifierLength`), `?` placeholders, no column
 * normalisation, and `compileOperation` dispatched to a {@link BuiltinOperationCompiler}.
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
  /** The SQL of the built-in operations. */
  protected abstract readonly compiler: BuiltinOperationCompiler;

  /** `"name"`, after checking it is a valid identifier; embedded quotes are doubled. */
  quoteIdentifier(name: string): string {
    validateIdentifier(name, 'identifier', this.capabilities.maxIdentifierLength);
    return `"${name.replace(/"/g, '""')}"`;
  }

  placeholder(_index: number): string {
    return '?';
  }

  compileOperation(operation: Operation, context: CompileContext): CompileResult | undefined {
    return compileBuiltin(this.compiler, operation, context);
  }

  normalizeColumn(column: ColumnState): ColumnState {
    return column;
  }

  abstract connect(config: DatabaseConfig): Promise<DialectConnection>;
  abstract describeDatabase(config: DatabaseConfig): string;
}
