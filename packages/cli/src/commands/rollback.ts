import { CovetError } from '@covet/core';
import type { JsonReport } from '../json-report.js';
import type { Output } from '../output.js';
import type { Project } from '../project.js';
import { createRunner, reportSummary, withSignals } from './run.js';

/** Options of `covet rollback`. */
export interface RollbackCommandOptions {
  readonly steps?: number | string;
  readonly to?: string;
  readonly dryRun?: boolean;
  readonly fake?: boolean;
  readonly app?: string;
  /** Collects what the run did for `--json`. */
  readonly report?: JsonReport;
}

/** Rolls back the last migration, the last N (`--steps`), or everything after one (`--to`). */
export async function rollback(project: Project, options: RollbackCommandOptions, output: Output): Promise<void> {
  // SIGINT/SIGTERM stop the run at its next safe point (see withSignals).
  await withSignals(output, (signal) => runRollback(project, options, output, signal));
}

async function runRollback(project: Project, options: RollbackCommandOptions, output: Output, signal: AbortSignal): Promise<void> {
  if (options.steps !== undefined && options.to !== undefined) {
    throw new CovetError('ROLLBACK_INVALID', 'Give either --steps or --to, not both');
  }
  const steps = options.steps === undefined ? undefined : Number(options.steps);
  const { report } = options;
  if (report) {
    report.app = options.app ?? null;
    report.set('database', project.describeDatabase());
    report.set('dryRun', options.dryRun === true);
    report.set('applied', []);
    report.set('rolledBack', []);
    if (options.dryRun) report.set('sql', []);
  }
  const runner = await createRunner(project, output, { dryRun: options.dryRun === true, signal, ...(report ? { report } : {}) });
  if (!options.dryRun) output.line(`Rolling back ${project.describeDatabase()}`);
  const summary = await runner.rollback({
    ...(steps !== undefined ? { steps } : {}),
    ...(options.to !== undefined ? { to: String(options.to) } : {}),
    dryRun: options.dryRun === true,
    fake: options.fake === true,
    defaultApp: project.config.app,
    ...(options.app !== undefined ? { app: options.app } : {}),
  });
  reportSummary(summary, output, options.dryRun === true);
}
