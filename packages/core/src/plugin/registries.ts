import { CovetError } from '../errors/covet-error.js';
import { DIALECT_SPECIFICATION_VERSION, type Dialect } from '../dialect/dialect.js';

/** The dialects one `Covet` instance knows, by engine name. */
export class DialectRegistry {
  readonly #dialects = new Map<string, Dialect>();

  /** Adds a dialect; refuses a second one with the same name or an incompatible contract. */
  register(dialect: Dialect): this {
    if (dialect.specificationVersion !== DIALECT_SPECIFICATION_VERSION) {
      throw new CovetError(
        'DIALECT_INCOMPATIBLE',
        `Dialect "${dialect.name}" implements contract ${String(dialect.specificationVersion)}, this Covet needs ${DIALECT_SPECIFICATION_VERSION}`,
      );
    }
    if (this.#dialects.has(dialect.name)) {
      throw new CovetError('DIALECT_DUPLICATE', `Dialect "${dialect.name}" is registered twice`);
    }
    this.#dialects.set(dialect.name, dialect);
    return this;
  }

  get(name: string): Dialect | undefined {
    return this.#dialects.get(name);
  }

  names(): string[] {
    return [...this.#dialects.keys()].sort();
  }
}

/** An option of a plugin command. */
export interface CommandOption {
  /** cac-style flags: `--force`, `--steps <n>`. */
  readonly flags: string;
  readonly description: string;
  readonly default?: unknown;
}

/** What a command's action receives besides its arguments and options. */
export interface CommandContext {
  /** Writes a line to standard output. */
  readonly print: (line: string) => void;
}

/** A CLI command contributed by a plugin. */
export interface CommandDefinition {
  /** Name and arguments, cac-style: `lint [app]`. */
  readonly name: string;
  readonly description: string;
  readonly options?: readonly CommandOption[];
  action(args: readonly string[], options: Record<string, unknown>, context: CommandContext): Promise<void> | void;
}

/** Commands contributed through the `registerCommands` hook. */
export class CommandRegistry {
  readonly #commands = new Map<string, CommandDefinition>();

  register(command: CommandDefinition): this {
    const name = command.name.split(' ')[0]!;
    if (this.#commands.has(name)) throw new CovetError('COMMAND_DUPLICATE', `Command "${name}" is registered twice`);
    this.#commands.set(name, command);
    return this;
  }

  list(): CommandDefinition[] {
    return [...this.#commands.values()];
  }
}
