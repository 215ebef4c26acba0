import { CovetError, isCovetError } from '../errors/covet-error.js';
import { createHooks, type CovetHooks } from '../hooks/hooks.js';
import { createReporter, type Reporter, type ReportLine } from '../hooks/reporter.js';
import { BUILTIN_OPERATIONS } from '../operations/builtin/index.js';
import { OperationRegistry } from '../operations/define-operation.js';
import { instantiatePlugin, isCovetPlugin, memoizeFactory, splitPluginEntry, type PluginEntry, type PluginFactory } from './plugin-entry.js';
import { CommandRegistry, DialectRegistry } from './registries.js';

/**
 * A plugin: a name and an `apply` that taps hooks. Built-in features use the same shape.
 *
 * @example
 * const noDrops: CovetPlugin = {
 *   name: 'no-drops',
 *   apply(covet) {
 *     covet.hooks.validateOperation.tap('no-drops', (operation) => {
 *       if (operation.kind === 'dropTable') throw new Error('Dropping tables needs a DBA review');
 *     });
 *   },
 * };
 */
export interface CovetPlugin {
  readonly name: string;
  apply(covet: Covet): void;
}

/**
 * Types a plugin. Given a function of options instead, returns the factory a plugin package
 * exports when it takes options (`plugins: [['@acme/policy', { strict: true }]]`); the
 * factory validates its options (throw a one-line error) and returns the plugin. Calls with
 * equal JSON options return the same plugin object, which Covet applies once.
 *
 * @example
 * export default definePlugin((options: { maxTables?: number } = {}) => {
 *   if (options.maxTables !== undefined && !Number.isInteger(options.maxTables)) {
 *     throw new Error(`maxTables must be an integer, got ${JSON.stringify(options.maxTables)}`);
 *   }
 *   return { name: 'acme-policy', apply(covet) { ... } };
 * });
 */
// The factory overload comes first: a function has a `name` and an `apply`, so it would
// also match CovetPlugin.
export function definePlugin<Options>(factory: (options?: Options) => CovetPlugin): PluginFactory<Options>;
export function definePlugin(plugin: CovetPlugin): CovetPlugin;
export function definePlugin<Options>(plugin: CovetPlugin | ((options?: Options) => CovetPlugin)): CovetPlugin | PluginFactory<Options> {
  return typeof plugin === 'function' ? memoizeFactory(plugin as (options?: Options) => CovetPlugin) : plugin;
}

const PRESET_BRAND = Symbol.for('covet.preset');

/** What {@link definePreset} takes. */
export interface PresetDefinition {
  readonly name: string;
  /** The plugins it applies, in order: plugins, factories, or `[plugin or factory, options]`. */
  readonly plugins: readonly PluginEntry[];
  /** Taps of the preset's own, applied after its plugins. */
  apply?(covet: Covet): void;
}

/**
 * A preset: a plugin that applies other plugins (an organisation's policy with its options,
 * its naming plugin, ...). Listing a preset and one of its plugins applies that plugin once;
 * the preset's plugins are named `preset "<name>"` in errors.
 *
 * @example
 * export default definePreset({
 *   name: 'acme-org',
 *   plugins: [[policy, { destructive: 'error' }], acmeNaming],
 * });
 */
export function definePreset(preset: PresetDefinition): CovetPlugin {
  if (typeof preset !== 'object' || preset === null || typeof preset.name !== 'string' || preset.name === '' || !Array.isArray(preset.plugins)) {
    throw new CovetError('PLUGIN_INVALID', 'definePreset needs { name, plugins: [...] }');
  }
  const plugins = [...preset.plugins];
  return Object.freeze({
    [PRESET_BRAND]: true,
    name: preset.name,
    apply(covet: Covet) {
      plugins.forEach((entry, index) => {
        const source = `preset "${preset.name}"`;
        const { value, options, hasOptions } = splitPluginEntry(entry, source);
        covet.use(instantiatePlugin(value, { options, hasOptions, label: `#${index + 1}`, source }));
      });
      preset.apply?.(covet);
    },
  });
}

/** Registers the 12 built-in operations, through the same hook a plugin uses. */
export const BUILTIN_OPERATIONS_PLUGIN: CovetPlugin = Object.freeze({
  name: 'covet:builtin-operations',
  apply(covet: Covet) {
    covet.hooks.registerOperations.tap('covet:builtin-operations', (registry) => {
      for (const definition of BUILTIN_OPERATIONS) registry.register(definition);
    });
  },
});

/** Options of {@link Covet.use}. */
export interface UseOptions {
  /**
   * Where the plugin came from, for errors: `covet.config.ts plugins[2] (package @acme/policy)`.
   * Default: the plugin applying it (a preset), or `covet.use()`.
   */
  readonly source?: string;
}

/**
 * One Covet instance: its hooks and registries. Create one per run with {@link createCovet};
 * nothing is global, so two instances in one process never share plugins.
 */
export class Covet {
  readonly hooks: CovetHooks = createHooks(
    () => this.#applying.at(-1)?.plugin.name,
    (line) => this.#report(line),
  );
  /** Every line plugins reported through `context.report`, in order. */
  readonly reports: ReportLine[] = [];
  readonly #reportListeners: ((line: ReportLine) => void)[] = [];
  /**
   * The reporter to put in a hook context you create (a command calling hooks itself): each
   * tap receives its own in its place, naming its plugin.
   */
  readonly reporter: Reporter = createReporter((line) => this.#report(line), 'covet', 'none');
  readonly operations = new OperationRegistry();
  readonly dialects = new DialectRegistry();
  readonly commands = new CommandRegistry();
  readonly #plugins: CovetPlugin[] = [];
  /** Each applied plugin by name, with where it came from. */
  readonly #byName = new Map<string, { readonly plugin: CovetPlugin; readonly source: string }>();
  /** The plugins being applied (a preset applying its plugins), innermost last. */
  readonly #applying: { readonly plugin: CovetPlugin; readonly source: string }[] = [];
  /** Register taps already handed their registry. */
  readonly #delivered = new WeakSet<object>();

  /** The plugins applied so far, in order. */
  get plugins(): readonly CovetPlugin[] {
    return this.#plugins;
  }

  /** Calls `listener` with each line a plugin reports from now on; returns how to stop. */
  onReport(listener: (line: ReportLine) => void): () => void {
    this.#reportListeners.push(listener);
    return () => {
      const at = this.#reportListeners.indexOf(listener);
      if (at !== -1) this.#reportListeners.splice(at, 1);
    };
  }

  #report(line: ReportLine): void {
    this.reports.push(line);
    for (const listener of this.#reportListeners) listener(line);
  }

  /** Where an applied plugin came from (see {@link UseOptions.source}). */
  sourceOf(name: string): string | undefined {
    return this.#byName.get(name)?.source;
  }

  /**
   * Applies a plugin: runs its `apply`, then hands the registries to the `register*` taps it
   * added, so a plugin can be added after the others (the CLI adds the dialect package this
   * way when no configured plugin provides the engine). A plugin already applied is not
   * applied again (a preset and the config may both list it); a different plugin with the name
   * of an applied one is refused, naming both sources.
   */
  use(plugin: CovetPlugin, options: UseOptions = {}): this {
    const parent = this.#applying.at(-1);
    const source =
      options.source ??
      (parent ? `${PRESET_BRAND in parent.plugin ? 'preset' : 'plugin'} "${parent.plugin.name}" (${parent.source})` : 'covet.use()');
    if (!isCovetPlugin(plugin)) {
      throw new CovetError('PLUGIN_INVALID', `Not a plugin: expected a { name, apply(covet) } object (${source})`);
    }
    const known = this.#byName.get(plugin.name);
    if (known?.plugin === plugin) return this;
    if (known) {
      throw new CovetError('PLUGIN_DUPLICATE', `Two different plugins are named "${plugin.name}": one from ${known.source}, one from ${source}`, {
        hint: 'Keep one of them. (One plugin package listed twice with different options makes two plugins.)',
      });
    }
    this.#byName.set(plugin.name, { plugin, source });
    this.#applying.push({ plugin, source });
    try {
      plugin.apply(this);
    } catch (error) {
      this.#byName.delete(plugin.name);
      if (isCovetError(error) && error.code.startsWith('PLUGIN_')) throw error;
      throw new CovetError('PLUGIN_FAILED', `Plugin "${plugin.name}" failed to apply: ${error instanceof Error ? error.message : String(error)} (${source})`, {
        cause: error,
      });
    } finally {
      this.#applying.pop();
    }
    this.#plugins.push(plugin);
    // The taps are wrapped by the hooks' interceptor, so a failure still names plugin and hook.
    // A preset's plugins had theirs delivered when each was applied: each tap gets its registry once.
    const { registerOperations, registerDialects, registerCommands } = this.hooks;
    for (const tap of registerOperations.taps) this.#deliver(tap, () => (tap.fn as (registry: OperationRegistry) => void)(this.operations));
    for (const tap of registerDialects.taps) this.#deliver(tap, () => (tap.fn as (registry: DialectRegistry) => void)(this.dialects));
    for (const tap of registerCommands.taps) this.#deliver(tap, () => (tap.fn as (registry: CommandRegistry) => void)(this.commands));
    return this;
  }

  #deliver(tap: object, run: () => void): void {
    if (this.#delivered.has(tap)) return;
    this.#delivered.add(tap);
    run();
  }
}

/** Options of {@link createCovet}. */
export interface CreateCovetOptions {
  /** Plugins, factories, or `[plugin or factory, options]` pairs, applied in order after the built-ins. */
  readonly plugins?: readonly unknown[];
  /** Where each entry of `plugins` was written, for errors (default `plugins[<i>]`). */
  readonly sources?: readonly string[];
}

/**
 * Creates a Covet instance: applies the built-ins and then each plugin in order, and fills
 * the operation, dialect and command registries through their hooks.
 */
export function createCovet(options: CreateCovetOptions = {}): Covet {
  const covet = new Covet();
  covet.use(BUILTIN_OPERATIONS_PLUGIN, { source: 'Covet' });
  for (const [index, entry] of (options.plugins ?? []).entries()) {
    const source = options.sources?.[index] ?? `plugins[${index}]`;
    const { value, options: pluginOptions, hasOptions } = splitPluginEntry(entry, source);
    const plugin = instantiatePlugin(value, { options: pluginOptions, hasOptions, label: `#${index + 1}`, source });
    covet.use(plugin, { source });
  }
  return covet;
}
