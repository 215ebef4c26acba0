import { CovetError } from '../errors/covet-error.js';
import type { SchemaState, TableState } from '../schema/types.js';

/** The state of an empty database. */
export const EMPTY_STATE: SchemaState = Object.freeze({ tables: Object.freeze({}) });

/** Returns a table of the state or throws a one-line error naming it. */
export function requireTable(state: SchemaState, name: string, where?: string): TableState {
  const table = state.tables[name];
  if (!table) {
    throw new CovetError('TABLE_UNKNOWN', `Table "${name}" does not exist${where ? ` (${where})` : ''}`);
  }
  return table;
}

/** A new state with `table` added or replaced (keyed by its name) and `removed` dropped. */
export function withTable(state: SchemaState, table: TableState | undefined, removed?: string): SchemaState {
  const tables: Record<string, TableState> = { ...state.tables };
  if (removed !== undefined) delete tables[removed];
  if (table) tables[table.name] = table;
  return { ...state, tables };
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
