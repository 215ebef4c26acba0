import { MigrationRunner, PlanCache, type RunEvent, type RunSummary } from '@covet/core';
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
  options: { dryRun?: boolean; report?: JsonReport } = {},
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
