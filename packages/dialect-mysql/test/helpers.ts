import { findWorkspaceRoot } from '@covet/core/testing';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILTIN_OPERATIONS, type Operation, type SchemaState } from '@covet/core';
import type { DatabaseConfig, DialectConnection } from '@covet/core/dialect';
import mysql from 'mysql2/promise';
import { poolOptions } from '../src/index.js';

/** The server the tests use: `COVET_TEST_MYSQL_URL`, or root on the local MariaDB. */
export const MYSQL_URL = process.env.COVET_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** Options of a connection to the server without a database selected (for CREATE/DROP DATABASE). */
function serverOptions() {
  const { database: _database, ...options } = poolOptions({ engine: 'mysql', url: MYSQL_URL });
  return options;
}

async function probe(): Promise<string | undefined> {
  try {
    const connection = await mysql.createConnection({ ...serverOptions(), connectTimeout: 3000 });
    await connection.end();
    return undefined;
  } catch (error) {
    return (error instanceof Error ? error.message : String(error)).split('\n')[0];
  }
}

/**
 * Why the database tests cannot run (the server is unreachable), or `undefined` when they can.
 * Under CI this throws instead: a CI run must not pass by skipping the database.
 */
export const UNAVAILABLE: string | undefined = await (async () => {
  const reason = await probe();
  if (reason === undefined) return undefined;
  const message = `MySQL/MariaDB is unreachable at ${MYSQL_URL.replace(/\/\/([^:@/]*):[^@]*@/, '//$1:***@')}: ${reason}`;
  if (process.env.CI) throw new Error(`${message} (CI is set, so the MySQL tests fail instead of skipping)`);
  console.warn(`skipping the MySQL tests: ${message}`);
  return message;
})();

/** A fresh, empty database for one test, and how to drop it. */
export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  readonly config: DatabaseConfig;
  drop(): Promise<void>;
}

/** Creates `covet_test_<random>` on the test server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `covet_test_${randomBytes(6).toString('hex')}`;
  const admin = await mysql.createConnection(serverOptions());
  try {
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  } finally {
    await admin.end();
  }
  const url = MYSQL_URL.replace(/\/[^/?]*(\?|$)/, `/${name}$1`);
  return {
    name,
    url,
    config: { engine: 'mysql', url },
    async drop() {
      const connection = await mysql.createConnection(serverOptions());
      try {
        await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await connection.end();
      }
    },
  };
}

/** The monorepo root. */
export function repositoryRoot(): string {
  return findWorkspaceRoot(dirname(fileURLToPath(import.meta.url)));
}

export const CORPUS = resolve(repositoryRoot(), 'fixtures/corpus');
export const SAKILA_SQL = join(CORPUS, 'sakila/mysql-sakila-schema.sql');
export const CHINOOK_SQL = join(CORPUS, 'chinook/Chinook_MySql.sql');

/**
 * Loads a dump into `database` with the `mariadb` client (it understands DELIMITER), leaving
 * out the dump's own CREATE/DROP/USE DATABASE lines so it lands in the test database.
 */
export function loadDump(database: TestDatabase, file: string): void {
  const sql = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => !/^\s*(CREATE|DROP)\s+(DATABASE|SCHEMA)\b/i.test(line) && !/^\s*USE\s/i.test(line))
    .join('\n')
    // Sakila's views name their tables with the schema (sakila.film): point them at the test database.
    .replace(/\bsakila\./g, `${database.name}.`);
  const options = serverOptions();
  const client = ['mariadb', 'mysql'].find((name) => spawnSync(name, ['--version']).status === 0);
  if (!client) throw new Error('Neither the mariadb nor the mysql client is on PATH; it is needed to load the corpus dumps');
  const result = spawnSync(
    client,
    [`-h${options.host}`, `-P${options.port}`, `-u${options.user}`, database.name],
    { input: sql, encoding: 'utf8', env: { ...process.env, ...(options.password ? { MYSQL_PWD: String(options.password) } : {}) }, maxBuffer: 64 * 1024 * 1024 },
  );
  if (result.status !== 0) throw new Error(`Loading ${file} failed: ${result.stderr}`);
}

/**
 * Compiles `operations` one by one against the live database (as the runner does) and runs
 * them; returns the state the operations say the schema is now in.
 */
export async function applyOperations(connection: DialectConnection, operations: readonly Operation[], from?: SchemaState): Promise<SchemaState> {
  let state = from ?? (await connection.introspector.introspect());
  for (const operation of operations) {
    const definition = BUILTIN_OPERATIONS.find((d) => d.kind === operation.kind)!;
    definition.validate(operation.args, state, { capabilities: connection.dialect.capabilities });
    const stateAfter = definition.applyToState(state, operation.args);
    const statements = await connection.dialect.compileOperation(operation, {
      dialect: connection.dialect,
      stateBefore: state,
      stateAfter,
      query: connection.query.bind(connection),
    });
    for (const statement of statements ?? []) await connection.execute(statement);
    state = stateAfter;
  }
  return state;
}

/** Shows a suite that cannot run (by default: the server is unreachable) as skipped, with the reason in its name and on stderr. */
export function reportSkipped(title: string, reason: string = UNAVAILABLE ?? 'the server is unreachable'): void {
  console.warn(`skipping "${title}": ${reason}`);
  describe.runIf(false)(`${title} [skipped: ${reason}]`, () => {
    it('needs MySQL or MariaDB', () => undefined);
  });
}

/** The real `covet` binary, as package managers link it (build @covet/cli first). */
export const COVET_BIN = join(repositoryRoot(), 'packages', 'cli', 'bin', 'covet.cjs');
/** Temp projects live inside this package, so `@covet/dialect-mysql` resolves (self-reference) like an installed dependency. */
const TMP = join(dirname(fileURLToPath(import.meta.url)), '.tmp');

/** A fresh project folder for `database` (app `shop`, `models/` and `migrations/`); returns its path. */
export function cliProject(name: string, database: TestDatabase): string {
  const folder = join(TMP, `${name}-${database.name}`);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(join(folder, 'migrations'), { recursive: true });
  mkdirSync(join(folder, 'models'), { recursive: true });
  writeFileSync(
    join(folder, 'covet.config.json'),
    JSON.stringify({ database: { engine: 'mysql', url: database.url }, models: './models', migrations: './migrations', app: 'shop' }, null, 2),
  );
  return folder;
}

/** Runs the `covet` binary in `cwd` and waits for it. */
export function runCovet(cwd: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [COVET_BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs the `covet` binary in `cwd` and expects exit 0 (the command and its stderr in the failure). */
export function covetOk(cwd: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const run = runCovet(cwd, ...args);
  expect(run.status, `${args.join(' ')}: ${run.stderr}`).toBe(0);
  return run;
}

/** Neither the models nor the database show a change: `makemigrations` from both finds nothing. */
export function expectUnchanged(cwd: string): void {
  for (const args of [['makemigrations', '--dry-run'], ['makemigrations', '--from', 'database', '--dry-run']]) {
    expect(covetOk(cwd, ...args).stdout, args.join(' ')).toContain('No changes detected');
  }
}

/** One statement on a connection of its own to `url` (in STRICT_ALL_TABLES mode when `strict`). */
export async function queryDatabase(url: string, sql: string, params: unknown[] = [], options: { strict?: boolean } = {}): Promise<Record<string, unknown> & Record<string, unknown>[]> {
  const connection = await mysql.createConnection(url);
  try {
    if (options.strict) await connection.query("SET SESSION sql_mode = 'STRICT_ALL_TABLES'");
    return (await connection.query(sql, params))[0] as Record<string, unknown> & Record<string, unknown>[];
  } finally {
    await connection.end();
  }
}
