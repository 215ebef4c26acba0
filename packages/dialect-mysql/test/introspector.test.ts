import { BUILTIN_OPERATIONS, createCovet, createOperation, EMPTY_STATE, MigrationEngine, type SchemaState } from '@covet/core';
import type { ColumnState } from '@covet/core/dialect';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMysqlDialect, MysqlIntrospector, type MysqlConnection } from '../src/index.js';
import { applyOperations, CHINOOK_SQL, createTestDatabase, loadDump, SAKILA_SQL, reportSkipped, UNAVAILABLE, type TestDatabase } from './helpers.js';

const dialect = createMysqlDialect();

const normalizeColumn = (column: ColumnState) => dialect.normalizeColumn(column);

/** A state in a form two databases can be compared in: columns normalised, names sorted. */
function comparable(state: SchemaState): unknown {
  return {
    tables: Object.fromEntries(
      Object.keys(state.tables)
        .sort()
        .map((name) => {
          const table = state.tables[name]!;
          return [name, JSON.parse(JSON.stringify({ ...table, columns: table.columns.map(normalizeColumn) }))];
        }),
    ),
    unmanaged: [...(state.unmanaged ?? [])].map((o) => `${o.kind} ${o.name}`).sort(),
  };
}

describe.runIf(!UNAVAILABLE)('MySQL introspection', () => {
  const databases: TestDatabase[] = [];
  const connections: MysqlConnection[] = [];
  const fresh = async () => {
    const database = await createTestDatabase();
    databases.push(database);
    const connection = (await dialect.connect(database.config)) as MysqlConnection;
    connections.push(connection);
    return { database, connection };
  };
  beforeEach(() => undefined);
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((c) => c.close()));
    await Promise.all(databases.splice(0).map((d) => d.drop()));
  });

  it('uses the same number of queries for 10 and 500 tables', async () => {
    const counts: number[] = [];
    for (const size of [10, 500]) {
      const { connection } = await fresh();
      const statements: string[] = [];
      for (let i = 0; i < size; i++) {
        const parent = i > 0 ? `, parent_id int, CONSTRAINT t${i}_parent_fkey FOREIGN KEY (parent_id) REFERENCES t${i - 1} (id)` : '';
        statements.push(`CREATE TABLE t${i} (id int AUTO_INCREMENT PRIMARY KEY, name varchar(100) NOT NULL, KEY t${i}_name_idx (name)${parent})`);
      }
      for (const sql of statements) await connection.execute({ sql });
      let queries = 0;
      const counting = new MysqlIntrospector(
        (sql, params) => {
          queries++;
          return connection.query(sql, params);
        },
        { schema: () => connection.database, mariadb: () => connection.isMariaDb },
      );
      const started = performance.now();
      const state = await counting.introspect();
      const elapsed = performance.now() - started;
      expect(Object.keys(state.tables)).toHaveLength(size);
      expect(state.tables.t5!.foreignKeys[0]).toMatchObject({ name: 't5_parent_fkey', references: { table: 't4', columns: ['id'] } });
      counts.push(queries);
      console.log(`introspected ${size} tables in ${queries} queries, ${elapsed.toFixed(0)} ms`);
    }
    expect(counts[0]).toBe(counts[1]);
    expect(counts[0]).toBeLessThanOrEqual(6);
  }, 120_000);

  for (const [label, file, views] of [
    ['Sakila', SAKILA_SQL, true],
    ['Chinook', CHINOOK_SQL, false],
  ] as const) {
    it(`round-trips ${label}: introspect, detect changes from nothing, apply elsewhere, introspect the same`, async () => {
      const source = await fresh();
      loadDump(source.database, file);
      const introspected = await source.connection.introspector.introspect();
      expect(Object.keys(introspected.tables).length).toBeGreaterThan(10);
      if (views) {
        const kinds = new Set(introspected.unmanaged!.map((o) => o.kind));
        expect([...kinds].sort()).toEqual(['fulltext index', 'function', 'procedure', 'trigger', 'view']);
      }
      const covet = createCovet();
      // Every table: enum/set columns (custom types with quoted literals) and index names
      // reused across tables (per-table in MySQL) included.
      const { tables } = introspected;
      const operations = new MigrationEngine({ operations: covet.operations, normalizeColumn, capabilities: dialect.capabilities }).detectChanges(
        EMPTY_STATE,
        { tables },
      );
      expect(operations.length).toBeGreaterThan(0);
      const target = await fresh();
      await applyOperations(target.connection, operations, EMPTY_STATE);
      const copy = await target.connection.introspector.introspect();
      expect(Object.keys(copy.tables).length).toBe(Object.keys(tables).length);
      expect(comparable({ tables: copy.tables })).toEqual(comparable({ tables }));
    }, 180_000);
  }

  it('recreates every Sakila table from its introspected state, enum/set and per-table index names included', async () => {
    // The dialect's own part of the round trip, without core's validation (see withoutCoreLimits).
    const source = await fresh();
    loadDump(source.database, SAKILA_SQL);
    const introspected = await source.connection.introspector.introspect();
    expect(Object.keys(introspected.tables)).toHaveLength(16);
    const target = await fresh();
    await target.connection.transaction(async () => {
      await target.connection.execute({ sql: 'SET FOREIGN_KEY_CHECKS = 0' });
      for (const table of Object.values(introspected.tables)) {
        const statements = await dialect.compileOperation(createOperation('createTable', table), {
          dialect,
          stateBefore: EMPTY_STATE,
          stateAfter: { tables: { [table.name]: table } },
        });
        for (const statement of statements!) await target.connection.execute(statement);
      }
      await target.connection.execute({ sql: 'SET FOREIGN_KEY_CHECKS = 1' });
    });
    const copy = await target.connection.introspector.introspect();
    expect(comparable({ tables: copy.tables })).toEqual(comparable({ tables: introspected.tables }));
    expect(introspected.tables.film!.columns.find((c) => c.name === 'rating')!.type).toEqual({ type: 'enum', values: ['G', 'PG', 'PG-13', 'R', 'NC-17'] });
    expect(introspected.tables.actor!.columns.find((c) => c.name === 'last_update')).toEqual({
      name: 'last_update',
      type: { type: 'custom', sql: 'timestamp ON UPDATE CURRENT_TIMESTAMP' },
      nullable: false,
      default: { kind: 'sql', sql: 'CURRENT_TIMESTAMP' },
    });
    expect(introspected.tables.actor!.columns[0]).toEqual({ name: 'actor_id', type: { type: 'custom', sql: 'int unsigned AUTO_INCREMENT' }, nullable: false });
  }, 180_000);
});

if (UNAVAILABLE) reportSkipped('MySQL introspection');
