import { CovetError } from '../../errors/covet-error.js';
import { foreignKeyState, normalizeTable, type ForeignKeyOptions } from '../../schema/define-table.js';
import { validateIdentifier } from '../../schema/identifiers.js';
import type { ForeignKeyState } from '../../schema/types.js';
import { requireTable, withTable } from '../../state/schema-state.js';
import { createOperation } from '../define-operation.js';
import { call, literal } from '../../writer/code-tree.js';
import { defineBuiltin } from './define-builtin.js';
import { foreignKeyCode } from './write-code.js';
import { validateForeignKey } from './validate-args.js';
import { checkNameScopes } from '../../dialect/name-scopes.js';

/** Arguments of `addForeignKey`. */
export interface AddForeignKeyArgs { readonly table: string; readonly foreignKey: ForeignKeyState }
/** Arguments of `dropForeignKey`. */
export interface DropForeignKeyArgs { readonly table: string; readonly name: string }

/** ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY. */
export const addForeignKey = defineBuiltin<AddForeignKeyArgs>()({
  kind: 'addForeignKey',
  build: (table: string, foreignKey: ForeignKeyOptions) => ({ table, foreignKey: foreignKeyState(table, foreignKey) }),
  write: (args) => ({ code: call('op.addForeignKey', literal(args.table), foreignKeyCode(args.table, args.foreignKey)) }),
  validate(args, state, context) {
    const table = requireTable(state, args.table, 'addForeignKey');
    validateForeignKey(args.foreignKey, table, state);
    const after = { ...table, foreignKeys: [...table.foreignKeys, args.foreignKey] };
    checkNameScopes(state, after, { foreignKeys: [args.foreignKey] }, context?.capabilities, 'addForeignKey');
  },
  describe: (args) =>
    `Add foreign key ${args.foreignKey.name} on ${args.table} (${args.foreignKey.columns.join(', ')}) -> ${args.foreignKey.references.table}`,
  applyToState(state, args) {
    const table = requireTable(state, args.table);
    return withTable(state, normalizeTable({ ...table, foreignKeys: [...table.foreignKeys, args.foreignKey] }));
  },
  reverse: (args) => [createOperation('dropForeignKey', { table: args.table, name: args.foreignKey.name })],
});

/** ALTER TABLE ... DROP CONSTRAINT; its reverse adds the foreign key back as it was. */
export const dropForeignKey = defineBuiltin<DropForeignKeyArgs>()({
  kind: 'dropForeignKey',
  build: (table: string, name: string) => ({ table, name }),
  write: (args) => ({ code: call('op.dropForeignKey', literal(args.table), literal(args.name)) }),
  validate(args, state) {
    validateIdentifier(args.name, `foreign key of ${args.table} (dropForeignKey)`);
    const table = requireTable(state, args.table, 'dropForeignKey');
    if (!table.foreignKeys.some((fk) => fk.name === args.name)) {
      throw new CovetError('FOREIGN_KEY_UNKNOWN', `Foreign key "${args.name}" does not exist on ${args.table} (dropForeignKey)`);
    }
  },
  describe: (args) => `Drop foreign key ${args.name} on ${args.table}`,
  applyToState(state, args) {
    const table = requireTable(state, args.table);
    return withTable(state, { ...table, foreignKeys: table.foreignKeys.filter((fk) => fk.name !== args.name) });
  },
  reverse(args, state) {
    const foreignKey = requireTable(state, args.table).foreignKeys.find((fk) => fk.name === args.name)!;
    return [createOperation('addForeignKey', { table: args.table, foreignKey })];
  },
});
