import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { importFile } from './imports.js';
import {
  CovetError,
  createCovet,
  instantiatePlugin,
  isCovetPlugin,
  findMigrationFiles,
  splitPluginEntry,
  resolveConfig,
  type ResolveConfigOptions,
  type Covet,
  type CovetPlugin,
  type Dialect,
  type DialectConnection,
  type MigrationEntry,
  type MigrationFiles,
  type MigrationGraph,
  type ResolvedConfig,
} from '@covet/core';

/** The package that provides a built-in engine's dialect. */
export function dialectPackageName(engine: string): string {
  return `@covet/dialect-${engine}`;
}

/** A default export that can stand for a plugin: a plugin object or a factory of one. */
function isPluginLike(value: unknown): boolean {
  return isCovetPlugin(value) || typeof value === 'function';
}

/**
 * True in the CommonJS build, which the `covet` binary runs: Node starts CommonJS faster, and
 * migration and config files are evaluated as CommonJS, so they and the CLI share one copy of
 * `@covet/core`. (No `require` exists in an ES module.)
 */
const COMMONJS = typeof require === 'function';

/**
 * Imports a package by name as the project would (resolved from the project's folder first,
 * then from the CLI's own) and returns its plugin: the default export, unwrapped across
 * ESM/CJS interop. It loads through the module system the CLI itself runs in, so the plugin
 * and the CLI share one copy of `@covet/core`; an ES-module-only package is imported.
 */
export async function importPlugin(name: string, fromDirectory: string, missing: () => CovetError): Promise<CovetPlugin> {
  const { value, from } = await importPluginExport(name, fromDirectory, missing);
  if (!isCovetPlugin(value)) {
    throw new CovetError('PLUGIN_INVALID', `Package ${name} does not export a plugin as its default export (${from})`);
  }
  return value;
}

/**
 * {@link importPlugin} for a package that may export a factory of options (a function) as well
 * as a plugin: returns the default export and the file it came from.
 */
export async function importPluginExport(name: string, fromDirectory: string, missing: () => CovetError): Promise<{ value: unknown; from: string }> {
  let loaded: { value: unknown; from: string } | undefined;
  for (const base of [join(fromDirectory, 'package.json'), import.meta.url ?? __filename]) {
    try {
      loaded = await loadPackage(createRequire(base), name);
      break;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw error;
    }
  }
  if (loaded === undefined) throw missing();
  let value = loaded.value;
  for (let depth = 0; depth < 3 && !isPluginLike(value) && typeof value === 'object' && value !== null && 'default' in value; depth++) {
    value = (value as { default: unknown }).default;
  }
  if (!isPluginLike(value)) {
    throw new CovetError('PLUGIN_INVALID', `Package ${name} does not export a plugin as its default export (${loaded.from})`, {
      hint: 'Its default export must be a { name, apply(covet) } object, or a function (options) => plugin.',
    });
  }
  return { value, from: loaded.from };
}

async function loadPackage(require: NodeRequire, name: string): Promise<{ value: unknown; from: string }> {
  if (COMMONJS) {
    let from: string | undefined;
    try {
      from = require.resolve(name);
    } catch (error) {
      // A package with only an `import` entry: imported below.
      if ((error as NodeJS.ErrnoException).code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw error;
    }
    if (from !== undefined) {
      try {
        return { value: require(from), from };
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') throw error;
        return { value: await importFile(from), from };
      }
    }
  }
  const from = resolveEsmEntry(require, name);
  return { value: await importFile(from), from };
}

/** Conditions of an `exports` map an ES module import matches, in Node's order of preference. */
const IMPORT_CONDITIONS = ['node', 'import', 'default'];

/** The target of an `exports` entry under the import conditions (nested condition objects included). */
function exportTarget(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry;
  if (Array.isArray(entry)) return entry.map(exportTarget).find((target) => target !== undefined);
  if (typeof entry !== 'object' || entry === null) return undefined;
  for (const [condition, value] of Object.entries(entry)) {
    if (!IMPORT_CONDITIONS.includes(condition)) continue;
    const target = exportTarget(value);
    if (target !== undefined) return target;
  }
  return undefined;
}

/**
 * The file an ES module `import` of package `name` loads, found from the folders `require`
 * searches: the `exports` map under the import conditions, else `main`, else `index.js`.
 * (`require.resolve` cannot answer for a package whose `exports` has only an `import`
 * entry, and an ES-module CLI importing the CommonJS entry would load a second copy of
 * `@covet/core`.) Throws MODULE_NOT_FOUND when no folder has the package.
 */
function resolveEsmEntry(require: NodeRequire, name: string): string {
  const parts = name.split('/');
  const packageName = parts.slice(0, name.startsWith('@') ? 2 : 1).join('/');
  const subpath = ['.', ...parts.slice(name.startsWith('@') ? 2 : 1)].join('/');
  for (const folder of require.resolve.paths(packageName) ?? []) {
    const root = join(folder, packageName);
    let manifest: { exports?: unknown; main?: string };
    try {
      manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as typeof manifest;
    } catch {
      continue;
    }
    const { exports } = manifest;
    if (exports !== undefined) {
      const sugar = typeof exports === 'string' || Array.isArray(exports) || (typeof exports === 'object' && exports !== null && !Object.keys(exports).some((key) => key.startsWith('.')));
      const entry = sugar ? (subpath === '.' ? exports : undefined) : (exports as Record<string, unknown>)[subpath];
      const target = exportTarget(entry);
      if (target === undefined) {
        throw Object.assign(new Error(`Package ${packageName} does not export ${subpath} to ES module imports: ${join(root, 'package.json')}`), {
          code: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
        });
      }
      return join(root, target);
    }
    return subpath === '.' ? join(root, manifest.main ?? 'index.js') : require.resolve(name);
  }
  throw Object.assign(new Error(`Cannot find package ${name}`), { code: 'MODULE_NOT_FOUND' });
}

/** Everything a command needs: configuration, the Covet instance, its dialect and a connection on demand. */
export class Project {
  readonly config: ResolvedConfig;
  readonly covet: Covet;
  readonly dialect: Dialect;
  #connection: Promise<DialectConnection> | undefined;
  #migrations: Promise<MigrationGraph<MigrationEntry>> | undefined;
  #migrationFiles: Promise<MigrationFiles> | undefined;
  /**
   * Called with the migration files about to be evaluated, before any is (see
   * `LoadMigrationsOptions.beforeEvaluate` in @covet/core): the CLI checks their permissions.
   */
  beforeEvaluate: ((files: readonly string[], found: readonly string[]) => void) | undefined;

  constructor(config: ResolvedConfig, covet: Covet, dialect: Dialect) {
    this.config = config;
    this.covet = covet;
    this.dialect = dialect;
  }

  /** Where the database is, without secrets. */
  describeDatabase(): string {
    return this.dialect.describeDatabase(this.config.database);
  }

  /** Opens the connection once. */
  connect(): Promise<DialectConnection> {
    this.#connection ??= this.dialect.connect(this.config.database).catch((error: unknown) => {
      this.#connection = undefined;
      throw error;
    });
    return this.#connection;
  }

  /** Loads (once) the migration graph of every app, evaluating every file not in the loader cache. */
  migrations(): Promise<MigrationGraph<MigrationEntry>> {
    this.#migrations ??= this.migrationFiles().then((files) => files.graph());
    return this.#migrations;
  }

  /**
   * Reads and hashes (once) the migration files of every app, evaluating none: a
   * `MigrationRunner` given them evaluates only the files the tracking table cannot vouch for.
   */
  migrationFiles(): Promise<MigrationFiles> {
    this.#migrationFiles ??= Promise.resolve().then(() =>
      findMigrationFiles({
        sources: this.config.apps.map((app) => ({ app: app.name, directory: app.migrationsDir })),
        operations: this.covet.operations,
        beforeEvaluate: (files, found) => this.beforeEvaluate?.(files, found),
      }),
    );
    return this.#migrationFiles;
  }

  async close(): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection) await (await connection).close();
  }
}

/**
 * Resolves the configuration, applies the plugins it names (objects, or packages imported by
 * name) and finds the dialect for `database.engine`: one a plugin registered, one a
 * `resolveDialect` tap returns, or the `@covet/dialect-<engine>` package imported now.
 */
export async function openProject(options: ResolveConfigOptions = {}): Promise<Project> {
  const config = await resolveConfig(options);
  const where = config.configFile ? basename(config.configFile) : 'config';
  const plugins: CovetPlugin[] = [];
  const sources: string[] = [];
  for (const [index, entry] of config.plugins.entries()) {
    const at = `${where} plugins[${index}]`;
    const { value, options: pluginOptions, hasOptions } = splitPluginEntry(entry, at);
    let source = at;
    let loaded = value;
    if (typeof value === 'string') {
      source = `package ${value} in ${at}`;
      loaded = (
        await importPluginExport(value, config.rootDir, () =>
          new CovetError('PLUGIN_MISSING', `Plugin package ${value} is not installed (${at})`, {
            hint: `Install it: npm install ${value}`,
          }),
        )
      ).value;
    }
    const label = typeof value === 'string' ? value : `#${index + 1}`;
    plugins.push(instantiatePlugin(loaded, { options: pluginOptions, hasOptions, label, source: at }));
    sources.push(source);
  }
  const engine = config.database.engine;
  const covet = createCovet({ plugins, sources });
  // A hook nobody tapped is not called: tapable compiles a hook's caller the first time it is
  // called (a `new Function`, ≈ 2 ms of a cold start each).
  let dialect = covet.dialects.get(engine) ?? (covet.hooks.resolveDialect.taps.length > 0 ? await covet.hooks.resolveDialect.promise(engine) : undefined);
  if (!dialect) {
    const packageName = dialectPackageName(engine);
    const dialectPlugin = await importPlugin(packageName, config.rootDir, () =>
      new CovetError('DIALECT_MISSING', `No dialect for engine "${engine}": package ${packageName} is not installed`, {
        hint: `Install it: npm install ${packageName}. For a third-party dialect, install its package and list it in the config's plugins: plugins: ['covet-dialect-${engine}'] (docs/writing-a-dialect.md).`,
      }),
    );
    covet.use(dialectPlugin, { source: `package ${packageName}` });
    dialect = covet.dialects.get(engine);
    if (!dialect) {
      throw new CovetError('DIALECT_MISSING', `Package ${packageName} did not register a dialect named "${engine}"`);
    }
  }
  const processed = covet.hooks.processConfig.taps.length > 0 ? await covet.hooks.processConfig.promise(config) : config;
  return new Project(processed, covet, dialect);
}
