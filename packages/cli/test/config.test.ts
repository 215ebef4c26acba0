// Config discovery: the nearest covet.config.* from the working folder up to the repository
// root, and no silent in-memory default when nothing names a database.
import { existsSync, mkdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATION_FILE_NAME, TestProject, failureShape, migrationSource, modelSource, removeProjects } from './helpers.js';

afterAll(removeProjects);

const MODELS = modelSource(`export const users = defineTable('users', { id: t.serial().primaryKey(), email: t.text().notNull() });`);

describe('config discovery', () => {
  it('finds the project config from a subfolder; paths stay relative to the config file', async () => {
    const project = TestProject.create('config-subfolder', { files: { 'models/users.ts': MODELS } });
    mkdirSync(project.path('src/deep'), { recursive: true });
    const made = await project.runWith({ cwd: 'src/deep' }, 'makemigrations', '--name', 'initial');
    expect(made.code, made.output).toBe(0);
    expect(project.migrationFiles()).toEqual([expect.stringMatching(MIGRATION_FILE_NAME)]);
    expect(existsSync(project.path('src/deep/migrations'))).toBe(false);
    const migrated = await project.runWith({ cwd: 'src/deep' }, 'migrate');
    expect(migrated.code, migrated.output).toBe(0);
    expect(migrated.stdout).toContain(`Migrating sqlite ${project.dbPath}`);
    expect(project.tables()).toEqual(['covet_migrations', 'users']);
    expect(existsSync(project.path('src/deep/app.db'))).toBe(false);
  });

  it('no config and no database settings anywhere: an error with a hint, and nothing created', async () => {
    const project = TestProject.create('config-none', { config: null, files: { 'migrations/20260101000000_initial.ts': migrationSource(["op.createTable('a', { id: t.serial().primaryKey() })"]) } });
    for (const argv of [['migrate'], ['showmigrations'], ['rollback'], ['makemigrations'], ['makemigrations', '--empty']]) {
      const result = await project.run(...argv);
      expect(result.code, `${argv.join(' ')}: ${result.output}`).toBe(1);
      expect(result.stdout).toBe('');
      const [error, hint] = result.stderr.split('\n');
      expect(error).toBe(`error: No database configured (no covet.config.* in ${project.dir} or its parents; no DATABASE_URL or DB_* in the environment; no --database-url)`);
      expect(hint).toMatch(/^hint: Run covet from your project \(or a subfolder of it\), pass --config PATH, set DATABASE_URL, or pass --database-url/);
      expect(failureShape(result)).toEqual({ errorLines: 1, stackLines: 0 });
    }
    // Nothing written: no migration, no database file.
    expect(project.migrationNames()).toEqual(['20260101000000_initial']);
    expect(existsSync(project.dbPath)).toBe(false);
  });

  it('a config file without database settings names the file', async () => {
    const project = TestProject.create('config-nodb', { config: { models: './models', migrations: './migrations' }, files: { 'models/users.ts': MODELS } });
    const result = await project.run('migrate');
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')[0]).toBe(
      `error: No database configured (${project.path('covet.config.json')}; no DATABASE_URL or DB_* in the environment; no --database-url)`,
    );
    // The environment or a flag is enough.
    const fromEnv = await project.runWith({ env: { DATABASE_URL: 'sqlite:./env.db' } }, 'migrate');
    expect(fromEnv.code, fromEnv.output).toBe(0);
    expect(existsSync(project.path('env.db'))).toBe(true);
  });

  it('commands that never connect run without a database; --help needs nothing', async () => {
    const project = TestProject.create('config-dry', { config: { models: './models', migrations: './migrations' }, files: { 'models/users.ts': MODELS } });
    const dry = await project.run('makemigrations', '--dry-run');
    expect(dry.code, dry.output).toBe(0);
    expect(dry.stdout).toContain('Create table users');
    expect(project.migrationFiles()).toEqual([]);
    const check = await project.run('makemigrations', '--check');
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/^error: The models of default have 1 change\(s\) without a migration/);
    const bare = TestProject.create('config-help', { config: null });
    for (const argv of [['--help'], ['migrate', '--help'], ['makemigrations', '--help']]) {
      const help = await bare.run(...argv);
      expect(help.code, help.output).toBe(0);
      expect(help.stdout).toContain('Usage:');
    }
  });

  it('an explicit in-memory database stays possible', async () => {
    const project = TestProject.create('config-memory', {
      config: { database: { engine: 'sqlite', name: ':memory:' }, migrations: './migrations' },
      files: { 'migrations/20260101000000_initial.ts': migrationSource(["op.createTable('a', { id: t.serial().primaryKey() })"]) },
    });
    const fromFile = await project.run('migrate');
    expect(fromFile.code, fromFile.output).toBe(0);
    expect(fromFile.stdout).toContain('Applied default:20260101000000_initial');
    const bare = TestProject.create('config-memory-flag', { config: null, files: { 'migrations/20260101000000_initial.ts': migrationSource(["op.createTable('a', { id: t.serial().primaryKey() })"]) } });
    const fromFlag = await bare.run('migrate', '--database-url', 'sqlite::memory:');
    expect(fromFlag.code, fromFlag.output).toBe(0);
    expect(fromFlag.stdout).toContain('Applied default:20260101000000_initial');
    expect(existsSync(bare.dbPath)).toBe(false);
  });
});
