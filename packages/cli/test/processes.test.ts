// The real binary in real processes: two runs at once, piped output, the lock timeout.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { op, t } from '@covet/core';
import { renderMigration } from '@covet/writer-ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, TestProject, cleanEnv, configSource, removeProjects } from './helpers.js';

afterAll(removeProjects);

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run pnpm --filter @covet/cli build first`);
});

const COUNT = 30;
const names = Array.from({ length: COUNT }, (_, index) => `202606010000${String(index + 1).padStart(2, '0')}_m${String(index + 1).padStart(2, '0')}`);

/** 30 pending migrations written by @covet/writer-ts, each depending on the one before. */
function thirtyMigrations(project: TestProject): void {
  names.forEach((name, index) => {
    const table = `t_${String(index + 1).padStart(2, '0')}`;
    const source = renderMigration({
      dependencies: index === 0 ? [] : [names[index - 1]!],
      operations: [
        op.createTable(table, { id: t.serial().primaryKey(), label: t.varchar(40).notNull() }),
        op.runSql(`INSERT INTO ${table} (label) VALUES ('${name}')`, `DELETE FROM ${table}`),
      ],
    });
    project.write(`migrations/${name}.ts`, source);
  });
}

const ANSI = /\u001b\[/;

describe('processes', () => {
  it('two migrate processes at once on 30 pending migrations: both exit 0, each migration applied once', { timeout: 30_000 }, async () => {
    const project = TestProject.create('processes-concurrent');
    thirtyMigrations(project);
    const [one, two] = await Promise.all([project.spawn(['migrate']), project.spawn(['migrate'])]);
    for (const result of [one!, two!]) {
      expect(result.code, result.output).toBe(0);
      expect(result.output).not.toMatch(ANSI);
      expect(result.stderr).toBe('');
    }
    const tracking = project.tracking();
    expect(tracking).toHaveLength(COUNT);
    expect(tracking.map((row) => row.name)).toEqual(names);
    expect(new Set(tracking.map((row) => row.name)).size).toBe(COUNT);
    for (let index = 1; index <= COUNT; index++) {
      const table = `t_${String(index).padStart(2, '0')}`;
      expect(project.rows(`SELECT label FROM ${table}`), table).toEqual([{ label: names[index - 1] }]);
    }
    // Between them, each migration was reported applied exactly once.
    const applied = [one!, two!].flatMap((result) => [...result.stdout.matchAll(/Applied default:(\S+)/g)].map((match) => match[1]));
    expect(applied.sort()).toEqual(names);

    // A third run finds nothing to do; showmigrations is plain text when piped.
    const third = await project.spawn(['migrate']);
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('No migrations to apply.');
    const status = await project.spawn(['showmigrations']);
    expect(status.code).toBe(0);
    expect(status.output).not.toMatch(ANSI);
    expect(status.stdout.split('\n').filter((line) => line.startsWith(' [X] '))).toHaveLength(COUNT);
  });

  it('output to a pipe and to a file: the same plain lines, each migration applied once', { timeout: 30_000 }, async () => {
    // Output to a file or a pipe is written without setting up process.stdout; the file type
    // is read with a bigint fstat so that Node's module resolution (which reads the last
    // number stat) is not misled by a pipe into loading packages by their symlinked path.
    // A JSON config: nothing stats a file between the output set-up and loading the dialect.
    const config = { database: { engine: 'sqlite', name: './app.db' }, migrations: './migrations' };
    const piped = TestProject.create('output-pipe', { config });
    thirtyMigrations(piped);
    // A shell pipe (a FIFO; Node's own child pipes are sockets).
    // (NODE_PATH, which test runners set, changes which files module resolution stats.)
    const env = { ...cleanEnv(), NODE_PATH: '' };
    const shell = spawnSync('/bin/sh', ['-c', `"${process.execPath}" "${BIN}" migrate | cat`], { cwd: piped.dir, env, encoding: 'utf8' });
    expect(shell.status, shell.stderr).toBe(0);
    expect(shell.stderr).toBe('');
    const viaPipe = { stdout: shell.stdout };

    const filed = TestProject.create('output-file', { config });
    thirtyMigrations(filed);
    const descriptor = openSync(filed.path('out.txt'), 'w');
    const viaFile = spawnSync(process.execPath, [BIN, 'migrate'], { cwd: filed.dir, env, stdio: ['ignore', descriptor, 'pipe'] });
    closeSync(descriptor);
    expect(viaFile.status, String(viaFile.stderr)).toBe(0);

    const lines = (text: string) => text.split('\n').map((line) => line.replace(/\(\d+ ms\)$/, '').replace(/sqlite \S+/, 'sqlite DB'));
    const written = readFileSync(filed.path('out.txt'), 'utf8');
    expect(lines(written)).toEqual(lines(viaPipe.stdout));
    expect(written).not.toMatch(ANSI);
    expect(written.match(/Applied default:/g)).toHaveLength(COUNT);
    expect(filed.applied()).toHaveLength(COUNT);

    // A reader that goes away early (| head -1) does not make the command fail or print a stack.
    const dry = TestProject.create('output-head', { config });
    thirtyMigrations(dry);
    for (let i = 0; i < 300; i++) dry.write(`migrations/20260701${String(i).padStart(6, '0')}_more.ts`, `import { defineMigration, op } from '@covet/core';\nexport default defineMigration({ dependencies: ['${i === 0 ? names.at(-1) : `20260701${String(i - 1).padStart(6, '0')}_more`}'], operations: [op.runSql('SELECT ${'1, '.repeat(100)}1', 'SELECT 1')] });\n`);
    const head = spawnSync('/bin/sh', ['-c', `("${process.execPath}" "${BIN}" migrate --dry-run 2>err.txt; echo $? > code.txt) | head -1`], { cwd: dry.dir, env, encoding: 'utf8' });
    expect(head.stdout).toBe(`-- apply default:${names[0]}\n`);
    expect(dry.read('err.txt')).toBe('');
    expect(dry.read('code.txt').trim()).toBe('0');
  });

  it('a held write lock makes migrate exit 75 after lockTimeoutMs, with nothing applied', { timeout: 20_000 }, async () => {
    const project = TestProject.create('processes-lock', { config: configSource('  lockTimeoutMs: 500,') });
    thirtyMigrations(project);
    const holder = project.open();
    holder.exec('CREATE TABLE held (id integer)');
    const before = project.snapshot();
    holder.exec('BEGIN IMMEDIATE');
    try {
      const result = await project.spawn(['migrate']);
      expect(result.code, result.output).toBe(75);
      // The configured 0.5 s, not the 60 s default (which the test's timeout would catch); no
      // bound on the wall time, which a loaded machine stretches.
      expect(result.stderr).toContain('error: Timed out after 0.5s waiting for the migration lock');
      expect(result.stderr).toContain(project.dbPath);
      expect(result.output).not.toMatch(ANSI);
      expect(result.stdout).not.toContain('Applied');
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect(project.snapshot()).toEqual(before);
  });

  it('a lock released in time: migrate waits, says so, then applies', { timeout: 20_000 }, async () => {
    const project = TestProject.create('processes-wait', { config: configSource('  lockTimeoutMs: 10000,') });
    thirtyMigrations(project);
    const holder = project.open();
    holder.exec('BEGIN IMMEDIATE');
    // Released when the run says it waits, not after a guess of how long it takes to get there
    // (a loaded machine starts the process later than any fixed delay).
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      holder.exec('ROLLBACK');
      holder.close();
    };
    const result = await project.spawn(['migrate'], { onOutput: (output) => output.includes('Waiting for another covet run') && release() }).finally(release);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain('Waiting for another covet run');
    expect(project.tracking()).toHaveLength(COUNT);
  });
});
