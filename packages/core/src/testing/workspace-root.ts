import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The nearest folder at or above `start` that holds a `pnpm-workspace.yaml`: the monorepo
 * root, for tests that read the repository's fixtures (such as `fixtures/corpus`).
 */
export function findWorkspaceRoot(start: string = process.cwd()): string {
  let folder = resolve(start);
  while (!existsSync(join(folder, 'pnpm-workspace.yaml'))) {
    const parent = dirname(folder);
    if (parent === folder) throw new Error(`No pnpm-workspace.yaml at or above ${start}`);
    folder = parent;
  }
  return folder;
}
