import { CovetError } from '@covet/core';
import type { JsonReport } from '../json-report.js';
import type { Output } from '../output.js';
import type { Project } from '../project.js';
import { createRunner, reportSummary } from './run.js';

/** Options of `covet reset`. */
export interface ResetOptions {
  /** The confirmation: without it, reset refuses. */
  readonly yes?: boolean;
  /** Only this app (its migrations rolled back and applied again); default every app. */
  readonly app?: string;
  /** The environment to read `CI`, `COVET_ENV` and `NODE_ENV` from (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  readonly report?: JsonReport;
}

/** True for a set variable that does not say no (`CI=true`, `CI=1`; not `CI=false`, `CI=0` or empty). */
function isSet(value: string | undefined): boolean {
  return value !== undefined && value !== '' && !/^(false|0|no|off)$/i.test(value);
}

/**
 * Why `covet reset` must not run in this environment, or undefined: on CI (`CI` set), or
 * where `COVET_ENV` or `NODE_ENV` is `production`. `--yes` does not override these.
 */
export function resetRefusal(env: NodeJS.ProcessEnv): string | undefined {
  if (isSet(env.CI)) return "CI is set";
  for (const name of ['COVET_ENV', 'NODE_ENV']) {
    if (env[name]?.toLowerCase() === 'production') return `${name} is production`;
  }
  return undefined;
}

/** Throws the refusal of `covet reset` (CI, production, no `--yes`), before anything is opened. */
export function refuseReset(options: Pick<ResetOptions, 'yes' | 'app' | 'env'>): void {
  const refusal = resetRefusal(options.env ?? process.env);
  if (refusal !== undefined) {
    throw new CovetError('RESET_REFUSED', `covet reset refuses to run here: ${refusal} (reset is for development databases)`, {
      hint: 'Nothing was changed. To undo migrations on this database, use covet rollback or covet migrate <target>.',
    });
  }
  if (options.yes !== true) {
    throw new CovetError('RESET_REFUSED', `covet reset rolls back every migration of ${options.app ? `app ${options.app}` : 'every app'} and applies them again, losing the data in their tables: confirm with --yes`, {
      hint: `Nothing was changed. Run: covet reset --yes${options.app ? ` --app ${options.app}` : ''}`,
    });
  }
}

/**
 * Resets a development database: rolls back every applied migration (of `--app`, or of all
 * apps), latest first, with the migrations' own reverse operations, then applies every
 * migration again. The data in the tables the migrations created is lost; tables no
 * migration created are left alone. Refused without `--yes`, on CI, and in production
 * (`COVET_ENV` or `NODE_ENV` set to `production`), and, like rollback, before anything runs
 * when an applied migration is irreversible or its file is missing.
 */
export async function reset(project: Project, options: ResetOptions, output: Output): Promise<void> {
  refuseReset(options);
  const { report } = options;
  if (report) {
    report.app = options.app ?? null;
    report.set('database', project.describeDatabase());
    report.set('rolledBack', []);
    report.set('applied', []);
  }
  const runner = await createRunner(project, output, report ? { report } : {});
  if (options.app !== undefined && !project.config.apps.some((app) => app.name === options.app)) {
    throw new CovetError('APP_UNKNOWN', `Unknown app "${options.app}" (--app)`);
  }
  const applied = (await runner.status()).filter((row) => row.applied && (options.app === undefined || row.app === options.app));
  output.line(`Resetting ${project.describeDatabase()}${options.app ? ` (app ${options.app})` : ''}`);
  if (applied.length > 0) {
    await runner.rollback({ steps: applied.length, ...(options.app !== undefined ? { app: options.app } : {}) });
  }
  reportSummary(await runner.migrate({ defaultApp: project.config.app, ...(options.app !== undefined ? { app: options.app } : {}) }), output, false);
}
