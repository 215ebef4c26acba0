import { CovetError, MigrationRunner } from '@covet/core';
import type { Output } from '../output.js';
import type { Project } from '../project.js';

/** Options of `covet resolve`. */
export interface ResolveOptions {
  readonly applied?: boolean;
  readonly rolledBack?: boolean;
  readonly app?: string;
}

/**
 * Settles a migration that failed part-way on a database without transactional DDL and could
 * not be undone: after fixing the schema by hand, say whether it is now `--applied` or
 * `--rolled-back`. Covet never guesses which.
 */
export async function resolve(project: Project, name: string, options: ResolveOptions, output: Output): Promise<void> {
  if (options.applied === options.rolledBack) {
    throw new CovetError('OPTION_INVALID', 'Say how the migration ended: --applied or --rolled-back (one of them)');
  }
  const [connection, migrations] = await Promise.all([project.connect(), project.migrationFiles()]);
  const runner = new MigrationRunner({
    covet: project.covet,
    dialect: project.dialect,
    connection,
    migrations,
    lockTimeoutMs: project.config.lockTimeoutMs,
  });
  const outcome = options.applied ? 'applied' : 'rolled-back';
  const migration = await runner.resolve(name, outcome, { defaultApp: options.app ?? project.config.app });
  output.line(`${output.colors.green('Resolved')} ${migration?.id ?? name} as ${outcome === 'applied' ? 'applied' : 'not applied'}`);
}
