import { createHash } from 'node:crypto';
import { CovetError, EXIT_LOCK_TIMEOUT } from '@covet/core/dialect';
import type { MigrationLockOptions } from '@covet/core/dialect';

/** What the lock needs of a connection: one query with bound values, on ONE server session. */
export type SessionQuery = (sql: string, params: readonly unknown[]) => Promise<Record<string, unknown>[]>;

/** MySQL's limit on user-level lock names (https://dev.mysql.com/doc/refman/8.0/en/locking-functions.html). */
const MAX_LOCK_NAME = 64;

/**
 * The migration lock's name for a database: `covet_migrate:<database>`, so runs on two
 * databases of one server do not wait for each other. A name over 64 characters is replaced by
 * a hash of the database name.
 */
export function migrationLockName(database: string): string {
  const name = `covet_migrate:${database}`;
  if (name.length <= MAX_LOCK_NAME) return name;
  return `covet_migrate:${createHash('sha256').update(database).digest('hex').slice(0, MAX_LOCK_NAME - 14)}`;
}

function lockResult(rows: Record<string, unknown>[]): number | null {
  const value = rows[0]?.['acquired'];
  return value === null || value === undefined ? null : Number(value);
}

/**
 * Takes the user-level lock `name` with `GET_LOCK` on the session `query` runs on. The lock
 * belongs to that session: the server releases it if the connection dies, so a killed run
 * never leaves it behind.
 *
 * It first tries without waiting; if another session holds the lock it calls `onWait` once and
 * waits for the rest of `timeoutMs` inside `GET_LOCK`. The result is checked: 1 is the lock,
 * 0 a timeout (a `LOCK_TIMEOUT` CovetError with the lock-timeout exit code), NULL an error.
 */
export async function acquireMigrationLock(query: SessionQuery, name: string, database: string, options: MigrationLockOptions): Promise<void> {
  const started = Date.now();
  let result = lockResult(await query('SELECT GET_LOCK(?, 0) AS acquired', [name]));
  if (result === 0) {
    options.onWait?.(`Waiting for another covet run to release the migration lock of database ${database} ...`);
    const seconds = Math.max(0, (options.timeoutMs - (Date.now() - started)) / 1000);
    // GET_LOCK takes fractional seconds on MySQL 8 and MariaDB.
    result = lockResult(await query('SELECT GET_LOCK(?, ?) AS acquired', [name, seconds]));
  }
  if (result === 1) return;
  if (result === 0) {
    const seconds = Math.round(options.timeoutMs / 100) / 10;
    throw new CovetError('LOCK_TIMEOUT', `Timed out after ${seconds}s waiting for the migration lock (database ${database})`, {
      exitCode: EXIT_LOCK_TIMEOUT,
      hint: `Another covet run holds it; wait for it to finish, or find its session with SELECT IS_USED_LOCK('${name}').`,
    });
  }
  throw new CovetError('LOCK_FAILED', `GET_LOCK returned NULL for the migration lock (database ${database})`, {
    hint: 'The server could not take the lock (out of memory, or the session was killed); try again.',
  });
}

/** Releases the lock; a lock that is no longer held (the session was reset) is not an error. */
export async function releaseMigrationLock(query: SessionQuery, name: string): Promise<void> {
  await query('SELECT RELEASE_LOCK(?) AS released', [name]);
}
