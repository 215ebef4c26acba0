import { CovetError } from '../errors/covet-error.js';
import type { SchemaState, TableState } from '../schema/types.js';

/** The state of an empty database. */
export const EMPTY_STATE: SchemaState = Object.freeze({ tables: Object.freeze({}) });

// States made by `withTable` keep their tables in a Map as well, and build the public
// `tables` record only when someone reads it. Replaying hundreds of migrations creates a new
// state per operation: copying a Map is several times cheaper than spreading a large record,
// and the helpers below never need the record at all.
const TABLE_MAP = Symbol('covet.tableMap');

type StateWithMap = SchemaState & { readonly [TABLE_MAP]?: ReadonlyMap<string, TableState> };

function createState(tables: Map<string, TableState>, unmanaged: SchemaState['unmanaged']): SchemaState {
  let record: Record<string, TableState> | undefined;
  const state = {} as StateWithMap;
  Object.defineProperty(state, 'tables', {
    enumerable: true,
    get: () => (record ??= Object.fromEntries(tables)),
  });
  Object.defineProperty(state, TABLE_MAP, { value: tables });
  if (unmanaged !== undefined) (state as { unmanaged?: SchemaState['unmanaged'] }).unmanaged = unmanaged;
  return state;
}

/** A table of the state, if it has one. */
export function getTable(state: SchemaState, name: string): TableState | undefined {
  const map = (state as StateWithMap)[TABLE_MAP];
  return map ? map.get(name) : Object.hasOwn(state.tables, name) ? state.tables[name] : undefined;
}

/** Every table of the state, in insertion order. */
export function tablesOf(state: SchemaState): Iterable<TableState> {
  return (state as StateWithMap)[TABLE_MAP]?.values() ?? Object.values(state.tables);
}

/** Returns a table of the state or throws a one-line error naming it. */
export function requireTable(state: SchemaState, name: string, where?: string): TableState {
  const table = getTable(state, name);
  if (!table) {
    throw new CovetError('TABLE_UNKNOWN', `Table "${name}" does not exist${where ? ` (${where})` : ''}`);
  }
  return table;
}

/** A new state with `table` added or replaced (keyed by its name) and `removed` dropped. */
export function withTable(state: SchemaState, table: TableState | undefined, removed?: string): SchemaState {
  const current = (state as StateWithMap)[TABLE_MAP];
  const tables = new Map(current ?? Object.entries(state.tables));
  if (removed !== undefined) tables.delete(removed);
  if (table) tables.set(table.name, table);
  return createState(tables, state.unmanaged);
}

/** Tables sorted by name, for stable output. */
export function sortedTables(state: SchemaState): TableState[] {
  return Object.keys(state.tables)
    .sort()
    .map((name) => state.tables[name]!);
}

/** Builds a state from a list of tables. */
export function stateFromTables(tables: Iterable<TableState>): SchemaState {
  const record: Record<string, TableState> = {};
  for (const table of tables) {
    if (record[table.name]) throw new CovetError('TABLE_DUPLICATE', `Table "${table.name}" is defined twice`);
    record[table.name] = table;
  }
  return { tables: record };
}
