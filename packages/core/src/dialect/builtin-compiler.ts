import type { CompileContext, Operation } from '../operations/define-operation.js';
import type {
  AddColumnArgs,
  AddForeignKeyArgs,
  AlterColumnArgs,
  CreateIndexArgs,
  CreateTableArgs,
  DropColumnArgs,
  DropForeignKeyArgs,
  DropIndexArgs,
  DropTableArgs,
  RenameColumnArgs,
  RenameTableArgs,
  RunSqlArgs,
} from '../operations/builtin/index.js';
import type { SqlStatement } from '../schema/types.js';

/** What compiling one operation gives: its statements, now or later. */
export type CompileResult = readonly SqlStatement[] | Promise<readonly SqlStatement[]>;

/**
 * A dialect's SQL for the built-in operations: one method per kind, named after it and typed
 * with its arguments. A dialect implements the kinds it supports (`runSql` has a default in
 * core); {@link compileBuiltin} dispatches to them.
 *
 * @example
 * class MyCompiler implements BuiltinOperationCompiler {
 *   dropTable(args: DropTableArgs) {
 *     return [{ sql: `DROP TABLE ${quote(args.name)}` }];
 *   }
 * }
 */
export interface BuiltinOperationCompiler {
  createTable?(args: CreateTableArgs, context: CompileContext): CompileResult;
  dropTable?(args: DropTableArgs, context: CompileContext): CompileResult;
  renameTable?(args: RenameTableArgs, context: CompileContext): CompileResult;
  addColumn?(args: AddColumnArgs, context: CompileContext): CompileResult;
  dropColumn?(args: DropColumnArgs, context: CompileContext): CompileResult;
  alterColumn?(args: AlterColumnArgs, context: CompileContext): CompileResult;
  renameColumn?(args: RenameColumnArgs, context: CompileContext): CompileResult;
  createIndex?(args: CreateIndexArgs, context: CompileContext): CompileResult;
  dropIndex?(args: DropIndexArgs, context: CompileContext): CompileResult;
  addForeignKey?(args: AddForeignKeyArgs, context: CompileContext): CompileResult;
  dropForeignKey?(args: DropForeignKeyArgs, context: CompileContext): CompileResult;
  runSql?(args: RunSqlArgs, context: CompileContext): CompileResult;
}

const BUILTIN_KINDS = new Set<string>([
  'createTable',
  'dropTable',
  'renameTable',
  'addColumn',
  'dropColumn',
  'alterColumn',
  'renameColumn',
  'createIndex',
  'dropIndex',
  'addForeignKey',
  'dropForeignKey',
  'runSql',
]);

/**
 * Calls the method of `compiler` named after the operation's kind, or returns `undefined`
 * when the kind is not a built-in or the compiler does not implement it: what
 * `Dialect.compileOperation` returns for a kind it does not know.
 */
export function compileBuiltin(compiler: BuiltinOperationCompiler, operation: Operation, context: CompileContext): CompileResult | undefined {
  if (!BUILTIN_KINDS.has(operation.kind)) return undefined;
  const method = compiler[operation.kind as keyof BuiltinOperationCompiler] as
    | ((args: unknown, context: CompileContext) => CompileResult)
    | undefined;
  return method?.call(compiler, operation.args, context);
}
