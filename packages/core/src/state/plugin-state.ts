import { CovetError } from '../errors/covet-error.js';
import { frozenJson } from '../migration/define-migration.js';
import { createNameRecord } from '../schema/name-record.js';
import type { PluginObjectOf, PluginObjects, PluginObjectTypes, SchemaState } from '../schema/types.js';
import { withPlugins } from './schema-state.js';

const EMPTY_OBJECTS: PluginObjects<never> = Object.freeze(createNameRecord<never>());

/** A namespace: a plugin's short name, as in its operation kinds (`views`), or dotted (`objects.views`). */
const NAMESPACE = /^[a-z][A-Za-z0-9]*(\.[a-z][A-Za-z0-9]*)*$/;

/** Throws a one-line error unless `namespace` is a valid plugin-state namespace. */
export function checkNamespace(namespace: unknown, where?: string): string {
  if (typeof namespace !== 'string' || !NAMESPACE.test(namespace)) {
    throw new CovetError('PLUGIN_NAMESPACE_INVALID', `Invalid plugin namespace ${JSON.stringify(namespace)}${where ? ` (${where})` : ''}`, {
      hint: 'A namespace is camelCase, like the prefix of the plugin\'s operation kinds: "views".',
    });
  }
  return namespace;
}

/**
 * The objects a plugin keeps in the schema state under `namespace`, by name (an empty record
 * when it keeps none). `Definition` is the shape of your objects; the state holds what your
 * operations' `applyToState` put there, replayed from the migrations.
 *
 * @example
 * const views = getPluginObjects<{ sql: string }>(stateBefore, 'views');
 * for (const [name, view] of Object.entries(views)) console.log(name, view.sql);
 */
export function getPluginObjects<Namespace extends keyof PluginObjectTypes>(state: SchemaState, namespace: Namespace): PluginObjects<PluginObjectTypes[Namespace]>;
export function getPluginObjects<Definition = unknown>(state: SchemaState, namespace: string): PluginObjects<Definition>;
export function getPluginObjects<Definition = unknown>(state: SchemaState, namespace: string): PluginObjects<Definition> {
  const plugins = state.plugins;
  if (plugins === undefined || !Object.hasOwn(plugins, namespace)) return EMPTY_OBJECTS;
  return plugins[namespace] as PluginObjects<Definition>;
}

/**
 * One object of a plugin's state, or undefined. What an operation's `reverse(args, stateBefore)`
 * reads to carry the old definition (a dropped view's SQL).
 *
 * @example
 * reverse: (args, stateBefore) => {
 *   const old = getPluginObject<{ sql: string }>(stateBefore, 'views', args.name);
 *   return old ? [createView(args.name, old.sql)] : IRREVERSIBLE;
 * }
 */
export function getPluginObject<Namespace extends keyof PluginObjectTypes>(state: SchemaState, namespace: Namespace, name: string): PluginObjectTypes[Namespace] | undefined;
export function getPluginObject<Definition = unknown>(state: SchemaState, namespace: string, name: string): Definition | undefined;
export function getPluginObject<Definition = unknown>(state: SchemaState, namespace: string, name: string): Definition | undefined {
  const objects = getPluginObjects<Definition>(state, namespace);
  return Object.hasOwn(objects, name) ? objects[name] : undefined;
}

/**
 * A new state in which the object `name` of `namespace` is `definition` (added or replaced),
 * or is removed when `definition` is undefined. Pure: `state` is left as it was, and the
 * tables are shared, not copied. This is how a plugin operation's `applyToState` changes the
 * plugin state. `definition` must be JSON data (states are compared as JSON); the state keeps
 * a frozen copy.
 *
 * @example
 * applyToState: (state, args) => withPluginObject(state, 'views', args.name, { sql: args.sql }),
 *
 * (With `views` in {@link PluginObjectTypes}, a definition of another shape is a type error.)
 */
export function withPluginObject<Namespace extends string, Definition extends PluginObjectOf<Namespace>>(
  state: SchemaState,
  namespace: Namespace,
  name: string,
  definition: Definition | undefined,
): SchemaState {
  checkNamespace(namespace);
  if (typeof name !== 'string' || name === '') {
    throw new CovetError('PLUGIN_OBJECT_INVALID', `A plugin object needs a non-empty name, got ${JSON.stringify(name)} (namespace ${namespace})`);
  }
  const objects = createNameRecord(Object.entries(getPluginObjects(state, namespace)));
  if (definition === undefined) {
    if (!Object.hasOwn(objects, name)) return state;
    delete objects[name];
  } else {
    objects[name] = frozenJson(definition, `${namespace} "${name}"`, (path, found) =>
      new CovetError('PLUGIN_OBJECT_INVALID', `${path} is not JSON: ${found}`, {
        hint: 'Plugin objects hold strings, finite numbers, booleans, null, arrays and plain objects only.',
      }),
    );
  }
  const plugins = createNameRecord(Object.entries(state.plugins ?? {}));
  if (Object.keys(objects).length === 0) delete plugins[namespace];
  else plugins[namespace] = Object.freeze(objects);
  return withPlugins(state, Object.keys(plugins).length === 0 ? undefined : Object.freeze(plugins));
}

/** The namespaces that hold objects in `state`, sorted. */
export function pluginNamespaces(state: SchemaState): string[] {
  return Object.keys(state.plugins ?? {}).sort();
}
