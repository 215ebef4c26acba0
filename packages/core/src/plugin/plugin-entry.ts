import { CovetError, isCovetError } from '../errors/covet-error.js';
import { canonicalJson } from '../migration/canonical-json.js';
import type { CovetPlugin } from './covet.js';

/**
 * A plugin that takes options: a function from the options to the plugin. The default export
 * of a plugin package may be one; the config then lists it as `['@acme/policy', { ... }]`
 * (or by name alone, and the factory gets `undefined`). It validates its options and throws
 * a one-line error for bad ones; Covet names the plugin and the config entry around it.
 */
export type PluginFactory<Options = unknown> = (options?: Options) => CovetPlugin;

/**
 * What a config's `plugins` list (or a preset's) may hold: a plugin, a factory (called
 * without options), or a pair of either with its options. The CLI also takes package names,
 * alone or in a pair: `'@acme/policy'`, `['@acme/policy', { strict: true }]`.
 */
export type PluginEntry = CovetPlugin | PluginFactory<never> | readonly [CovetPlugin | PluginFactory<never>, unknown];

/** True for a `{ name, apply(covet) }` object. */
export function isCovetPlugin(value: unknown): value is CovetPlugin {
  return (
    typeof value === 'object' && value !== null && typeof (value as CovetPlugin).name === 'string' && typeof (value as CovetPlugin).apply === 'function'
  );
}

/**
 * Makes the plugin an entry stands for: a plugin object as it is, a factory called with the
 * options. `label` names the plugin in errors (its package name, or `#2`), `source`
 * says where the entry was written (`covet.config.ts`). Errors are one line: a value that is
 * no plugin, options given to a plugin that takes none, options the factory refuses.
 */
export function instantiatePlugin(value: unknown, options: { readonly options?: unknown; readonly hasOptions: boolean; readonly label: string; readonly source: string }): CovetPlugin {
  const { label, source } = options;
  if (isCovetPlugin(value)) {
    if (options.hasOptions && options.options !== undefined) {
      throw new CovetError('PLUGIN_OPTIONS_INVALID', `Plugin ${label} takes no options (${source})`, {
        hint: `Its default export is a plugin object, not a function of options: list it without options.`,
      });
    }
    return value;
  }
  if (typeof value !== 'function') {
    throw new CovetError('PLUGIN_INVALID', `Plugin ${label} is not a { name, apply(covet) } object or a function of options (${source})`, {
      hint: 'A plugin is a { name, apply(covet) } object, or a function (options) => plugin, exported as the default export.',
    });
  }
  let plugin: unknown;
  try {
    plugin = (value as PluginFactory)(options.options);
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new CovetError('PLUGIN_OPTIONS_INVALID', `Invalid options for plugin ${label}: ${message} (${source})`, {
      cause: error,
      ...(isCovetError(error) && error.hint ? { hint: error.hint } : {}),
    });
  }
  if (!isCovetPlugin(plugin)) {
    throw new CovetError('PLUGIN_INVALID', `Plugin ${label} is a function that did not return a { name, apply(covet) } object (${source})`);
  }
  return plugin;
}

/**
 * Splits an entry into its value and options: `[value, options]` or a lone value. A list of
 * another length is refused (naming `source`).
 */
export function splitPluginEntry(entry: unknown, source: string): { value: unknown; options?: unknown; hasOptions: boolean } {
  if (!Array.isArray(entry)) return { value: entry, hasOptions: false };
  if (entry.length < 1 || entry.length > 2) {
    throw new CovetError('PLUGIN_INVALID', `A plugin entry as a list is [plugin, options], got ${entry.length} item(s) (${source})`, {
      hint: "Write it as ['@acme/policy', { ... }].",
    });
  }
  return entry.length === 2 ? { value: entry[0], options: entry[1], hasOptions: true } : { value: entry[0], hasOptions: false };
}

/**
 * Memoises a factory by its options when they are plain JSON data: the same options give the
 * same plugin object, which `covet.use` applies once. (A preset and a project that both list
 * the policy plugin with equal options then apply it once, not refuse it as a duplicate.)
 */
export function memoizeFactory<Options>(factory: (options?: Options) => CovetPlugin): PluginFactory<Options> {
  const made = new Map<string, CovetPlugin>();
  return (options?: Options) => {
    const key = isJsonData(options) ? canonicalJson(options ?? null) : undefined;
    const known = key === undefined ? undefined : made.get(key);
    if (known) return known;
    const plugin = factory(options);
    if (key !== undefined && isCovetPlugin(plugin)) made.set(key, plugin);
    return plugin;
  };
}

function isJsonData(value: unknown): boolean {
  if (value === undefined || value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJsonData);
  if (typeof value !== 'object') return false;
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  return Object.values(value).every(isJsonData);
}
