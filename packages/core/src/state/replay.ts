import type { Migration } from '../migration/define-migration.js';
import type { OperationRegistry } from '../operations/define-operation.js';
import type { PluginObjects, SchemaState, TableState } from '../schema/types.js';
import { createNameRecord } from '../schema/name-record.js';
import { EMPTY_STATE } from './schema-state.js';

/** The schema migration files describe, and which app's migrations created each table and plugin object. */
export interface ReplayedState {
  readonly state: SchemaState;
  /** Table name -> app whose migrations own it. */
  readonly owners: ReadonlyMap<string, string>;
  /** Plugin namespace -> object name -> app whose migrations last defined it. */
  readonly objectOwners: ReadonlyMap<string, ReadonlyMap<string, string>>;
}

/**
 * Replays migrations (in graph order) from an empty schema: the state `makemigrations`
 * compares the models with when no database is used, and the state the runner knows
 * before each migration. Plugin state is replayed with the tables (each operation's
 * `applyToState`).
 */
export function replayMigrations(migrations: readonly Migration[], registry: OperationRegistry): ReplayedState {
  let state = EMPTY_STATE;
  const owners = new Map<string, string>();
  const objectOwners = new Map<string, Map<string, string>>();
  for (const migration of migrations) {
    migration.operations.forEach((operation, index) => {
      const definition = registry.get(operation.kind, `operation #${index + 1} of ${migration.file ?? migration.id}`);
      const before = state;
      state = definition.applyToState(state, operation.args);
      // Only a plugin's operation changes the plugin state: the records are shared otherwise.
      if (state.plugins !== before.plugins) recordObjectOwners(before, state, migration.app, objectOwners);
      const args = operation.args as { name?: string; from?: string; to?: string };
      if (operation.kind === 'createTable' && args.name) owners.set(args.name, migration.app);
      if (operation.kind === 'renameTable' && args.from && args.to) {
        owners.set(args.to, owners.get(args.from) ?? migration.app);
        owners.delete(args.from);
      }
      if (operation.kind === 'dropTable' && args.name) owners.delete(args.name);
    });
  }
  return { state, owners, objectOwners };
}

/** Notes `app` as the owner of every plugin object added or changed from `before` to `after`, and forgets removed ones. */
function recordObjectOwners(before: SchemaState, after: SchemaState, app: string, objectOwners: Map<string, Map<string, string>>): void {
  const namespaces = new Set([...Object.keys(before.plugins ?? {}), ...Object.keys(after.plugins ?? {})]);
  for (const namespace of namespaces) {
    const old = objectsOf(before, namespace);
    const next = objectsOf(after, namespace);
    if (old === next) continue;
    let owners = objectOwners.get(namespace);
    if (!owners) objectOwners.set(namespace, (owners = new Map()));
    for (const name of Object.keys(old)) if (!Object.hasOwn(next, name)) owners.delete(name);
    for (const [name, definition] of Object.entries(next)) {
      if (!Object.hasOwn(old, name) || old[name] !== definition) owners.set(name, app);
    }
  }
}

const NO_OBJECTS: PluginObjects = Object.freeze(createNameRecord<unknown>());
const objectsOf = (state: SchemaState, namespace: string): PluginObjects =>
  state.plugins !== undefined && Object.hasOwn(state.plugins, namespace) ? state.plugins[namespace]! : NO_OBJECTS;

/**
 * The target state of one app: `current` with the app's own tables and plugin objects replaced
 * by its models. Tables and plugin objects of other apps, and those no migration created (made
 * outside Covet), are kept as they are, so a diff never drops what the app does not own.
 * (`objectOwners` defaults to none: every plugin object of `current` is kept.)
 */
export function targetState(
  current: SchemaState,
  owners: ReadonlyMap<string, string>,
  app: string,
  models: SchemaState,
  objectOwners: ReadonlyMap<string, ReadonlyMap<string, string>> = new Map(),
): SchemaState {
  const tables = createNameRecord<TableState>();
  for (const [name, table] of Object.entries(current.tables)) {
    const owner = owners.get(name);
    if (owner === app && !Object.hasOwn(models.tables, name)) continue;
    tables[name] = table;
  }
  for (const [name, table] of Object.entries(models.tables)) tables[name] = table;
  const plugins = createNameRecord<PluginObjects>();
  for (const namespace of new Set([...Object.keys(current.plugins ?? {}), ...Object.keys(models.plugins ?? {})])) {
    const wanted = objectsOf(models, namespace);
    const objects = createNameRecord<unknown>();
    for (const [name, definition] of Object.entries(objectsOf(current, namespace))) {
      if (objectOwners.get(namespace)?.get(name) === app && !Object.hasOwn(wanted, name)) continue;
      objects[name] = definition;
    }
    for (const [name, definition] of Object.entries(wanted)) objects[name] = definition;
    if (Object.keys(objects).length > 0) plugins[namespace] = Object.freeze(objects);
  }
  const { plugins: _ignored, ...rest } = current;
  const target: SchemaState = { ...rest, tables };
  return Object.keys(plugins).length > 0 ? { ...target, plugins: Object.freeze(plugins) } : target;
}
