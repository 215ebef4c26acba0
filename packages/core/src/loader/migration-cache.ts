import type { MigrationMeta } from '../migration/define-migration.js';
import { cacheFile, readCacheEntries, writeCacheFiles } from './cache-files.js';

/** What the cache remembers of one migration source text. */
export interface CachedMigration {
  readonly checksum: string;
  readonly dependencies: readonly string[];
  readonly atomic: boolean;
  /** The migration's `meta`, when it has one. */
  readonly meta?: MigrationMeta;
  /** Ids of the migrations a squashed migration replaces, when it has any. */
  readonly replaces?: readonly string[];
  /** The operations as data; absent when the file has custom code and must be imported. */
  readonly operations?: readonly unknown[];
}

interface IndexEntry {
  readonly checksum: string;
  readonly dependencies: readonly string[];
  readonly atomic: boolean;
  readonly meta?: MigrationMeta;
  readonly replaces?: readonly string[];
  readonly hasOperations: boolean;
}

/**
 * Bump when the canonical form of operations changes, so old entries are ignored. (3: `meta`
 * is kept, and is part of the checksum; 4: checksums carry their scheme, `v1:`.)
 */
const CACHE_FORMAT = 4;

/**
 * Remembers, per migration source text (keyed by its SHA-256), the checksum, dependencies and
 * operations found the last time the file was imported. A file whose text is unchanged and
 * that has no custom code and no relative imports need not be compiled or evaluated again:
 * this is what keeps a no-op `migrate` over hundreds of files fast. It is only an
 * accelerator: any change to a file's text is a miss, and a missing or corrupt cache file is
 * an empty cache.
 */
export class MigrationCache {
  /** The index: checksums and dependencies, all a no-op `migrate` or `showmigrations` reads. */
  readonly file: string;
  /** The operations, in a second file read only when a migration's operations are needed. */
  readonly operationsFile: string;
  #entries: Record<string, IndexEntry>;
  #operations: Record<string, readonly unknown[]> | undefined;
  #dirty = false;

  constructor(file: string) {
    this.file = file;
    this.operationsFile = file.replace(/\.json$/, '.operations.json');
    this.#entries = readCacheEntries<IndexEntry>(file, CACHE_FORMAT);
  }

  #loadOperations(): Record<string, readonly unknown[]> {
    return (this.#operations ??= readCacheEntries<readonly unknown[]>(this.operationsFile, CACHE_FORMAT));
  }

  /**
   * The cache file for a migrations folder: under the nearest `node_modules/.cache/covet`,
   * else the system temp folder. `fingerprint` covers what changes the meaning of a file
   * (the registered operation kinds).
   */
  static forDirectory(directory: string, fingerprint: string): MigrationCache {
    return new MigrationCache(cacheFile(directory, 'migrations', `${CACHE_FORMAT}\0${fingerprint}`));
  }

  /** The entry for a source text, without its operations (see {@link MigrationCache.operations}). */
  get(sourceHash: string): (IndexEntry & CachedMigration) | undefined {
    return this.#entries[sourceHash] as (IndexEntry & CachedMigration) | undefined;
  }

  /** The cached operations of a source text; undefined when it must be imported. */
  operations(sourceHash: string): readonly unknown[] | undefined {
    return this.#entries[sourceHash]?.hasOperations ? this.#loadOperations()[sourceHash] : undefined;
  }

  set(sourceHash: string, entry: CachedMigration): void {
    const { operations, ...rest } = entry;
    this.#entries[sourceHash] = { ...rest, hasOperations: operations !== undefined };
    if (operations !== undefined) this.#loadOperations()[sourceHash] = operations;
    this.#dirty = true;
  }

  /** Writes the cache if it changed, keeping only `keep` (the hashes seen this run). */
  save(keep: ReadonlySet<string>): void {
    const stale = Object.keys(this.#entries).filter((hash) => !keep.has(hash));
    if (!this.#dirty && stale.length === 0) return;
    const operations = this.#loadOperations();
    for (const hash of stale) {
      delete this.#entries[hash];
      delete operations[hash];
    }
    // Operations first: an index never points at operations that were not written.
    const written = writeCacheFiles([
      { file: this.operationsFile, format: CACHE_FORMAT, entries: operations },
      { file: this.file, format: CACHE_FORMAT, entries: this.#entries },
    ]);
    if (written) this.#dirty = false;
  }
}
