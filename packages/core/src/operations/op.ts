import { CovetError } from '../errors/covet-error.js';
import { didYouMean, withTypoCheck } from '../errors/suggest.js';
import { columnStateOf, isColumnBuilder, type ColumnBuilder } from '../schema/column-builder.js';
import {
  buildTableState,
  foreignKeyState,
  indexState,
  type ColumnsShape,
  type ForeignKeyOptions,
  type IndexOptions,
  type TableOptions,
} from '../schema/define-table.js';
import { validateIdentifier } from '../schema/identifiers.js';
import type { ColumnState } from '../schema/types.js';
import type { BuiltinOperationArgs, BuiltinOperationKind } from './builtin/index.js';
import { createOperation, type BuiltinOperation, type Operation } from './define-operation.js';

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

/** A built-in operation of `kind`, frozen; `args` checked against the kind's type. */
function builtin<Kind extends BuiltinOperationKind>(kind: Kind, args: BuiltinOperationArgs[Kind]): BuiltinOperation<Kind> {
  return createOperation(kind, args) as BuiltinOperation<Kind>;
}

/** One builder per built-in kind, named after it: a kind without one is a type error below. */
type BuiltinBuilders = { readonly [Kind in BuiltinOperationKind]: (...args: never[]) => BuiltinOperation<Kind> };

/** The `op` builders, before the typo check (see {@link op}). */
const OPERATION_BUILDERS = Object.freeze({
  createTable: (name: string, columns: ColumnsShape, options: TableOptions = {}) => builtin('createTable', buildTableState(name, columns, options)),
  dropTable: (name: string) => builtin('dropTable', { name }),
  renameTable: (from: string, to: string) => builtin('renameTable', { from, to }),
  addColumn: (table: string, column: string, type: ColumnBuilder) =>
    builtin('addColumn', { table, column: plainColumn(table, column, type, 'addColumn') }),
  dropColumn: (table: string, column: string) => builtin('dropColumn', { table, column }),
  alterColumn: (table: string, column: string, type: ColumnBuilder) =>
    builtin('alterColumn', { table, column: plainColumn(table, column, type, 'alterColumn') }),
  renameColumn: (table: string, from: string, to: string) => builtin('renameColumn', { table, from, to }),
  createIndex: (table: string, index: IndexOptions) => builtin('createIndex', { table, index: indexState(table, index) }),
  dropIndex: (table: string, name: string) => builtin('dropIndex', { table, name }),
  addForeignKey: (table: string, foreignKey: ForeignKeyOptions) =>
    builtin('addForeignKey', { table, foreignKey: foreignKeyState(table, foreignKey) }),
  dropForeignKey: (table: string, name: string) => builtin('dropForeignKey', { table, name }),
  runSql: (sql: string | readonly string[], reverseSql?: string | readonly string[]) =>
    builtin('runSql', reverseSql === undefined ? { sql } : { sql, reverseSql }),
  /** Any registered kind, by name: `op.custom('views.createView', { ... })`. */
  custom: <Args extends object>(kind: string, args: Args): Operation<Args> => createOperation(kind, args),
} satisfies BuiltinBuilders & { readonly custom: unknown });

/**
 * Builders for the built-in operations, for migration files written by hand or by
 * `@covet/writer-ts`. Each returns plain, frozen operation data. A misspelt builder
 * (`op.addColum`) is an error that names it and suggests the closest.
 *
 * @example
 * op.addColumn('users', 'nickname', t.varchar(50))
 */
export const op: typeof OPERATION_BUILDERS = withTypoCheck(OPERATION_BUILDERS, (name) => {
  const known = Object.keys(OPERATION_BUILDERS);
  return new CovetError('OPERATION_UNKNOWN', `Unknown operation "${name}" (op.${name})${didYouMean(name, known)}`, {
    hint: `Operations: ${known.join(', ')}; op.custom(kind, args) for a plugin's.`,
  });
});
