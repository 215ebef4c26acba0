import { MigrationRunner, type MigrationStatus } from '@covet/core';
import type { Output } from '../output.js';
import type { Project } from '../project.js';

/** Options of `covet showmigrations`. */
export interface ShowMigrationsOptions {
  readonly json?: boolean;
  readonly app?: string;
}

/**
 * Lists every migration per app with `[X]` (applied), `[ ]` or `[!]` (part-way); `--json` prints
 * an array of `{ app, name, applied, appliedAt }`, with `failed`, `edited`, `missingFile` and
 * `editAccepted` where they apply (docs/json-output.md).
 */
export async function showMigrations(project: Project, options: ShowMigrationsOptions, output: Output): Promise<void> {
  const c = output.colors;
  const [connection, migrations] = await Promise.all([project.connect(), project.migrationFiles()]);
  const runner = new MigrationRunner({ covet: project.covet, dialect: project.dialect, connection, migrations });
  const rows = (await runner.status()).filter((row) => options.app === undefined || row.app === options.app);
  if (options.json) {
    // The documented shape; the other members only where they apply.
    const json = rows.map(({ app, name, applied, appliedAt, failed, edited, missingFile, editAccepted }) => ({
      app,
      name,
      applied,
      appliedAt,
      ...(failed ? { failed: { direction: failed.direction, operations: failed.operations, state: failed.state } } : {}),
      ...(edited ? { edited } : {}),
      ...(missingFile ? { missingFile } : {}),
      ...(editAccepted ? { editAccepted } : {}),
    }));
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
        row.appliedAt ? c.dim(formatTime(row.appliedAt)) : '',
        row.edited ? c.red('edited since applied') : '',
        row.editAccepted && !row.edited ? c.dim(`edit accepted ${formatTime(row.editAccepted.at)} by ${row.editAccepted.by}`) : '',
        row.missingFile ? c.red('file missing') : '',
      ].filter(Boolean);
      output.line(` ${mark} ${notes.length ? `${row.name.padEnd(width)}  ${notes.join('  ')}` : row.name}`);
    }
  }
}

/** An ISO time as the listing shows it: `2026-12-03 17:04:05Z`. */
function formatTime(iso: string | null): string {
  return iso === null ? '(time unknown)' : iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
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
