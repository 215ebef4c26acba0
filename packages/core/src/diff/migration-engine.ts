import { CovetError } from '../errors/covet-error.js';
import { canonicalJson } from '../migration/canonical-json.js';
import { BUILTIN_OPERATIONS } from '../operations/builtin/index.js';
import { createOperation, type Operation, type OperationRegistry } from '../operations/define-operation.js';
import type { DialectCapabilities } from '../dialect/dialect.js';
import { pluginStateMismatch } from './plugin-changes.js';
import { validateIdentifiersIn, type IdentifierRules } from '../schema/identifiers.js';
import type { ColumnState, ForeignKeyState, IndexState, SchemaState, TableState } from '../schema/types.js';

/** Options of {@link MigrationEngine}. */
export interface MigrationEngineOptions {
  /**
   * Maps a column to the form the target database would report (a dialect's
   * `normalizeColumn`), so definitions the database cannot tell apart are not changes.
   */
  readonly normalizeColumn?: (column: ColumnState) => ColumnState;
  /**
   * Maps a table to the indexes and foreign keys the target database would report (a
   * dialect's `normalizeTable`): equivalent referential actions, indexes it makes by itself.
   * Only its indexes and foreign keys are compared; operations carry the models' own.
   */
  readonly normalizeTable?: (table: TableState) => TableState;
  /** When given, the engine replays its operations and checks they reach the target state. */
  readonly operations?: OperationRegistry;
  /** What the target database allows (e.g. per-table index names), for that check. */
  readonly capabilities?: DialectCapabilities;
  /**
   * The target dialect's rules for names (`identifierRulesOf(dialect)`): with them, a name
   * the database would refuse (too long in its unit, a character it cannot hold) is reported
   * when the change is detected, not when the migration runs.
   */
  readonly identifierRules?: IdentifierRules;
}

/** A table or column that may have been renamed (see {@link MigrationEngine.renameCandidates}). */
export interface RenameCandidate {
  readonly kind: 'table' | 'column';
  /** The table of a column rename. */
  readonly table?: string;
  readonly from: string;
  readonly to: string;
}

const BUILTIN_BY_KIND = new Map(BUILTIN_OPERATIONS.map((definition) => [definition.kind, definition]));

// Table records are read with `Object.hasOwn`, so a table named `constructor` or `toString`
// is never mistaken for what a plain object inherits.
const has = (tables: SchemaState['tables'], name: string) => Object.hasOwn(tables, name);
const tableOf = (tables: SchemaState['tables'], name: string) => (has(tables, name) ? tables[name] : undefined);

const byName = <T extends { name: string }>(items: readonly T[]) => new Map(items.map((item) => [item.name, item]));
const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b);

/**
 * Named items (indexes, foreign keys) that go away or change (`removed`, except those that go
 * with a dropped column) and that appear or change (`added`): a change is a drop and a create.
 */
function changedByName<Item extends { name: string }>(
  before: readonly Item[],
  after: readonly Item[],
  goesWithColumn: (item: Item) => boolean,
  declared: readonly Item[] = after,
): { removed: Item[]; added: Item[] } {
  const beforeByName = byName(before);
  const afterByName = byName(after);
  const declaredByName = byName(declared);
  return {
    removed: before.filter((item) => {
      const next = afterByName.get(item.name);
      return (!next || !same(item, next)) && !goesWithColumn(item);
    }),
    // `before` and `after` may be normalised (see MigrationEngineOptions.normalizeTable): what
    // is added is the declared item of that name; one only the database makes has none.
    added: after.flatMap((item) => {
      const old = beforeByName.get(item.name);
      const own = declaredByName.get(item.name);
      return (!old || !same(item, old)) && own ? [own] : [];
    }),
  };
}

/**
 * Compares two schema states and produces the operations that turn the first into the
 * second, in a safe order:
 *
 * 1. foreign keys that go away or change are dropped, then indexes that go away or change;
 * 2. new tables are created, each after the tables its foreign keys reference; a foreign key
 *    that would need a table created later (a cycle) is left out and added at the end;
 * 3. columns are added and altered, then dropped;
 * 4. new and changed indexes, then foreign keys, are created;
 * 5. tables that go away are dropped last, referencing tables first (a cycle among them is
 *    broken by dropping one of its foreign keys).
 *
 * Renames are not guessed: a renamed table or column shows as a drop and an add, which a
 * person can edit into `op.renameTable` / `op.renameColumn`.
 */
export class MigrationEngine {
  readonly #options: MigrationEngineOptions;

  constructor(options: MigrationEngineOptions = {}) {
    this.#options = options;
  }

  /**
   * Tables and columns that may have been renamed: a table that goes away while one with the
   * same columns appears, or, in one table, a column that goes away while one with the same
   * definition appears. The engine never assumes a rename (that would guess); ask the person,
   * and pass the confirmed ones to {@link MigrationEngine.detectChanges}.
   */
  renameCandidates(from: SchemaState, to: SchemaState): RenameCandidate[] {
    const normalize = this.#options.normalizeColumn ?? ((column: ColumnState) => column);
    const shape = (column: ColumnState) => canonicalJson({ ...normalize(column), name: '' });
    const candidates: RenameCandidate[] = [];
    const created = Object.keys(to.tables).filter((name) => !has(from.tables, name)).sort();
    const dropped = Object.keys(from.tables).filter((name) => !has(to.tables, name)).sort();
    const columnsOf = (table: TableState) => canonicalJson(table.columns.map((column) => ({ ...normalize(column) })).sort((a, b) => (a.name < b.name ? -1 : 1)));
    for (const old of dropped) {
      for (const name of created) {
        if (columnsOf(from.tables[old]!) === columnsOf(to.tables[name]!)) candidates.push({ kind: 'table', from: old, to: name });
      }
    }
    for (const name of Object.keys(to.tables).filter((table) => has(from.tables, table)).sort()) {
      const before = from.tables[name]!;
      const after = to.tables[name]!;
      const removed = before.columns.filter((column) => !after.columns.some((c) => c.name === column.name));
      const added = after.columns.filter((column) => !before.columns.some((c) => c.name === column.name));
      for (const old of removed) {
        for (const column of added) {
          if (shape(old) === shape(column)) candidates.push({ kind: 'column', table: name, from: old.name, to: column.name });
        }
      }
    }
    return candidates;
  }

  /**
   * The operations from `from` to `to` (empty when nothing changed). Confirmed `renames` come
   * first as `renameTable` / `renameColumn`, so the data stays; the rest is diffed after them.
   */
  detectChanges(from: SchemaState, to: SchemaState, options: { renames?: readonly RenameCandidate[] } = {}): Operation[] {
    const renames: Operation[] = [];
    for (const rename of options.renames ?? []) {
      const operation =
        rename.kind === 'table'
          ? createOperation('renameTable', { from: rename.from, to: rename.to })
          : createOperation('renameColumn', { table: rename.table, from: rename.from, to: rename.to });
      const definition = this.#options.operations?.get(operation.kind) ?? BUILTIN_BY_KIND.get(operation.kind)!;
      try {
        definition.validate(operation.args, from);
      } catch (error) {
        throw new CovetError('RENAME_INVALID', `Cannot rename ${rename.table ? `${rename.table}.` : ''}${rename.from} to ${rename.to}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      from = definition.applyToState(from, operation.args);
      renames.push(operation);
    }
    const changes = this.#detect(from, to);
    return renames.length === 0 ? changes : [...renames, ...changes];
  }

  /**
   * Checks that `operations` (what `processChanges` taps made of {@link detectChanges}'s
   * result) bring the plugin state of `from` to that of `to`: a plugin object of the models
   * that no operation creates, drops or changes (its plugin is not listed, or its
   * `processChanges` tap missed it) stops `makemigrations` with its name, rather than being
   * silently left out. Tables are not compared here (a tap may drop a built-in operation on
   * purpose). Free when neither state holds plugin objects.
   */
  checkPluginChanges(from: SchemaState, to: SchemaState, operations: readonly Operation[]): void {
    if (from.plugins === undefined && to.plugins === undefined) return;
    let state = from;
    operations.forEach((operation, index) => {
      const definition = this.#options.operations?.get(operation.kind) ?? BUILTIN_BY_KIND.get(operation.kind);
      if (!definition) throw new CovetError('OPERATION_UNKNOWN', `Unknown operation kind "${operation.kind}" (detected change #${index + 1})`);
      try {
        state = definition.applyToState(state, operation.args);
      } catch (error) {
        throw new CovetError('ENGINE_INVALID_PLAN', `Detected change #${index + 1} (${operation.kind}) cannot be applied: ${(error as Error).message}`, { cause: error });
      }
    });
    const mismatch = pluginStateMismatch(state, to);
    if (mismatch) {
      const namespace = mismatch.slice(0, mismatch.indexOf(' '));
      throw new CovetError('PLUGIN_STATE_UNREACHED', `The detected changes do not reach the models: ${mismatch}`, {
        hint: `Operations for plugin objects come from the plugin that declares namespace "${namespace}" (its processChanges tap): is it listed in the plugins of your config?`,
      });
    }
  }

  #detect(from: SchemaState, to: SchemaState): Operation[] {
    const normalize = this.#options.normalizeColumn ?? ((column: ColumnState) => column);
    const sameColumn = (a: ColumnState, b: ColumnState) => same(normalize(a), normalize(b));
    const normalizeTable = this.#options.normalizeTable ?? ((table: TableState) => table);
    const fromTables = from.tables;
    const toTables = to.tables;
    const created = Object.keys(toTables).filter((name) => !has(fromTables, name)).sort();
    const dropped = Object.keys(fromTables).filter((name) => !has(toTables, name)).sort();
    const kept = Object.keys(toTables).filter((name) => has(fromTables, name)).sort();

    const dropForeignKeys: Operation[] = [];
    const dropIndexes: Operation[] = [];
    const columnChanges: Operation[] = [];
    const dropColumns: Operation[] = [];
    const createIndexes: Operation[] = [];
    const addForeignKeys: Operation[] = [];

    for (const name of kept) {
      const before = fromTables[name]!;
      const after = toTables[name]!;
      if (!same(before.primaryKey?.columns ?? [], after.primaryKey?.columns ?? [])) {
        throw new CovetError('PRIMARY_KEY_CHANGE', `The primary key of ${name} changed, which no built-in operation can do (${name})`, {
          hint: 'Write that migration by hand with op.runSql, or recreate the table.',
        });
      }
      const beforeColumns = byName(before.columns);
      const afterColumns = byName(after.columns);
      const droppedColumns = new Set([...beforeColumns.keys()].filter((column) => !afterColumns.has(column)));
      for (const column of after.columns) {
        const old = beforeColumns.get(column.name);
        if (!old) columnChanges.push(createOperation('addColumn', { table: name, column }));
        else if (!sameColumn(old, column)) columnChanges.push(createOperation('alterColumn', { table: name, column }));
      }
      for (const column of droppedColumns) dropColumns.push(createOperation('dropColumn', { table: name, column }));

      // Indexes and foreign keys on a dropped column go away with it (and come back with its reverse).
      const onDroppedColumn = (item: { columns: readonly string[] }) => item.columns.some((column) => droppedColumns.has(column));
      const [beforeKeys, afterKeys] = [normalizeTable(before), normalizeTable(after)];
      const indexes = changedByName(beforeKeys.indexes, afterKeys.indexes, onDroppedColumn, after.indexes);
      for (const index of indexes.removed) dropIndexes.push(createOperation('dropIndex', { table: name, name: index.name }));
      for (const index of indexes.added) createIndexes.push(createOperation('createIndex', { table: name, index }));
      const keys = changedByName(beforeKeys.foreignKeys, afterKeys.foreignKeys, onDroppedColumn, after.foreignKeys);
      for (const foreignKey of keys.removed) dropForeignKeys.push(createOperation('dropForeignKey', { table: name, name: foreignKey.name }));
      for (const foreignKey of keys.added) addForeignKeys.push(createOperation('addForeignKey', { table: name, foreignKey }));
    }

    const createTables = this.#createTables(created.map((name) => toTables[name]!), from, addForeignKeys);
    const dropTables = this.#dropTables(dropped.map((name) => fromTables[name]!), dropForeignKeys);

    const operations = [
      ...dropForeignKeys,
      ...dropIndexes,
      ...dropTables,
      ...createTables,
      ...columnChanges,
      ...dropColumns,
      ...createIndexes,
      ...addForeignKeys,
    ];
    if (this.#options.operations) this.#verify(from, to, operations, this.#options.operations, sameColumn, normalizeTable);
    return operations;
  }

  #createTables(tables: TableState[], from: SchemaState, addForeignKeys: Operation[]): Operation[] {
    const operations: Operation[] = [];
    const available = new Set<string>();
    const pending = new Map(tables.map((table) => [table.name, table]));
    const deferred: { table: string; foreignKey: ForeignKeyState }[] = [];
    // A key to an existing table can go inline only if the referenced columns and the unique
    // key on them exist already; otherwise (they come with this migration) it is added last.
    const existingTargetReady = (fk: ForeignKeyState) => {
      const target = tableOf(from.tables, fk.references.table);
      if (!target) return false;
      const columns = fk.references.columns;
      if (!columns.every((column) => target.columns.some((c) => c.name === column))) return false;
      const sameColumns = (other: readonly string[]) => other.length === columns.length && other.every((c, i) => c === columns[i]);
      return (target.primaryKey !== undefined && sameColumns(target.primaryKey.columns)) || target.indexes.some((i) => i.unique && !i.where && sameColumns(i.columns));
    };
    const inlineFirst = tables.map((table) => {
      const inline = table.foreignKeys.filter((fk) => fk.references.table === table.name || pending.has(fk.references.table) || existingTargetReady(fk));
      for (const foreignKey of table.foreignKeys) {
        if (!inline.includes(foreignKey)) deferred.push({ table: table.name, foreignKey });
      }
      return inline.length === table.foreignKeys.length ? table : { ...table, foreignKeys: inline };
    });
    for (const table of inlineFirst) pending.set(table.name, table);
    const ready = (table: TableState) =>
      table.foreignKeys.every((fk) => fk.references.table === table.name || available.has(fk.references.table) || !pending.has(fk.references.table));
    while (pending.size > 0) {
      let next = [...pending.values()].find(ready);
      if (!next) {
        // A cycle: create the first table without the foreign keys that point at tables still
        // to come, and add those keys once every table exists.
        next = [...pending.values()][0]!;
        const keep: ForeignKeyState[] = [];
        for (const foreignKey of next.foreignKeys) {
          if (foreignKey.references.table === next.name || available.has(foreignKey.references.table)) keep.push(foreignKey);
          else deferred.push({ table: next.name, foreignKey });
        }
        next = { ...next, foreignKeys: keep };
      }
      operations.push(createOperation('createTable', next));
      available.add(next.name);
      pending.delete(next.name);
    }
    for (const { table, foreignKey } of deferred) addForeignKeys.push(createOperation('addForeignKey', { table, foreignKey }));
    return operations;
  }

  #dropTables(tables: TableState[], dropForeignKeys: Operation[]): Operation[] {
    const operations: Operation[] = [];
    const pending = new Map(tables.map((table) => [table.name, table]));
    const referencedBy = (name: string) =>
      [...pending.values()].flatMap((table) =>
        table.name === name ? [] : table.foreignKeys.filter((fk) => fk.references.table === name).map((fk) => ({ table, fk })),
      );
    while (pending.size > 0) {
      let next = [...pending.values()].find((table) => referencedBy(table.name).length === 0);
      if (!next) {
        next = [...pending.values()][0]!;
        for (const { table, fk } of referencedBy(next.name)) {
          dropForeignKeys.push(createOperation('dropForeignKey', { table: table.name, name: fk.name }));
          pending.set(table.name, { ...table, foreignKeys: table.foreignKeys.filter((other) => other !== fk) });
        }
      }
      operations.push(createOperation('dropTable', { name: next.name }));
      pending.delete(next.name);
    }
    return operations;
  }

  #verify(
    from: SchemaState,
    to: SchemaState,
    operations: Operation[],
    registry: OperationRegistry,
    sameColumn: (a: ColumnState, b: ColumnState) => boolean,
    normalizeTable: (table: TableState) => TableState,
  ): void {
    let state = from;
    operations.forEach((operation, index) => {
      const definition = registry.get(operation.kind);
      try {
        definition.validate(operation.args, state, this.#options.capabilities ? { capabilities: this.#options.capabilities } : undefined);
        if (this.#options.identifierRules) validateIdentifiersIn(operation.args, this.#options.identifierRules, operation.kind);
      } catch (error) {
        throw new CovetError('ENGINE_INVALID_PLAN', `Detected change #${index + 1} is invalid: ${(error as Error).message}`, { cause: error });
      }
      state = definition.applyToState(state, operation.args);
    });
    const mismatch = findMismatch(state, to, sameColumn, normalizeTable);
    if (mismatch) {
      throw new CovetError('ENGINE_INCOMPLETE', `The detected changes do not reach the models: ${mismatch}`, {
        hint: 'This is a Covet bug; please report it with your models.',
      });
    }
  }
}

function findMismatch(
  actual: SchemaState,
  expected: SchemaState,
  sameColumn: (a: ColumnState, b: ColumnState) => boolean,
  normalizeTable: (table: TableState) => TableState,
): string | undefined {
  const names = new Set([...Object.keys(actual.tables), ...Object.keys(expected.tables)]);
  for (const name of names) {
    const rawA = tableOf(actual.tables, name);
    const rawB = tableOf(expected.tables, name);
    if (!rawA || !rawB) return `table ${name}`;
    const [a, b] = [normalizeTable(rawA), normalizeTable(rawB)];
    if (rawA.columns.length !== rawB.columns.length) return `columns of ${name}`;
    const columns = byName(rawA.columns);
    for (const column of rawB.columns) {
      const other = columns.get(column.name);
      if (!other || !sameColumn(other, column)) return `column ${name}.${column.name}`;
    }
    const sortIndexes = (items: readonly IndexState[]) => [...items].sort((x, y) => (x.name < y.name ? -1 : 1));
    const sortKeys = (items: readonly ForeignKeyState[]) => [...items].sort((x, y) => (x.name < y.name ? -1 : 1));
    if (!same(sortIndexes(a.indexes), sortIndexes(b.indexes))) return `indexes of ${name}`;
    if (!same(sortKeys(a.foreignKeys), sortKeys(b.foreignKeys))) return `foreign keys of ${name}`;
  }
  return undefined;
}
