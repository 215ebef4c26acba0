// The conformance suite's way of running operations: each compiled by its definition's own SQL
// or the dialect's, against the live database, with the state after it.
import type { Dialect, DialectConnection } from '../dialect/dialect.js';
import { BUILTIN_OPERATIONS } from '../operations/builtin/index.js';
import type { Operation, OperationDefinition } from '../operations/define-operation.js';
import type { SchemaState, SqlStatement } from '../schema/types.js';

const definitions = new Map<string, OperationDefinition>(BUILTIN_OPERATIONS.map((d) => [d.kind, d]));

export function definitionOf(kind: string): OperationDefinition {
  const definition = definitions.get(kind);
  if (!definition) throw new Error(`Unknown operation kind ${kind}`);
  return definition;
}

/** The state after `operation`, and its SQL for `dialect` (the definition's own SQL first). */
export async function compile(
  dialect: Dialect,
  connection: DialectConnection | undefined,
  operation: Operation,
  stateBefore: SchemaState,
): Promise<{ statements: readonly SqlStatement[]; stateAfter: SchemaState }> {
  const definition = definitionOf(operation.kind);
  definition.validate(operation.args, stateBefore);
  const stateAfter = definition.applyToState(stateBefore, operation.args);
  const context = {
    dialect,
    stateBefore,
    stateAfter,
    ...(connection ? { query: connection.query.bind(connection) } : {}),
  };
  const renderer = definition.sql?.[dialect.name] ?? definition.sql?.default;
  const statements = await (renderer ? renderer(operation.args, context) : dialect.compileOperation(operation, context));
  if (!statements) throw new Error(`Dialect ${dialect.name} has no SQL for ${operation.kind}`);
  return { statements, stateAfter };
}

/** Compiles and runs operations one by one (each compiled against the live database), in one transaction. */
export async function apply(dialect: Dialect, connection: DialectConnection, operations: readonly Operation[], state: SchemaState): Promise<SchemaState> {
  let current = state;
  await connection.transaction(async () => {
    for (const operation of operations) {
      const { statements, stateAfter } = await compile(dialect, connection, operation, current);
      for (const statement of statements) await connection.execute(statement);
      current = stateAfter;
    }
  });
  return current;
}
