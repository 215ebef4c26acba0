// Plugin state on MariaDB/MySQL with the real binary: the views plugin of
// fixtures/plugins/covet-plugin-test-views (public exports only, listed by package name)
// declares a view in a model file; makemigrations creates, replaces and drops it, and
// rollback restores each old definition, read back from information_schema.VIEWS.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PlanCache } from '@covet/core';
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { FIRST, SECOND, installViewsPlugin, viewModels as models } from '../../../fixtures/plugins/test-views-project.cjs';
import { createTestDatabase, repositoryRoot, reportSkipped, UNAVAILABLE, type TestDatabase } from './helpers.js';

const TITLE = 'plugin state (a views plugin) on MySQL/MariaDB';
const BIN = join(repositoryRoot(), 'packages', 'cli', 'bin', 'covet.cjs');
const TMP = join(import.meta.dirname, '.tmp');

if (UNAVAILABLE) reportSkipped(TITLE);

describe.runIf(!UNAVAILABLE)(TITLE, () => {
  let database: TestDatabase | undefined;
  let project: string | undefined;
  afterAll(async () => {
    await database?.drop();
    if (project && !process.env.COVET_KEEP_TMP) {
      rmSync(PlanCache.forProject(project, 'mysql').file, { force: true });
      rmSync(project, { recursive: true, force: true });
    }
  });

  it('creates, replaces and drops a model view; rollback restores each old definition', async () => {
    database = await createTestDatabase();
    const dir = (project = join(TMP, `views-${database.name}`));
    mkdirSync(join(dir, 'models'), { recursive: true });
    const write = (file: string, text: string) => writeFileSync(join(dir, file), text);
    write('covet.config.json', JSON.stringify({ database: { engine: 'mysql', url: database.url }, models: './models', plugins: ['covet-plugin-test-views'] }));
    write('models/app.ts', models(FIRST));
    installViewsPlugin(dir);
    const run = (...argv: string[]) => {
      const result = spawnSync(process.execPath, [BIN, ...argv], { cwd: dir, encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' } });
      expect(result.status, `${argv.join(' ')}: ${result.stdout}${result.stderr}`).toBe(0);
      return result.stdout;
    };
    const names = () => readdirSync(join(dir, 'migrations')).sort().map((file) => file.replace(/\.ts$/, ''));
    const source = (name: string) => readFileSync(join(dir, 'migrations', `${name}.ts`), 'utf8');
    const view = async () => {
      const connection = await mysql.createConnection(database!.url);
      try {
        const [rows] = await connection.query('SELECT VIEW_DEFINITION AS definition FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [
          database!.name,
          'active_users',
        ]);
        return (rows as { definition: string }[])[0]?.definition;
      } finally {
        await connection.end();
      }
    };

    expect(run('makemigrations', '--name', 'initial')).toContain('Create view active_users');
    expect(source(names()[0]!)).toContain(`views.createView("active_users", ${JSON.stringify(FIRST)})`);
    run('migrate');
    expect(await view()).toMatch(/'first' AS `version`/);

    write('models/app.ts', models(SECOND));
    expect(run('makemigrations', '--name', 'second')).toContain('Replace view active_users');
    run('migrate');
    expect(await view()).toMatch(/'second' AS `version`/);

    write('models/app.ts', models());
    expect(run('makemigrations', '--name', 'drop_view')).toContain('Drop view active_users');
    const dropped = names()[2]!;
    expect(source(dropped)).toContain('views.dropView("active_users")');
    expect(run('sqlmigrate', dropped, '--backwards')).toContain(`CREATE VIEW \`active_users\` AS ${SECOND}`);
    run('migrate');
    expect(await view()).toBeUndefined();

    run('rollback');
    expect(await view()).toMatch(/'second' AS `version`/);
    expect(run('makemigrations').trim()).toBe('No changes detected.');
    run('rollback');
    expect(await view()).toMatch(/'first' AS `version`/);
    expect(names()).toHaveLength(3);
  });
});
