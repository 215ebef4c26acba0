import { canonicalJson } from '../migration/canonical-json.js';
import { CovetError, EXIT_MIGRATION_CONFLICT, EXIT_MIGRATION_FILE_MISSING } from '../errors/covet-error.js';
import type { SchemaState, TableState } from '../schema/types.js';
import type { GraphNode, MigrationGraph } from './migration-graph.js';
import { diffPluginObjects } from '../diff/plugin-changes.js';
import { pluginNamespaces } from '../state/plugin-state.js';

/** An app whose migrations branch: more than one migration that nothing of the app follows. */
export interface MigrationConflict<Node extends GraphNode = GraphNode> {
  readonly app: string;
  /** Its leaves, in graph order. */
  readonly leaves: readonly Node[];
}

/**
 * The apps (all, or those named) with more than one leaf: two branches, e.g. migrations made on
 * two git branches from the same parent and merged. Applying both silently would leave the
 * order between them to chance; `makemigrations --merge` joins them.
 */
export function findConflicts<Node extends GraphNode>(graph: MigrationGraph<Node>, apps?: readonly string[]): MigrationConflict<Node>[] {
  const names = apps ?? [...new Set(graph.order().map((node) => node.app))];
  return names.map((app) => ({ app, leaves: graph.leaves(app) })).filter((conflict) => conflict.leaves.length > 1);
}

/**
 * The error for branched history (`MIGRATION_CONFLICT`, exit code
 * {@link EXIT_MIGRATION_CONFLICT}): names every app's leaves and the way out.
 */
export function conflictError(conflicts: readonly MigrationConflict[]): CovetError {
  const listing = conflicts.map((conflict) => `app ${conflict.app}: ${conflict.leaves.map((leaf) => leaf.name).join(', ')}`).join('; ');
  const apps = conflicts.map((conflict) => conflict.app);
  return new CovetError('MIGRATION_CONFLICT', `Conflicting migrations: more than one latest migration (${listing})`, {
    hint: `Join the branches with covet makemigrations --merge${apps.length === 1 && apps[0] !== undefined ? ` --app ${apps[0]}` : ''}, then migrate.`,
    exitCode: EXIT_MIGRATION_CONFLICT,
  });
}

/**
 * The error for applied migrations whose files are gone (`MIGRATION_FILE_MISSING`, exit code
 * {@link EXIT_MIGRATION_FILE_MISSING}): the database holds changes no file describes, so
 * neither applying more nor writing a new migration can be trusted until it is settled.
 */
export function missingFilesError(ids: readonly string[]): CovetError {
  const shown = ids.slice(0, 5).join(', ');
  const more = ids.length > 5 ? ` and ${ids.length - 5} more` : '';
  return new CovetError('MIGRATION_FILE_MISSING', `Applied migration(s) with no file: ${shown}${more} (tracking table)`, {
    hint: `Restore the file(s) from version control; or, if a migration was removed on purpose and its changes are undone or kept by hand, forget it: covet resolve ${ids[0] ?? 'NAME'} --forget`,
    exitCode: EXIT_MIGRATION_FILE_MISSING,
  });
}

/** The branches of an app: the migrations all its leaves share, and each leaf's own. */
export interface Branches<Node extends GraphNode = GraphNode> {
  /** Migrations every leaf depends on (of every app), in graph order. */
  readonly base: readonly Node[];
  /** Per leaf, the migrations only its branch has, in graph order. */
  readonly branches: readonly { readonly leaf: Node; readonly migrations: readonly Node[] }[];
}

/** Splits an app's history at its leaves: what they share, and what each adds. */
export function branchesOf<Node extends GraphNode>(graph: MigrationGraph<Node>, app: string): Branches<Node> {
  const leaves = graph.leaves(app);
  const ancestry = leaves.map((leaf) => new Set(graph.ancestors(leaf.id).map((node) => node.id)));
  const shared = new Set([...(ancestry[0] ?? [])].filter((id) => ancestry.every((set) => set.has(id))));
  return {
    base: graph.order().filter((node) => shared.has(node.id)),
    branches: leaves.map((leaf, index) => ({ leaf, migrations: graph.order().filter((node) => ancestry[index]!.has(node.id) && !shared.has(node.id)) })),
  };
}

const PLUGIN_OBJECT = 'plugin object ';

/**
 * What changed from `before` to `after`, as names: `table` for a table created or dropped,
 * `table.column`, `table index name`, `table foreign key name`, `table primary key` for a part
 * of a table, `plugin object views "name"` for an object of a plugin's state. Two branches that change the same name cannot both be applied in either order
 * with the same result.
 */
export function changedObjects(before: SchemaState, after: SchemaState): Set<string> {
  const changed = new Set<string>();
  for (const name of new Set([...Object.keys(before.tables), ...Object.keys(after.tables)])) {
    const a = Object.hasOwn(before.tables, name) ? before.tables[name] : undefined;
    const b = Object.hasOwn(after.tables, name) ? after.tables[name] : undefined;
    if (a === undefined || b === undefined) {
      changed.add(name);
      continue;
    }
    for (const part of tableParts(a, b)) changed.add(`${name}${part}`);
  }
  for (const namespace of new Set([...pluginNamespaces(before), ...pluginNamespaces(after)])) {
    const { created, dropped, changed: redefined } = diffPluginObjects(before, after, namespace);
    for (const { name } of [...created, ...dropped, ...redefined]) changed.add(`${PLUGIN_OBJECT}${namespace} "${name}"`);
  }
  return changed;
}

function tableParts(a: TableState, b: TableState): string[] {
  const parts: string[] = [];
  const compare = <Item extends { name: string }>(label: string, left: readonly Item[], right: readonly Item[]) => {
    const byName = (items: readonly Item[]) => new Map(items.map((item) => [item.name, canonicalJson(item)]));
    const l = byName(left);
    const r = byName(right);
    for (const name of new Set([...l.keys(), ...r.keys()])) if (l.get(name) !== r.get(name)) parts.push(`${label}${name}`);
  };
  compare('.', a.columns, b.columns);
  compare(' index ', a.indexes, b.indexes);
  compare(' foreign key ', a.foreignKeys, b.foreignKeys);
  if (canonicalJson(a.primaryKey ?? null) !== canonicalJson(b.primaryKey ?? null)) parts.push(' primary key');
  return parts;
}

/** The table a changed-object name belongs to (see {@link changedObjects}). */
function tableOf(object: string): string {
  if (object.startsWith(PLUGIN_OBJECT)) return object;
  return /^[^. ]*/.exec(object)![0];
}

/**
 * The objects changed by more than one branch, each with the branches (leaf names) that change
 * it; a whole table created or dropped in one branch overlaps every change to it in another.
 */
export function overlappingChanges(changes: ReadonlyMap<string, ReadonlySet<string>>): { readonly object: string; readonly branches: readonly string[] }[] {
  const found = new Map<string, Set<string>>();
  const entries = [...changes.entries()];
  entries.forEach(([leaf, objects], index) => {
    for (const [otherLeaf, otherObjects] of entries.slice(index + 1)) {
      for (const object of objects) {
        for (const other of otherObjects) {
          const same = object === other || (tableOf(object) === tableOf(other) && (object === tableOf(object) || other === tableOf(other)));
          if (!same) continue;
          const key = object.length <= other.length ? object : other;
          const set = found.get(key) ?? new Set<string>();
          set.add(leaf).add(otherLeaf);
          found.set(key, set);
        }
      }
    }
  });
  return [...found.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([object, branches]) => ({ object, branches: [...branches] }));
}
