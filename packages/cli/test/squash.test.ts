// `covet squashmigrations FROM TO` writes one migration with `replaces`, which keeps working for
// a database that applied the originals (all or some of them) and for a fresh one, and lets the
// originals be deleted afterwards.
import { afterAll, describe, expect, it } from 'vitest';
import { TestProject, migrationSource, removeProjects } from './helpers.js';

afterAll(removeProjects);

const R1 = '20260101000001_users';
const R2 = '20260101000002_bio';
const R3 = '20260101000003_posts';
const M4 = '20260101000004_title';
const SQUASHED = '20260101000001_squashed_20260101000003';

function project(label: string): TestProject {
  return TestProject.create(label, {
    files: {
      [`migrations/${R1}.ts`]: migrationSource(["op.createTable('users', { id: t.serial().primaryKey(), email: t.varchar(255).notNull() })"]),
      [`migrations/${R2}.ts`]: migrationSource(
        ["op.addColumn('users', 'bio', t.text())", "op.createIndex('users', { name: 'users_email_idx', columns: ['email'] })"],
        [R1],
      ),
      [`migrations/${R3}.ts`]: migrationSource(
        ["op.createTable('posts', { id: t.serial().primaryKey(), author_id: t.integer().notNull().references('users', 'id') })"],
        [R2],
      ),
      [`migrations/${M4}.ts`]: migrationSource(["op.addColumn('posts', 'title', t.text())"], [R3]),
    },
  });
}

/** The schema as columns and indexes per table (SQL text differs between ALTER and CREATE). */
function shape(p: TestProject): Record<string, { columns: string[]; indexes: string[] }> {
  const result: Record<string, { columns: string[]; indexes: string[] }> = {};
  for (const table of p.tables().filter((name) => name !== 'covet_migrations')) {
    result[table] = { columns: p.columns(table).map((c) => `${c.name} ${c.type} ${c.notnull}`), indexes: p.indexes(table) };
  }
  return result;
}

async function squash(p: TestProject): Promise<void> {
  const result = await p.run('squashmigrations', R1, R3);
  expect(result.code, result.output).toBe(0);
  expect(result.stdout).toContain(`Squashed 3 migrations of default (4 operations into 2)`);
  expect(p.migrationNames()).toContain(SQUASHED);
}

describe('squashmigrations', () => {
  it('writes one migration that replaces the range, with createTable and the columns and indexes added to it merged', async () => {
    const p = project('squash-file');
    await squash(p);
    const source = p.read(`migrations/${SQUASHED}.ts`);
    expect(source).toContain(`replaces: ['${R1}', '${R2}', '${R3}'],`);
    expect(source).toContain('dependencies: [],');
    expect(source.match(/op\.createTable\(/g)).toHaveLength(2);
    expect(source).not.toContain('op.addColumn');
    expect(source).not.toContain('op.createIndex');
  });

  it('on a database that applied the originals: counts as applied, then the originals can be deleted', async () => {
    const p = project('squash-applied');
    expect((await p.run('migrate')).code).toBe(0);
    const schema = p.schema();
    await squash(p);
    const nothing = await p.run('migrate');
    expect(nothing.code, nothing.output).toBe(0);
    expect(nothing.stdout).toContain('No migrations to apply.');
    expect(nothing.stderr).toBe('');
    const status = JSON.parse((await p.run('showmigrations', '--json')).stdout) as { name: string; applied: boolean }[];
    expect(status.map((row) => [row.name, row.applied])).toEqual([[SQUASHED, true], [M4, true]]);

    for (const name of [R1, R2, R3]) p.remove(`migrations/${name}.ts`);
    const after = await p.run('migrate');
    expect(after.code, after.output).toBe(0);
    expect(after.stdout).toContain('No migrations to apply.');
    expect(after.stderr).toBe('');
    expect(p.schema()).toEqual(schema);

    // Rolling the squashed migration back forgets the rows of the originals too.
    const back = await p.run('migrate', 'zero');
    expect(back.code, back.output).toBe(0);
    expect(back.stdout).toContain(`Rolled back default:${M4}`);
    expect(back.stdout).toContain(`Rolled back default:${SQUASHED}`);
    expect(p.tracking()).toEqual([]);
    expect(p.tables()).toEqual(['covet_migrations']);
    expect((await p.run('migrate')).code).toBe(0);
    expect(p.applied()).toEqual([`default:${SQUASHED}`, `default:${M4}`]);
  });

  it('on a fresh database: applies the squashed migration alone, to the same schema', async () => {
    const originals = project('squash-originals');
    expect((await originals.run('migrate')).code).toBe(0);
    const p = project('squash-fresh');
    await squash(p);
    const migrated = await p.run('migrate');
    expect(migrated.code, migrated.output).toBe(0);
    expect(p.applied()).toEqual([`default:${SQUASHED}`, `default:${M4}`]);
    expect(shape(p)).toEqual(shape(originals));
    // With the originals still there, and then without them: nothing more to do.
    expect((await p.run('migrate')).stdout).toContain('No migrations to apply.');
    for (const name of [R1, R2, R3]) p.remove(`migrations/${name}.ts`);
    expect((await p.run('migrate')).stdout).toContain('No migrations to apply.');
    expect((await p.run('rollback', '--steps', '2')).code).toBe(0);
    expect(p.tracking()).toEqual([]);
  });

  it('on a database that applied only some originals: applies the rest of them, then counts the squashed one as applied', async () => {
    const p = project('squash-partial');
    expect((await p.run('migrate', R1)).code).toBe(0);
    await squash(p);
    const migrated = await p.run('migrate');
    expect(migrated.code, migrated.output).toBe(0);
    expect(migrated.stdout).toContain(`Applied default:${R2}`);
    expect(migrated.stdout).toContain(`Applied default:${R3}`);
    expect(migrated.stdout).not.toContain(SQUASHED);
    expect(p.applied()).toEqual([`default:${R1}`, `default:${R2}`, `default:${R3}`, `default:${M4}`]);
    for (const name of [R1, R2, R3]) p.remove(`migrations/${name}.ts`);
    const after = await p.run('migrate');
    expect(after.stdout).toContain('No migrations to apply.');
    expect(after.stderr).toBe('');
  });

  it('refuses a partly applied range whose original files are gone, changing nothing', async () => {
    const p = project('squash-gone');
    expect((await p.run('migrate', R1)).code).toBe(0);
    await squash(p);
    for (const name of [R2, R3]) p.remove(`migrations/${name}.ts`);
    const before = p.snapshot();
    const result = await p.run('migrate');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: Migration default:${SQUASHED} replaces 3 migrations of which only 1 is applied`);
    expect(p.snapshot()).toEqual(before);
  });

  it('refuses ranges it cannot keep working, writing nothing', async () => {
    const p = project('squash-refusals');
    p.write(`migrations/${M4}.ts`, migrationSource(["op.addColumn('posts', 'title', t.text())"], [R3], '  up: async () => {},'));
    const files = p.migrationFiles();
    const one = await p.run('squashmigrations', R1, R1);
    expect(one.stderr).toContain('error: Nothing to squash');
    const reversed = await p.run('squashmigrations', R3, R1);
    expect(reversed.stderr).toContain(`error: default:${R3} comes after default:${R1}`);
    const code = await p.run('squashmigrations', R2, M4);
    expect(code.stderr).toContain(`error: default:${M4} has custom up/down code`);
    expect(p.migrationFiles()).toEqual(files);
  });

  it('--json and --dry-run', async () => {
    const p = project('squash-json');
    const files = p.migrationFiles();
    const result = await p.run('squashmigrations', R1, R3, '--dry-run', '--json');
    expect(result.code, result.output).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      command: 'squashmigrations',
      ok: true,
      app: 'default',
      name: SQUASHED,
      file: null,
      replaces: [`default:${R1}`, `default:${R2}`, `default:${R3}`],
      operations: { before: 4, after: 2 },
    });
    expect(p.migrationFiles()).toEqual(files);
  });
});
