import {
  AsyncSeriesBailHook,
  AsyncSeriesHook,
  AsyncSeriesWaterfallHook,
  SyncHook,
  type HookInterceptor,
} from 'tapable';
import { CovetError, isCovetError } from '../errors/covet-error.js';
import type { Dialect, DialectConnection } from '../dialect/dialect.js';
import type { Operation, OperationRegistry } from '../operations/define-operation.js';
import type { SchemaState, SqlStatement } from '../schema/types.js';
import type { Migration } from '../migration/define-migration.js';
import type { ResolvedConfig } from '../config/resolve-config.js';
import type { CommandRegistry, DialectRegistry } from '../plugin/registries.js';
import { createReporter, type Reporter, type ReportLine } from './reporter.js';

/** Which way a run goes. */
export type Direction = 'up' | 'down';

/** Context of the run-level hooks (and, through it, of the per-migration and per-operation ones). */
export interface RunHookContext {
  /** Reports a line under your plugin's name (see {@link Reporter}). */
  readonly report: Reporter;
  readonly direction: Direction;
  readonly dialect: Dialect;
  /** Absent when only printing (`--dry-run`). */
  readonly connection?: DialectConnection;
  readonly dryRun: boolean;
  readonly fake: boolean;
}

/** What a run is about to do. */
export interface RunPlan {
  readonly direction: Direction;
  readonly migrations: readonly Migration[];
}

/** What a run did. */
export interface RunResult {
  readonly direction: Direction;
  readonly migrations: readonly { readonly migration: Migration; readonly durationMs: number }[];
}

/** Context of the per-migration hooks. */
export interface MigrationHookContext extends RunHookContext {
  /** The schema state before this migration. */
  readonly stateBefore: SchemaState;
}

/** Context of the per-operation hooks. */
export interface OperationHookContext extends MigrationHookContext {
  readonly migration: Migration;
  /**
   * The operation being run: during a rollback (and a compensation) the reverse that runs, not
   * the migration's forward operation at `index`. `direction` says which way it goes.
   */
  readonly operation: Operation;
  /** Position of the operation in its migration (0-based); a reverse has its forward operation's. */
  readonly index: number;
  readonly stateAfter: SchemaState;
  /**
   * True while a failed migration's operations are undone one by one (databases without
   * transactional DDL, such as MySQL): the operation is a reverse, `direction` the way it goes.
   */
  readonly compensation?: boolean;
}

/** Context of {@link CovetHooks.afterFailure}. */
export interface FailureHookContext {
  /** Reports a line under your plugin's name (see {@link Reporter}). */
  readonly report: Reporter;
  readonly migration?: Migration;
  readonly operation?: Operation;
  readonly index?: number;
  readonly statement?: SqlStatement;
}

/** One export of a model file, as `processModels` sees it. */
export interface ModelExport {
  /** The model file (absolute path). */
  readonly file: string;
  /** The export's name (`default` for a default export). */
  readonly name: string;
  readonly value: unknown;
}

/** Context of {@link CovetHooks.processModels}. */
export interface ModelsHookContext {
  /** Reports a line under your plugin's name (see {@link Reporter}). */
  readonly report: Reporter;
  readonly app: string;
  /** Every export of the app's model files, file by file: what a plugin may read its own declarations from. */
  readonly exports: readonly ModelExport[];
}

/** Context of {@link CovetHooks.processChanges}. */
export interface ChangesHookContext {
  /** Reports a line under your plugin's name (see {@link Reporter}). */
  readonly report: Reporter;
  readonly app: string;
  readonly from: SchemaState;
  readonly to: SchemaState;
}

/** A migration file about to be written. */
export interface MigrationFile {
  readonly path: string;
  readonly source: string;
}

/** Context of {@link CovetHooks.processMigrationFile}. */
export interface MigrationFileHookContext {
  /** Reports a line under your plugin's name (see {@link Reporter}). */
  readonly report: Reporter;
  readonly app: string;
  readonly name: string;
  readonly operations: readonly Operation[];
}

/**
 * Every extension point of Covet. Plugins tap them in `apply`. They fire in this order:
 *
 * Loading (every command):
 * 1. `registerOperations`, `registerDialects`, `registerCommands` — right after each plugin's
 *    `apply` (a preset's plugins first), once per tap: registries to add to.
 * 2. `resolveDialect` — only when no plugin registered a dialect for `database.engine`.
 * 3. `processConfig` — the resolved configuration; return it (possibly changed).
 *
 * `makemigrations`: 4. `processModels` (per app: the desired state its model files declare,
 * tables and plugin objects; return it, possibly with more plugin objects), 5. `processChanges`
 * (per app: the detected operations, with the migrations' state `from` and the desired `to`;
 * add, remove or veto by throwing; a plugin emits the operations for its own state here),
 * 6. `processMigrationFile` (the file about to be written).
 *
 * `migrate` / `rollback`:
 * 4. For every migration of the run, before anything else: `validateMigration`, then per
 *    operation (a rollback's are the reverses that run, last first) `validateOperation`,
 *    `processSql` (its compiled statements; return them, possibly rewritten) and `validateSql`
 *    (the statements as they will be sent; throw to refuse them). A tap that throws stops the
 *    run before any SQL is sent: the database and the tracking table stay as they were.
 *    An operation whose renderer reads the live database (SQLite's table rebuilds; drops of
 *    an index, a foreign key or a column where the dialect looks at what the live table holds)
 *    compiles only when it runs, after the operations before it: its `processSql` and
 *    `validateSql` fire in step 6, just before its statements are sent.
 *    A `--fake` run sends no SQL: neither fires; a `--dry-run` fires both as a run would.
 * 5. `beforeRun`.
 * 6. Per migration: `beforeMigration`; per operation `beforeOperation`, (`processSql` and
 *    `validateSql` only for an operation compiled late, see 4), `afterOperation`; then
 *    `afterMigration` (inside the migration's transaction where there is one).
 * 7. `afterRun` — when every migration succeeded.
 *
 * On a failure while a migration runs: where DDL is not transactional (MySQL), the operations
 * done are undone by their reverses, each with `beforeOperation`, `processSql`,
 * `afterOperation` (context `compensation: true`, the reverse `direction`; not `validateSql`:
 * those statements undo what already ran, and refusing them would leave the migration
 * part-way); then `afterFailure` fires once, after the migration's transaction rolled back,
 * with the error as the user sees it and the migration, operation, position and statement;
 * `afterRun` does not fire. A refusal in step 4 is not a failure of a run: `afterFailure`
 * does not fire for it.
 *
 * A run applied from compiled plans (the plan cache) fires only `beforeRun`, `afterRun` and
 * `afterFailure`: tapping any other run hook (`processSql` and `validateSql` included) makes
 * every run take the full plan. Statements run by a migration's custom `up` / `down` code
 * and Covet's writes to its own tables go through neither `processSql` nor `validateSql`.
 *
 * A tap's error is reported as `<message> (plugin "<name>", hook <hook>, migration <id>,
 * operation #<n> (<kind>))`, naming the plugin whose `apply` added the tap. See
 * `docs/plugins.md`. This order is tested through the `covet` binary on SQLite, PostgreSQL and
 * MariaDB by `describeCliHooks` of `@covet/core/testing` (a plugin that records every hook),
 * which a third-party dialect can run too.
 */
export interface CovetHooks {
  readonly processConfig: AsyncSeriesWaterfallHook<[ResolvedConfig]>;
  readonly registerOperations: SyncHook<[OperationRegistry]>;
  readonly registerDialects: SyncHook<[DialectRegistry]>;
  readonly registerCommands: SyncHook<[CommandRegistry]>;
  readonly validateMigration: AsyncSeriesHook<[Migration, MigrationHookContext]>;
  readonly validateOperation: AsyncSeriesHook<[Operation, OperationHookContext]>;
  readonly beforeRun: AsyncSeriesHook<[RunPlan, RunHookContext]>;
  readonly afterRun: AsyncSeriesHook<[RunResult, RunHookContext]>;
  readonly beforeMigration: AsyncSeriesHook<[Migration, MigrationHookContext]>;
  readonly afterMigration: AsyncSeriesHook<[Migration, MigrationHookContext]>;
  readonly beforeOperation: AsyncSeriesHook<[Operation, OperationHookContext]>;
  readonly afterOperation: AsyncSeriesHook<[Operation, OperationHookContext]>;
  /**
   * The statements of one operation, compiled: return them, possibly rewritten. Fires before
   * the run's first statement is sent (see the order above; an operation compiled from the
   * live database, just before its own statements). `context.operation` is the operation
   * that runs (a rollback's reverse) and `context.direction` the way it goes.
   */
  readonly processSql: AsyncSeriesWaterfallHook<[readonly SqlStatement[], OperationHookContext]>;
  /**
   * A policy on SQL: the statements of one operation as they will be sent (after
   * `processSql`), with the same context. Throw to refuse the run: since it fires for every
   * operation before the run's first statement is sent, nothing has run then (except before
   * an operation compiled from the live database, whose statements are offered just before
   * they run: see the order above). The error names the plugin, the migration and the
   * operation's position.
   *
   * @example
   * // At most 50 statements per run, and no DROP TABLE.
   * let count = 0;
   * covet.hooks.validateSql.tap('sql-policy', (statements, { migration, index }) => {
   *   count += statements.length;
   *   if (count > 50) throw new Error('more than 50 statements: split the run');
   *   if (statements.some((s) => /^\s*DROP\s+TABLE\b/i.test(s.sql))) throw new Error(`DROP TABLE in ${migration.id} #${index + 1}`);
   * });
   */
  readonly validateSql: AsyncSeriesHook<[readonly SqlStatement[], OperationHookContext]>;
  readonly afterFailure: AsyncSeriesHook<[Error, FailureHookContext]>;
  readonly processModels: AsyncSeriesWaterfallHook<[SchemaState, ModelsHookContext]>;
  readonly processChanges: AsyncSeriesWaterfallHook<[readonly Operation[], ChangesHookContext]>;
  readonly processMigrationFile: AsyncSeriesWaterfallHook<[MigrationFile, MigrationFileHookContext]>;
  readonly resolveDialect: AsyncSeriesBailHook<[string], Dialect | undefined>;
}

/** Stage for taps that must run before the default ones (`hook.tap({ name, stage }, fn)`). */
export const STAGE_EARLY = -100;
/** The default stage. */
export const STAGE_DEFAULT = 0;
/** Stage for taps that must run after the default ones (reporting, auditing). */
export const STAGE_LATE = 100;

/**
 * Whether any plugin tapped a hook: the runner calls no hook nobody tapped, and skips the work
 * that only a tap would need. (tapable's `isUsed()` also counts interceptors, and every hook
 * has the one that names failing plugins, so it is always true.)
 */
export function isTapped(hook: { readonly taps: readonly unknown[] }): boolean {
  return hook.taps.length > 0;
}

/** Where a hook call was: the migration and the operation its arguments name, if any. */
function locationOf(args: readonly unknown[]): string {
  const [subject, context] = args as [unknown, { migration?: unknown; index?: unknown; operation?: unknown } | undefined];
  const migration = isMigrationLike(context?.migration) ? context!.migration : isMigrationLike(subject) ? subject : undefined;
  if (!migration) return '';
  const index = typeof context?.index === 'number' ? context.index : undefined;
  const operation = index === undefined ? undefined : (context?.operation as { kind?: unknown } | undefined) ?? (isOperationLike(subject) ? subject : undefined);
  const kind = typeof operation?.kind === 'string' ? ` (${operation.kind})` : '';
  return `, migration ${migration.id}${index === undefined ? '' : `, operation #${index + 1}${kind}`}`;
}

function isMigrationLike(value: unknown): value is { readonly id: string } {
  return typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string' && typeof (value as { checksum?: unknown }).checksum === 'string';
}

function isOperationLike(value: unknown): value is { readonly kind: string } {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string' && 'args' in value;
}

function wrapFailure(error: unknown, plugin: string, hook: string, args: readonly unknown[]): CovetError {
  const message = error instanceof Error ? error.message : String(error);
  if (isCovetError(error) && error.code === 'PLUGIN_FAILED') return error;
  return new CovetError('PLUGIN_FAILED', `${message} (plugin "${plugin}", hook ${hook}${locationOf(args)})`, {
    cause: error,
    ...(isCovetError(error) && error.hint ? { hint: error.hint } : {}),
  });
}

/**
 * Wraps every tap so its failure names the plugin (the one being applied when the tap was
 * added, else the tap's own name), the hook, and the migration and operation it was called for.
 */
function namingInterceptor(hook: string, owner: () => string | undefined, sink: (line: ReportLine) => void): HookInterceptor<any, any> {
  return {
    register(tap) {
      const plugin = owner() ?? tap.name;
      const reporter = createReporter(sink, plugin, hook);
      const original = tap.fn as (...args: unknown[]) => unknown;
      // A context that carries a reporter gets this tap's own, naming its plugin.
      const fn = (...args: unknown[]): unknown => {
        const context = args[1];
        if (typeof context === 'object' && context !== null && 'report' in context) args[1] = { ...context, report: reporter };
        return original(...args);
      };
      if (tap.type === 'async') {
        tap.fn = (...args: unknown[]) => {
          const callback = args.pop() as (error?: unknown, result?: unknown) => void;
          fn(...args, (error?: unknown, result?: unknown) =>
            error ? callback(wrapFailure(error, plugin, hook, args)) : callback(null, result),
          );
        };
      } else {
        tap.fn = (...args: unknown[]) => {
          let result: unknown;
          try {
            result = fn(...args);
          } catch (error) {
            throw wrapFailure(error, plugin, hook, args);
          }
          if (tap.type === 'promise' && result && typeof (result as Promise<unknown>).then === 'function') {
            return (result as Promise<unknown>).catch((error: unknown) => {
              throw wrapFailure(error, plugin, hook, args);
            });
          }
          return result;
        };
      }
      return tap;
    },
  };
}

/**
 * Creates the frozen hooks object of one `Covet` instance. `owner` names the plugin being
 * applied (a tap's failure is reported under it); without one, under the tap's name.
 */
export function createHooks(owner: () => string | undefined = () => undefined, sink: (line: ReportLine) => void = () => undefined): CovetHooks {
  const hooks: CovetHooks = {
    processConfig: new AsyncSeriesWaterfallHook(['config']),
    registerOperations: new SyncHook(['registry']),
    registerDialects: new SyncHook(['registry']),
    registerCommands: new SyncHook(['registry']),
    validateMigration: new AsyncSeriesHook(['migration', 'context']),
    validateOperation: new AsyncSeriesHook(['operation', 'context']),
    beforeRun: new AsyncSeriesHook(['plan', 'context']),
    afterRun: new AsyncSeriesHook(['result', 'context']),
    beforeMigration: new AsyncSeriesHook(['migration', 'context']),
    afterMigration: new AsyncSeriesHook(['migration', 'context']),
    beforeOperation: new AsyncSeriesHook(['operation', 'context']),
    afterOperation: new AsyncSeriesHook(['operation', 'context']),
    processSql: new AsyncSeriesWaterfallHook(['statements', 'context']),
    validateSql: new AsyncSeriesHook(['statements', 'context']),
    afterFailure: new AsyncSeriesHook(['error', 'context']),
    processModels: new AsyncSeriesWaterfallHook(['state', 'context']),
    processChanges: new AsyncSeriesWaterfallHook(['operations', 'context']),
    processMigrationFile: new AsyncSeriesWaterfallHook(['file', 'context']),
    resolveDialect: new AsyncSeriesBailHook(['engine']),
  };
  for (const [name, hook] of Object.entries(hooks)) {
    (hook as { intercept(interceptor: HookInterceptor<any, any>): void }).intercept(namingInterceptor(name, owner, sink));
  }
  return Object.freeze(hooks);
}
