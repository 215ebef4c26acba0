import type { CompileContext, Operation, SqlRenderer } from '../operations/define-operation.js';
import {
  BUILTIN_OPERATION_KINDS,
  isBuiltinOperationKind,
  type BuiltinOperationArgs,
  type BuiltinOperationKind,
  type PortableBuiltinKind,
} from '../operations/builtin/index.js';
import type { SqlStatement } from '../schema/types.js';
import type { OperationSqlTable } from './dialect.js';

export type { OperationSqlTable } from './dialect.js';

/** What compiling one operation gives: its statements, now or later. */
export type CompileResult = readonly SqlStatement[] | Promise<readonly SqlStatement[]>;

/** A dialect's SQL for one built-in kind: a method named after the kind, typed with its arguments. */
export type BuiltinOperationRenderer<Kind extends BuiltinOperationKind> = (
  args: BuiltinOperationArgs[Kind],
  context: CompileContext,
) => CompileResult;

/**
 * A dialect's SQL for the built-in operations: one method per kind, named after it and typed
 * with its arguments. Every built-in kind is required, so a compiler that lacks one does not
 * compile; only the kinds whose definition carries portable SQL (`runSql`: the statements as
 * written) are optional, and a dialect implements them where it must differ (MySQL refuses
 * `DELIMITER`). The set of kinds comes from the one list of built-in definitions, so a new
 * built-in kind makes every dialect's compiler fail the type check until it has the method.
 *
 * @example
 * class MyCompiler implements BuiltinOperationCompiler {
 *   dropTable(args: DropTableArgs) {
 *     return [{ sql: `DROP TABLE ${quote(args.name)}` }];
 *   }
 *   // ... one method for each other built-in kind
 * }
 */
export type BuiltinOperationCompiler = {
  readonly [Kind in Exclude<BuiltinOperationKind, PortableBuiltinKind>]: BuiltinOperationRenderer<Kind>;
} & {
  readonly [Kind in PortableBuiltinKind]?: BuiltinOperationRenderer<Kind>;
};


/**
 * The methods of `compiler` as a table by kind (each bound to the compiler), merged over
 * `extra`: what `DialectBase` publishes as `operationSql`.
 */
export function builtinOperationSql(compiler: BuiltinOperationCompiler, extra: OperationSqlTable = {}): OperationSqlTable {
  const table: Record<string, SqlRenderer<never> | undefined> = Object.create(null);
  Object.assign(table, extra);
  for (const kind of BUILTIN_OPERATION_KINDS) {
    const method = compiler[kind] as SqlRenderer<never> | undefined;
    if (typeof method === 'function') table[kind] = method.bind(compiler);
  }
  return Object.freeze(table);
}

/**
 * Calls the method of `compiler` named after the operation's kind, or returns `undefined`
 * when the kind is not a built-in or the compiler does not implement it: what
 * `Dialect.compileOperation` returns for a kind it does not know.
 */
export function compileBuiltin(compiler: BuiltinOperationCompiler, operation: Operation, context: CompileContext): CompileResult | undefined {
  if (!isBuiltinOperationKind(operation.kind)) return undefined;
  const method = compiler[operation.kind] as SqlRenderer<unknown> | undefined;
  return method?.call(compiler, operation.args, context);
}
