// What the lock rules know of the engine: which PostgreSQL type changes rewrite a table, the
// session's lock_timeout, and which InnoDB algorithm MySQL / MariaDB use for each change.
import type { ColumnState, ColumnType } from '@covet/core';

/** A MySQL or MariaDB server, as `SELECT VERSION()` names it. */
export interface ServerVersion {
  readonly flavor: 'mysql' | 'mariadb';
  readonly version: readonly [number, number, number];
}

/**
 * What the rules know of the database they check for, beyond the schema: from the live
 * connection before `migrate` / `rollback`, from the configuration and options in `covet lint`.
 */
export interface EngineFacts {
  /** The `lock_timeout` DDL runs with, in milliseconds (0: none); undefined when unknown. */
  readonly lockTimeoutMs?: number | undefined;
  /** Where `lockTimeoutMs` comes from, for the message (`the connection`, `database.options.lockTimeout`). */
  readonly lockTimeoutSource?: string;
  /** The MySQL / MariaDB server (`mysql-algorithm`). */
  readonly server?: ServerVersion | undefined;
  /** Whether `server` was read from the live database (else assumed from the options). */
  readonly serverLive?: boolean;
  /** `table.column` pairs with a validated `CHECK (column IS NOT NULL)` in the live database. */
  readonly validatedNotNull?: ReadonlySet<string>;
}

/** Parses `SELECT VERSION()` (`10.11.6-MariaDB-1:10.11.6+maria~ubu2204`, `8.0.35`) or `'mariadb 10.11'`. */
export function parseServerVersion(text: string): ServerVersion | undefined {
  const match = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!match) return undefined;
  return { flavor: /maria/i.test(text) ? 'mariadb' : 'mysql', version: [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] };
}

export function serverLabel(server: ServerVersion): string {
  return `${server.flavor === 'mariadb' ? 'MariaDB' : 'MySQL'} ${server.version.join('.')}`;
}

function atLeast(server: ServerVersion, major: number, minor: number, patch = 0): boolean {
  const [a, b, c] = server.version;
  return a !== major ? a > major : b !== minor ? b > minor : c >= patch;
}

/**
 * A PostgreSQL `lock_timeout` in milliseconds: a number (milliseconds, as Covet's
 * `database.options.lockTimeout` takes it) or PostgreSQL's text (`'10s'`, `'500ms'`, `'1min'`,
 * `'0'`). Undefined for text it cannot read.
 */
export function lockTimeoutMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*$/i.exec(value);
  if (!match) return undefined;
  const units: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };
  return Number(match[1]) * units[(match[2] ?? 'ms').toLowerCase()]!;
}

/** The `lock_timeout` a `SET [LOCAL] lock_timeout = ...` in `sql` sets, the last one winning. */
export function lockTimeoutSetIn(sql: string): number | undefined {
  let found: number | undefined;
  for (const match of sql.matchAll(/\bSET\s+(?:LOCAL\s+|SESSION\s+)?lock_timeout\s*(?:=|\bTO\b)\s*'?([^';\s]+)'?/gi)) {
    found = lockTimeoutMs(match[1]!) ?? found;
  }
  return found;
}

export function formatMs(ms: number): string {
  return ms % 60_000 === 0 && ms > 0 ? `${ms / 60_000}min` : ms % 1000 === 0 && ms > 0 ? `${ms / 1000}s` : `${ms}ms`;
}

const SERIALS: Readonly<Record<string, string>> = { smallserial: 'smallint', serial: 'integer', bigserial: 'bigint' };

/**
 * Why changing a column from `from` to `to` makes PostgreSQL rewrite the table (and rebuild its
 * indexes) under an ACCESS EXCLUSIVE lock, or undefined when it does not: the type is the same
 * or binary-coercible with a typmod PostgreSQL checks without a scan (see the `ALTER TABLE`
 * notes: a wider varchar, varchar to text, more numeric precision at the same scale, an
 * unconstrained numeric), a serial becoming its integer type (only the default changes), or
 * only the collation changes (indexes on the column are rebuilt, the table is not).
 */
export function postgresRewriteReason(from: ColumnType, to: ColumnType): string | undefined {
  const base = (type: ColumnType): ColumnType => (type.type in SERIALS ? ({ type: SERIALS[type.type] } as ColumnType) : type);
  const a = base(from);
  const b = base(to);
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  if (a.type === 'varchar' && b.type === 'varchar') return b.length >= a.length ? undefined : 'a shorter varchar checks and rewrites every row';
  if (a.type === 'varchar' && b.type === 'text' && b.size === undefined) return undefined;
  if (a.type === 'text' && b.type === 'text') return undefined;
  if (a.type === 'decimal' && b.type === 'decimal') {
    if (b.precision === undefined && b.scale === undefined) return undefined;
    if (a.precision !== undefined && b.precision !== undefined && b.precision >= a.precision && (a.scale ?? 0) === (b.scale ?? 0)) return undefined;
    return 'a numeric scale change, less precision or a new limit rewrites every row';
  }
  if (a.type === 'custom' && b.type === 'custom' && a.sql.trim().toLowerCase() === b.sql.trim().toLowerCase()) return undefined;
  if ((a.type === 'timestamp' || a.type === 'time') && a.type === b.type) return 'a change of time zone handling converts and rewrites every row';
  return 'the new type is not binary-compatible with the old one, so every row is converted and rewritten';
}

/** A column whose addition makes PostgreSQL fill every existing row (rewriting the table). */
export function postgresAddRewrites(column: ColumnState): string | undefined {
  if (column.type.type in SERIALS) return 'a serial column takes a value from its sequence for every row';
  if (column.identity !== undefined) return 'an identity column takes a generated value for every row';
  if (column.default?.kind === 'sql' && /\b(random|gen_random_uuid|uuid_generate_v[14]|clock_timestamp|timeofday|nextval)\s*\(/i.test(column.default.sql)) {
    return `its default ${column.default.sql} is volatile, so it is computed and stored for every row`;
  }
  return undefined;
}

/** An InnoDB ALTER TABLE algorithm, fastest first. */
export type Algorithm = 'instant' | 'inplace' | 'copy';
const RANK: Readonly<Record<Algorithm, number>> = { instant: 0, inplace: 1, copy: 2 };

export function slower(a: Algorithm, b: Algorithm): Algorithm {
  return RANK[a] >= RANK[b] ? a : b;
}

export function isSlowerThan(a: Algorithm, b: Algorithm): boolean {
  return RANK[a] > RANK[b];
}

/** The bytes a varchar of `length` characters may take in utf8mb4 (the dialect's character set). */
const bytesOf = (length: number) => length * 4;

/**
 * The algorithm InnoDB uses for one change on `server` (the best it supports: what an ALTER TABLE
 * without ALGORITHM= gets), after the MySQL 8.0/8.4 "Online DDL Operations" tables and MariaDB's
 * "InnoDB Online DDL Operations with the INSTANT / NOCOPY / INPLACE Alter Algorithm" pages.
 * NOCOPY (MariaDB) counts as INPLACE. Each entry says why, for the message.
 */
export const MYSQL_ALGORITHMS = {
  /** ADD COLUMN (Covet adds it last): INSTANT from MySQL 8.0.12 and MariaDB 10.3.2; an auto-increment column is copied. */
  addColumn(server: ServerVersion, column: ColumnState): { algorithm: Algorithm; why: string } {
    if (column.type.type in SERIALS || column.identity !== undefined) return { algorithm: 'copy', why: 'adding an auto-increment column blocks writes while the table is rebuilt' };
    const instant = server.flavor === 'mysql' ? atLeast(server, 8, 0, 12) : atLeast(server, 10, 3, 2);
    return instant ? { algorithm: 'instant', why: 'ADD COLUMN' } : { algorithm: 'inplace', why: 'ADD COLUMN rebuilds the table' };
  },
  /** DROP COLUMN: INSTANT from MySQL 8.0.29 and MariaDB 10.4, else INPLACE with a rebuild. */
  dropColumn(server: ServerVersion): { algorithm: Algorithm; why: string } {
    const instant = server.flavor === 'mysql' ? atLeast(server, 8, 0, 29) : atLeast(server, 10, 4);
    return instant ? { algorithm: 'instant', why: 'DROP COLUMN' } : { algorithm: 'inplace', why: 'DROP COLUMN rebuilds the table' };
  },
  /** Renaming a column: INSTANT from MySQL 8.0.28 and MariaDB 10.4, else INPLACE (metadata). */
  renameColumn(server: ServerVersion): { algorithm: Algorithm; why: string } {
    const instant = server.flavor === 'mysql' ? atLeast(server, 8, 0, 28) : atLeast(server, 10, 4);
    return { algorithm: instant ? 'instant' : 'inplace', why: 'renaming a column' };
  },
  /**
   * MODIFY COLUMN: a default or comment alone is INSTANT (MySQL 8.0, MariaDB 10.3); a wider
   * varchar whose length prefix stays one byte (up to 255 bytes) or two is INPLACE on MySQL and
   * INSTANT on MariaDB 10.4+; NULL / NOT NULL is INPLACE with a rebuild; any other type change
   * is COPY (writes blocked while the table is copied).
   */
  alterColumn(server: ServerVersion, from: ColumnState, to: ColumnState): { algorithm: Algorithm; why: string } {
    let result: { algorithm: Algorithm; why: string } = {
      algorithm: server.flavor === 'mysql' ? (atLeast(server, 8, 0) ? 'instant' : 'inplace') : atLeast(server, 10, 3) ? 'instant' : 'inplace',
      why: 'a default or comment change',
    };
    const worse = (algorithm: Algorithm, why: string) => {
      if (isSlowerThan(algorithm, result.algorithm)) result = { algorithm, why };
    };
    const a = from.type;
    const b = to.type;
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      if (a.type === 'varchar' && b.type === 'varchar' && b.length >= a.length && (bytesOf(a.length) <= 255) === (bytesOf(b.length) <= 255)) {
        worse(server.flavor === 'mariadb' && atLeast(server, 10, 4) ? 'instant' : 'inplace', 'a wider varchar');
      } else if (a.type === 'varchar' && b.type === 'varchar' && b.length >= a.length) {
        worse('copy', `a varchar growing past 255 bytes (utf8mb4: ${Math.floor(255 / 4)} characters) changes its length prefix, so the table is copied`);
      } else {
        worse('copy', 'a column type change copies the table');
      }
    }
    if (from.nullable !== to.nullable) worse('inplace', `making a column ${to.nullable ? 'NULL' : 'NOT NULL'} rebuilds the table`);
    return result;
  },
  /** CREATE INDEX: INPLACE (concurrent writes allowed), never INSTANT. */
  createIndex: (): { algorithm: Algorithm; why: string } => ({ algorithm: 'inplace', why: 'building an index' }),
  /** DROP INDEX: INPLACE, metadata only (MariaDB: INSTANT). */
  dropIndex: (server: ServerVersion): { algorithm: Algorithm; why: string } => ({ algorithm: server.flavor === 'mariadb' ? 'instant' : 'inplace', why: 'dropping an index' }),
  /** ADD FOREIGN KEY: COPY unless foreign_key_checks is off (Covet leaves it on, so existing rows are checked). */
  addForeignKey: (): { algorithm: Algorithm; why: string } => ({ algorithm: 'copy', why: 'adding a foreign key with foreign_key_checks on copies the table' }),
  /** DROP FOREIGN KEY: INPLACE (MariaDB: INSTANT). */
  dropForeignKey: (server: ServerVersion): { algorithm: Algorithm; why: string } => ({ algorithm: server.flavor === 'mariadb' ? 'instant' : 'inplace', why: 'dropping a foreign key' }),
  /** RENAME TABLE: INSTANT on MySQL 8.0 and MariaDB. */
  renameTable: (server: ServerVersion): { algorithm: Algorithm; why: string } => ({
    algorithm: server.flavor === 'mariadb' || atLeast(server, 8, 0) ? 'instant' : 'inplace',
    why: 'renaming a table',
  }),
};
