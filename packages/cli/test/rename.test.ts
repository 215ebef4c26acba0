// A renamed column or table must not become a drop and an add without a person saying so:
// makemigrations warns about each candidate, and --rename turns it into a rename that keeps
// the rows.
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, TestProject, modelSource, removeProjects } from './helpers.js';

afterAll(removeProjects);

const MODELS = (nameColumn: string, table = 'users') =>
  modelSource(`
export const users = defineTable('${table}', {
  id: t.serial().primaryKey(),
  ${nameColumn}: t.varchar(100).notNull(),
});
`);

describe('renames in makemigrations', () => {
  it('warns about a possible column rename, and --rename keeps the data', async () => {
    const project = TestProject.create('rename-column', { files: { 'models/users.ts': MODELS('name') } });
    expect((await project.run('makemigrations', '--name', 'initial')).code).toBe(0);
    expect((await project.run('migrate')).code).toBe(0);
    const db = project.open();
    db.exec("INSERT INTO users (name) VALUES ('Ada')");
    db.close();

    project.write('models/users.ts', MODELS('full_name'));
    const warned = await project.run('makemigrations', '--dry-run');
    expect(warned.code, warned.output).toBe(0);
    expect(warned.stderr).toContain(
      'warning: Column users.name goes away and users.full_name appears with the same definition; if it was renamed, run again with --rename users.name=full_name, otherwise with --not-renamed users.name=full_name (a drop loses its data)',
    );
    expect(warned.stdout).toContain('Drop column users.name (may lose data)');

    // Without a terminal and without an answer, nothing is written: a drop would lose the rows.
    const filesBefore = project.migrationFiles();
    const snapshot = project.snapshot();
    const refused = await project.run('makemigrations', '--name', 'unanswered');
    expect(refused.code, refused.output).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.split('\n')).toEqual([
      'error: Column users.name goes away and users.full_name appears with the same definition: renamed or not? No terminal to ask; nothing was written',
      'hint: Run again with --rename users.name=full_name if renamed, or with --not-renamed users.name=full_name to drop and add (the old data is lost)',
      '',
    ]);
    expect(project.migrationFiles()).toEqual(filesBefore);
    expect(project.snapshot()).toEqual(snapshot);

    const renamed = await project.run('makemigrations', '--name', 'rename', '--rename', 'users.name=full_name');
    expect(renamed.code, renamed.output).toBe(0);
    expect(renamed.stderr).toBe('');
    expect(renamed.stdout).toContain('Rename column users.name to full_name');
    expect(renamed.stdout).not.toContain('Drop column');
    expect((await project.run('migrate')).code).toBe(0);
    expect(project.rows('SELECT full_name FROM users')).toEqual([{ full_name: 'Ada' }]);
    expect((await project.run('makemigrations')).stdout).toContain('No changes detected');
  });

  it('--not-renamed answers no: a drop and an add, the loss listed on stdout; a typo is refused', async () => {
    const project = TestProject.create('rename-not', { files: { 'models/users.ts': MODELS('name') } });
    expect((await project.run('makemigrations', '--name', 'initial')).code).toBe(0);
    project.write('models/users.ts', MODELS('full_name'));
    const typo = await project.run('makemigrations', '--not-renamed', 'users.nme');
    expect(typo.code).toBe(1);
    expect(typo.stderr).toBe('error: --not-renamed users.nme matches no possible rename\nhint: Possible renames: users.name=full_name.\n');
    expect(project.migrationFiles()).toHaveLength(1);
    for (const answer of ['users.name', 'users.name=full_name']) {
      const made = await project.run('makemigrations', '--dry-run', '--not-renamed', answer);
      expect(made.code, made.output).toBe(0);
      expect(made.stderr).toBe('');
    }
    const made = await project.run('makemigrations', '--name', 'replace_name', '--not-renamed', 'users.name');
    expect(made.code, made.output).toBe(0);
    expect(made.stderr).toBe('');
    expect(made.stdout).toContain('- Drop column users.name (may lose data)');
    expect(made.stdout).toContain('- Add column users.full_name\n');
    expect(made.stdout).toContain('1 operation(s) may lose data: Drop column users.name');
    expect(project.migrationFiles()).toHaveLength(2);
  });

  it('a table that may have been renamed: refused without an answer, named in the flags', async () => {
    const project = TestProject.create('rename-table-refused', { files: { 'models/users.ts': MODELS('name') } });
    expect((await project.run('makemigrations', '--name', 'initial')).code).toBe(0);
    project.write('models/users.ts', MODELS('name', 'people'));
    const refused = await project.run('makemigrations');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('error: Table users goes away and people appears with the same definition: renamed or not?');
    expect(refused.stderr).toContain('hint: Run again with --rename users=people if renamed, or with --not-renamed users=people to drop and add');
    expect(project.migrationFiles()).toHaveLength(1);
    const dropped = await project.run('makemigrations', '--not-renamed', 'users');
    expect(dropped.code, dropped.output).toBe(0);
    expect(dropped.stdout).toContain('1 operation(s) may lose data: Drop table users');
  });

  it('renames a table with --rename old=new, and refuses a malformed or impossible one', async () => {
    const project = TestProject.create('rename-table', { files: { 'models/users.ts': MODELS('name') } });
    expect((await project.run('makemigrations', '--name', 'initial')).code).toBe(0);
    project.write('models/users.ts', MODELS('name', 'people'));
    const bad = await project.run('makemigrations', '--rename', 'users->people');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('error: --rename takes table.old=new or old=new, got "users->people"');
    const impossible = await project.run('makemigrations', '--rename', 'missing=people');
    expect(impossible.code).toBe(1);
    expect(impossible.stderr).toContain('error: Cannot rename missing to people: Table "missing" does not exist (renameTable)');
    expect(project.migrationFiles()).toHaveLength(1);
    const renamed = await project.run('makemigrations', '--name', 'people', '--rename', 'users=people');
    expect(renamed.code, renamed.output).toBe(0);
    expect(renamed.stdout).toContain('Rename table users to people');
    expect(renamed.stdout).not.toContain('Drop table');
  });

  it('asks on a terminal, and a yes makes it a rename', { timeout: 30_000 }, async () => {
    const project = TestProject.create('rename-prompt', { files: { 'models/users.ts': MODELS('name') } });
    expect((await project.run('makemigrations', '--name', 'initial')).code).toBe(0);
    project.write('models/users.ts', MODELS('full_name'));
    // `script` (util-linux) runs the CLI on a pseudo-terminal, as a person would.
    const output = await new Promise<string>((resolve, reject) => {
      // A pseudo-terminal starts 0 columns wide: give it a size, or the prompt wraps at every character.
      const command = `stty cols 120 rows 40; "${process.execPath}" "${BIN}" makemigrations --name renamed`;
      const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: project.dir });
      let text = '';
      // 'waiting' for the prompt, then 'selected' once 'y' is typed, then 'submitted' after Enter.
      let stage: 'waiting' | 'selected' | 'submitted' = 'waiting';
      let shownWhenSelected = 0;
      const timer = setTimeout(() => {
        child.kill();
        reject(new Error(`no prompt within 20 s:\n${text}`));
      }, 20_000);
      // The CLI may exit as soon as it has its answer: a late write must not fail the test.
      child.stdin.on('error', () => undefined);
      child.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (stage === 'waiting' && text.includes('Did you rename column users.name to full_name?')) {
          stage = 'selected';
          shownWhenSelected = text.length;
          child.stdin.write('y');
        } else if (stage === 'selected' && text.length > shownWhenSelected) {
          // The prompt redrew with the answer selected: now confirm it (an event, not a delay).
          stage = 'submitted';
          if (child.exitCode === null) child.stdin.write('\r');
        }
      });
      child.on('error', reject);
      child.on('close', () => {
        clearTimeout(timer);
        resolve(text);
      });
    });
    expect(output).toContain('Rename column users.name to full_name');
    const [, renamed] = project.migrationFiles();
    expect(project.read(`migrations/${renamed}`)).toContain("op.renameColumn('users', 'name', 'full_name')");
  });

  it('makemigrations --check passes when migrations hold the models and fails, writing nothing, when they do not', async () => {
    const project = TestProject.create('check', { files: { 'models/users.ts': MODELS('name') } });
    const missing = await project.run('makemigrations', '--check');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('error: The models of default have 1 change(s) without a migration: Create table users');
    expect(missing.stderr).toContain('hint: Run covet makemigrations and commit the migration it writes.');
    expect(project.migrationFiles()).toEqual([]);
    expect((await project.run('makemigrations')).code).toBe(0);
    const clean = await project.run('makemigrations', '--check');
    expect(clean.code, clean.output).toBe(0);
    expect(clean.stdout).toContain('No changes detected');
    expect(project.migrationFiles()).toHaveLength(1);
  });
});
