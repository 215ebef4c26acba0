import { CovetError, EXIT_LOCK_TIMEOUT } from '@covet/core';
import type Database from 'better-sqlite3';

const POLL_MS = 25;

function isBusy(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code ?? '';
  return code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED';
}

/**
 * Takes SQLite's write lock with `BEGIN IMMEDIATE` (https://www.sqlite.org/lang_transaction.html):
 * a second writer cannot start until the first commits, so two covet runs never migrate at once.
 *
 * SQLite's own busy handler would block Node's event loop while it waits, so the lock is polled
 * instead, with `busy_timeout` set to 0 for each try; `onWait` is called once when it is busy.
 */
export async function beginImmediate(
  database: Database.Database,
  file: string,
  options: { timeoutMs: number; onWait?: (message: string) => void },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const previousTimeout = database.pragma('busy_timeout', { simple: true }) as number;
  database.pragma('busy_timeout = 0');
  let warned = false;
  try {
    for (;;) {
      try {
        database.exec('BEGIN IMMEDIATE');
        return;
      } catch (error) {
        if (!isBusy(error)) throw error;
        if (!warned) {
          warned = true;
          options.onWait?.(`Waiting for another covet run to release ${file} ...`);
        }
        if (Date.now() >= deadline) {
          const seconds = Math.round(options.timeoutMs / 100) / 10;
          throw new CovetError('LOCK_TIMEOUT', `Timed out after ${seconds}s waiting for the migration lock (${file})`, {
            exitCode: EXIT_LOCK_TIMEOUT,
            hint: 'Another process holds a write transaction on this database; wait for it or stop it.',
            cause: error,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, Math.max(1, deadline - Date.now()))));
      }
    }
  } finally {
    database.pragma(`busy_timeout = ${Number(previousTimeout) || 0}`);
  }
}
