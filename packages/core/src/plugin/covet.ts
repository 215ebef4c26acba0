import { CovetError } from '../errors/covet-error.js';
import { createHooks, type CovetHooks } from '../hooks/hooks.js';
import { BUILTIN_OPERATIONS } from '../operations/builtin/index.js';
import { OperationRegistry } from '../operations/define-operation.js';
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

/** Identity helper that types a plugin. */
export function definePlugin(plugin: CovetPlugin): CovetPlugin {
  return plugin;
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

/**
 * One Covet instance: its hooks and registries. Create one per run with {@link createCovet};
 * nothing is global, so two instances in one process never share plugins.
 */
export class Covet {
  readonly hooks: CovetHooks = createHooks();
  readonly operations = new OperationRegistry();
  readonly dialects = new DialectRegistry();
  readonly commands = new CommandRegistry();
  readonly #plugins: CovetPlugin[] = [];

  /** The plugins applied so far, in order. */
  get plugins(): readonly CovetPlugin[] {
    return this.#plugins;
  }

  /**
   * Applies a plugin: runs its `apply`, then hands the registries to the `register*` taps it
   * added, so a plugin can be added after the others (the CLI adds the dialect package this
   * way when no configured plugin provides the engine).
   */
  use(plugin: CovetPlugin): this {
    const { registerOperations, registerDialects, registerCommands } = this.hooks;
    const before = [registerOperations.taps.length, registerDialects.taps.length, registerCommands.taps.length] as const;
    try {
      plugin.apply(this);
    } catch (error) {
      throw new CovetError('PLUGIN_FAILED', `Plugin "${plugin.name}" failed to apply: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
    this.#plugins.push(plugin);
    // The taps are wrapped by the hooks' interceptor, so a failure still names plugin and hook.
    for (const tap of registerOperations.taps.slice(before[0])) (tap.fn as (registry: OperationRegistry) => void)(this.operations);
    for (const tap of registerDialects.taps.slice(before[1])) (tap.fn as (registry: DialectRegistry) => void)(this.dialects);
    for (const tap of registerCommands.taps.slice(before[2])) (tap.fn as (registry: CommandRegistry) => void)(this.commands);
    return this;
  }
}

function isPlugin(value: unknown): value is CovetPlugin {
  return (
    typeof value === 'object' && value !== null && typeof (value as CovetPlugin).name === 'string' && typeof (value as CovetPlugin).apply === 'function'
  );
}

/**
 * Creates a Covet instance: applies the built-ins and then each plugin in order, and fills
 * the operation, dialect and command registries through their hooks.
 */
export function createCovet(options: { plugins?: readonly unknown[] } = {}): Covet {
  const plugins: CovetPlugin[] = [BUILTIN_OPERATIONS_PLUGIN];
  for (const [index, plugin] of (options.plugins ?? []).entries()) {
    if (!isPlugin(plugin)) {
      throw new CovetError('PLUGIN_INVALID', `Plugin #${index + 1} is not a { name, apply(covet) } object`, {
        hint: 'A plugin package must export such an object as its default export.',
      });
    }
    plugins.push(plugin);
  }
  const covet = new Covet();
  for (const plugin of plugins) covet.use(plugin);
  return covet;
}
