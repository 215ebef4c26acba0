import { hash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CovetError } from '../errors/covet-error.js';
import { MigrationGraph } from '../graph/migration-graph.js';
import { createMigration, migrationId, resolveDependency, type Migration } from '../migration/define-migration.js';
import { isCurrentChecksumScheme } from '../migration/checksum-scheme.js';
import { createOperation, operationsCacheKey, type Operation, type OperationRegistry } from '../operations/define-operation.js';
import { defaultExport, importModules } from './import-module.js';
import { MigrationCache, type CachedMigration } from './migration-cache.js';

/** Extensions of migration files, in order of preference. */
export const MIGRATION_EXTENSIONS: readonly string[] = Object.freeze(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);

const MIGRATION_FILE = /^[A-Za-z0-9][A-Za-z0-9_]*$/;
// A relative import means the file's meaning can change without its text changing.
const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s*)['"]\.{1,2}[/'"]/m;

/** A migration the loader found: its identity, dependencies and checksum, loaded on demand. */
export interface MigrationEntry {
  readonly id: string;
  readonly app: string;
  readonly name: string;
  readonly file: string;
  /** Resolved `app:name` ids. */
  readonly dependencies: readonly string[];
  /** Resolved `app:name` ids of the migrations a squashed migration replaces; absent when none. */
  readonly replaces?: readonly string[];
  readonly checksum: string;
  /**
   * SHA-256 (hex) of the file's text (UTF-8, LF line endings, no BOM), recorded with the
   * migration when it is applied. Absent when the text alone does not fix what the file
   * means (it imports a file of the project by a relative path).
   */
  readonly sourceHash?: string;
  /** The whole migration (operations and custom code), importing the file if needed. */
  load(): Promise<Migration>;
}

/** An app's migrations folder. */
export interface MigrationSource {
  readonly app: string;
  readonly directory: string;
}

/** Options of {@link loadMigrations}. */
export interface LoadMigrationsOptions {
  readonly sources: readonly MigrationSource[];
  /** Operation kinds migrations may use; unknown kinds are an error naming the file. */
  readonly operations: OperationRegistry;
  /** Set false to always import every file (no cache). */
  readonly cache?: boolean;
  /**
   * Called with the paths of the migration files about to be evaluated or taken from the
   * loader cache (every file the tracking table does not vouch for), before any is imported,
   * and with `found`, every migration file found. A throw stops the load: the CLI checks
   * their file permissions here, so a no-op run checks none (it evaluates none). Each file
   * is passed once.
   */
  readonly beforeEvaluate?: (files: readonly string[], found: readonly string[]) => void;
}

interface FoundFile {
  readonly app: string;
  readonly name: string;
  readonly file: string;
  readonly hash: string;
  readonly cacheable: boolean;
  /**
   * Whether the text hash alone vouches for what the file means, so a matching tracking row
   * may stand in for evaluating it: cacheable, and not a squashed migration (its `replaces`
   * decide which rows count for it, and are not recorded).
   */
  readonly trustable: boolean;
}

/**
 * What the tracking table knows of an applied migration: its checksum, and the text hash and
 * dependencies of the file it was applied from (null in rows written before Covet recorded
 * them).
 */
export interface KnownMigration {
  readonly checksum: string;
  readonly sourceHash: string | null;
  readonly dependencies: readonly string[] | null;
}

/**
 * Finds the migration files of every app (`.ts`, `.mts`, `.cts`, `.js`, `.mjs`, `.cjs`), and
 * returns them as a {@link MigrationGraph}. TypeScript is compiled without a build step (one
 * esbuild transform for all files that need it) and files unchanged since they were last
 * verified are taken from the cache without being imported. A file that fails to load, two
 * files with the same name in one app, an unknown operation, a missing dependency or a cycle
 * stop here, before anything touches the database, with an error naming the file.
 */
export async function loadMigrations(options: LoadMigrationsOptions): Promise<MigrationGraph<MigrationEntry>> {
  return findMigrationFiles(options).graph();
}

/**
 * Reads and hashes the migration files of every app without evaluating any (see
 * {@link MigrationFiles}). Two files with the same name in one app are an error here.
 */
export function findMigrationFiles(options: LoadMigrationsOptions): MigrationFiles {
  const found: FoundFile[] = [];
  for (const { app, directory } of options.sources) found.push(...discover(app, directory));
  return new MigrationFiles(options, found);
}

/**
 * The migration files of a project, read and hashed but not evaluated: what `migrate` and
 * `showmigrations` start from. {@link MigrationFiles.graph} evaluates only the files it must:
 * a file whose text hash equals the one recorded with its applied migration cannot mean
 * anything else than when it was recorded (unless it imports a project file by a relative
 * path: those are always evaluated), so its checksum and dependencies are taken from the
 * record, and it is imported only if its operations are needed (a rollback, a replay).
 */
export class MigrationFiles {
  readonly #options: LoadMigrationsOptions;
  readonly #found: readonly FoundFile[];
  readonly #caches = new Map<string, MigrationCache | undefined>();
  readonly #importer = new BatchImporter();
  readonly #checked = new Set<string>();
  #saveScheduled = false;

  constructor(options: LoadMigrationsOptions, found: readonly FoundFile[]) {
    this.#options = options;
    this.#found = found;
  }

  /** The files found: `app:name` id, app, name, path, and text hash. */
  get files(): readonly { readonly id: string; readonly app: string; readonly name: string; readonly file: string; readonly sourceHash: string }[] {
    return this.#found.map((file) => ({ id: migrationId(file.app, file.name), app: file.app, name: file.name, file: file.file, sourceHash: file.hash }));
  }

  /** The loader cache of an app, opened the first time it is needed. */
  #cache(app: string): MigrationCache | undefined {
    if (this.#caches.has(app)) return this.#caches.get(app);
    const source = this.#options.sources.find((candidate) => candidate.app === app);
    const cache =
      this.#options.cache === false || !source
        ? undefined
        : MigrationCache.forDirectory(source.directory, loaderFingerprint(app, this.#options.operations));
    this.#caches.set(app, cache);
    return cache;
  }

  /**
   * The graph of every migration. `known` gives what the tracking table recorded of applied
   * migrations (by `app:name` id): a file whose text hash matches its record is not evaluated.
   * Every other file is evaluated (all of them in one bundle per folder) or taken from the
   * loader cache.
   */
  async graph(known?: ReadonlyMap<string, KnownMigration>): Promise<MigrationGraph<MigrationEntry>> {
    const options = this.#options;
    const trusted = new Map<FoundFile, KnownMigration & { readonly dependencies: readonly string[] }>();
    if (known) {
      for (const file of this.#found) {
        const record = file.trustable ? known.get(migrationId(file.app, file.name)) : undefined;
        // A checksum of another scheme is recomputed from the file (see compareChecksums).
        if (record && record.sourceHash === file.hash && record.dependencies && isCurrentChecksumScheme(record.checksum)) {
          trusted.set(file, { ...record, dependencies: record.dependencies });
        }
      }
    }
    const rest = this.#found.filter((file) => !trusted.has(file));
    this.#beforeEvaluate(rest);
    const toImport = rest.filter((file) => !file.cacheable || this.#cache(file.app)?.get(file.hash) === undefined);
    const imported = new Map<FoundFile, Migration>();
    // One bundle per migrations folder, resolving the packages the files import (`@covet/core`,
    // plugins) from that folder, as the project itself would, wherever covet was started.
    const folders = new Map<string, FoundFile[]>();
    for (const file of toImport) folders.set(dirname(file.file), [...(folders.get(dirname(file.file)) ?? []), file]);
    for (const [folder, files] of folders) {
      const namespaces = await importModules(
        files.map((file) => file.file),
        folder,
      );
      files.forEach((file, index) => {
        const migration = createMigration(file.app, file.name, defaultExport(namespaces[index]), file.file);
        checkKinds(migration, options.operations);
        imported.set(file, migration);
        if (file.cacheable) this.#remember(file, migration);
      });
    }
    for (const [app, cache] of this.#caches) {
      cache?.save(new Set(this.#found.filter((file) => file.app === app).map((file) => file.hash)));
    }
    const entries = this.#found.map((file) => {
      const migration = imported.get(file);
      if (migration) return entry(file, migration.dependencies, migration.checksum, async () => migration, migration.replaces);
      const record = trusted.get(file);
      if (record) return entry(file, record.dependencies, record.checksum, () => this.#loadLater(file));
      const cache = this.#cache(file.app)!;
      const cached = cache.get(file.hash)!;
      const load = cached.hasOperations ? async () => cachedMigration(file, cached, () => cache.operations(file.hash)) : () => this.#evaluate(file);
      return entry(file, cached.dependencies, cached.checksum, load, cached.replaces);
    });
    return new MigrationGraph(entries);
  }

  /** Tells `beforeEvaluate` of the files among `files` it has not been told of yet. */
  #beforeEvaluate(files: readonly FoundFile[]): void {
    const check = this.#options.beforeEvaluate;
    if (!check) return;
    const fresh = files.map((file) => file.file).filter((file) => !this.#checked.has(file));
    if (fresh.length === 0) return;
    check(
      fresh,
      this.#found.map((file) => file.file),
    );
    for (const file of fresh) this.#checked.add(file);
  }

  #remember(file: FoundFile, migration: Migration): void {
    const hasCode = migration.up !== undefined || migration.down !== undefined;
    this.#cache(file.app)?.set(file.hash, {
      checksum: migration.checksum,
      dependencies: migration.dependencies,
      atomic: migration.atomic,
      ...(migration.meta ? { meta: migration.meta } : {}),
      ...(migration.replaces ? { replaces: migration.replaces } : {}),
      ...(hasCode ? {} : { operations: migration.operations }),
    });
  }

  /**
   * A trusted file's migration, when its operations are needed after all: from the loader
   * cache if it has them, else imported together with every other file asked for in the same
   * turn (a rollback replaying 500 applied migrations compiles one bundle, not 500).
   */
  async #loadLater(file: FoundFile): Promise<Migration> {
    this.#beforeEvaluate([file]);
    const cache = this.#cache(file.app);
    const cached = cache?.get(file.hash);
    if (cache && cached?.hasOperations) return cachedMigration(file, cached, () => cache.operations(file.hash));
    const migration = await this.#evaluate(file);
    this.#remember(file, migration);
    // Saved once after this turn's imports (graph() saved the caches before they were asked for).
    if (!this.#saveScheduled) {
      this.#saveScheduled = true;
      setImmediate(() => {
        this.#saveScheduled = false;
        for (const [app, cache] of this.#caches) cache?.save(new Set(this.#found.filter((found) => found.app === app).map((found) => found.hash)));
      });
    }
    return migration;
  }

  async #evaluate(file: FoundFile): Promise<Migration> {
    const namespace = await this.#importer.request(file.file);
    const migration = createMigration(file.app, file.name, defaultExport(namespace), file.file);
    checkKinds(migration, this.#options.operations);
    return migration;
  }
}

/**
 * Imports files asked for in the same turn of the event loop in one bundle per folder (see
 * importModules), however many callers ask.
 */
class BatchImporter {
  #pending: { file: string; resolve: (value: unknown) => void; reject: (error: unknown) => void }[] = [];

  request(file: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.#pending.length === 0) queueMicrotask(() => void this.#flush());
      this.#pending.push({ file, resolve, reject });
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    const folders = new Map<string, typeof batch>();
    for (const request of batch) folders.set(dirname(request.file), [...(folders.get(dirname(request.file)) ?? []), request]);
    for (const [folder, requests] of folders) {
      try {
        const namespaces = await importModules(
          requests.map((request) => request.file),
          folder,
        );
        requests.forEach((request, index) => request.resolve(namespaces[index]));
      } catch (error) {
        for (const request of requests) request.reject(error);
      }
    }
  }
}

function entry(
  file: FoundFile,
  dependencies: readonly string[],
  checksum: string,
  load: () => Promise<Migration>,
  replaces?: readonly string[],
): MigrationEntry {
  let loading: Promise<Migration> | undefined;
  return {
    id: migrationId(file.app, file.name),
    app: file.app,
    name: file.name,
    file: file.file,
    dependencies: dependencies.map((dependency) => resolveDependency(file.app, dependency)),
    checksum,
    ...(file.trustable ? { sourceHash: file.hash } : {}),
    ...(replaces?.length ? { replaces: replaces.map((id) => resolveDependency(file.app, id)) } : {}),
    load: () => (loading ??= load()),
  };
}

/**
 * A migration from the cache. Its operations are read from the cache's second file the first
 * time they are needed: a run that applies compiled plans (see PlanCache) never needs them.
 */
function cachedMigration(file: FoundFile, cached: CachedMigration, readOperations: () => readonly unknown[] | undefined): Migration {
  let operations: readonly Operation[] | undefined;
  return Object.freeze({
    app: file.app,
    name: file.name,
    id: migrationId(file.app, file.name),
    file: file.file,
    dependencies: cached.dependencies.map((dependency) => resolveDependency(file.app, dependency)),
    atomic: cached.atomic,
    checksum: cached.checksum,
    ...(cached.meta ? { meta: deepFreeze(cached.meta) } : {}),
    ...(cached.replaces?.length ? { replaces: Object.freeze([...cached.replaces]) } : {}),
    get operations(): readonly Operation[] {
      if (operations) return operations;
      const data = readOperations();
      if (data === undefined) {
        throw new CovetError('CACHE_INVALID', `The migration cache has lost this migration's operations (${file.file})`, {
          hint: 'Delete node_modules/.cache/covet and run again.',
        });
      }
      return (operations = Object.freeze((data as { kind: string; args: unknown }[]).map((o) => createOperation(o.kind, o.args))));
    },
  });
}

function checkKinds(migration: Migration, registry: OperationRegistry): void {
  migration.operations.forEach((operation, index) => {
    registry.get(operation.kind, `operation #${index + 1} of ${migration.file ?? migration.id}`);
  });
}

function discover(app: string, directory: string): FoundFile[] {
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CovetError('MIGRATIONS_UNREADABLE', `Cannot read the migrations folder (${directory})`, { cause: error });
  }
  const byName = new Map<string, string>();
  const files: FoundFile[] = [];
  for (const fileName of names.sort()) {
    // (path.extname, run cold hundreds of times, costs more than reading the files.)
    const dot = fileName.lastIndexOf('.');
    const extension = dot > 0 ? fileName.slice(dot) : '';
    if (!MIGRATION_EXTENSIONS.includes(extension) || fileName.endsWith(`.d${extension}`)) continue;
    const name = fileName.slice(0, -extension.length);
    // `index`, and names starting with `_` or `.`, are helpers the migrations may import.
    if (name === 'index' || name.startsWith('_') || name.startsWith('.')) continue;
    if (!MIGRATION_FILE.test(name)) {
      // A file that looks like a migration but would never run: refused rather than skipped.
      throw new CovetError(
        'MIGRATION_NAME_INVALID',
        `Migration file ${fileName} does not match the naming rule: letters, digits and underscores, starting with a letter or digit, as in 20261124120000_add_users${extension} (${join(directory, fileName)})`,
        { hint: 'Rename it (or start its name with "_" if it is a helper module the migrations import, not a migration).' },
      );
    }
    const file = join(directory, fileName);
    const previous = byName.get(name);
    if (previous) {
      throw new CovetError('MIGRATION_DUPLICATE', `Two files define migration ${app}:${name} (${previous} and ${file})`, {
        hint: 'Keep one of them.',
      });
    }
    byName.set(name, file);
    const bytes = readSmallFile(file);
    // The hash of the text with LF line endings and no BOM (a Windows checkout is the same
    // file); most files need no decoding for it.
    const plain = !bytes.includes(0x0d) && !(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf);
    const source = plain ? undefined : bytes.toString('utf8').replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
    const maybeRelative = bytes.includes("'.") || bytes.includes('".');
    const cacheable = !maybeRelative || !RELATIVE_IMPORT.test(source ?? bytes.toString('utf8'));
    files.push({
      app,
      name,
      file,
      // One-shot hash (no Hash object per file).
      hash: hash('sha256', source ?? bytes),
      cacheable,
      trustable: cacheable && !bytes.includes('replaces'),
    });
  }
  return files;
}

let readBuffer: Buffer | undefined;

/**
 * A file's bytes, read into a buffer shared by all calls (valid until the next call): three
 * system calls a file where readFileSync makes five, which counts over hundreds of files.
 */
function readSmallFile(file: string): Buffer {
  readBuffer ??= Buffer.allocUnsafe(64 * 1024);
  const descriptor = openSync(file, 'r');
  try {
    const size = readSync(descriptor, readBuffer, 0, readBuffer.length, 0);
    if (size < readBuffer.length) return readBuffer.subarray(0, size);
  } finally {
    closeSync(descriptor);
  }
  return readFileSync(file);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

/**
 * What changes the meaning of an app's migration files for the loader cache: the app, the
 * registered kinds, and the versions of plugin kinds that name one (`cacheKey`), so a new
 * version of a plugin's builders imports its files again.
 */
function loaderFingerprint(app: string, operations: OperationRegistry): string {
  const versions = operationsCacheKey(operations);
  return `${app}\0${operations.kinds().join(',')}${versions === '' ? '' : `\0${versions}`}`;
}
