import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../migration/canonical-json.js';
import { createCovet } from '../plugin/covet.js';
import { t } from '../schema/column-builder.js';
import { defineTable } from '../schema/define-table.js';
import type { ForeignKeyState, TableState } from '../schema/types.js';
import { stateFromTables } from '../state/schema-state.js';
import { MigrationEngine } from './migration-engine.js';

// A dialect for which RESTRICT and NO ACTION are one action, and which keeps an index of its
// own on every `seq` column (as MySQL does for an auto-increment column no key starts with).
const action = (value: ForeignKeyState['onDelete']) => (value === 'restrict' ? 'no action' : value);
const normalizeTable = (table: TableState): TableState => ({
  ...table,
  foreignKeys: table.foreignKeys.map((fk) => ({ ...fk, onDelete: action(fk.onDelete), onUpdate: action(fk.onUpdate) })),
  indexes: table.columns.some((c) => c.name === 'seq') && !table.indexes.some((i) => i.name === `${table.name}_seq_idx`)
    ? [...table.indexes, { name: `${table.name}_seq_idx`, columns: ['seq'], unique: false }]
    : table.indexes,
});
const engine = new MigrationEngine({ operations: createCovet().operations, normalizeTable });

const users = defineTable('users', { id: t.integer().primaryKey() }).state;
const ordersOf = (onDelete: ForeignKeyState['onDelete'], extra: Partial<TableState> = {}) => ({
  ...defineTable('orders', { id: t.integer().primaryKey(), seq: t.integer(), user_id: t.integer().references('users', 'id', { onDelete }) }).state,
  ...extra,
});

describe('MigrationEngine with normalizeTable (a dialect\'s equivalences)', () => {
  it('a foreign key whose actions the database cannot tell apart is not a change', () => {
    const live = stateFromTables([users, ordersOf('restrict')]);
    const models = stateFromTables([users, ordersOf('no action')]);
    expect(engine.detectChanges(live, models)).toEqual([]);
    expect(new MigrationEngine({ operations: createCovet().operations }).detectChanges(live, models).map((o) => o.kind)).toEqual(['dropForeignKey', 'addForeignKey']);
  });

  it('an index only the database makes is neither dropped nor created; a real change carries the models\' own definition', () => {
    const live = ordersOf('restrict');
    const withIndex = stateFromTables([users, { ...live, indexes: [{ name: 'orders_seq_idx', columns: ['seq'], unique: false }] }]);
    expect(engine.detectChanges(withIndex, stateFromTables([users, ordersOf('no action')]))).toEqual([]);
    const changed = engine.detectChanges(withIndex, stateFromTables([users, ordersOf('cascade')]));
    expect(JSON.parse(canonicalJson(changed.map((o) => [o.kind, (o.args as { foreignKey?: ForeignKeyState }).foreignKey?.onDelete])))).toEqual([
      ['dropForeignKey', null],
      ['addForeignKey', 'cascade'],
    ]);
  });
});
