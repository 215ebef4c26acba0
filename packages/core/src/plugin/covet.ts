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
  readonly plugins: readonly CovetPlugin[];

  constructor(plugins: readonly CovetPlugin[]) {
    this.plugins = Object.freeze([...plugins]);
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
  const covet = new Covet(plugins);
  for (const plugin of plugins) {
    try {
      plugin.apply(covet);
    } catch (error) {
      throw new CovetError('PLUGIN_FAILED', `Plugin "${plugin.name}" failed to apply: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
  }
  covet.hooks.registerOperations.call(covet.operations);
  covet.hooks.registerDialects.call(covet.dialects);
  covet.hooks.registerCommands.call(covet.commands);
  return covet;
}
