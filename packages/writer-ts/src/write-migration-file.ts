import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { CovetError } from '@covet/core';

/**
 * What {@link writeMigrationFile} writes.
 *
 * @example
 * const input: WriteMigrationFileInput = { directory: 'migrations', name: '20261124120000_initial', source };
 */
export interface WriteMigrationFileInput {
  /** The migrations directory (of the app); created when missing. */
  readonly directory: string;
  /** The migration name, without `.ts` (see `migrationName`). */
  readonly name: string;
  /** The file's text (see `renderMigration`). */
  readonly source: string;
}

const NAME = /^[A-Za-z0-9_-]+$/;

/**
 * Writes `<directory>/<name>.ts` and returns its absolute path. Creates the directory, never
 * overwrites an existing file (a one-line {@link CovetError} naming it), and refuses a name
 * that would put the file anywhere but directly inside `directory`.
 *
 * @example
 * const path = await writeMigrationFile({
 *   directory: 'migrations',
 *   name: migrationName('add users nickname'),
 *   source: renderMigration({ operations }),
 * });
 */
export async function writeMigrationFile(input: WriteMigrationFileInput): Promise<string> {
  const { directory, name, source } = input;
  if (typeof directory !== 'string' || directory === '') {
    throw new CovetError('MIGRATION_PATH_INVALID', `Missing migrations directory for ${JSON.stringify(name)}`);
  }
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new CovetError('MIGRATION_NAME_INVALID', `Invalid migration name ${JSON.stringify(name)} (${directory})`, {
      hint: 'Names hold letters, digits, "_" and "-"; make them with migrationName().',
    });
  }
  const root = resolve(directory);
  const path = resolve(root, `${name}.ts`);
  const inside = relative(root, path);
  if (dirname(path) !== root || inside.startsWith('..') || isAbsolute(inside)) {
    throw new CovetError('MIGRATION_PATH_INVALID', `Migration file ${JSON.stringify(name)} would be outside ${root}`);
  }
  await mkdir(root, { recursive: true });
  try {
    // 'wx' creates the file or fails if anything (even a dangling symlink) is already there.
    await writeFile(path, source, { encoding: 'utf8', flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CovetError('MIGRATION_FILE_EXISTS', `Migration file already exists (${join(directory, `${name}.ts`)})`, {
        hint: 'Choose another --name, or delete the file if you meant to replace it.',
        cause: error,
      });
    }
    throw new CovetError('MIGRATION_WRITE_FAILED', `Could not write migration file: ${(error as Error).message} (${path})`, {
      cause: error,
    });
  }
  return path;
}
