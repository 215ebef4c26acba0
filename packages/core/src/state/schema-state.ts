import { CovetError } from '../errors/covet-error.js';
import { createNameRecord } from '../schema/name-record.js';
import type { SchemaState, TableState } from '../schema/types.js';

/** The state of an empty database. */
export const EMPTY_STATE: SchemaState = Object.freeze({ tables: Object.freeze(createNameRecord<TableState>()) });

// States made by `withTable` keep their tables in a small persistent map and build the public
// `tables` record only when someone reads it. Replaying hundreds of migrations creates a new
// state per operation: spreading a record of every table each time is quadratic, while here
// a new state copies one bucket of 1/32 of the tables and shares the rest.
const TABLE_BUCKETS = Symbol('covet.tableBuckets');
const INDEX_BUCKETS = Symbol('covet.indexBuckets');
const BUCKETS = 32;

interface Entry {
  readonly table: TableState;
  /** Insertion order, so the materialised record keeps the order tables were added in. */
  readonly order: number;
}

type Buckets<Value> = readonly (ReadonlyMap<string, Value> | undefined)[];
type StateWithBuckets = SchemaState & {
  readonly [TABLE_BUCKETS]?: Buckets<Entry>;
  /** Index name -> table name (index names are global to a schema in most databases). */
  readonly [INDEX_BUCKETS]?: Buckets<string>;
};

let insertions = 0;

function bucketOf(name: string): number {
  let hash = 2166136261;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 16777619);
  return (hash >>> 0) % BUCKETS;
}

/** `buckets` with `changes` applied (undefined removes a key), copying only the buckets touched. */
function changed<Value>(buckets: Buckets<Value>, changes: readonly (readonly [string, Value | undefined])[]): Buckets<Value> {
  const next = [...buckets];
  const copied = new Set<number>();
  for (const [key, value] of changes) {
    const index = bucketOf(key);
    if (!copied.has(index)) {
      next[index] = new Map(next[index]);
      copied.add(index);
    }
    const bucket = next[index] as Map<string, Value>;
    if (value === undefined) bucket.delete(key);
    else bucket.set(key, value);
  }
  return next;
}

function bucketsOf(state: SchemaState): Buckets<Entry> {
  return (
    (state as StateWithBuckets)[TABLE_BUCKETS] ??
    changed<Entry>([], Object.values(state.tables).map((table) => [table.name, { table, order: insertions++ }] as const))
  );
}

function indexBucketsOf(state: SchemaState): Buckets<string> {
  const existing = (state as StateWithBuckets)[INDEX_BUCKETS];
  if (existing) return existing;
  const changes: (readonly [string, string])[] = [];
  for (const table of tablesOf(state)) for (const index of table.indexes) changes.push([index.name, table.name]);
  return changed<string>([], changes);
}

/** What a state holds besides its tables, carried from one state to the next. */
type StateRest = Pick<SchemaState, 'unmanaged' | 'plugins'>;

function createState(buckets: Buckets<Entry>, indexes: Buckets<string>, rest: StateRest): SchemaState {
  let record: Record<string, TableState> | undefined;
  const state = {} as StateWithBuckets;
  Object.defineProperty(state, 'tables', {
    enumerable: true,
    get: () => {
      if (!record) {
        const entries = buckets.flatMap((bucket) => (bucket ? [...bucket.values()] : []));
        entries.sort((a, b) => a.order - b.order);
        record = createNameRecord(entries.map((entry) => [entry.table.name, entry.table] as const));
      }
      return record;
    },
  });
  Object.defineProperty(state, TABLE_BUCKETS, { value: buckets });
  Object.defineProperty(state, INDEX_BUCKETS, { value: indexes });
  if (rest.unmanaged !== undefined) (state as { unmanaged?: SchemaState['unmanaged'] }).unmanaged = rest.unmanaged;
  if (rest.plugins !== undefined) (state as { plugins?: SchemaState['plugins'] }).plugins = rest.plugins;
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

/** The table that has an index named `name`, if any. */
export function indexOwner(state: SchemaState, name: string): string | undefined {
  const buckets = (state as StateWithBuckets)[INDEX_BUCKETS];
  if (buckets) return buckets[bucketOf(name)]?.get(name);
  for (const table of tablesOf(state)) {
    for (const index of table.indexes) if (index.name === name) return table.name;
  }
  return undefined;
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
  const tableChanges: (readonly [string, Entry | undefined])[] = [];
  const indexChanges: (readonly [string, string | undefined])[] = [];
  const forget = (name: string) => {
    for (const index of getTable(state, name)?.indexes ?? []) {
      // Where index names are per table (MySQL), another table may hold the same name.
      if (indexOwner(state, index.name) === name) indexChanges.push([index.name, undefined]);
    }
  };
  if (removed !== undefined) {
    forget(removed);
    tableChanges.push([removed, undefined]);
  }
  if (table) {
    forget(table.name);
    // A replaced table keeps its place; a new one goes last.
    const order = removed === table.name ? undefined : bucketsOf(state)[bucketOf(table.name)]?.get(table.name)?.order;
    tableChanges.push([table.name, { table, order: order ?? insertions++ }]);
    for (const index of table.indexes) indexChanges.push([index.name, table.name]);
  }
  return createState(changed(bucketsOf(state), tableChanges), changed(indexBucketsOf(state), indexChanges), state);
}

/**
 * A new state with the same tables (shared, not copied) and `plugins` as its plugin state
 * (absent when undefined). Used by `withPluginObject`.
 */
export function withPlugins(state: SchemaState, plugins: SchemaState['plugins']): SchemaState {
  return createState(bucketsOf(state), indexBucketsOf(state), { unmanaged: state.unmanaged, plugins });
}

/** Tables sorted by name, for stable output. */
export function sortedTables(state: SchemaState): TableState[] {
  return [...tablesOf(state)].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Builds a state from a list of tables. */
export function stateFromTables(tables: Iterable<TableState>): SchemaState {
  const record = createNameRecord<TableState>();
  for (const table of tables) {
    if (Object.hasOwn(record, table.name)) throw new CovetError('TABLE_DUPLICATE', `Table "${table.name}" is defined twice`);
    record[table.name] = table;
  }
  return { tables: record };
}
