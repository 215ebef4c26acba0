import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ResolvedConfig } from '@covet/core';

/** A password written into a config file: a URL with one, or a `password` key with a literal. */
const PASSWORD_IN_TEXT = [/\/\/[^:/?#\s@'"`]+:[^@\s'"`/]+@/, /password['"]?\s*[:=]\s*(['"`])[^'"`]+\1/i];

/** The mode bits of a path, or undefined when it cannot be read. */
function modeOf(path: string): number | undefined {
  try {
    return statSync(path).mode;
  } catch {
    return undefined;
  }
}

const octal = (mode: number) => (mode & 0o777).toString(8).padStart(3, '0');

/**
 * What the file permissions of a project let other users of the machine do that they should
 * not: read a password from a config file readable by everyone, or change what `migrate` runs
 * through a migrations folder writable by everyone. One line each, naming the path, its mode
 * and the fix. (Nothing on Windows, whose permissions are not mode bits.) The migration files
 * themselves are checked when they are about to be evaluated ({@link migrationFileProblems}),
 * or here with `files: true`: a no-op run that evaluates none stats none of them.
 */
export function permissionProblems(config: ResolvedConfig, options: { files?: boolean } = {}): string[] {
  if (process.platform === 'win32') return [];
  const problems: string[] = [];
  const file = config.configFile;
  const configMode = file === undefined ? undefined : modeOf(file);
  if (file !== undefined && configMode !== undefined && configMode & 0o004) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // Unreadable now: nothing to say about what it holds.
    }
    if (PASSWORD_IN_TEXT.some((pattern) => pattern.test(text))) {
      problems.push(
        `${file} holds a password and is readable by every user (mode ${octal(configMode)}): run chmod o-r on it, or take the password from the environment (DB_PASSWORD, DATABASE_URL)`,
      );
    }
  }
  const folders = [...new Set(config.apps.map((app) => app.migrationsDir))];
  for (const folder of folders) {
    const mode = modeOf(folder);
    if (mode === undefined) continue;
    if (mode & 0o002) {
      problems.push(`The migrations folder ${folder} is writable by every user (mode ${octal(mode)}): anyone could add a migration that migrate runs; run chmod o-w on it`);
    }
    if (options.files) problems.push(...folderFileProblems(folder, () => true));
  }
  return problems;
}

/**
 * The problems of migration files about to be evaluated (`files`), and of the other files of
 * their folders that are not migrations (`found` lists every migration file): the helpers a
 * migration may import. A migration file not evaluated (its applied text unchanged) cannot
 * change what a run does, so it is not looked at.
 */
export function migrationFileProblems(files: readonly string[], found: readonly string[]): string[] {
  if (process.platform === 'win32' || files.length === 0) return [];
  const evaluated = new Set(files);
  const migrations = new Set(found);
  const problems: string[] = [];
  for (const folder of new Set(files.map((file) => dirname(file)))) {
    problems.push(...folderFileProblems(folder, (path) => evaluated.has(path) || !migrations.has(path)));
  }
  return problems;
}

/** The files of `folder` that `wanted` selects and that are writable by every user. */
function folderFileProblems(folder: string, wanted: (path: string) => boolean): string[] {
  let names: string[] = [];
  try {
    names = readdirSync(folder);
  } catch {
    return [];
  }
  const problems: string[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const path = join(folder, name);
    if (!wanted(path)) continue;
    const fileMode = modeOf(path);
    if (fileMode !== undefined && fileMode & 0o002) {
      problems.push(`The migration file ${path} is writable by every user (mode ${octal(fileMode)}): anyone could change what migrate runs; run chmod o-w on it`);
    }
  }
  return problems;
}
