import type { OperationDefinition } from '../define-operation.js';
import type { AddColumnArgs, AlterColumnArgs, DropColumnArgs, RenameColumnArgs } from './column-operations.js';
import type { AddForeignKeyArgs, DropForeignKeyArgs } from './foreign-key-operations.js';
import type { CreateIndexArgs, DropIndexArgs } from './index-operations.js';
import type { RunSqlArgs } from './run-sql.js';
import type { CreateTableArgs, DropTableArgs, RenameTableArgs } from './table-operations.js';
import { addColumn, alterColumn, dropColumn, renameColumn } from './column-operations.js';
import { addForeignKey, dropForeignKey } from './foreign-key-operations.js';
import { createIndex, dropIndex } from './index-operations.js';
import { runSql } from './run-sql.js';
import { createTable, dropTable, renameTable } from './table-operations.js';

/**
 * The arguments of each built-in operation kind: what `isOperation(op, kind)` narrows `args`
 * to, and what `covet.operations.get(kind)` types its definition with.
 */
export interface BuiltinOperationArgs {
  createTable: CreateTableArgs;
  dropTable: DropTableArgs;
  renameTable: RenameTableArgs;
  addColumn: AddColumnArgs;
  dropColumn: DropColumnArgs;
  alterColumn: AlterColumnArgs;
  renameColumn: RenameColumnArgs;
  createIndex: CreateIndexArgs;
  dropIndex: DropIndexArgs;
  addForeignKey: AddForeignKeyArgs;
  dropForeignKey: DropForeignKeyArgs;
  runSql: RunSqlArgs;
}

/** A built-in operation kind. */
export type BuiltinOperationKind = keyof BuiltinOperationArgs;

/** The 12 built-in operation definitions, registered on every `Covet` instance. */
export const BUILTIN_OPERATIONS: readonly OperationDefinition[] = Object.freeze([
  createTable,
  dropTable,
  renameTable,
  addColumn,
  dropColumn,
  alterColumn,
  renameColumn,
  createIndex,
  dropIndex,
  addForeignKey,
  dropForeignKey,
  runSql,
]);

export { createTable, dropTable, renameTable, addColumn, dropColumn, alterColumn, renameColumn };
export { createIndex, dropIndex, addForeignKey, dropForeignKey, runSql };
export type { CreateTableArgs, DropTableArgs, RenameTableArgs } from './table-operations.js';
export type { AddColumnArgs, DropColumnArgs, AlterColumnArgs, RenameColumnArgs } from './column-operations.js';
export type { CreateIndexArgs, DropIndexArgs } from './index-operations.js';
export type { AddForeignKeyArgs, DropForeignKeyArgs } from './foreign-key-operations.js';
export type { RunSqlArgs } from './run-sql.js';
