import { join } from 'node:path';
import {
  CovetError,
  MigrationEngine,
  identifierRulesOf,
  loadModels,
  replayMigrations,
  targetState,
  type ColumnState,
  type Operation,
  type RenameCandidate,
  type SchemaState,
  type TableState,
  type MigrationEntry,
  type MigrationGraph,
  MigrationRunner,
  branchesOf,
  changedObjects,
  conflictError,
  describeError,
  findConflicts,
  isDestructive,
  missingFilesError,
  overlappingChanges,
} from '@covet/core';
import { migrationName, renderMigration, suggestLabel, writeMigrationFile } from '@covet/writer-ts';
import { importPrompts } from '../imports.js';
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
  /** Confirmed renames: `table.old=new` for a column, `old=new` for a table. */
  readonly renames?: readonly string[];
  /**
   * Candidates that are not renames (drop the old, add the new; the old one's data is lost):
   * `table.old` or `table.old=new` for a column, `old` or `old=new` for a table.
   */
  readonly notRenamed?: readonly string[];
  /** Ask about possible renames (default: when both stdin and stdout are terminals). */
  readonly interactive?: boolean;
  /** Write nothing; fail (exit 1) when the models have changes no migration holds yet (for CI). */
  readonly check?: boolean;
  /** Join the app's branches (more than one latest migration) with a migration depending on each. */
  readonly merge?: boolean;
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
  if (options.merge) return mergeBranches(project, app.name, graph, options, output);
  // Branched history first: replaying both branches may itself fail, and a new migration would
  // silently depend on both.
  const conflicts = findConflicts(graph, options.app !== undefined ? [app.name] : undefined);
  if (conflicts.length > 0) throw conflictError(conflicts);
  await refuseMissingFiles(project, graph, output);
  const migrations = await Promise.all(graph.order().map((entry) => entry.load()));
  const replayed = replayMigrations(migrations, project.covet.operations);

  let operations: Operation[] = [];
  // The schema the new migration starts from: the migrations' (or, with --from database, the live one).
  let current: SchemaState = replayed.state;
  if (!options.empty) {
    if (app.models.length === 0) {
      throw new CovetError('MODELS_MISSING', `App "${app.name}" has no models configured (${project.config.configFile ?? 'configuration'})`, {
        hint: 'Set "models" in covet.config.ts to a file, folder or glob of your table definitions.',
      });
    }
    // Models may reference tables of other apps: those come from the migrations.
    const models = await loadModels(app.models, project.config.rootDir, { context: replayed.state, covet: project.covet, app: app.name });
    let normalizeColumn: ((column: ColumnState) => ColumnState) | undefined;
    let normalizeTable: ((table: TableState) => TableState) | undefined;
    if (options.from === 'database') {
      const live = await (await project.connect()).introspector.introspect();
      // Introspectors read tables only: the plugin state is the migrations'.
      current = replayed.state.plugins === undefined ? live : { ...live, plugins: replayed.state.plugins };
      normalizeColumn = project.dialect.normalizeColumn?.bind(project.dialect);
      normalizeTable = project.dialect.normalizeTable?.bind(project.dialect);
    }
    const target = targetState(current, replayed.owners, app.name, models, replayed.objectOwners);
    const engine = new MigrationEngine({
      operations: project.covet.operations,
      capabilities: project.dialect.capabilities,
      identifierRules: identifierRulesOf(project.dialect),
      ...(normalizeColumn ? { normalizeColumn } : {}),
      ...(normalizeTable ? { normalizeTable } : {}),
    });
    // --check never asks: it runs in CI, and a candidate is reported like any change.
    const renames = await decideRenames(engine.renameCandidates(current, target), options.check ? { ...options, interactive: false } : options, output);
    operations = [
      ...(await project.covet.hooks.processChanges.promise(engine.detectChanges(current, target, { renames }), {
        report: project.covet.reporter,
        app: app.name,
        from: current,
        to: target,
      })),
    ];
    engine.checkPluginChanges(current, target, operations);
    if (operations.length === 0) {
      output.line(`No changes detected${options.app ? ` in app ${app.name}` : ''}.`);
      return { operations };
    }
  }

  if (options.check) {
    const listing = operations.map((operation) => project.covet.operations.get(operation.kind).describe(operation.args)).join('; ');
    throw new CovetError('CHANGES_PENDING', `The models of ${app.name} have ${operations.length} change(s) without a migration: ${listing}`, {
      hint: 'Run covet makemigrations and commit the migration it writes.',
    });
  }
  const name = migrationName(options.name ?? (options.empty ? 'custom' : suggestLabel(operations)), nextTimestamp(graph, app.name));
  const dependencies = dependenciesOf(graph, app.name, operations, replayed.owners);
  output.line(`${c.bold(`Migrations for ${app.name}`)}:`);
  output.line(`  ${c.cyan(name)}`);
  const lossy: string[] = [];
  // Each operation is judged against the schema just before it: widening a column loses nothing.
  let state = current;
  for (const operation of operations) {
    const definition = project.covet.operations.get(operation.kind);
    const destructive = isDestructive(definition, operation.args, state);
    const description = definition.describe(operation.args);
    if (destructive) lossy.push(description);
    output.line(`    - ${description}${destructive ? c.yellow(' (may lose data)') : ''}`);
    try {
      state = definition.applyToState(state, operation.args);
    } catch {
      // A plugin's operation that cannot apply to this state: what follows is judged without it.
    }
  }
  if (lossy.length > 0) {
    // On stdout, with the file: a reviewer reading the output of a CI job sees it.
    output.line(`  ${c.yellow(`${lossy.length} operation(s) may lose data:`)} ${lossy.join('; ')}`);
  }
  const source = renderMigration({ operations, dependencies, registry: project.covet.operations, template: options.empty === true });
  const file = await project.covet.hooks.processMigrationFile.promise(
    { path: join(app.migrationsDir, `${name}.ts`), source },
    { report: project.covet.reporter, app: app.name, name, operations },
  );
  if (options.dryRun) {
    output.line(c.dim('(dry run: nothing written)'));
    return { operations, source: file.source };
  }
  const written = await writeMigrationFile({ directory: app.migrationsDir, name, source: file.source });
  output.line(`  ${c.green('wrote')} ${written}`);
  return { operations, file: written, source: file.source };
}

/**
 * Stops when the database records applied migrations whose files are gone: the migrations no
 * longer describe the schema, so a diff against them would propose to create what exists
 * (Django checks the same). Needs a database: without one configured (a dry run or --check),
 * or when it cannot be reached, a warning says it was not checked.
 */
async function refuseMissingFiles(project: Project, graph: MigrationGraph<MigrationEntry>, output: Output): Promise<void> {
  if (project.config.databaseSource === 'none') return;
  let gone: string[];
  try {
    const connection = await project.connect();
    const runner = new MigrationRunner({ covet: project.covet, dialect: project.dialect, connection, migrations: graph });
    gone = (await runner.status()).filter((row) => row.missingFile).map((row) => `${row.app}:${row.name}`);
  } catch (error) {
    output.error(`${output.colors.yellow('warning:')} the applied migrations were not compared with the files: ${describeError(error)}`);
    return;
  }
  if (gone.length > 0) throw missingFilesError(gone);
}

/**
 * `makemigrations --merge` (Django's): when the app has more than one latest migration, writes
 * a migration that depends on each and has no operations. Branches that change the same
 * table, column, index or key are refused: applied in one order or the other they would leave
 * different schemas, so a person settles it first.
 */
async function mergeBranches(
  project: Project,
  appName: string,
  graph: MigrationGraph<MigrationEntry>,
  options: MakeMigrationsOptions,
  output: Output,
): Promise<MakeMigrationsResult> {
  const c = output.colors;
  const registry = project.covet.operations;
  const [conflict] = findConflicts(graph, [appName]);
  if (!conflict) {
    output.line(`No branches to merge in app ${appName}.`);
    return { operations: [] };
  }
  const { base, branches } = branchesOf(graph, appName);
  const baseMigrations = await Promise.all(base.map((entry) => entry.load()));
  const baseState = replayMigrations(baseMigrations, registry).state;
  const changes = new Map<string, Set<string>>();
  output.line(`${c.bold(`Merging ${appName}`)}:`);
  for (const branch of branches) {
    const migrations = await Promise.all(branch.migrations.map((entry) => entry.load()));
    changes.set(branch.leaf.name, changedObjects(baseState, replayMigrations([...baseMigrations, ...migrations], registry).state));
    output.line(`  Branch ${c.cyan(branch.leaf.name)}:`);
    for (const migration of migrations) {
      for (const operation of migration.operations) output.line(`    - ${migration.name}: ${registry.get(operation.kind).describe(operation.args)}`);
    }
  }
  const overlaps = overlappingChanges(changes);
  if (overlaps.length > 0) {
    const listing = overlaps.map((overlap) => `${overlap.object} (${overlap.branches.join(', ')})`).join('; ');
    throw new CovetError('MERGE_CONFLICT', `Branches of app ${appName} change the same objects: ${listing}; nothing was written`, {
      hint: 'Applied in either order they would leave different schemas: change one branch (if no database applied it yet), or write the merge migration by hand with dependencies on each branch.',
    });
  }
  const name = migrationName(options.name ?? 'merge', nextTimestamp(graph, appName));
  const dependencies = conflict.leaves.map((leaf) => leaf.name);
  const source = renderMigration({ operations: [], dependencies, registry });
  const directory = project.config.apps.find((app) => app.name === appName)!.migrationsDir;
  const file = await project.covet.hooks.processMigrationFile.promise(
    { path: join(directory, `${name}.ts`), source },
    { report: project.covet.reporter, app: appName, name, operations: [] },
  );
  output.line(`${c.bold(`Migrations for ${appName}`)}:`);
  output.line(`  ${c.cyan(name)} (merges ${dependencies.join(', ')})`);
  if (options.dryRun) {
    output.line(c.dim('(dry run: nothing written)'));
    return { operations: [], source: file.source };
  }
  const written = await writeMigrationFile({ directory, name, source: file.source });
  output.line(`  ${c.green('wrote')} ${written}`);
  return { operations: [], file: written, source: file.source };
}

/** Parses `--rename` values: `table.old=new` renames a column, `old=new` a table. */
export function parseRenames(values: readonly string[]): RenameCandidate[] {
  return values.map((value) => {
    // Any legal name (spaces, unicode, ...); the first "." splits table from column.
    const match = /^([^.=]+)(?:\.([^=]+))?=(.+)$/.exec(value);
    if (!match) {
      throw new CovetError('OPTION_INVALID', `--rename takes table.old=new or old=new, got ${JSON.stringify(value)}`);
    }
    const [, first, second, to] = match as unknown as [string, string, string | undefined, string];
    return second === undefined ? { kind: 'table' as const, from: first, to } : { kind: 'column' as const, table: first, from: second, to };
  });
}

/**
 * The candidates `--not-renamed` answers: `table.old` (or `old` for a table) answers every
 * candidate from it, `table.old=new` (`old=new`) one. A value that answers none is refused, so a
 * typo never turns into a silent drop.
 */
export function parseNotRenamed(values: readonly string[], candidates: readonly RenameCandidate[]): Set<RenameCandidate> {
  const answered = new Set<RenameCandidate>();
  for (const value of values) {
    const match = /^([A-Za-z_][A-Za-z0-9_$]*)(?:\.([A-Za-z_][A-Za-z0-9_$]*))?(?:=([A-Za-z_][A-Za-z0-9_$]*))?$/.exec(value);
    if (!match) {
      throw new CovetError('OPTION_INVALID', `--not-renamed takes table.column[=new] or table[=new], got ${JSON.stringify(value)}`);
    }
    const [, first, second, to] = match as unknown as [string, string, string | undefined, string | undefined];
    const matching = candidates.filter((candidate) =>
      second === undefined
        ? candidate.kind === 'table' && candidate.from === first && (to === undefined || candidate.to === to)
        : candidate.kind === 'column' && candidate.table === first && candidate.from === second && (to === undefined || candidate.to === to),
    );
    if (matching.length === 0) {
      throw new CovetError('OPTION_INVALID', `--not-renamed ${value} matches no possible rename`, {
        hint: candidates.length === 0 ? 'No column or table looks renamed: leave the flag out.' : `Possible renames: ${candidates.map(renameFlag).join(', ')}.`,
      });
    }
    for (const candidate of matching) answered.add(candidate);
  }
  return answered;
}

const describeCandidate = (candidate: RenameCandidate) =>
  `${candidate.kind === 'table' ? `Table ${candidate.from}` : `Column ${candidate.table}.${candidate.from}`} goes away and ${candidate.kind === 'table' ? candidate.to : `${candidate.table}.${candidate.to}`} appears with the same definition`;

function unansweredRenames(open: readonly RenameCandidate[]): CovetError {
  const [first] = open;
  const more = open.length > 1 ? ` (and ${open.length - 1} more possible rename(s))` : '';
  return new CovetError('RENAME_UNANSWERED', `${describeCandidate(first!)}: renamed or not? No terminal to ask${more}; nothing was written`, {
    hint: `Run again with ${open.map((candidate) => `--rename ${renameFlag(candidate)}`).join(' ')} if renamed, or with ${open
      .map((candidate) => `--not-renamed ${renameFlag(candidate)}`)
      .join(' ')} to drop and add (the old data is lost)`,
  });
}

const describeRename = (rename: RenameCandidate) =>
  rename.kind === 'table' ? `table ${rename.from} to ${rename.to}` : `column ${rename.table}.${rename.from} to ${rename.to}`;
const renameFlag = (rename: RenameCandidate) => (rename.kind === 'table' ? `${rename.from}=${rename.to}` : `${rename.table}.${rename.from}=${rename.to}`);

/**
 * The renames to make: those given with `--rename`, and the candidates a person confirms when
 * asked. Without a terminal nothing is guessed: each candidate is a warning saying how to
 * confirm it, since a drop and an add lose the data a rename keeps.
 */
async function decideRenames(candidates: readonly RenameCandidate[], options: MakeMigrationsOptions, output: Output): Promise<RenameCandidate[]> {
  const chosen = parseRenames(options.renames ?? []);
  const taken = (rename: RenameCandidate, side: 'from' | 'to') =>
    chosen.some((other) => other.kind === rename.kind && other.table === rename.table && other[side] === rename[side]);
  const refused = parseNotRenamed(options.notRenamed ?? [], candidates);
  const open = candidates.filter((candidate) => !taken(candidate, 'from') && !taken(candidate, 'to') && !refused.has(candidate));
  if (open.length === 0) return chosen;
  const interactive = options.interactive ?? (process.stdin.isTTY === true && process.stdout.isTTY === true);
  if (!interactive) {
    // Nobody to ask: writing a drop and an add would commit the data loss a rename avoids, so
    // stop and name both answers. A dry run or --check writes nothing and only warns.
    if (!options.dryRun && !options.check) throw unansweredRenames(open);
    for (const candidate of open) {
      output.error(
        `${output.colors.yellow('warning:')} ${describeCandidate(candidate)}; if it was renamed, run again with --rename ${renameFlag(candidate)}, otherwise with --not-renamed ${renameFlag(candidate)} (a drop loses its data)`,
      );
    }
    return chosen;
  }
  const prompts = await importPrompts();
  for (const candidate of open) {
    if (taken(candidate, 'from') || taken(candidate, 'to')) continue;
    const answer = await prompts.confirm({ message: `Did you rename ${describeRename(candidate)}?`, initialValue: false });
    if (prompts.isCancel(answer)) throw new CovetError('CANCELLED', 'makemigrations was cancelled; nothing was written');
    if (answer === true) chosen.push(candidate);
  }
  return chosen;
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
