// File permissions that let other users of the machine read a password or change what
// `migrate` runs: a warning each, and with --strict a refusal that runs nothing.
import { chmodSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { TestProject, failureShape, migrationSource, removeProjects } from './helpers.js';

afterAll(removeProjects);

const FIRST = '20260101000001_first';

function project(label: string, database: Record<string, unknown> = { engine: 'sqlite', name: './app.db' }): TestProject {
  const p = TestProject.create(label, {
    config: { database, migrations: './migrations' },
    files: { [`migrations/${FIRST}.ts`]: migrationSource(["op.createTable('first', { id: t.serial().primaryKey() })"]) },
  });
  chmodSync(p.path('covet.config.json'), 0o600);
  chmodSync(p.path('migrations'), 0o755);
  chmodSync(p.path('migrations', `${FIRST}.ts`), 0o644);
  return p;
}

describe.skipIf(process.platform === 'win32')('file permissions', () => {
  it('a config file readable by everyone that holds a password: a warning; the same file without one: nothing', async () => {
    const p = project('config-password', { engine: 'sqlite', name: './app.db', password: 'hunter2' });
    chmodSync(p.path('covet.config.json'), 0o644);
    const result = await p.run('migrate');
    expect(result.code, result.output).toBe(0);
    expect(result.stderr).toContain(`warning: ${p.path('covet.config.json')} holds a password and is readable by every user (mode 644): run chmod o-r on it`);
    expect(result.output).not.toContain('hunter2');

    chmodSync(p.path('covet.config.json'), 0o640);
    expect((await p.run('showmigrations')).stderr).not.toContain('warning:');

    const plain = project('config-plain');
    chmodSync(plain.path('covet.config.json'), 0o644);
    expect((await plain.run('migrate')).stderr).toBe('');
  });

  it('a migrations folder or file writable by everyone: a warning each; --strict refuses and runs nothing', async () => {
    const p = project('migrations-writable');
    chmodSync(p.path('migrations'), 0o777);
    chmodSync(p.path('migrations', `${FIRST}.ts`), 0o666);
    const strict = await p.run('migrate', '--strict');
    expect(strict.code, strict.output).toBe(1);
    expect(failureShape(strict)).toEqual({ errorLines: 1, stackLines: 0 });
    expect(strict.stderr).toContain(`error: The migrations folder ${p.path('migrations')} is writable by every user (mode 777)`);
    expect(strict.stderr).toContain('hint: And 1 more such problem(s). Nothing was run.');
    expect(p.tables()).toEqual([]);

    const warned = await p.run('migrate');
    expect(warned.code, warned.output).toBe(0);
    expect(warned.stderr).toContain(`warning: The migrations folder ${p.path('migrations')} is writable by every user (mode 777): anyone could add a migration that migrate runs`);
    expect(warned.stderr).toContain(`warning: The migration file ${p.path('migrations', `${FIRST}.ts`)} is writable by every user (mode 666)`);
    expect(p.applied()).toEqual([`default:${FIRST}`]);

    chmodSync(p.path('migrations'), 0o755);
    chmodSync(p.path('migrations', `${FIRST}.ts`), 0o644);
    const fixed = await p.run('showmigrations', '--strict');
    expect(fixed.code, fixed.output).toBe(0);
    expect(fixed.stderr).toBe('');
  });

  it('an applied migration file writable by everyone is not looked at while its text is unchanged (nothing evaluates it); once changed, it is warned of, and --strict refuses', async () => {
    const p = project('applied-writable');
    expect((await p.run('migrate')).code).toBe(0);
    chmodSync(p.path('migrations', `${FIRST}.ts`), 0o666);
    // A helper beside it is not a migration, but an evaluated migration may import it.
    p.write('migrations/_shared.ts', 'export const name = "shared";\n');
    chmodSync(p.path('migrations', '_shared.ts'), 0o666);

    for (const command of ['migrate', 'showmigrations']) {
      const quiet = await p.run(command, '--strict');
      expect(quiet.code, quiet.output).toBe(0);
      expect(quiet.stderr).toBe('');
    }

    // A pending migration is evaluated: the helper of its folder is checked with it, not the unchanged applied file.
    const SECOND = '20260101000002_second';
    p.write(`migrations/${SECOND}.ts`, migrationSource(["op.createTable('second', { id: t.serial().primaryKey() })"], [FIRST]));
    chmodSync(p.path('migrations', `${SECOND}.ts`), 0o644);
    const refused = await p.run('migrate', '--strict');
    expect(refused.code, refused.output).toBe(1);
    expect(failureShape(refused)).toEqual({ errorLines: 1, stackLines: 0 });
    expect(refused.stderr).toContain(`error: The migration file ${p.path('migrations', '_shared.ts')} is writable by every user (mode 666)`);
    expect(refused.stderr).not.toContain(`${FIRST}.ts is writable`);
    expect(p.applied()).toEqual([`default:${FIRST}`]);
    expect(p.tables()).not.toContain('second');

    // The applied file changed: it is evaluated (and its checksum compared), so it is warned of.
    chmodSync(p.path('migrations', '_shared.ts'), 0o644);
    p.write(`migrations/${FIRST}.ts`, `${p.read(`migrations/${FIRST}.ts`)}// edited\n`);
    const warned = await p.run('migrate');
    expect(warned.stderr).toContain(`warning: The migration file ${p.path('migrations', `${FIRST}.ts`)} is writable by every user (mode 666)`);
    expect(warned.stderr.match(/is writable by every user/g)).toHaveLength(1);
  });
});
