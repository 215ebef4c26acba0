import type { AnyOperationDefinition, OperationDefinition, SqlRenderer } from '../define-operation.js';
import { addColumn, alterColumn, dropColumn, renameColumn } from './column-operations.js';
import { addForeignKey, dropForeignKey } from './foreign-key-operations.js';
import { createIndex, dropIndex, renameIndex } from './index-operations.js';
import { runSql } from './run-sql.js';
import { createTable, dropTable, renameTable } from './table-operations.js';

/**
 * The built-in operation definitions, by kind: the one list of built-in kinds. Every other
 * list is derived from it — {@link BuiltinOperationKind}, {@link BuiltinOperationArgs}, the
 * methods a dialect's `BuiltinOperationCompiler` must have, the `op` builders and the writers
 * of `@covet/writer-ts` — so the type checker names whatever a new kind still lacks.
 */
const BUILTIN_DEFINITIONS = {
  createTable,
  dropTable,
  renameTable,
  addColumn,
  dropColumn,
  alterColumn,
  renameColumn,
  createIndex,
  dropIndex,
  renameIndex,
  addForeignKey,
  dropForeignKey,
  runSql,
} as const;

/** The built-in definitions by kind, each with its `op` builder and writer (see {@link BuiltinDefinition}). */
export type BuiltinDefinitions = typeof BUILTIN_DEFINITIONS;

/** The parameters of `op.<kind>` for each built-in kind: its definition's `build`. */
export type BuiltinBuilderParams = { readonly [Kind in BuiltinOperationKind]: Parameters<BuiltinDefinitions[Kind]['build']> };

/**
 * The definition of built-in `kind`, with its builder and writer (what `covet.operations.get`
 * gives is the registered one, typed as an {@link OperationDefinition}).
 */
export function builtinDefinition<Kind extends BuiltinOperationKind>(kind: Kind): BuiltinDefinitions[Kind] {
  return BUILTIN_DEFINITIONS[kind];
}

/** The arguments type of an operation definition. */
export type OperationArgs<Definition> = Definition extends OperationDefinition<infer Args> ? Args : never;

/** A built-in operation kind. */
export type BuiltinOperationKind = keyof BuiltinDefinitions;

/**
 * The arguments of each built-in operation kind: what `isOperation(op, kind)` narrows `args`
 * to, and what `covet.operations.get(kind)` types its definition with.
 */
export type BuiltinOperationArgs = { readonly [Kind in BuiltinOperationKind]: OperationArgs<BuiltinDefinitions[Kind]> };

/**
 * The built-in kinds whose definition carries portable SQL (`sql.default`, declared in its
 * type with {@link PortableOperationDefinition}): a dialect may render them, and need not.
 */
export type PortableBuiltinKind = {
  [Kind in BuiltinOperationKind]: BuiltinDefinitions[Kind] extends { readonly sql: { readonly default: SqlRenderer<never> } } ? Kind : never;
}[BuiltinOperationKind];

/** The built-in operation kinds, in the order of the list. */
export const BUILTIN_OPERATION_KINDS: readonly BuiltinOperationKind[] = Object.freeze(Object.keys(BUILTIN_DEFINITIONS) as BuiltinOperationKind[]);

/**
 * The built-in operation definitions, registered on every `Covet` instance; typed as
 * `covet.operations.get(kind)` types a kind it is not told (arguments `unknown`).
 */
export const BUILTIN_OPERATIONS: readonly OperationDefinition<unknown>[] = Object.freeze(
  Object.values(BUILTIN_DEFINITIONS) as readonly AnyOperationDefinition[] as readonly OperationDefinition<unknown>[],
);

/**
 * True when `kind` is a built-in operation kind.
 *
 * @example
 * isBuiltinOperationKind('dropTable'); // true
 * isBuiltinOperationKind('views.createView'); // false
 */
export function isBuiltinOperationKind(kind: string): kind is BuiltinOperationKind {
  return Object.prototype.hasOwnProperty.call(BUILTIN_DEFINITIONS, kind);
}

export { createTable, dropTable, renameTable, addColumn, dropColumn, alterColumn, renameColumn };
export { createIndex, dropIndex, renameIndex, addForeignKey, dropForeignKey, runSql };
export type { CreateTableArgs, DropTableArgs, RenameTableArgs } from './table-operations.js';
export type { AddColumnArgs, DropColumnArgs, AlterColumnArgs, RenameColumnArgs } from './column-operations.js';
export type { CreateIndexArgs, DropIndexArgs, RenameIndexArgs } from './index-operations.js';
export type { AddForeignKeyArgs, DropForeignKeyArgs } from './foreign-key-operations.js';
export type { RunSqlArgs } from './run-sql.js';
export type { BuiltinDefinition } from './define-builtin.js';
