// Bad names, bad files and bad graphs are refused before anything is written or run.
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_ROOT, TMP_ROOT, TestProject, failureShape, listFiles, migrationSource, modelSource, removeProjects } from './helpers.js';

afterAll(removeProjects);

const USERS_MODEL = modelSource("export const users = defineTable('users', { id: t.serial().primaryKey(), email: t.text().notNull() });");

const OK = '20260401000001_ok';
const okMigration = migrationSource(["op.createTable('ok_table', { id: t.serial().primaryKey() })"]);

/** Runs `migrate` on a project whose only change is `files`, and checks it applied nothing. */
async function expectRefused(project: TestProject, argv: string[] = ['migrate']) {
  const before = project.snapshot();
  const result = await project.run(...argv);
  expect(result.code, result.output).not.toBe(0);
  expect(failureShape(result)).toEqual({ errorLines: 1, stackLines: 0 });
  expect(project.snapshot()).toEqual(before);
  return result;
}

describe('safety', () => {
  it("makemigrations --name '../../evil' fails with one line and writes no file anywhere", async () => {
    const project = TestProject.create('safety-name', { files: { 'models/users.ts': USERS_MODEL } });
    const filesBefore = listFiles(project.dir);
    // (Projects an interrupted earlier run left behind may hold a legitimate *_evil.ts.)
    const evilBefore = listFiles(TMP_ROOT).filter((file) => file.includes('evil'));
    for (const argv of [
      ['makemigrations', '--name', '../../evil'],
      ['makemigrations', '--empty', '--name', '../../evil'],
      ['makemigrations', '--name', 'a/b'],
      ['makemigrations', '--name', '..'],
    ]) {
      const result = await project.run(...argv);
      expect(result.code, result.output).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr.split('\n')[0]).toContain('Invalid migration label');
      expect(failureShape(result)).toEqual({ errorLines: 1, stackLines: 0 });
      expect(listFiles(project.dir)).toEqual(filesBefore);
    }
    expect(listFiles(TMP_ROOT).filter((file) => file.includes('evil'))).toEqual(evilBefore);
    expect(listFiles(CLI_ROOT).filter((file) => file.includes('evil') && !file.endsWith('.test.ts') && !file.startsWith('test/.tmp/'))).toEqual([]);
  });

  it('a model table named with SQL in it is a table of that exact name: quoted, never run', async () => {
    const evilName = 'users"; DROP TABLE x; --';
    const project = TestProject.create('safety-model', {
      files: {
        'models/users.ts': USERS_MODEL,
        'models/evil.ts': modelSource(`export const evil = defineTable(${JSON.stringify(evilName)}, { id: t.serial().primaryKey() });`),
      },
    });
    expect((await project.run('makemigrations')).code).toBe(0);
    expect((await project.run('migrate')).code).toBe(0);
    expect(project.tables().sort()).toEqual(['covet_migrations', 'users', evilName].sort());
    expect((await project.run('makemigrations')).stdout).toContain('No changes detected');
    expect((await project.run('rollback', '--steps', '1')).code).toBe(0);
    expect(project.tables()).toEqual(['covet_migrations']);
  });

  it('a model table name no engine can hold fails naming the model file, the character and its position', async () => {
    const project = TestProject.create('safety-model-nul', {
      files: {
        'models/users.ts': USERS_MODEL,
        'models/evil.ts': modelSource(`export const evil = defineTable('us\\u0000ers', { id: t.serial().primaryKey() });`),
      },
    });
    const result = await project.run('makemigrations');
    expect(result.code, result.output).toBe(1);
    const [error] = result.stderr.split('\n');
    expect(error).toContain(project.path('models', 'evil.ts'));
    expect(error).toContain('character U+0000 (NUL) at position 3 is not allowed');
    expect(failureShape(result)).toEqual({ errorLines: 1, stackLines: 0 });
    expect(project.migrationFiles()).toEqual([]);

    // The same name in a hand-written migration is refused before any SQL.
    project.remove('models/evil.ts');
    project.write(`migrations/${OK}.ts`, okMigration);
    expect((await project.run('migrate')).code).toBe(0);
    project.write(
      'migrations/20260401000002_evil.ts',
      migrationSource([`op.createTable('x\\u0000y', { id: t.serial().primaryKey() })`], [OK]),
    );
    const refused = await expectRefused(project);
    expect(refused.stderr).toContain('20260401000002_evil');
    expect(project.tables()).toContain('ok_table');
  });

  it('reserved-word and mixed-case tables work through makemigrations, migrate and rollback', async () => {
    const project = TestProject.create('safety-reserved', {
      files: {
        'models/shop.ts': modelSource(`
export const group = defineTable('Group', {
  id: t.serial().primaryKey(),
  Name: t.varchar(50).notNull().unique(),
});
export const order = defineTable('order', {
  id: t.serial().primaryKey(),
  select: t.integer().notNull().references(group, 'id'),
  from: t.text(),
}, { indexes: [{ name: 'order_from_idx', columns: ['from'] }] });
`),
      },
    });
    const made = await project.run('makemigrations', '--name', 'shop');
    expect(made.code, made.output).toBe(0);
    const migrated = await project.run('migrate');
    expect(migrated.code, migrated.output).toBe(0);
    expect(project.tables()).toEqual(['Group', 'covet_migrations', 'order']);
    expect(project.columns('order').map((c) => c.name)).toEqual(['id', 'select', 'from']);
    expect(project.columns('Group').map((c) => c.name)).toEqual(['id', 'Name']);
    expect(project.indexes('order')).toContain('order_from_idx');
    const db = project.open();
    db.exec(`INSERT INTO "Group" ("Name") VALUES ('g'); INSERT INTO "order" ("select", "from") VALUES (1, 'x')`);
    db.close();

    for (const argv of [['makemigrations'], ['makemigrations', '--from', 'database']]) {
      const again = await project.run(...argv);
      expect({ argv, code: again.code, stdout: again.stdout }).toEqual({ argv, code: 0, stdout: 'No changes detected.\n' });
    }

    // A change that rebuilds the table keeps its rows.
    project.write('models/shop.ts', project.read('models/shop.ts').replace("from: t.text(),", "from: t.text().notNull().default('nowhere'),"));
    expect((await project.run('makemigrations', '--name', 'from_not_null')).code).toBe(0);
    const altered = await project.run('migrate');
    expect(altered.code, altered.output).toBe(0);
    expect(project.rows('SELECT "select", "from" FROM "order"')).toEqual([{ select: 1, from: 'x' }]);

    const rolled = await project.run('rollback', '--steps', '2');
    expect(rolled.code, rolled.output).toBe(0);
    expect(project.tables()).toEqual(['covet_migrations']);
    expect(project.tracking()).toEqual([]);
  });

  it('two files for one migration (0001_a.ts and 0001_a.js) are refused naming both, nothing applied', async () => {
    const project = TestProject.create('safety-duplicate', {
      files: {
        [`migrations/${OK}.ts`]: okMigration,
        'migrations/20260401000002_a.ts': migrationSource(["op.createTable('a_ts', { id: t.integer() })"], [OK]),
        'migrations/20260401000002_a.js': migrationSource(["op.createTable('a_js', { id: t.integer() })"], [OK]),
      },
    });
    const result = await expectRefused(project);
    expect(result.stderr).toContain(project.path('migrations', '20260401000002_a.ts'));
    expect(result.stderr).toContain(project.path('migrations', '20260401000002_a.js'));
    expect(project.schema()).toEqual([]);
  });

  it('a migration file with a syntax error: nothing applied, not even valid pending ones; the error names the file', async () => {
    const project = TestProject.create('safety-syntax', {
      files: {
        [`migrations/${OK}.ts`]: okMigration,
        'migrations/20260401000002_broken.ts': migrationSource(["op.createTable('b', { id: t.integer() )"], [OK]),
      },
    });
    const result = await expectRefused(project);
    expect(result.stderr).toContain(project.path('migrations', '20260401000002_broken.ts'));
    expect(project.schema()).toEqual([]);

    // Also once the database has migrations.
    project.remove('migrations/20260401000002_broken.ts');
    expect((await project.run('migrate')).code).toBe(0);
    project.write('migrations/20260401000002_next.ts', migrationSource(["op.createTable('next', { id: t.integer() })"], [OK]));
    project.write('migrations/20260401000003_broken.ts', 'import { defineMigration } from "@covet/core";\nexport default defineMigration({ operations: [ });\n');
    const again = await expectRefused(project);
    expect(again.stderr).toContain(project.path('migrations', '20260401000003_broken.ts'));
    expect(project.tables()).not.toContain('next');
  });

  it('a migration that throws while loading, or exports no migration, names the file', async () => {
    const project = TestProject.create('safety-load', { files: { [`migrations/${OK}.ts`]: okMigration } });
    project.write('migrations/20260401000002_throws.ts', "throw new Error('cannot load this');\n");
    const thrown = await expectRefused(project);
    expect(thrown.stderr).toContain('cannot load this');
    expect(thrown.stderr).toContain(project.path('migrations', '20260401000002_throws.ts'));
    project.write('migrations/20260401000002_throws.ts', 'export const nothing = 1;\n');
    const empty = await expectRefused(project);
    expect(empty.stderr).toContain(project.path('migrations', '20260401000002_throws.ts'));
    expect(project.schema()).toEqual([]);
  });

  it('a dependency cycle and a missing dependency are one-line errors naming them', async () => {
    const project = TestProject.create('safety-graph', {
      files: {
        [`migrations/${OK}.ts`]: okMigration,
        'migrations/20260401000002_x.ts': migrationSource(["op.createTable('x', { id: t.integer() })"], [OK, '20260401000003_y']),
        'migrations/20260401000003_y.ts': migrationSource(["op.createTable('y', { id: t.integer() })"], ['20260401000002_x']),
      },
    });
    for (const argv of [['migrate'], ['showmigrations'], ['makemigrations', '--empty']]) {
      const cycle = await expectRefused(project, argv);
      const [error] = cycle.stderr.split('\n');
      expect(error).toContain('cycle');
      expect(error).toContain('default:20260401000002_x');
      expect(error).toContain('default:20260401000003_y');
    }
    expect(project.schema()).toEqual([]);
    expect(project.migrationFiles()).toHaveLength(3);

    project.write('migrations/20260401000003_y.ts', migrationSource(["op.createTable('y', { id: t.integer() })"], ['20260401000000_gone']));
    project.write('migrations/20260401000002_x.ts', migrationSource(["op.createTable('x', { id: t.integer() })"], [OK]));
    const missing = await expectRefused(project);
    const [error] = missing.stderr.split('\n');
    expect(error).toContain('default:20260401000003_y');
    expect(error).toContain('default:20260401000000_gone');
    expect(error).toContain(project.path('migrations', '20260401000003_y.ts'));
    expect(project.schema()).toEqual([]);

    project.write('migrations/20260401000003_y.ts', migrationSource(["op.createTable('y', { id: t.integer() })"], ['other:20260401000000_gone']));
    const otherApp = await expectRefused(project);
    expect(otherApp.stderr).toContain('other:20260401000000_gone');
  });

  it('rolling back an irreversible migration refuses before running anything, also as the older of --steps 2', async () => {
    const IRREVERSIBLE = '20260401000002_irreversible';
    const NEWER = '20260401000003_newer';
    const project = TestProject.create('safety-irreversible', {
      files: {
        [`migrations/${OK}.ts`]: okMigration,
        [`migrations/${IRREVERSIBLE}.ts`]: migrationSource(
          ["op.createTable('data', { v: t.integer() })", "op.runSql('INSERT INTO data (v) VALUES (1)')"],
          [OK],
        ),
        [`migrations/${NEWER}.ts`]: migrationSource(["op.addColumn('ok_table', 'note', t.text())"], [IRREVERSIBLE]),
      },
    });
    expect((await project.run('migrate')).code).toBe(0);
    expect(project.applied()).toHaveLength(3);

    const both = await expectRefused(project, ['rollback', '--steps', '2']);
    const [error] = both.stderr.split('\n');
    expect(error).toContain(`default:${IRREVERSIBLE}`);
    expect(error).toContain('operation #2');
    expect(error).toContain('irreversible');
    expect(error).toContain(project.path('migrations', `${IRREVERSIBLE}.ts`));
    expect(both.stdout).not.toContain('Rolled back');
    expect(project.columns('ok_table').map((c) => c.name)).toEqual(['id', 'note']);

    const to = await expectRefused(project, ['rollback', '--to', OK]);
    expect(to.stderr).toContain(`default:${IRREVERSIBLE}`);

    // The newer one alone rolls back; then the irreversible one alone is refused.
    expect((await project.run('rollback')).code).toBe(0);
    expect(project.applied()).toEqual([`default:${OK}`, `default:${IRREVERSIBLE}`]);
    const alone = await expectRefused(project, ['rollback']);
    expect(alone.stderr).toContain(`default:${IRREVERSIBLE}`);
    expect(project.rows('SELECT v FROM data')).toEqual([{ v: 1 }]);

    // --dry-run refuses the same way.
    const dry = await expectRefused(project, ['rollback', '--dry-run']);
    expect(dry.stderr).toContain('irreversible');
  });
});
