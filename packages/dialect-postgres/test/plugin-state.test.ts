// Plugin state on PostgreSQL with the real binary: the views plugin of
// fixtures/plugins/covet-plugin-test-views (public exports only, listed by package name)
// declares a view in a model file; makemigrations creates, replaces and drops it, and
// rollback restores each old definition, read back from pg_views.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PlanCache } from '@covet/core';
import { afterAll, expect, it } from 'vitest';
import { FIRST, SECOND, installViewsPlugin, viewModels as models } from '../../../fixtures/plugins/test-views-project.cjs';
import { createTestDatabase, describeWithPostgres, withClient, type TestDatabase } from './helpers.js';

const TMP_ROOT = join(resolve(dirname(fileURLToPath(import.meta.url))), '.tmp');
const BIN = join(dirname(createRequire(import.meta.url).resolve('@covet/cli/package.json')), 'bin', 'covet.cjs');

describeWithPostgres('plugin state (a views plugin) on PostgreSQL', () => {
  let database: TestDatabase | undefined;
  let dir: string | undefined;
  afterAll(async () => {
    await database?.drop();
    if (dir && !process.env.COVET_KEEP_TMP) {
      rmSync(PlanCache.forProject(dir, 'postgres').file, { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('creates, replaces and drops a model view; rollback restores each old definition', async () => {
    database = await createTestDatabase();
    mkdirSync(TMP_ROOT, { recursive: true });
    const project = (dir = mkdtempSync(join(TMP_ROOT, 'views-')));
    const write = (file: string, text: string) => writeFileSync(join(project, file), text);
    mkdirSync(join(project, 'models'));
    write('covet.config.json', JSON.stringify({ database: { engine: 'postgres', url: database.url }, models: './models', plugins: ['covet-plugin-test-views'] }));
    write('models/app.ts', models(FIRST));
    installViewsPlugin(project);
    const run = (...argv: string[]) => {
      const result = spawnSync(process.execPath, [BIN, ...argv], { cwd: project, encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' } });
      expect(result.status, `${argv.join(' ')}: ${result.stdout}${result.stderr}`).toBe(0);
      return result.stdout;
    };
    const names = () => readdirSync(join(project, 'migrations')).sort().map((file) => file.replace(/\.ts$/, ''));
    const source = (name: string) => readFileSync(join(project, 'migrations', `${name}.ts`), 'utf8');
    const view = () =>
      withClient(database!.url, async (client) => (await client.query<{ definition: string }>("SELECT definition FROM pg_views WHERE viewname = 'active_users'")).rows[0]?.definition);

    expect(run('makemigrations', '--name', 'initial')).toContain('Create view active_users');
    expect(source(names()[0]!)).toContain(`views.createView("active_users", ${JSON.stringify(FIRST)})`);
    run('migrate');
    expect(await view()).toMatch(/'first'::text AS version/);

    write('models/app.ts', models(SECOND));
    expect(run('makemigrations', '--name', 'second')).toContain('Replace view active_users');
    run('migrate');
    expect(await view()).toMatch(/'second'::text AS version/);

    write('models/app.ts', models());
    expect(run('makemigrations', '--name', 'drop_view')).toContain('Drop view active_users');
    const dropped = names()[2]!;
    expect(source(dropped)).toContain('views.dropView("active_users")');
    expect(run('sqlmigrate', dropped, '--backwards')).toContain(`CREATE VIEW "active_users" AS ${SECOND}`);
    run('migrate');
    expect(await view()).toBeUndefined();

    run('rollback');
    expect(await view()).toMatch(/'second'::text AS version/);
    expect(run('makemigrations').trim()).toBe('No changes detected.');
    run('rollback');
    expect(await view()).toMatch(/'first'::text AS version/);
    expect(names()).toHaveLength(3);
  });
});
