// History integrity: an applied migration whose file is gone, and branches (two latest
// migrations of one app) stop migrate and makemigrations; makemigrations --merge joins
// branches; resolve --forget settles a file removed on purpose.
import { afterAll, describe, expect, it } from 'vitest';
import { TestProject, failureShape, migrationSource, modelSource, removeProjects } from './helpers.js';

afterAll(removeProjects);

const INITIAL = '20260101000000_initial';
const USERS = "op.createTable('users', { id: t.serial().primaryKey(), name: t.varchar(50) })";
const MODELS = (extra = '') =>
  modelSource(`export const users = defineTable('users', { id: t.serial().primaryKey(), name: t.varchar(50), ${extra} });`);

function project(label: string, files: Record<string, string>, models = MODELS()): TestProject {
  return TestProject.create(label, {
    files: { 'models/users.ts': models, [`migrations/${INITIAL}.ts`]: migrationSource([USERS]), ...files },
  });
}

describe('an applied migration whose file is missing', () => {
  const SECOND = '20260101000001_add_bio';
  const second = migrationSource(["op.addColumn('users', 'bio', t.text())"], [INITIAL]);

  it('stops migrate and makemigrations (exit 5, names it), leaving everything as it was; resolve --forget settles it', async () => {
    const p = project('history-missing', { [`migrations/${SECOND}.ts`]: second }, MODELS('bio: t.text(),'));
    expect((await p.run('migrate')).code).toBe(0);
    p.remove(`migrations/${SECOND}.ts`);
    const before = p.snapshot();
    const files = p.migrationFiles();

    for (const argv of [['migrate'], ['migrate', '--dry-run'], ['makemigrations'], ['makemigrations', '--dry-run']]) {
      const result = await p.run(...argv);
      expect(result.code, `${argv.join(' ')}: ${result.output}`).toBe(5);
      expect(result.stderr).toContain(`error: Applied migration(s) with no file: default:${SECOND} (tracking table)`);
      expect(result.stderr).toContain(`hint: Restore the file(s) from version control; or, if a migration was removed on purpose and its changes are undone or kept by hand, forget it: covet resolve default:${SECOND} --forget`);
      expect(failureShape(result)).toEqual({ errorLines: 1, stackLines: 0 });
      expect(result.stdout).not.toContain('Applied');
      expect(result.stdout).not.toContain('wrote');
      expect(p.snapshot()).toEqual(before);
      expect(p.migrationFiles()).toEqual(files);
    }
    // showmigrations still tells the story.
    expect((await p.run('showmigrations')).stdout).toContain(`${SECOND}  `);

    // --forget is only for a migration whose file is gone.
    const refused = await p.run('resolve', INITIAL, '--forget');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`error: Migration default:${INITIAL} still has its file; --forget is for a migration whose file is gone`);
    expect(p.snapshot()).toEqual(before);

    const forgot = await p.run('resolve', SECOND, '--forget');
    expect(forgot.code, forgot.output).toBe(0);
    expect(forgot.stdout).toContain(`Forgot default:${SECOND}: no longer recorded as applied (the schema was not touched)`);
    expect(p.applied()).toEqual([`default:${INITIAL}`]);
    expect(p.schema()).toEqual(before.schema);
    expect((await p.run('migrate')).stdout).toContain('No migrations to apply.');
  });

  it('the only migration deleted: makemigrations no longer proposes to create every table again', async () => {
    const p = project('history-missing-initial', {});
    expect((await p.run('migrate')).code).toBe(0);
    p.remove(`migrations/${INITIAL}.ts`);
    const result = await p.run('makemigrations');
    expect(result.code, result.output).toBe(5);
    expect(result.stdout).not.toContain('Create table users');
    expect(p.migrationFiles()).toEqual([]);
  });
});

describe('branches', () => {
  const A = '20260102000000_add_bio';
  const B = '20260102000001_add_posts';
  const branchA = migrationSource(["op.addColumn('users', 'bio', t.text())"], [INITIAL]);
  const branchB = migrationSource(["op.createTable('posts', { id: t.serial().primaryKey() })"], [INITIAL]);
  const MERGED_MODELS = `${MODELS('bio: t.text(),')}\nexport const posts = defineTable('posts', { id: t.serial().primaryKey() });\n`;

  it('stop migrate and makemigrations (exit 6, both named); --merge joins them; then everything applies', async () => {
    const p = project('history-branches', {}, MERGED_MODELS);
    expect((await p.run('migrate')).code).toBe(0);
    // Two branches made from the same parent (two git branches, then merged).
    p.write(`migrations/${A}.ts`, branchA);
    p.write(`migrations/${B}.ts`, branchB);
    const before = p.snapshot();
    for (const argv of [['migrate'], ['migrate', '--dry-run'], ['makemigrations']]) {
      const result = await p.run(...argv);
      expect(result.code, `${argv.join(' ')}: ${result.output}`).toBe(6);
      expect(result.stderr).toContain(`error: Conflicting migrations: more than one latest migration (app default: ${A}, ${B})`);
      expect(result.stderr).toContain('hint: Join the branches with covet makemigrations --merge');
      expect(failureShape(result)).toEqual({ errorLines: 1, stackLines: 0 });
      expect(p.snapshot()).toEqual(before);
      expect(p.migrationFiles()).toHaveLength(3);
    }

    const dry = await p.run('makemigrations', '--merge', '--dry-run');
    expect(dry.code, dry.output).toBe(0);
    expect(p.migrationFiles()).toHaveLength(3);
    const merged = await p.run('makemigrations', '--merge');
    expect(merged.code, merged.output).toBe(0);
    expect(merged.stdout).toContain(`  Branch ${A}:\n    - ${A}: Add column users.bio\n`);
    expect(merged.stdout).toContain(`  Branch ${B}:\n    - ${B}: Create table posts\n`);
    const file = p.migrationFiles().find((name) => name.endsWith('_merge.ts'))!;
    expect(file).toBeDefined();
    const source = p.read(`migrations/${file}`);
    expect(source).toContain(`dependencies: ['${A}', '${B}']`);
    expect(source).toContain('operations: []');

    const migrated = await p.run('migrate');
    expect(migrated.code, migrated.output).toBe(0);
    expect(p.applied()).toEqual([`default:${INITIAL}`, `default:${A}`, `default:${B}`, `default:${file.replace(/\.ts$/, '')}`]);
    expect((await p.run('makemigrations')).stdout).toContain('No changes detected');
    expect((await p.run('makemigrations', '--merge')).stdout).toContain('No branches to merge in app default.');
  });

  it('--merge refuses branches that change the same column, naming it and both branches', async () => {
    const p = project('history-merge-conflict', {
      [`migrations/${A}.ts`]: migrationSource(["op.alterColumn('users', 'name', t.varchar(100))"], [INITIAL]),
      [`migrations/${B}.ts`]: migrationSource(["op.alterColumn('users', 'name', t.text())"], [INITIAL]),
    });
    const result = await p.run('makemigrations', '--merge');
    expect(result.code, result.output).toBe(1);
    expect(result.stderr).toContain(`error: Branches of app default change the same objects: users.name (${A}, ${B}); nothing was written`);
    expect(failureShape(result)).toEqual({ errorLines: 1, stackLines: 0 });
    expect(p.migrationFiles()).toHaveLength(3);
  });
});
