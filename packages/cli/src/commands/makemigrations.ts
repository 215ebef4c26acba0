import { join } from 'node:path';
import {
  CovetError,
  MigrationEngine,
  loadModels,
  replayMigrations,
  targetState,
  type ColumnState,
  type Operation,
  type SchemaState,
} from '@covet/core';
import { migrationName, renderMigration, suggestLabel, writeMigrationFile } from '@covet/writer-ts';
import type { Output } from '../output.js';
import type { Project } from '../project.js';

/** Options of `covet makemigrations`. */
export interface MakeMigrationsOptions {
  readonly name?: string;
  readonly empty?: boolean;
  readonly app?: string;
  readonly dryRun?: boolean;
  /** Compare the models with the migration files (default) or with the live database. */
  readonly from?: 'migrations' | 'database';
}

/** What `makemigrations` did. */
export interface MakeMigrationsResult {
  readonly operations: readonly Operation[];
  readonly file?: string;
  readonly source?: string;
}

/**
 * Compares an app's models with its migrations (or the live database) and writes a new
 * migration file with the operations that bring the schema to the models.
 */
export async function makeMigrations(project: Project, options: MakeMigrationsOptions, output: Output): Promise<MakeMigrationsResult> {
  const c = output.colors;
  const appName = options.app ?? project.config.app;
  const app = project.config.apps.find((candidate) => candidate.name === appName);
  if (!app) throw new CovetError('APP_UNKNOWN', `Unknown app "${appName}" (--app)`);
  // A bad --name is refused before any work, whether or not there turn out to be changes.
  if (options.name !== undefined) migrationName(options.name);
  const graph = await project.migrations();
  const migrations = await Promise.all(graph.order().map((entry) => entry.load()));
  const replayed = replayMigrations(migrations, project.covet.operations);

  let operations: Operation[] = [];
  if (!options.empty) {
    if (app.models.length === 0) {
      throw new CovetError('MODELS_MISSING', `App "${app.name}" has no models configured (${project.config.configFile ?? 'configuration'})`, {
        hint: 'Set "models" in covet.config.ts to a file, folder or glob of your table definitions.',
      });
    }
    // Models may reference tables of other apps: those come from the migrations.
    const models = await loadModels(app.models, project.config.rootDir, { context: replayed.state });
    let current: SchemaState = replayed.state;
    let normalizeColumn: ((column: ColumnState) => ColumnState) | undefined;
    if (options.from === 'database') {
      current = await (await project.connect()).introspector.introspect();
      normalizeColumn = project.dialect.normalizeColumn?.bind(project.dialect);
    }
    const target = targetState(current, replayed.owners, app.name, models);
    const engine = new MigrationEngine({
      operations: project.covet.operations,
      capabilities: project.dialect.capabilities,
      ...(normalizeColumn ? { normalizeColumn } : {}),
    });
    operations = [
      ...(await project.covet.hooks.processChanges.promise(engine.detectChanges(current, target), {
        app: app.name,
        from: current,
        to: target,
      })),
    ];
    if (operations.length === 0) {
      output.line(`No changes detected${options.app ? ` in app ${app.name}` : ''}.`);
      return { operations };
    }
  }

  const name = migrationName(options.name ?? (options.empty ? 'custom' : suggestLabel(operations)), nextTimestamp(graph, app.name));
  const dependencies = dependenciesOf(graph, app.name, operations, replayed.owners);
  output.line(`${c.bold(`Migrations for ${app.name}`)}:`);
  output.line(`  ${c.cyan(name)}`);
  for (const operation of operations) {
    output.line(`    - ${project.covet.operations.get(operation.kind).describe(operation.args)}`);
  }
  const source = renderMigration({ operations, dependencies, registry: project.covet.operations });
  const file = await project.covet.hooks.processMigrationFile.promise(
    { path: join(app.migrationsDir, `${name}.ts`), source },
    { app: app.name, name, operations },
  );
  if (options.dryRun) {
    output.line(c.dim('(dry run: nothing written)'));
    return { operations, source: file.source };
  }
  const written = await writeMigrationFile({ directory: app.migrationsDir, name, source: file.source });
  output.line(`  ${c.green('wrote')} ${written}`);
  return { operations, file: written, source: file.source };
}

/** The app's latest migrations, plus those of other apps whose tables the operations reference. */
function dependenciesOf(
  graph: Awaited<ReturnType<Project['migrations']>>,
  app: string,
  operations: readonly Operation[],
  owners: ReadonlyMap<string, string>,
): string[] {
  const dependencies = graph.leaves(app).map((entry) => entry.name);
  const otherApps = new Set<string>();
  const visit = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === 'object' && value !== null) {
      for (const [key, member] of Object.entries(value)) {
        if (key === 'references' && typeof member === 'object' && member !== null) {
          const owner = owners.get((member as { table: string }).table);
          if (owner !== undefined && owner !== app) otherApps.add(owner);
        }
        visit(member);
      }
    }
  };
  operations.forEach((operation) => visit(operation.args));
  for (const other of [...otherApps].sort()) {
    for (const entry of graph.leaves(other)) dependencies.push(`${other}:${entry.name}`);
  }
  return dependencies;
}

/**
 * Now, or one second after the app's newest migration if that is not earlier, so names keep
 * sorting in creation order even when two are made within a second.
 */
function nextTimestamp(graph: Awaited<ReturnType<Project['migrations']>>, app: string): Date {
  const now = new Date();
  const newest = graph
    .order()
    .filter((entry) => entry.app === app)
    .map((entry) => /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)_/.exec(entry.name))
    .filter((match): match is RegExpExecArray => match !== null)
    .map(([, y, mo, d, h, mi, s]) => Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)))
    .reduce((latest, time) => Math.max(latest, time), 0);
  return newest >= Math.floor(now.getTime() / 1000) * 1000 ? new Date(newest + 1000) : now;
}
