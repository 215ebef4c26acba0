import { CovetError, isCovetError } from '../errors/covet-error.js';
import { elideLiterals } from '../errors/elide-literals.js';
import type { Dialect, DialectConnection } from '../dialect/dialect.js';
import {
  isTapped,
  type Direction,
  type FailureHookContext,
  type MigrationHookContext,
  type RunHookContext,
} from '../hooks/hooks.js';
import type { MigrationEntry } from '../loader/migration-loader.js';
import type { Migration } from '../migration/define-migration.js';
import type { Operation } from '../operations/define-operation.js';
import type { Covet } from '../plugin/covet.js';
import type { SqlStatement } from '../schema/types.js';
import { CodeHandle } from './code-handle.js';
import { compensate, settleFailure, type CompensationRequest } from './compensation.js';
import { IN_PROGRESS, type IntentRecord, type NextNote } from './intent-record.js';
import { isBuiltin, operationContext, type CompiledMigration, type MigrationPlanner, type PlannedMigration, type PlannedStep } from './migration-planner.js';
import { FAILED_AT, STATEMENTS_RUN, operationError } from './run-errors.js';
import { trackingError, type PendingRow, type TrackingStore } from './tracking-store.js';

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

/** What the executor works with. */
export interface MigrationExecutorOptions {
  readonly covet: Covet;
  readonly dialect: Dialect;
  readonly connection: DialectConnection;
  readonly planner: MigrationPlanner;
  readonly store: TrackingStore;
  /** The migration file of an id, for what its tracking row records of it (see TrackingStore.insert). */
  readonly entryOf: (id: string) => MigrationEntry | undefined;
  /** How long to wait for the migration lock (ms). Default 60 s. */
  readonly lockTimeoutMs?: number | undefined;
  readonly onEvent?: ((event: RunEvent) => void) | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly showLiterals?: boolean | undefined;
}

/**
 * The second part of a run: runs planned (or compiled) migrations in order under the
 * migration lock, each in one transaction with its tracking row where the dialect allows, in
 * one call where it can (`executeAll`); stops at safe points when the run's signal is aborted;
 * fires the run, migration and operation hooks; and where DDL commits as it runs, keeps the
 * intent record and hands a failed migration to compensation.ts (recorded as part-way, or its
 * done operations undone by their reverses). What it writes
 * to Covet's own tables it gets from the {@link TrackingStore}.
 */
export class MigrationExecutor {
  readonly #options: MigrationExecutorOptions;
  readonly #planner: MigrationPlanner;
  readonly #store: TrackingStore;
  /** Errors `afterFailure` was called for. */
  readonly #reported = new WeakSet<object>();
  /**
   * Tracking rows of the migrations a run applied from compiled plans, written together when
   * the run ends, on a dialect whose lock is one transaction (see #runCompiled).
   */
  #deferredRows: PendingRow[] | undefined;
  /** The intent record of the run going on, on a database without transactional DDL. */
  #intent: IntentRecord | undefined;
  /** The first note of the migration after the one running, if there is one and it is known (see #writeTracking). */
  #next: NextNote | undefined;
  /** A call custom code made after it had returned: the run fails with it at its next step. */
  #late: CovetError | undefined;
  /** Whether a run is going on (custom code calling after it is left to the process to report). */
  #running = false;
  /** Whether the run's stop cancelled the statement running then (see DialectConnection.cancel). */
  #cancelled = false;

  constructor(options: MigrationExecutorOptions) {
    this.#options = options;
    this.#planner = options.planner;
    this.#store = options.store;
  }

  /** Runs `fn` holding the dialect's migration lock. */
  lock<T>(fn: () => Promise<T>): Promise<T> {
    return this.#options.connection.withMigrationLock(fn, {
      timeoutMs: this.#options.lockTimeoutMs ?? 60_000,
      onWait: (message) => this.#emit({ type: 'lockWait', message }),
    });
  }

  /** Runs planned migrations (up or down, as `context` says); the ones done go into `done` as they finish. */
  run(planned: readonly PlannedMigration[], context: RunHookContext, done: Migration[] = []): Promise<RunSummary> {
    return this.#runInOrder(planned, context, done, (plan, createTracking) => this.#runMigration(plan, context.direction, context, context.fake, createTracking));
  }

  /** Applies migrations from their compiled plans (see MigrationPlanner.compiledPlans). */
  runCompiled(compiled: readonly CompiledMigration[], context: RunHookContext, done: Migration[] = []): Promise<RunSummary> {
    this.#emit({ type: 'compiledPlans', migrations: compiled.length });
    if (this.#options.dialect.capabilities.lockIsTransaction) this.#deferredRows = [];
    return this.#runInOrder(compiled, context, done, (plan, createTracking) => this.#runCompiled(plan, createTracking));
  }

  /**
   * A failing statement as an error shows it: string literals elided (`'…'`, they may hold
   * secrets) unless `showLiterals`.
   */
  #shown(statement: SqlStatement): SqlStatement {
    if (this.#options.showLiterals === true) return statement;
    const identifierQuote = this.#options.dialect.quoteIdentifier('x').charAt(0);
    return { sql: elideLiterals(statement.sql, { identifierQuote }) };
  }

  #emit(event: RunEvent): void {
    this.#options.onEvent?.(event);
  }

  /**
   * Runs migrations (up or down, as `context` says) in order between `beforeRun` and
   * `afterRun`, each with `run`; the ones done go into `done` as they finish.
   */
  async #runInOrder<Plan extends PlannedMigration | CompiledMigration>(
    plans: readonly Plan[],
    context: RunHookContext,
    done: Migration[],
    run: (plan: Plan, createTracking: boolean) => Promise<void>,
  ): Promise<RunSummary> {
    const { hooks } = this.#options.covet;
    const { direction } = context;
    // (Hooks nobody tapped are not called: see isTapped.)
    if (isTapped(hooks.beforeRun)) await hooks.beforeRun.promise({ direction, migrations: plans.map((plan) => plan.migration) }, context);
    const timings: { migration: Migration; durationMs: number }[] = [];
    // The tracking table is created with the first migration applied, in its transaction: a
    // run that is refused or fails on its first migration leaves the database as it was.
    let createTracking = direction === 'up' && !context.dryRun && !(await this.#store.exists());
    // Where DDL commits as it runs, each migration is announced in the intent record first.
    const intent = !this.#options.dialect.capabilities.transactionalDdl && !context.dryRun && !context.fake ? await this.#store.openIntentRecord() : undefined;
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
      for (const [position, plan] of plans.entries()) {
        this.#checkpoint();
        const started = now();
        const next = plans[position + 1];
        this.#next = intent && next ? firstNote(next, direction) : undefined;
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
      this.#next = undefined;
      // Also after a failure: the migrations before it stay applied, with their rows.
      await this.#writeDeferredRows(done);
      // The record of the last migration is obsolete once its tracking row is written.
      await intent?.close().catch(() => undefined);
    }
    if (isTapped(hooks.afterRun)) await hooks.afterRun.promise({ direction, migrations: timings }, context);
    return { direction, migrations: done };
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
    const owners: StatementOwner[] = [];
    const statements: SqlStatement[] = [];
    for (const step of steps) {
      for (const statement of step.statements) {
        owners.push(step);
        statements.push(statement);
      }
    }
    const tracking = this.#store.insert(migration, this.#options.entryOf(migration.id));
    // Where the lock is one transaction (SQLite), every migration of the run commits with the
    // run, so its row can be written at the end like the others: one prepared insert run N
    // times, where a row written after each migration's DDL is prepared again every time.
    const deferred = this.#deferredRows;
    try {
      await connection.transaction(async () => {
        if (createTracking) await this.#store.ensure();
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
      if (createTracking) await this.#store.ensure();
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
      await this.#writeTracking(migration, this.#store.insert(migration, this.#options.entryOf(migration.id)), 'up', transactional);
    };
    const transactional = this.#needsTransaction(migration, steps.map((step) => step.kind));
    try {
      if (transactional) await connection.transaction(body);
      else await body();
    } catch (error) {
      const failure = await settleFailure(intent!, {
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
          return this.#compensate({ plan, direction: 'up', done: plan.steps.filter((step) => done.has(step.index)), error });
        },
      });
      await this.#reportFailure(failure, { migration });
      throw failure;
    }
    intent?.finished();
    this.#emit({ type: 'migrationDone', direction: 'up', migration, durationMs: now() - started, fake: false });
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
        ? this.#store.insert(migration, this.#options.entryOf(migration.id))
        : this.#store.remove(migration);
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
    const done: PlannedStep[] = [];
    const body = async () => {
      if (createTracking) await this.#store.ensure();
      if (isTapped(covet.hooks.beforeMigration)) await covet.hooks.beforeMigration.promise(migration, migrationContext);
      if (!fake && this.#batchable(plan, context)) {
        await this.#runBatch(plan, trackingStatement);
        if (isTapped(covet.hooks.afterMigration)) await covet.hooks.afterMigration.promise(migration, migrationContext);
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
      else await this.#writeTracking(migration, trackingStatement, direction, transactional);
      if (isTapped(covet.hooks.afterMigration)) await covet.hooks.afterMigration.promise(migration, migrationContext);
    };
    // Even without transactional DDL the transaction still holds the tracking row (and any
    // data the migration writes) together, unless there is nothing to hold (#needsTransaction);
    // compensation runs after it has ended.
    const transactional = !context.dryRun && migration.atomic && this.#needsTransaction(migration, plan.steps.map((step) => step.operation.kind));
    try {
      if (transactional) await connection.transaction(body);
      else await body();
    } catch (error) {
      const failure = intent
        ? await settleFailure(intent, {
            migration,
            direction,
            complete,
            started: done.length > 0,
            at,
            error,
            code,
            atomic: migration.atomic,
            compensate: () => this.#compensate({ plan, direction, done, error, migrationContext }),
          })
        : error;
      await this.#reportFailure(failure, { migration });
      throw failure;
    }
    intent?.finished();
    this.#emit({ type: 'migrationDone', direction, migration, durationMs: now() - started, fake });
  }

  async #runStep(plan: PlannedMigration, step: PlannedStep, migrationContext: MigrationHookContext): Promise<void> {
    const { covet, connection } = this.#options;
    const { beforeOperation, afterOperation } = covet.hooks;
    const planner = this.#planner;
    // Hooks nobody tapped are not called: hundreds of migrations make that count.
    const context =
      isTapped(beforeOperation) || isTapped(afterOperation) || planner.processesSql() ? operationContext(plan, step, migrationContext) : undefined;
    if (context && isTapped(beforeOperation)) await beforeOperation.promise(step.operation, context);
    // Known before the run (and through processSql and validateSql then), unless the renderer
    // reads the live database: compiled now, after the steps before it, and offered to those
    // hooks before its statements are sent. A dry run compiles from the state alone: the live
    // database has not seen the earlier steps.
    const statements =
      planner.sqlOf(step) ?? (await planner.prepareSql((await planner.compile(step, migrationContext.dryRun ? undefined : connection)) ?? [], context));
    if (migrationContext.dryRun) {
      for (const statement of statements) this.#emit({ type: 'sql', direction: migrationContext.direction, migration: plan.migration, statement });
    } else {
      await this.#executeStep(plan.migration, step.index, () => step.operation, statements);
    }
    if (context && isTapped(afterOperation)) await afterOperation.promise(step.operation, context);
  }

  /**
   * Writes (or, rolling back, deletes) a finished migration's tracking row. Where DDL commits as
   * it runs and the migration ran without a transaction of its own, the row goes in one
   * durable transaction with the intent record's note announcing the next migration's first
   * operation, or with the record's deletion after the last (IntentRecord.finish): one commit
   * where there were two, and the next migration starts with its note written. Otherwise the
   * row is written on the run's session (inside the migration's transaction, if it has one).
   */
  async #writeTracking(migration: Migration, statement: SqlStatement, direction: Direction, transactional: boolean): Promise<void> {
    const intent = this.#intent;
    if (!intent || transactional || !intent.combines) return this.#store.write(migration, statement, direction);
    try {
      await intent.finish(statement, this.#next);
    } catch (error) {
      throw trackingError(migration, error, direction);
    }
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
    return kinds.some((kind) => kind === 'runSql' || !isBuiltin(covet, kind));
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
      plan.steps.every((step) => this.#planner.sqlOf(step) !== undefined)
    );
  }

  /**
   * Sends a migration's statements (as the planner prepared them: through `processSql` and
   * `validateSql` before the run) and its tracking row together, naming the statement that fails.
   */
  async #runBatch(plan: PlannedMigration, trackingStatement: SqlStatement): Promise<void> {
    const owners: StatementOwner[] = [];
    const statements: SqlStatement[] = [];
    for (const step of plan.steps) {
      for (const statement of this.#planner.sqlOf(step)!) {
        owners.push(step);
        statements.push(statement);
      }
    }
    await this.#executeBatch(plan.migration, owners, statements, trackingStatement);
  }

  /**
   * Runs a migration's statements (`owners[i]` is the step statement `i` belongs to) and then
   * its tracking row, in one call where the connection can (`executeAll`). A failure names the
   * migration, the operation that ran (a rollback's reverse) and the statement.
   */
  async #executeBatch(
    migration: Migration,
    owners: readonly StatementOwner[],
    statements: readonly SqlStatement[],
    trackingStatement: SqlStatement | undefined,
  ): Promise<void> {
    const { connection } = this.#options;
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
        if (trackingStatement) await this.#store.write(migration, trackingStatement);
      }
    } catch (error) {
      const at = (error as { statementIndex?: unknown }).statementIndex;
      if (trackingStatement && at === statements.length) throw trackingError(migration, error);
      const owner = typeof at === 'number' && at < owners.length ? owners[at] : undefined;
      if (owner === undefined) throw error;
      const { index } = owner;
      // A compiled plan's step (always forward) has only its position: its migration has the operation.
      const operation = owner.operation ?? migration.operations[index]!;
      const statement = statements[at as number]!;
      const failure = operationError(migration, index, operation, error, 'failed', this.#shown(statement));
      Object.defineProperty(failure, FAILED_AT, { value: { operation, index, statement } });
      throw failure;
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
    try {
      await this.#store.writeRows(rows);
    } catch (error) {
      done.length = 0;
      throw error;
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

  /** Undoes a failed migration's done operations (see compensation.ts), with the run's parts and intent record. */
  #compensate(request: CompensationRequest): Promise<unknown> {
    const { covet, connection } = this.#options;
    return compensate({ covet, connection, planner: this.#planner, store: this.#store, intent: this.#intent }, request);
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

}

/** The step a statement of a batch belongs to: a planned step, or a compiled plan's (forward, so the operation is the migration's). */
type StatementOwner = { readonly index: number; readonly operation?: Operation };

/** What a run did. */
export interface RunSummary {
  readonly direction: Direction;
  readonly migrations: readonly Migration[];
}

/**
 * The note a migration's run writes first in the intent record (see #runMigration and
 * #runCompiledSteps), or `undefined` when it writes none before its first statement.
 */
function firstNote(plan: PlannedMigration | CompiledMigration, direction: Direction): NextNote | undefined {
  const { migration } = plan;
  const note = (what: string): NextNote => ({ migration, direction, note: `${IN_PROGRESS}${what}` });
  if ('plan' in plan) {
    const step = plan.steps[0];
    return step ? note(`operation #${step.index + 1} (${step.kind})`) : undefined;
  }
  if (direction === 'down' && migration.down) return note('custom down code');
  const step = plan.steps[0];
  if (step) return note(`operation #${step.index + 1} (${step.operation.kind})`);
  return direction === 'up' && migration.up ? note('custom up code') : undefined;
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

/**
 * Milliseconds from an arbitrary start, for durations. (The global `performance` loads eleven
 * of Node's internal modules the first time it is read, a millisecond of every start.)
 */
function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
