import { createHash } from 'node:crypto';
import { CovetError, EXIT_LOCK_TIMEOUT } from '@covet/core/dialect';
import type { MigrationLockOptions } from '@covet/core/dialect';

/** How often a waiting run tries the lock again. */
export const LOCK_POLL_MS = 100;

/** Runs one query on the lock's session (the connection's dedicated client). */
export type LockQuery = <Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]) => Promise<Row[]>;

/**
 * The advisory-lock key of a database and schema: the first 8 bytes of a SHA-256, as the
 * signed bigint `pg_try_advisory_lock(bigint)` takes (in decimal, bound as a parameter).
 */
export function migrationLockKey(database: string, schema: string): string {
  const digest = createHash('sha256').update(`covet:migrations:${database}:${schema}`).digest();
  return digest.readBigInt64BE(0).toString();
}

function poolerError(where: string): CovetError {
  return new CovetError('LOCK_UNSAFE', `The migration lock cannot be held through a transaction-mode connection pooler (${where})`, {
    hint: 'Connect covet directly to PostgreSQL (or through a session-mode pooler): a session advisory lock needs one stable server session.',
  });
}

/**
 * Takes the session advisory lock `key`, polling `pg_try_advisory_lock` every
 * {@link LOCK_POLL_MS} ms until `options.timeoutMs` (a blocking `pg_advisory_lock` would
 * deadlock against a `CREATE INDEX CONCURRENTLY` run by the holder, which waits for every
 * open transaction). Calls `onWait` once when it is busy.
 *
 * The lock belongs to the server session, so a crashed holder's lock goes with its session.
 * Behind a transaction-mode pooler the "session" changes between statements: the backend PID
 * seen by the lock query must be the session's PID (`sessionPid`, read when the connection
 * opened) and a second query must still see the lock held, or the run stops before migrating.
 */
export async function acquireMigrationLock(
  query: LockQuery,
  key: string,
  sessionPid: number,
  where: string,
  options: MigrationLockOptions,
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let warned = false;
  for (;;) {
    const [row] = await query<{ locked: boolean; pid: number }>('SELECT pg_try_advisory_lock($1::bigint) AS locked, pg_backend_pid() AS pid', [key]);
    if (row!.pid !== sessionPid) {
      // Release it only on the backend that took it: never someone else's lock.
      if (row!.locked) await query('SELECT CASE WHEN pg_backend_pid() = $2 THEN pg_advisory_unlock($1::bigint) END', [key, row!.pid]).catch(() => undefined);
      throw poolerError(where);
    }
    if (row!.locked) break;
    if (!warned) {
      warned = true;
      options.onWait?.(`Waiting for another covet run to release the migration lock (${where}) ...`);
    }
    if (Date.now() >= deadline) {
      const seconds = Math.round(options.timeoutMs / 100) / 10;
      throw new CovetError('LOCK_TIMEOUT', `Timed out after ${seconds}s waiting for the migration lock (${where})`, {
        exitCode: EXIT_LOCK_TIMEOUT,
        hint: 'Another covet run holds it; wait for it to finish, or raise lockTimeoutMs. Nothing was changed.',
      });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(LOCK_POLL_MS, Math.max(1, deadline - Date.now()))));
  }
  const [check] = await query<{ pid: number; held: boolean }>(
    `SELECT pg_backend_pid() AS pid, EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
       AND pid = pg_backend_pid() AND ((classid::bigint << 32) | objid::bigint) = $1::bigint) AS held`,
    [key],
  );
  if (check!.pid !== sessionPid || !check!.held) {
    await query('SELECT CASE WHEN pg_backend_pid() = $2 THEN pg_advisory_unlock($1::bigint) END', [key, sessionPid]).catch(() => undefined);
    throw poolerError(where);
  }
}

/** Releases the lock this session holds (a no-op on a session that does not hold it). */
export async function releaseMigrationLock(query: LockQuery, key: string): Promise<void> {
  await query('SELECT pg_advisory_unlock($1::bigint)', [key]);
}
