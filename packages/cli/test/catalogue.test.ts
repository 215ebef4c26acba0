// The operation catalogue end to end on SQLite: a plugin operation with no SQL of its own runs
// on a dialect that supplies SQL for its kind, and is refused before anything runs on one that
// does not.
import { afterAll, describe, expect, it } from 'vitest';
import { TestProject, failureShape, migrationSource, removeProjects } from './helpers.js';

afterAll(removeProjects);

const VIEWS = '20260401000001_views';

/**
 * A config with a `views` plugin (two operations, no SQL) and, when `withDialect`, a plugin
 * registering SQLite extended with SQL for both kinds — the shape of a third-party dialect
 * built on a first-party one's public exports.
 */
function viewsConfig(withDialect: boolean): string {
  return `
import { defineConfig, defineOperation, definePlugin, createOperation } from '@covet/core';
import { SqliteDialect } from '@covet/dialect-sqlite';

const createView = defineOperation({
  kind: 'views.createView',
  validate: () => {},
  describe: (args) => 'Create view ' + args.name,
  applyToState: (state) => state,
  reverse: (args) => [createOperation('views.dropView', { name: args.name, query: args.query })],
});
const dropView = defineOperation({
  kind: 'views.dropView',
  validate: () => {},
  describe: (args) => 'Drop view ' + args.name,
  applyToState: (state) => state,
  reverse: (args) => [createOperation('views.createView', args)],
  destructive: true,
});
const views = definePlugin({
  name: 'covet-plugin-views',
  apply: (covet) => covet.hooks.registerOperations.tap('covet-plugin-views', (registry) => {
    registry.register(createView);
    registry.register(dropView);
  }),
});

class SqliteWithViews extends SqliteDialect {
  pluginOperationSql = {
    'views.createView': (args, { dialect }) => [{ sql: 'CREATE VIEW ' + dialect.quoteIdentifier(args.name) + ' AS ' + args.query }],
    'views.dropView': (args, { dialect }) => [{ sql: 'DROP VIEW ' + dialect.quoteIdentifier(args.name) }],
  };
}
const sqliteWithViews = definePlugin({
  name: 'covet-dialect-sqlite-views',
  apply: (covet) => covet.hooks.registerDialects.tap('covet-dialect-sqlite-views', (registry) => registry.register(new SqliteWithViews())),
});

export default defineConfig({
  database: { engine: 'sqlite', name: './app.db' },
  models: './models',
  migrations: './migrations',
  plugins: [views${withDialect ? ', sqliteWithViews' : ''}],
});
`;
}

const files = {
  [`migrations/${VIEWS}.ts`]: migrationSource([
    "op.createTable('users', { id: t.integer().primaryKey(), active: t.boolean().notNull() })",
    "op.custom('views.createView', { name: 'active users', query: 'SELECT id FROM users WHERE active' })",
  ]),
};

describe('the operation catalogue on SQLite', () => {
  it("runs a plugin operation whose SQL comes from the dialect, and rolls it back through the dialect's SQL for its reverse", async () => {
    const project = TestProject.create('catalogue-dialect-sql', { files, config: viewsConfig(true) });
    const sql = await project.run('sqlmigrate', VIEWS);
    expect(sql.code, sql.output).toBe(0);
    expect(sql.stdout).toContain('CREATE VIEW "active users" AS SELECT id FROM users WHERE active');

    const migrated = await project.run('migrate');
    expect(migrated.code, migrated.output).toBe(0);
    expect(project.rows("SELECT name FROM sqlite_master WHERE type = 'view'")).toEqual([{ name: 'active users' }]);
    const db = project.open();
    db.exec('INSERT INTO users (id, active) VALUES (1, 1), (2, 0)');
    db.close();
    expect(project.rows('SELECT id FROM "active users"')).toEqual([{ id: 1 }]);

    const rolled = await project.run('rollback');
    expect(rolled.code, rolled.output).toBe(0);
    expect(project.rows("SELECT name FROM sqlite_master WHERE type = 'view'")).toEqual([]);
    expect(project.applied()).toEqual([]);
  });

  it('refuses a plugin operation the dialect has no SQL for before anything runs, naming kind, dialect and migration', async () => {
    const project = TestProject.create('catalogue-no-sql', { files, config: viewsConfig(false) });
    const before = project.snapshot();
    const result = await project.run('migrate');
    expect(result.code, result.output).toBe(1);
    expect(result.stderr.split('\n')[0]).toBe(
      `error: Operation "views.createView" has no SQL for dialect sqlite (operation #2 of ${project.path('migrations', `${VIEWS}.ts`)})`,
    );
    // The hint says where SQL can come from: the plugin, the dialect (operationSql), a third-party dialect plugin.
    expect(result.stderr).toContain('sql.sqlite or sql.default');
    expect(result.stderr).toContain('operationSql["views.createView"] of the Dialect');
    expect(result.stderr).toContain("a third-party dialect is a plugin package listed in the config's plugins, see docs/writing-a-dialect.md");
    expect(failureShape(result)).toEqual({ errorLines: 1, stackLines: 0 });
    expect(project.snapshot()).toEqual(before);
  });
});
