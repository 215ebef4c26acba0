import { CovetError, findMigration, replayMigrations, type MigrationEntry, type MigrationGraph, type MigrationRunner, type SchemaState } from '@covet/core';
import type { JsonReport } from '../json-report.js';
import type { Output } from '../output.js';
import type { Project } from '../project.js';
import { createRunner, reportSummary, withSignals } from './run.js';
import { zeroTargetApp } from './targets.js';

/** Options of `covet migrate`. */
export interface MigrateCommandOptions {
  /**
   * Where to go: a migration (`NAME`, `app:NAME` or a unique prefix) or `zero` / `app:zero`.
   * A pending target is applied with its dependencies; an applied one stays applied and the
   * migrations of its app applied after it are rolled back (Django's `migrate app NAME`);
   * `zero` rolls back every migration of the app.
   */
  readonly target?: string;
  readonly fake?: boolean;
  /**
   * Record the initial migrations (no dependency in their own app) whose tables all exist
   * already, with the columns they create, as applied without running them; apply the rest.
   */
  readonly fakeInitial?: boolean;
  readonly dryRun?: boolean;
  readonly app?: string;
  /** Collects what the run did for `--json`. */
  readonly report?: JsonReport;
}

/**
 * Applies pending migrations (or up to a target, forwards or backwards), printing one line
 * per migration.
 */
export async function migrate(project: Project, options: MigrateCommandOptions, output: Output): Promise<void> {
  // SIGINT/SIGTERM stop the run at its next safe point (see withSignals).
  await withSignals(output, (signal) => runMigrate(project, options, output, signal));
}

async function runMigrate(project: Project, options: MigrateCommandOptions, output: Output, signal: AbortSignal): Promise<void> {
  const dryRun = options.dryRun === true;
  const fake = options.fake === true;
  if (options.fakeInitial && fake) throw new CovetError('OPTION_INVALID', 'Give --fake or --fake-initial, not both');
  if (options.fakeInitial && dryRun) {
    throw new CovetError('OPTION_INVALID', '--fake-initial cannot be combined with --dry-run', {
      hint: 'Check the existing tables with covet makemigrations --from database --dry-run instead.',
    });
  }
  const { report } = options;
  const defaultApp = options.app ?? project.config.app;
  const zeroApp = options.target === undefined ? undefined : zeroTargetApp(options.target, defaultApp);
  if (report) {
    report.app = zeroApp ?? options.app ?? null;
    report.set('database', project.describeDatabase());
    report.set('target', options.target ?? null);
    report.set('dryRun', dryRun);
    report.set('applied', []);
    report.set('rolledBack', []);
    if (dryRun) report.set('sql', []);
  }
  const runner = await createRunner(project, output, { dryRun, signal, ...(report ? { report } : {}) });
  const common = { fake, dryRun, defaultApp, ...(options.app !== undefined ? { app: options.app } : {}) };

  if (zeroApp !== undefined) {
    if (!project.config.apps.some((app) => app.name === zeroApp) && !(await runner.status()).some((row) => row.app === zeroApp)) {
      throw new CovetError('APP_UNKNOWN', `Unknown app "${zeroApp}" (migrate ${options.target})`);
    }
    const count = (await runner.status()).filter((row) => row.app === zeroApp && row.applied).length;
    if (!dryRun) output.line(`Rolling back ${project.describeDatabase()} to zero (app ${zeroApp})`);
    if (count === 0) {
      output.line('No migrations to roll back.');
      return;
    }
    reportSummary(await runner.rollback({ ...common, steps: count, app: zeroApp }), output, dryRun);
    return;
  }

  // The whole graph (every file evaluated) only for a target or --fake-initial: a plain
  // migrate leaves it to the runner, which evaluates only files the tracking table cannot vouch for.
  if (options.target !== undefined) {
    const graph = await project.migrations();
    const target = findMigration(graph, options.target, defaultApp, `migrate ${options.target}`);
    if (report) report.app = target.app;
    const later = await appliedAfter(runner, graph, target);
    if (later.length > 0) {
      // Django's `migrate app NAME` on an applied NAME: roll back what came after it.
      if (!dryRun) output.line(`Rolling back ${project.describeDatabase()} to ${target.id}`);
      reportSummary(await runner.rollback({ ...common, to: target.id, app: target.app }), output, dryRun);
      return;
    }
  }
  if (!dryRun) output.line(`Migrating ${project.describeDatabase()}`);
  if (options.fakeInitial) await fakeInitial(project, runner, await project.migrations(), options, output);
  reportSummary(await runner.migrate({ ...common, ...(options.target !== undefined ? { target: options.target } : {}) }), output, dryRun);
}

/** The migrations of `target`'s app applied after it: applied, and not `target` or one of its dependencies. */
async function appliedAfter(runner: MigrationRunner, graph: MigrationGraph<MigrationEntry>, target: MigrationEntry): Promise<string[]> {
  const status = await runner.status();
  if (!status.some((row) => row.app === target.app && row.name === target.name && row.applied)) return [];
  const kept = new Set(graph.ancestors(target.id).map((entry) => entry.id));
  return status.filter((row) => row.app === target.app && row.applied && !kept.has(`${row.app}:${row.name}`)).map((row) => `${row.app}:${row.name}`);
}

/**
 * `--fake-initial` (Django's semantics): each pending initial migration (none of its
 * dependencies is in its own app) whose created tables all exist in the database, with the
 * columns the migrations give them, and whose added columns all exist, is recorded as applied
 * without running; one whose tables and columns all are missing is left to run. Anything in
 * between is refused before anything runs: the database is not what the migration creates.
 */
async function fakeInitial(
  project: Project,
  runner: MigrationRunner,
  graph: MigrationGraph<MigrationEntry>,
  options: MigrateCommandOptions,
  output: Output,
): Promise<void> {
  const applied = new Set((await runner.status()).filter((row) => row.applied).map((row) => `${row.app}:${row.name}`));
  let candidates: readonly MigrationEntry[] = graph.order();
  if (options.target !== undefined) {
    candidates = graph.ancestors(findMigration(graph, options.target, options.app ?? project.config.app, `migrate ${options.target}`).id);
  } else if (options.app !== undefined) {
    const wanted = new Set(graph.leaves(options.app).flatMap((leaf) => graph.ancestors(leaf.id).map((entry) => entry.id)));
    candidates = candidates.filter((entry) => wanted.has(entry.id));
  }
  const initial = candidates.filter(
    (entry) => !applied.has(entry.id) && !entry.dependencies.some((dependency) => graph.get(dependency)?.app === entry.app),
  );
  if (initial.length === 0) return;
  const live = await (await project.connect()).introspector.introspect();
  const toFake: MigrationEntry[] = [];
  for (const entry of initial) {
    if (await matchesDatabase(project, graph, entry, live)) toFake.push(entry);
  }
  const c = output.colors;
  for (const entry of toFake) {
    // Its pending dependencies (of other apps) run for real first, so only it is faked.
    for (const dependency of entry.dependencies) {
      if (!applied.has(dependency)) {
        for (const migration of (await runner.migrate({ target: dependency })).migrations) applied.add(migration.id);
      }
    }
    output.line(c.dim(`  ${entry.id}: its tables exist already (--fake-initial)`));
    await runner.migrate({ target: entry.id, fake: true });
    applied.add(entry.id);
  }
}

/**
 * Whether an initial migration's tables and columns are all in the database already (fake
 * it), or none of them (run it); throws when only some are, or when a table's columns differ.
 */
async function matchesDatabase(project: Project, graph: MigrationGraph<MigrationEntry>, entry: MigrationEntry, live: SchemaState): Promise<boolean> {
  const migration = await entry.load();
  const where = migration.file ?? migration.id;
  const created: string[] = [];
  const added: { table: string; column: string }[] = [];
  for (const operation of migration.operations) {
    const args = operation.args as { name?: string; table?: string; column?: { name?: string } };
    if (operation.kind === 'createTable' && typeof args.name === 'string') created.push(args.name);
    if (operation.kind === 'addColumn' && typeof args.table === 'string' && typeof args.column?.name === 'string' && !created.includes(args.table)) {
      added.push({ table: args.table, column: args.column.name });
    }
  }
  if (created.length === 0 && added.length === 0) return false;
  const liveTable = (name: string) => live.tables[name] ?? Object.values(live.tables).find((table) => table.name.toLowerCase() === name.toLowerCase());
  const hasColumn = (table: string, column: string) =>
    liveTable(table)?.columns.some((candidate) => candidate.name.toLowerCase() === column.toLowerCase()) === true;
  const present = [...created.filter((name) => liveTable(name) !== undefined), ...added.filter((a) => hasColumn(a.table, a.column)).map((a) => `${a.table}.${a.column}`)];
  const missing = [...created.filter((name) => liveTable(name) === undefined), ...added.filter((a) => !hasColumn(a.table, a.column)).map((a) => `${a.table}.${a.column}`)];
  if (present.length === 0) return false;
  if (missing.length > 0) {
    throw new CovetError(
      'FAKE_INITIAL_MISMATCH',
      `Cannot fake ${entry.id}: ${present.join(', ')} exist in the database but ${missing.join(', ')} do not (${where})`,
      { hint: 'Nothing was applied. Bring the database to all or none of what the migration creates, or record it with --fake after checking by hand.' },
    );
  }
  // The columns each created table has once the migration is applied.
  const migrations = await Promise.all(graph.ancestors(entry.id).map((ancestor) => ancestor.load()));
  const expected = replayMigrations(migrations, project.covet.operations).state;
  const differences: string[] = [];
  for (const name of created) {
    const want = expected.tables[name];
    const have = liveTable(name);
    if (!want || !have) continue;
    const haveNames = new Set(have.columns.map((column) => column.name.toLowerCase()));
    const wantNames = new Set(want.columns.map((column) => column.name.toLowerCase()));
    const lacking = want.columns.filter((column) => !haveNames.has(column.name.toLowerCase())).map((column) => column.name);
    const extra = have.columns.filter((column) => !wantNames.has(column.name.toLowerCase())).map((column) => column.name);
    if (lacking.length > 0) differences.push(`${name} lacks ${lacking.join(', ')}`);
    if (extra.length > 0) differences.push(`${name} has ${extra.join(', ')} the migrations do not create`);
  }
  if (differences.length > 0) {
    throw new CovetError('FAKE_INITIAL_MISMATCH', `Cannot fake ${entry.id}: the columns differ (${differences.join('; ')}) (${where})`, {
      hint: 'Nothing was applied. Make the tables match the migration (or the migration the tables), then run covet migrate --fake-initial again.',
    });
  }
  return true;
}
