// What the engine tests share: a project below test/.tmp that lists '@covet/plugin-objects' by
// package name (linked into its node_modules, as a package manager installs it), run with the
// real `covet` binary; the model file (a users table and some views); and the loop every engine
// runs: create, replace, drop and roll back a model view, reading the database after each step.
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DatabaseConfig } from '@covet/core/dialect';
import { createCliProject, type CliProject, type CliRunResult } from '@covet/core/testing';
import { expect } from 'vitest';

const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(dirname(createRequire(import.meta.url).resolve('@covet/cli/package.json')), 'bin', 'covet.cjs');

export const FIRST = "SELECT id, 'first' AS version FROM users WHERE active";
export const SECOND = "SELECT id, 'second' AS version FROM users WHERE active";

/** A model file: the users table and, for each entry, `defineView(name, sql, options)`. */
export function models(views: readonly (readonly [name: string, sql: string, options?: { materialized: boolean }])[] = []): string {
  return [
    "import { defineTable, t } from '@covet/core';",
    "import { defineView } from '@covet/plugin-objects';",
    '',
    "export const users = defineTable('users', { id: t.serial().primaryKey(), active: t.boolean().notNull().default(true) });",
    ...views.map(([name, sql, options], index) => `export const view${index} = defineView(${JSON.stringify(name)}, ${JSON.stringify(sql)}${options ? `, ${JSON.stringify(options)}` : ''});`),
    '',
  ].join('\n');
}

/** A project on `database` listing the plugin by name, with `files`. */
export function objectsProject(database: DatabaseConfig, files: Record<string, string>): CliProject {
  const project = createCliProject({
    bin: BIN,
    root: join(PACKAGE_DIR, 'test', '.tmp'),
    config: { database, models: './models', plugins: ['@covet/plugin-objects'] },
    files,
  });
  mkdirSync(project.path('node_modules', '@covet'), { recursive: true });
  symlinkSync(PACKAGE_DIR, project.path('node_modules', '@covet', 'plugin-objects'), 'dir');
  return project;
}

/** Runs `covet ...argv` and expects exit 0, showing the output otherwise. */
export function runOk(project: CliProject, ...argv: string[]): CliRunResult {
  const result = project.run(...argv);
  expect(result.code, `covet ${argv.join(' ')}: ${result.stdout}${result.stderr}`).toBe(0);
  return result;
}

const migrationName = (project: CliProject, index: number) => project.migrationFiles()[index]!.replace(/\.ts$/, '');
const source = (project: CliProject, index: number) => readFileSync(project.path('migrations', project.migrationFiles()[index]!), 'utf8');

/** How one engine's test reads the view back: its stored definition, or undefined when there is none. */
export interface ViewsLoopOptions {
  readonly database: DatabaseConfig;
  view(project: CliProject, name: string): Promise<string | undefined>;
  /** What the stored definition of FIRST / SECOND contains on this engine (engines rewrite the SQL). */
  readonly first: RegExp;
  readonly second: RegExp;
}

/**
 * Creates, replaces and drops the model view `active_users` through `makemigrations` and
 * `migrate`; each rollback restores the old definition; the written files import the plugin.
 */
export async function viewsLoop(options: ViewsLoopOptions): Promise<CliProject> {
  const project = objectsProject(options.database, { 'models/app.ts': models([['active_users', FIRST]]) });
  const view = () => options.view(project, 'active_users');

  expect(runOk(project, 'makemigrations', '--name', 'initial').stdout).toContain('Create view active_users');
  const initial = source(project, 0);
  expect(initial).toContain("import { objects } from '@covet/plugin-objects';");
  expect(initial).toContain(`objects.createView("active_users", ${JSON.stringify(FIRST)})`);
  // The view comes after the table it reads.
  expect(initial.indexOf('op.createTable')).toBeLessThan(initial.indexOf('objects.createView'));
  runOk(project, 'migrate');
  expect(await view()).toMatch(options.first);
  expect(runOk(project, 'makemigrations').stdout.trim()).toBe('No changes detected.');
  // Against the live tables, with the views of the migrations (introspectors read tables only).
  expect(runOk(project, 'makemigrations', '--from', 'database').stdout.trim()).toBe('No changes detected.');

  // A changed SELECT: a replace, whose reverse is the old definition.
  project.write('models/app.ts', models([['active_users', SECOND]]));
  expect(runOk(project, 'makemigrations', '--name', 'second').stdout).toContain('Replace view active_users');
  expect(source(project, 1)).toContain(`objects.replaceView("active_users", ${JSON.stringify(SECOND)})`);
  runOk(project, 'migrate');
  expect(await view()).toMatch(options.second);

  // Removed from the models: a drop; its reverse, from the state before it, re-creates the view.
  project.write('models/app.ts', models());
  expect(runOk(project, 'makemigrations', '--name', 'drop_view').stdout).toContain('Drop view active_users');
  expect(source(project, 2)).toContain('objects.dropView("active_users")');
  expect(runOk(project, 'sqlmigrate', migrationName(project, 2), '--backwards').stdout).toContain('AS ' + SECOND);
  runOk(project, 'migrate');
  expect(await view()).toBeUndefined();

  runOk(project, 'rollback');
  expect(await view()).toMatch(options.second);
  expect(runOk(project, 'makemigrations').stdout.trim()).toBe('No changes detected.');
  runOk(project, 'rollback');
  expect(await view()).toMatch(options.first);
  runOk(project, 'rollback');
  expect(await view()).toBeUndefined();
  runOk(project, 'migrate');
  expect(await view()).toBeUndefined();
  expect(project.migrationFiles()).toHaveLength(3);
  return project;
}

/** The model file of {@link keptViewAroundAlter}: users.name of `type`, and a view reading it. */
const namesModels = (type: string) =>
  [
    "import { defineTable, t } from '@covet/core';",
    "import { defineView } from '@covet/plugin-objects';",
    `export const users = defineTable('users', { id: t.serial().primaryKey(), name: ${type} });`,
    "export const names = defineView('names', 'SELECT id, name FROM users');",
    '',
  ].join('\n');

/**
 * A view kept in the models while users.name widens from varchar(50) to text: the migration
 * drops it before the change and creates it after; migrate and rollback both succeed and leave
 * the view in place.
 */
export async function keptViewAroundAlter(database: DatabaseConfig, view: (project: CliProject, name: string) => Promise<string | undefined>): Promise<CliProject> {
  const project = objectsProject(database, { 'models/app.ts': namesModels('t.varchar(50)') });
  runOk(project, 'makemigrations', '--name', 'initial');
  runOk(project, 'migrate');
  project.write('models/app.ts', namesModels('t.text()'));
  const detected = runOk(project, 'makemigrations', '--name', 'name_text').stdout;
  expect(detected.indexOf('Drop view names')).toBeGreaterThan(-1);
  expect(detected.indexOf('Drop view names')).toBeLessThan(detected.indexOf('Alter column users.name'));
  expect(detected.indexOf('Alter column users.name')).toBeLessThan(detected.indexOf('Create view names'));
  runOk(project, 'migrate');
  expect(await view(project, 'names')).toBeDefined();
  runOk(project, 'rollback');
  expect(await view(project, 'names')).toBeDefined();
  expect(runOk(project, 'makemigrations').stdout.trim()).toBe('No changes detected.');
  return project;
}
