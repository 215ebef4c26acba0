import type { Dialect } from '../dialect/dialect.js';
import { findMigration } from '../graph/find-migration.js';
import type { MigrationGraph } from '../graph/migration-graph.js';
import type { Direction, RunHookContext } from '../hooks/hooks.js';
import type { MigrationEntry } from '../loader/migration-loader.js';
import type { Migration } from '../migration/define-migration.js';
import type { Operation } from '../operations/define-operation.js';
import { missingSqlError } from '../operations/operation-sql.js';
import type { Covet } from '../plugin/covet.js';
import type { SqlStatement } from '../schema/types.js';
import { MigrationPlanner, operationContext } from './migration-planner.js';

/** Options of {@link planMigrationSql}. */
export interface PlanMigrationSqlOptions {
  readonly covet: Covet;
  readonly dialect: Dialect;
  readonly migrations: MigrationGraph<MigrationEntry>;
  /** The migration: `name` of `defaultApp`, or `app:name`. */
  readonly migration: string;
  /** `up` (default): the SQL that applies it; `down`: the SQL that rolls it back. */
  readonly direction?: Direction;
  /** The app a bare name belongs to (default `default`). */
  readonly defaultApp?: string;
}

/** The SQL of one operation of a planned migration (a rollback's: of one reverse). */
export interface OperationSql {
  /** The operation that runs: in a rollback, the reverse. */
  readonly operation: Operation;
  /** Its position in the migration (0-based); the reverses of one operation share it. */
  readonly index: number;
  /** The statements, after `processSql`, as the run sends them. */
  readonly statements: readonly SqlStatement[];
  /**
   * True when the operation's renderer reads the live database when it runs (a SQLite table
   * rebuild, some drops): the statements here are rendered from the migrations alone, and a
   * run may send different ones.
   */
  readonly readsLiveDatabase: boolean;
}

/** What {@link planMigrationSql} found: the SQL a run of one migration sends. */
export interface MigrationSql {
  readonly migration: Migration;
  readonly direction: Direction;
  /** Whether the run wraps the migration in a transaction (atomic, on a dialect with transactional DDL). */
  readonly transaction: boolean;
  readonly operations: readonly OperationSql[];
}

/**
 * The SQL that `migrate` (or, with `direction: 'down'`, `rollback`) sends for one migration,
 * without connecting to the database: planned and compiled by the runner's own planner (the
 * schema its dependencies replay to, the operations' validation, the dialect's identifier
 * rules), through `validateMigration`, `validateOperation`, `processSql` and `validateSql` as
 * a `--dry-run` fires them, so a plugin that rewrites SQL is shown rewritten and a policy that
 * would refuse the run refuses here too. What `covet sqlmigrate` prints.
 *
 * @example
 * const { operations } = await planMigrationSql({ covet, dialect, migrations: graph, migration: '0002_posts' });
 * for (const { statements } of operations) for (const { sql } of statements) console.log(`${sql};`);
 */
export async function planMigrationSql(options: PlanMigrationSqlOptions): Promise<MigrationSql> {
  const { covet, dialect, migrations: graph } = options;
  const direction = options.direction ?? 'up';
  const entry = findMigration(graph, options.migration, options.defaultApp ?? 'default', `sql of ${options.migration}`);
  const chain = graph.ancestors(entry.id);
  const planner = new MigrationPlanner({ covet, dialect });
  const replayed = await planner.replay(chain, new Set(direction === 'up' ? [entry.id] : []));
  const forward = replayed.at(-1)!;
  const plan = direction === 'up' ? forward : planner.reverse(forward);
  const context: RunHookContext = { report: covet.reporter, direction, dialect, dryRun: true, fake: false };
  await planner.validate([plan], context);
  const processes = planner.processesSql();
  const operations: OperationSql[] = [];
  for (const step of plan.steps) {
    let statements = planner.sqlOf(step);
    const readsLiveDatabase = statements === undefined;
    if (statements === undefined) {
      // Compiled at run time from the live database: rendered here from the migrations alone,
      // then through processSql and validateSql as the run would.
      const compiled = await planner.compile(step, undefined);
      if (compiled === undefined) {
        throw missingSqlError(step.operation.kind, dialect, `operation #${step.index + 1} of ${plan.migration.file ?? plan.migration.id}`);
      }
      const hookContext = processes ? operationContext(plan, step, { ...context, stateBefore: plan.stateBefore }) : undefined;
      statements = await planner.prepareSql(compiled, hookContext);
    }
    operations.push({ operation: step.operation, index: step.index, statements, readsLiveDatabase });
  }
  return { migration: plan.migration, direction, transaction: plan.migration.atomic && dialect.capabilities.transactionalDdl, operations };
}
