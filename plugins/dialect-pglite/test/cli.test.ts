// The real `covet` binary on a PGlite data directory, in real processes: the everyday loop,
// two runs at once, a run while another process has the directory open, and a lock file left
// by a process that died. Projects live below test/.tmp so `@covet/dialect-pglite` and
// `@covet/core` resolve from this package, as in an installed project.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createPGliteDialect, directoryLockPath, lockDataDirectory } from '../src/index.js';

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TMP_ROOT = join(PACKAGE_ROOT, 'test', '.tmp');
const BIN = join(dirname(createRequire(import.meta.url).resolve('@covet/cli/package.json')), 'bin', 'covet.cjs');

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cwd: string, ...argv: string[]): Promise<RunResult> {
  const child = spawn(process.execPath, [BIN, ...argv], { cwd, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

const projects: string[] = [];

/** A project below test/.tmp whose database is the PGlite data directory `./data`. */
function project(options: Record<string, unknown> = {}, config: Record<string, unknown> = {}): { dir: string; data: string; write(path: string, text: string): void } {
  mkdirSync(TMP_ROOT, { recursive: true });
  const dir = mkdtempSync(join(TMP_ROOT, 'project-'));
  projects.push(dir);
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  write('covet.config.json', JSON.stringify({ database: { engine: 'pglite', name: './data', options }, migrations: './migrations', models: './models', ...config }, null, 2));
  return { dir, data: join(dir, 'data'), write };
}

afterAll(() => {
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
});

/** Reads the data directory from this process (after the runs ended). */
async function inspect<T>(data: string, fn: (query: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<T>): Promise<T> {
  const connection = await createPGliteDialect().connect({ engine: 'pglite', name: data });
  try {
    return await fn((sql) => connection.query(sql));
  } finally {
    await connection.close();
  }
}

const MODELS = `import { defineTable, sql, t } from '@covet/core';

export const users = defineTable('users', {
  id: t.serial().primaryKey(),
  email: t.varchar(255).notNull().unique(),
  created_at: t.timestamp({ withTimeZone: true }).notNull().default(sql\`CURRENT_TIMESTAMP\`),
});

export const posts = defineTable('posts', {
  id: t.bigserial().primaryKey(),
  author_id: t.integer().notNull().references(users, 'id', { onDelete: 'cascade' }),
  title: t.varchar(200).notNull(),
  published: t.boolean().notNull().default(false),
}, { indexes: [{ name: 'posts_live_idx', columns: ['title'], where: 'published' }] });
`;

describe('covet CLI on PGlite (real processes)', () => {
  it('the loop on a data directory: makemigrations, migrate, showmigrations, rollback', { timeout: 180_000 }, async () => {
    const p = project();
    p.write('models/blog.ts', MODELS);
    const make = await run(p.dir, 'makemigrations', '--name', 'initial');
    expect(make.code, make.stderr).toBe(0);
    const migrate = await run(p.dir, 'migrate');
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(migrate.stdout).toContain(`Migrating pglite ${p.data}`);
    expect(existsSync(join(p.data, 'PG_VERSION'))).toBe(true);
    // The process closed the directory: its lock file is gone.
    expect(existsSync(directoryLockPath(p.data))).toBe(false);
    const again = await run(p.dir, 'makemigrations', '--from', 'database', '--dry-run');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/No changes/i);

    p.write('models/blog.ts', MODELS.replace('title: t.varchar(200).notNull(),', 'title: t.varchar(200).notNull(),\n  subtitle: t.text(),'));
    expect((await run(p.dir, 'makemigrations', '--name', 'subtitle')).code).toBe(0);
    expect((await run(p.dir, 'migrate')).code).toBe(0);
    const status = await run(p.dir, 'showmigrations', '--json');
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).map((row: { applied: boolean }) => row.applied)).toEqual([true, true]);
    const columns = "SELECT attname FROM pg_attribute WHERE attrelid = 'posts'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum";
    expect((await inspect(p.data, (query) => query(columns))).map((row) => row.attname)).toEqual(['id', 'author_id', 'title', 'published', 'subtitle']);

    const rollback = await run(p.dir, 'rollback');
    expect(rollback.code, rollback.stderr).toBe(0);
    const after = await run(p.dir, 'showmigrations', '--json');
    expect(JSON.parse(after.stdout).map((row: { applied: boolean }) => row.applied)).toEqual([true, false]);
    expect((await inspect(p.data, (query) => query(columns))).map((row) => row.attname)).toEqual(['id', 'author_id', 'title', 'published']);
  });

  it('two migrate processes at once on one data directory: both exit 0, each migration applied exactly once', { timeout: 180_000 }, async () => {
    const p = project({ openTimeout: 120_000 });
    p.write('models/blog.ts', MODELS);
    expect((await run(p.dir, 'makemigrations', '--name', 'initial')).code).toBe(0);
    const [first, second] = await Promise.all([run(p.dir, 'migrate'), run(p.dir, 'migrate')]);
    expect(first.code, first.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    const rows = await inspect(p.data, (query) => query('SELECT name FROM covet_migrations'));
    expect(rows).toHaveLength(1);
    expect(readdirSync(join(p.dir, 'migrations')).filter((file) => file.endsWith('.ts'))).toHaveLength(1);
  });

  it('a run while another process has the directory open waits for it, then exits 75 naming the holder; nothing changed', { timeout: 120_000 }, async () => {
    const p = project({ openTimeout: 1500 });
    p.write('models/blog.ts', MODELS);
    expect((await run(p.dir, 'makemigrations', '--name', 'initial')).code).toBe(0);
    const release = await lockDataDirectory(p.data, 0);
    try {
      const blocked = await run(p.dir, 'migrate');
      expect(blocked.code).toBe(75);
      expect(blocked.stderr.split('\n')[0]).toBe(`error: Timed out after 1.5s waiting for the PGlite data directory ${p.data}: process ${process.pid} has it open`);
    } finally {
      release();
    }
    expect(await inspect(p.data, (query) => query("SELECT to_regclass('users') AS users"))).toEqual([{ users: null }]);
    const migrate = await run(p.dir, 'migrate');
    expect(migrate.code, migrate.stderr).toBe(0);
  });

  it('a lock file left by a process that died is taken over', { timeout: 120_000 }, async () => {
    const p = project();
    p.write('models/blog.ts', MODELS);
    expect((await run(p.dir, 'makemigrations', '--name', 'initial')).code).toBe(0);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(directoryLockPath(p.data), JSON.stringify({ pid: Number(dead.stdout), host: hostname() }));
    const migrate = await run(p.dir, 'migrate');
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(existsSync(directoryLockPath(p.data))).toBe(false);
  });

  it('views and materialized views of @covet/plugin-objects on PGlite: created, changed, rolled back to their old definition', { timeout: 180_000 }, async () => {
    const p = project({}, { plugins: ['@covet/plugin-objects'] });
    const views = (live: string) => `${MODELS}
import { defineView } from '@covet/plugin-objects';
export const livePosts = defineView('live_posts', 'SELECT id, title FROM posts WHERE ${live}');
export const postCounts = defineView('post_counts', 'SELECT author_id, count(*) AS n FROM posts GROUP BY author_id', { materialized: true });
`;
    p.write('models/blog.ts', views('published'));
    const make = await run(p.dir, 'makemigrations', '--name', 'initial');
    expect(make.code, make.stderr).toBe(0);
    expect(make.stdout).toMatch(/live_posts/);
    const migrate = await run(p.dir, 'migrate');
    expect(migrate.code, migrate.stderr).toBe(0);
    const definitions = "SELECT (SELECT definition FROM pg_views WHERE viewname = 'live_posts') AS live, (SELECT count(*)::int FROM pg_matviews WHERE matviewname = 'post_counts') AS counts";
    const first = await inspect(p.data, (query) => query(definitions));
    expect(first[0]!.live).toMatch(/WHERE published/);
    expect(first[0]!.counts).toBe(1);

    p.write('models/blog.ts', views('NOT published'));
    const change = await run(p.dir, 'makemigrations', '--name', 'drafts');
    expect(change.code, change.stderr).toBe(0);
    expect((await run(p.dir, 'migrate')).code).toBe(0);
    expect((await inspect(p.data, (query) => query(definitions)))[0]!.live).toMatch(/WHERE \(?NOT published/);

    const rollback = await run(p.dir, 'rollback');
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(await inspect(p.data, (query) => query(definitions))).toEqual(first);
  });
});
