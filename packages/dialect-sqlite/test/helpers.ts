import { findWorkspaceRoot } from '@covet/core/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A fresh folder under the system temp dir, removed by the returned function. */
export function temporaryFolder(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'covet-sqlite-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** The monorepo root. */
export function repositoryRoot(): string {
  return findWorkspaceRoot(dirname(fileURLToPath(import.meta.url)));
}

/** The Chinook SQLite dump, kept in the repository (`fixtures/corpus`, with its licence). */
export const CHINOOK_SQL = resolve(repositoryRoot(), 'fixtures/corpus/chinook/Chinook_Sqlite.sql');

import { BUILTIN_OPERATIONS, type Operation, type SchemaState } from '@covet/core';
import type { DialectConnection } from '@covet/core/dialect';

/**
 * Compiles `operations` one by one against the live database (as the runner does) and runs
 * them in one transaction; returns the state the operations say the schema is now in.
 */
export async function applyOperations(connection: DialectConnection, operations: readonly Operation[]): Promise<SchemaState> {
  let state = await connection.introspector.introspect();
  await connection.transaction(async () => {
    for (const operation of operations) {
      const definition = BUILTIN_OPERATIONS.find((d) => d.kind === operation.kind)!;
      definition.validate(operation.args, state);
      const stateAfter = definition.applyToState(state, operation.args);
      const statements = await connection.dialect.compileOperation(operation, {
        dialect: connection.dialect,
        stateBefore: state,
        stateAfter,
        query: connection.query.bind(connection),
      });
      for (const statement of statements ?? []) await connection.execute(statement);
      state = stateAfter;
    }
  });
  return state;
}

/** Row counts of every table, by name. */
export async function rowCounts(connection: DialectConnection): Promise<Record<string, number>> {
  const tables = await connection.query<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name");
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    const [row] = await connection.query<{ n: number }>(`SELECT COUNT(*) AS n FROM "${name}"`);
    counts[name] = row!.n;
  }
  return counts;
}
