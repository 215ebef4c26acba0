import type { DialectConnection } from '@covet/core';
import { lockTimeoutMs, parseServerVersion, type EngineFacts } from './engine-facts.js';

/** Covet's PostgreSQL `lock_timeout` when `database.options.lockTimeout` is not set (10 s). */
const COVET_DEFAULT_LOCK_TIMEOUT_MS = 10_000;

/**
 * What the configuration says of the engine, for `covet lint` and a `--dry-run` (no connection):
 * PostgreSQL's `lock_timeout` from `database.options.lockTimeout` (Covet's default, 10 s, when unset).
 */
export function configFacts(engine: string, options: Readonly<Record<string, unknown>> | undefined): EngineFacts {
  if (engine !== 'postgres') return {};
  const configured = options?.lockTimeout;
  if (configured === undefined) return { lockTimeoutMs: COVET_DEFAULT_LOCK_TIMEOUT_MS, lockTimeoutSource: "Covet's default" };
  return { lockTimeoutMs: lockTimeoutMs(configured), lockTimeoutSource: 'database.options.lockTimeout' };
}

// A validated CHECK (column IS NOT NULL) of a table in the connection's schema: PostgreSQL prints it as CHECK ((col IS NOT NULL)).
const NOT_NULL_CHECKS_SQL = `SELECT r.relname AS "table", pg_get_constraintdef(c.oid) AS definition
FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace n ON n.oid = r.relnamespace
WHERE c.contype = 'c' AND c.convalidated AND n.nspname = current_schema()`;

/**
 * What the live database says of itself, before `migrate` / `rollback` send any SQL: on
 * PostgreSQL the session's `lock_timeout` and the validated NOT NULL checks, on MySQL / MariaDB
 * the server version.
 */
export async function liveFacts(engine: string, connection: DialectConnection): Promise<EngineFacts> {
  if (engine === 'postgres') {
    const [setting] = await connection.query<{ timeout: string }>("SELECT current_setting('lock_timeout') AS timeout");
    const validatedNotNull = new Set<string>();
    for (const row of await connection.query<{ table: string; definition: string }>(NOT_NULL_CHECKS_SQL)) {
      const match = /^CHECK \(\((?:"((?:[^"]|"")+)"|(\w+)) IS NOT NULL\)\)$/.exec(row.definition);
      if (match) validatedNotNull.add(`${row.table}.${match[1]?.replace(/""/g, '"') ?? match[2]}`);
    }
    return { lockTimeoutMs: lockTimeoutMs(setting?.timeout), lockTimeoutSource: 'the connection', validatedNotNull };
  }
  if (engine === 'mysql') {
    const [row] = await connection.query<{ version: string }>('SELECT VERSION() AS version');
    return { server: parseServerVersion(String(row?.version ?? '')), serverLive: true };
  }
  return {};
}
