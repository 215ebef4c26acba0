import {
  compileOperationSql,
  CovetError,
  findMigration,
  IRREVERSIBLE,
  missingSqlError,
  replayMigrations,
  type CompileContext,
  type Migration,
  type Operation,
  type OperationHookContext,
  type SchemaState,
  type SqlStatement,
} from '@covet/core';
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

interface Step {
  readonly operation: Operation;
  readonly index: number;
  readonly stateBefore: SchemaState;
  readonly stateAfter: SchemaState;
}

/** Thrown by the probing `query`: the renderer wants to read the live database. */
const READS_LIVE_DATABASE = Symbol('covet.readsLiveDatabase');

/**
 * Prints the SQL of one migration for the configured dialect (Django's `sqlmigrate`),
 * compiled against the schema its dependencies replay to, without connecting to the
 * database. Where a renderer would read the live database at run time (a SQLite table
 * rebuild keeps what the live table has beyond the models), the SQL shown is rendered from
 * the migrations alone and a note says so.
 */
export async function sqlMigrate(project: Project, name: string, options: SqlMigrateOptions, output: Output): Promise<SqlMigrateResult> {
  const c = output.colors;
  const { dialect, covet } = project;
  const graph = await project.migrations();
  const entry = findMigration(graph, name, options.app ?? project.config.app, `sqlmigrate ${name}`);
  const chain = await Promise.all(graph.ancestors(entry.id).map((ancestor) => ancestor.load()));
  const migration = chain.at(-1)!;
  const where = migration.file ?? migration.id;
  const direction = options.backwards ? 'down' : 'up';

  // The state before the migration: its dependencies replayed, as the runner plans it.
  let state = replayMigrations(chain.slice(0, -1), covet.operations).state;
  const forward: Step[] = [];
  migration.operations.forEach((operation, index) => {
    const stateAfter = covet.operations.get(operation.kind, `operation #${index + 1} of ${where}`).applyToState(state, operation.args);
    forward.push({ operation, index, stateBefore: state, stateAfter });
    state = stateAfter;
  });
  let steps = forward;
  if (options.backwards) {
    if (migration.up && !migration.down) {
      throw new CovetError('IRREVERSIBLE', `Cannot roll back ${migration.id}: it has custom up code and no down (${where})`);
    }
    steps = [];
    for (const step of [...forward].reverse()) {
      const definition = covet.operations.get(step.operation.kind);
      const reverse = definition.reverse(step.operation.args, step.stateBefore);
      if (reverse === IRREVERSIBLE) {
        throw new CovetError('IRREVERSIBLE', `Cannot roll back ${migration.id}: operation #${step.index + 1} (${definition.describe(step.operation.args)}) is irreversible (${where})`, {
          hint: 'It has no SQL backwards: give the operation a reverse (e.g. runSql with reverseSql).',
        });
      }
      for (const operation of reverse) {
        const stateAfter = covet.operations.get(operation.kind).applyToState(state, operation.args);
        steps.push({ operation, index: step.index, stateBefore: state, stateAfter });
        state = stateAfter;
      }
    }
  }

  const statements: SqlMigrateStatement[] = [];
  const notes: string[] = [];
  const printed: string[] = [];
  const transaction = migration.atomic && dialect.capabilities.transactionalDdl;
  if (transaction) printed.push('BEGIN;');
  if (options.backwards && migration.down) {
    notes.push(`custom down code of ${migration.id} runs first (not SQL: not shown)`);
    printed.push(c.dim('-- custom down code runs here'));
  }
  for (const step of steps) {
    const definition = covet.operations.get(step.operation.kind);
    // Backwards, a step is the reverse of operation #N: the comment names what it undoes.
    const described = options.backwards ? `undo: ${covet.operations.get(migration.operations[step.index]!.kind).describe(migration.operations[step.index]!.args)}` : definition.describe(step.operation.args);
    printed.push(c.dim(`-- #${step.index + 1} ${described}`));
    let compiled = await compile(project, step, true);
    if (compiled === READS_LIVE_DATABASE) {
      compiled = await compile(project, step, false);
      const note = `operation #${step.index + 1} (${step.operation.kind}) looks at the live database when it runs on ${dialect.name}: this SQL is rendered from the migrations alone and may differ${dialect.name === 'sqlite' ? ' (a SQLite table rebuild keeps what the live table has beyond the migrations: CHECKs, collations, triggers)' : ''}`;
      notes.push(note);
      printed.push(c.yellow(`-- note: ${note}`));
    }
    if (compiled === undefined || compiled === READS_LIVE_DATABASE) {
      throw missingSqlError(step.operation.kind, dialect, `operation #${step.index + 1} of ${where}`);
    }
    const processed = covet.hooks.processSql.taps.length > 0 ? await covet.hooks.processSql.promise(compiled, hookContext(project, migration, step, direction)) : compiled;
    for (const statement of processed) {
      statements.push({ operation: step.index + 1, sql: statement.sql, params: statement.params?.length ?? 0 });
      const params = statement.params?.length ? ` ${c.dim(`-- ${statement.params.length} bound value(s)`)}` : '';
      printed.push(`${statement.sql.trimEnd().replace(/;?$/, ';')}${params}`);
    }
  }
  if (!options.backwards && migration.up) {
    notes.push(`custom up code of ${migration.id} runs last (not SQL: not shown)`);
    printed.push(c.dim('-- custom up code runs here'));
  }
  if (transaction) printed.push('COMMIT;');
  if (steps.length === 0 && !migration.up && !migration.down) printed.push(c.dim('-- no operations'));
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

/**
 * Compiles a step as the runner does (`compileOperationSql`: the operation's own SQL for the
 * dialect, the dialect's, then the operation's default). With `probe`, a renderer that reads the live
 * database is caught (READS_LIVE_DATABASE); without it, it renders from the state alone.
 */
async function compile(project: Project, step: Step, probe: boolean): Promise<readonly SqlStatement[] | undefined | typeof READS_LIVE_DATABASE> {
  const { dialect, covet } = project;
  const definition = covet.operations.get(step.operation.kind);
  const context: CompileContext = {
    dialect,
    stateBefore: step.stateBefore,
    stateAfter: step.stateAfter,
    ...(probe
      ? {
          query: (async () => {
            throw READS_LIVE_DATABASE;
          }) as CompileContext['query'],
        }
      : {}),
  };
  try {
    return await compileOperationSql(definition, step.operation, context);
  } catch (error) {
    if (error === READS_LIVE_DATABASE) return READS_LIVE_DATABASE;
    throw error;
  }
}

function hookContext(project: Project, migration: Migration, step: Step, direction: 'up' | 'down'): OperationHookContext {
  return {
    report: project.covet.reporter,
    direction,
    dialect: project.dialect,
    dryRun: true,
    fake: false,
    migration,
    operation: step.operation,
    index: step.index,
    stateBefore: step.stateBefore,
    stateAfter: step.stateAfter,
  };
}
