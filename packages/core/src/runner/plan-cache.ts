import { hash } from 'node:crypto';
import { cacheFile, readCacheEntries, writeCacheFiles } from '../loader/cache-files.js';
import type { SqlStatement } from '../schema/types.js';

declare const __COVET_BUILD_ID__: string | undefined;

/**
 * Identifies this build of `@covet/core` (its version and a hash of its sources, set when it
 * is built). Compiled plans made by another build are never used. Undefined when core runs from
 * its TypeScript sources (its own unit tests): no plan is cached then.
 */
export const CORE_BUILD_ID: string | undefined = typeof __COVET_BUILD_ID__ === 'string' ? __COVET_BUILD_ID__ : undefined;

/** Bump when the format of the file or what a key covers changes. */
const PLAN_FORMAT = 1;

/** Keep at most this many migrations' plans in one file. */
const MAX_ENTRIES = 20_000;

/** One operation of a migration, compiled. */
export interface CompiledStep {
  /** The operation's position in its migration (0-based). */
  readonly index: number;
  readonly kind: string;
  readonly statements: readonly SqlStatement[];
}

/**
 * Remembers the SQL a dialect compiled for migrations, so that applying them again to another
 * database (a fresh test database, a new environment) runs the SQL without replaying and
 * validating every operation again.
 *
 * What a migration compiles to depends only on its operations and on the schema before it,
 * that is on every migration before it in the plan: so a plan is keyed by the chain of the ids
 * and checksums of all migrations up to it ({@link PlanCache.chainKeys}), together with the
 * build of core and the dialect's {@link Dialect.cacheKey}. Changing, adding, removing or
 * reordering an earlier migration, or updating core or the dialect, changes the key. Only
 * migrations made of built-in operations, without custom code, whose SQL does not read the
 * live database, are kept (the runner decides). The cache is an accelerator: a missing or
 * corrupt file is an empty cache, and a read-only folder only means nothing is kept.
 */
export class PlanCache {
  readonly file: string;
  #entries: Record<string, readonly CompiledStep[]> | undefined;
  #dirty = false;

  constructor(file: string) {
    this.file = file;
  }

  /** The plan cache of a project folder and dialect, beside the migration cache. */
  static forProject(directory: string, dialectName: string): PlanCache {
    return new PlanCache(cacheFile(directory, 'plans', `${PLAN_FORMAT}\0${dialectName}`));
  }

  /**
   * The key of each migration of `chain` (in the order the runner replays them): a hash of
   * `fingerprint` (core build and dialect) and the ids and checksums of that migration and all
   * before it.
   */
  static chainKeys(chain: readonly { readonly id: string; readonly checksum: string }[], fingerprint: string): string[] {
    let key = hash('sha256', `${PLAN_FORMAT}\0${fingerprint}`, 'base64url');
    return chain.map((entry) => (key = hash('sha256', `${key}\0${entry.id}\0${entry.checksum}`, 'base64url')));
  }

  #read(): Record<string, readonly CompiledStep[]> {
    return (this.#entries ??= readCacheEntries<readonly CompiledStep[]>(this.file, PLAN_FORMAT));
  }

  get(key: string): readonly CompiledStep[] | undefined {
    const steps = this.#read()[key];
    return Array.isArray(steps) ? steps : undefined;
  }

  /** Keeps a migration's compiled steps; false when a bound value could not be kept as it is. */
  set(key: string, steps: readonly CompiledStep[]): boolean {
    if (!steps.every((step) => step.statements.every((statement) => (statement.params ?? []).every(isPlainValue)))) return false;
    this.#read()[key] = steps.map((step) => ({
      index: step.index,
      kind: step.kind,
      statements: step.statements.map((statement) => (statement.params?.length ? { sql: statement.sql, params: statement.params } : { sql: statement.sql })),
    }));
    this.#dirty = true;
    return true;
  }

  /**
   * Writes the file if it changed. `keep` are the keys of the plans still in use (the current
   * chain); older ones are dropped once they are not.
   */
  save(keep: ReadonlySet<string>): void {
    const entries = this.#read();
    const stale = Object.keys(entries).filter((key) => !keep.has(key));
    if (!this.#dirty && stale.length === 0) return;
    for (const key of stale) delete entries[key];
    const keys = Object.keys(entries);
    for (const key of keys.slice(0, Math.max(0, keys.length - MAX_ENTRIES))) delete entries[key];
    if (writeCacheFiles([{ file: this.file, format: PLAN_FORMAT, entries }])) this.#dirty = false;
  }
}

/** A bound value JSON keeps exactly. */
function isPlainValue(value: unknown): boolean {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}
