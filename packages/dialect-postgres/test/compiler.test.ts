import { createCovet, createOperation, type Operation, type SchemaState } from '@covet/core';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createPostgresDialect, type PostgresConnection } from '../src/index.js';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from './helpers.js';

const dialect = createPostgresDialect();
const covet = createCovet();

/** Compiles and runs one operation against the live schema; returns its SQL and the state it says. */
async function run(connection: PostgresConnection, operation: Operation): Promise<{ sql: string[]; expected: SchemaState }> {
  const before = await connection.introspector.introspect();
  const definition = covet.operations.get(operation.kind);
  definition.validate(operation.args, before);
  const expected = definition.applyToState(before, operation.args);
  const statements = (await dialect.compileOperation(operation, { dialect, stateBefore: before, stateAfter: expected, query: connection.query.bind(connection) }))!;
  await connection.transaction(async () => {
    for (const statement of statements) await connection.execute(statement);
  });
  return { sql: statements.map((s) => s.sql), expected };
}

describeWithPostgres('compiler on a live database', () => {
  let database: TestDatabase;
  let connection: PostgresConnection;
  beforeEach(async () => {
    database = await createTestDatabase();
    connection = (await dialect.connect({ engine: 'postgres', url: database.url })) as PostgresConnection;
    await connection.execute({
      sql: `CREATE TABLE items (id integer PRIMARY KEY, code text DEFAULT '7', qty integer, CONSTRAINT items_qty_key UNIQUE (qty));
            INSERT INTO items VALUES (1, '10', 1), (2, '20', 2)`,
    });
  });
  afterEach(async () => {
    await connection.close();
    await database.drop();
  });

  it('changes a type with USING when no assignment cast exists, in one ALTER TABLE, keeping the rows', async () => {
    const { sql } = await run(connection, createOperation('alterColumn', { table: 'items', column: { name: 'code', type: { type: 'integer' }, nullable: false, default: { kind: 'value', value: 7 } } }));
    expect(sql).toEqual([
      'ALTER TABLE "items" ALTER COLUMN "code" DROP DEFAULT, ALTER COLUMN "code" TYPE integer USING "code"::integer, ALTER COLUMN "code" SET NOT NULL, ALTER COLUMN "code" SET DEFAULT 7',
    ]);
    expect(await connection.query('SELECT code FROM items ORDER BY id')).toEqual([{ code: 10 }, { code: 20 }]);
    expect((await connection.introspector.introspect()).tables.items!.columns[1]).toEqual({ name: 'code', type: { type: 'integer' }, nullable: false, default: { kind: 'value', value: 7 } });
  });

  it('widens a type without USING', async () => {
    const { sql } = await run(connection, createOperation('alterColumn', { table: 'items', column: { name: 'qty', type: { type: 'bigint' }, nullable: true } }));
    expect(sql).toEqual(['ALTER TABLE "items" ALTER COLUMN "qty" TYPE bigint']);
  });

  it('turns an integer into a serial that continues after the largest value, and back', async () => {
    await run(connection, createOperation('alterColumn', { table: 'items', column: { name: 'id', type: { type: 'serial' }, nullable: false } }));
    expect((await connection.introspector.introspect()).tables.items!.columns[0]).toEqual({ name: 'id', type: { type: 'serial' }, nullable: false });
    await connection.execute({ sql: 'INSERT INTO items (code) VALUES (NULL)' });
    expect(await connection.query('SELECT max(id) AS id FROM items')).toEqual([{ id: 3 }]);
    await run(connection, createOperation('alterColumn', { table: 'items', column: { name: 'id', type: { type: 'integer' }, nullable: false } }));
    expect((await connection.introspector.introspect()).tables.items!.columns[0]).toEqual({ name: 'id', type: { type: 'integer' }, nullable: false });
    // And to a serial again: the sequence the first change created is reused.
    await run(connection, createOperation('alterColumn', { table: 'items', column: { name: 'id', type: { type: 'serial' }, nullable: false } }));
    await connection.execute({ sql: 'INSERT INTO items (code) VALUES (NULL)' });
    expect(await connection.query('SELECT max(id) AS id FROM items')).toEqual([{ id: 4 }]);
  });

  it('drops an index that is a UNIQUE constraint with DROP CONSTRAINT, and a plain one with DROP INDEX', async () => {
    const constraint = await run(connection, createOperation('dropIndex', { table: 'items', name: 'items_qty_key' }));
    expect(constraint.sql).toEqual(['ALTER TABLE "items" DROP CONSTRAINT "items_qty_key"']);
    await run(connection, createOperation('createIndex', { table: 'items', index: { name: 'items_code_idx', columns: ['code'], unique: false, where: 'qty > 0' } }));
    expect((await connection.introspector.introspect()).tables.items!.indexes).toEqual([{ name: 'items_code_idx', columns: ['code'], unique: false, where: 'qty > 0' }]);
    const plain = await run(connection, createOperation('dropIndex', { table: 'items', name: 'items_code_idx' }));
    expect(plain.sql).toEqual(['DROP INDEX "items_code_idx"']);
  });
});
