// Options checked before anything connects, colours from NO_COLOR / FORCE_COLOR, and the
// --empty template.
import { afterAll, describe, expect, it } from 'vitest';
import { colorEnabled } from '../src/output.js';
import { TestProject, failureShape, migrationSource, removeProjects } from './helpers.js';

afterAll(removeProjects);

// Nothing listens on port 1: a command that connected would fail with a connection error.
const UNREACHABLE = 'postgres://app@127.0.0.1:1/app';
const ESC = '\u001b[';

describe('--steps is checked before connecting', () => {
  const cases: [string[], string][] = [
    [['--steps', 'abc'], '--steps must be a whole number of migrations (1 or more), got "abc"'],
    [['--steps', '-1'], '--steps must be a whole number of migrations (1 or more), got "-1"'],
    [['--steps=-1'], '--steps must be a whole number of migrations (1 or more), got "-1"'],
    [['--steps', '0'], '--steps must be a whole number of migrations (1 or more), got "0"'],
    [['--steps', '1.5'], '--steps must be a whole number of migrations (1 or more), got "1.5"'],
  ];
  for (const [flags, message] of cases) {
    it(`rollback ${flags.join(' ')}`, async () => {
      const project = TestProject.create('options-steps');
      const result = await project.run('rollback', ...flags, '--database-url', UNREACHABLE);
      expect(result.code, result.output).toBe(1);
      expect(result.stderr.split('\n')[0]).toBe(`error: ${message}`);
      expect(result.stderr).toContain('hint: Example: covet rollback --steps 2');
      expect(failureShape(result)).toEqual({ errorLines: 1, stackLines: 0 });
      expect(result.stdout).toBe('');
    });
  }

  it('rollback --steps without a value', async () => {
    const result = await TestProject.create('options-steps-none').run('rollback', '--steps', '--database-url', UNREACHABLE);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: option `--steps <n>` value is missing\n');
  });

  it('a valid --steps still rolls back', async () => {
    const project = TestProject.create('options-steps-ok', {
      files: {
        'migrations/20260101000000_a.ts': migrationSource(["op.createTable('a', { id: t.serial().primaryKey() })"]),
        'migrations/20260101000001_b.ts': migrationSource(["op.createTable('b', { id: t.serial().primaryKey() })"], ['20260101000000_a']),
      },
    });
    expect((await project.run('migrate')).code).toBe(0);
    const result = await project.run('rollback', '--steps', '2');
    expect(result.code, result.output).toBe(0);
    expect(project.applied()).toEqual([]);
  });
});

describe('colours', () => {
  it('FORCE_COLOR wins, then NO_COLOR, then the terminal', () => {
    expect(colorEnabled({}, true)).toBe(true);
    expect(colorEnabled({}, false)).toBe(false);
    expect(colorEnabled({ TERM: 'dumb' }, true)).toBe(false);
    expect(colorEnabled({ NO_COLOR: '1' }, true)).toBe(false);
    expect(colorEnabled({ NO_COLOR: '' }, true)).toBe(true);
    expect(colorEnabled({ FORCE_COLOR: '1' }, false)).toBe(true);
    expect(colorEnabled({ FORCE_COLOR: '' }, false)).toBe(true);
    expect(colorEnabled({ FORCE_COLOR: '1', NO_COLOR: '1' }, false)).toBe(true);
    expect(colorEnabled({ FORCE_COLOR: '0' }, true)).toBe(false);
    expect(colorEnabled({ FORCE_COLOR: 'false' }, true)).toBe(false);
  });

  it('FORCE_COLOR colours piped output of the real binary; without it, or with NO_COLOR, none', async () => {
    const project = TestProject.create('options-colour', {
      files: { 'migrations/20260101000000_a.ts': migrationSource(["op.createTable('a', { id: t.serial().primaryKey() })"]) },
    });
    const forced = await project.spawn(['migrate'], { env: { FORCE_COLOR: '1' } });
    expect(forced.code, forced.output).toBe(0);
    expect(forced.stdout).toContain(`${ESC}32mApplied${ESC}39m default:20260101000000_a`);
    const plain = await project.spawn(['showmigrations']);
    expect(plain.code).toBe(0);
    expect(plain.output).not.toContain(ESC);
    const noColor = await project.spawn(['showmigrations'], { env: { NO_COLOR: '1' } });
    expect(noColor.output).not.toContain(ESC);
    // In-process too: the environment given to runCli decides.
    const inProcess = await project.runWith({ env: { FORCE_COLOR: '1' } }, 'showmigrations');
    expect(inProcess.stdout).toContain(`${ESC}32m[X]${ESC}39m`);
  });
});

describe('makemigrations --empty', () => {
  it('writes a template that imports op, so the next step (an op.runSql) applies', async () => {
    const project = TestProject.create('options-empty');
    const made = await project.run('makemigrations', '--empty', '--name', 'backfill');
    expect(made.code, made.output).toBe(0);
    const [file] = project.migrationFiles();
    const source = project.read(`migrations/${file}`);
    expect(source).toContain("import { defineMigration, op } from '@covet/core';");
    expect(source).toContain("    // op.runSql('UPDATE users SET active = TRUE', 'UPDATE users SET active = FALSE'),");
    project.write(`migrations/${file}`, source.replace("// op.runSql('UPDATE users SET active = TRUE', 'UPDATE users SET active = FALSE')", "op.runSql('CREATE TABLE filled (x INTEGER)', 'DROP TABLE filled')"));
    const migrated = await project.run('migrate');
    expect(migrated.code, migrated.output).toBe(0);
    expect(project.tables()).toContain('filled');
  });
});
