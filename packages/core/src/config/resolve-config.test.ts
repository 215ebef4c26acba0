import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { covetErrorOf, covetRejectionOf, makeTempDir, removeTempDir } from '../../test/helpers.js';
import { describeError } from '../errors/covet-error.js';
import { parseDatabaseUrl, redactUrl } from './database-url.js';
import { checkConfig, databaseFromEnv, findConfigFile, resolveConfig } from './resolve-config.js';

let root: string;

beforeEach(() => {
  root = makeTempDir('config');
});

afterEach(() => {
  removeTempDir(root);
});

function writeConfig(relativePath: string, content: unknown): string {
  const file = join(root, relativePath);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

const ENV = {
  DB_ENGINE: 'postgres',
  DB_HOST: 'envhost',
  DB_PORT: '6543',
  DB_USER: 'envuser',
  DB_PASSWORD: 'envpw',
  DB_NAME: 'envdb',
};

describe('resolveConfig', () => {
  it('refuses to run with no database settings from any source, naming where it looked', async () => {
    const error = await covetRejectionOf(resolveConfig({ cwd: root, env: {} }));
    expect(error.code).toBe('CONFIG_MISSING');
    expect(error.message).toBe(`No database configured (no covet.config.* in ${root} or its parents; no DATABASE_URL or DB_* in the environment; no --database-url)`);
    expect(error.hint).toContain('--config PATH');
    // A config file without database settings is no better: the error names the file.
    const file = writeConfig('covet.config.json', { models: './models' });
    const fromFile = await covetRejectionOf(resolveConfig({ cwd: root, env: {} }));
    expect(fromFile.message.startsWith(`No database configured (${file}; `)).toBe(true);
    expect(fromFile.hint).toContain(`Add database: { engine, name } or { url } to ${file}`);
  });

  it('uses the defaults when a command needs no database and none is configured', async () => {
    expect(await resolveConfig({ cwd: root, env: {}, databaseOptional: true })).toStrictEqual({
      rootDir: root,
      database: { engine: 'sqlite', name: ':memory:', root },
      apps: [{ name: 'default', models: [], migrationsDir: join(root, 'migrations') }],
      app: 'default',
      plugins: [],
      lockTimeoutMs: 60_000,
      databaseSource: 'none',
    });
  });

  it('says where the database settings came from', async () => {
    expect((await resolveConfig({ cwd: root, env: { DATABASE_URL: 'sqlite::memory:' } })).databaseSource).toBe('environment');
    expect((await resolveConfig({ cwd: root, env: {}, overrides: { databaseUrl: 'sqlite::memory:' } })).databaseSource).toBe('--database-url');
    writeConfig('covet.config.json', { database: { engine: 'sqlite', name: ':memory:' } });
    expect((await resolveConfig({ cwd: root, env: {} })).databaseSource).toBe('config');
  });

  it('takes the environment over the defaults', async () => {
    const config = await resolveConfig({ cwd: root, env: ENV });
    expect(config.database).toStrictEqual({ engine: 'postgres', name: 'envdb', host: 'envhost', port: 6543, user: 'envuser', password: 'envpw', root });
  });

  it('takes DB_* over DATABASE_URL within the environment', async () => {
    const config = await resolveConfig({ cwd: root, env: { DATABASE_URL: 'mysql://u:p@h:3306/d', DB_NAME: 'other' } });
    expect(config.database).toStrictEqual({ engine: 'mysql', url: 'mysql://u:p@h:3306/d', host: 'h', port: 3306, user: 'u', password: 'p', name: 'other', root });
  });

  it('takes the file over the environment, and resolves its paths from its own folder', async () => {
    const file = writeConfig('conf/covet.config.json', {
      database: { engine: 'postgres', host: 'filehost', user: 'fileuser' },
      migrations: './db/migrations',
      models: ['./models', 'src/**/*.model.ts', '/abs/models.ts'],
      app: 'blog',
      plugins: ['covet-plugin-x'],
      lockTimeoutMs: 5000,
    });
    const config = await resolveConfig({ cwd: root, env: ENV, overrides: { config: 'conf/covet.config.json' } });
    expect(config).toStrictEqual({
      configFile: file,
      rootDir: join(root, 'conf'),
      // The file's database settings win whole: none of the environment's are mixed in.
      database: { engine: 'postgres', host: 'filehost', user: 'fileuser', root: join(root, 'conf') },
      apps: [
        {
          name: 'blog',
          models: [join(root, 'conf/models'), join(root, 'conf/src/**/*.model.ts'), '/abs/models.ts'],
          migrationsDir: join(root, 'conf/db/migrations'),
        },
      ],
      app: 'blog',
      plugins: ['covet-plugin-x'],
      lockTimeoutMs: 5000,
      databaseSource: 'config',
    });
  });

  it('refuses database settings that name a server but no engine', async () => {
    const file = writeConfig('covet.config.json', { database: { host: 'filehost', user: 'fileuser' } });
    await expect(resolveConfig({ cwd: root, env: ENV })).rejects.toThrow(`"database.engine" is missing (${file})`);
  });

  it('takes the command line over the file, the environment and the defaults', async () => {
    writeConfig('conf/covet.config.json', {
      database: { engine: 'postgres', host: 'filehost', name: 'filedb', user: 'fileuser', password: 'filepw', port: 5433 },
      migrations: './db/migrations',
      apps: { blog: { models: './blog' }, shop: { models: ['./shop'] } },
    });
    const config = await resolveConfig({
      cwd: root,
      env: ENV,
      overrides: { config: 'conf/covet.config.json', databaseUrl: 'mysql://cliuser:clipw@clihost:3307/clidb', migrationsDir: 'cli-migrations', app: 'shop' },
    });
    expect(config.database).toStrictEqual({
      engine: 'mysql',
      url: 'mysql://cliuser:clipw@clihost:3307/clidb',
      host: 'clihost',
      port: 3307,
      user: 'cliuser',
      password: 'clipw',
      name: 'clidb',
      root,
    });
    // --migrations-dir is relative to where the command runs, not to the config file.
    expect(config.apps).toStrictEqual([
      { name: 'blog', models: [join(root, 'conf/blog')], migrationsDir: join(root, 'cli-migrations/blog') },
      { name: 'shop', models: [join(root, 'conf/shop')], migrationsDir: join(root, 'cli-migrations/shop') },
    ]);
    expect(config.app).toBe('shop');
  });

  it('finds covet.config.* in cwd and reads a TypeScript config written with defineConfig', async () => {
    const file = writeConfig(
      'covet.config.ts',
      `import { defineConfig } from '@covet/core';\nexport default defineConfig({ database: { engine: 'sqlite', name: './data/app.db' }, app: 'main' });\n`,
    );
    const config = await resolveConfig({ cwd: root, env: { DB_NAME: 'ignored.db' } });
    expect(config.configFile).toBe(file);
    // Relative to the config file's folder: the dialect resolves the name from `root`.
    expect(config.database).toStrictEqual({ engine: 'sqlite', name: './data/app.db', root });
    expect(config.app).toBe('main');
  });

  it('gives paths from the environment or a flag the working directory as root, and keeps :memory:', async () => {
    expect((await resolveConfig({ cwd: root, env: { DATABASE_URL: 'sqlite:./app.db' } })).database).toStrictEqual({
      engine: 'sqlite',
      url: 'sqlite:./app.db',
      name: './app.db',
      root,
    });
    writeConfig('conf/covet.config.json', { database: { engine: 'sqlite', name: 'file.db' } });
    const fromFlag = await resolveConfig({ cwd: root, env: {}, overrides: { config: 'conf/covet.config.json', databaseUrl: 'sqlite:cli.db' } });
    expect(fromFlag.database).toMatchObject({ name: 'cli.db', root });
    const fromFile = await resolveConfig({ cwd: root, env: {}, overrides: { config: 'conf/covet.config.json' } });
    expect(fromFile.database).toMatchObject({ name: 'file.db', root: join(root, 'conf') });
    expect((await resolveConfig({ cwd: root, env: { DATABASE_URL: 'sqlite::memory:' } })).database.name).toBe(':memory:');
  });

  describe('finds the config file in the working folder or the nearest parent', () => {
    it('from a subfolder, with paths relative to the file', async () => {
      const file = writeConfig('covet.config.json', { database: { engine: 'sqlite', name: './app.db' }, models: './models' });
      mkdirSync(join(root, 'src/deep/er'), { recursive: true });
      const config = await resolveConfig({ cwd: join(root, 'src/deep/er'), env: {} });
      expect(config.configFile).toBe(file);
      expect(config.rootDir).toBe(root);
      expect(config.database).toStrictEqual({ engine: 'sqlite', name: './app.db', root });
      expect(config.apps[0]!.models).toStrictEqual([join(root, 'models')]);
    });

    it('the nearest one wins, in the order of CONFIG_FILE_NAMES', async () => {
      writeConfig('covet.config.json', { app: 'outer' });
      writeConfig('inner/covet.config.json', { app: 'inner' });
      const ts = writeConfig('inner/covet.config.ts', `export default { app: 'inner_ts' };\n`);
      mkdirSync(join(root, 'inner/sub'));
      expect(findConfigFile(join(root, 'inner/sub'))).toBe(ts);
      expect(findConfigFile(root)).toBe(join(root, 'covet.config.json'));
    });

    it('stops at the repository root (a folder with .git), which it searches too', async () => {
      writeConfig('covet.config.json', { app: 'outside' });
      mkdirSync(join(root, 'repo/.git'), { recursive: true });
      mkdirSync(join(root, 'repo/packages/app'), { recursive: true });
      expect(findConfigFile(join(root, 'repo/packages/app'))).toBeUndefined();
      const inRepo = writeConfig('repo/covet.config.json', { app: 'repo' });
      expect(findConfigFile(join(root, 'repo/packages/app'))).toBe(inRepo);
      // A worktree's .git is a file: it marks the root as well.
      writeConfig('wt/.git', 'gitdir: elsewhere\n');
      mkdirSync(join(root, 'wt/src'));
      expect(findConfigFile(join(root, 'wt/src'))).toBeUndefined();
    });
  });

  describe('a malformed config gives one line naming the file and the key', () => {
    const cases: [string, unknown, string][] = [
      ['an unknown key', { databse: {} }, 'Unknown key "databse"'],
      ['an unknown database key', { database: { hostname: 'x' } }, 'Unknown key "database.hostname"'],
      ['a wrong type', { migrations: 42 }, '"migrations" must be a folder path'],
      ['a port as a string', { database: { port: '5432' } }, '"database.port" must be an integer'],
      ['models of the wrong type', { models: [1] }, '"models" must be a path, a glob or a list of them'],
      ['a bad app name', { app: 'my app' }, '"app" must be a name of letters, digits, "_" or "-"'],
      ['plugins that are not a list', { plugins: 'x' }, '"plugins" must be a list'],
      ['a non-object config', [1, 2], 'The config must export an object'],
    ];
    for (const [name, content, message] of cases) {
      it(name, async () => {
        const file = writeConfig('covet.config.json', content);
        const error = await covetRejectionOf(resolveConfig({ cwd: root, env: {} }));
        expect(error.code).toBe('CONFIG_INVALID');
        expect(error.message).toBe(`${message} (${file})`);
      });
    }

    it('unknown key: the hint lists the known keys', () => {
      expect(covetErrorOf(() => checkConfig({ migration: 'x' }, 'covet.config.ts')).hint).toBe(
        'Known keys: database, models, migrations, app, apps, plugins, lockTimeoutMs.',
      );
    });

    it('invalid JSON', async () => {
      const file = writeConfig('covet.config.json', '{ "app": ');
      const error = await covetRejectionOf(resolveConfig({ cwd: root, env: {} }));
      expect(error.code).toBe('MODULE_INVALID');
      expect(error.message.startsWith('Invalid JSON: ')).toBe(true);
      expect(error.message.endsWith(`(${file})`)).toBe(true);
    });

    it('a missing --config file and an unknown --app', async () => {
      expect((await covetRejectionOf(resolveConfig({ cwd: root, env: {}, overrides: { config: 'nope.json' } }))).message).toBe(
        `Config file not found (${join(root, 'nope.json')})`,
      );
      expect((await covetRejectionOf(resolveConfig({ cwd: root, env: {}, overrides: { app: 'shop' } }))).message).toBe('Unknown app "shop" (--app)');
    });

    it('a bad DB_PORT', () => {
      expect(covetErrorOf(() => databaseFromEnv({ DB_PORT: '70000' })).message).toBe('DB_PORT must be a port number, got "70000" (environment)');
    });
  });
});

describe('parseDatabaseUrl', () => {
  it('parses a postgres URL with port, encoded password and options', () => {
    expect(parseDatabaseUrl('postgres://app:p%40ss%2Fw@db.example.com:5432/app_prod?sslmode=require&application_name=covet')).toStrictEqual({
      engine: 'postgres',
      url: 'postgres://app:p%40ss%2Fw@db.example.com:5432/app_prod?sslmode=require&application_name=covet',
      host: 'db.example.com',
      port: 5432,
      user: 'app',
      password: 'p@ss/w',
      name: 'app_prod',
      options: { sslmode: 'require', application_name: 'covet' },
    });
    expect(parseDatabaseUrl('postgresql://localhost/db')).toStrictEqual({ engine: 'postgres', url: 'postgresql://localhost/db', host: 'localhost', name: 'db' });
    expect(parseDatabaseUrl('postgres://[::1]:5433/db')).toMatchObject({ host: '::1', port: 5433 });
  });

  it('parses mysql and mariadb URLs', () => {
    expect(parseDatabaseUrl('mysql://root@127.0.0.1/app')).toStrictEqual({ engine: 'mysql', url: 'mysql://root@127.0.0.1/app', host: '127.0.0.1', user: 'root', name: 'app' });
    expect(parseDatabaseUrl('mariadb://u:pw@maria:3307/shop')).toStrictEqual({
      engine: 'mysql',
      url: 'mariadb://u:pw@maria:3307/shop',
      host: 'maria',
      port: 3307,
      user: 'u',
      password: 'pw',
      name: 'shop',
    });
  });

  it('parses sqlite URLs', () => {
    expect(parseDatabaseUrl('sqlite:./app.db')).toStrictEqual({ engine: 'sqlite', url: 'sqlite:./app.db', name: './app.db' });
    expect(parseDatabaseUrl('sqlite:///var/data/app.db')).toStrictEqual({ engine: 'sqlite', url: 'sqlite:///var/data/app.db', name: '/var/data/app.db' });
    expect(parseDatabaseUrl('sqlite::memory:')).toStrictEqual({ engine: 'sqlite', url: 'sqlite::memory:', name: ':memory:' });
    expect(parseDatabaseUrl('sqlite:')).toStrictEqual({ engine: 'sqlite', url: 'sqlite:', name: ':memory:' });
    expect(parseDatabaseUrl('file:my%20app.db?mode=ro')).toStrictEqual({ engine: 'sqlite', url: 'file:my%20app.db?mode=ro', name: 'my app.db', options: { mode: 'ro' } });
  });

  it('never puts the password in the error of a malformed URL', () => {
    const error = covetErrorOf(() => parseDatabaseUrl('postgres://admin:s3cret-pw@db.example.com:99999/app'));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toBe('Malformed database URL (DATABASE_URL)');
    const bracket = covetErrorOf(() => parseDatabaseUrl('mysql://admin:s3cret-pw@[broken/app', '--database-url'));
    expect(bracket.message).toBe('Malformed database URL (--database-url)');
    expect(bracket.message).not.toContain('s3cret');
  });

  it('never puts the password in the error of a malformed URL from the config file or the environment', async () => {
    const file = writeConfig('covet.config.json', { database: { url: 'postgres://admin:s3cret-pw@host:99999/app' } });
    const fromFile = await covetRejectionOf(resolveConfig({ cwd: root, env: {} }));
    expect(fromFile.message).toBe(`Malformed database URL (${file} database.url)`);
    removeTempDir(root);
    mkdirSync(root);
    const fromEnv = await covetRejectionOf(resolveConfig({ cwd: root, env: { DATABASE_URL: 'postgres://admin:s3cret-pw@host:99999/app' } }));
    expect(fromEnv.message).not.toContain('s3cret');
  });

  it('redactUrl and describeError hide the password', () => {
    expect(redactUrl('postgres://app:s3cret@db/app')).toBe('postgres://app:***@db/app');
    expect(describeError(new Error('connect to mysql://root:hunter2@db:3306/x failed\nstack'))).toBe('connect to mysql://root:***@db:3306/x failed');
  });
});
