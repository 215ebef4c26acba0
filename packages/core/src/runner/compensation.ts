import { CovetError, EXIT_PARTIAL_MIGRATION, isCovetError } from '../errors/covet-error.js';
import type { DialectConnection } from '../dialect/dialect.js';
import { isTapped, type Direction, type MigrationHookContext, type OperationHookContext } from '../hooks/hooks.js';
import type { Migration } from '../migration/define-migration.js';
import { IRREVERSIBLE } from '../operations/define-operation.js';
import type { Covet } from '../plugin/covet.js';
import type { CodeHandle } from './code-handle.js';
import { IN_PROGRESS, STOPPED, type IntentRecord } from './intent-record.js';
import type { MigrationPlanner, PlannedMigration, PlannedStep } from './migration-planner.js';
import { FAILED_AT, causeText, isConnectionLost, lostCause } from './run-errors.js';
import type { TrackingStore } from './tracking-store.js';

// What a failed migration leaves where DDL commits as it runs (MySQL, MariaDB): the executor
// hands a failure here, and gets back the error the run reports. Two parts: settleFailure
// decides (stopped, connection lost, custom code that committed, not atomic: recorded as
// part-way; otherwise undone), compensate undoes the operations done by their reverses, with
// the operation hooks, and records what it could not undo.

/** A migration that failed part-way, as the executor saw it. */
export interface FailedMigration {
  readonly migration: Migration;
  readonly direction: Direction;
  /** Operations (0-based) whose statements all ran. */
  readonly complete: readonly number[];
  /** Whether any statement of an operation ran. */
  readonly started: boolean;
  /** Where the migration was: `operation #2 (addColumn)`, `custom up code`. */
  readonly at: string | undefined;
  readonly error: unknown;
  /** The handle of its custom code, if that ran (what it committed). */
  readonly code: CodeHandle | undefined;
  readonly atomic: boolean;
  /** Undoes what ran (see {@link compensate}); called only when the failure is to be undone. */
  readonly compensate: () => Promise<unknown>;
}

/**
 * What a failed migration leaves, where DDL commits as it runs (the run has an intent
 * record). Stopped by a signal: the operations done stay, recorded as part-way. Connection
 * lost: nothing more can be run; the record says where it was. Custom code that ran
 * statements that commit, then failed: nothing is guessed, it is recorded as part-way. Not
 * atomic: recorded as part-way. Else the operations done are undone (`failure.compensate`),
 * and the record goes. Returns the error the run reports.
 */
export async function settleFailure(intent: IntentRecord, failure: FailedMigration): Promise<unknown> {
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

/** What {@link compensate} runs with: the run's parts, and its intent record if it has one. */
export interface CompensationContext {
  readonly covet: Covet;
  readonly connection: DialectConnection;
  readonly planner: MigrationPlanner;
  readonly store: TrackingStore;
  readonly intent: IntentRecord | undefined;
}

/** What to undo: the steps of `plan` that ran (`done`), after `error`. */
export interface CompensationRequest {
  readonly plan: PlannedMigration;
  readonly direction: Direction;
  readonly done: readonly PlannedStep[];
  readonly error: unknown;
  /**
   * The migration's hook context: with it, each reverse fires `beforeOperation`, `processSql`
   * and `afterOperation` (context `compensation: true`, the reverse direction). A compiled plan
   * has none: it is used only when nobody taps those hooks.
   */
  readonly migrationContext?: MigrationHookContext | undefined;
}

/**
 * Undoes the steps of a failed migration that already ran (latest first) by running their
 * reverses, compiled against the live database. Returns the error the run reports: the
 * original one, its hint saying the operations before it were undone; or, if undoing fails,
 * a `MIGRATION_PARTIAL` error, with what remains recorded (the intent record, or the
 * bookkeeping table) so that `migrate` refuses to go on until a person resolves it.
 */
export async function compensate(context: CompensationContext, request: CompensationRequest): Promise<unknown> {
  const { covet, connection, planner, store, intent } = context;
  const { plan, direction, done, error, migrationContext } = request;
  const { beforeOperation, processSql, afterOperation } = covet.hooks;
  const hooked = migrationContext !== undefined && [beforeOperation, processSql, afterOperation].some(isTapped);
  const { migration } = plan;
  const undone = new Set<PlannedStep>();
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
        const compiled = (await planner.compile({ operation, index: step.index, stateBefore: state, stateAfter: after }, connection)) ?? [];
        const hookContext: OperationHookContext | undefined = hooked
          ? {
              ...migrationContext,
              direction: direction === 'up' ? 'down' : 'up',
              migration,
              operation,
              index: step.index,
              stateBefore: state,
              stateAfter: after,
              compensation: true,
            }
          : undefined;
        if (hookContext && isTapped(beforeOperation)) await beforeOperation.promise(operation, hookContext);
        const statements = hookContext && isTapped(processSql) ? await processSql.promise(compiled, hookContext) : compiled;
        for (const statement of statements) await connection.execute(statement);
        if (hookContext && isTapped(afterOperation)) await afterOperation.promise(operation, hookContext);
        state = after;
      }
      undone.add(step);
    }
  } catch (compensationError) {
    const left = remaining();
    const reason = error instanceof Error ? error.message : String(error);
    if (intent) await intent.note(migration, direction, left, reason);
    else await store.recordPartial({ app: migration.app, name: migration.name, direction, operations: left, error: reason });
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
