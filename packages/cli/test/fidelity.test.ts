// What SQLite cannot do is said before anything runs: a serial that is not the table's only
// primary key column would be a plain column there (SQLite auto-increments only a
// single-column INTEGER PRIMARY KEY), nor can a column comment. A foreign key named like an
// index of its table is fine, and so is the column-level DSL SQLite can hold (collations,
// function defaults, identity on the primary key; sizes and jsonb fall back to blob and json).
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { findWorkspaceRoot } from '@covet/core/testing';
import { createSqliteDialect, loadSqlFile } from '@covet/dialect-sqlite';
import type { SchemaState } from '@covet/core';
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

  it('the column DSL on SQLite: collation, function default, identity key, sized blob, jsonb, numeric', async () => {
    const models = modelSource(`
export const docs = defineTable('docs', {
  id: t.integer().identity().primaryKey(),
  title: t.text().notNull().collate('NOCASE'),
  token: t.text().notNull().default(sql\`lower(hex(randomblob(16)))\`),
  file: t.blob({ size: 'long' }),
  meta: t.jsonb(),
  amount: t.numeric(),
});
`);
    const project = TestProject.create('columns', { files: { 'models/docs.ts': models } });
    for (const argv of [['makemigrations', '--name', 'initial'], ['migrate']]) {
      const run = await project.run(...argv);
      expect(run.code, run.output).toBe(0);
    }
    const created = String(project.rows("SELECT sql FROM sqlite_master WHERE name = 'docs'")[0]!.sql);
    expect(created).toContain('"id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL');
    expect(created).toContain('"title" text COLLATE "NOCASE" NOT NULL');
    const db = project.open();
    try {
      db.prepare("INSERT INTO docs (title) VALUES ('Abc'), ('b')").run();
      expect(db.prepare("SELECT id FROM docs WHERE title = 'ABC'").all()).toEqual([{ id: 1 }]);
      expect(String(db.prepare('SELECT token FROM docs WHERE id = 2').get()!.token)).toMatch(/^[0-9a-f]{32}$/);
    } finally {
      db.close();
    }
    for (const argv of [['makemigrations', '--dry-run'], ['makemigrations', '--from', 'database', '--dry-run']]) {
      const run = await project.run(...argv);
      expect(run.code, run.output).toBe(0);
      expect(run.stdout, argv.join(' ')).toContain('No changes detected');
    }
    // A collation change rebuilds the table and keeps the rows.
    project.write('models/docs.ts', models.replace("collate('NOCASE')", "collate('RTRIM')"));
    for (const argv of [['makemigrations', '--name', 'rtrim'], ['migrate']]) {
      const run = await project.run(...argv);
      expect(run.code, run.output).toBe(0);
    }
    expect(project.rows("SELECT count(*) AS n FROM docs WHERE title = 'b  '")).toEqual([{ n: 1 }]);
    const again = await project.run('makemigrations', '--from', 'database', '--dry-run');
    expect(again.stdout).toContain('No changes detected');
  });

  it('a column comment, and an identity that refuses given values, are refused in one line; nothing runs', async () => {
    for (const [column, message] of [
      ["id: t.integer().primaryKey(), note: t.text().comment('why')", 'error: SQLite has no column comments: docs.note has .comment()'],
      ['id: t.integer().identity({ always: true }).primaryKey()', 'error: SQLite has no identity column that refuses given values: docs.id is .identity({ always: true })'],
    ] as const) {
      const project = TestProject.create('refused', { files: { 'models/docs.ts': modelSource(`export const docs = defineTable('docs', { ${column} });`) } });
      expect((await project.run('makemigrations', '--name', 'initial')).code).toBe(0);
      const run = await project.run('migrate');
      expect(run.code).not.toBe(0);
      expect(errorLines(run.stderr)[0]).toBe(message);
      expect(project.tables()).toEqual([]);
    }
  });

  it('inspectdb round-trips Chinook: models, no changes from the database, --fake-initial, a fresh copy introspected equal', async () => {
    const dialect = createSqliteDialect();
    const chinook = join(findWorkspaceRoot(import.meta.dirname), 'fixtures', 'corpus', 'chinook', 'Chinook_Sqlite.sql');
    const source = TestProject.create('inspect-chinook');
    await loadSqlFile(source.dbPath, chinook);
    let run = await source.run('inspectdb');
    expect(run.code, run.output).toBe(0);
    expect(readdirSync(source.path('models')).sort()).toEqual(
      ['Album', 'Artist', 'Customer', 'Employee', 'Genre', 'Invoice', 'InvoiceLine', 'MediaType', 'Playlist', 'PlaylistTrack', 'Track'].map((name) => `${name}.ts`),
    );
    expect(run.stdout).not.toContain('nearest the model DSL can say');
    for (const argv of [['makemigrations', '--from', 'database', '--dry-run'], ['makemigrations', '--name', 'initial'], ['migrate', '--fake-initial']]) {
      run = await source.run(...argv);
      expect(run.code, `${argv.join(' ')}: ${run.output}`).toBe(0);
    }
    expect(run.stdout).toContain('its tables exist already (--fake-initial)');
    expect(source.rows('SELECT count(*) AS n FROM Track')).toEqual([{ n: 3503 }]);
    run = await source.run('makemigrations', '--from', 'database', '--dry-run');
    expect(run.stdout).toContain('No changes detected');

    const copy = TestProject.create('inspect-chinook-copy');
    cpSync(source.path('models'), copy.path('models'), { recursive: true });
    cpSync(source.path('migrations'), copy.path('migrations'), { recursive: true });
    run = await copy.run('migrate');
    expect(run.code, run.output).toBe(0);
    const introspect = async (file: string) => {
      const connection = await dialect.connect({ engine: 'sqlite', name: file });
      try {
        return await connection.introspector.introspect();
      } finally {
        await connection.close();
      }
    };
    const comparable = (state: SchemaState) =>
      Object.fromEntries(Object.entries(state.tables).map(([name, table]) => [name, { ...table, columns: table.columns.map((column) => dialect.normalizeColumn(column)) }]));
    expect(comparable(await introspect(copy.dbPath))).toEqual(comparable(await introspect(source.dbPath)));
  });

  it('inspectdb for one app of several writes the tables no other app owns, into that app\'s models folder', async () => {
    const project = TestProject.create('inspect-apps', {
      config: `import { defineConfig } from '@covet/core';
export default defineConfig({
  database: { engine: 'sqlite', name: './app.db' },
  migrations: './migrations',
  apps: { auth: { models: './auth' }, legacy: { models: './legacy' } },
});
`,
      files: { 'auth/accounts.ts': modelSource(`export const accounts = defineTable('accounts', { id: t.serial().primaryKey() });`) },
    });
    for (const argv of [['makemigrations', '--app', 'auth'], ['migrate']]) {
      const run = await project.run(...argv);
      expect(run.code, run.output).toBe(0);
    }
    const db = project.open();
    try {
      db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, account_id integer REFERENCES accounts (id))');
    } finally {
      db.close();
    }
    const run = await project.run('inspectdb', '--app', 'legacy');
    expect(run.code, run.output).toBe(0);
    expect(run.stdout).toContain("Left out, as other apps' migrations own them: accounts");
    expect(readdirSync(project.path('legacy'))).toEqual(['orders.ts']);
    const again = await project.run('makemigrations', '--app', 'legacy', '--from', 'database', '--dry-run');
    expect(again.code, again.output).toBe(0);
    expect(again.stdout).toContain('No changes detected');
  });
});
