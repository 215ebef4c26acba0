import { CovetError } from '../../errors/covet-error.js';
import { validateIdentifier } from '../../schema/identifiers.js';
import type { ColumnState, SchemaState, TableState } from '../../schema/types.js';
import { requireTable, tablesOf, withTable } from '../../state/schema-state.js';
import { columnChangeLosesData } from '../../diff/data-loss.js';
import { createOperation, type Operation } from '../define-operation.js';
import { columnStateOf, isColumnBuilder, type ColumnBuilder } from '../../schema/column-builder.js';
import { call, literal } from '../../writer/code-tree.js';
import { defineBuiltin } from './define-builtin.js';
import { columnCode } from './write-code.js';
import { referencingForeignKeys, requireColumn, validateColumn } from './validate-args.js';

/** Arguments of `addColumn`. */
export interface AddColumnArgs { readonly table: string; readonly column: ColumnState }
/** Arguments of `dropColumn`. */
export interface DropColumnArgs { readonly table: string; readonly column: string }
/** Arguments of `alterColumn`: the column's new definition (type, nullability, default). */
export interface AlterColumnArgs { readonly table: string; readonly column: ColumnState }
/** Arguments of `renameColumn`. */
export interface RenameColumnArgs { readonly table: string; readonly from: string; readonly to: string }

/** The column of `op.addColumn` / `op.alterColumn`: a plain column (no key, unique or reference: those are their own operations). */
function plainColumn(table: string, column: string, type: ColumnBuilder, builder: string): ColumnState {
  validateIdentifier(column, `column of ${table} (${builder})`);
  if (!isColumnBuilder(type)) {
    throw new CovetError('COLUMN_TYPE_INVALID', `op.${builder}(${table}, ${column}) needs a column type made with t`);
  }
  const { primaryKey, unique, references } = type.spec;
  if (primaryKey || unique !== false || references) {
    const what = primaryKey ? 'primaryKey()' : unique !== false ? 'unique()' : 'references()';
    throw new CovetError('OPERATION_INVALID', `op.${builder}(${table}, ${column}) cannot take .${what}`, {
      hint: references ? 'Add it with op.addForeignKey.' : 'Add it with op.createIndex({ unique: true }).',
    });
  }
  return columnStateOf(column, type);
}

function replaceTable(state: SchemaState, table: TableState): SchemaState {
  return withTable(state, table);
}

/** ALTER TABLE ... ADD COLUMN. */
export const addColumn = defineBuiltin<AddColumnArgs>()({
  kind: 'addColumn',
  build: (table: string, column: string, type: ColumnBuilder) => ({ table, column: plainColumn(table, column, type, 'addColumn') }),
  write: (args) => ({ code: call('op.addColumn', literal(args.table), literal(args.column.name), columnCode(args.column)) }),
  validate(args, state) {
    const table = requireTable(state, args.table, 'addColumn');
    validateColumn(args.column, args.table);
    if (table.columns.some((c) => c.name === args.column.name)) {
      throw new CovetError('COLUMN_EXISTS', `Column "${args.table}.${args.column.name}" already exists (addColumn)`);
    }
  },
  describe: (args) => `Add column ${args.table}.${args.column.name}`,
  applyToState(state, args) {
    const table = requireTable(state, args.table);
    return replaceTable(state, { ...table, columns: [...table.columns, args.column] });
  },
  reverse: (args) => [createOperation('dropColumn', { table: args.table, column: args.column.name })],
});

/** ALTER TABLE ... DROP COLUMN; indexes and foreign keys on the column go with it. */
export const dropColumn = defineBuiltin<DropColumnArgs>()({
  kind: 'dropColumn',
  build: (table: string, column: string) => ({ table, column }),
  write: (args) => ({ code: call('op.dropColumn', literal(args.table), literal(args.column)) }),
  validate(args, state) {
    validateIdentifier(args.column, `column of ${args.table} (dropColumn)`);
    const table = requireTable(state, args.table, 'dropColumn');
    requireColumn(table, args.column);
    if (table.columns.length === 1) {
      throw new CovetError('COLUMN_LAST', `Cannot drop ${args.table}.${args.column}, the table's only column`, {
        hint: 'Drop the table instead.',
      });
    }
    if (table.primaryKey?.columns.includes(args.column)) {
      throw new CovetError('COLUMN_IN_PRIMARY_KEY', `Cannot drop ${args.table}.${args.column}: it is part of the primary key`);
    }
    const referencing = referencingForeignKeys(state, args.table, args.column);
    if (referencing.length > 0) {
      const first = referencing[0]!;
      throw new CovetError(
        'COLUMN_REFERENCED',
        `Column "${args.table}.${args.column}" is referenced by foreign key ${first.foreignKey.name} of ${first.table} (dropColumn)`,
        { hint: 'Drop that foreign key first (op.dropForeignKey).' },
      );
    }
  },
  describe: (args) => `Drop column ${args.table}.${args.column}`,
  applyToState(state, args) {
    const table = requireTable(state, args.table);
    return replaceTable(state, {
      ...table,
      columns: table.columns.filter((c) => c.name !== args.column),
      indexes: table.indexes.filter((i) => !i.columns.includes(args.column)),
      foreignKeys: table.foreignKeys.filter((fk) => !fk.columns.includes(args.column)),
    });
  },
  reverse(args, state) {
    const table = requireTable(state, args.table);
    const operations: Operation[] = [createOperation('addColumn', { table: args.table, column: requireColumn(table, args.column) })];
    for (const index of table.indexes.filter((i) => i.columns.includes(args.column))) {
      operations.push(createOperation('createIndex', { table: args.table, index }));
    }
    for (const foreignKey of table.foreignKeys.filter((fk) => fk.columns.includes(args.column))) {
      operations.push(createOperation('addForeignKey', { table: args.table, foreignKey }));
    }
    return operations;
  },
  destructive: true,
});

/** Changes a column's type, nullability or default. */
export const alterColumn = defineBuiltin<AlterColumnArgs>()({
  kind: 'alterColumn',
  build: (table: string, column: string, type: ColumnBuilder) => ({ table, column: plainColumn(table, column, type, 'alterColumn') }),
  write: (args) => ({ code: call('op.alterColumn', literal(args.table), literal(args.column.name), columnCode(args.column)) }),
  validate(args, state) {
    const table = requireTable(state, args.table, 'alterColumn');
    validateColumn(args.column, args.table);
    requireColumn(table, args.column.name);
  },
  describe: (args) => `Alter column ${args.table}.${args.column.name}`,
  applyToState(state, args) {
    const table = requireTable(state, args.table);
    return replaceTable(state, {
      ...table,
      columns: table.columns.map((c) => (c.name === args.column.name ? args.column : c)),
    });
  },
  reverse: (args, state) => [
    createOperation('alterColumn', { table: args.table, column: requireColumn(requireTable(state, args.table), args.column.name) }),
  ],
  // Only a narrowing or a change that can fail loses data; without the state, assume it may.
  destructive(args, state) {
    const before = state?.tables[args.table]?.columns.find((column) => column.name === args.column.name);
    return before === undefined || columnChangeLosesData(before, args.column);
  },
});

/** ALTER TABLE ... RENAME COLUMN; keys, indexes and references follow the new name. */
export const renameColumn = defineBuiltin<RenameColumnArgs>()({
  kind: 'renameColumn',
  build: (table: string, from: string, to: string) => ({ table, from, to }),
  write: (args) => ({ code: call('op.renameColumn', literal(args.table), literal(args.from), literal(args.to)) }),
  validate(args, state) {
    validateIdentifier(args.from, `column of ${args.table} (renameColumn)`);
    validateIdentifier(args.to, `new column name of ${args.table} (renameColumn)`);
    const table = requireTable(state, args.table, 'renameColumn');
    requireColumn(table, args.from);
    if (table.columns.some((c) => c.name === args.to)) {
      throw new CovetError('COLUMN_EXISTS', `Column "${args.table}.${args.to}" already exists (renameColumn)`);
    }
  },
  describe: (args) => `Rename column ${args.table}.${args.from} to ${args.to}`,
  applyToState(state, args) {
    const rename = (columns: readonly string[]) => columns.map((c) => (c === args.from ? args.to : c));
    let next = state;
    for (const other of tablesOf(state)) {
      const own = other.name === args.table;
      const touched = own || other.foreignKeys.some((fk) => fk.references.table === args.table);
      if (!touched) continue;
      const updated: TableState = {
        ...other,
        columns: own ? other.columns.map((c) => (c.name === args.from ? { ...c, name: args.to } : c)) : other.columns,
        indexes: own ? other.indexes.map((i) => ({ ...i, columns: rename(i.columns) })) : other.indexes,
        foreignKeys: other.foreignKeys.map((fk) => ({
          ...fk,
          columns: own ? rename(fk.columns) : fk.columns,
          references:
            fk.references.table === args.table ? { ...fk.references, columns: rename(fk.references.columns) } : fk.references,
        })),
      };
      next = withTable(next, own && other.primaryKey ? { ...updated, primaryKey: { ...other.primaryKey, columns: rename(other.primaryKey.columns) } } : updated);
    }
    return next;
  },
  reverse: (args) => [createOperation('renameColumn', { table: args.table, from: args.to, to: args.from })],
});
