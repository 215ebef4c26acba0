import { CovetError } from '../errors/covet-error.js';
import type { Dialect } from '../dialect/dialect.js';
import type { SqlStatement } from '../schema/types.js';
import type { CompileContext, Operation, OperationDefinition, SqlRenderer } from './define-operation.js';

/** Where an operation kind's SQL on a dialect comes from: the operation's definition, or the dialect. */
export type OperationSqlSource = 'operation' | 'dialect';

function own<T>(table: Readonly<Record<string, T | undefined>> | undefined, key: string): T | undefined {
  return table !== undefined && Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

/**
 * The engine family whose SQL `dialect` speaks: its `family`, or its `name` when it has none.
 * PGlite's is `postgres`. Ask this, not `dialect.name`, when SQL depends on the engine (a
 * feature PostgreSQL has and SQLite lacks), so PostgreSQL-compatible dialects get it too.
 *
 * @example
 * if (dialectFamily(dialect) !== 'postgres') throw new Error('materialized views need PostgreSQL');
 */
export function dialectFamily(dialect: Pick<Dialect, 'name' | 'family'>): string {
  return typeof dialect.family === 'string' && dialect.family !== '' ? dialect.family : dialect.name;
}

/** The operation's SQL for `dialect`'s family, when the family is not the dialect's own name. */
function familySql<T>(table: Readonly<Record<string, T | undefined>> | undefined, dialect: Dialect): T | undefined {
  const family = dialectFamily(dialect);
  return family === dialect.name ? undefined : own(table, family);
}

/**
 * Where the SQL of `definition`'s kind comes from on `dialect`, in the order core looks: the
 * operation's own `sql[dialect.name]`, the dialect's `operationSql[kind]`, the operation's
 * `sql[family]` (see {@link dialectFamily}), the operation's `sql.default`. `undefined` when
 * none has it — a dialect that only answers from `compileOperation` is not seen here, which is
 * why dialects publish `operationSql`.
 *
 * @example
 * operationSqlSource(covet.operations.get('views.createView'), dialect); // 'dialect' when the dialect knows the kind
 */
export function operationSqlSource(definition: OperationDefinition<never>, dialect: Dialect): OperationSqlSource | undefined {
  if (own(definition.sql, dialect.name)) return 'operation';
  if (own(dialect.operationSql, definition.kind)) return 'dialect';
  if (familySql(definition.sql, dialect) || own(definition.sql, 'default')) return 'operation';
  return undefined;
}

/**
 * The statements of `operation` (of kind `definition`) on `context.dialect`: the operation's
 * own SQL for the dialect's name, then the dialect's (`compileOperation`, then its
 * `operationSql`), then the operation's SQL for the dialect's family (`sql.postgres` on
 * PGlite), then its `sql.default`; `undefined` when none has it. What the dialect knows of
 * its own engine wins over SQL written for the family. The one
 * place that decides where an operation's SQL comes from: the runner, `sqlmigrate` and the
 * conformance suite all compile through it.
 *
 * @example
 * const statements = await compileOperationSql(covet.operations.get(operation.kind), operation, { dialect, stateBefore, stateAfter });
 */
export async function compileOperationSql<Args>(
  definition: OperationDefinition<Args>,
  operation: Operation<Args>,
  context: CompileContext,
): Promise<readonly SqlStatement[] | undefined> {
  const { dialect } = context;
  const ownSql = own<SqlRenderer<Args>>(definition.sql, dialect.name);
  if (ownSql) return ownSql(operation.args, context);
  const compiled = await dialect.compileOperation(operation, context);
  if (compiled !== undefined) return compiled;
  const dialectSql = own(dialect.operationSql, operation.kind);
  if (dialectSql) return dialectSql(operation.args as never, context);
  const family = familySql<SqlRenderer<Args>>(definition.sql, dialect);
  if (family) return family(operation.args, context);
  const portable = own<SqlRenderer<Args>>(definition.sql, 'default');
  return portable ? portable(operation.args, context) : undefined;
}

/**
 * What a user can do when `dialect` has no SQL for operation `kind`: the hint of every "has no
 * SQL" error (the runner, `sqlmigrate`, the conformance suite). SQL can come from the
 * operation's plugin, from the dialect (`operationSql`, so a third-party dialect package can
 * teach itself a plugin's kind), or be written by hand.
 */
export function missingSqlHint(kind: string, dialect: Pick<Dialect, 'name' | 'family'>): string {
  const family = dialectFamily(dialect);
  return (
    `The operation's plugin may give it sql.${dialect.name}${family === dialect.name ? '' : `, sql.${family}`} or sql.default; or the dialect may supply it ` +
    `(operationSql["${kind}"] of the Dialect, or a compiler method for a built-in kind: a third-party dialect ` +
    `is a plugin package listed in the config's plugins, see docs/writing-a-dialect.md); or use op.runSql.`
  );
}

/**
 * The one-line error for an operation `dialect` has no SQL for, with {@link missingSqlHint}.
 *
 * @param where names the operation (`operation #2 of migrations/0002_views.ts`)
 */
export function missingSqlError(kind: string, dialect: Pick<Dialect, 'name' | 'family'>, where: string): CovetError {
  return new CovetError('OPERATION_UNSUPPORTED', `Operation "${kind}" has no SQL for dialect ${dialect.name} (${where})`, {
    hint: missingSqlHint(kind, dialect),
  });
}

/**
 * Checks that every kind in `definitions` has SQL on `dialect` ({@link operationSqlSource}),
 * throwing a one-line `OPERATION_SQL_MISSING` error naming the first kind without and the
 * dialect. The conformance suite runs it before any test.
 *
 * @example
 * const { operations } = createCovet({ plugins: [views] });
 * checkOperationSql(operations.kinds().map((kind) => operations.get(kind)), dialect); // throws for a kind without SQL
 */
export function checkOperationSql(definitions: Iterable<OperationDefinition<never>>, dialect: Dialect, where?: string): void {
  for (const definition of definitions) {
    if (operationSqlSource(definition, dialect) !== undefined) continue;
    throw new CovetError(
      'OPERATION_SQL_MISSING',
      `Dialect "${dialect.name}" has no SQL for operation kind "${definition.kind}"${where ? ` (${where})` : ''}`,
      { hint: missingSqlHint(definition.kind, dialect) },
    );
  }
}
