import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, relative, resolve } from 'node:path';
import { CovetError, replayMigrations, type TableState } from '@covet/core';
import { renderModels } from '@covet/writer-ts';
import type { Output } from '../output.js';
import type { Project } from '../project.js';

/** Options of `covet inspectdb`. */
export interface InspectDbOptions {
  /** The folder to write to; default the app's models folder, else `models`. */
  readonly out?: string;
  /** Overwrite model files that exist. */
  readonly force?: boolean;
  /** Print what would be written, write nothing. */
  readonly dryRun?: boolean;
  readonly app?: string;
}

/** What `inspectdb` wrote: one file per table. */
export interface InspectDbResult {
  readonly files: readonly { readonly table: string; readonly file: string; readonly exact: boolean }[];
}

/** A file name for a table: characters a file system may refuse become `_`, and names that differ only by case get a suffix. */
function fileNames(tables: readonly string[]): Map<string, string> {
  const taken = new Set<string>();
  const names = new Map<string, string>();
  for (const table of tables) {
    const base = table.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_') || '_';
    let name = base;
    for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${base}_${n}`;
    taken.add(name.toLowerCase());
    names.set(table, `${name}.ts`);
  }
  return names;
}

/** The app's models folder when it names one folder (not a file or a glob), else `<root>/models`. */
function defaultFolder(project: Project, appName: string): string {
  const app = project.config.apps.find((candidate) => candidate.name === appName);
  const only = app?.models.length === 1 ? app.models[0]! : undefined;
  if (only !== undefined && !/[*?[\]{}]/.test(only) && extname(only) === '' && !(existsSync(only) && !statSync(only).isDirectory())) return only;
  return join(project.config.rootDir, 'models');
}

/**
 * Writes model files from the live database (Django's `inspectdb`, Prisma's `db pull`): one
 * `defineTable` per table, one file per table, such that `makemigrations --from database`
 * then finds no change. Objects the models cannot hold (views, triggers, routines, enum
 * types, CHECK constraints, expression indexes) are listed, not written, and so are tables
 * another app's migrations created. Refuses to overwrite
 * a file unless `force`, before writing anything.
 */
export async function inspectDb(project: Project, options: InspectDbOptions, output: Output): Promise<InspectDbResult> {
  const c = output.colors;
  const appName = options.app ?? project.config.app;
  if (!project.config.apps.some((app) => app.name === appName)) throw new CovetError('APP_UNKNOWN', `Unknown app "${appName}" (--app)`);
  const folder = options.out !== undefined ? resolve(process.cwd(), options.out) : defaultFolder(project, appName);
  const state = await (await project.connect()).introspector.introspect();
  // Tables another app's migrations created are that app's models, not this one's.
  const graph = await project.migrations();
  const { owners } = replayMigrations(await Promise.all(graph.order().map((entry) => entry.load())), project.covet.operations);
  const others = Object.keys(state.tables).filter((name) => (owners.get(name) ?? appName) !== appName);
  const tables = Object.keys(state.tables)
    .filter((name) => !others.includes(name))
    .sort()
    .map((name) => state.tables[name]!) as TableState[];
  if (others.length > 0) output.line(`Left out, as other apps' migrations own them: ${others.sort().join(', ')}`);
  if (tables.length === 0) {
    output.line('No tables found in the database.');
    return { files: [] };
  }
  const names = fileNames(tables.map((table) => table.name));
  const files = tables.map((table) => ({ table, file: join(folder, names.get(table.name)!) }));
  if (!options.force && !options.dryRun) {
    const existing = files.filter(({ file }) => existsSync(file));
    if (existing.length > 0) {
      throw new CovetError('MODELS_EXIST', `${existing.length} model file(s) exist already, e.g. ${relative(process.cwd(), existing[0]!.file)} (inspectdb)`, {
        hint: 'Write elsewhere with --out DIR, or overwrite them with --force.',
      });
    }
  }
  const result: { table: string; file: string; exact: boolean }[] = [];
  const taken = new Set<string>();
  const sources = files.map(({ table, file }) => {
    const { source, models } = renderModels([table], taken);
    taken.add(models[0]!.identifier);
    result.push({ table: table.name, file, exact: models[0]!.exact });
    return { file, source };
  });
  output.line(`${c.bold('Models from the database')}: ${tables.length} table(s) into ${relative(process.cwd(), folder) || '.'}`);
  if (!options.dryRun) {
    mkdirSync(folder, { recursive: true });
    for (const { file, source } of sources) writeFileSync(file, source);
  }
  for (const { table, file, exact } of result) {
    output.line(`  ${options.dryRun ? c.dim('would write') : c.green('wrote')} ${relative(process.cwd(), file)}${exact ? '' : c.yellow(` (${table}: nearest the model DSL can say)`)}`);
  }
  const unmanaged = state.unmanaged ?? [];
  if (unmanaged.length > 0) {
    const listing = unmanaged.map((object) => `${object.kind} ${object.name}${object.table ? ` (${object.table})` : ''}`).join(', ');
    output.line(`  ${c.yellow(`Not in the models (Covet does not manage them): ${listing}`)}`);
  }
  if (options.dryRun) output.line(c.dim('(dry run: nothing written)'));
  else output.line(`Next: point "models" at them, run ${c.cyan('covet makemigrations --name initial')}, then ${c.cyan('covet migrate --fake-initial')} on this database.`);
  return { files: result };
}
