// Throw-away projects that list the plugin by its package name (resolved from this package, as a
// user's project resolves it from node_modules), run with the covet CLI in-process, and the
// servers of the database tests.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PlanCache } from '@covet/core';
import { runCli } from '@covet/cli';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { describe, it } from 'vitest';

const TMP_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '.tmp');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A `covet.config.ts` listing `['@covet/plugin-policy', options]` on `database` (source text). */
export function configSource(database: string, options: unknown): string {
  return [
    "import { defineConfig } from '@covet/core';",
    'export default defineConfig({',
    `  database: ${database},`,
    "  models: './models',",
    "  migrations: './migrations',",
    `  plugins: [['@covet/plugin-policy', ${JSON.stringify(options)}]],`,
    '});',
    '',
  ].join('\n');
}

export const SQLITE = "{ engine: 'sqlite', name: './app.db' }";

/** A migration file: `operations` are `op.*` expressions as source text, `extra` more members (`meta: ...`). */
export function migration(operations: readonly string[], dependencies: readonly string[] = [], extra = ''): string {
  return [
    "import { defineMigration, op, t } from '@covet/core';",
    'export default defineMigration({',
    `  dependencies: ${JSON.stringify(dependencies)},`,
    `  operations: [${operations.join(', ')}],`,
    extra,
    '});',
    '',
  ].join('\n');
}

const created: { dir: string; engine: string }[] = [];

export class Project {
  private constructor(readonly dir: string) {}

  static create(label: string, database: string, options: unknown, files: Readonly<Record<string, string>> = {}): Project {
    mkdirSync(TMP_ROOT, { recursive: true });
    const project = new Project(mkdtempSync(join(TMP_ROOT, `${label}-`)));
    created.push({ dir: project.dir, engine: /engine: '(\w+)'/.exec(database)?.[1] ?? 'sqlite' });
    project.write('covet.config.ts', configSource(database, options));
    mkdirSync(join(project.dir, 'models'), { recursive: true });
    mkdirSync(join(project.dir, 'migrations'), { recursive: true });
    for (const [path, content] of Object.entries(files)) project.write(path, content);
    return project;
  }

  write(relative: string, content: string): void {
    const file = join(this.dir, relative);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }

  remove(relative: string): void {
    rmSync(join(this.dir, relative), { force: true, recursive: true });
  }

  /** `covet ...argv` in-process, with this folder as the working directory. */
  async run(...argv: string[]): Promise<CliResult> {
    let stdout = '';
    let stderr = '';
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (key !== 'DATABASE_URL' && !key.startsWith('DB_') && key !== 'FORCE_COLOR') env[key] = value;
    }
    const code = await runCli(argv, {
      cwd: this.dir,
      env: { ...env, NO_COLOR: '1' },
      stdout: (text) => void (stdout += text),
      stderr: (text) => void (stderr += text),
    });
    return { code, stdout, stderr };
  }
}

export function removeProjects(): void {
  for (const { dir, engine } of created.splice(0)) {
    rmSync(PlanCache.forProject(dir, engine).file, { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `describe` for a suite that needs a server: skipped with the reason when it is down, failing under CI. */
function describeWithServer(server: string, unavailable: string | undefined, name: string, fn: () => void): void {
  if (unavailable === undefined) {
    describe(name, fn);
  } else if (process.env.CI) {
    describe(name, () => {
      it(`needs ${server}`, () => {
        throw new Error(`${server} is unreachable (${unavailable}); CI must run these tests against a real server`);
      });
    });
  } else {
    console.warn(`skipping "${name}": ${server} is unreachable (${unavailable})`);
    describe.runIf(false)(`${name} [skipped: ${server} unreachable]`, fn);
  }
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0];

// PostgreSQL: a database per test.
export const PG_URL = process.env.COVET_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function pgUrl(database: string): string {
  const url = new URL(PG_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withPg<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const PG_UNAVAILABLE = await withPg(pgUrl('postgres'), async (client) => void (await client.query('SELECT 1'))).then(
  () => undefined,
  firstLine,
);

export function describeWithPostgres(name: string, fn: () => void): void {
  describeWithServer('PostgreSQL (COVET_TEST_PG_URL)', PG_UNAVAILABLE, name, fn);
}

export interface TestDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

export async function createPgDatabase(): Promise<TestDatabase> {
  const name = `covet_policy_${randomBytes(6).toString('hex')}`;
  await withPg(pgUrl('postgres'), (client) => client.query(`CREATE DATABASE "${name}"`));
  return {
    url: pgUrl(name),
    drop: () => withPg(pgUrl('postgres'), async (client) => void (await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))),
  };
}

// MariaDB / MySQL: a database per test.
export const MYSQL_URL = process.env.COVET_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

function mysqlServer(): string {
  const url = new URL(MYSQL_URL);
  url.pathname = '/';
  return url.toString();
}

export async function withMysql<T>(url: string, fn: (connection: mysql.Connection) => Promise<T>): Promise<T> {
  const connection = await mysql.createConnection({ uri: url, connectTimeout: 5000 });
  try {
    return await fn(connection);
  } finally {
    await connection.end().catch(() => undefined);
  }
}

const MYSQL_UNAVAILABLE = await withMysql(mysqlServer(), async (connection) => void (await connection.query('SELECT 1'))).then(
  () => undefined,
  firstLine,
);

export function describeWithMysql(name: string, fn: () => void): void {
  describeWithServer('MySQL/MariaDB (COVET_TEST_MYSQL_URL)', MYSQL_UNAVAILABLE, name, fn);
}

export async function createMysqlDatabase(): Promise<TestDatabase & { name: string }> {
  const name = `covet_policy_${randomBytes(6).toString('hex')}`;
  await withMysql(mysqlServer(), (connection) => connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`));
  const url = new URL(MYSQL_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => withMysql(mysqlServer(), async (connection) => void (await connection.query(`DROP DATABASE IF EXISTS \`${name}\``))),
  };
}
