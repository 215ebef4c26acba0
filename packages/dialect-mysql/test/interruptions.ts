// What the interruption tests share: the project with a slow migration, the real `covet`
// binary, and probes of the database the project points at (its tables, the tracking rows, the
// session sleeping in the migration).
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { MysqlConnection } from '../src/index.js';
import { COVET_BIN, type TestDatabase } from './helpers.js';

const TMP = join(import.meta.dirname, '.tmp');
/** The environment of the `covet` runs: no DATABASE_URL, so the project's config is what counts. */
export const ENV = { ...process.env, DATABASE_URL: '' };

export const BASE = '20260101000001_base';
export const SLOW = '20260101000002_slow';
export const NEXT = '20260101000003_next';

export interface Result {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `covet ...args` in `cwd` and waits for it. */
export function covet(cwd: string, ...args: string[]): Result {
  const result = spawnSync(process.execPath, [COVET_BIN, ...args], { cwd, encoding: 'utf8', env: ENV });
  return { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
}

/** Writes migration `name` of `folder` with `operations` (source text) and `extra` members. */
export function migration(folder: string, name: string, dependencies: string[], operations: string[], extra = ''): void {
  writeFileSync(
    join(folder, 'migrations', `${name}.ts`),
    `import { defineMigration, op, t } from '@covet/core';\n\nexport default defineMigration({\n  dependencies: ${JSON.stringify(dependencies)},\n  operations: [\n${operations.map((o) => `    ${o},\n`).join('')}  ],\n${extra}});\n`,
  );
}

/**
 * A project with `base`, and `slow`: CREATE TABLE a, a runSql, CREATE TABLE b. The runSql
 * sleeps on the way up (`up`) or on the way down (`down`), for as many seconds as the table
 * `knob` (outside the migrations) says, so the same file also runs without sleeping.
 */
export function project(label: string, database: TestDatabase, sleep: { direction: 'up' | 'down' }, options: Record<string, unknown> = {}): string {
  const folder = join(TMP, `${label}-${database.name}`);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(join(folder, 'migrations'), { recursive: true });
  writeFileSync(
    join(folder, 'covet.config.json'),
    JSON.stringify({ database: { engine: 'mysql', url: database.url, ...(Object.keys(options).length ? { options } : {}) }, migrations: './migrations', app: 'shop' }),
  );
  migration(folder, BASE, [], ["op.createTable('base', { id: t.serial().primaryKey() })"]);
  const sleepSql = 'SELECT SLEEP((SELECT seconds FROM knob))';
  const runSql = sleep.direction === 'up' ? `op.runSql('${sleepSql}', 'SELECT 1')` : `op.runSql('SELECT 1', '${sleepSql}')`;
  migration(folder, SLOW, [BASE], ["op.createTable('a', { id: t.serial().primaryKey() })", runSql, "op.createTable('b', { id: t.serial().primaryKey() })"]);
  return folder;
}

/** Polls `check` until it answers something other than `undefined` (an event, not a delay). */
export async function until<T>(check: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Probes of the current `database` through `admin` (a session other than the CLI's); both are read at each call. */
export function probes(admin: () => MysqlConnection, database: () => TestDatabase) {
  /** The tables of the migrations (Covet's own and the knob left out). */
  const tables = async () =>
    (
      await admin().query<{ name: string }>(
        "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME <> 'knob' AND TABLE_NAME NOT LIKE 'covet\\_%' ORDER BY TABLE_NAME",
        [database().name],
      )
    ).map((row) => row.name);
  /** How long the slow migration's runSql sleeps. */
  const knob = async (seconds: number) => {
    await admin().execute({ sql: 'CREATE TABLE IF NOT EXISTS knob (seconds integer)' });
    await admin().execute({ sql: 'DELETE FROM knob' });
    await admin().execute({ sql: 'INSERT INTO knob (seconds) VALUES (?)', params: [seconds] });
  };
  const applied = async () => (await admin().query<{ name: string }>('SELECT name FROM covet_migrations ORDER BY id')).map((row) => row.name);
  const partial = () => admin().query('SELECT name, app, direction, operations, error FROM covet_migrations_partial ORDER BY id');
  const snapshot = async () => ({ tables: await tables(), applied: await applied(), partial: await partial() });
  /** The id of the session running the migration's SLEEP, once it runs. */
  const sleepingSession = () =>
    until(async () => {
      const rows = await admin().query<{ id: number }>(
        "SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND INFO LIKE 'SELECT SLEEP(%' AND COMMAND = 'Query'",
        [database().name],
      );
      return rows[0] ? Number(rows[0].id) : undefined;
    });
  /** Waits until no session of the database sleeps any more (a killed client's session ends after its statement). */
  const sessionsGone = () =>
    until(async () => ((await admin().query("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND INFO LIKE 'SELECT SLEEP(%'", [database().name])).length === 0 ? true : undefined));
  /** migrate and rollback refuse with exit 4, say `message`, and change nothing. */
  const refusesToGoOn = async (cwd: string, message: string) => {
    const before = await snapshot();
    for (const argv of [['migrate'], ['rollback']]) {
      const refused = covet(cwd, ...argv);
      expect(refused.status, refused.stderr).toBe(4);
      expect(refused.stderr).toContain(`error: ${message}`);
      expect(refused.stderr).toContain(`covet resolve shop:${SLOW} --applied (or --rolled-back)`);
      expect(await snapshot()).toEqual(before);
    }
  };
  return { tables, knob, applied, partial, snapshot, sleepingSession, sessionsGone, refusesToGoOn };
}
