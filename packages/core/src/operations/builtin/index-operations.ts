import { CovetError } from '../../errors/covet-error.js';
import { indexState, normalizeTable, type IndexOptions } from '../../schema/define-table.js';
import { validateIdentifier } from '../../schema/identifiers.js';
import type { IndexState } from '../../schema/types.js';
import { requireTable, withTable } from '../../state/schema-state.js';
import { createOperation } from '../define-operation.js';
import { call, literal } from '../../writer/code-tree.js';
import { defineBuiltin } from './define-builtin.js';
import { indexCode } from './write-code.js';
import { validateIndex } from './validate-args.js';
import { checkNameScopes } from '../../dialect/name-scopes.js';

/** Arguments of `createIndex`. */
export interface CreateIndexArgs { readonly table: string; readonly index: IndexState }
/** Arguments of `dropIndex`. */
export interface DropIndexArgs { readonly table: string; readonly name: string }
/** Arguments of `renameIndex`. */
export interface RenameIndexArgs { readonly table: string; readonly from: string; readonly to: string }

/** CREATE [UNIQUE] INDEX. Unique constraints of the models are unique indexes. */
export const createIndex = defineBuiltin<CreateIndexArgs>()({
  kind: 'createIndex',
  build: (table: string, index: IndexOptions) => ({ table, index: indexState(table, index) }),
  write: (args) => ({ code: call('op.createIndex', literal(args.table), indexCode(args.table, args.index)) }),
  validate(args, state, context) {
    const table = requireTable(state, args.table, 'createIndex');
    validateIndex(args.index, table);
    checkNameScopes(state, { ...table, indexes: [...table.indexes, args.index] }, { indexes: [args.index] }, context?.capabilities, 'createIndex');
  },
  describe: (args) => `Create ${args.index.unique ? 'unique ' : ''}index ${args.index.name} on ${args.table} (${args.index.columns.join(', ')})`,
  applyToState(state, args) {
    const table = requireTable(state, args.table);
    return withTable(state, normalizeTable({ ...table, indexes: [...table.indexes, args.index] }));
  },
  reverse: (args) => [createOperation('dropIndex', { table: args.table, name: args.index.name })],
});

/** DROP INDEX; its reverse recreates the index as it was. */
export const dropIndex = defineBuiltin<DropIndexArgs>()({
  kind: 'dropIndex',
  build: (table: string, name: string) => ({ table, name }),
  write: (args) => ({ code: call('op.dropIndex', literal(args.table), literal(args.name)) }),
  validate(args, state) {
    validateIdentifier(args.name, `index of ${args.table} (dropIndex)`);
    const table = requireTable(state, args.table, 'dropIndex');
    if (!table.indexes.some((i) => i.name === args.name)) {
      throw new CovetError('INDEX_UNKNOWN', `Index "${args.name}" does not exist on ${args.table} (dropIndex)`);
    }
  },
  describe: (args) => `Drop index ${args.name} on ${args.table}`,
  applyToState(state, args) {
    const table = requireTable(state, args.table);
    return withTable(state, { ...table, indexes: table.indexes.filter((i) => i.name !== args.name) });
  },
  reverse(args, state) {
    const index = requireTable(state, args.table).indexes.find((i) => i.name === args.name)!;
    return [createOperation('createIndex', { table: args.table, index })];
  },
});

/**
 * Renames an index (Django's RenameIndex): ALTER INDEX ... RENAME on PostgreSQL, ALTER TABLE
 * ... RENAME INDEX on MySQL/MariaDB; SQLite, which cannot rename one, drops it and creates it
 * again under the new name (a UNIQUE constraint of the table's SQL: a table rebuild). Written by
 * hand: the autodetector sees a renamed index as a drop and a create.
 */
export const renameIndex = defineBuiltin<RenameIndexArgs>()({
  kind: 'renameIndex',
  build: (table: string, from: string, to: string) => ({ table, from, to }),
  write: (args) => ({ code: call('op.renameIndex', literal(args.table), literal(args.from), literal(args.to)) }),
  validate(args, state, context) {
    validateIdentifier(args.from, `index of ${args.table} (renameIndex)`);
    validateIdentifier(args.to, `new index name of ${args.table} (renameIndex)`);
    const table = requireTable(state, args.table, 'renameIndex');
    const index = table.indexes.find((i) => i.name === args.from);
    if (!index) throw new CovetError('INDEX_UNKNOWN', `Index "${args.from}" does not exist on ${args.table} (renameIndex)`);
    if (table.indexes.some((i) => i.name === args.to)) {
      throw new CovetError('NAME_DUPLICATE', `Index "${args.to}" already exists on ${args.table} (renameIndex)`);
    }
    const renamed = { ...index, name: args.to };
    const others = table.indexes.filter((i) => i.name !== args.from);
    checkNameScopes(withTable(state, { ...table, indexes: others }), { ...table, indexes: [...others, renamed] }, { indexes: [renamed] }, context?.capabilities, 'renameIndex');
  },
  describe: (args) => `Rename index ${args.from} on ${args.table} to ${args.to}`,
  applyToState(state, args) {
    const table = requireTable(state, args.table);
    return withTable(state, normalizeTable({ ...table, indexes: table.indexes.map((i) => (i.name === args.from ? { ...i, name: args.to } : i)) }));
  },
  reverse: (args) => [createOperation('renameIndex', { table: args.table, from: args.to, to: args.from })],
});
