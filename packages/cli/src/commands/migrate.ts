import type { Output } from '../output.js';
import type { Project } from '../project.js';
import { createRunner, reportSummary } from './run.js';

/** Options of `covet migrate`. */
export interface MigrateCommandOptions {
  readonly target?: string;
  readonly fake?: boolean;
  readonly dryRun?: boolean;
  readonly app?: string;
}

/** Applies pending migrations (or up to a target), printing one line per migration. */
export async function migrate(project: Project, options: MigrateCommandOptions, output: Output): Promise<void> {
  const runner = await createRunner(project, output, { dryRun: options.dryRun === true });
  if (!options.dryRun) output.line(`Migrating ${project.describeDatabase()}`);
  const summary = await runner.migrate({
    ...(options.target ? { target: options.target } : {}),
    fake: options.fake === true,
    dryRun: options.dryRun === true,
    defaultApp: project.config.app,
    ...(options.app !== undefined ? { app: options.app } : {}),
  });
  reportSummary(summary, output, options.dryRun === true);
}
