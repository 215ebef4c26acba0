import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMigration, importModule, type Migration } from '@covet/core';

const TEST_DIRECTORY = dirname(fileURLToPath(import.meta.url));

/**
 * Scratch space inside the package, so `@covet/core` in a written file resolves to this
 * workspace's core (through packages/writer-ts/node_modules). Ignored by test/.gitignore.
 */
export const TMP_DIRECTORY = join(TEST_DIRECTORY, '.tmp');

let counter = 0;
const created = new Set<string>();

/** A fresh folder under {@link TMP_DIRECTORY}, removed by {@link removeScratchDirectories}. */
export async function scratchDirectory(label: string): Promise<string> {
  counter += 1;
  const directory = join(TMP_DIRECTORY, `${process.pid}-${Math.random().toString(36).slice(2, 8)}-${label}-${counter}`);
  await mkdir(directory, { recursive: true });
  created.add(directory);
  return directory;
}

/** Removes the folders this test file made (test files run in parallel: never the whole of .tmp). */
export async function removeScratchDirectories(): Promise<void> {
  await Promise.all([...created].map((directory) => rm(directory, { recursive: true, force: true })));
  created.clear();
}

/**
 * Writes `source` as `<name>.ts` in a scratch folder, loads it the way the migration loader
 * does (`importModule`: esbuild + evaluate) and passes its default export through
 * `createMigration('default', name, ...)`.
 */
export async function loadMigrationSource(source: string, name = '20261124120000_test'): Promise<Migration> {
  const directory = await scratchDirectory(name);
  const file = join(directory, `${name}.ts`);
  await writeFile(file, source, 'utf8');
  try {
    const namespace = (await importModule(file)) as { default?: unknown };
    return createMigration('default', name, namespace.default, file);
  } finally {
    await rm(directory, { recursive: true, force: true });
    created.delete(directory);
  }
}
