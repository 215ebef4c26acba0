import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
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
 * through a migrations folder or file writable by everyone. One line each, naming the path,
 * its mode and the fix. (Nothing on Windows, whose permissions are not mode bits.)
 */
export function permissionProblems(config: ResolvedConfig): string[] {
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
    let names: string[] = [];
    try {
      names = readdirSync(folder);
    } catch {
      continue;
    }
    for (const name of names) {
      const path = join(folder, name);
      const fileMode = modeOf(path);
      if (fileMode !== undefined && fileMode & 0o002 && !name.startsWith('.')) {
        problems.push(`The migration file ${path} is writable by every user (mode ${octal(fileMode)}): anyone could change what migrate runs; run chmod o-w on it`);
      }
    }
  }
  return problems;
}
