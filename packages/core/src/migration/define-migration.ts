import { createHash } from 'node:crypto';
import { CHECKSUM_SCHEME } from './checksum-scheme.js';
import { CovetError } from '../errors/covet-error.js';
import { isOperation, type Operation } from '../operations/define-operation.js';
import { canonicalJson } from './canonical-json.js';

const MIGRATION_DEFINITION_BRAND = Symbol.for('covet.migrationDefinition');

/** What custom migration code (`up` / `down`) can do with the database. */
export interface MigrationCodeContext {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  execute(sql: string, params?: readonly unknown[]): Promise<void>;
}

/** A JSON value: what {@link MigrationDefinition.meta} may hold. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Free-form facts about a migration for plugins and people: `{ reviewedBy: 'ana', allowDrop: true }`. */
export type MigrationMeta = { readonly [key: string]: JsonValue };

/** What a migration file exports (through {@link defineMigration}). */
export interface MigrationDefinition {
  /** `NAME` of the same app, or `app:NAME` of another app. */
  readonly dependencies?: readonly string[];
  readonly operations?: readonly Operation[];
  /**
   * False to run the migration outside a transaction (for statements such as PostgreSQL's
   * `CREATE INDEX CONCURRENTLY`). The runner says so when it applies it. Default true.
   */
  readonly atomic?: boolean;
  /** Custom code (a data migration), run after the operations when applying. */
  readonly up?: (context: MigrationCodeContext) => Promise<void> | void;
  /** Custom code that undoes `up`, run before the reversed operations when rolling back. */
  readonly down?: (context: MigrationCodeContext) => Promise<void> | void;
  /**
   * Facts about the migration for plugins (a policy's `allowDrop`, who reviewed it): JSON
   * data only, part of the checksum (changing it after the migration was applied is an
   * edit). Every hook that is given a migration sees it as `migration.meta`.
   */
  readonly meta?: MigrationMeta;
  /**
   * The migrations of the same app this one replaces (`covet squashmigrations` writes it):
   * `NAME` or `app:NAME`. A database that applied all of them counts this one as applied; a
   * database that applied some goes on with the rest of them; a fresh database applies this
   * one. Once every database has applied it (or all of them), the replaced files can go.
   */
  readonly replaces?: readonly string[];
}

/**
 * Declares a migration; a migration file's default export.
 *
 * @example
 * export default defineMigration({
 *   dependencies: ['20261124120000_initial'],
 *   operations: [op.addColumn('users', 'nickname', t.varchar(50))],
 * });
 */
export function defineMigration(definition: MigrationDefinition): MigrationDefinition {
  return Object.freeze({ ...definition, [MIGRATION_DEFINITION_BRAND]: true });
}

/** True for a value made with {@link defineMigration} (or a plain object of that shape). */
export function isMigrationDefinition(value: unknown): value is MigrationDefinition {
  if (typeof value !== 'object' || value === null) return false;
  if (MIGRATION_DEFINITION_BRAND in value) return true;
  return Array.isArray((value as MigrationDefinition).operations);
}

/** A loaded migration: a definition with its identity and checksum. */
export interface Migration {
  readonly app: string;
  readonly name: string;
  /** `app:name`, unique across apps. */
  readonly id: string;
  /** Where it was loaded from, if from a file. */
  readonly file?: string;
  /** Resolved dependencies as `app:name` ids. */
  readonly dependencies: readonly string[];
  readonly operations: readonly Operation[];
  readonly atomic: boolean;
  readonly up?: MigrationDefinition['up'];
  readonly down?: MigrationDefinition['down'];
  /** Resolved `app:name` ids of the migrations this one replaces; absent when none. */
  readonly replaces?: readonly string[];
  /** The definition's `meta` (deeply frozen); absent when it has none or an empty one. */
  readonly meta?: MigrationMeta;
  /**
   * The checksum of the canonical content (dependencies, operations, atomicity, custom code,
   * meta) with its scheme: `v1:` + SHA-256 hex (see checksum-scheme.ts).
   */
  readonly checksum: string;
}

/** A migration's id: `app:name`. */
export function migrationId(app: string, name: string): string {
  return `${app}:${name}`;
}

/** Resolves a dependency string of a migration of `app` to an `app:name` id. */
export function resolveDependency(app: string, dependency: string): string {
  return dependency.includes(':') ? dependency : migrationId(app, dependency);
}

function codeText(code: ((...args: never[]) => unknown) | undefined): string | undefined {
  // Custom code takes part in the checksum by its text with all whitespace removed, so
  // re-indenting or changing line endings does not count as an edit.
  return code === undefined ? undefined : code.toString().replace(/\s+/g, '');
}

/**
 * The checksum of a migration's canonical content (dependencies resolved against `app`, so
 * `NAME` and `app:NAME` are the same): `v1:` + SHA-256 hex, the prefix naming the scheme
 * ({@link CHECKSUM_SCHEME}). It is computed from the operations (data), not from the file's
 * text, so formatting, comments, line endings and a BOM do not change it, while any change to
 * an operation does. Changing what is hashed is a new scheme, never an edit of this one.
 */
export function computeChecksum(definition: MigrationDefinition, app: string): string {
  const content = canonicalJson({
    dependencies: (definition.dependencies ?? []).map((dependency) => resolveDependency(app, dependency)),
    operations: definition.operations ?? [],
    atomic: definition.atomic === false ? false : undefined,
    up: codeText(definition.up),
    down: codeText(definition.down),
    // Absent or empty meta is left out, so migrations written before meta existed keep the
    // checksum they were applied with.
    meta: hasMeta(definition.meta) ? definition.meta : undefined,
    // Left out when empty, like meta, so other migrations keep their checksums.
    replaces: definition.replaces?.length ? definition.replaces.map((name) => resolveDependency(app, name)) : undefined,
  });
  return `${CHECKSUM_SCHEME}:${createHash('sha256').update(content).digest('hex')}`;
}

/**
 * Checks a definition's shape and makes it a {@link Migration}. `file` names it in errors;
 * `checksum` may be given when already known for exactly this content (the loader's cache).
 */
export function createMigration(app: string, name: string, definition: unknown, file?: string, checksum?: string): Migration {
  const where = file ?? migrationId(app, name);
  if (!isMigrationDefinition(definition)) {
    throw new CovetError('MIGRATION_INVALID', `Migration has no default export made with defineMigration (${where})`, {
      hint: "Export it as: export default defineMigration({ operations: [...] })",
    });
  }
  for (const key of Object.keys(definition)) {
    if (!DEFINITION_KEYS.has(key)) {
      throw new CovetError('MIGRATION_INVALID', `Unknown member "${key}" in defineMigration (${where})`, {
        hint: `Members are ${[...DEFINITION_KEYS].join(', ')}; put facts for plugins in meta: { ${/^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key)}: ... }`,
      });
    }
  }
  const dependencies = definition.dependencies ?? [];
  if (!Array.isArray(dependencies) || dependencies.some((d) => typeof d !== 'string' || d.length === 0)) {
    throw new CovetError('MIGRATION_INVALID', `dependencies must be a list of migration names (${where})`);
  }
  const operations = definition.operations ?? [];
  operations.forEach((operation, index) => {
    if (!isOperation(operation)) {
      throw new CovetError('MIGRATION_INVALID', `Operation #${index + 1} is not an operation (${where})`, {
        hint: 'Build operations with op.* or a plugin builder.',
      });
    }
  });
  for (const member of ['up', 'down'] as const) {
    if (definition[member] !== undefined && typeof definition[member] !== 'function') {
      throw new CovetError('MIGRATION_INVALID', `${member} must be a function (${where})`);
    }
  }
  const meta = checkMeta(definition.meta, where);
  const replaces = definition.replaces ?? [];
  if (!Array.isArray(replaces) || replaces.some((r) => typeof r !== 'string' || r.length === 0)) {
    throw new CovetError('MIGRATION_INVALID', `replaces must be a list of migration names (${where})`);
  }
  const replacedIds = replaces.map((name) => resolveDependency(app, name));
  const foreign = replacedIds.find((id) => !id.startsWith(`${app}:`) || id === migrationId(app, name));
  if (foreign !== undefined) {
    throw new CovetError('MIGRATION_INVALID', `replaces may name only other migrations of app ${app}, not ${foreign} (${where})`);
  }
  const migration: Migration = {
    app,
    name,
    id: migrationId(app, name),
    dependencies: dependencies.map((dependency) => resolveDependency(app, dependency)),
    operations,
    atomic: definition.atomic !== false,
    checksum: checksum ?? computeChecksum(definition, app),
    ...(file === undefined ? {} : { file }),
    ...(definition.up ? { up: definition.up } : {}),
    ...(definition.down ? { down: definition.down } : {}),
    ...(meta ? { meta } : {}),
    ...(replacedIds.length > 0 ? { replaces: Object.freeze(replacedIds) } : {}),
  };
  return Object.freeze(migration);
}

function hasMeta(meta: unknown): boolean {
  return typeof meta === 'object' && meta !== null && canonicalJson(meta) !== '{}';
}

/** The members a migration definition may have; anything else is refused, not dropped. */
const DEFINITION_KEYS = new Set(['dependencies', 'operations', 'atomic', 'up', 'down', 'meta', 'replaces']);

/**
 * Checks that `meta` is a plain object of JSON data (what a checksum and a migration file can
 * hold exactly) and returns a deeply frozen copy, or undefined when it is absent or empty.
 * The error names the first member that is not JSON: `meta.review.at`.
 */
export function checkMeta(meta: unknown, where: string): MigrationMeta | undefined {
  if (meta === undefined) return undefined;
  if (!isPlainObject(meta)) {
    throw new CovetError('MIGRATION_INVALID', `meta must be an object of JSON values, got ${describeValue(meta)} (${where})`, {
      hint: "Write it as meta: { reviewedBy: 'ana', allowDrop: true }",
    });
  }
  const result = frozenJson(meta, 'meta', (path, found) =>
    new CovetError('MIGRATION_INVALID', `${path} is not JSON: ${found} (${where})`, {
      hint: 'meta holds strings, finite numbers, booleans, null, arrays and plain objects only.',
    }),
  ) as MigrationMeta;
  return Object.keys(result).length > 0 ? result : undefined;
}

/**
 * A deeply frozen copy of `value` if it is JSON data (strings, finite numbers, booleans, null,
 * arrays, plain objects; `undefined` members left out); otherwise throws the error `fail`
 * makes from the path of the first member that is not (`meta.review.at`, from `path`) and
 * what was found there (`a Date object`).
 */
export function frozenJson(value: unknown, path: string, fail: (path: string, found: string) => Error): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (Array.isArray(value)) return Object.freeze(value.map((item, index) => frozenJson(item, `${path}[${index}]`, fail)));
  if (isPlainObject(value)) {
    const result: Record<string, JsonValue> = {};
    for (const key of Object.keys(value)) {
      const member = (value as Record<string, unknown>)[key];
      if (member === undefined) continue;
      result[key] = frozenJson(member, /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`, fail);
    }
    return Object.freeze(result);
  }
  throw fail(path, describeValue(value));
}

function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'bigint') return `a bigint (${value}n)`;
  if (typeof value === 'object') return `a ${(value as object).constructor?.name ?? 'non-plain'} object`;
  return `a ${typeof value}`;
}
