import { CovetError } from '../../errors/covet-error.js';
import { buildTableState, normalizeTable, type ColumnsShape, type TableOptions } from '../../schema/define-table.js';
import { validateIdentifier } from '../../schema/identifiers.js';
import type { SchemaState, TableState } from '../../schema/types.js';
import { getTable, requireTable, tablesOf, withTable } from '../../state/schema-state.js';
import { createOperation } from '../define-operation.js';
import { defineBuiltin } from './define-builtin.js';
import { createTableCode } from './write-code.js';
import { call, literal } from '../../writer/code-tree.js';
import { referencingForeignKeys, validateTable } from './validate-args.js';
import { checkNameScopes } from '../../dialect/name-scopes.js';

/** Arguments of `createTable`: the whole table. */
export type CreateTableArgs = TableState;
/** Arguments of `dropTable`. */
export interface DropTableArgs { readonly name: string }
/** Arguments of `renameTable`. */
export interface RenameTableArgs { readonly from: string; readonly to: string }

/** CREATE TABLE with its primary key, indexes and foreign keys. */
export const createTable = defineBuiltin<CreateTableArgs>()({
  kind: 'createTable',
  build: (name: string, columns: ColumnsShape, options: TableOptions = {}) => buildTableState(name, columns, options),
  write: (args) => ({ code: createTableCode(args) }),
  validate(args, state, context) {
    validateTable(args, state);
    if (getTable(state, args.name)) {
      throw new CovetError('TABLE_EXISTS', `Table "${args.name}" already exists (createTable)`);
    }
    checkNameScopes(state, args, args, context?.capabilities, `createTable ${args.name}`);
  },
  describe: (args) => `Create table ${args.name}`,
  applyToState: (state, args) => withTable(state, normalizeTable(args)),
  reverse: (args) => [createOperation('dropTable', { name: args.name })],
});

/** DROP TABLE; its reverse recreates the table as it was (without its rows). */
export const dropTable = defineBuiltin<DropTableArgs>()({
  kind: 'dropTable',
  build: (name: string) => ({ name }),
  write: (args) => ({ code: call('op.dropTable', literal(args.name)) }),
  validate(args, state) {
    validateIdentifier(args.name, 'table (dropTable)');
    requireTable(state, args.name, 'dropTable');
    const referencing = referencingForeignKeys(state, args.name).filter((r) => r.table !== args.name);
    if (referencing.length > 0) {
      const first = referencing[0]!;
      throw new CovetError(
        'TABLE_REFERENCED',
        `Table "${args.name}" is still referenced by foreign key ${first.foreignKey.name} of ${first.table} (dropTable)`,
        { hint: 'Drop that foreign key first (op.dropForeignKey).' },
      );
    }
  },
  describe: (args) => `Drop table ${args.name}`,
  applyToState: (state, args) => withTable(state, undefined, args.name),
  reverse: (args, state) => [createOperation('createTable', requireTable(state, args.name, 'dropTable'))],
  destructive: true,
});

/** ALTER TABLE ... RENAME TO; foreign keys that pointed at the old name follow. */
export const renameTable = defineBuiltin<RenameTableArgs>()({
  kind: 'renameTable',
  build: (from: string, to: string) => ({ from, to }),
  write: (args) => ({ code: call('op.renameTable', literal(args.from), literal(args.to)) }),
  validate(args, state) {
    validateIdentifier(args.from, 'table (renameTable)');
    validateIdentifier(args.to, 'new table name (renameTable)');
    requireTable(state, args.from, 'renameTable');
    if (getTable(state, args.to)) throw new CovetError('TABLE_EXISTS', `Table "${args.to}" already exists (renameTable)`);
  },
  describe: (args) => `Rename table ${args.from} to ${args.to}`,
  applyToState(state, args) {
    const table = requireTable(state, args.from);
    let next: SchemaState = withTable(state, { ...table, name: args.to }, args.from);
    for (const other of tablesOf(next)) {
      if (!other.foreignKeys.some((fk) => fk.references.table === args.from)) continue;
      next = withTable(next, {
        ...other,
        foreignKeys: other.foreignKeys.map((fk) =>
          fk.references.table === args.from ? { ...fk, references: { ...fk.references, table: args.to } } : fk,
        ),
      });
    }
    return next;
  },
  reverse: (args) => [createOperation('renameTable', { from: args.to, to: args.from })],
});
