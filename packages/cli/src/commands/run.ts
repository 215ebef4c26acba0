import { CovetError, MigrationRunner, PlanCache, type RunEvent, type RunSummary } from '@covet/core';
import { formatDuration, type Output } from '../output.js';
import type { JsonReport } from '../json-report.js';
import type { Project } from '../project.js';

/**
 * Creates a runner for the project that prints one line per migration; with a `report`
 * (`--json`), the migrations it applies or rolls back, the SQL of a dry run and the warnings
 * also go into the report.
 */
export async function createRunner(
  project: Project,
  output: Output,
  options: { dryRun?: boolean; report?: JsonReport; signal?: AbortSignal } = {},
): Promise<MigrationRunner> {
  const { report } = options;
  const c = output.colors;
  const [connection, migrations] = await Promise.all([project.connect(), project.migrationFiles()]);
  const onEvent = (event: RunEvent) => {
    switch (event.type) {
      case 'lockWait':
        output.line(c.yellow(event.message));
        break;
      case 'migrationStart':
        if (options.dryRun) output.line(c.dim(`-- ${event.direction === 'up' ? 'apply' : 'roll back'} ${event.migration.id}`));
        if (!event.atomic) output.line(c.yellow(`  ${event.migration.id} is not atomic: it runs outside a transaction`));
        if (output.verbose) output.debug(`${event.direction === 'up' ? 'applying' : 'rolling back'} ${event.migration.id}`);
        break;
      case 'migrationDone': {
        if (options.dryRun) break;
        const { id, app, name } = event.migration;
        report?.push(event.direction === 'up' ? 'applied' : 'rolledBack', { id, app, name, durationMs: Math.round(event.durationMs), fake: event.fake });
        const verb = event.direction === 'up' ? (event.fake ? 'Faked' : 'Applied') : event.fake ? 'Faked rollback of' : 'Rolled back';
        output.line(`  ${c.green(verb)} ${event.migration.id} ${c.dim(`(${formatDuration(event.durationMs)})`)}`);
        break;
      }
      case 'sql': {
        const params = event.statement.params?.length ? ` ${c.dim(`-- ${event.statement.params.length} bound value(s)`)}` : '';
        output.line(`${event.statement.sql.trimEnd().replace(/;?$/, ';')}${params}`);
        report?.push('sql', { migration: event.migration.id, direction: event.direction, sql: event.statement.sql, params: event.statement.params?.length ?? 0 });
        break;
      }
      case 'warning':
        output.error(`${c.yellow('warning:')} ${event.message}`);
        break;
      case 'compiledPlans':
        if (output.verbose) output.debug(`${event.migrations} migration(s) from compiled plans (covet's plan cache)`);
        break;
    }
  };
  return new MigrationRunner({
    covet: project.covet,
    dialect: project.dialect,
    connection,
    migrations,
    lockTimeoutMs: project.config.lockTimeoutMs,
    planCache: PlanCache.forProject(project.config.rootDir, project.dialect.name),
    onEvent,
    ...(options.signal ? { signal: options.signal } : {}),
    // A failing statement's string literals may hold secrets: shown only with --verbose.
    showLiterals: output.verbose,
  });
}

/** Prints the closing line of a run. */
export function reportSummary(summary: RunSummary, output: Output, dryRun: boolean): void {
  if (summary.migrations.length === 0) {
    output.line(summary.direction === 'up' ? 'No migrations to apply.' : 'No migrations to roll back.');
  } else if (dryRun) {
    output.line(output.colors.dim(`-- dry run: ${summary.migrations.length} migration(s), nothing was run`));
  }
}

/** The exit codes of a run stopped by a signal: 128 + the signal's number, as shells report. */
const SIGNAL_EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * Runs `fn` with SIGINT and SIGTERM handled: the first one aborts the signal given to `fn`
 * (the runner stops at its next safe point, releases the lock, and fails with exit code 130
 * or 143 and a message saying what was applied and what was not); a second one exits at once
 * with that code, leaving the database as it is at that moment (where DDL is not
 * transactional, the migration's intent record says how far it got).
 */
export async function withSignals<T>(output: Output, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const handler = (name: keyof typeof SIGNAL_EXIT_CODES) => {
    const exitCode = SIGNAL_EXIT_CODES[name];
    if (controller.signal.aborted) {
      output.error(`${output.colors.red('error:')} ${name} again: exiting now, part-way; covet showmigrations shows what was left`);
      process.exit(exitCode);
    }
    output.error(`${output.colors.yellow(`${name}:`)} stopping at the next safe point (send it again to exit at once)`);
    controller.abort(new CovetError('INTERRUPTED', `Stopped by ${name}`, { exitCode }));
  };
  const onInt = () => handler('SIGINT');
  const onTerm = () => handler('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    return await fn(controller.signal);
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}
