// The conformance suite's way of running operations: each compiled as the runner compiles it
// (compileOperationSql: the operation's own SQL for the dialect, the dialect's, the operation's
// default), against the live database, with the state after it.
import type { Dialect, DialectConnection } from '../dialect/dialect.js';
import type { Operation, OperationRegistry } from '../operations/define-operation.js';
import { compileOperationSql } from '../operations/operation-sql.js';
import { createCovet } from '../plugin/covet.js';
import type { SchemaState, SqlStatement } from '../schema/types.js';

let builtins: OperationRegistry | undefined;

/** The registry of a `Covet` instance with only the built-in operations. */
export function builtinRegistry(): OperationRegistry {
  builtins ??= createCovet().operations;
  return builtins;
}

/** The state after `operation`, and its SQL for `dialect`, found as the runner finds it. */
export async function compile(
  dialect: Dialect,
  connection: DialectConnection | undefined,
  operation: Operation,
  stateBefore: SchemaState,
  registry: OperationRegistry = builtinRegistry(),
): Promise<{ statements: readonly SqlStatement[]; stateAfter: SchemaState }> {
  const definition = registry.get(operation.kind);
  definition.validate(operation.args, stateBefore);
  const stateAfter = definition.applyToState(stateBefore, operation.args);
  const context = {
    dialect,
    stateBefore,
    stateAfter,
    ...(connection ? { query: connection.query.bind(connection) } : {}),
  };
  const statements = await compileOperationSql(definition, operation, context);
  if (!statements) throw new Error(`Dialect ${dialect.name} has no SQL for ${operation.kind}`);
  return { statements, stateAfter };
}

/** Compiles and runs operations one by one (each compiled against the live database), in one transaction. */
export async function apply(
  dialect: Dialect,
  connection: DialectConnection,
  operations: readonly Operation[],
  state: SchemaState,
  registry: OperationRegistry = builtinRegistry(),
): Promise<SchemaState> {
  let current = state;
  await connection.transaction(async () => {
    for (const operation of operations) {
      const { statements, stateAfter } = await compile(dialect, connection, operation, current, registry);
      for (const statement of statements) await connection.execute(statement);
      current = stateAfter;
    }
  });
  return current;
}
