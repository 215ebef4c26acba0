import { MigrationRunner, type MigrationStatus } from '@covet/core';
import type { Output } from '../output.js';
import type { Project } from '../project.js';

/** Options of `covet showmigrations`. */
export interface ShowMigrationsOptions {
  readonly json?: boolean;
  readonly app?: string;
}

/**
 * Lists every migration per app with `[X]` (applied) or `[ ]`; `--json` prints an array of
 * `{ app, name, applied, appliedAt }`.
 */
export async function showMigrations(project: Project, options: ShowMigrationsOptions, output: Output): Promise<void> {
  const c = output.colors;
  const [connection, migrations] = await Promise.all([project.connect(), project.migrationFiles()]);
  const runner = new MigrationRunner({ covet: project.covet, dialect: project.dialect, connection, migrations });
  const rows = (await runner.status()).filter((row) => options.app === undefined || row.app === options.app);
  if (options.json) {
    // The documented shape; `failed` is added only for a migration left part-way.
    const json = rows.map(({ app, name, applied, appliedAt, failed }) =>
      failed ? { app, name, applied, appliedAt, failed: { direction: failed.direction, operations: failed.operations } } : { app, name, applied, appliedAt },
    );
    output.line(JSON.stringify(json, null, 2));
    return;
  }
  const apps = [...new Set([...project.config.apps.map((app) => app.name), ...rows.map((row) => row.app)])];
  for (const app of apps) {
    if (options.app !== undefined && app !== options.app) continue;
    output.line(c.bold(app));
    const own = rows.filter((row) => row.app === app);
    if (own.length === 0) output.line(c.dim(' (no migrations)'));
    const width = Math.max(0, ...own.map((row) => row.name.length));
    for (const row of own) {
      const mark = row.failed ? c.red('[!]') : row.applied ? c.green('[X]') : '[ ]';
      const notes = [
        row.failed ? c.red(describeFailed(row.failed)) : '',
        row.appliedAt ? c.dim(row.appliedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')) : '',
        row.edited ? c.red('edited since applied') : '',
        row.missingFile ? c.red('file missing') : '',
      ].filter(Boolean);
      output.line(` ${mark} ${notes.length ? `${row.name.padEnd(width)}  ${notes.join('  ')}` : row.name}`);
    }
  }
}

/** The note of a migration left part-way. */
function describeFailed(failed: NonNullable<MigrationStatus['failed']>): string {
  const { direction, operations, state, error } = failed;
  if (state === 'failed') return `failed part-way (${direction}): operation(s) ${operations.join(', ')} remain; run covet resolve`;
  const verb = direction === 'up' ? 'applied' : 'rolled back';
  const done = operations.length ? `operation(s) ${operations.join(', ')} ${verb}` : `no operation ${verb}`;
  // The note after its prefix: where the run was (`in progress: `) or why it stopped (`stopped: `).
  const where = error.slice(error.indexOf(': ') + 2);
  return state === 'interrupted'
    ? `interrupted part-way (${direction}): ${done}, was at ${where} (or a run is still going); run covet resolve`
    : `stopped part-way (${direction}): ${done}; ${where}; run covet resolve`;
}
