import { CovetError, EXIT_CHECKSUM_MISMATCH, EXIT_PARTIAL_MIGRATION, isCovetError } from '../errors/covet-error.js';
import type { Dialect, DialectConnection } from '../dialect/dialect.js';
import type { MigrationGraph } from '../graph/migration-graph.js';
import type { Direction, FailureHookContext, MigrationHookContext, OperationHookContext, RunHookContext } from '../hooks/hooks.js';
import type { KnownMigration, MigrationEntry, MigrationFiles } from '../loader/migration-loader.js';
import type { Migration } from '../migration/define-migration.js';
import { IRREVERSIBLE, type CompileContext, type Operation } from '../operations/define-operation.js';
import type { Covet } from '../plugin/covet.js';
import type { SchemaState, SqlStatement } from '../schema/types.js';
import { validateIdentifiersIn, type IdentifierRules } from '../schema/identifiers.js';
import { elideLiterals } from '../errors/elide-literals.js';
import { identifierRulesOf } from '../dialect/identifier-rules.js';
import { EMPTY_STATE } from '../state/schema-state.js';
import { BUILTIN_OPERATIONS } from '../operations/builtin/index.js';
import { conflictError, findConflicts, missingFilesError } from '../graph/history.js';
import { findMigration } from '../graph/find-migration.js';
import { CORE_BUILD_ID, PlanCache, type CompiledStep } from './plan-cache.js';
import { PartialRuns, TRACKING_TABLE, TrackingTable, type PartialRow, type TrackingReadOptions, type TrackingRow } from './tracking-table.js';
import { IN_PROGRESS, IntentRecord, STOPPED, isFinished, partialState, type PartialState } from './intent-record.js';
import { CodeHandle } from './code-handle.js';

/**
 * Whether any plugin tapped a hook. (tapable's `isUsed()` also counts interceptors, and every
 * hook has the one that names failing plugins, so it is always true.)
 */
function isTapped(hook: { readonly taps: readonly unknown[] }): boolean {
  return hook.taps.length > 0;
}

/** Set on an operation's error: how many of its statements ran before the one that failed. */
const STATEMENTS_RUN = Symbol('covet.statementsRun');

/** Set on an operation's error: the operation, its position and the statement, for `afterFailure`. */
const FAILED_AT = Symbol('covet.failedAt');

/** Thrown by the probing `query` of {@link MigrationRunner} validation: the renderer needs the live database. */
const NEEDS_LIVE_DATABASE = Symbol('covet.needsLiveDatabase');

/** Something a run reports while it goes, for the CLI to print. */
export type RunEvent =
  | { readonly type: 'lockWait'; readonly message: string }
  | { readonly type: 'migrationStart'; readonly direction: Direction; readonly migration: Migration; readonly atomic: boolean }
  | {
      readonly type: 'migrationDone';
      readonly direction: Direction;
      readonly migration: Migration;
      readonly durationMs: number;
      readonly fake: boolean;
    }
  | { readonly type: 'sql'; readonly direction: Direction; readonly migration: Migration; readonly statement: SqlStatement }
  | { readonly type: 'warning'; readonly message: string }
  /** The pending migrations are applied from the SQL an earlier run compiled (see PlanCache). */
  | { readonly type: 'compiledPlans'; readonly migrations: number };

/** Options of {@link MigrationRunner}. */
export interface MigrationRunnerOptions {
  readonly covet: Covet;
  readonly dialect: Dialect;
  readonly connection: DialectConnection;
  /**
   * The migrations: a graph, or the files as found (`findMigrationFiles`), evaluated only as
   * far as the tracking table leaves necessary: a file whose text is unchanged since its
   * migration was applied is not evaluated by `migrate` or `status`.
   */
  readonly migrations: MigrationGraph<MigrationEntry> | MigrationFiles;
  /** How long to wait for the migration lock (ms). Default 60 s. */
  readonly lockTimeoutMs?: number;
  /**
   * Where to keep the SQL compiled for migrations, to apply them to another database without
   * replaying and compiling them again (used when the dialect has a `cacheKey`). The CLI
   * passes `PlanCache.forProject(rootDir, dialect)`; without it, nothing is cached.
   */
  readonly planCache?: PlanCache;
  readonly onEvent?: (event: RunEvent) => void;
  /**
   * Stops the run at the next safe point once aborted (the CLI aborts it on SIGINT/SIGTERM):
   * where DDL is transactional, the current migration is rolled back; elsewhere the current
   * operation finishes and the migration is recorded as part-way. The error thrown is a
   * CovetError with code `INTERRUPTED`, the exit code of `signal.reason` when that is a
   * CovetError, and a message saying what was applied and what was not.
   */
  readonly signal?: AbortSignal;
  /**
   * Show the string literals of a failing statement in errors (the CLI's `--verbose`). By
   * default they are elided (`'…'`, see `elideLiterals`): a failing `INSERT ... VALUES
   * ('AKIA...')` must not print the secret it carries.
   */
  readonly showLiterals?: boolean;
}

/** One line of `showmigrations`. */
export interface MigrationStatus {
  readonly app: string;
  readonly name: string;
  readonly applied: boolean;
  readonly appliedAt: string | null;
  /** True when the file changed since the migration was applied. */
  readonly edited: boolean;
  /** True when the migration is recorded as applied but its file is gone. */
  readonly missingFile: boolean;
  /**
   * Set when the migration is part-way (databases without transactional DDL): its run was
   * interrupted (process killed, connection lost: `interrupted`, or still running), stopped by
   * a signal between two operations (`stopped`), or failed and could not be undone (`failed`).
   * `operations` are the done ones (1-based); `error` says where it stopped or why it failed.
   */
  readonly failed?: { readonly direction: Direction; readonly operations: readonly number[]; readonly error: string; readonly state: PartialState };
}

/** What a run did. */
export interface RunSummary {
  readonly direction: Direction;
  readonly migrations: readonly Migration[];
}

/** Options of {@link MigrationRunner.migrate}. */
export interface MigrateOptions {
  /** Apply only up to this migration (`name` of the default app, or `app:name`), with its dependencies. */
  readonly target?: string;
  /** Record migrations as applied without running them. */
  readonly fake?: boolean;
  /** Print the SQL (as `sql` events) instead of running it. */
  readonly dryRun?: boolean;
  /** The app a bare `target` name belongs to (default `default`). */
  readonly defaultApp?: string;
  /** Only this app's migrations (and the migrations of other apps they depend on). */
  readonly app?: string;
}

/** Options of {@link MigrationRunner.rollback}. Without `steps` or `to`, the last migration. */
export interface RollbackOptions {
  /** Roll back the last N applied migrations. */
  readonly steps?: number;
  /** Roll back every migration applied after this one (which stays applied). */
  readonly to?: string;
  readonly dryRun?: boolean;
  readonly fake?: boolean;
  /** The app a bare `to` name belongs to (default `default`). */
  readonly defaultApp?: string;
  /** Only this app's migrations: `steps` counts them, `to` names one of them. */
  readonly app?: string;
}

interface Step {
  readonly operation: Operation;
  readonly index: number;
  readonly stateBefore: SchemaState;
  readonly stateAfter: SchemaState;
}

/** A migration and its SQL from the plan cache. */
interface CompiledMigration {
  readonly migration: Migration;
  readonly steps: readonly CompiledStep[];
  /** Its full plan (operations and states), replayed only to undo a failure where DDL commits. */
  readonly plan: () => Promise<PlannedMigration>;
}

/** The built-in definitions by kind: only these can be cached (see #keepPlans). */
const BUILTIN_DEFINITIONS = new Map(BUILTIN_OPERATIONS.map((definition) => [definition.kind, definition]));

interface PlannedMigration {
  readonly migration: Migration;
  readonly stateBefore: SchemaState;
  readonly steps: readonly Step[];
}

/**
 * Applies and rolls back migrations. Every run holds the dialect's migration lock and reads
 * the tracking table only once it holds it, so concurrent runs never apply a migration
 * twice. Each migration runs in one transaction together with its tracking row (where the
 * dialect has transactional DDL). Everything is checked before the first statement: edited
 * migrations, unknown operations, policies (`validateMigration` / `validateOperation`),
 * operations a dialect has no SQL for, and irreversible rollbacks.
 */
export class MigrationRunner {
  readonly #options: MigrationRunnerOptions;
  readonly #tracking: TrackingTable;
  readonly #partial: PartialRuns;
  /** Statements compiled while validating, for steps that do not read the live database. */
  readonly #compiled = new WeakMap<Step, readonly SqlStatement[]>();
  /** Errors `afterFailure` was called for. */
  readonly #reported = new WeakSet<object>();
  /**
   * Tracking rows of the migrations a run applied from compiled plans, written together when
   * the run ends, on a dialect whose lock is one transaction (see #runCompiled).
   */
  #deferredRows: { readonly migration: Migration; readonly statement: SqlStatement }[] | undefined;
  /**
   * A failing statement as an error shows it: string literals elided (`'…'`, they may hold
   * secrets) unless `showLiterals`.
   */
  #shown(statement: SqlStatement): SqlStatement {
    if (this.#options.showLiterals === true) return statement;
    const identifierQuote = this.#options.dialect.quoteIdentifier('x').charAt(0);
    return { sql: elideLiterals(statement.sql, { identifierQuote }) };
  }

  /** The dialect's rules for names, built once. */
  #identifierRules: IdentifierRules | undefined;
  /** The intent record of the run going on, on a database without transactional DDL. */
  #intent: IntentRecord | undefined;
  /** A call custom code made after it had returned: the run fails with it at its next step. */
  #late: CovetError | undefined;
  /** Whether a run is going on (custom code calling after it is left to the process to report). */
  #running = false;
  /** Whether the run's stop cancelled the statement running then (see DialectConnection.cancel). */
  #cancelled = false;

  /** The graph as the last tracking read chose it: squashed migrations or the ones they replace (see #read). */
  #graph!: MigrationGraph<MigrationEntry>;

  constructor(options: MigrationRunnerOptions) {
    this.#options = options;
    if (!isMigrationFiles(options.migrations)) this.#graph = options.migrations;
    this.#tracking = new TrackingTable(options.connection);
    this.#partial = new PartialRuns(options.connection, this.#tracking.shapes);
  }

  #emit(event: RunEvent): void {
    this.#options.onEvent?.(event);
  }

  #lock<T>(fn: () => Promise<T>): Promise<T> {
    return this.#options.connection.withMigrationLock(fn, {
      timeoutMs: this.#options.lockTimeoutMs ?? 60_000,
      onWait: (message) => this.#emit({ type: 'lockWait', message }),
    });
  }

  /**
   * Reads the tracking rows and chooses the graph for them (MigrationGraph.forApplied: a
   * squashed migration, or the migrations it replaces). A squashed migration in use whose
   * replaced migrations are all applied counts as applied: the rows of those migrations are
   * read as one row of it, at the place of the last of them.
   */
  async #read(options: TrackingReadOptions = {}): Promise<TrackingRow[]> {
    const rows = await this.#tracking.read(options);
    const applied = new Set(rows.map((row) => `${row.app}:${row.name}`));
    this.#graph = (await this.#fullGraph(rows)).forApplied(applied);
    const squashedBy = new Map<string, MigrationEntry>();
    for (const entry of this.#graph.order()) for (const id of entry.replaces ?? []) squashedBy.set(id, entry);
    if (squashedBy.size === 0) return rows;
    const last = new Map<string, TrackingRow>();
    for (const row of rows) {
      const squashed = squashedBy.get(`${row.app}:${row.name}`);
      if (squashed) last.set(squashed.id, row);
    }
    return rows.flatMap((row) => {
      const squashed = squashedBy.get(`${row.app}:${row.name}`);
      if (!squashed) return [row];
      if (applied.has(squashed.id) || last.get(squashed.id) !== row) return [];
      // What the row recorded of the replaced file's text says nothing about the squashed one's.
      return [{ ...row, app: squashed.app, name: squashed.name, checksum: squashed.checksum, sourceHash: null, dependencies: null }];
    });
  }

  /**
   * The graph of every migration file for the rows just read: given, or built from the files
   * found, taking a file whose text hash matches its row from the row without evaluating it.
   */
  async #fullGraph(rows: readonly TrackingRow[]): Promise<MigrationGraph<MigrationEntry>> {
    const { migrations } = this.#options;
    if (!isMigrationFiles(migrations)) return migrations;
    return migrations.graph(new Map<string, KnownMigration>(rows.map((row) => [`${row.app}:${row.name}`, row])));
  }

  /**
   * Records the text hash and dependencies of applied migrations whose files were evaluated
   * and found unchanged (rows written before Covet recorded them, or a file reformatted since),
   * so the next run trusts them without evaluating. Called after #checkApplied.
   */
  async #recordSources(rows: readonly TrackingRow[]): Promise<void> {
    const { connection } = this.#options;
    const updates: SqlStatement[] = [];
    for (const row of rows) {
      const entry = this.#graph.get(`${row.app}:${row.name}`);
      if (!entry?.sourceHash || entry.checksum !== row.checksum) continue;
      if (row.sourceHash === entry.sourceHash && row.dependencies !== null) continue;
      updates.push(this.#tracking.updateSource(row.app, row.name, { sourceHash: entry.sourceHash, dependencies: entry.dependencies }));
    }
    if (updates.length === 0) return;
    // One transaction (and round trip where the driver allows) for the rows of a whole table.
    await connection.transaction(async () => {
      if (connection.executeAll) await connection.executeAll(updates);
      else for (const update of updates) await connection.execute(update);
    });
  }

  /** Every migration of every app with whether (and when) it is applied, in graph order. */
  async status(): Promise<MigrationStatus[]> {
    const rows = await this.#read();
    const partial = new Map((await this.#readPartial(rows)).map((row) => [`${row.app}:${row.name}`, row]));
    const applied = new Map(rows.map((row) => [`${row.app}:${row.name}`, row]));
    const result: MigrationStatus[] = this.#graph.order().map((entry) => {
      const row = applied.get(entry.id);
      const failed = partial.get(entry.id);
      return {
        app: entry.app,
        name: entry.name,
        applied: row !== undefined,
        appliedAt: row?.appliedAt ?? null,
        edited: row !== undefined && row.checksum !== entry.checksum,
        missingFile: false,
        ...(failed ? { failed: { direction: failed.direction, operations: failed.operations, error: failed.error, state: partialState(failed) } } : {}),
      };
    });
    for (const row of rows) {
      if (!this.#graph.has(`${row.app}:${row.name}`)) {
        result.push({ app: row.app, name: row.name, applied: true, appliedAt: row.appliedAt, edited: false, missingFile: true });
      }
    }
    return result;
  }

  /** Applies pending migrations (all, or up to `target`). */
  async migrate(options: MigrateOptions = {}): Promise<RunSummary> {
    if (options.dryRun) return this.#migrate(await this.#read(), options);
    let failure: unknown;
    const summary = await this.#lock(async () => {
      const rows = await this.#read({ upgrade: true });
      await this.#refusePartial(rows);
      const done: Migration[] = [];
      try {
        return await this.#migrate(rows, options, done);
      } catch (error) {
        // With nothing applied, rethrow so the lock's transaction (if the dialect holds one)
        // rolls back too. Otherwise the migrations applied before the failure stay committed:
        // only the failed one is undone.
        if (done.length === 0) throw error;
        failure = error;
        return undefined;
      }
    });
    if (failure !== undefined) throw failure;
    return summary!;
  }

  async #migrate(rows: TrackingRow[], options: MigrateOptions, done: Migration[] = []): Promise<RunSummary> {
    const graph = this.#graph;
    this.#checkApplied(rows, 'refuse');
    // Branched history: which branch goes first would be left to chance (see findConflicts).
    // After the edit check: an edited dependency list can make a branch, and the edit is the news.
    const conflicts = findConflicts(graph);
    if (conflicts.length > 0) throw conflictError(conflicts);
    if (!options.dryRun) await this.#recordSources(rows);
    const applied = new Set(rows.map((row) => `${row.app}:${row.name}`));
    let candidates = graph.order();
    if (options.target !== undefined) {
      const target = this.#resolve(options.target, options.defaultApp ?? options.app);
      candidates = graph.ancestors(target.id);
    } else if (options.app !== undefined) {
      const wanted = new Set(graph.leaves(options.app).flatMap((leaf) => graph.ancestors(leaf.id).map((entry) => entry.id)));
      candidates = candidates.filter((entry) => wanted.has(entry.id));
    }
    const pending = candidates.filter((entry) => !applied.has(entry.id));
    const context = this.#runContext('up', options);
    if (pending.length === 0) return { direction: 'up', migrations: [] };

    const wanted = new Set(pending.map((entry) => entry.id));
    // The migrations replayed to plan: the applied ones and the pending ones, in graph order.
    const chain = graph.order().filter((entry) => applied.has(entry.id) || wanted.has(entry.id));
    const keys = this.#planKeys(chain);
    const compiled = await this.#compiledPlans(chain, keys, wanted, context);
    if (compiled) {
      this.#emit({ type: 'compiledPlans', migrations: compiled.length });
      if (this.#options.dialect.capabilities.lockIsTransaction) this.#deferredRows = [];
      return this.#runInOrder(compiled, context, done, (plan, createTracking) => this.#runCompiled(plan, createTracking));
    }

    const planned = (await this.#replay(chain, wanted)).filter((plan) => wanted.has(plan.migration.id));
    await this.#validate(planned, context);
    if (keys) await this.#keepPlans(chain, keys, planned);
    return this.#runInOrder(planned, context, done, (plan, createTracking) =>
      this.#runMigration(plan, 'up', context, options.fake === true, createTracking),
    );
  }

  /**
   * Runs migrations (up or down, as `context` says) in order between `beforeRun` and
   * `afterRun`, each with `run`; the ones done go into `done` as they finish.
   */
  async #runInOrder<Plan extends { readonly migration: Migration }>(
    plans: readonly Plan[],
    context: RunHookContext,
    done: Migration[],
    run: (plan: Plan, createTracking: boolean) => Promise<void>,
  ): Promise<RunSummary> {
    const { hooks } = this.#options.covet;
    const { direction } = context;
    await hooks.beforeRun.promise({ direction, migrations: plans.map((plan) => plan.migration) }, context);
    const timings: { migration: Migration; durationMs: number }[] = [];
    // The tracking table is created with the first migration applied, in its transaction: a
    // run that is refused or fails on its first migration leaves the database as it was.
    let createTracking = direction === 'up' && !context.dryRun && !(await this.#tracking.exists());
    // Where DDL commits as it runs, each migration is announced in the intent record first.
    const intent = !this.#options.dialect.capabilities.transactionalDdl && !context.dryRun && !context.fake ? new IntentRecord(this.#partial) : undefined;
    if (intent) await this.#partial.ensure();
    this.#intent = intent;
    this.#late = undefined;
    this.#running = true;
    this.#cancelled = false;
    // Where DDL is transactional a stop rolls the current migration back: a long statement
    // need not finish first.
    const { signal, connection } = this.#options;
    const cancel =
      signal && connection.cancel && this.#options.dialect.capabilities.transactionalDdl && !context.dryRun
        ? () => {
            this.#cancelled = true;
            connection.cancel!().catch(() => undefined);
          }
        : undefined;
    if (cancel) signal!.addEventListener('abort', cancel, { once: true });
    try {
      for (const plan of plans) {
        this.#checkpoint();
        const started = now();
        await run(plan, createTracking);
        createTracking = false;
        done.push(plan.migration);
        timings.push({ migration: plan.migration, durationMs: now() - started });
      }
      this.#checkpoint(false);
    } catch (error) {
      throw this.#stoppedRun(error, direction, plans.map((plan) => plan.migration), done);
    } finally {
      if (cancel) signal!.removeEventListener('abort', cancel);
      this.#running = false;
      this.#intent = undefined;
      // Also after a failure: the migrations before it stay applied, with their rows.
      await this.#writeDeferredRows(done);
      // The record of the last migration is obsolete once its tracking row is written.
      await intent?.close().catch(() => undefined);
    }
    await hooks.afterRun.promise({ direction, migrations: timings }, context);
    return { direction, migrations: done };
  }

  /** Rolls back the last migration, the last `steps`, or everything after `to`. */
  async rollback(options: RollbackOptions = {}): Promise<RunSummary> {
    if (options.steps !== undefined && (!Number.isInteger(options.steps) || options.steps < 1)) {
      throw new CovetError('ROLLBACK_INVALID', `--steps must be a positive integer, got ${String(options.steps)}`);
    }
    if (options.dryRun) return this.#rollback(await this.#read(), options);
    let failure: unknown;
    const summary = await this.#lock(async () => {
      const rows = await this.#read({ upgrade: true });
      await this.#refusePartial(rows);
      try {
        return await this.#rollback(rows, options);
      } catch (error) {
        failure = error;
        return undefined;
      }
    });
    if (failure !== undefined) throw failure;
    return summary!;
  }

  async #rollback(rows: TrackingRow[], options: RollbackOptions): Promise<RunSummary> {
    const graph = this.#graph;
    let chosen: TrackingRow[];
    const candidates = options.app === undefined ? rows : rows.filter((row) => row.app === options.app);
    if (options.to !== undefined) {
      const target = this.#resolve(options.to, options.app ?? options.defaultApp);
      const at = candidates.findIndex((row) => `${row.app}:${row.name}` === target.id);
      if (at === -1) throw new CovetError('ROLLBACK_INVALID', `Migration ${target.id} is not applied (--to)`);
      chosen = candidates.slice(at + 1).reverse();
    } else {
      chosen = candidates.slice(-(options.steps ?? 1)).reverse();
    }
    if (chosen.length === 0) return { direction: 'down', migrations: [] };
    this.#checkDependents(chosen, rows);
    for (const row of chosen) {
      const id = `${row.app}:${row.name}`;
      if (!graph.has(id)) {
        throw new CovetError('MIGRATION_FILE_MISSING', `Cannot roll back ${id}: its migration file is missing`, {
          hint: 'Restore the file from version control.',
        });
      }
    }
    // Rolling back what has files stays possible (it is how one gets out of a mess).
    this.#checkApplied(rows, 'warn');
    const context = this.#runContext('down', options);
    const planned = await this.#planDown(chosen, rows);
    await this.#validate(planned, context);
    return this.#runInOrder(planned, context, [], (plan) => this.#runMigration(plan, 'down', context, options.fake === true));
  }

  /**
   * Migrations left part-way; only databases without transactional DDL can have any. The
   * intent records of migrations that did finish (see isFinished) are left out, and with
   * `clean` (holding the lock) deleted.
   */
  async #readPartial(rows: readonly TrackingRow[], clean = false): Promise<PartialRow[]> {
    if (this.#options.dialect.capabilities.transactionalDdl) return [];
    const applied = new Set(rows.map((row) => `${row.app}:${row.name}`));
    const partial: PartialRow[] = [];
    for (const row of await this.#partial.read()) {
      if (!isFinished(row, applied)) partial.push(row);
      else if (clean) await this.#partial.delete(row.app, row.name);
    }
    return partial;
  }

  async #refusePartial(rows: readonly TrackingRow[]): Promise<void> {
    const [first, ...others] = await this.#readPartial(rows, true);
    if (!first) return;
    const id = `${first.app}:${first.name}`;
    const more = others.length ? ` (and ${others.length} more)` : '';
    throw new CovetError('MIGRATION_PARTIAL', `${describePartial(id, first)}${more}`, {
      hint: `Check the schema, finish or undo those operations by hand, then run: covet resolve ${id} --applied (or --rolled-back)`,
      exitCode: EXIT_PARTIAL_MIGRATION,
    });
  }

  /**
   * Settles a migration left part-way: `applied` records it as applied (someone finished it by
   * hand), `rolled-back` as not applied (someone undid it). Never guesses: the person says which.
   */
  async resolve(name: string, outcome: 'applied' | 'rolled-back', options: { defaultApp?: string } = {}): Promise<Migration | undefined> {
    return this.#lock(async () => {
      const id = name.includes(':') ? name : `${options.defaultApp ?? 'default'}:${name}`;
      const rows = await this.#read({ upgrade: true });
      const partial = (await this.#readPartial(rows, true)).find((row) => `${row.app}:${row.name}` === id || `${row.app}:${row.name}`.startsWith(id));
      if (!partial) throw new CovetError('RESOLVE_INVALID', `Migration ${id} is not recorded as part-way`, { hint: 'covet showmigrations marks such a migration [!].' });
      const entry = this.#graph.get(`${partial.app}:${partial.name}`);
      if (!entry) throw new CovetError('MIGRATION_FILE_MISSING', `Cannot resolve ${partial.app}:${partial.name}: its migration file is missing`);
      const isApplied = rows.some((row) => row.app === partial.app && row.name === partial.name);
      if (outcome === 'applied' && !isApplied) {
        await this.#tracking.ensure();
        await this.#options.connection.execute(this.#trackingInsert(entry));
      }
      if (outcome === 'rolled-back' && isApplied) await this.#options.connection.execute(this.#tracking.delete(entry.app, entry.name));
      await this.#partial.delete(partial.app, partial.name);
      return entry.load();
    });
  }

  /** The statement that records a migration as applied, with its file's text hash and dependencies where known. */
  #trackingInsert(migration: { readonly id: string; readonly app: string; readonly name: string; readonly checksum: string }): SqlStatement {
    const entry = this.#graph.get(migration.id);
    const source = entry?.sourceHash ? { sourceHash: entry.sourceHash, dependencies: entry.dependencies } : undefined;
    return this.#tracking.insert(migration.app, migration.name, migration.checksum, source);
  }

  /**
   * Forgets an applied migration whose file is gone on purpose: deletes its tracking row, and
   * nothing else (its changes stay in the schema, or were undone by hand). Refused for a
   * migration that still has its file: that one is rolled back (`rollback --fake` to forget it).
   */
  async forget(name: string, options: { defaultApp?: string } = {}): Promise<{ readonly app: string; readonly name: string }> {
    return this.#lock(async () => {
      const id = name.includes(':') ? name : `${options.defaultApp ?? 'default'}:${name}`;
      const rows = await this.#tracking.read({ upgrade: true });
      const exact = rows.filter((row) => `${row.app}:${row.name}` === id);
      const matches = exact.length > 0 ? exact : rows.filter((row) => `${row.app}:${row.name}`.startsWith(id));
      if (matches.length !== 1) {
        throw new CovetError(
          'RESOLVE_INVALID',
          matches.length === 0 ? `Migration ${id} is not recorded as applied (resolve --forget)` : `${id} matches ${matches.length} applied migrations: ${matches.map((row) => row.name).join(', ')} (resolve --forget)`,
        );
      }
      const row = matches[0]!;
      // A replaced migration of a squash is not in the graph chosen for this database, but its file is there.
      const graph = (await this.#fullGraph(rows)).forApplied(new Set(rows.map((applied) => `${applied.app}:${applied.name}`)));
      const rowId = `${row.app}:${row.name}`;
      const entry = graph.get(rowId) ?? graph.order().find((node) => node.replaces?.includes(rowId));
      if (entry) {
        throw new CovetError('RESOLVE_INVALID', `Migration ${rowId} still has its file; --forget is for a migration whose file is gone (${entry.file})`, {
          hint: `To undo it: covet rollback --to <the migration before it>; to only unrecord it: covet rollback --fake.`,
        });
      }
      await this.#options.connection.execute(this.#tracking.delete(row.app, row.name));
      return { app: row.app, name: row.name };
    });
  }

  /** Refuses to roll back a migration that a migration staying applied depends on. */
  #checkDependents(chosen: readonly TrackingRow[], rows: readonly TrackingRow[]): void {
    const graph = this.#graph;
    const leaving = new Set(chosen.map((row) => `${row.app}:${row.name}`));
    for (const row of rows) {
      const id = `${row.app}:${row.name}`;
      if (leaving.has(id)) continue;
      const dependency = graph.get(id)?.dependencies.find((d) => leaving.has(d) || graph.ancestors(d).some((a) => leaving.has(a.id)));
      if (dependency === undefined) continue;
      const rolledBack = leaving.has(dependency) ? dependency : graph.ancestors(dependency).find((a) => leaving.has(a.id))!.id;
      throw new CovetError('ROLLBACK_INVALID', `Cannot roll back ${rolledBack}: ${id} depends on it and stays applied`, {
        hint: `Roll back ${id} first, or leave out --app.`,
      });
    }
  }

  #runContext(direction: Direction, options: { dryRun?: boolean; fake?: boolean }): RunHookContext {
    return {
      report: this.#options.covet.reporter,
      direction,
      dialect: this.#options.dialect,
      ...(options.dryRun ? {} : { connection: this.#options.connection }),
      dryRun: options.dryRun === true,
      fake: options.fake === true,
    };
  }

  #resolve(name: string, app: string | undefined): MigrationEntry {
    return findMigration(this.#graph, name, app ?? 'default');
  }

  /**
   * Refuses to go on when an applied migration was edited; an applied migration whose file is
   * missing is refused too (`missing: 'refuse'`, what migrate does) or a warning.
   */
  #checkApplied(rows: TrackingRow[], missing: 'refuse' | 'warn'): void {
    const graph = this.#graph;
    const edited = rows.filter((row) => {
      const entry = graph.get(`${row.app}:${row.name}`);
      return entry !== undefined && entry.checksum !== row.checksum;
    });
    if (edited.length > 0) {
      const first = graph.get(`${edited[0]!.app}:${edited[0]!.name}`)!;
      const others = edited.length > 1 ? ` and ${edited.length - 1} more` : '';
      throw new CovetError(
        'CHECKSUM_MISMATCH',
        `Applied migration ${first.id} was edited after it was applied${others} (${first.file})`,
        {
          hint: 'Restore the file as it was applied (git checkout), and put the change in a new migration.',
          exitCode: EXIT_CHECKSUM_MISMATCH,
        },
      );
    }
    const gone = rows.map((row) => `${row.app}:${row.name}`).filter((id) => !graph.has(id));
    if (gone.length > 0 && missing === 'refuse') throw missingFilesError(gone);
    for (const id of gone) this.#emit({ type: 'warning', message: `Migration ${id} is applied but its file is missing` });
  }

  /** A tap on one of these hooks needs the schema states or the single operations: the full plan. */
  #needsFullPlan(): boolean {
    const { validateMigration, validateOperation, beforeMigration, afterMigration, beforeOperation, afterOperation, processSql } = this.#options.covet.hooks;
    return [validateMigration, validateOperation, beforeMigration, afterMigration, beforeOperation, afterOperation, processSql].some(isTapped);
  }

  /**
   * The plan-cache key of each migration of `chain`; undefined when plans are not cached (no
   * cache, a dialect without `cacheKey`, or core run from its sources).
   */
  #planKeys(chain: readonly MigrationEntry[]): string[] | undefined {
    const { planCache, dialect } = this.#options;
    if (!planCache || !dialect.cacheKey || !CORE_BUILD_ID) return undefined;
    return PlanCache.chainKeys(chain, `${CORE_BUILD_ID}\0${dialect.cacheKey}`);
  }

  /**
   * The pending migrations as compiled by an earlier run, when all of them are in the plan
   * cache and the run needs nothing but their SQL: not a dry or fake run, and no plugin
   * looking at schema states or single operations. Otherwise undefined, and the run plans
   * everything.
   */
  async #compiledPlans(
    chain: readonly MigrationEntry[],
    keys: readonly string[] | undefined,
    wanted: ReadonlySet<string>,
    context: RunHookContext,
  ): Promise<CompiledMigration[] | undefined> {
    const { planCache } = this.#options;
    if (!keys || !planCache || context.dryRun || context.fake || this.#needsFullPlan()) return undefined;
    const found: { entry: MigrationEntry; steps: readonly CompiledStep[] }[] = [];
    for (let position = 0; position < chain.length; position++) {
      const entry = chain[position]!;
      if (!wanted.has(entry.id)) continue;
      const steps = planCache.get(keys[position]!);
      if (!steps) return undefined;
      found.push({ entry, steps });
    }
    const migrations = await Promise.all(found.map(({ entry }) => entry.load()));
    if (migrations.some((migration) => !migration.atomic || migration.up || migration.down)) return undefined;
    let replayed: Promise<PlannedMigration[]> | undefined;
    const plan = async (id: string) => (await (replayed ??= this.#replay(chain, new Set()))).find((planned) => planned.migration.id === id)!;
    return migrations.map((migration, position) => ({ migration, steps: found[position]!.steps, plan: () => plan(migration.id) }));
  }

  /**
   * Keeps the compiled SQL of the pending migrations that can be applied again from it: atomic,
   * no custom code, every statement known before the run, and only built-in operations in them
   * and in every migration before them (a plugin's operation code is not part of the key).
   */
  async #keepPlans(chain: readonly MigrationEntry[], keys: readonly string[], planned: readonly PlannedMigration[]): Promise<void> {
    const { planCache, covet } = this.#options;
    const byId = new Map(planned.map((plan) => [plan.migration.id, plan]));
    for (let position = 0; position < chain.length; position++) {
      const migration = await chain[position]!.load();
      if (!migration.operations.every((operation) => BUILTIN_DEFINITIONS.get(operation.kind) === covet.operations.get(operation.kind))) break;
      const plan = byId.get(migration.id);
      if (!plan || !migration.atomic || migration.up || migration.down) continue;
      const steps: CompiledStep[] = [];
      for (const step of plan.steps) {
        const statements = this.#compiled.get(step);
        if (!statements) break;
        steps.push({ index: step.index, kind: step.operation.kind, statements });
      }
      if (steps.length === plan.steps.length) planCache!.set(keys[position]!, steps);
    }
    planCache!.save(new Set(keys));
  }

  /**
   * Applies a migration from its compiled SQL, with its tracking row in one transaction. Where
   * DDL commits as it runs (MySQL), the steps run one by one and a failure is undone from the
   * migration's full plan, as in #runMigration.
   */
  async #runCompiled(compiled: CompiledMigration, createTracking: boolean): Promise<void> {
    if (!this.#options.dialect.capabilities.transactionalDdl) return this.#runCompiledSteps(compiled, createTracking);
    const { migration, steps } = compiled;
    const { connection } = this.#options;
    this.#emit({ type: 'migrationStart', direction: 'up', migration, atomic: true });
    const started = now();
    const owners: number[] = [];
    const statements: SqlStatement[] = [];
    for (const step of steps) {
      for (const statement of step.statements) {
        owners.push(step.index);
        statements.push(statement);
      }
    }
    const tracking = this.#trackingInsert(migration);
    // Where the lock is one transaction (SQLite), every migration of the run commits with the
    // run, so its row can be written at the end like the others: one prepared insert run N
    // times, where a row written after each migration's DDL is prepared again every time.
    const deferred = this.#deferredRows;
    try {
      await connection.transaction(async () => {
        if (createTracking) await this.#tracking.ensure();
        await this.#executeBatch(migration, owners, statements, deferred ? undefined : tracking);
      });
    } catch (error) {
      await this.#reportFailure(error, { migration });
      throw error;
    }
    deferred?.push({ migration, statement: tracking });
    this.#emit({ type: 'migrationDone', direction: 'up', migration, durationMs: now() - started, fake: false });
  }

  /**
   * #runCompiled without transactional DDL: step by step, each announced in the intent
   * record first, compensated on failure.
   */
  async #runCompiledSteps(compiled: CompiledMigration, createTracking: boolean): Promise<void> {
    const { migration, steps } = compiled;
    const { connection } = this.#options;
    const intent = this.#intent;
    this.#emit({ type: 'migrationStart', direction: 'up', migration, atomic: true });
    const started = now();
    // Operations (by index) whose statements ran, if only some of them.
    const done = new Set<number>();
    // Operations whose statements all ran.
    const complete: number[] = [];
    let at: string | undefined;
    const body = async () => {
      if (createTracking) await this.#tracking.ensure();
      for (const [position, step] of steps.entries()) {
        at = `operation #${step.index + 1} (${step.kind})`;
        if (position > 0) this.#checkpoint();
        await intent?.note(migration, 'up', complete.map((index) => index + 1), `${IN_PROGRESS}${at}`);
        try {
          await this.#executeStep(migration, step.index, () => migration.operations[step.index]!, step.statements);
        } catch (error) {
          // Some of its statements ran (and committed): undo it with the others.
          if ((error as { [STATEMENTS_RUN]?: number })[STATEMENTS_RUN]) done.add(step.index);
          throw error;
        }
        done.add(step.index);
        complete.push(step.index);
      }
      at = undefined;
      this.#checkpoint(false);
      await this.#writeTracking(migration, this.#trackingInsert(migration));
    };
    try {
      if (this.#needsTransaction(migration, steps.map((step) => step.kind))) await connection.transaction(body);
      else await body();
    } catch (error) {
      const failure = await this.#settleFailure({
        migration,
        direction: 'up',
        complete,
        started: done.size > 0,
        at,
        error,
        code: undefined,
        atomic: true,
        compensate: async () => {
          const plan = await compiled.plan();
          return this.#compensate(plan, 'up', plan.steps.filter((step) => done.has(step.index)), error);
        },
      });
      await this.#reportFailure(failure, { migration });
      throw failure;
    }
    intent?.finished();
    this.#emit({ type: 'migrationDone', direction: 'up', migration, durationMs: now() - started, fake: false });
  }

  /**
   * Loads `entries` (graph order) and replays them from an empty schema, recording the state
   * before and after every step; the operations of migrations in `validate` are validated
   * against the state before them. Errors name the migration, the operation and the file.
   */
  async #replay(entries: readonly MigrationEntry[], validate: ReadonlySet<string>): Promise<PlannedMigration[]> {
    const registry = this.#options.covet.operations;
    const capabilities = this.#options.dialect.capabilities;
    const migrations = await Promise.all(entries.map((entry) => entry.load()));
    const replayed: PlannedMigration[] = [];
    let state = EMPTY_STATE;
    for (const migration of migrations) {
      const stateBefore = state;
      const steps: Step[] = [];
      migration.operations.forEach((operation, index) => {
        const definition = registry.get(operation.kind, `operation #${index + 1} of ${migration.file ?? migration.id}`);
        const before = state;
        if (validate.has(migration.id)) {
          try {
            definition.validate(operation.args, before, { capabilities });
          } catch (error) {
            throw operationError(migration, index, operation, error, 'is invalid');
          }
        }
        try {
          state = definition.applyToState(before, operation.args);
        } catch (error) {
          throw operationError(migration, index, operation, error, 'cannot be replayed');
        }
        steps.push({ operation, index, stateBefore: before, stateAfter: state });
      });
      replayed.push({ migration, stateBefore, steps });
    }
    return replayed;
  }

  /** Computes the reverse steps of `chosen` (latest first), refusing irreversible ones up front. */
  async #planDown(chosen: readonly TrackingRow[], rows: readonly TrackingRow[]): Promise<PlannedMigration[]> {
    const registry = this.#options.covet.operations;
    const applied = new Set(rows.map((row) => `${row.app}:${row.name}`));
    const entries = this.#graph.order().filter((entry) => applied.has(entry.id));
    const forwards = new Map((await this.#replay(entries, new Set())).map((plan) => [plan.migration.id, plan]));
    const planned: PlannedMigration[] = [];
    for (const row of chosen) {
      const id = `${row.app}:${row.name}`;
      const forward = forwards.get(id)!;
      const { migration } = forward;
      if (migration.up && !migration.down) {
        throw new CovetError('IRREVERSIBLE', `Cannot roll back ${id}: it has custom up code and no down (${migration.file})`);
      }
      const stateAfterMigration = forward.steps.at(-1)?.stateAfter ?? forward.stateBefore;
      let current = stateAfterMigration;
      const steps: Step[] = [];
      for (const step of [...forward.steps].reverse()) {
        const definition = registry.get(step.operation.kind);
        const reverse = definition.reverse(step.operation.args, step.stateBefore);
        if (reverse === IRREVERSIBLE) {
          throw new CovetError(
            'IRREVERSIBLE',
            `Cannot roll back ${id}: operation #${step.index + 1} (${definition.describe(step.operation.args)}) is irreversible (${migration.file})`,
            { hint: 'Nothing was rolled back. Give the operation a reverse (e.g. runSql with reverseSql), or write a new migration.' },
          );
        }
        for (const operation of reverse) {
          const reverseDefinition = registry.get(operation.kind);
          const before = current;
          current = reverseDefinition.applyToState(before, operation.args);
          steps.push({ operation, index: step.index, stateBefore: before, stateAfter: current });
        }
      }
      planned.push({ migration, stateBefore: stateAfterMigration, steps });
    }
    return planned;
  }

  async #validate(planned: readonly PlannedMigration[], context: RunHookContext): Promise<void> {
    const { covet, dialect } = this.#options;
    for (const plan of planned) {
      const migrationContext: MigrationHookContext = { ...context, stateBefore: plan.stateBefore };
      await covet.hooks.validateMigration.promise(plan.migration, migrationContext);
      for (const step of plan.steps) {
        try {
          if (context.direction === 'down') {
            covet.operations.get(step.operation.kind).validate(step.operation.args, step.stateBefore, { capabilities: dialect.capabilities });
          }
          this.#checkIdentifiers(step.operation);
        } catch (error) {
          throw operationError(plan.migration, step.index, step.operation, error, 'is invalid');
        }
        if (isTapped(covet.hooks.validateOperation)) {
          await covet.hooks.validateOperation.promise(step.operation, this.#operationContext(plan, step, migrationContext));
        }
        const statements = await this.#probe(step);
        if (statements === undefined) {
          throw new CovetError(
            'OPERATION_UNSUPPORTED',
            `Operation "${step.operation.kind}" has no SQL for dialect ${dialect.name} (operation #${step.index + 1} of ${plan.migration.file ?? plan.migration.id})`,
            { hint: 'Use a plugin that provides it for this dialect, or op.runSql.' },
          );
        }
      }
    }
  }

  #checkIdentifiers(operation: Operation): void {
    // The dialect's own limits (length in its unit, its character rules) are checked here,
    // before any SQL is sent; operations' validation holds names only to what every engine shares.
    if (operation.kind === 'runSql') return;
    this.#identifierRules ??= identifierRulesOf(this.#options.dialect);
    validateIdentifiersIn(operation.args, this.#identifierRules, operation.kind);
  }

  /**
   * Compiles a step before anything runs, to know it has SQL. The statements are kept for the
   * run unless the renderer reads the live database (which must happen at run time, after the
   * earlier steps): that is detected by a `query` that refuses to run and marks the step.
   */
  async #probe(step: Step): Promise<readonly SqlStatement[] | 'live' | undefined> {
    let readsLive = false;
    const query = async (): Promise<never> => {
      readsLive = true;
      throw NEEDS_LIVE_DATABASE;
    };
    try {
      const statements = await this.#compile(step, query);
      if (statements !== undefined && !readsLive) this.#compiled.set(step, statements);
      return readsLive ? 'live' : statements;
    } catch (error) {
      if (error === NEEDS_LIVE_DATABASE) return 'live';
      throw error;
    }
  }

  async #compile(
    step: Step,
    query: CompileContext['query'] | DialectConnection | undefined,
  ): Promise<readonly SqlStatement[] | undefined> {
    const { covet, dialect } = this.#options;
    const definition = covet.operations.get(step.operation.kind);
    const reader =
      typeof query === 'object' ? (sql: string, params?: readonly unknown[]) => query.query(sql, params) : query;
    const context: CompileContext = {
      dialect,
      stateBefore: step.stateBefore,
      stateAfter: step.stateAfter,
      ...(reader ? { query: reader as CompileContext['query'] } : {}),
    };
    const own = definition.sql?.[dialect.name];
    if (own) return own(step.operation.args, context);
    const compiled = await dialect.compileOperation(step.operation, context);
    if (compiled !== undefined) return compiled;
    const fallback = definition.sql?.default;
    return fallback ? fallback(step.operation.args, context) : undefined;
  }

  #operationContext(plan: PlannedMigration, step: Step, context: MigrationHookContext): OperationHookContext {
    return { ...context, migration: plan.migration, index: step.index, stateBefore: step.stateBefore, stateAfter: step.stateAfter };
  }

  async #runMigration(
    plan: PlannedMigration,
    direction: Direction,
    context: RunHookContext,
    fake: boolean,
    createTracking = false,
  ): Promise<void> {
    const { covet, connection } = this.#options;
    const { migration } = plan;
    const migrationContext: MigrationHookContext = { ...context, stateBefore: plan.stateBefore };
    const trackingStatement =
      direction === 'up'
        ? this.#trackingInsert(migration)
        : this.#tracking.delete(migration.app, migration.name, (migration.replaces ?? []).map((id) => id.slice(migration.app.length + 1)));
    this.#emit({ type: 'migrationStart', direction, migration, atomic: migration.atomic });
    const started = now();
    const intent = this.#intent;
    // Operations (forward index) whose steps all ran, and where the migration is.
    const complete: number[] = [];
    let at: string | undefined;
    let code: CodeHandle | undefined;
    const announce = (what: string) => intent?.note(migration, direction, complete.map((index) => index + 1), `${IN_PROGRESS}${what}`);
    const custom = async (which: 'up' | 'down') => {
      at = `custom ${which} code`;
      if (which === 'up' && plan.steps.length > 0) this.#checkpoint();
      await announce(at);
      code = this.#codeHandle(migration, which, direction, complete);
      await runCode(migration, which, code, context.dryRun);
    };
    const done: Step[] = [];
    const body = async () => {
      if (createTracking) await this.#tracking.ensure();
      await covet.hooks.beforeMigration.promise(migration, migrationContext);
      if (!fake && this.#batchable(plan, context)) {
        await this.#runBatch(plan, migrationContext, trackingStatement);
        await covet.hooks.afterMigration.promise(migration, migrationContext);
        return;
      }
      if (!fake) {
        if (direction === 'down' && migration.down) await custom('down');
        for (const [position, step] of plan.steps.entries()) {
          // A rolled-back operation may take several reverse steps: it is done after its last.
          if (position === 0 || plan.steps[position - 1]!.index !== step.index) {
            at = `operation #${step.index + 1} (${step.operation.kind})`;
            if (position > 0 || code) this.#checkpoint();
            await announce(at);
          }
          try {
            await this.#runStep(plan, step, migrationContext);
          } catch (error) {
            // Some of its statements ran (and committed): undo it with the others.
            if ((error as { [STATEMENTS_RUN]?: number })[STATEMENTS_RUN]) done.push(step);
            throw error;
          }
          done.push(step);
          if (plan.steps[position + 1]?.index !== step.index) complete.push(step.index);
        }
        if (direction === 'up' && migration.up) await custom('up');
      }
      at = undefined;
      // All operations ran: where DDL commits it is finished (its tracking row), elsewhere a
      // stop still rolls it back.
      this.#checkpoint(this.#options.dialect.capabilities.transactionalDdl);
      if (context.dryRun) this.#emit({ type: 'sql', direction, migration, statement: trackingStatement });
      else await this.#writeTracking(migration, trackingStatement, direction);
      await covet.hooks.afterMigration.promise(migration, migrationContext);
    };
    try {
      // Even without transactional DDL the transaction still holds the tracking row (and any
      // data the migration writes) together, unless there is nothing to hold (#needsTransaction);
      // compensation runs after it has ended.
      if (context.dryRun || !migration.atomic || !this.#needsTransaction(migration, plan.steps.map((step) => step.operation.kind))) await body();
      else await connection.transaction(body);
    } catch (error) {
      const failure = intent
        ? await this.#settleFailure({
            migration,
            direction,
            complete,
            started: done.length > 0,
            at,
            error,
            code,
            atomic: migration.atomic,
            compensate: () => this.#compensate(plan, direction, done, error, migrationContext),
          })
        : error;
      await this.#reportFailure(failure, { migration });
      throw failure;
    }
    intent?.finished();
    this.#emit({ type: 'migrationDone', direction, migration, durationMs: now() - started, fake });
  }

  /**
   * Runs one operation's statements in turn. A failure names the migration, the operation and
   * the statement, says how many statements ran before it (STATEMENTS_RUN: the operation
   * then needs undoing too), and is reported to `afterFailure`. `operation` is read only then
   * (a migration from the plan cache loads its operations lazily).
   */
  async #executeStep(migration: Migration, index: number, operation: () => Operation, statements: readonly SqlStatement[]): Promise<void> {
    let run = 0;
    const transactional = this.#options.dialect.capabilities.transactionalDdl;
    for (const statement of statements) {
      // A late call of custom code fails the run; a stop waits for the operation's end where
      // its statements commit one by one, and is taken at once where they roll back.
      this.#checkpoint(transactional);
      try {
        await this.#options.connection.execute(statement);
      } catch (error) {
        const failure = operationError(migration, index, operation(), error, 'failed', this.#shown(statement));
        Object.defineProperty(failure, STATEMENTS_RUN, { value: run });
        Object.defineProperty(failure, FAILED_AT, { value: { operation: operation(), index, statement } });
        throw failure;
      }
      run++;
    }
  }

  /**
   * Whether an atomic migration needs `transaction()`. Where DDL commits as it runs (no
   * transactional DDL), a migration of built-in schema operations only (no runSql, no plugin
   * operation, no custom code, no plugin on the migration or operation hooks, which may write
   * through the connection) leaves a transaction nothing to hold together but its tracking row,
   * which one statement writes atomically: it runs without one, a round trip or two shorter.
   * Everywhere else every atomic migration runs in one.
   */
  #needsTransaction(migration: Migration, kinds: readonly string[]): boolean {
    const { dialect, covet } = this.#options;
    if (dialect.capabilities.transactionalDdl || migration.up || migration.down) return true;
    const { beforeMigration, afterMigration, beforeOperation, afterOperation } = covet.hooks;
    if ([beforeMigration, afterMigration, beforeOperation, afterOperation].some(isTapped)) return true;
    return kinds.some((kind) => kind === 'runSql' || BUILTIN_DEFINITIONS.get(kind) !== covet.operations.get(kind));
  }

  /**
   * Whether a migration can go to the database in one call (`executeAll`): its statements
   * are all known before it starts (none needs the live database), nothing must happen
   * between its operations (no custom code, no before/after-operation taps), and the
   * database rolls its DDL back with the transaction.
   */
  #batchable(plan: PlannedMigration, context: RunHookContext): boolean {
    const { connection, dialect, covet } = this.#options;
    return (
      connection.executeAll !== undefined &&
      dialect.capabilities.transactionalDdl &&
      plan.migration.atomic &&
      !context.dryRun &&
      plan.migration.up === undefined &&
      plan.migration.down === undefined &&
      !isTapped(covet.hooks.beforeOperation) &&
      !isTapped(covet.hooks.afterOperation) &&
      plan.steps.every((step) => this.#compiled.has(step))
    );
  }

  /** Sends a migration's statements and its tracking row together, naming the statement that fails. */
  async #runBatch(plan: PlannedMigration, migrationContext: MigrationHookContext, trackingStatement: SqlStatement): Promise<void> {
    const { processSql } = this.#options.covet.hooks;
    const owners: number[] = [];
    const statements: SqlStatement[] = [];
    for (const step of plan.steps) {
      const compiled = this.#compiled.get(step)!;
      const processed = isTapped(processSql) ? await processSql.promise(compiled, this.#operationContext(plan, step, migrationContext)) : compiled;
      for (const statement of processed) {
        owners.push(step.index);
        statements.push(statement);
      }
    }
    await this.#executeBatch(plan.migration, owners, statements, trackingStatement);
  }

  /**
   * Runs a migration's statements (`owners[i]` is the index of the operation statement `i`
   * belongs to) and then its tracking row, in one call where the connection can
   * (`executeAll`). A failure names the migration, the operation and the statement.
   */
  async #executeBatch(
    migration: Migration,
    owners: readonly number[],
    statements: readonly SqlStatement[],
    trackingStatement: SqlStatement | undefined,
  ): Promise<void> {
    const { covet, connection } = this.#options;
    try {
      if (connection.executeAll) {
        await connection.executeAll(trackingStatement ? [...statements, trackingStatement] : statements);
      } else {
        for (let index = 0; index < statements.length; index++) {
          try {
            await connection.execute(statements[index]!);
          } catch (error) {
            if (typeof error === 'object' && error !== null) Object.assign(error, { statementIndex: index });
            throw error;
          }
        }
        if (trackingStatement) await this.#writeTracking(migration, trackingStatement);
      }
    } catch (error) {
      const at = (error as { statementIndex?: unknown }).statementIndex;
      if (trackingStatement && at === statements.length) throw trackingError(migration, error);
      const index = typeof at === 'number' && at < owners.length ? owners[at] : undefined;
      if (index === undefined) throw error;
      const operation = migration.operations[index]!;
      const statement = statements[at as number]!;
      const failure = operationError(migration, index, operation, error, 'failed', this.#shown(statement));
      Object.defineProperty(failure, FAILED_AT, { value: { operation, index, statement } });
      throw failure;
    }
  }

  /** Writes (or deletes) a migration's tracking row; a failure names the migration. */
  async #writeTracking(migration: Migration, statement: SqlStatement, direction: Direction = 'up'): Promise<void> {
    try {
      await this.#options.connection.execute(statement);
    } catch (error) {
      throw trackingError(migration, error, direction);
    }
  }

  /**
   * Writes the deferred tracking rows (see #runCompiled), in the order the migrations ran. If
   * that fails, nothing of the run may commit without its rows: `done` is emptied, so the
   * error goes up through the lock, whose transaction rolls the whole run back.
   */
  async #writeDeferredRows(done: Migration[]): Promise<void> {
    const rows = this.#deferredRows;
    this.#deferredRows = undefined;
    if (!rows || rows.length === 0) return;
    const { connection } = this.#options;
    let at = 0;
    try {
      if (connection.executeAll) {
        await connection.executeAll(rows.map((row) => row.statement));
      } else {
        for (; at < rows.length; at++) await connection.execute(rows[at]!.statement);
      }
    } catch (error) {
      done.length = 0;
      const index = (error as { statementIndex?: unknown }).statementIndex;
      const row = rows[typeof index === 'number' ? index : at];
      throw row ? trackingError(row.migration, error) : error;
    }
  }

  /**
   * A safe point of a run: fails it when custom code called its handle late, and (with
   * `stop`) stops it when its signal was aborted.
   */
  #checkpoint(stop = true): void {
    if (this.#late) throw this.#late;
    const signal = this.#options.signal;
    if (!stop || !signal?.aborted) return;
    const reason: unknown = signal.reason;
    throw new CovetError('INTERRUPTED', reason instanceof Error ? reason.message : 'Stopped', {
      exitCode: isCovetError(reason) ? reason.exitCode : 130,
      cause: reason,
    });
  }

  /** The handle a migration's custom code gets (see CodeHandle). */
  #codeHandle(migration: Migration, which: 'up' | 'down', direction: Direction, complete: readonly number[]): CodeHandle {
    const { connection, dialect } = this.#options;
    const intent = this.#intent;
    return new CodeHandle({
      migration,
      which,
      connection,
      // Where DDL is transactional nothing the code runs outlives a rollback.
      ...(dialect.capabilities.transactionalDdl ? {} : { commits: (sql: string) => connection.commitsImplicitly?.(sql) ?? true }),
      ...(intent
        ? {
            beforeCommitting: (sql: string) =>
              intent.note(migration, direction, complete.map((index) => index + 1), `${IN_PROGRESS}custom ${which} code, running: ${sql}`),
          }
        : {}),
      onLate: (error) => {
        this.#late ??= error;
      },
      running: () => this.#running,
    });
  }

  /**
   * What a failed migration leaves, where DDL commits as it runs (the run has an intent
   * record). Stopped by a signal: the operations done stay, recorded as part-way. Connection
   * lost: nothing more can be run; the record says where it was. Custom code that ran
   * statements that commit, then failed: nothing is guessed, it is recorded as part-way. Else
   * the operations done are undone (compensation), and the record goes.
   */
  async #settleFailure(failure: {
    readonly migration: Migration;
    readonly direction: Direction;
    /** Operations (0-based) whose statements all ran. */
    readonly complete: readonly number[];
    /** Whether any statement of an operation ran. */
    readonly started: boolean;
    /** Where the migration was: `operation #2 (addColumn)`, `custom up code`. */
    readonly at: string | undefined;
    readonly error: unknown;
    readonly code: CodeHandle | undefined;
    readonly atomic: boolean;
    readonly compensate: () => Promise<unknown>;
  }): Promise<unknown> {
    const intent = this.#intent!;
    const { migration, direction, error, at } = failure;
    const where = migration.file ?? migration.id;
    const id = migration.id;
    const done = failure.complete.map((index) => index + 1);
    const verb = direction === 'up' ? 'applied' : 'rolled back';
    const doneText = done.length ? `operation(s) ${done.join(', ')} ${verb}` : `no operation ${verb}`;
    const committed = failure.code?.committed ?? [];
    const resolveHint = `covet resolve ${id} --applied (or --rolled-back)`;
    if (isCovetError(error) && error.code === 'INTERRUPTED') {
      if (!failure.started && committed.length === 0) {
        await intent.clear();
        return error;
      }
      await intent.note(migration, direction, done, `${STOPPED}${error.message}${at ? ` before ${at}` : ''}`);
      return new CovetError('INTERRUPTED', `Migration ${id} stopped part-way (${direction}): ${doneText}${at ? `, ${at} and the rest not run` : ''} (${where})`, {
        hint: `It is recorded as part-way ([!] in covet showmigrations): finish or undo it by hand, then run ${resolveHint}`,
        exitCode: error.exitCode,
        cause: error,
      });
    }
    if (isConnectionLost(error)) {
      // The session (and the lock with it) is gone: nothing can be undone. The record was
      // written before the operation started; it is brought up to date if the server answers.
      await intent.note(migration, direction, done, `${IN_PROGRESS}${at ?? 'the tracking row'} when the connection was lost`).catch(() => undefined);
      return new CovetError('CONNECTION_LOST', `Lost the connection to the database during migration ${id}${at ? `, ${at}` : ''}: ${lostCause(error)} (${where})`, {
        hint: `${doneText}${at ? `; ${at} may be part-way` : ''}. The migration is recorded as part-way ([!] in covet showmigrations): check the schema, then run ${resolveHint}`,
        exitCode: EXIT_PARTIAL_MIGRATION,
        cause: error,
      });
    }
    if (committed.length > 0) {
      const which = direction === 'up' ? 'up' : 'down';
      const ran = `${committed.length} statement(s) that commit on their own: ${committed.join('; ')}`;
      await intent.note(migration, direction, done, `custom ${which} code failed after running ${ran}. Cause: ${causeText(error)}`);
      return new CovetError(
        'MIGRATION_PARTIAL',
        `Custom ${which} code of ${id} failed after running statement(s) no rollback can undo (${committed[0]}${committed.length > 1 ? ` and ${committed.length - 1} more` : ''}); ${doneText}, nothing was undone (${where})`,
        { hint: `Cause: ${causeText(error)}. Fix the schema by hand, then run: ${resolveHint}`, exitCode: EXIT_PARTIAL_MIGRATION, cause: error },
      );
    }
    if (!failure.started) {
      await intent.clear();
      return error;
    }
    if (!failure.atomic) {
      await intent.note(migration, direction, done, causeText(error));
      return new CovetError('MIGRATION_PARTIAL', `Migration ${id} is not atomic and failed part-way: ${doneText}, nothing was undone (${where})`, {
        hint: `Cause: ${causeText(error)}. Fix the schema by hand, then run: ${resolveHint}`,
        exitCode: EXIT_PARTIAL_MIGRATION,
        cause: error,
      });
    }
    return failure.compensate();
  }

  /** A run stopped by its signal: the error says which migrations were done and which not. */
  #stoppedRun(error: unknown, direction: Direction, migrations: readonly Migration[], done: readonly Migration[]): unknown {
    const interrupted = isCovetError(error) && error.code === 'INTERRUPTED';
    // A statement the stop cancelled failed because of it: the migration rolled back.
    if (!interrupted && !this.#cancelled) return error;
    const reason: unknown = this.#options.signal?.reason;
    const headline = reason instanceof Error ? reason.message : 'Stopped';
    const verb = direction === 'up' ? 'applied' : 'rolled back';
    const list = (ids: readonly string[]) => (ids.length === 0 ? 'none' : ids.length <= 5 ? ids.join(', ') : `${ids.slice(0, 5).join(', ')} and ${ids.length - 5} more`);
    const finished = new Set(done);
    const rest = migrations.filter((migration) => !finished.has(migration)).map((migration) => migration.id);
    const detail = !interrupted || error.message === headline ? '' : `. ${error.message}`;
    return new CovetError('INTERRUPTED', `${headline}: ${verb} ${list(done.map((migration) => migration.id))}; not ${verb}: ${list(rest)}${detail}`, {
      hint: (interrupted ? error.hint : undefined) ?? `The migration lock was released; run covet ${direction === 'up' ? 'migrate' : 'rollback'} again to go on.`,
      exitCode: interrupted ? error.exitCode : isCovetError(reason) ? reason.exitCode : 130,
      cause: error,
    });
  }

  /**
   * Calls `afterFailure` once per failure, when the migration's attempt is over (its
   * transaction rolled back, or its done operations compensated): with the error as it goes
   * up (a compensation's error wraps the operation's) and the operation, its position and the
   * statement that failed, found on the error or its causes (FAILED_AT).
   */
  async #reportFailure(error: unknown, context: Omit<FailureHookContext, 'report'>): Promise<void> {
    let failedAt: Omit<FailureHookContext, 'report'> | undefined;
    for (let cause = error, depth = 0; typeof cause === 'object' && cause !== null && depth < 10; cause = (cause as { cause?: unknown }).cause, depth++) {
      if (this.#reported.has(cause)) return;
      failedAt ??= (cause as { [FAILED_AT]?: Omit<FailureHookContext, 'report'> })[FAILED_AT];
    }
    if (typeof error !== 'object' || error === null) return;
    this.#reported.add(error);
    await this.#options.covet.hooks.afterFailure.promise(error as Error, { ...context, ...failedAt, report: this.#options.covet.reporter }).catch(() => undefined);
  }

  /**
   * Undoes the steps of a failed migration that already ran (latest first) by running their
   * reverses. If that is impossible, records what remains in the bookkeeping table so that
   * `migrate` refuses to go on until a person resolves it.
   */
  async #compensate(
    plan: PlannedMigration,
    direction: Direction,
    done: readonly Step[],
    error: unknown,
    migrationContext?: MigrationHookContext,
  ): Promise<unknown> {
    const { covet, connection } = this.#options;
    const { beforeOperation, processSql, afterOperation } = covet.hooks;
    // The operation hooks see what compensation runs, as the reverses they are (a compiled
    // plan has no context: it is used only when nobody taps these hooks).
    const hooked = migrationContext !== undefined && [beforeOperation, processSql, afterOperation].some(isTapped);
    const { migration } = plan;
    const undone = new Set<Step>();
    const intent = this.#intent;
    const remaining = () => [...new Set(done.filter((step) => !undone.has(step)).map((step) => step.index + 1))].sort((a, b) => a - b);
    try {
      for (const step of [...done].reverse()) {
        await intent?.note(migration, direction, remaining(), `${IN_PROGRESS}undoing operation #${step.index + 1} after a failure`);
        const reverse = covet.operations.get(step.operation.kind).reverse(step.operation.args, step.stateBefore);
        if (reverse === IRREVERSIBLE) {
          throw new CovetError('IRREVERSIBLE', `operation #${step.index + 1} (${step.operation.kind}) is irreversible`);
        }
        let state = step.stateAfter;
        for (const operation of reverse) {
          const after = covet.operations.get(operation.kind).applyToState(state, operation.args);
          const compiled = (await this.#compile({ operation, index: step.index, stateBefore: state, stateAfter: after }, connection)) ?? [];
          const context: OperationHookContext | undefined = hooked
            ? { ...migrationContext, direction: direction === 'up' ? 'down' : 'up', migration, index: step.index, stateBefore: state, stateAfter: after, compensation: true }
            : undefined;
          if (context && isTapped(beforeOperation)) await beforeOperation.promise(operation, context);
          const statements = context && isTapped(processSql) ? await processSql.promise(compiled, context) : compiled;
          for (const statement of statements) await connection.execute(statement);
          if (context && isTapped(afterOperation)) await afterOperation.promise(operation, context);
          state = after;
        }
        undone.add(step);
      }
    } catch (compensationError) {
      const left = remaining();
      const reason = error instanceof Error ? error.message : String(error);
      if (intent) await intent.note(migration, direction, left, reason);
      else await this.#partial.record({ app: migration.app, name: migration.name, direction, operations: left, error: reason });
      return new CovetError(
        'MIGRATION_PARTIAL',
        `Migration ${migration.id} failed and could not be undone (${(compensationError as Error).message.split('\n')[0]}): operation(s) ${left.join(', ')} remain ${direction === 'up' ? 'applied' : 'rolled back'} (${migration.file ?? migration.id})`,
        {
          hint: `Cause: ${reason}. Fix the schema by hand, then run: covet resolve ${migration.id} --applied (or --rolled-back)`,
          exitCode: EXIT_PARTIAL_MIGRATION,
          cause: error,
        },
      );
    }
    await intent?.clear();
    if (!isCovetError(error)) return error;
    const count = new Set(done.map((step) => step.index)).size;
    const undoneError = new CovetError(error.code, error.message, {
      hint: `${error.hint ? `${error.hint}. ` : ''}The ${count} operation(s) before it were undone; nothing was recorded.`,
      cause: error.cause ?? error,
      exitCode: error.exitCode,
    });
    const failedAt = (error as { [FAILED_AT]?: unknown })[FAILED_AT];
    if (failedAt) Object.defineProperty(undoneError, FAILED_AT, { value: failedAt });
    return undoneError;
  }

  async #runStep(plan: PlannedMigration, step: Step, migrationContext: MigrationHookContext): Promise<void> {
    const { covet, connection } = this.#options;
    const { beforeOperation, processSql, afterOperation } = covet.hooks;
    // Hooks nobody tapped are not called: hundreds of migrations make that count.
    const context =
      isTapped(beforeOperation) || isTapped(processSql) || isTapped(afterOperation) ? this.#operationContext(plan, step, migrationContext) : undefined;
    if (context && isTapped(beforeOperation)) await beforeOperation.promise(step.operation, context);
    // A dry run compiles from the state alone: the live database has not seen the earlier steps.
    const compiled = this.#compiled.get(step) ?? (await this.#compile(step, migrationContext.dryRun ? undefined : connection)) ?? [];
    const statements = context && isTapped(processSql) ? await processSql.promise(compiled, context) : compiled;
    if (migrationContext.dryRun) {
      for (const statement of statements) this.#emit({ type: 'sql', direction: migrationContext.direction, migration: plan.migration, statement });
    } else {
      await this.#executeStep(plan.migration, step.index, () => step.operation, statements);
    }
    if (context && isTapped(afterOperation)) await afterOperation.promise(step.operation, context);
  }
}

async function runCode(migration: Migration, which: 'up' | 'down', handle: CodeHandle, dryRun: boolean): Promise<void> {
  if (dryRun) return;
  try {
    await migration[which]!(handle.context);
  } catch (error) {
    await handle.close(true);
    throw new CovetError('MIGRATION_CODE_FAILED', `Custom ${which} code of ${migration.id} failed: ${(error as Error).message} (${migration.file ?? migration.id})`, {
      cause: error,
    });
  }
  await handle.close(false);
}

/** Whether the runner was given the files (to evaluate as the tracking rows require) rather than a graph. */
function isMigrationFiles(migrations: MigrationGraph<MigrationEntry> | MigrationFiles): migrations is MigrationFiles {
  return typeof (migrations as { graph?: unknown }).graph === 'function';
}

/**
 * Milliseconds from an arbitrary start, for durations. (The global `performance` loads eleven
 * of Node's internal modules the first time it is read, a millisecond of every start.)
 */
function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** One line on a migration left part-way, for errors (`migrate` refusing to go on). */
function describePartial(id: string, row: PartialRow): string {
  const verb = row.direction === 'up' ? 'applied' : 'rolled back';
  const done = row.operations.length ? `operation(s) ${row.operations.join(', ')} ${verb}` : `no operation ${verb}`;
  switch (partialState(row)) {
    case 'interrupted':
      return `Migration ${id} was interrupted part-way (${row.direction}): ${done}, it was at ${row.error.slice(IN_PROGRESS.length)}`;
    case 'stopped':
      return `Migration ${id} was stopped part-way (${row.direction}): ${done} (${row.error.slice(STOPPED.length)})`;
    default:
      return `Migration ${id} failed part-way and was not undone: operation(s) ${row.operations.join(', ')} remain ${verb}`;
  }
}

/** Whether an error (or one it was caused by) says the connection to the database is gone. */
function isConnectionLost(error: unknown): boolean {
  for (let cause = error, depth = 0; typeof cause === 'object' && cause !== null && depth < 5; depth++) {
    if (isCovetError(cause) && cause.code === 'CONNECTION_LOST') return true;
    if ((cause as { fatal?: unknown }).fatal === true) return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}

/** The message of the error that says the connection is gone. */
function lostCause(error: unknown): string {
  for (let cause = error, depth = 0; typeof cause === 'object' && cause !== null && depth < 5; depth++) {
    if ((isCovetError(cause) && cause.code === 'CONNECTION_LOST') || (cause as { fatal?: unknown }).fatal === true) return causeText(cause);
    cause = (cause as { cause?: unknown }).cause;
  }
  return causeText(error);
}

/** A tracking row that could not be written (or deleted), naming the migration. */
function trackingError(migration: Migration, error: unknown, direction: Direction = 'up'): CovetError {
  const verb = direction === 'up' ? 'recorded in' : 'removed from';
  return new CovetError('TRACKING_FAILED', `Migration ${migration.id} could not be ${verb} ${TRACKING_TABLE}: ${causeText(error)}`, { cause: error });
}

/** An error's first line, with the driver's code (`[SQLITE_CONSTRAINT]`) when it has one. */
function causeText(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  const driverCode = (error as { code?: unknown }).code;
  return typeof driverCode === 'string' && !isCovetError(error) ? `${message} [${driverCode}]` : message!;
}

function operationError(
  migration: Migration,
  index: number,
  operation: Operation,
  error: unknown,
  verb: string,
  statement?: SqlStatement,
): CovetError {
  const where = migration.file ?? migration.id;
  // The cause's own advice (a dialect's, e.g. which setting bounds a lock wait) comes first.
  const sql = statement ? `SQL: ${statement.sql.length > 500 ? `${statement.sql.slice(0, 497)}...` : statement.sql}` : undefined;
  const hint = [isCovetError(error) ? error.hint : undefined, sql].filter(Boolean).join('\n') || undefined;
  return new CovetError(
    isCovetError(error) && verb === 'is invalid' ? error.code : 'MIGRATION_FAILED',
    `Migration ${migration.id} ${verb} at operation #${index + 1} (${operation.kind}): ${causeText(error)} (${where})`,
    { cause: error, ...(hint ? { hint } : {}) },
  );
}
