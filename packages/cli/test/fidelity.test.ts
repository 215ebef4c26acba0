// What SQLite cannot do is said before anything runs: a serial that is not the table's only
// primary key column would be a plain column there (SQLite auto-increments only a
// single-column INTEGER PRIMARY KEY). A foreign key named like an index of its table is fine.
import { afterAll, describe, expect, it } from 'vitest';
import { errorLines, modelSource, removeProjects, TestProject } from './helpers.js';

afterAll(removeProjects);

describe('fidelity on SQLite', () => {
  it('a serial second in a composite primary key is refused in one line naming table and column; nothing runs', async () => {
    const project = TestProject.create('serial-second', {
      files: {
        'models/shop.ts': modelSource(`
export const users = defineTable('users', { id: t.serial().primaryKey() });
export const lines = defineTable('order_lines', {
  order_id: t.integer().notNull(),
  seq: t.serial(),
}, { primaryKey: ['order_id', 'seq'] });
`),
      },
    });
    expect((await project.run('makemigrations', '--name', 'initial')).code).toBe(0);
    const before = project.snapshot();
    for (const argv of [['migrate'], ['sqlmigrate', project.migrationNames()[0]!]]) {
      const run = await project.run(...argv);
      expect(run.code, argv.join(' ')).not.toBe(0);
      expect(errorLines(run.stderr)[0]).toBe(
        'error: SQLite cannot auto-increment order_lines.seq: only a table\'s single-column INTEGER PRIMARY KEY does, and this serial is in a composite primary key',
      );
    }
    // Not even the first table, nor the tracking table, was created.
    expect(project.snapshot()).toEqual(before);
    expect(project.tables()).toEqual([]);
  });

  it('a foreign key named like the index of its table is built, and then seen as no change', async () => {
    const project = TestProject.create('fk-like-index', {
      files: {
        'models/shop.ts': modelSource(`
export const users = defineTable('users', { id: t.serial().primaryKey() });
export const orders = defineTable('orders', {
  id: t.serial().primaryKey(),
  user_id: t.integer().notNull().references(users, 'id', { name: 'fk_orders_user' }),
}, { indexes: [{ name: 'fk_orders_user', columns: ['user_id'] }] });
`),
      },
    });
    for (const argv of [['makemigrations', '--name', 'initial'], ['migrate']]) {
      const run = await project.run(...argv);
      expect(run.code, run.output).toBe(0);
    }
    expect(project.indexes('orders')).toEqual(['fk_orders_user']);
    for (const argv of [['makemigrations', '--dry-run'], ['makemigrations', '--from', 'database', '--dry-run']]) {
      const run = await project.run(...argv);
      expect(run.code, run.output).toBe(0);
      expect(run.stdout).toContain('No changes detected');
    }
  });
});
