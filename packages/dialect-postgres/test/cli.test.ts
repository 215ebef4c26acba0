// The real `covet` binary against PostgreSQL, in real processes: concurrent runs, a crash in
// the middle of a migration, failures, a terminated backend, the lock timeout, password
// redaction and the everyday loop. Projects live below test/.tmp so `@covet/dialect-postgres`
// and `@covet/core` resolve from this package, as in an installed project.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { op, PlanCache, t } from '@covet/core';
import { renderMigration } from '@covet/writer-ts';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { migrationLockKey } from '../src/index.js';
import { createTestDatabase, describeWithPostgres, urlFor, withClient, type TestDatabase } from './helpers.js';

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TMP_ROOT = join(PACKAGE_ROOT, 'test', '.tmp');
const BIN = join(dirname(createRequire(import.meta.url).resolve('@covet/cli/package.json')), 'bin', 'covet.cjs');

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** An environment without the machine's database variables. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'DATABASE_URL' || key.startsWith('DB_') || key.startsWith('PG') || key === 'FORCE_COLOR') continue;
    env[key] = value;
  }
  return env;
}

function start(argv: readonly string[], cwd: string): { child: ChildProcess; done: Promise<RunResult> } {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...argv], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<RunResult>((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr, durationMs: performance.now() - started }));
  });
  return { child, done };
}

class Project {
  readonly dir: string;
  constructor(readonly database: TestDatabase, config: Record<string, unknown> = {}) {
    mkdirSync(TMP_ROOT, { recursive: true });
    this.dir = mkdtempSync(join(TMP_ROOT, 'project-'));
    this.write('covet.config.json', JSON.stringify({ database: { engine: 'postgres', url: database.url }, migrations: './migrations', ...config }, null, 2));
  }
  write(relative: string, content: string): void {
    const file = join(this.dir, relative);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  /**
   * Replaces covet.config.json with a covet.config.ts listing one plugin, whose `apply(covet)`
   * body is `apply`; it may call `log(line)`, which appends to the returned file.
   */
  plugin(name: string, apply: string): string {
    const log = join(this.dir, 'hooks.log');
    rmSync(join(this.dir, 'covet.config.json'));
    this.write(
      'covet.config.ts',
      `import { appendFileSync } from 'node:fs';
import { defineConfig, definePlugin } from '@covet/core';
const log = (line) => appendFileSync(${JSON.stringify(log)}, line + '\\n');
const plugin = definePlugin({ name: ${JSON.stringify(name)}, apply(covet) {\n${apply}\n} });
export default defineConfig({ database: { engine: 'postgres', url: ${JSON.stringify(this.database.url)} }, migrations: './migrations', plugins: [plugin] });
`,
    );
    return log;
  }

  run(...argv: string[]): Promise<RunResult> {
    return start(argv, this.dir).done;
  }
  start(...argv: string[]): ReturnType<typeof start> {
    return start(argv, this.dir);
  }
  migration(name: string, operations: Parameters<typeof renderMigration>[0]['operations'], dependencies: string[] = []): void {
    this.write(`migrations/${name}.ts`, renderMigration({ operations, dependencies }));
  }
  migrationNames(): string[] {
    const folder = join(this.dir, 'migrations');
    return existsSync(folder) ? readdirSync(folder).filter((f) => f.endsWith('.ts')).sort().map((f) => f.replace(/\.ts$/, '')) : [];
  }
  /** Tables of the public schema (sorted) and the tracking rows' names (in id order). */
  snapshot(): Promise<{ tables: string[]; tracking: string[] }> {
    return withClient(this.database.url, async (client) => {
      // (Covet's table of shape versions is left out: the conformance suite looks at it.)
      const tables = (
        await client.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'covet_table_versions' ORDER BY 1")
      ).rows.map((r) => r.name);
      const tracking = tables.includes('covet_migrations')
        ? (await client.query<{ name: string }>('SELECT name FROM covet_migrations ORDER BY id')).rows.map((r) => r.name)
        : [];
      return { tables, tracking };
    });
  }
}

const name = (index: number) => `202606010000${String(index).padStart(2, '0')}_m${String(index).padStart(2, '0')}`;

/** Waits until a backend of `database` is running a query that contains `text`; its pid. */
async function waitForQuery(database: TestDatabase, text: string, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  return withClient(urlFor('postgres'), async (client) => {
    for (;;) {
      const { rows } = await client.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND position($2 in query) > 0",
        [database.name, text],
      );
      if (rows[0]) return rows[0].pid;
      if (Date.now() > deadline) throw new Error(`no backend ran ${text} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });
}

describeWithPostgres('covet CLI on PostgreSQL (real processes)', () => {
  const databases: TestDatabase[] = [];
  const projects: Project[] = [];
  async function project(config: Record<string, unknown> = {}): Promise<Project> {
    const database = await createTestDatabase();
    databases.push(database);
    const created = new Project(database, config);
    projects.push(created);
    return created;
  }

  beforeAll(() => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run pnpm --filter @covet/cli build first`);
  });
  afterEach(async () => {
    for (const database of databases.splice(0)) await database.drop();
    if (process.env.COVET_KEEP_TMP) return;
    for (const created of projects.splice(0)) {
      rmSync(created.dir, { recursive: true, force: true });
      rmSync(PlanCache.forProject(created.dir, 'postgres').file, { force: true });
    }
  });
  afterAll(() => {
    if (!process.env.COVET_KEEP_TMP && existsSync(TMP_ROOT) && readdirSync(TMP_ROOT).length === 0) rmSync(TMP_ROOT, { recursive: true, force: true });
  });

  it('five migrate processes at once on 30 pending migrations: all exit 0, each applied exactly once', { timeout: 90_000 }, async () => {
    const p = await project();
    for (let i = 1; i <= 30; i++) {
      p.migration(name(i), [
        op.createTable(`t_${i}`, { id: t.serial().primaryKey(), label: t.varchar(40).notNull() }),
        op.runSql(`INSERT INTO t_${i} (label) VALUES ('${name(i)}')`, `DELETE FROM t_${i}`),
      ], i === 1 ? [] : [name(i - 1)]);
    }
    const results = await Promise.all(Array.from({ length: 5 }, () => p.run('migrate')));
    for (const result of results) expect(result.code, result.stdout + result.stderr).toBe(0);
    const { tracking } = await p.snapshot();
    expect(tracking).toEqual(Array.from({ length: 30 }, (_, i) => name(i + 1)));
    const applied = results.flatMap((result) => [...result.stdout.matchAll(/Applied default:(\S+)/g)].map((m) => m[1]));
    expect(applied.sort()).toEqual(tracking);
    await withClient(p.database.url, async (client) => {
      for (let i = 1; i <= 30; i++) expect((await client.query(`SELECT label FROM t_${i}`)).rows).toEqual([{ label: name(i) }]);
    });
  });

  it('SIGKILL in the middle of a migration: schema as after the previous one, tracking agrees, the next migrate finishes', { timeout: 60_000 }, async () => {
    const p = await project();
    p.migration(name(1), [op.createTable('first', { id: t.serial().primaryKey() })]);
    p.migration(name(2), [op.createTable('second', { id: t.serial().primaryKey() }), op.runSql('SELECT pg_sleep(3)', 'SELECT 1')], [name(1)]);
    const run = p.start('migrate');
    await waitForQuery(p.database, 'pg_sleep(3)');
    run.child.kill('SIGKILL');
    const killed = await run.done;
    expect(killed.signal).toBe('SIGKILL');
    expect(await p.snapshot()).toEqual({ tables: ['covet_migrations', 'first'], tracking: [name(1)] });
    // The killed session's lock goes with it (once the server notices); the next run waits for it and finishes.
    const next = await p.run('migrate');
    expect(next.code, next.stderr).toBe(0);
    expect(await p.snapshot()).toEqual({ tables: ['covet_migrations', 'first', 'second'], tracking: [name(1), name(2)] });
  });

  it('a failing operation: schema and tracking unchanged; the error names the file, the operation and the SQLSTATE', { timeout: 30_000 }, async () => {
    const p = await project();
    p.migration(name(1), [op.createTable('kept', { id: t.serial().primaryKey() })]);
    expect((await p.run('migrate')).code).toBe(0);
    p.migration(name(2), [op.createTable('undone', { id: t.serial().primaryKey() }), op.runSql('INSERT INTO missing_table VALUES (1)')], [name(1)]);
    const before = await p.snapshot();
    const result = await p.run('migrate');
    expect(result.code).toBe(1);
    const errors = result.stderr.split('\n').filter((line) => line.startsWith('error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`${name(2)}.ts`);
    expect(errors[0]).toContain('operation #2');
    expect(errors[0]).toContain('[42P01]');
    expect(result.stderr).not.toMatch(/^\s+at\s/m);
    expect(await p.snapshot()).toEqual(before);
  });

  it('afterFailure fires once per failure, with the operation, on the full plan and on compiled plans', { timeout: 30_000 }, async () => {
    const p = await project();
    const log = p.plugin(
      'recorder',
      "covet.hooks.afterFailure.tap('recorder', (error, c) => log(`afterFailure ${c.migration?.name} #${c.index} ${c.operation?.kind} ${c.statement?.sql}`));",
    );
    p.migration(name(1), [op.createTable('kept', { id: t.serial().primaryKey() })]);
    expect((await p.run('migrate')).code).toBe(0);
    p.migration(name(2), [op.createTable('undone', { id: t.serial().primaryKey() }), op.runSql('INSERT INTO missing_table VALUES (1)')], [name(1)]);
    const before = await p.snapshot();
    const line = `afterFailure ${name(2)} #1 runSql INSERT INTO missing_table VALUES (1)`;
    const first = await p.run('migrate');
    expect(first.code, first.stderr).toBe(1);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([line]);
    // The second run applies the SQL the first one compiled (plan cache): the same, once.
    const second = await p.run('migrate', '--verbose');
    expect(second.code, second.stderr).toBe(1);
    expect(second.stderr).toContain('from compiled plans');
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([line, line]);
    expect(await p.snapshot()).toEqual(before);
  });

  it('a rollback sent in one batch that fails names the reverse that failed, in the error and to afterFailure', { timeout: 30_000 }, async () => {
    const p = await project();
    const log = p.plugin('recorder', "covet.hooks.afterFailure.tap('recorder', (error, c) => log(`afterFailure #${c.index} ${c.operation?.kind}`));");
    p.migration(name(1), [op.createTable('kept', { id: t.serial().primaryKey() })]);
    expect((await p.run('migrate')).code).toBe(0);
    // A view Covet does not manage depends on the table: DROP TABLE fails.
    await withClient(p.database.url, (client) => client.query('CREATE VIEW kept_ids AS SELECT id FROM kept'));
    const before = await p.snapshot();
    const result = await p.run('rollback');
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr.split('\n')[0]).toMatch(new RegExp(`^error: Migration default:${name(1)} failed at operation #1 \\(dropTable\\): .*\\[2BP01\\]`));
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(['afterFailure #0 dropTable']);
    expect(await p.snapshot()).toEqual(before);
  });

  it('a validateSql policy stops a run before its first statement (not even the allowed migration before it runs), and a rollback', { timeout: 60_000 }, async () => {
    const p = await project();
    const log = p.plugin(
      'sql-policy',
      `covet.hooks.validateSql.tap('sql-policy', (statements, c) => {
  log(\`validateSql \${c.direction} \${c.migration.name} #\${c.index} \${c.operation.kind}\`);
  if (statements.some((s) => /^\\s*DROP\\s+TABLE\\b/i.test(s.sql))) throw new Error('DROP TABLE needs a DBA review');
});`,
    );
    const lines = () => readFileSync(log, 'utf8').trim().split('\n');
    p.migration(name(1), [op.createTable('one', { id: t.serial().primaryKey() })]);
    p.migration(name(2), [op.createTable('two', { id: t.serial().primaryKey() }), op.dropTable('one')], [name(1)]);
    const before = await p.snapshot();
    const refused = await p.run('migrate');
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr.split('\n')[0]).toBe(
      `error: DROP TABLE needs a DBA review (plugin "sql-policy", hook validateSql, migration default:${name(2)}, operation #2 (dropTable))`,
    );
    expect(lines()).toEqual([`validateSql up ${name(1)} #0 createTable`, `validateSql up ${name(2)} #0 createTable`, `validateSql up ${name(2)} #1 dropTable`]);
    expect(await p.snapshot()).toEqual(before);

    // A rollback whose reverse drops a table: the reverse is named, nothing is rolled back.
    rmSync(join(p.dir, 'migrations', `${name(2)}.ts`));
    expect((await p.run('migrate')).code).toBe(0);
    const applied = await p.snapshot();
    rmSync(log);
    const rollback = await p.run('rollback');
    expect(rollback.code, rollback.stderr).toBe(1);
    expect(rollback.stderr.split('\n')[0]).toBe(
      `error: DROP TABLE needs a DBA review (plugin "sql-policy", hook validateSql, migration default:${name(1)}, operation #1 (dropTable))`,
    );
    expect(lines()).toEqual([`validateSql down ${name(1)} #0 dropTable`]);
    expect(await p.snapshot()).toEqual(applied);
  });

  it('a non-atomic migration (CREATE INDEX CONCURRENTLY) runs outside a transaction and says so', { timeout: 30_000 }, async () => {
    const p = await project();
    p.migration(name(1), [op.createTable('events', { id: t.serial().primaryKey(), kind: t.text() })]);
    p.write(
      `migrations/${name(2)}.ts`,
      renderMigration({
        operations: [op.runSql('CREATE INDEX CONCURRENTLY events_kind_idx ON events (kind)', 'DROP INDEX CONCURRENTLY events_kind_idx')],
        dependencies: [name(1)],
        atomic: false,
      }),
    );
    const result = await p.run('migrate');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`default:${name(2)} is not atomic: it runs outside a transaction`);
    const valid = await withClient(p.database.url, async (client) =>
      (await client.query<{ valid: boolean }>("SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'events_kind_idx'::regclass")).rows,
    );
    expect(valid).toEqual([{ valid: true }]);
    expect((await p.snapshot()).tracking).toEqual([name(1), name(2)]);
    const rolledBack = await p.run('rollback');
    expect(rolledBack.code, rolledBack.stderr).toBe(0);
    expect((await p.snapshot()).tracking).toEqual([name(1)]);
  });

  it('a backend terminated mid-run: one-line error, no tracking row, and the rerun succeeds', { timeout: 60_000 }, async () => {
    const p = await project();
    p.migration(name(1), [op.createTable('slow', { id: t.serial().primaryKey() }), op.runSql('SELECT pg_sleep(2)', 'SELECT 1')]);
    const run = p.start('migrate');
    const pid = await waitForQuery(p.database, 'pg_sleep(2)');
    await withClient(urlFor('postgres'), (client) => client.query('SELECT pg_terminate_backend($1)', [pid]));
    const result = await run.done;
    expect(result.code).toBe(1);
    const errors = result.stderr.split('\n').filter((line) => line.startsWith('error:'));
    expect(errors, result.stderr).toHaveLength(1);
    expect(errors[0]).toContain('[57P01]');
    expect(result.stderr).not.toMatch(/^\s+at\s/m);
    expect((await p.snapshot()).tracking).toEqual([]);
    expect((await p.snapshot()).tables).not.toContain('slow');
    const rerun = await p.run('migrate');
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(await p.snapshot()).toEqual({ tables: ['covet_migrations', 'slow'], tracking: [name(1)] });
  });

  it('SIGTERM mid-migration: the migration rolls back, exit 143, says what was applied and what not, the lock is free', { timeout: 60_000 }, async () => {
    const p = await project();
    p.migration(name(1), [op.createTable('first', { id: t.serial().primaryKey() })]);
    // A long statement: the stop cancels it rather than waiting for it.
    p.migration(name(2), [op.createTable('a', { id: t.serial().primaryKey() }), op.runSql('SELECT pg_sleep(60)', 'SELECT 1'), op.createTable('b', { id: t.serial().primaryKey() })], [name(1)]);
    p.migration(name(3), [op.createTable('c', { id: t.serial().primaryKey() })], [name(2)]);
    expect((await p.run('migrate', name(1))).code).toBe(0);
    const before = await p.snapshot();
    const run = p.start('migrate');
    await waitForQuery(p.database, 'pg_sleep(60)');
    run.child.kill('SIGTERM');
    const result = await run.done;
    expect(result.code, result.stderr).toBe(143);
    expect(result.stderr).toContain('SIGTERM: stopping at the next safe point');
    expect(result.stderr).toContain(`error: Stopped by SIGTERM: applied none; not applied: default:${name(2)}, default:${name(3)}`);
    expect(result.stderr).not.toMatch(/^\s+at\s/m);
    expect(await p.snapshot()).toEqual(before);
    // The lock was released: the next run goes at once, from the start of the migration (without its sleep).
    p.migration(name(2), [op.createTable('a', { id: t.serial().primaryKey() }), op.runSql('SELECT 1', 'SELECT 1'), op.createTable('b', { id: t.serial().primaryKey() })], [name(1)]);
    const rerun = await p.run('migrate');
    expect(rerun.code, rerun.stderr).toBe(0);
    expect((await p.snapshot()).tracking).toEqual([name(1), name(2), name(3)]);
  });

  it('SIGTERM mid-rollback: the running statement is cancelled, the rollback undone, exit 143', { timeout: 60_000 }, async () => {
    const p = await project();
    p.migration(name(1), [op.createTable('a', { id: t.serial().primaryKey() }), op.runSql('SELECT 1', 'SELECT pg_sleep(60)'), op.createTable('b', { id: t.serial().primaryKey() })]);
    expect((await p.run('migrate')).code).toBe(0);
    const before = await p.snapshot();
    const run = p.start('rollback');
    await waitForQuery(p.database, 'pg_sleep(60)');
    run.child.kill('SIGTERM');
    const result = await run.done;
    expect(result.code, result.stderr).toBe(143);
    expect(result.stderr).toContain(`error: Stopped by SIGTERM: rolled back none; not rolled back: default:${name(1)}`);
    expect(await p.snapshot()).toEqual(before);

  });

  it('a second runner with a 2-second lock timeout while another holds the lock: exit 75 after 2 seconds or more, nothing changed', { timeout: 30_000 }, async () => {
    const p = await project({ lockTimeoutMs: 2000 });
    p.migration(name(1), [op.createTable('never', { id: t.serial().primaryKey() })]);
    await withClient(p.database.url, async (holder) => {
      const [{ locked }] = (await holder.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [migrationLockKey(p.database.name, 'public')])).rows as [{ locked: boolean }];
      expect(locked).toBe(true);
      const started = performance.now();
      const result = await p.run('migrate');
      const seconds = (performance.now() - started) / 1000;
      expect(result.code, result.stderr).toBe(75);
      // It cannot give up before its timeout; how much later a loaded machine lets it finish is
      // no property of Covet's (the message below names the configured 2 s).
      expect(seconds).toBeGreaterThanOrEqual(2);
      expect(result.stdout + result.stderr).toContain('Waiting for another covet run');
      expect(result.stderr).toMatch(/^error: Timed out after 2s waiting for the migration lock/m);
      // The loser did not release the winner's lock.
      const held = await holder.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()");
      expect(held.rowCount).toBe(1);
    });
    expect(await p.snapshot()).toEqual({ tables: [], tracking: [] });
  });

  it('a password in the URL appears nowhere in the output, --verbose included', { timeout: 60_000 }, async () => {
    const secret = 'Wr0ngPassw0rdZ';
    const p = await project();
    const url = new URL(p.database.url);
    url.password = secret;
    p.write('covet.config.json', JSON.stringify({ database: { url: url.toString() }, migrations: './migrations' }));
    p.migration(name(1), [op.createTable('x', { id: t.serial().primaryKey() }), op.runSql('SELECT 1/0')]);
    const missing = new URL(url);
    missing.pathname = '/covet_no_such_database';
    const outputs = [
      await p.run('migrate', '--verbose'),
      await p.run('migrate', '--dry-run', '--verbose'),
      await p.run('showmigrations', '--verbose'),
      await p.run('showmigrations', '--database-url', missing.toString(), '--verbose'),
      await p.run('migrate', '--database-url', missing.toString()),
      await p.run('migrate', '--database-url', missing.toString().replace('127.0.0.1', '127.0.0.1:1'), '--verbose'),
    ];
    expect(outputs[0]!.code).toBe(1);
    expect(outputs[3]!.code).toBe(1);
    expect(outputs[3]!.stderr).toContain('covet_no_such_database');
    for (const output of outputs) {
      expect(output.stdout + output.stderr).not.toContain(secret);
    }
  });

  it('a second database is migrated from the SQL compiled for the first (plan cache): same schema, nothing compiled', { timeout: 60_000 }, async () => {
    const p = await project();
    const second = await createTestDatabase();
    databases.push(second);
    // The project's dialect counts its compile calls in compiles.log; the database comes from DATABASE_URL.
    p.write(
      'covet.config.ts',
      `import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from '@covet/core';
import { PostgresDialect } from '@covet/dialect-postgres';

class CountingPostgres extends PostgresDialect {
  compileOperation(operation, context) {
    appendFileSync(join(__dirname, 'compiles.log'), operation.kind + '\\n');
    return super.compileOperation(operation, context);
  }
}
export default defineConfig({
  database: { engine: 'postgres', url: process.env.COVET_TEST_TARGET },
  migrations: './migrations',
  plugins: [{ name: 'counting', apply: (covet) => covet.hooks.registerDialects.tap('counting', (registry) => registry.register(new CountingPostgres())) }],
});
`,
    );
    p.migration(name(1), [op.createTable('authors', { id: t.serial().primaryKey(), name: t.varchar(100).notNull().unique() })]);
    p.migration(name(2), [
      op.createTable('books', { id: t.serial().primaryKey(), title: t.text().notNull(), author_id: t.integer().references('authors', 'id', { onDelete: 'cascade' }) }),
      op.createIndex('books', { name: 'books_title_idx', columns: ['title'] }),
      op.runSql("INSERT INTO authors (name) VALUES ('Ada')", "DELETE FROM authors WHERE name = 'Ada'"),
    ], [name(1)]);
    const compiles = () => (existsSync(join(p.dir, 'compiles.log')) ? readFileSync(join(p.dir, 'compiles.log'), 'utf8').trim().split('\n') : []);
    const run = (database: TestDatabase) =>
      new Promise<RunResult>((resolvePromise, reject) => {
        const child = spawn(process.execPath, [BIN, 'migrate'], { cwd: p.dir, env: { ...cleanEnv(), COVET_TEST_TARGET: database.url }, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
        child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
        child.on('error', reject);
        child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr, durationMs: 0 }));
      });
    const schemaOf = (database: TestDatabase) =>
      withClient(database.url, async (client) => {
        const columns = await client.query(
          "SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2",
        );
        const indexes = await client.query("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2");
        const constraints = await client.query(
          "SELECT conrelid::regclass::text AS on_table, conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2",
        );
        const rows = await client.query('SELECT name FROM authors ORDER BY id');
        const tracking = await client.query('SELECT name, checksum FROM covet_migrations ORDER BY id');
        return { columns: columns.rows, indexes: indexes.rows, constraints: constraints.rows, rows: rows.rows, tracking: tracking.rows };
      });

    const first = await run(p.database);
    expect(first.code, first.stderr).toBe(0);
    const compiledFirst = compiles();
    expect(compiledFirst).toEqual(expect.arrayContaining(['createTable', 'createIndex', 'runSql']));

    const again = await run(second);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`Applied default:${name(2)}`);
    // Only Covet's own tables (tracking table, shape versions) were compiled for the second database.
    expect(compiles().slice(compiledFirst.length)).toEqual(['createTable', 'createTable']);
    expect(await schemaOf(second)).toEqual(await schemaOf(p.database));
  });

  it('the loop on PostgreSQL: makemigrations, migrate, showmigrations, rollback', { timeout: 60_000 }, async () => {
    const p = await project({ models: './models' });
    p.write('models/blog.ts', `import { defineTable, sql, t } from '@covet/core';

export const users = defineTable('users', {
  id: t.serial().primaryKey(),
  email: t.varchar(255).notNull().unique(),
  created_at: t.timestamp({ withTimeZone: true }).notNull().default(sql\`CURRENT_TIMESTAMP\`),
});

export const posts = defineTable('posts', {
  id: t.bigserial().primaryKey(),
  author_id: t.integer().notNull().references(users, 'id', { onDelete: 'cascade' }),
  title: t.varchar(200).notNull(),
  score: t.decimal(10, 2).default('0.00'),
  published: t.boolean().notNull().default(false),
}, { uniques: [['author_id', 'title']], indexes: [{ name: 'posts_live_idx', columns: ['title'], where: 'published' }] });
`);
    const make = await p.run('makemigrations', '--name', 'initial');
    expect(make.code, make.stderr).toBe(0);
    expect(p.migrationNames()).toHaveLength(1);
    const migrate = await p.run('migrate');
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(migrate.stdout).toContain('Migrating postgres postgres@127.0.0.1');
    // Models and database agree: nothing new to write, and the database holds what the models say.
    const again = await p.run('makemigrations', '--dry-run');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/No changes/i);
    const fromDatabase = await p.run('makemigrations', '--from', 'database', '--dry-run');
    expect(fromDatabase.code, fromDatabase.stderr).toBe(0);
    expect(fromDatabase.stdout).toMatch(/No changes/i);

    p.write('models/blog.ts', readModel(p).replace("title: t.varchar(200).notNull(),", "title: t.varchar(300).notNull(),\n  subtitle: t.text(),"));
    expect((await p.run('makemigrations', '--name', 'more')).code).toBe(0);
    expect((await p.run('migrate')).code).toBe(0);
    const status = await p.run('showmigrations', '--json');
    expect(JSON.parse(status.stdout).map((row: { applied: boolean }) => row.applied)).toEqual([true, true]);
    await withClient(p.database.url, async (client) => {
      const { rows } = await client.query("SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'posts'::regclass AND attname = 'title'");
      expect(rows).toEqual([{ type: 'character varying(300)' }]);
    });
    const rollback = await p.run('rollback');
    expect(rollback.code, rollback.stderr).toBe(0);
    const after = await p.run('showmigrations', '--json');
    expect(JSON.parse(after.stdout).map((row: { applied: boolean }) => row.applied)).toEqual([true, false]);
    await withClient(p.database.url, async (client) => {
      const { rows } = await client.query("SELECT attname FROM pg_attribute WHERE attrelid = 'posts'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum");
      expect(rows.map((r) => r.attname)).toEqual(['id', 'author_id', 'title', 'score', 'published']);
    });
  });
});

function readModel(p: Project): string {
  return readFileSync(join(p.dir, 'models/blog.ts'), 'utf8');
}
