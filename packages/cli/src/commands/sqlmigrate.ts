import { findMigration, planMigrationSql, type Migration } from '@covet/core';
import type { JsonReport } from '../json-report.js';
import type { Output } from '../output.js';
import type { Project } from '../project.js';

/** Options of `covet sqlmigrate`. */
export interface SqlMigrateOptions {
  /** The SQL that rolls the migration back instead of the SQL that applies it. */
  readonly backwards?: boolean;
  readonly app?: string;
  readonly report?: JsonReport;
}

/** One statement `sqlmigrate` prints, with the operation (1-based) it belongs to. */
export interface SqlMigrateStatement {
  readonly operation: number;
  readonly sql: string;
  readonly params: number;
}

/** What `sqlmigrate` printed. */
export interface SqlMigrateResult {
  readonly migration: Migration;
  readonly statements: readonly SqlMigrateStatement[];
  /** What the SQL may differ in when the migration really runs. */
  readonly notes: readonly string[];
}

/**
 * Prints the SQL of one migration for the configured dialect (Django's `sqlmigrate`), without
 * connecting to the database: exactly what `migrate` (or, with `--backwards`, `rollback`) sends
 * for it — planned by the runner's planner against the schema its dependencies replay to, and
 * through `processSql` and `validateSql` (`planMigrationSql` of `@covet/core`). Where a renderer
 * would read the live database at run time (a SQLite table rebuild keeps what the live table has
 * beyond the models), the SQL shown is rendered from the migrations alone and a note says so.
 */
export async function sqlMigrate(project: Project, name: string, options: SqlMigrateOptions, output: Output): Promise<SqlMigrateResult> {
  const c = output.colors;
  const { dialect, covet } = project;
  const graph = await project.migrations();
  const app = options.app ?? project.config.app;
  const entry = findMigration(graph, name, app, `sqlmigrate ${name}`);
  const direction = options.backwards ? 'down' : 'up';
  const planned = await planMigrationSql({ covet, dialect, migrations: graph, migration: entry.id, direction });
  const { migration } = planned;

  const statements: SqlMigrateStatement[] = [];
  const notes: string[] = [];
  const printed: string[] = [];
  if (planned.transaction) printed.push('BEGIN;');
  if (options.backwards && migration.down) {
    notes.push(`custom down code of ${migration.id} runs first (not SQL: not shown)`);
    printed.push(c.dim('-- custom down code runs here'));
  }
  for (const step of planned.operations) {
    // Backwards, a step is the reverse of operation #N: the comment names what it undoes.
    const forward = migration.operations[step.index]!;
    const described = options.backwards
      ? `undo: ${covet.operations.get(forward.kind).describe(forward.args)}`
      : covet.operations.get(step.operation.kind).describe(step.operation.args);
    printed.push(c.dim(`-- #${step.index + 1} ${described}`));
    if (step.readsLiveDatabase) {
      const note = `operation #${step.index + 1} (${step.operation.kind}) looks at the live database when it runs on ${dialect.name}: this SQL is rendered from the migrations alone and may differ${dialect.name === 'sqlite' ? ' (a SQLite table rebuild keeps what the live table has beyond the migrations: CHECKs, collations, triggers)' : ''}`;
      notes.push(note);
      printed.push(c.yellow(`-- note: ${note}`));
    }
    for (const statement of step.statements) {
      statements.push({ operation: step.index + 1, sql: statement.sql, params: statement.params?.length ?? 0 });
      const params = statement.params?.length ? ` ${c.dim(`-- ${statement.params.length} bound value(s)`)}` : '';
      printed.push(`${statement.sql.trimEnd().replace(/;?$/, ';')}${params}`);
    }
  }
  if (!options.backwards && migration.up) {
    notes.push(`custom up code of ${migration.id} runs last (not SQL: not shown)`);
    printed.push(c.dim('-- custom up code runs here'));
  }
  if (planned.transaction) printed.push('COMMIT;');
  if (planned.operations.length === 0 && !migration.up && !migration.down) printed.push(c.dim('-- no operations'));
  for (const line of printed) output.line(line);

  if (options.report) {
    options.report.app = migration.app;
    options.report.set('migration', migration.id);
    options.report.set('direction', direction);
    options.report.set('atomic', migration.atomic);
    options.report.set('statements', statements);
    options.report.set('notes', notes);
  }
  return { migration, statements, notes };
}
