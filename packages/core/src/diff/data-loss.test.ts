import { describe, expect, it } from 'vitest';
import { op } from '../operations/op.js';
import { BUILTIN_OPERATIONS } from '../operations/builtin/index.js';
import { t } from '../schema/column-builder.js';
import type { ColumnState, ColumnType } from '../schema/types.js';
import { EMPTY_STATE } from '../state/schema-state.js';
import { columnChangeLosesData, isDestructive, isWideningType } from './data-loss.js';

const definition = (kind: string) => BUILTIN_OPERATIONS.find((candidate) => candidate.kind === kind)!;

const widening: [ColumnType, ColumnType][] = [
  [{ type: 'integer' }, { type: 'bigint' }],
  [{ type: 'smallint' }, { type: 'integer' }],
  [{ type: 'serial' }, { type: 'bigint' }],
  [{ type: 'varchar', length: 14 }, { type: 'varchar', length: 64 }],
  [{ type: 'varchar', length: 14 }, { type: 'text' }],
  [{ type: 'char', length: 2 }, { type: 'char', length: 3 }],
  [{ type: 'decimal', precision: 8, scale: 2 }, { type: 'decimal', precision: 12, scale: 4 }],
  [{ type: 'decimal', precision: 8, scale: 2 }, { type: 'decimal' }],
  [{ type: 'integer' }, { type: 'decimal', precision: 12, scale: 2 }],
  [{ type: 'integer' }, { type: 'double' }],
  [{ type: 'smallint' }, { type: 'real' }],
  [{ type: 'real' }, { type: 'double' }],
  [{ type: 'date' }, { type: 'timestamp' }],
  [{ type: 'timestamp' }, { type: 'timestamp', withTimeZone: true }],
  [{ type: 'uuid' }, { type: 'text' }],
  [{ type: 'boolean' }, { type: 'text' }],
  [{ type: 'custom', sql: 'citext' }, { type: 'custom', sql: 'CITEXT' }],
];

const narrowingOrFailing: [ColumnType, ColumnType][] = [
  [{ type: 'bigint' }, { type: 'integer' }],
  [{ type: 'integer' }, { type: 'smallint' }],
  [{ type: 'varchar', length: 64 }, { type: 'varchar', length: 14 }],
  [{ type: 'text' }, { type: 'varchar', length: 255 }],
  [{ type: 'char', length: 3 }, { type: 'varchar', length: 3 }],
  [{ type: 'decimal', precision: 12, scale: 4 }, { type: 'decimal', precision: 12, scale: 2 }],
  [{ type: 'decimal', precision: 12, scale: 2 }, { type: 'decimal', precision: 8, scale: 2 }],
  [{ type: 'decimal' }, { type: 'decimal', precision: 20, scale: 2 }],
  [{ type: 'integer' }, { type: 'decimal', precision: 5, scale: 0 }],
  [{ type: 'integer' }, { type: 'real' }],
  [{ type: 'bigint' }, { type: 'double' }],
  [{ type: 'double' }, { type: 'real' }],
  [{ type: 'timestamp' }, { type: 'date' }],
  [{ type: 'timestamp', withTimeZone: true }, { type: 'timestamp' }],
  [{ type: 'text' }, { type: 'integer' }],
  [{ type: 'text' }, { type: 'json' }],
  [{ type: 'blob' }, { type: 'text' }],
  [{ type: 'integer' }, { type: 'custom', sql: 'int8' }],
  [{ type: 'custom', sql: 'citext' }, { type: 'text' }],
];

describe('data-loss labels', () => {
  for (const [from, to] of widening) {
    it(`widening: ${JSON.stringify(from)} -> ${JSON.stringify(to)}`, () => {
      expect(isWideningType(from, to)).toBe(true);
    });
  }
  for (const [from, to] of narrowingOrFailing) {
    it(`may lose data or fail: ${JSON.stringify(from)} -> ${JSON.stringify(to)}`, () => {
      expect(isWideningType(from, to)).toBe(false);
    });
  }

  it('NOT NULL on a nullable column can fail; dropping NOT NULL or changing the default cannot', () => {
    const column = (nullable: boolean, extra: Partial<ColumnState> = {}): ColumnState => ({ name: 'a', type: { type: 'integer' }, nullable, ...extra });
    expect(columnChangeLosesData(column(true), column(false))).toBe(true);
    expect(columnChangeLosesData(column(false), column(true))).toBe(false);
    expect(columnChangeLosesData(column(true), column(true, { default: { kind: 'value', value: 1 } }))).toBe(false);
    expect(columnChangeLosesData(column(true), column(true, { type: { type: 'bigint' } }))).toBe(false);
    expect(columnChangeLosesData(column(true, { type: { type: 'bigint' } }), column(true))).toBe(true);
  });

  it('alterColumn asks the state before it; drops always lose data; without a state an alter may', () => {
    const state = definition('createTable').applyToState(EMPTY_STATE, op.createTable('users', { id: t.integer(), code: t.varchar(14) }).args);
    const alter = definition('alterColumn');
    expect(isDestructive(alter, op.alterColumn('users', 'id', t.bigint()).args, state)).toBe(false);
    expect(isDestructive(alter, op.alterColumn('users', 'code', t.varchar(64)).args, state)).toBe(false);
    expect(isDestructive(alter, op.alterColumn('users', 'code', t.varchar(10)).args, state)).toBe(true);
    expect(isDestructive(alter, op.alterColumn('users', 'id', t.integer().notNull()).args, state)).toBe(true);
    expect(isDestructive(alter, op.alterColumn('users', 'id', t.bigint()).args)).toBe(true);
    expect(isDestructive(definition('dropColumn'), op.dropColumn('users', 'code').args, state)).toBe(true);
    expect(isDestructive(definition('dropTable'), op.dropTable('users').args, state)).toBe(true);
    expect(isDestructive(definition('addColumn'), op.addColumn('users', 'bio', t.text()).args, state)).toBe(false);
  });
});
