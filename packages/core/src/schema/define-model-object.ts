import { CovetError } from '../errors/covet-error.js';
import { frozenJson } from '../migration/define-migration.js';
import { checkNamespace } from '../state/plugin-state.js';
import type { PluginObjectOf } from './types.js';

/** Marks values made by {@link defineModelObject}, whichever copy of core made them. */
const MODEL_OBJECT_BRAND = Symbol.for('covet.modelObject');

/**
 * An object of a plugin declared in model files next to the tables (a view, a trigger, ...):
 * the plugin's `namespace`, the object's `name`, and its `definition` (JSON data whose shape
 * the plugin defines). `makemigrations` collects every exported one into the desired state's
 * `plugins[namespace][name]`.
 */
export interface ModelObject<Definition = unknown> {
  readonly namespace: string;
  readonly name: string;
  readonly definition: Definition;
}

/**
 * Declares an object of a plugin's state in model files. A plugin wraps it in its own
 * `define*` helper, which users export from their models next to `defineTable`:
 * `makemigrations` puts every exported model object into the desired state
 * (`getPluginObjects(to, namespace)` in a `processChanges` tap), and the plugin emits the
 * operations that bring the migrations' state there. `definition` must be JSON data; it is
 * copied and frozen.
 *
 * @example
 * // in the plugin
 * export const defineView = (name: string, sql: string) => defineModelObject('views', name, { sql });
 * // in models/views.ts
 * export const activeUsers = defineView('active_users', 'SELECT id FROM users WHERE active');
 */
export function defineModelObject<Namespace extends string, Definition extends PluginObjectOf<Namespace>>(
  namespace: Namespace,
  name: string,
  definition: Definition,
): ModelObject<Definition> {
  checkNamespace(namespace, `model object ${JSON.stringify(name)}`);
  if (typeof name !== 'string' || name === '') {
    throw new CovetError('PLUGIN_OBJECT_INVALID', `A model object needs a non-empty name, got ${JSON.stringify(name)} (namespace ${namespace})`);
  }
  const copy = frozenJson(definition, `${namespace} "${name}"`, (path, found) =>
    new CovetError('PLUGIN_OBJECT_INVALID', `${path} is not JSON: ${found}`, {
      hint: 'Model objects hold strings, finite numbers, booleans, null, arrays and plain objects only.',
    }),
  ) as Definition;
  return Object.freeze({ [MODEL_OBJECT_BRAND]: true, namespace, name, definition: copy });
}

/** True for a value made with {@link defineModelObject}, whichever copy of core made it. */
export function isModelObject(value: unknown): value is ModelObject {
  return typeof value === 'object' && value !== null && MODEL_OBJECT_BRAND in value;
}
