import { canonicalJson } from '../migration/canonical-json.js';
import type { PluginObjectTypes, SchemaState } from '../schema/types.js';
import { getPluginObjects } from '../state/plugin-state.js';

/** How one namespace of plugin state differs between two schema states (see {@link diffPluginObjects}). */
export interface PluginObjectChanges<Definition = unknown> {
  /** In `to` only. */
  readonly created: readonly { readonly name: string; readonly definition: Definition }[];
  /** In `from` only: `definition` is the old one, what a reverse re-creates. */
  readonly dropped: readonly { readonly name: string; readonly definition: Definition }[];
  /** In both, with definitions that differ as JSON. */
  readonly changed: readonly { readonly name: string; readonly before: Definition; readonly after: Definition }[];
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Compares the objects of one plugin namespace in two states: what a plugin's
 * `processChanges` tap turns into operations (`from` is the migrations' state, `to` the
 * models'). Each list is sorted by name; definitions are compared as canonical JSON.
 *
 * @example
 * covet.hooks.processChanges.tap('views', (operations, { from, to }) => {
 *   const { created, dropped, changed } = diffPluginObjects<{ sql: string }>(from, to, 'views');
 *   return [
 *     ...dropped.map(({ name }) => dropView(name)),
 *     ...operations,
 *     ...changed.map(({ name, after }) => replaceView(name, after.sql)),
 *     ...created.map(({ name, definition }) => createView(name, definition.sql)),
 *   ];
 * });
 */
export function diffPluginObjects<Namespace extends keyof PluginObjectTypes>(from: SchemaState, to: SchemaState, namespace: Namespace): PluginObjectChanges<PluginObjectTypes[Namespace]>;
export function diffPluginObjects<Definition = unknown>(from: SchemaState, to: SchemaState, namespace: string): PluginObjectChanges<Definition>;
export function diffPluginObjects<Definition = unknown>(from: SchemaState, to: SchemaState, namespace: string): PluginObjectChanges<Definition> {
  const before = getPluginObjects<Definition>(from, namespace);
  const after = getPluginObjects<Definition>(to, namespace);
  const created: { name: string; definition: Definition }[] = [];
  const dropped: { name: string; definition: Definition }[] = [];
  const changed: { name: string; before: Definition; after: Definition }[] = [];
  for (const name of Object.keys(before).sort(byName)) {
    if (!Object.hasOwn(after, name)) dropped.push({ name, definition: before[name]! });
    else if (before[name] !== after[name] && canonicalJson(before[name]) !== canonicalJson(after[name])) {
      changed.push({ name, before: before[name]!, after: after[name]! });
    }
  }
  for (const name of Object.keys(after).sort(byName)) {
    if (!Object.hasOwn(before, name)) created.push({ name, definition: after[name]! });
  }
  return { created, dropped, changed };
}

/**
 * The first plugin object on which two states differ, as `<namespace> "<name>"` (with what is
 * wrong), or undefined when their plugin states are equal.
 */
export function pluginStateMismatch(actual: SchemaState, expected: SchemaState): string | undefined {
  const namespaces = new Set([...Object.keys(actual.plugins ?? {}), ...Object.keys(expected.plugins ?? {})]);
  for (const namespace of [...namespaces].sort(byName)) {
    const { created, dropped, changed } = diffPluginObjects(actual, expected, namespace);
    if (created[0]) return `${namespace} "${created[0].name}" is not created`;
    if (dropped[0]) return `${namespace} "${dropped[0].name}" is not dropped`;
    if (changed[0]) return `${namespace} "${changed[0].name}" does not get its new definition`;
  }
  return undefined;
}
