import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { CovetError } from '../errors/covet-error.js';
import type { DatabaseConfig } from '../dialect/dialect.js';
import { defaultExport, importModule } from '../loader/import-module.js';
import type { CovetConfigInput } from './define-config.js';
import { parseDatabaseUrl } from './database-url.js';

/** Config file names looked for in each folder, in this order, when `--config` is not given. */
export const CONFIG_FILE_NAMES: readonly string[] = Object.freeze([
  'covet.config.ts',
  'covet.config.mts',
  'covet.config.js',
  'covet.config.mjs',
  'covet.config.cjs',
  'covet.config.json',
]);

/** One app of a resolved configuration. */
export interface ResolvedApp {
  readonly name: string;
  /** Absolute model paths or globs; empty when the app declares no models. */
  readonly models: readonly string[];
  readonly migrationsDir: string;
}

/** Configuration after every source is merged and every path made absolute. */
export interface ResolvedConfig {
  /** The config file used, if any. */
  readonly configFile?: string;
  /** Folder relative paths were resolved from. */
  readonly rootDir: string;
  readonly database: DatabaseConfig;
  /** The apps; one (named by `app`) unless `apps` is configured. */
  readonly apps: readonly ResolvedApp[];
  /** The default app (the `app` key, or the first of `apps`). */
  readonly app: string;
  /** Plugins as given: objects, or package names the CLI imports. */
  readonly plugins: readonly unknown[];
  readonly lockTimeoutMs: number;
  /**
   * Where the database settings came from. `none` only when {@link ResolveConfigOptions}
   * `databaseOptional` let a command that never connects run without any: `database` is then
   * the in-memory SQLite default, which nothing should connect to.
   */
  readonly databaseSource: '--database-url' | 'config' | 'environment' | 'none';
}

/** Command-line settings, the highest-priority source. */
export interface ConfigOverrides {
  readonly config?: string;
  readonly databaseUrl?: string;
  readonly migrationsDir?: string;
  readonly app?: string;
}

const KNOWN_KEYS = new Set(['database', 'models', 'migrations', 'app', 'apps', 'plugins', 'lockTimeoutMs']);
const DATABASE_KEYS = new Set(['engine', 'url', 'host', 'port', 'user', 'password', 'name', 'schema', 'options']);

function invalid(message: string, file: string | undefined, hint?: string): never {
  throw new CovetError('CONFIG_INVALID', `${message} (${file ?? 'configuration'})`, hint ? { hint } : {});
}

/** Reads the environment's database settings (`DATABASE_URL`, then `DB_*`). */
export function databaseFromEnv(env: Readonly<Record<string, string | undefined>>): Partial<DatabaseConfig> {
  const fromUrl = env.DATABASE_URL ? parseDatabaseUrl(env.DATABASE_URL, 'DATABASE_URL') : {};
  const fields: Record<string, unknown> = { ...fromUrl };
  const map: [string, keyof DatabaseConfig][] = [
    ['DB_ENGINE', 'engine'],
    ['DB_NAME', 'name'],
    ['DB_HOST', 'host'],
    ['DB_USER', 'user'],
    ['DB_PASSWORD', 'password'],
  ];
  for (const [variable, key] of map) if (env[variable]) fields[key] = env[variable];
  if (env.DB_PORT) {
    const port = Number(env.DB_PORT);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) invalid(`DB_PORT must be a port number, got "${env.DB_PORT}"`, 'environment');
    fields.port = port;
  }
  return fields as Partial<DatabaseConfig>;
}

function checkDatabase(input: unknown, file: string | undefined): Partial<DatabaseConfig> {
  if (input === undefined) return {};
  if (typeof input !== 'object' || input === null || Array.isArray(input)) invalid('"database" must be an object', file);
  for (const key of Object.keys(input)) {
    if (!DATABASE_KEYS.has(key)) invalid(`Unknown key "database.${key}"`, file, `Known keys: ${[...DATABASE_KEYS].join(', ')}.`);
  }
  const database = input as Record<string, unknown>;
  for (const key of ['engine', 'url', 'host', 'user', 'password', 'name', 'schema']) {
    if (database[key] !== undefined && typeof database[key] !== 'string') invalid(`"database.${key}" must be a string`, file);
  }
  if (database.port !== undefined && (typeof database.port !== 'number' || !Number.isInteger(database.port))) {
    invalid('"database.port" must be an integer', file);
  }
  const fromUrl = typeof database.url === 'string' ? parseDatabaseUrl(database.url, `${file ?? 'config'} database.url`) : {};
  return { ...fromUrl, ...(database as Partial<DatabaseConfig>) };
}

/** Validates a config object's shape; errors name the key and the file. */
export function checkConfig(input: unknown, file?: string): CovetConfigInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    invalid('The config must export an object', file, 'export default defineConfig({ ... })');
  }
  for (const key of Object.keys(input)) {
    if (!KNOWN_KEYS.has(key)) invalid(`Unknown key "${key}"`, file, `Known keys: ${[...KNOWN_KEYS].join(', ')}.`);
  }
  const config = input as Record<string, unknown>;
  const isPaths = (value: unknown) => typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
  if (config.models !== undefined && !isPaths(config.models)) invalid('"models" must be a path, a glob or a list of them', file);
  if (config.migrations !== undefined && typeof config.migrations !== 'string') invalid('"migrations" must be a folder path', file);
  if (config.app !== undefined && (typeof config.app !== 'string' || !/^[A-Za-z0-9_-]+$/.test(config.app))) {
    invalid('"app" must be a name of letters, digits, "_" or "-"', file);
  }
  if (config.plugins !== undefined && !Array.isArray(config.plugins)) invalid('"plugins" must be a list', file);
  if (config.lockTimeoutMs !== undefined && (typeof config.lockTimeoutMs !== 'number' || config.lockTimeoutMs < 0)) {
    invalid('"lockTimeoutMs" must be a number of milliseconds', file);
  }
  if (config.apps !== undefined) {
    if (typeof config.apps !== 'object' || config.apps === null || Array.isArray(config.apps)) invalid('"apps" must be an object', file);
    for (const [name, app] of Object.entries(config.apps)) {
      if (!/^[A-Za-z0-9_-]+$/.test(name)) invalid(`App name "${name}" must be letters, digits, "_" or "-"`, file);
      if (typeof app !== 'object' || app === null) invalid(`"apps.${name}" must be an object`, file);
      const models = (app as Record<string, unknown>).models;
      if (models !== undefined && !isPaths(models)) invalid(`"apps.${name}.models" must be a path or a list`, file);
    }
  }
  checkDatabase(config.database, file);
  return config as CovetConfigInput;
}

/**
 * Finds the config file: `--config` (relative to `cwd`), else the first of
 * {@link CONFIG_FILE_NAMES} in `cwd` or the nearest of its parents, up to the repository root
 * (the first folder holding `.git`, which is searched too) or the filesystem root. So a
 * command run from a subfolder of a project uses the project's config, and a folder outside
 * the repository never leaks into it.
 */
export function findConfigFile(cwd: string, explicit?: string): string | undefined {
  if (explicit !== undefined) {
    const file = resolve(cwd, explicit);
    if (!existsSync(file)) throw new CovetError('CONFIG_NOT_FOUND', `Config file not found (${file})`);
    return file;
  }
  // A dozen existsSync calls per folder: lilconfig measured 6 to 8 ms to load and search here,
  // this walk under 1 ms, and it knows where a repository ends.
  for (let folder = resolve(cwd); ; ) {
    for (const name of CONFIG_FILE_NAMES) {
      const file = join(folder, name);
      if (existsSync(file)) return file;
    }
    const parent = dirname(folder);
    if (parent === folder || existsSync(join(folder, '.git'))) return undefined;
    folder = parent;
  }
}

/** Options of {@link resolveConfig}. */
export interface ResolveConfigOptions {
  /** Where the command runs (default `process.cwd()`): the config file is looked for from here up. */
  readonly cwd?: string;
  readonly overrides?: ConfigOverrides;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Let a command that never connects (`makemigrations --dry-run`, `--check`) run when no
   * source names a database; `databaseSource` is then `none`. Otherwise that is an error
   * (`CONFIG_MISSING`): a run from the wrong folder must not pass having done nothing.
   */
  readonly databaseOptional?: boolean;
}

/**
 * Resolves the configuration from, highest priority first: command-line overrides, the
 * config file (found by {@link findConfigFile}), the environment (`DATABASE_URL`,
 * `DB_ENGINE`, `DB_NAME`, `DB_HOST`, `DB_PORT`, `DB_USER`, `DB_PASSWORD`), then defaults
 * (engine `sqlite`, migrations folder `migrations`, app `default`). Relative paths in the
 * file are resolved from the file's folder. Database settings are taken whole from the
 * highest source that has any (`--database-url`, else the file's `database`, else the
 * environment), never mixed field by field; when no source has any, it throws
 * `CONFIG_MISSING` (unless `databaseOptional`). An in-memory SQLite database is named
 * explicitly: `sqlite::memory:` or `{ engine: 'sqlite', name: ':memory:' }`.
 */
export async function resolveConfig(options: ResolveConfigOptions = {}): Promise<ResolvedConfig> {
  const cwd = options.cwd ?? process.cwd();
  const overrides = options.overrides ?? {};
  const env = options.env ?? process.env;
  const configFile = findConfigFile(cwd, overrides.config);
  let fileConfig: CovetConfigInput = {};
  if (configFile) {
    const namespace = await importModule(configFile);
    fileConfig = checkConfig(defaultExport(namespace), configFile);
  }
  const rootDir = configFile ? dirname(configFile) : cwd;
  const fromPath = (path: string) => (isAbsolute(path) ? path : resolve(rootDir, path));

  const fileDatabase = checkDatabase(fileConfig.database, configFile);
  const envDatabase = databaseFromEnv(env);
  // The highest-priority source that says anything about the database wins as a whole: mixing
  // fields could send one source's password to another source's host.
  const chosen = overrides.databaseUrl
    ? parseDatabaseUrl(overrides.databaseUrl, '--database-url')
    : Object.keys(fileDatabase).length > 0
      ? fileDatabase
      : envDatabase;
  if (chosen.engine === undefined && ['host', 'port', 'user', 'password'].some((key) => key in chosen)) {
    const source = chosen === fileDatabase ? configFile : 'environment: set DB_ENGINE or DATABASE_URL';
    invalid('"database.engine" is missing', source, 'Name the engine (postgres, mysql, sqlite) or give a url.');
  }
  // Paths in the file's settings (a SQLite file) are relative to the file, like every other path.
  const database: Record<string, unknown> = { engine: 'sqlite', ...chosen, root: chosen === fileDatabase ? rootDir : cwd };
  const databaseSource = overrides.databaseUrl
    ? '--database-url'
    : chosen === fileDatabase && Object.keys(fileDatabase).length > 0
      ? 'config'
      : Object.keys(envDatabase).length > 0
        ? 'environment'
        : 'none';
  if (databaseSource === 'none') database.name = ':memory:';
  if (typeof database.engine !== 'string' || database.engine === '') invalid('"database.engine" is empty', configFile);

  const migrationsRoot = overrides.migrationsDir ? resolve(cwd, overrides.migrationsDir) : fromPath(fileConfig.migrations ?? 'migrations');
  const toPaths = (value: string | readonly string[] | undefined) =>
    value === undefined ? [] : (typeof value === 'string' ? [value] : [...value]).map(fromPath);
  let apps: ResolvedApp[];
  if (fileConfig.apps && Object.keys(fileConfig.apps).length > 0) {
    apps = Object.entries(fileConfig.apps).map(([name, app]) => ({
      name,
      models: toPaths(app.models),
      migrationsDir: resolve(migrationsRoot, name),
    }));
  } else {
    apps = [{ name: fileConfig.app ?? 'default', models: toPaths(fileConfig.models), migrationsDir: migrationsRoot }];
  }
  const app = overrides.app ?? fileConfig.app ?? apps[0]!.name;
  if (!apps.some((a) => a.name === app)) {
    throw new CovetError('CONFIG_INVALID', `Unknown app "${app}" (--app)`, { hint: `Apps: ${apps.map((a) => a.name).join(', ')}.` });
  }
  // Last, so a mistake in the file is reported first.
  if (databaseSource === 'none' && !options.databaseOptional) throw noDatabase(cwd, configFile);
  return {
    ...(configFile ? { configFile } : {}),
    rootDir,
    database: database as unknown as DatabaseConfig,
    apps,
    app,
    plugins: fileConfig.plugins ?? [],
    lockTimeoutMs: fileConfig.lockTimeoutMs ?? 60_000,
    databaseSource,
  };
}

function noDatabase(cwd: string, configFile: string | undefined): CovetError {
  const where = configFile ?? `no covet.config.* in ${cwd} or its parents`;
  return new CovetError('CONFIG_MISSING', `No database configured (${where}; no DATABASE_URL or DB_* in the environment; no --database-url)`, {
    hint: configFile
      ? `Add database: { engine, name } or { url } to ${configFile}, set DATABASE_URL, or pass --database-url (sqlite::memory: for a throw-away database).`
      : 'Run covet from your project (or a subfolder of it), pass --config PATH, set DATABASE_URL, or pass --database-url (sqlite::memory: for a throw-away database).',
  });
}
