// Real-world schemas: load Sakila and Chinook, introspect, generate the migration from an empty
// state, apply it to a fresh database, and introspect again: the two states must be equal.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCovet, EMPTY_STATE, MigrationEngine, type SchemaState } from '@covet/core';
import { afterEach, expect, it } from 'vitest';
import { createPostgresDialect, type PostgresConnection } from '../src/index.js';
import { CORPUS, createTestDatabase, describeWithPostgres, loadWithPsql as load, psqlAvailable, typeStatements, type TestDatabase } from './helpers.js';

const dialect = createPostgresDialect();
const covet = createCovet();

/** Applies `operations` (compiled one by one against the live database) in one transaction. */
async function applyChanges(connection: PostgresConnection, target: SchemaState): Promise<number> {
  const operations = new MigrationEngine({ operations: covet.operations, normalizeColumn: (c) => dialect.normalizeColumn(c) }).detectChanges(EMPTY_STATE, target);
  let state: SchemaState = EMPTY_STATE;
  await connection.transaction(async () => {
    for (const operation of operations) {
      const definition = covet.operations.get(operation.kind);
      const after = definition.applyToState(state, operation.args);
      const statements = (await dialect.compileOperation(operation, { dialect, stateBefore: state, stateAfter: after, query: connection.query.bind(connection) }))!;
      for (const statement of statements) await connection.execute(statement);
      state = after;
    }
  });
  return operations.length;
}

const cases = [
  { name: 'Sakila', file: join(CORPUS, 'sakila', 'postgres-sakila-schema.sql'), tables: 21 },
  { name: 'Chinook', file: join(CORPUS, 'chinook', 'Chinook_PostgreSql.sql'), tables: 11 },
];

describeWithPostgres('round trip of real schemas', () => {
  const databases: TestDatabase[] = [];
  const connections: PostgresConnection[] = [];
  afterEach(async () => {
    for (const connection of connections.splice(0)) await connection.close();
    for (const database of databases.splice(0)) await database.drop();
  });

  for (const { name, file, tables } of cases) {
    it(`${name}: load, introspect, generate, apply to a fresh database, introspect the same`, { timeout: 120_000 }, async (context) => {
      if (!psqlAvailable()) {
        if (process.env.CI) throw new Error('psql is not on PATH: the corpus scripts are loaded with it');
        context.skip('psql is not on PATH');
      }
      // The Chinook script creates and connects to its own database: load it into ours instead.
      const sql = readFileSync(file, 'utf8').replace(/^(DROP DATABASE|CREATE DATABASE|\\c)\b.*$/gm, '');
      const source = await createTestDatabase();
      const target = await createTestDatabase();
      databases.push(source, target);
      load(source.url, sql);
      load(target.url, typeStatements(sql));

      const from = (await dialect.connect({ engine: 'postgres', url: source.url })) as PostgresConnection;
      const to = (await dialect.connect({ engine: 'postgres', url: target.url })) as PostgresConnection;
      connections.push(from, to);
      const original = await from.introspector.introspect();
      expect(Object.keys(original.tables)).toHaveLength(tables);
      const count = await applyChanges(to, original);
      expect(count).toBeGreaterThanOrEqual(tables);
      const copy = await to.introspector.introspect();
      expect(copy.tables).toEqual(original.tables);
      // Nothing left to do between the two.
      expect(new MigrationEngine({ normalizeColumn: (c) => dialect.normalizeColumn(c) }).detectChanges(original, copy)).toEqual([]);
    });
  }
});
