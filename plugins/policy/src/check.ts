import {
  compileOperationSql,
  identifierRulesOf,
  type Dialect,
  type Migration,
  type Operation,
  type OperationRegistry,
  type SchemaState,
} from '@covet/core';
import type { EngineFacts } from './engine-facts.js';
import type { ResolvedPolicy } from './options.js';
import { checkOperation, checkStatementCount, checkWholeMigration, sqlTextOf, type Finding } from './rules.js';

/** What {@link checkMigration} needs of a migration: a loaded one, or the operations `makemigrations` is about to write. */
export interface MigrationToCheck {
  readonly id: string;
  readonly meta?: Migration['meta'];
  readonly operations: readonly Operation[];
  /** Whether it runs in one transaction (default true). */
  readonly atomic?: boolean;
}

/** What {@link checkMigration} knows beyond the schema: the SQL earlier migrations ran, and the engine. */
export interface CheckContext {
  /** SQL the migrations before this one ran (`runSql`, `validateConstraint`), oldest first. */
  readonly sqlBefore?: readonly string[];
  readonly facts?: EngineFacts;
}

/** Tables the migration creates before operation `index`: they hold no rows yet. */
export function tablesCreatedBefore(operations: readonly Operation[], index: number): Set<string> {
  const created = new Set<string>();
  for (const operation of operations.slice(0, index)) {
    if (operation.kind === 'createTable') created.add((operation.args as { name: string }).name);
  }
  return created;
}

/**
 * Every rule on one migration, applied forwards from `stateBefore` (the schema the migrations
 * before it leave): what `covet lint` and `makemigrations` check. With a `dialect`, the
 * statements are compiled offline and counted (`max-statements`); an operation whose SQL
 * needs the live database counts as one.
 */
export async function checkMigration(
  migration: MigrationToCheck,
  stateBefore: SchemaState,
  registry: OperationRegistry,
  policy: ResolvedPolicy,
  engine: string,
  dialect?: Dialect,
  context: CheckContext = {},
): Promise<{ findings: Finding[]; stateAfter: SchemaState; sql: string[] }> {
  const findings: Finding[] = [];
  let state = stateBefore;
  let statements = 0;
  const identifierRules = dialect ? identifierRulesOf(dialect) : undefined;
  const sql: string[] = [];
  for (const [index, operation] of migration.operations.entries()) {
    findings.push(
      ...checkOperation(
        operation,
        {
          migration: migration.id,
          meta: migration.meta,
          index,
          stateBefore: state,
          createdTables: tablesCreatedBefore(migration.operations, index),
          engine,
          direction: 'up',
          identifierRules,
          operations: migration.operations,
          atomic: migration.atomic,
          sqlBefore: [...(context.sqlBefore ?? []), ...sql],
          facts: context.facts,
        },
        policy,
      ),
    );
    sql.push(...sqlTextOf(operation));
    const definition = registry.get(operation.kind);
    const after = definition.applyToState(state, operation.args);
    if (dialect && policy.levels['max-statements'] !== 'off') statements += await countStatements(definition, operation, dialect, state, after);
    state = after;
  }
  const tooMany = checkStatementCount(migration.id, statements, policy);
  if (tooMany) findings.push(tooMany);
  findings.push(...checkWholeMigration(migration, state, policy, engine));
  return { findings, stateAfter: state, sql };
}

async function countStatements(
  definition: ReturnType<OperationRegistry['get']>,
  operation: Operation,
  dialect: Dialect,
  stateBefore: SchemaState,
  stateAfter: SchemaState,
): Promise<number> {
  const offline = async (): Promise<never> => {
    throw new Error('no database while linting');
  };
  try {
    const compiled = await compileOperationSql(definition, operation, { dialect, stateBefore, stateAfter, query: offline });
    return compiled?.length ?? 1;
  } catch {
    // Its SQL depends on the live database (a SQLite table rebuild, some drops): one or more statements.
    return 1;
  }
}
