import { hash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

// What Covet's caches (the loader's MigrationCache, the runner's PlanCache) share: where they
// live, and files of `{ format, entries }` JSON that are only accelerators — a missing,
// corrupt or other-format file reads as empty, and a folder that cannot be written keeps
// nothing.

/**
 * The folder Covet's caches live in for a project folder: the nearest
 * `node_modules/.cache/covet` above `start`, else `covet-cache` in the system temp folder.
 */
export function findCacheRoot(start: string): string {
  let directory = start;
  for (;;) {
    const modules = join(directory, 'node_modules');
    if (existsSync(modules)) return join(modules, '.cache', 'covet');
    const parent = dirname(directory);
    if (parent === directory) return join(tmpdir(), 'covet-cache');
    directory = parent;
  }
}

/** A cache file for `directory`: `<cache root>/<prefix>-<hash of identity>.json`. */
export function cacheFile(directory: string, prefix: string, identity: string): string {
  return join(findCacheRoot(directory), `${prefix}-${hash('sha256', `${directory}\0${identity}`).slice(0, 16)}.json`);
}

/** The entries of a cache file written in `format`; empty when missing, corrupt or in another format. */
export function readCacheEntries<T>(file: string, format: number): Record<string, T> {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as { format?: number; entries?: unknown };
    return data.format === format && typeof data.entries === 'object' && data.entries !== null ? (data.entries as Record<string, T>) : {};
  } catch {
    return {};
  }
}

/**
 * Writes cache files in order, each through a temporary file and a rename (a reader never sees
 * half of one). False when the folder cannot be written: a read-only checkout still works,
 * only without the cache.
 */
export function writeCacheFiles(files: readonly { readonly file: string; readonly format: number; readonly entries: object }[]): boolean {
  try {
    for (const { file, format, entries } of files) {
      mkdirSync(dirname(file), { recursive: true });
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify({ format, entries }));
      renameSync(temporary, file);
    }
    return true;
  } catch {
    return false;
  }
}
