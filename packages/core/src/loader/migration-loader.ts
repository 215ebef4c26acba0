import { hash } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CovetError } from '../errors/covet-error.js';
import { MigrationGraph } from '../graph/migration-graph.js';
import { createMigration, migrationId, resolveDependency, type Migration } from '../migration/define-migration.js';
import { createOperation, type Operation, type OperationRegistry } from '../operations/define-operation.js';
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
}

interface FoundFile {
  readonly app: string;
  readonly name: string;
  readonly file: string;
  readonly hash: string;
  readonly cacheable: boolean;
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
  const fingerprint = options.operations.kinds().join(',');
  const found: FoundFile[] = [];
  const caches = new Map<string, MigrationCache>();
  for (const { app, directory } of options.sources) {
    found.push(...discover(app, directory));
    if (options.cache !== false) caches.set(app, MigrationCache.forDirectory(directory, `${app}\0${fingerprint}`));
  }
  const toImport = found.filter((file) => !file.cacheable || caches.get(file.app)?.get(file.hash) === undefined);
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
      if (file.cacheable) {
        const hasCode = migration.up !== undefined || migration.down !== undefined;
        caches.get(file.app)?.set(file.hash, {
          checksum: migration.checksum,
          dependencies: migration.dependencies,
          atomic: migration.atomic,
          ...(migration.meta ? { meta: migration.meta } : {}),
          ...(migration.replaces ? { replaces: migration.replaces } : {}),
          ...(hasCode ? {} : { operations: migration.operations }),
        });
      }
    });
  }
  for (const [app, cache] of caches) {
    cache.save(new Set(found.filter((file) => file.app === app).map((file) => file.hash)));
  }
  const entries = found.map((file) => {
    const migration = imported.get(file);
    if (migration) return entry(file, migration.dependencies, migration.checksum, async () => migration, migration.replaces);
    const cache = caches.get(file.app)!;
    const cached = cache.get(file.hash)!;
    const load = cached.hasOperations
      ? async () => cachedMigration(file, cached, () => cache.operations(file.hash))
      : () => importOne(file, options.operations);
    return entry(file, cached.dependencies, cached.checksum, load, cached.replaces);
  });
  return new MigrationGraph(entries);
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
    ...(file.cacheable ? { sourceHash: file.hash } : {}),
    ...(replaces?.length ? { replaces: replaces.map((id) => resolveDependency(file.app, id)) } : {}),
    load: () => (loading ??= load()),
  };
}

/** Imports one file (a cached file with custom code: its functions cannot be cached). */
async function importOne(file: FoundFile, registry: OperationRegistry): Promise<Migration> {
  const [namespace] = await importModules([file.file], dirname(file.file));
  const migration = createMigration(file.app, file.name, defaultExport(namespace), file.file);
  checkKinds(migration, registry);
  return migration;
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
    if (!MIGRATION_FILE.test(name) || name === 'index') continue;
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
    files.push({
      app,
      name,
      file,
      // One-shot hash (no Hash object per file).
      hash: hash('sha256', source ?? bytes),
      cacheable: !maybeRelative || !RELATIVE_IMPORT.test(source ?? bytes.toString('utf8')),
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
