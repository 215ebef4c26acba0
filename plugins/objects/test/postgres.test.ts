// The objects plugin on PostgreSQL through the real binary: a model view created, replaced,
// dropped and rolled back (read back from pg_views), and a materialized view through the same
// loop, switched to a plain view and back by rollback (read back from pg_matviews).
import { readFileSync } from 'node:fs';
import type { CliProject } from '@covet/core/testing';
import { afterEach, expect, it } from 'vitest';
import { createTestDatabase, describeWithPostgres, withClient, type TestDatabase } from '../../../packages/dialect-postgres/test/helpers.js';
import { keptViewAroundAlter, models, objectsProject, runOk, viewsLoop } from './project.js';

describeWithPostgres('@covet/plugin-objects on PostgreSQL', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });
  async function database(): Promise<TestDatabase> {
    const created = await createTestDatabase();
    cleanup.push(() => created.drop());
    return created;
  }
  /** The view's definition from pg_views or pg_matviews, with which of the two holds it. */
  const definition = (url: string, name: string) =>
    withClient(url, async (client) => {
      const { rows } = await client.query<{ kind: string; definition: string }>(
        "SELECT 'view' AS kind, definition FROM pg_views WHERE schemaname = 'public' AND viewname = $1 UNION ALL SELECT 'materialized', definition FROM pg_matviews WHERE schemaname = 'public' AND matviewname = $1",
        [name],
      );
      expect(rows.length).toBeLessThanOrEqual(1);
      return rows[0] ? `${rows[0].kind}: ${rows[0].definition}` : undefined;
    });

  it('creates, replaces and drops a model view; each rollback restores the old definition', async () => {
    const { url } = await database();
    const project = await viewsLoop({
      database: { engine: 'postgres', url },
      view: (_project, name) => definition(url, name),
      first: /^view: .*'first'::text AS version/s,
      second: /^view: .*'second'::text AS version/s,
    });
    cleanup.push(() => project.dispose());
  });

  it('creates, replaces and drops a materialized view, switches it to a plain view, and rolls each step back', async () => {
    const { url } = await database();
    const project: CliProject = objectsProject({ engine: 'postgres', url }, {
      'models/app.ts': models([['user_counts', 'SELECT count(*) AS n FROM users', { materialized: true }]]),
    });
    cleanup.push(() => project.dispose());
    const view = () => definition(url, 'user_counts');
    const file = (index: number) => project.path('migrations', project.migrationFiles()[index]!);

    expect(runOk(project, 'makemigrations', '--name', 'initial').stdout).toContain('Create materialized view user_counts');
    expect(readFileSync(file(0), 'utf8')).toContain('objects.createView("user_counts", "SELECT count(*) AS n FROM users", { materialized: true })');
    runOk(project, 'migrate');
    expect(await view()).toMatch(/^materialized: .*count\(\*\) AS n/s);

    project.write('models/app.ts', models([['user_counts', 'SELECT count(*) AS n FROM users WHERE active', { materialized: true }]]));
    expect(runOk(project, 'makemigrations', '--name', 'active_only').stdout).toContain('Replace materialized view user_counts');
    runOk(project, 'migrate');
    expect(await view()).toMatch(/^materialized: .*WHERE users\.active/s);

    // A plain view now: the replace drops the materialized one; its reverse makes it again.
    project.write('models/app.ts', models([['user_counts', 'SELECT count(*) AS n FROM users WHERE active']]));
    expect(runOk(project, 'makemigrations', '--name', 'plain').stdout).toContain('Replace view user_counts');
    expect(readFileSync(file(2), 'utf8')).toContain('objects.replaceView("user_counts", "SELECT count(*) AS n FROM users WHERE active")');
    runOk(project, 'migrate');
    expect(await view()).toMatch(/^view: .*WHERE users\.active/s);

    runOk(project, 'rollback');
    expect(await view()).toMatch(/^materialized: .*WHERE users\.active/s);
    runOk(project, 'rollback');
    expect(await view()).toMatch(/^materialized: .*count\(\*\) AS n\s+FROM users;?$/s);

    // Gone from the models: a drop; rollback re-creates the plain view. Then every rollback
    // back to none, the first one's reverse dropping the materialized view.
    runOk(project, 'migrate');
    project.write('models/app.ts', models());
    expect(runOk(project, 'makemigrations', '--name', 'drop_counts').stdout).toContain('Drop view user_counts');
    expect(runOk(project, 'sqlmigrate', project.migrationFiles()[3]!.replace(/\.ts$/, '')).stdout).toContain('DROP VIEW "user_counts"');
    expect(runOk(project, 'sqlmigrate', project.migrationFiles()[0]!.replace(/\.ts$/, ''), '--backwards').stdout).toContain('DROP MATERIALIZED VIEW "user_counts"');
    runOk(project, 'migrate');
    expect(await view()).toBeUndefined();
    runOk(project, 'rollback');
    expect(await view()).toMatch(/^view: .*WHERE users\.active/s);
    runOk(project, 'migrate', 'zero');
    expect(await view()).toBeUndefined();
  });

  it('drops a kept view before a type change of a column it reads and creates it after, both ways', async () => {
    const { url } = await database();
    const project = await keptViewAroundAlter({ engine: 'postgres', url }, (_project, name) => definition(url, name));
    cleanup.push(() => project.dispose());
    const nameType = () =>
      withClient(url, async (client) => (await client.query<{ t: string }>("SELECT data_type AS t FROM information_schema.columns WHERE table_name = 'names' AND column_name = 'name'")).rows[0]?.t);
    // Rolled back: the view reads the varchar column again; migrated: the text one.
    expect(await nameType()).toBe('character varying');
    runOk(project, 'migrate');
    expect(await nameType()).toBe('text');
  });

  it('refreshes a materialized view from a migration, concurrently outside a transaction; rollback leaves its rows', async () => {
    const { url } = await database();
    const project = objectsProject({ engine: 'postgres', url }, { 'models/app.ts': models([['user_counts', 'SELECT count(*) AS n FROM users', { materialized: true }]]) });
    cleanup.push(() => project.dispose());
    runOk(project, 'makemigrations', '--name', 'initial');
    const initial = project.migrationFiles()[0]!.replace(/\.ts$/, '');
    const count = () => withClient(url, async (client) => Number((await client.query<{ n: string }>('SELECT n FROM user_counts')).rows[0]!.n));
    const handWritten = (name: string, dependency: string, operations: string) =>
      project.write(
        `migrations/${name}.ts`,
        `import { defineMigration, op } from '@covet/core';\nimport { objects } from '@covet/plugin-objects';\nexport default defineMigration({ dependencies: [${JSON.stringify(dependency)}], operations: [${operations}] });\n`,
      );
    handWritten('20990101000000_refresh', initial, "objects.refreshView('user_counts')");
    handWritten(
      '20990101000001_refresh_concurrently',
      '20990101000000_refresh',
      "op.runSql('CREATE UNIQUE INDEX user_counts_n ON user_counts (n)', 'DROP INDEX user_counts_n'), objects.refreshView('user_counts', { concurrently: true })",
    );
    runOk(project, 'migrate', initial);
    expect(await count()).toBe(0);
    await withClient(url, (client) => client.query('INSERT INTO users (active) VALUES (true), (false)'));
    expect(runOk(project, 'migrate', '20990101000000_refresh').stdout).toContain('20990101000000_refresh');
    expect(await count()).toBe(2);
    await withClient(url, (client) => client.query('INSERT INTO users (active) VALUES (true)'));
    runOk(project, 'migrate');
    expect(await count()).toBe(3);
    runOk(project, 'rollback');
    runOk(project, 'rollback');
    expect(await count()).toBe(3);
    expect(runOk(project, 'makemigrations').stdout.trim()).toBe('No changes detected.');
  });
});
