import { createHash } from 'node:crypto';
import { CovetError } from '../errors/covet-error.js';
import { isOperation, type Operation } from '../operations/define-operation.js';
import { canonicalJson } from './canonical-json.js';

const MIGRATION_DEFINITION_BRAND = Symbol.for('covet.migrationDefinition');

/** What custom migration code (`up` / `down`) can do with the database. */
export interface MigrationCodeContext {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  execute(sql: string, params?: readonly unknown[]): Promise<void>;
}

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
  /** SHA-256 hex of the canonical content: dependencies, operations, atomicity, custom code. */
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
 * The SHA-256 hex checksum of a migration's canonical content (dependencies resolved
 * against `app`, so `NAME` and `app:NAME` are the same). It is computed from the
 * operations (data), not from the file's text, so formatting, comments, line endings and a
 * BOM do not change it, while any change to an operation does.
 */
export function computeChecksum(definition: MigrationDefinition, app: string): string {
  const content = canonicalJson({
    dependencies: (definition.dependencies ?? []).map((dependency) => resolveDependency(app, dependency)),
    operations: definition.operations ?? [],
    atomic: definition.atomic === false ? false : undefined,
    up: codeText(definition.up),
    down: codeText(definition.down),
  });
  return createHash('sha256').update(content).digest('hex');
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
  };
  return Object.freeze(migration);
}
