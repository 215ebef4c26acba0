// A run keeps the SQL it compiled (PlanCache) so that the next fresh database (a test
// database, a new environment) is migrated without replaying and compiling every operation.
// These tests count the dialect's compile calls to see which path a run took, and check that
// the result is the same database either way, that any change to a migration or a plugin that
// looks at operations gets the full plan, and that failures read the same.
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { TestProject, inlinePlugin, migrationSource, removeProjects } from './helpers.js';

afterAll(removeProjects);

declare global {
  // Counted by the test configs below (the CLI runs in this process).
  var covetCompiles: number | undefined;
  var covetHookLog: string[] | undefined;
  var covetPluginCompiles: number | undefined;
}

beforeEach(() => {
  globalThis.covetCompiles = 0;
  globalThis.covetHookLog = [];
  globalThis.covetPluginCompiles = 0;
});

/** A config whose sqlite dialect counts its compile calls; `plugin` is a plugin's source. */
function countingConfig(plugin = '', imports = ''): string {
  return `import { defineConfig${imports} } from '@covet/core';
import { SqliteDialect } from '@covet/dialect-sqlite';

class CountingSqlite extends SqliteDialect {
  compileOperation(operation, context) {
    globalThis.covetCompiles = (globalThis.covetCompiles ?? 0) + 1;
    return super.compileOperation(operation, context);
  }
}
const counting = ${inlinePlugin('counting-sqlite', "    covet.hooks.registerDialects.tap('counting', (registry) => registry.register(new CountingSqlite()));")};
${plugin ? `const extra = ${plugin};` : ''}

export default defineConfig({
  database: { engine: 'sqlite', name: './app.db' },
  migrations: './migrations',
  plugins: [counting${plugin ? ', extra' : ''}],
});
`;
}

const A = '20260101000001_authors';
const B = '20260101000002_books';
const C = '20260101000003_indexes';

function files(indexColumns = "['title']"): Record<string, string> {
  return {
    [`migrations/${A}.ts`]: migrationSource(["op.createTable('authors', { id: t.serial().primaryKey(), name: t.varchar(100).notNull() })"]),
    [`migrations/${B}.ts`]: migrationSource(
      [
        "op.createTable('books', { id: t.serial().primaryKey(), title: t.text().notNull(), author_id: t.integer().references('authors', 'id') })",
        "op.addColumn('authors', 'born', t.integer())",
      ],
      [A],
    ),
    [`migrations/${C}.ts`]: migrationSource(
      [`op.createIndex('books', { name: 'books_title_idx', columns: ${indexColumns} })`, "op.addColumn('books', 'pages', t.integer().notNull().default(0))"],
      [B],
    ),
  };
}

function applied(project: TestProject): string[] {
  return project.tracking().map((row) => `${String(row.name)} ${String(row.checksum)}`);
}

describe('compiled plans (PlanCache)', () => {
  it('a fresh database is migrated from the SQL compiled by an earlier run, to the same schema', async () => {
    const project = TestProject.create('plans-fresh', { config: countingConfig(), files: files() });
    const first = await project.run('migrate');
    expect(first.code, first.output).toBe(0);
    expect(globalThis.covetCompiles).toBeGreaterThanOrEqual(5);
    const schema = project.schema();
    const rows = applied(project);

    project.remove('app.db');
    globalThis.covetCompiles = 0;
    const second = await project.run('migrate');
    expect(second.code, second.output).toBe(0);
    // Only Covet's own tables are compiled: the tracking table and its shape versions.
    expect(globalThis.covetCompiles).toBe(2);
    expect(second.stdout).toContain(`Applied default:${C}`);
    expect(project.schema()).toEqual(schema);
    expect(applied(project)).toEqual(rows);

    // Part-way: the first migration applied, the others from the plan.
    project.remove('app.db');
    expect((await project.run('migrate', A)).code).toBe(0);
    globalThis.covetCompiles = 0;
    const rest = await project.run('migrate');
    expect(rest.code, rest.output).toBe(0);
    expect(globalThis.covetCompiles).toBe(0);
    expect(project.schema()).toEqual(schema);
  });

  it('a changed migration is compiled again, and so is every migration after it', async () => {
    const project = TestProject.create('plans-changed', { config: countingConfig(), files: files() });
    expect((await project.run('migrate')).code).toBe(0);

    project.remove('app.db');
    // The middle migration changes: the last one's SQL depends on the schema before it.
    project.write(`migrations/${B}.ts`, files()[`migrations/${B}.ts`]!.replace('t.text().notNull()', 't.varchar(200).notNull()'));
    globalThis.covetCompiles = 0;
    const result = await project.run('migrate');
    expect(result.code, result.output).toBe(0);
    expect(globalThis.covetCompiles).toBeGreaterThanOrEqual(4);
    expect(project.columns('books').find((column) => column.name === 'title')?.type).toBe('varchar(200)');

    project.remove('app.db');
    project.write(`migrations/${C}.ts`, files("['title', 'author_id']")[`migrations/${C}.ts`]!);
    const again = await project.run('migrate');
    expect(again.code, again.output).toBe(0);
    expect(project.rows("SELECT name FROM pragma_index_info('books_title_idx') ORDER BY seqno").map((row) => row.name)).toEqual(['title', 'author_id']);
  });

  it('a plugin that looks at operations gets the full plan, with its hooks, on a fresh database', async () => {
    const plugin = inlinePlugin('watcher', `
      covet.hooks.beforeOperation.tap('watcher', (operation, { migration }) => { globalThis.covetHookLog.push(migration.name + ' ' + operation.kind); });`);
    const project = TestProject.create('plans-plugin', { config: countingConfig(), files: files() });
    expect((await project.run('migrate')).code).toBe(0);

    project.remove('app.db');
    project.write('covet.config.ts', countingConfig(plugin));
    globalThis.covetCompiles = 0;
    const result = await project.run('migrate');
    expect(result.code, result.output).toBe(0);
    expect(globalThis.covetCompiles).toBeGreaterThanOrEqual(5);
    expect(globalThis.covetHookLog).toEqual([`${A} createTable`, `${B} createTable`, `${B} addColumn`, `${C} createIndex`, `${C} addColumn`]);
  });

  it('a plugin that rewrites SQL (processSql, no cacheKey) never gets the plans compiled without it', async () => {
    const plugin = `{ name: 'unique-indexes', apply(covet) {
      covet.hooks.processSql.tap('unique-indexes', (statements) => statements.map((statement) => ({ ...statement, sql: statement.sql.replace(/^CREATE INDEX/, 'CREATE UNIQUE INDEX') })));
    } }`;
    const project = TestProject.create('plans-rewrite', { config: countingConfig(), files: files() });
    expect((await project.run('migrate')).code).toBe(0);
    const indexes = () => project.rows("SELECT sql FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' AND tbl_name NOT LIKE '%covet%'").map((row) => (row as { sql: string }).sql);
    expect(indexes().every((sql) => sql.startsWith('CREATE INDEX'))).toBe(true);

    // The plans of the first run are in the cache; with the plugin, a fresh database gets its rewrite.
    project.remove('app.db');
    project.write('covet.config.ts', countingConfig(plugin));
    const result = await project.run('migrate');
    expect(result.code, result.output).toBe(0);
    expect(indexes().length).toBeGreaterThan(0);
    expect(indexes().every((sql) => sql.startsWith('CREATE UNIQUE INDEX'))).toBe(true);

    // And without it again, the cached plans (not the rewritten SQL) apply.
    project.remove('app.db');
    project.write('covet.config.ts', countingConfig());
    globalThis.covetCompiles = 0;
    expect((await project.run('migrate')).code).toBe(0);
    expect(globalThis.covetCompiles).toBeLessThanOrEqual(2);
    expect(indexes().every((sql) => sql.startsWith('CREATE INDEX'))).toBe(true);
  });

  describe('a plugin operation (with plugin state)', () => {
    const NOTE = '20260101000002_note';
    const LAST = '20260101000003_born';
    /** A plugin whose `notes.createNote` keeps a view in the plugin state, counting its SQL renders. */
    const notesConfig = (cacheKey?: string) =>
      countingConfig(
        inlinePlugin('notes', `
      covet.hooks.registerOperations.tap('notes', (registry) => registry.register(defineOperation({
        kind: 'notes.createNote',
        ${cacheKey === undefined ? '' : `cacheKey: ${JSON.stringify(cacheKey)},`}
        validate: () => {},
        describe: (args) => 'Create note ' + args.name,
        applyToState: (state, args) => withPluginObject(state, 'notes', args.name, { text: args.text }),
        reverse: (args) => [{ kind: 'notes.dropNote', args: { name: args.name } }],
        sql: { default: (args) => { globalThis.covetPluginCompiles = (globalThis.covetPluginCompiles ?? 0) + 1; return [{ sql: 'CREATE VIEW ' + args.name + " AS SELECT '" + args.text + "' AS note" }]; } },
      })));`),
        ', defineOperation, withPluginObject',
      );
    const notesFiles = {
      [`migrations/${A}.ts`]: files()[`migrations/${A}.ts`]!,
      [`migrations/${NOTE}.ts`]: migrationSource(["op.custom('notes.createNote', { name: 'hello_note', text: 'hello' })"], [A]),
      [`migrations/${LAST}.ts`]: migrationSource(["op.addColumn('authors', 'born', t.integer())"], [NOTE]),
    };

    it('with a cacheKey is applied from the plan cache, and compiled again when the cacheKey changes', async () => {
      const project = TestProject.create('plans-plugin-key', { config: notesConfig('notes@1'), files: notesFiles });
      expect((await project.run('migrate')).code).toBe(0);
      expect(globalThis.covetPluginCompiles).toBe(1);
      const schema = project.schema();

      project.remove('app.db');
      globalThis.covetCompiles = 0;
      globalThis.covetPluginCompiles = 0;
      const cached = await project.run('migrate');
      expect(cached.code, cached.output).toBe(0);
      // Only Covet's own tables are compiled.
      expect({ dialect: globalThis.covetCompiles, plugin: globalThis.covetPluginCompiles }).toEqual({ dialect: 2, plugin: 0 });
      expect(project.schema()).toEqual(schema);

      // A new version of the plugin: its key, and so every plan, changes.
      project.remove('app.db');
      project.write('covet.config.ts', notesConfig('notes@2'));
      globalThis.covetCompiles = 0;
      const recompiled = await project.run('migrate');
      expect(recompiled.code, recompiled.output).toBe(0);
      expect(globalThis.covetPluginCompiles).toBe(1);
      expect(globalThis.covetCompiles).toBeGreaterThanOrEqual(4);
      expect(project.schema()).toEqual(schema);
    });

    it('without a cacheKey is compiled on every database, and so is every migration after it', async () => {
      const project = TestProject.create('plans-plugin-nokey', { config: notesConfig(), files: notesFiles });
      expect((await project.run('migrate')).code).toBe(0);
      const schema = project.schema();

      project.remove('app.db');
      globalThis.covetCompiles = 0;
      globalThis.covetPluginCompiles = 0;
      const result = await project.run('migrate');
      expect(result.code, result.output).toBe(0);
      expect(globalThis.covetPluginCompiles).toBe(1);
      // Covet's own tables, and the migration after the plugin's (its SQL depends on the state before it).
      expect(globalThis.covetCompiles).toBeGreaterThanOrEqual(3);
      expect(project.schema()).toEqual(schema);
    });
  });

  it('a migration whose SQL reads the live database (a SQLite table rebuild) is compiled on every database', async () => {
    const rebuild = '20260101000004_rebuild';
    const project = TestProject.create('plans-live', {
      config: countingConfig(),
      files: { ...files(), [`migrations/${rebuild}.ts`]: migrationSource(["op.alterColumn('authors', 'born', t.integer().notNull().default(0))"], [C]) },
    });
    expect((await project.run('migrate')).code).toBe(0);
    const schema = project.schema();

    project.remove('app.db');
    globalThis.covetCompiles = 0;
    const result = await project.run('migrate');
    expect(result.code, result.output).toBe(0);
    expect(globalThis.covetCompiles).toBeGreaterThanOrEqual(6);
    expect(project.schema()).toEqual(schema);
    expect(project.columns('authors').find((column) => column.name === 'born')).toMatchObject({ notnull: 1, dflt_value: '0' });
  });

  it('writes the tracking rows of a compiled SQLite run when it ends, in order; rolls the run back if it cannot', async () => {
    const project = TestProject.create('plans-rows', { config: countingConfig(), files: files() });
    expect((await project.run('migrate')).code).toBe(0);
    const schema = project.schema();

    project.remove('app.db');
    expect((await project.run('migrate', A)).code).toBe(0);
    // The row of the last migration cannot be written: its DDL and that of the migration
    // before it (both applied by then) must not commit without their rows.
    const db = project.open();
    db.exec(`CREATE TRIGGER refuse_c BEFORE INSERT ON covet_migrations WHEN NEW.name = '${C}' BEGIN SELECT RAISE(ABORT, 'row refused'); END`);
    db.close();
    const before = project.schema();
    globalThis.covetCompiles = 0;
    const refused = await project.run('migrate');
    expect(refused.code, refused.output).toBe(1);
    expect(globalThis.covetCompiles).toBe(0);
    expect(refused.stderr.split('\n')[0]).toBe(`error: Migration default:${C} could not be recorded in covet_migrations: row refused [SQLITE_CONSTRAINT_TRIGGER]`);
    expect(project.applied()).toEqual([`default:${A}`]);
    expect(project.schema()).toEqual(before);

    const unblock = project.open();
    unblock.exec('DROP TRIGGER refuse_c');
    unblock.close();
    const result = await project.run('migrate');
    expect(result.code, result.output).toBe(0);
    expect(project.schema()).toEqual(schema);
    expect(project.rows('SELECT name FROM covet_migrations ORDER BY id').map((row) => row.name)).toEqual([A, B, C]);
  });

  it('a statement that fails reads the same from a compiled plan: migration, operation, SQL; afterFailure once', async () => {
    const plugin = inlinePlugin('reporter', `
      covet.hooks.afterFailure.tap('reporter', (error, { migration, index }) => { globalThis.covetHookLog.push(migration.name + ' #' + index + ' ' + error.message); });`);
    const project = TestProject.create('plans-failure', { config: countingConfig(plugin), files: files() });
    const outcomes: { stderr: string; log: string[]; applied: string[] }[] = [];
    for (const run of ['compiled now', 'from the plan']) {
      project.remove('app.db');
      // A table the second migration creates is already there.
      const db = project.open();
      db.exec('CREATE TABLE books (id integer PRIMARY KEY, kept text)');
      db.prepare("INSERT INTO books (kept) VALUES ('row of the user')").run();
      db.close();
      globalThis.covetCompiles = 0;
      globalThis.covetHookLog = [];
      const result = await project.run('migrate');
      expect(result.code, `${run}: ${result.output}`).toBe(1);
      // From the plan, only Covet's own tables are compiled (tracking table, shape versions).
      if (run === 'from the plan') expect(globalThis.covetCompiles).toBe(2);
      outcomes.push({ stderr: result.stderr, log: globalThis.covetHookLog, applied: project.applied() });
      expect(project.rows('SELECT kept FROM books')).toEqual([{ kept: 'row of the user' }]);
      expect(project.columns('authors').map((column) => column.name)).toEqual(['id', 'name']);
    }
    const [compiled, planned] = outcomes;
    expect(compiled!.stderr).toContain(`error: Migration default:${B} failed at operation #1 (createTable): table "books" already exists`);
    expect(planned!.stderr).toBe(compiled!.stderr);
    expect(compiled!.log).toHaveLength(1);
    expect(compiled!.log[0]).toMatch(new RegExp(`^${B} #0 Migration default:${B} failed at operation #1`));
    expect(planned!.log).toEqual(compiled!.log);
    expect(planned!.applied).toEqual([`default:${A}`]);
    expect(compiled!.applied).toEqual([`default:${A}`]);
  });
});
