import { CovetError, MigrationRunner } from '@covet/core';
import type { Output } from '../output.js';
import type { Project } from '../project.js';

/** Options of `covet resolve`. */
export interface ResolveOptions {
  readonly applied?: boolean;
  readonly rolledBack?: boolean;
  /** The migration's file is gone on purpose: delete its tracking row, touch nothing else. */
  readonly forget?: boolean;
  readonly app?: string;
}

/**
 * Settles a migration that failed part-way on a database without transactional DDL and could
 * not be undone: after fixing the schema by hand, say whether it is now `--applied` or
 * `--rolled-back`. Covet never guesses which.
 */
export async function resolve(project: Project, name: string, options: ResolveOptions, output: Output): Promise<void> {
  if ([options.applied, options.rolledBack, options.forget].filter((flag) => flag === true).length !== 1) {
    throw new CovetError('OPTION_INVALID', 'Say one of: --applied or --rolled-back (a migration left part-way), --forget (an applied migration whose file is gone)');
  }
  const [connection, migrations] = await Promise.all([project.connect(), project.migrationFiles()]);
  const runner = new MigrationRunner({
    covet: project.covet,
    dialect: project.dialect,
    connection,
    migrations,
    lockTimeoutMs: project.config.lockTimeoutMs,
  });
  if (options.forget) {
    const forgotten = await runner.forget(name, { defaultApp: options.app ?? project.config.app });
    output.line(`${output.colors.green('Forgot')} ${forgotten.app}:${forgotten.name}: no longer recorded as applied (the schema was not touched)`);
    return;
  }
  const outcome = options.applied ? 'applied' : 'rolled-back';
  const migration = await runner.resolve(name, outcome, { defaultApp: options.app ?? project.config.app });
  output.line(`${output.colors.green('Resolved')} ${migration?.id ?? name} as ${outcome === 'applied' ? 'applied' : 'not applied'}`);
}
