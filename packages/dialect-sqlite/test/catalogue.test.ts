// The catalogue example of docs/plugins.md, run on a real SQLite database: a plugin operation
// with no SQL of its own, a dialect built on SqliteDialect that supplies SQL for its kind, and
// the conformance suite told about the plugin (so it checks the dialect has that SQL).
import { join } from 'node:path';
import { compileOperationSql, createCovet, createOperation, defineOperation, definePlugin, operationSqlSource } from '@covet/core';
import { runDialectConformance } from '@covet/core/testing';
import { describe, expect, it } from 'vitest';
import { SqliteDialect } from '../src/index.js';
import { temporaryFolder } from './helpers.js';

// --- as in docs/plugins.md -------------------------------------------------------------------
// The plugin: no SQL of its own.
const createView = defineOperation<{ name: string; query: string }>({
  kind: 'views.createView',
  validate: () => {},
  describe: (args) => `Create view ${args.name}`,
  applyToState: (state) => state,
  reverse: (args) => [createOperation('runSql', { sql: `DROP VIEW ${args.name}` })],
});
const views = definePlugin({
  name: 'covet-plugin-views',
  apply: (covet) => covet.hooks.registerOperations.tap('covet-plugin-views', (registry) => registry.register(createView)),
});

// A dialect that knows the kind.
class SqliteWithViews extends SqliteDialect {
  protected override readonly pluginOperationSql = {
    'views.createView': (args: { name: string; query: string }) => [
      { sql: `CREATE VIEW ${this.quoteIdentifier(args.name)} AS ${args.query}` },
    ],
  };
}

const covet = createCovet({ plugins: [views] });
// ----------------------------------------------------------------------------------------------

async function createDatabase() {
  const folder = temporaryFolder();
  return { config: { engine: 'sqlite', name: join(folder.path, 'test.db') }, drop: async () => folder.remove() };
}

describe('a plugin operation whose SQL comes from the dialect (docs/plugins.md)', () => {
  it('says where the SQL comes from', () => {
    expect(operationSqlSource(covet.operations.get('views.createView'), new SqliteWithViews())).toBe('dialect');
    expect(operationSqlSource(covet.operations.get('views.createView'), new SqliteDialect())).toBeUndefined();
    expect(operationSqlSource(covet.operations.get('createTable'), new SqliteWithViews())).toBe('dialect');
  });

  it('creates the view on SQLite through the SQL the dialect supplies', async () => {
    const database = await createDatabase();
    const dialect = new SqliteWithViews();
    const connection = await dialect.connect(database.config);
    try {
      await connection.execute({ sql: 'CREATE TABLE users (id INTEGER PRIMARY KEY, active INTEGER NOT NULL)' });
      await connection.execute({ sql: 'INSERT INTO users (id, active) VALUES (1, 1), (2, 0)' });
      const state = await connection.introspector.introspect();
      const operation = createOperation('views.createView', { name: 'active users', query: 'SELECT id FROM users WHERE active' });
      const statements = await compileOperationSql(covet.operations.get('views.createView'), operation, { dialect, stateBefore: state, stateAfter: state });
      expect(statements).toEqual([{ sql: 'CREATE VIEW "active users" AS SELECT id FROM users WHERE active' }]);
      for (const statement of statements!) await connection.execute(statement);
      expect(await connection.query('SELECT id FROM "active users"')).toEqual([{ id: 1 }]);
      // The stock dialect has no SQL for the kind.
      const stock = new SqliteDialect();
      expect(await compileOperationSql(covet.operations.get('views.createView'), operation, { dialect: stock, stateBefore: state, stateAfter: state })).toBeUndefined();
    } finally {
      await connection.close();
      await database.drop();
    }
  });
});

runDialectConformance({ name: 'sqlite with views', dialect: new SqliteWithViews(), plugins: [views], createDatabase });
