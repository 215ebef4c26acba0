import type { Migration } from '../migration/define-migration.js';
import type { OperationRegistry } from '../operations/define-operation.js';
import type { SchemaState, TableState } from '../schema/types.js';
import { createNameRecord } from '../schema/name-record.js';
import { EMPTY_STATE } from './schema-state.js';

/** The schema migration files describe, and which app's migrations created each table. */
export interface ReplayedState {
  readonly state: SchemaState;
  /** Table name -> app whose migrations own it. */
  readonly owners: ReadonlyMap<string, string>;
}

/**
 * Replays migrations (in graph order) from an empty schema: the state `makemigrations`
 * compares the models with when no database is used, and the state the runner knows
 * before each migration.
 */
export function replayMigrations(migrations: readonly Migration[], registry: OperationRegistry): ReplayedState {
  let state = EMPTY_STATE;
  const owners = new Map<string, string>();
  for (const migration of migrations) {
    migration.operations.forEach((operation, index) => {
      const definition = registry.get(operation.kind, `operation #${index + 1} of ${migration.file ?? migration.id}`);
      state = definition.applyToState(state, operation.args);
      const args = operation.args as { name?: string; from?: string; to?: string };
      if (operation.kind === 'createTable' && args.name) owners.set(args.name, migration.app);
      if (operation.kind === 'renameTable' && args.from && args.to) {
        owners.set(args.to, owners.get(args.from) ?? migration.app);
        owners.delete(args.from);
      }
      if (operation.kind === 'dropTable' && args.name) owners.delete(args.name);
    });
  }
  return { state, owners };
}

/**
 * The target state of one app: `current` with the app's own tables replaced by its models.
 * Tables of other apps, and tables no migration created (made outside Covet), are kept as
 * they are, so a diff never drops what the app does not own.
 */
export function targetState(current: SchemaState, owners: ReadonlyMap<string, string>, app: string, models: SchemaState): SchemaState {
  const tables = createNameRecord<TableState>();
  for (const [name, table] of Object.entries(current.tables)) {
    const owner = owners.get(name);
    if (owner === app && !Object.hasOwn(models.tables, name)) continue;
    tables[name] = table;
  }
  for (const [name, table] of Object.entries(models.tables)) tables[name] = table;
  return { ...current, tables };
}
