// `--json`: one document on stdout with the shape docs/json-output.md describes, for success
// and failure alike (a failure exits non-zero and still prints JSON, nothing else).
import { afterAll, describe, expect, it } from 'vitest';
import { TestProject, migrationSource, modelSource, removeProjects } from './helpers.js';

afterAll(removeProjects);

const M1 = '20260101000001_users';
const M2 = '20260101000002_bio';

function project(label: string): TestProject {
  return TestProject.create(label, {
    files: {
      [`migrations/${M1}.ts`]: migrationSource(["op.createTable('users', { id: t.serial().primaryKey(), email: t.text() })"]),
      [`migrations/${M2}.ts`]: migrationSource(["op.addColumn('users', 'bio', t.text())"], [M1]),
    },
  });
}

function parse(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout) as Record<string, unknown>;
}

const migrationEntry = (name: string, fake = false) => ({ id: `default:${name}`, app: 'default', name, durationMs: expect.any(Number), fake });

describe('--json', () => {
  it('migrate and rollback print one document listing what they did', async () => {
    const p = project('json-migrate');
    const migrated = await p.run('migrate', '--json');
    expect(migrated.code, migrated.output).toBe(0);
    expect(migrated.stderr).toBe('');
    expect(parse(migrated.stdout)).toEqual({
      schemaVersion: 1,
      command: 'migrate',
      ok: true,
      app: null,
      database: expect.stringContaining('app.db'),
      target: null,
      dryRun: false,
      applied: [migrationEntry(M1), migrationEntry(M2)],
      rolledBack: [],
      warnings: [],
    });

    const nothing = parse((await p.run('migrate', '--json')).stdout);
    expect(nothing).toMatchObject({ ok: true, applied: [], rolledBack: [] });

    const back = await p.run('migrate', M1, '--json');
    expect(back.code, back.output).toBe(0);
    expect(parse(back.stdout)).toMatchObject({ command: 'migrate', ok: true, app: 'default', target: M1, applied: [], rolledBack: [migrationEntry(M2)] });

    const rolled = await p.run('rollback', '--json', '--fake');
    expect(rolled.code, rolled.output).toBe(0);
    expect(parse(rolled.stdout)).toEqual({
      schemaVersion: 1,
      command: 'rollback',
      ok: true,
      app: null,
      database: expect.stringContaining('app.db'),
      dryRun: false,
      applied: [],
      rolledBack: [migrationEntry(M1, true)],
      warnings: [],
    });
  });

  it('a dry run lists its SQL', async () => {
    const p = project('json-dry-run');
    const dry = await p.run('migrate', '--dry-run', '--json');
    expect(dry.code, dry.output).toBe(0);
    const document = parse(dry.stdout);
    expect(document).toMatchObject({ ok: true, dryRun: true, applied: [] });
    expect(document.sql).toContainEqual({ migration: `default:${M2}`, direction: 'up', sql: 'ALTER TABLE "users" ADD COLUMN "bio" text', params: 0 });
    expect(p.tables()).toEqual([]);
  });

  it('a failure is a JSON document with the error and the exit code, and changes nothing', async () => {
    const p = project('json-failure');
    expect((await p.run('migrate', M1)).code).toBe(0);
    p.write(`migrations/${M1}.ts`, migrationSource(["op.createTable('users', { id: t.serial().primaryKey(), email: t.varchar(10) })"]));
    const before = p.snapshot();
    const failed = await p.run('migrate', '--json');
    expect(failed.code).toBe(3);
    expect(failed.stderr).toBe('');
    expect(parse(failed.stdout)).toMatchObject({
      command: 'migrate',
      ok: false,
      applied: [],
      error: {
        code: 'CHECKSUM_MISMATCH',
        message: expect.stringContaining(`Applied migration default:${M1} was edited after it was applied`),
        hint: expect.stringContaining('Restore the file'),
        exitCode: 3,
      },
    });
    expect(p.snapshot()).toEqual(before);

    const unknownOption = await p.run('rollback', '--json', '--stpes', '2');
    expect(unknownOption.code).toBe(1);
    expect(parse(unknownOption.stdout)).toMatchObject({ command: 'rollback', ok: false, error: { code: 'OPTION_INVALID', message: expect.stringContaining('--stpes') } });
    expect(p.snapshot()).toEqual(before);
  });

  it('makemigrations lists the operations and the file it wrote; --check fails as JSON', async () => {
    const p = TestProject.create('json-makemigrations', {
      files: { 'models/users.ts': modelSource("export const users = defineTable('users', { id: t.serial().primaryKey(), name: t.text() });") },
    });
    const check = await p.run('makemigrations', '--check', '--json');
    expect(check.code).toBe(1);
    expect(parse(check.stdout)).toMatchObject({ command: 'makemigrations', ok: false, app: 'default', error: { code: 'CHANGES_PENDING' } });

    const made = await p.run('makemigrations', '--name', 'initial', '--json');
    expect(made.code, made.output).toBe(0);
    const [name] = p.migrationNames();
    expect(parse(made.stdout)).toEqual({
      schemaVersion: 1,
      command: 'makemigrations',
      ok: true,
      app: 'default',
      dryRun: false,
      name,
      file: p.path('migrations', `${name!}.ts`),
      operations: [{ kind: 'createTable', description: expect.stringContaining('users'), destructive: false }],
      warnings: [],
    });
    expect(parse((await p.run('makemigrations', '--json')).stdout)).toMatchObject({ ok: true, name: null, file: null, operations: [] });
  });

  it('showmigrations --json keeps its documented array', async () => {
    const p = project('json-show');
    expect((await p.run('migrate', M1)).code).toBe(0);
    const shown = await p.run('showmigrations', '--json');
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toEqual([
      { app: 'default', name: M1, applied: true, appliedAt: expect.any(String) },
      { app: 'default', name: M2, applied: false, appliedAt: null },
    ]);
  });
});
