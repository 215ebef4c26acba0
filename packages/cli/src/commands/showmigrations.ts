import { MigrationRunner } from '@covet/core';
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
        row.failed
          ? c.red(`failed part-way (${row.failed.direction}): operation(s) ${row.failed.operations.join(', ')} remain; run covet resolve`)
          : '',
        row.appliedAt ? c.dim(row.appliedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z')) : '',
        row.edited ? c.red('edited since applied') : '',
        row.missingFile ? c.red('file missing') : '',
      ].filter(Boolean);
      output.line(` ${mark} ${notes.length ? `${row.name.padEnd(width)}  ${notes.join('  ')}` : row.name}`);
    }
  }
}
