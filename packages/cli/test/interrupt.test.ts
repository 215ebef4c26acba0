// Interruptions on SQLite, where the whole run is one transaction: the real binary killed
// (kill -9) or stopped (SIGTERM, SIGINT) in the middle of a migration leaves nothing of that
// migration; a stop exits 130/143 and says what was applied. And custom code that leaves a
// promise running: its late call is refused and fails the run.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, TestProject, cleanEnv, migrationSource, removeProjects, type RunResult } from './helpers.js';

afterAll(removeProjects);

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run pnpm --filter @covet/cli build first`);
});

const FIRST = '20260101000001_first';
const PAUSE = '20260101000002_pause';
const LAST = '20260101000003_last';

/**
 * first; pause: CREATE TABLE a, then custom code that writes `started` and waits for the file
 * `release` before creating b; last.
 */
function project(label: string): TestProject {
  return TestProject.create(label, {
    files: {
      [`migrations/${FIRST}.ts`]: migrationSource(["op.createTable('first', { id: t.serial().primaryKey() })"]),
      [`migrations/${PAUSE}.ts`]: `import { existsSync, writeFileSync } from 'node:fs';
import { defineMigration, op, t } from '@covet/core';

export default defineMigration({
  dependencies: ['${FIRST}'],
  operations: [op.createTable('a', { id: t.serial().primaryKey() })],
  async up(db) {
    writeFileSync('started', '');
    await new Promise((resolve) => {
      const timer = setInterval(() => {
        if (existsSync('release')) {
          clearInterval(timer);
          resolve(undefined);
        }
      }, 10);
    });
    await db.execute('CREATE TABLE b (id integer)');
  },
});
`,
      [`migrations/${LAST}.ts`]: migrationSource(["op.createTable('last', { id: t.serial().primaryKey() })"], [PAUSE]),
    },
  });
}

/** Starts `covet ...argv`; `waitFor(text)` resolves once stderr holds it. */
function start(p: TestProject, argv: string[]) {
  const child = spawn(process.execPath, [BIN, ...argv], { cwd: p.dir, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiting: { text: string; resolve: () => void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const wait of waiting.filter((w) => stderr.includes(w.text))) wait.resolve();
  });
  const done = new Promise<RunResult & { signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code: code ?? 128, signal, stdout, stderr, output: stdout + stderr, durationMs: 0 })),
  );
  const waitFor = (text: string) => new Promise<void>((resolve) => (stderr.includes(text) ? resolve() : waiting.push({ text, resolve })));
  return { child, done, waitFor };
}

/** Waits for the migration's custom code to write `started` (polled: an event, not a delay). */
async function started(p: TestProject): Promise<void> {
  while (!existsSync(p.path('started'))) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('interruptions on SQLite', () => {
  it('kill -9 mid-migration: the migrations before it stay, nothing of it, and the next migrate finishes', { timeout: 30_000 }, async () => {
    const p = project('kill-9');
    expect((await p.run('migrate', FIRST)).code).toBe(0);
    const before = p.snapshot();
    const run = start(p, ['migrate']);
    await started(p);
    run.child.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');
    // The rollback journal undoes the open transaction when the file is next opened.
    const db = p.open();
    db.close();
    expect(p.snapshot()).toEqual(before);
    p.write('release', '');
    const rerun = await p.spawn(['migrate']);
    expect(rerun.code, rerun.output).toBe(0);
    expect(p.applied()).toEqual([`default:${FIRST}`, `default:${PAUSE}`, `default:${LAST}`]);
    expect(p.tables()).toEqual(expect.arrayContaining(['a', 'b', 'last']));
  });

  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`${signal} mid-migration: that migration is rolled back, exit ${code}, what was applied and what not`, { timeout: 30_000 }, async () => {
      const p = project(signal);
      const run = start(p, ['migrate']);
      await started(p);
      run.child.kill(signal);
      await run.waitFor(`${signal}: stopping at the next safe point`);
      p.write('release', '');
      const result = await run.done;
      expect(result.code, result.output).toBe(code);
      expect(result.stdout).toContain(`Applied default:${FIRST}`);
      expect(result.stderr).toContain(`error: Stopped by ${signal}: applied default:${FIRST}; not applied: default:${PAUSE}, default:${LAST}`);
      expect(result.stderr).toContain('hint: The migration lock was released; run covet migrate again to go on.');
      expect(result.output).not.toMatch(/^\s+at\s/m);
      // The first migration committed before the stop; nothing of the second, which had run its DDL.
      expect(p.applied()).toEqual([`default:${FIRST}`]);
      expect(p.tables()).not.toContain('a');
      expect(p.tables()).not.toContain('b');
      expect(p.tables().filter((table) => !table.startsWith('covet_'))).toEqual(['first']);
      const rerun = await p.spawn(['migrate']);
      expect(rerun.code, rerun.output).toBe(0);
      expect(p.applied()).toEqual([`default:${FIRST}`, `default:${PAUSE}`, `default:${LAST}`]);
    });
  }

  it('SIGTERM mid-rollback: the rollback is undone, exit 143', { timeout: 30_000 }, async () => {
    const p = project('rollback');
    p.write('release', '');
    p.write(
      `migrations/${LAST}.ts`,
      `import { existsSync, writeFileSync } from 'node:fs';
import { defineMigration, op, t } from '@covet/core';

export default defineMigration({
  dependencies: ['${PAUSE}'],
  operations: [op.createTable('last', { id: t.serial().primaryKey() })],
  async up() {},
  async down(db) {
    await db.execute('DELETE FROM first');
    writeFileSync('down-started', '');
    await new Promise((resolve) => {
      const timer = setInterval(() => {
        if (existsSync('down-release')) {
          clearInterval(timer);
          resolve(undefined);
        }
      }, 10);
    });
  },
});
`,
    );
    expect((await p.spawn(['migrate'])).code).toBe(0);
    const db = p.open();
    db.exec('INSERT INTO first (id) VALUES (1)');
    db.close();
    const before = { ...p.snapshot(), rows: p.rows('SELECT * FROM first') };
    const run = start(p, ['rollback']);
    while (!existsSync(p.path('down-started'))) await new Promise((resolve) => setTimeout(resolve, 10));
    run.child.kill('SIGTERM');
    await run.waitFor('SIGTERM: stopping at the next safe point');
    p.write('down-release', '');
    const result = await run.done;
    expect(result.code, result.output).toBe(143);
    expect(result.stderr).toContain(`error: Stopped by SIGTERM: rolled back none; not rolled back: default:${LAST}`);
    expect({ ...p.snapshot(), rows: p.rows('SELECT * FROM first') }).toEqual(before);
  });

  it('a promise custom code leaves running: its late call is refused, names the migration, and fails the run', { timeout: 30_000 }, async () => {
    const p = TestProject.create('floating', {
      files: {
        [`migrations/${FIRST}.ts`]: migrationSource(
          ["op.createTable('first', { id: t.serial().primaryKey() })"],
          [],
          "  up(db) {\n    setTimeout(() => db.execute('CREATE TABLE late (id integer)'), 0);\n  },",
        ),
        [`migrations/${LAST}.ts`]: migrationSource(["op.createTable('last', { id: t.serial().primaryKey() })", "op.runSql('SELECT 1', 'SELECT 1')"], [FIRST]),
      },
    });
    const result = await p.spawn(['migrate']);
    expect(result.code, result.output).toBe(1);
    expect(result.stderr).toContain(`error: Custom up code of default:${FIRST} called execute() after it had returned; the statement was not run: CREATE TABLE late (id integer)`);
    expect(result.stderr).toContain('hint: Await every query() and execute() in up()');
    expect(result.output).not.toMatch(/^\s+at\s/m);
    expect(p.tables()).not.toContain('late');
    // Each migration is applied whole, with its row, or not at all.
    const applied = p.applied();
    expect(p.tables().includes('first')).toBe(applied.includes(`default:${FIRST}`));
    expect(p.tables().includes('last')).toBe(applied.includes(`default:${LAST}`));
  });

  it('a database call custom code did not wait for fails the migration, not the process', { timeout: 30_000 }, async () => {
    const p = TestProject.create('unawaited', {
      files: {
        [`migrations/${FIRST}.ts`]: migrationSource(
          ["op.createTable('first', { id: t.serial().primaryKey() })"],
          [],
          "  up(db) {\n    db.execute('INSERT INTO missing_table VALUES (1)');\n  },",
        ),
      },
    });
    const result = await p.spawn(['migrate']);
    expect(result.code, result.output).toBe(1);
    expect(result.stderr).toContain(`error: Custom up code of default:${FIRST} did not wait for a database call, which failed: `);
    expect(result.stderr).toContain('missing_table');
    expect(result.output).not.toMatch(/^\s+at\s/m);
    expect(p.tables()).not.toContain('first');
    expect(p.applied()).toEqual([]);
  });
});
