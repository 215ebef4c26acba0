import { findWorkspaceRoot } from '@covet/core/testing';
// Shared setup of the PostgreSQL tests: the server at COVET_TEST_PG_URL, probed once; a freshly
// created database per test (dropped after), so runs never collide; the repository root.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describe, expect, it } from 'vitest';

/** The server the tests use (any database on it; each test creates its own). */
export const PG_URL = process.env.COVET_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** `PG_URL` pointing at another database of the same server. */
export function urlFor(database: string): string {
  const url = new URL(PG_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function probe(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: urlFor('postgres'), connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return (error as Error).message.split('\n')[0] || String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Why the server cannot be used, or undefined when it answers. */
export const UNAVAILABLE = await probe();
const where = new URL(PG_URL).host;

/**
 * `describe` that runs only when the server answers. Otherwise the suite shows as skipped with
 * the reason in its name, or, on CI (`process.env.CI`), fails: CI must never pass without the
 * database.
 */
export function describeWithPostgres(name: string, fn: () => void): void {
  if (UNAVAILABLE === undefined) {
    describe(name, fn);
    return;
  }
  const reason = `PostgreSQL at ${where} is unreachable (${UNAVAILABLE}); set COVET_TEST_PG_URL`;
  if (process.env.CI) {
    describe(name, () => {
      it('needs PostgreSQL', () => {
        throw new Error(`${reason}. CI must run these tests against a real server.`);
      });
    });
  } else {
    console.warn(`skipping "${name}": ${reason}`);
    describe.runIf(false)(`${name} [skipped: ${reason}]`, fn);
  }
}

/** A database created for one test. */
export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: urlFor('postgres') });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** CREATE DATABASE covet_test_<random>; `drop()` removes it, closing whatever is still connected. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `covet_test_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE "${name}"`));
  return {
    name,
    url: urlFor(name),
    drop: () => admin(async (client) => void (await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))),
  };
}

/** Runs `fn` with a plain `pg` client on `url` (for looking at the database from outside Covet). */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The monorepo root. */
export function repositoryRoot(): string {
  return findWorkspaceRoot(dirname(fileURLToPath(import.meta.url)));
}

/** The public sample schemas, kept in the repository with their licences. */
export const CORPUS = resolve(repositoryRoot(), 'fixtures/corpus');

/** A throw-away project on `database` below test/.tmp (so `@covet/*` resolve from this package), run with the real binary. */
export interface CliProject {
  readonly dir: string;
  write(relative: string, content: string): void;
  run(...argv: string[]): { status: number | null; stdout: string; stderr: string };
  /** {@link run}, expecting exit 0 (the command and its stderr in the failure). */
  ok(...argv: string[]): { status: number | null; stdout: string; stderr: string };
  /** Neither the models nor the database show a change: `makemigrations` from both finds nothing. */
  expectUnchanged(): void;
  remove(): void;
}

/** Creates a {@link CliProject}: `models/` and `migrations/` folders, engine postgres (build @covet/cli first). */
export function cliProject(database: TestDatabase): CliProject {
  const root = join(dirname(fileURLToPath(import.meta.url)), '.tmp');
  mkdirSync(root, { recursive: true });
  const dir = mkdtempSync(join(root, 'project-'));
  const bin = join(repositoryRoot(), 'packages', 'cli', 'bin', 'covet.cjs');
  const project: CliProject = {
    dir,
    write(relative, content) {
      const file = join(dir, relative);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
    },
    run(...argv) {
      const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'DATABASE_URL' && !key.startsWith('DB_') && !key.startsWith('PG')));
      const result = spawnSync(process.execPath, [bin, ...argv], { cwd: dir, encoding: 'utf8', env });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    },
    ok(...argv) {
      const run = project.run(...argv);
      expect(run.status, `${argv.join(' ')}: ${run.stderr}`).toBe(0);
      return run;
    },
    expectUnchanged() {
      for (const argv of [['makemigrations', '--dry-run'], ['makemigrations', '--from', 'database', '--dry-run']]) {
        expect(project.ok(...argv).stdout, argv.join(' ')).toContain('No changes detected');
      }
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  project.write('covet.config.json', JSON.stringify({ database: { engine: 'postgres', url: database.url }, models: './models', migrations: './migrations' }, null, 2));
  mkdirSync(join(dir, 'migrations'), { recursive: true });
  return project;
}

/** Whether `psql` is on PATH (the corpus scripts are loaded with it). */
export function psqlAvailable(): boolean {
  return spawnSync('psql', ['--version']).status === 0;
}

/** Loads a SQL script with psql, stopping at the first error. */
export function loadWithPsql(url: string, sql: string): void {
  const result = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url], { input: sql, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`psql failed: ${result.stderr.split('\n')[0]}`);
}

/** The script's statements that create what tables depend on but Covet does not manage (enums, domains). */
export function typeStatements(sql: string): string {
  return sql
    .split(/;\s*\n/)
    .map((statement) => statement.replace(/^(\s*--.*\n)*\s*/g, ''))
    .filter((statement) => /^CREATE\s+(TYPE|DOMAIN)\b/i.test(statement))
    .map((statement) => `${statement};\n`)
    .join('');
}
