import { CovetError } from '../errors/covet-error.js';
import type { SchemaState, TableState } from '../schema/types.js';

/** The state of an empty database. */
export const EMPTY_STATE: SchemaState = Object.freeze({ tables: Object.freeze({}) });

// States made by `withTable` keep their tables in a small persistent map and build the public
// `tables` record only when someone reads it. Replaying hundreds of migrations creates a new
// state per operation: spreading a record of every table each time is quadratic, while here
// a new state copies one bucket of 1/32 of the tables and shares the rest.
const TABLE_BUCKETS = Symbol('covet.tableBuckets');
const BUCKETS = 32;

interface Entry {
  readonly table: TableState;
  /** Insertion order, so the materialised record keeps the order tables were added in. */
  readonly order: number;
}

type Buckets = readonly (ReadonlyMap<string, Entry> | undefined)[];
type StateWithBuckets = SchemaState & { readonly [TABLE_BUCKETS]?: Buckets };

let insertions = 0;

function bucketOf(name: string): number {
  let hash = 2166136261;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 16777619);
  return (hash >>> 0) % BUCKETS;
}

function bucketsOf(state: SchemaState): Buckets {
  const existing = (state as StateWithBuckets)[TABLE_BUCKETS];
  if (existing) return existing;
  const buckets: Map<string, Entry>[] = [];
  for (const table of Object.values(state.tables)) {
    const index = bucketOf(table.name);
    (buckets[index] ??= new Map()).set(table.name, { table, order: insertions++ });
  }
  return buckets;
}

function createState(buckets: Buckets, unmanaged: SchemaState['unmanaged']): SchemaState {
  let record: Record<string, TableState> | undefined;
  const state = {} as StateWithBuckets;
  Object.defineProperty(state, 'tables', {
    enumerable: true,
    get: () => {
      if (!record) {
        const entries = buckets.flatMap((bucket) => (bucket ? [...bucket.values()] : []));
        entries.sort((a, b) => a.order - b.order);
        record = Object.fromEntries(entries.map((entry) => [entry.table.name, entry.table]));
      }
      return record;
    },
  });
  Object.defineProperty(state, TABLE_BUCKETS, { value: buckets });
  if (unmanaged !== undefined) (state as { unmanaged?: SchemaState['unmanaged'] }).unmanaged = unmanaged;
  return state;
}

/** A table of the state, if it has one. */
export function getTable(state: SchemaState, name: string): TableState | undefined {
  const buckets = (state as StateWithBuckets)[TABLE_BUCKETS];
  if (buckets) return buckets[bucketOf(name)]?.get(name)?.table;
  return Object.hasOwn(state.tables, name) ? state.tables[name] : undefined;
}

/** Every table of the state (in no particular order; use `sortedTables` for a stable one). */
export function* tablesOf(state: SchemaState): Iterable<TableState> {
  const buckets = (state as StateWithBuckets)[TABLE_BUCKETS];
  if (!buckets) {
    yield* Object.values(state.tables);
    return;
  }
  for (const bucket of buckets) if (bucket) for (const entry of bucket.values()) yield entry.table;
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
  const buckets = [...bucketsOf(state)];
  if (removed !== undefined) {
    const index = bucketOf(removed);
    const bucket = new Map(buckets[index]);
    bucket.delete(removed);
    buckets[index] = bucket;
  }
  if (table) {
    const index = bucketOf(table.name);
    const bucket = new Map(buckets[index]);
    // A replaced table keeps its place; a new one goes last.
    bucket.set(table.name, { table, order: bucket.get(table.name)?.order ?? insertions++ });
    buckets[index] = bucket;
  }
  return createState(buckets, state.unmanaged);
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
