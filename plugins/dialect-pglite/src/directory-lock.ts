import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { CovetError, EXIT_LOCK_TIMEOUT } from '@covet/core/dialect';

/** How often a process waiting for a data directory tries again. */
export const DIRECTORY_LOCK_POLL_MS = 100;

/** How long `connect` waits for a data directory another process has open, unless `options.openTimeout` says otherwise. */
export const DEFAULT_OPEN_TIMEOUT_MS = 10_000;

/** The lock file beside a data directory: `<dir>.covet.lock`. */
export function directoryLockPath(directory: string): string {
  return `${directory.replace(/[\\/]+$/, '')}.covet.lock`;
}

/** Data directories this process has open (a second PGlite on one directory corrupts it as surely as a second process). */
const openHere = new Set<string>();

interface Holder {
  readonly pid: number;
  readonly host: string;
}

function readHolder(path: string): Holder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<Holder>;
    return typeof parsed.pid === 'number' && typeof parsed.host === 'string' ? { pid: parsed.pid, host: parsed.host } : undefined;
  } catch {
    return undefined;
  }
}

/** Whether process `pid` of this machine still runs (a process we may not signal still runs). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates the lock file if no one holds it (removing one left by a process that died); the holder otherwise. */
function tryLock(path: string): Holder | undefined {
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readHolder(path);
      // A holder that is still writing its file, or lives on another machine (a shared disk), is
      // respected; a file naming this process is left from a directory it no longer has open.
      const ours = holder?.pid === process.pid && holder.host === hostname();
      if (!ours && (!holder || holder.host !== hostname() || alive(holder.pid))) return holder ?? { pid: 0, host: 'unknown' };
      try {
        unlinkSync(path);
      } catch {
        // Someone else removed it first; try again.
      }
      continue;
    }
    try {
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname() }));
    } finally {
      closeSync(fd);
    }
    return undefined;
  }
  return readHolder(path) ?? { pid: 0, host: 'unknown' };
}

/**
 * Takes the lock of PGlite data directory `directory` (an absolute path) for this process, or
 * waits up to `timeoutMs` for the process holding it. PGlite runs PostgreSQL in single-user
 * mode inside the process: two PGlite instances on one directory, in two processes or in one,
 * would each believe they own its files and corrupt them. The lock is the file
 * {@link directoryLockPath} holding the holder's PID and host, created atomically; a file left
 * by a process that no longer runs is taken over. Returns the function that releases it.
 */
export async function lockDataDirectory(directory: string, timeoutMs: number): Promise<() => void> {
  const path = directoryLockPath(directory);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const holder = openHere.has(directory) ? { pid: process.pid, host: hostname() } : tryLock(path);
    if (holder === undefined) break;
    if (Date.now() >= deadline) {
      const who = holder.pid === process.pid ? 'this process already has it open' : `process ${holder.pid || '?'}${holder.host === hostname() ? '' : ` on ${holder.host}`} has it open`;
      throw new CovetError('LOCK_TIMEOUT', `Timed out after ${Math.round(timeoutMs / 100) / 10}s waiting for the PGlite data directory ${directory}: ${who}`, {
        exitCode: EXIT_LOCK_TIMEOUT,
        hint: `PGlite opens a data directory in one process at a time; wait for the other to finish, or raise database.options.openTimeout. If no process uses it, remove ${path}. Nothing was changed.`,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(DIRECTORY_LOCK_POLL_MS, Math.max(1, deadline - Date.now()))));
  }
  openHere.add(directory);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    openHere.delete(directory);
    try {
      unlinkSync(path);
    } catch {
      // Already gone: nothing to release.
    }
  };
}

/** `options.openTimeout` in milliseconds. */
export function openTimeoutOf(value: unknown): number {
  if (value === undefined || value === null) return DEFAULT_OPEN_TIMEOUT_MS;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  throw new CovetError('CONFIG_INVALID', `Invalid database.options.openTimeout ${JSON.stringify(value)} (database settings)`, {
    hint: 'Use milliseconds, e.g. 10000.',
  });
}
