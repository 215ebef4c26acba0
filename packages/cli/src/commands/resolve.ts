import { CovetError, MigrationRunner } from '@covet/core';
import type { Output } from '../output.js';
import type { Project } from '../project.js';

/** Options of `covet resolve`. */
export interface ResolveOptions {
  readonly applied?: boolean;
  readonly rolledBack?: boolean;
  /** The migration's file is gone on purpose: delete its tracking row, touch nothing else. */
  readonly forget?: boolean;
  /** The applied migration's file was edited on purpose: record its new checksum, touch nothing else. */
  readonly acceptEdit?: boolean;
  readonly app?: string;
}

/**
 * Settles a migration that failed part-way on a database without transactional DDL and could
 * not be undone: after fixing the schema by hand, say whether it is now `--applied` or
 * `--rolled-back`. Covet never guesses which. Also forgets an applied migration whose file is
 * gone (`--forget`), and accepts an intended edit of an applied one (`--accept-edit`).
 */
export async function resolve(project: Project, name: string, options: ResolveOptions, output: Output): Promise<void> {
  if ([options.applied, options.rolledBack, options.forget, options.acceptEdit].filter((flag) => flag === true).length !== 1) {
    throw new CovetError(
      'OPTION_INVALID',
      'Say one of: --applied or --rolled-back (a migration left part-way), --forget (an applied migration whose file is gone), --accept-edit (an applied migration edited on purpose)',
    );
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
  if (options.acceptEdit) {
    // What the row records as the command that accepted the edit.
    const by = `covet resolve ${name} --accept-edit${options.app ? ` --app ${options.app}` : ''}`;
    const accepted = await runner.acceptEdit(name, { defaultApp: options.app ?? project.config.app, by });
    output.line(`${output.colors.green('Accepted')} the edit of ${accepted.app}:${accepted.name}: its checksum is now the file's (the schema was not touched)`);
    return;
  }
  const outcome = options.applied ? 'applied' : 'rolled-back';
  const migration = await runner.resolve(name, outcome, { defaultApp: options.app ?? project.config.app });
  output.line(`${output.colors.green('Resolved')} ${migration?.id ?? name} as ${outcome === 'applied' ? 'applied' : 'not applied'}`);
}
