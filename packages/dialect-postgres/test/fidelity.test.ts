// Schemas as real PostgreSQL databases hold them, with the real `covet` binary: a foreign key
// named like an index of its table (a constraint and a relation live in different namespaces).
import { afterEach, beforeEach, expect, it } from 'vitest';
import { cliProject, createTestDatabase, describeWithPostgres, withClient, type CliProject, type TestDatabase } from './helpers.js';

describeWithPostgres('fidelity on PostgreSQL', () => {
  let database: TestDatabase;
  let project: CliProject;
  beforeEach(async () => {
    database = await createTestDatabase();
    project = cliProject(database);
  });
  afterEach(async () => {
    project.remove();
    await database.drop();
  });

  it('a foreign key named like an index of its table is built, and then seen as no change', { timeout: 120_000 }, async () => {
    project.write(
      'models/shop.ts',
      `import { defineTable, t } from '@covet/core';
export const users = defineTable('users', { id: t.serial().primaryKey() });
export const orders = defineTable('orders', {
  id: t.serial().primaryKey(),
  user_id: t.integer().notNull().references(users, 'id', { name: 'fk_orders_user' }),
}, { indexes: [{ name: 'fk_orders_user', columns: ['user_id'] }] });
`,
    );
    for (const argv of [['makemigrations', '--name', 'initial'], ['migrate']]) {
      const run = project.run(...argv);
      expect(run.status, run.stderr).toBe(0);
    }
    await withClient(database.url, async (client) => {
      const { rows } = await client.query(
        `SELECT 'index' AS kind, indexname AS name FROM pg_indexes WHERE tablename = 'orders' AND indexname <> 'orders_pkey'
         UNION ALL SELECT 'foreign key', conname FROM pg_constraint WHERE conrelid = 'orders'::regclass AND contype = 'f'`,
      );
      expect(rows.map((row) => `${row.kind} ${row.name}`).sort()).toEqual(['foreign key fk_orders_user', 'index fk_orders_user']);
    });
    for (const argv of [['makemigrations', '--dry-run'], ['makemigrations', '--from', 'database', '--dry-run']]) {
      const run = project.run(...argv);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout, argv.join(' ')).toContain('No changes detected');
    }
    const rollback = project.run('rollback');
    expect(rollback.status, rollback.stderr).toBe(0);
  });
});
