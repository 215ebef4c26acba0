import { CovetError, isCovetError } from '../errors/covet-error.js';
import type { Migration } from '../migration/define-migration.js';
import type { Operation } from '../operations/define-operation.js';
import type { SqlStatement } from '../schema/types.js';

// The errors the planner, the executor and the tracking store share: each names the
// migration (and the operation) at fault, in one line.

/** Set on an operation's error: how many of its statements ran before the one that failed. */
export const STATEMENTS_RUN = Symbol('covet.statementsRun');

/** Set on an operation's error: the operation, its position and the statement, for `afterFailure`. */
export const FAILED_AT = Symbol('covet.failedAt');

/** An error's first line, with the driver's code (`[SQLITE_CONSTRAINT]`) when it has one. */
export function causeText(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  const driverCode = (error as { code?: unknown }).code;
  return typeof driverCode === 'string' && !isCovetError(error) ? `${message} [${driverCode}]` : message!;
}

/** An operation that is invalid, cannot be replayed, or failed: names the migration, the operation and the file. */
export function operationError(
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

/** Whether an error (or one it was caused by) says the connection to the database is gone. */
export function isConnectionLost(error: unknown): boolean {
  for (let cause = error, depth = 0; typeof cause === 'object' && cause !== null && depth < 5; depth++) {
    if (isCovetError(cause) && cause.code === 'CONNECTION_LOST') return true;
    if ((cause as { fatal?: unknown }).fatal === true) return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}

/** The message of the error that says the connection is gone. */
export function lostCause(error: unknown): string {
  for (let cause = error, depth = 0; typeof cause === 'object' && cause !== null && depth < 5; depth++) {
    if ((isCovetError(cause) && cause.code === 'CONNECTION_LOST') || (cause as { fatal?: unknown }).fatal === true) return causeText(cause);
    cause = (cause as { cause?: unknown }).cause;
  }
  return causeText(error);
}
