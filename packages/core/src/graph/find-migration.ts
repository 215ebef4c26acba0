import { CovetError } from '../errors/covet-error.js';
import type { MigrationEntry } from '../loader/migration-loader.js';
import type { MigrationGraph } from './migration-graph.js';

/**
 * Finds the migration a command names: `NAME` of `app`, `app:NAME`, or a unique prefix of the
 * name (`20260101` or the whole timestamp), as Django accepts. `where` (e.g. `migrate NAME`)
 * is added to the error; an unknown or ambiguous name is a `MIGRATION_UNKNOWN` CovetError.
 */
export function findMigration(graph: MigrationGraph<MigrationEntry>, name: string, app: string, where?: string): MigrationEntry {
  const id = name.includes(':') ? name : `${app}:${name}`;
  const exact = graph.get(id);
  if (exact) return exact;
  const [appName, prefix] = id.split(':') as [string, string];
  const matches = graph.order().filter((entry) => entry.app === appName && entry.name.startsWith(prefix));
  if (matches.length === 1) return matches[0]!;
  const at = where === undefined ? '' : ` (${where})`;
  throw new CovetError(
    'MIGRATION_UNKNOWN',
    matches.length === 0
      ? `No migration named ${id}${at}`
      : `${id} matches ${matches.length} migrations: ${matches.map((entry) => entry.name).join(', ')}${at}`,
    { hint: matches.length === 0 ? 'Run covet showmigrations to list the migrations.' : 'Give more of the name.' },
  );
}
