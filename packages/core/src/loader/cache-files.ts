import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

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

/** Writes a file through a temporary one and a rename, so a reader never sees half of it. */
export function writeAtomically(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}
