import { CovetError } from '../errors/covet-error.js';
import type { SchemaState, SqlStatement } from '../schema/types.js';
import type { CompileContext, Operation, ValidationContext } from '../dialect/dialect.js';
import type { Code } from '../writer/code-tree.js';

// The types a dialect and an operation share live with the dialect contract (one module, so
// neither imports the other); re-exported here for the code that defines operations.
export type { CompileContext, Operation, ValidationContext } from '../dialect/dialect.js';
import type { BuiltinOperationArgs, BuiltinOperationKind } from './builtin/index.js';

/** Returned by `reverse` when an operation cannot be undone. */
export const IRREVERSIBLE: unique symbol = Symbol.for('covet.irreversible') as never;

/** Turns an operation's arguments into SQL for one dialect. */
export type SqlRenderer<Args> = (args: Args, context: CompileContext) => readonly SqlStatement[] | Promise<readonly SqlStatement[]>;

/** Code that a migration file uses to rebuild an operation: an expression and its imports. */
export interface WrittenOperation {
  /**
   * A TypeScript expression that evaluates to the operation: as text
   * (`views.createView({ ... })`, written as is), or as a tree built with `codeTree`
   * (formatted like the rest of the file, and evaluated before it is written to check that it
   * rebuilds the operation exactly: names it calls must then be `op`, `t` or `sql`).
   */
  readonly code: string | Code;
  /** Named imports the expression needs: `{ from: 'covet-plugin-views', names: ['views'] }`. */
  readonly imports?: readonly { readonly from: string; readonly names: readonly string[] }[];
}

/**
 * Everything Covet knows about one kind of operation. Built-in and plugin operations use the
 * same contract and the same registry.
 */
export interface OperationDefinition<Args = unknown> {
  /** camelCase kind, equal to the builder's name; plugin kinds are prefixed (`views.createView`). */
  readonly kind: string;
  /**
   * Checks the arguments against the schema before the operation; throws a one-line
   * {@link CovetError} naming what is wrong. Runs before any SQL is sent. `context` says
   * what the target database allows, when it is known.
   */
  validate(args: Args, stateBefore: SchemaState, context?: ValidationContext): void;
  /** One human line: `Add column users.nickname`. */
  describe(args: Args): string;
  /** The schema after the operation (pure: returns a new state). */
  applyToState(state: SchemaState, args: Args): SchemaState;
  /** The operations that undo this one, given the state before it, or {@link IRREVERSIBLE}. */
  reverse(args: Args, stateBefore: SchemaState): readonly Operation[] | typeof IRREVERSIBLE;
  /**
   * Whether the operation can lose data (a drop, a narrowing change) or fail on existing rows.
   * A function gets the schema before the operation when the caller knows it (makemigrations
   * does), to tell a narrowing from a widening. Default false.
   */
  destructive?: boolean | ((args: Args, stateBefore?: SchemaState) => boolean);
  /** False when it must run outside a transaction (e.g. CREATE INDEX CONCURRENTLY). Default true. */
  transactional?: boolean | ((args: Args) => boolean);
  /**
   * SQL per dialect name, with an optional `default`. Looked up before the dialect's own
   * compiler, so a plugin can teach an existing dialect a new operation.
   */
  sql?: Readonly<Record<string, SqlRenderer<Args>>>;
  /** How `@covet/writer-ts` writes this operation into a migration file. */
  write?(args: Args): WrittenOperation;
  /**
   * Names this version of the definition's code (its state effect and SQL), e.g.
   * `covet-plugin-views@1.2.0`. With one, migrations using the kind are kept in the plan cache
   * and the loader cache, whose keys include it: a new version compiles and loads them again.
   * Without one (a plugin's default), a migration using the kind, and every migration after
   * it, is compiled on every run. Built-in kinds need none (core's build is in the keys).
   */
  readonly cacheKey?: string;
}

/**
 * An operation definition whose SQL is portable: its `sql.default` renders it on every dialect
 * (a dialect may still render it its own way). `defineOperation` returns this type for a
 * definition with `sql.default`, so a built-in kind declared this way is one a dialect's
 * compiler need not implement.
 */
export type PortableOperationDefinition<Args = unknown> = OperationDefinition<Args> & {
  readonly sql: Readonly<Record<string, SqlRenderer<Args>>> & { readonly default: SqlRenderer<Args> };
};

/**
 * A definition of any kind, whatever its arguments: the type of a list of definitions
 * (`const OPERATIONS: readonly AnyOperationDefinition[] = [createView, dropView]`) and of what
 * `covet.operations.register` takes. Its methods take `never`: call them only through
 * `covet.operations.get(kind)`, which types built-in kinds' arguments and takes `unknown` for
 * any other kind.
 */
export type AnyOperationDefinition = OperationDefinition<never>;

/**
 * Declares a kind of operation. The definition is frozen and must be registered on a
 * `Covet` instance (`covet.operations.register(...)`, usually from a plugin's
 * `registerOperations` tap) before migrations using it load.
 *
 * @example
 * const createView = defineOperation<{ name: string; sql: string }>({
 *   kind: 'views.createView',
 *   validate: (args) => validateIdentifier(args.name, 'view'),
 *   describe: (args) => `Create view ${args.name}`,
 *   applyToState: (state) => state,
 *   reverse: (args) => [{ kind: 'views.dropView', args: { name: args.name, sql: args.sql } }],
 *   sql: { default: (args, { dialect }) => [{ sql: `CREATE VIEW ${dialect.quoteIdentifier(args.name)} AS ${args.sql}` }] },
 * });
 */
export function defineOperation<Args>(definition: PortableOperationDefinition<Args>): PortableOperationDefinition<Args>;
export function defineOperation<Args>(definition: OperationDefinition<Args>): OperationDefinition<Args>;
export function defineOperation<Args>(definition: OperationDefinition<Args>): OperationDefinition<Args> {
  if (typeof definition.kind !== 'string' || !/^[a-z][A-Za-z0-9]*(\.[a-z][A-Za-z0-9]*)?$/.test(definition.kind)) {
    throw new CovetError('OPERATION_DEFINITION_INVALID', `Invalid operation kind ${JSON.stringify(definition.kind)}`, {
      hint: 'Kinds are camelCase; plugin kinds are prefixed with the plugin short name, e.g. "views.createView".',
    });
  }
  for (const member of ['validate', 'describe', 'applyToState', 'reverse'] as const) {
    if (typeof definition[member] !== 'function') {
      throw new CovetError('OPERATION_DEFINITION_INVALID', `Operation "${definition.kind}" has no ${member}()`);
    }
  }
  return Object.freeze({ ...definition });
}

/** Creates an operation value: frozen `{ kind, args }`. */
export function createOperation<Args>(kind: string, args: Args): Operation<Args> {
  return Object.freeze({ kind, args: deepFreeze(args) });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

/** A built-in operation of kind `Kind`, its `args` typed. */
export type BuiltinOperation<Kind extends BuiltinOperationKind = BuiltinOperationKind> = {
  readonly [K in Kind]: { readonly kind: K; readonly args: BuiltinOperationArgs[K] };
}[Kind];

/**
 * True when `value` has the shape of an operation; given a built-in `kind`, when it is an
 * operation of that kind, with `args` typed accordingly.
 *
 * @example
 * covet.hooks.validateOperation.tap('no-drops', (operation) => {
 *   if (isOperation(operation, 'dropTable')) throw new Error(`drops ${operation.args.name}`);
 * });
 */
export function isOperation<Kind extends BuiltinOperationKind>(value: unknown, kind: Kind): value is BuiltinOperation<Kind>;
export function isOperation(value: unknown, kind?: string): value is Operation;
export function isOperation(value: unknown, kind?: string): value is Operation {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Operation).kind === 'string' &&
    typeof (value as Operation).args === 'object' &&
    (value as Operation).args !== null &&
    (kind === undefined || (value as Operation).kind === kind)
  );
}

/**
 * What the caches must know of a registry's plugin kinds: `kind@cacheKey` of every registered
 * kind that has a {@link OperationDefinition.cacheKey}, sorted and joined; empty when none has
 * one (so caches made without plugins keep their keys).
 */
export function operationsCacheKey(registry: OperationRegistry): string {
  const keys: string[] = [];
  for (const kind of registry.kinds()) {
    const { cacheKey } = registry.get(kind);
    if (typeof cacheKey === 'string') keys.push(`${kind}@${cacheKey}`);
  }
  return keys.join(',');
}

/**
 * The operation kinds one `Covet` instance knows. Built-ins are registered through it exactly
 * like a plugin's operations.
 */
export class OperationRegistry {
  readonly #definitions = new Map<string, AnyOperationDefinition>();

  /** Adds a definition; a second definition of the same kind is an error. */
  register(definition: AnyOperationDefinition): this {
    if (this.#definitions.has(definition.kind)) {
      throw new CovetError('OPERATION_DUPLICATE', `Operation kind "${definition.kind}" is registered twice`);
    }
    this.#definitions.set(definition.kind, definition);
    return this;
  }

  /**
   * The definition of `kind`, or a one-line error naming it (and where it was used). A
   * built-in kind's definition is typed with its arguments; any other's takes `unknown`
   * arguments (check them in your code, as `validate` does).
   */
  get<Kind extends BuiltinOperationKind>(kind: Kind, where?: string): OperationDefinition<BuiltinOperationArgs[Kind]>;
  get(kind: string, where?: string): OperationDefinition<unknown>;
  get(kind: string, where?: string): OperationDefinition<unknown> {
    const definition = this.#definitions.get(kind);
    if (!definition) {
      throw new CovetError('OPERATION_UNKNOWN', `Unknown operation kind "${kind}"${where ? ` (${where})` : ''}`, {
        hint: 'Add the plugin that provides it to the plugins of your covet config.',
      });
    }
    return definition as OperationDefinition<unknown>;
  }

  has(kind: string): boolean {
    return this.#definitions.has(kind);
  }

  /** Every registered kind, sorted. */
  kinds(): string[] {
    return [...this.#definitions.keys()].sort();
  }
}
