import { CovetError, type MigrationEntry, type MigrationGraph } from '@covet/core';

/**
 * Finds the migration a command names: `NAME` of `app`, or `app:NAME`, or a unique prefix of
 * the name (`20260101` or the whole timestamp), as `migrate` and `rollback --to` accept.
 */
export function findMigration(graph: MigrationGraph<MigrationEntry>, name: string, app: string, where: string): MigrationEntry {
  const id = name.includes(':') ? name : `${app}:${name}`;
  const exact = graph.get(id);
  if (exact) return exact;
  const [appName, prefix] = id.split(':') as [string, string];
  const matches = graph.order().filter((entry) => entry.app === appName && entry.name.startsWith(prefix));
  if (matches.length === 1) return matches[0]!;
  throw new CovetError(
    'MIGRATION_UNKNOWN',
    matches.length === 0
      ? `No migration named ${id} (${where})`
      : `${id} matches ${matches.length} migrations: ${matches.map((entry) => entry.name).join(', ')} (${where})`,
    { hint: matches.length === 0 ? 'Run covet showmigrations to list the migrations.' : 'Give more of the name.' },
  );
}

/** The app of a `zero` target (`zero` of the current app, or `app:zero`), or undefined for any other target. */
export function zeroTargetApp(target: string, app: string): string | undefined {
  if (target === 'zero') return app;
  const match = /^([^:]+):zero$/.exec(target);
  return match ? match[1] : undefined;
}
