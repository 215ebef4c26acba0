// `migrate <target>` moves forwards or backwards to the target (Django's `migrate app NAME`),
// `migrate zero` rolls back the whole app, and `migrate --fake-initial` adopts a database
// whose tables already exist; checked on the SQLite file itself.
import { afterAll, describe, expect, it } from 'vitest';
import { TestProject, configSource, migrationSource, removeProjects } from './helpers.js';

afterAll(removeProjects);

const M1 = '20260101000001_users';
const M2 = '20260101000002_posts';
const M3 = '20260101000003_bio';

/** Three migrations in a chain: users, posts, users.bio. */
function chain(label: string, third = "op.addColumn('users', 'bio', t.text())"): TestProject {
  return TestProject.create(label, {
    files: {
      [`migrations/${M1}.ts`]: migrationSource(["op.createTable('users', { id: t.serial().primaryKey(), email: t.varchar(255).notNull() })"]),
      [`migrations/${M2}.ts`]: migrationSource(["op.createTable('posts', { id: t.serial().primaryKey(), title: t.text() })"], [M1]),
      [`migrations/${M3}.ts`]: migrationSource([third], [M2]),
    },
  });
}

describe('migrate <target>', () => {
  it('goes forwards to a target, then backwards to an earlier one, then to zero and back', async () => {
    const project = chain('targets-both-ways');
    const forwards = await project.run('migrate', M2);
    expect(forwards.code, forwards.output).toBe(0);
    expect(project.applied()).toEqual([`default:${M1}`, `default:${M2}`]);

    const all = await project.run('migrate');
    expect(all.code, all.output).toBe(0);
    expect(project.columns('users').map((column) => column.name)).toEqual(['id', 'email', 'bio']);

    const back = await project.run('migrate', M1);
    expect(back.code, back.output).toBe(0);
    expect(back.stdout).toContain(`Rolling back`);
    expect(back.stdout).toContain(`Rolled back default:${M3}`);
    expect(back.stdout).toContain(`Rolled back default:${M2}`);
    expect(back.stdout).not.toContain('No migrations to apply');
    expect(project.applied()).toEqual([`default:${M1}`]);
    expect(project.tables()).toEqual(['covet_migrations', 'users']);
    expect(project.columns('users').map((column) => column.name)).toEqual(['id', 'email']);

    // A prefix names the target too, as with rollback --to; the target itself stays applied.
    const again = await project.run('migrate', '20260101000001');
    expect(again.code, again.output).toBe(0);
    expect(again.stdout).toContain('No migrations to apply.');

    const zero = await project.run('migrate', 'zero');
    expect(zero.code, zero.output).toBe(0);
    expect(zero.stdout).toContain(`Rolled back default:${M1}`);
    expect(project.applied()).toEqual([]);
    expect(project.tables()).toEqual(['covet_migrations']);

    const zeroAgain = await project.run('migrate', 'default:zero');
    expect(zeroAgain.code, zeroAgain.output).toBe(0);
    expect(zeroAgain.stdout).toContain('No migrations to roll back.');

    expect((await project.run('migrate', `default:${M3}`)).code).toBe(0);
    expect(project.applied()).toEqual([`default:${M1}`, `default:${M2}`, `default:${M3}`]);
  });

  it('refuses to go back past an irreversible migration before anything runs', async () => {
    const project = chain('targets-irreversible', "op.runSql('CREATE TABLE audit (id INTEGER)')");
    expect((await project.run('migrate')).code).toBe(0);
    const before = project.snapshot();
    const result = await project.run('migrate', M1);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`error: Cannot roll back default:${M3}: operation #1 .* is irreversible`));
    expect(result.stderr).toContain('hint: Nothing was rolled back');
    expect(project.snapshot()).toEqual(before);

    const zero = await project.run('migrate', 'zero');
    expect(zero.code).toBe(1);
    expect(project.snapshot()).toEqual(before);
  });

  it('names an unknown target and an unknown app, changing nothing', async () => {
    const project = chain('targets-unknown');
    expect((await project.run('migrate', M2)).code).toBe(0);
    const before = project.snapshot();
    const unknown = await project.run('migrate', '20991231000000_nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('error: No migration named default:20991231000000_nope');
    const app = await project.run('migrate', 'shop:zero');
    expect(app.code).toBe(1);
    expect(app.stderr).toContain('error: Unknown app "shop"');
    expect(project.snapshot()).toEqual(before);
  });

  it('rolls back with --fake and --dry-run to a target without touching the schema', async () => {
    const project = chain('targets-fake');
    expect((await project.run('migrate')).code).toBe(0);
    const schema = project.schema();
    const dry = await project.run('migrate', M1, '--dry-run');
    expect(dry.code, dry.output).toBe(0);
    expect(dry.stdout).toContain('ALTER TABLE "users" DROP COLUMN "bio";');
    expect(dry.stdout).toContain('DROP TABLE "posts";');
    expect(project.applied()).toHaveLength(3);

    const fake = await project.run('migrate', M1, '--fake');
    expect(fake.code, fake.output).toBe(0);
    expect(fake.stdout).toContain(`Faked rollback of default:${M2}`);
    expect(project.applied()).toEqual([`default:${M1}`]);
    expect(project.schema()).toEqual(schema);
  });

  it('rolls back only the app of the target; another app depending on it is refused, nothing changes', async () => {
    const project = TestProject.create('targets-apps', {
      config: configSource('  apps: { accounts: {}, shop: {} },'),
      files: {
        [`migrations/accounts/${M1}.ts`]: migrationSource(["op.createTable('users', { id: t.serial().primaryKey() })"]),
        [`migrations/accounts/${M3}.ts`]: migrationSource(["op.addColumn('users', 'bio', t.text())"], [M1]),
        [`migrations/shop/${M2}.ts`]: migrationSource(["op.createTable('orders', { id: t.serial().primaryKey() })"], [`accounts:${M1}`]),
      },
    });
    const migrated = await project.run('migrate');
    expect(migrated.code, migrated.output).toBe(0);
    const back = await project.run('migrate', `accounts:${M1}`);
    expect(back.code, back.output).toBe(0);
    expect(project.applied().sort()).toEqual([`accounts:${M1}`, `shop:${M2}`]);

    const before = project.snapshot();
    const zero = await project.run('migrate', 'accounts:zero');
    expect(zero.code).toBe(1);
    expect(zero.stderr).toContain(`error: Cannot roll back accounts:${M1}: shop:${M2} depends on it and stays applied`);
    expect(project.snapshot()).toEqual(before);
    expect((await project.run('migrate', 'shop:zero')).code).toBe(0);
    expect((await project.run('migrate', 'accounts:zero')).code).toBe(0);
    expect(project.applied()).toEqual([]);
  });
});

describe('migrate --fake-initial', () => {
  const existing = (project: TestProject, sql: string) => {
    const db = project.open();
    try {
      db.exec(sql);
    } finally {
      db.close();
    }
  };

  it('records the initial migration as applied when its tables exist, and applies the rest', async () => {
    const project = chain('fake-initial-adopt');
    existing(project, 'CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email VARCHAR(255) NOT NULL); INSERT INTO users (email) VALUES (\'a@b.c\');');
    const result = await project.run('migrate', '--fake-initial');
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain(`Faked default:${M1}`);
    expect(result.stdout).toContain(`Applied default:${M2}`);
    expect(project.applied()).toEqual([`default:${M1}`, `default:${M2}`, `default:${M3}`]);
    expect(project.rows('SELECT email FROM users')).toEqual([{ email: 'a@b.c' }]);
    expect(project.columns('users').map((column) => column.name)).toEqual(['id', 'email', 'bio']);
  });

  it('applies the initial migration normally when none of its tables exist', async () => {
    const project = chain('fake-initial-fresh');
    const result = await project.run('migrate', '--fake-initial');
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain(`Applied default:${M1}`);
    expect(result.stdout).not.toContain('Faked');
  });

  it('refuses when only some tables exist, or the columns differ, and changes nothing', async () => {
    const partial = TestProject.create('fake-initial-partial', {
      files: {
        [`migrations/${M1}.ts`]: migrationSource([
          "op.createTable('users', { id: t.serial().primaryKey(), email: t.varchar(255).notNull() })",
          "op.createTable('posts', { id: t.serial().primaryKey() })",
        ]),
      },
    });
    existing(partial, 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL)');
    let before = partial.snapshot();
    const some = await partial.run('migrate', '--fake-initial');
    expect(some.code).toBe(1);
    expect(some.stderr).toContain(`error: Cannot fake default:${M1}: users exist in the database but posts do not`);
    expect(some.stderr).toContain('hint: Nothing was applied');
    expect(partial.snapshot()).toEqual(before);

    const differs = chain('fake-initial-columns');
    existing(differs, 'CREATE TABLE users (id INTEGER PRIMARY KEY, mail TEXT NOT NULL)');
    before = differs.snapshot();
    const columns = await differs.run('migrate', '--fake-initial');
    expect(columns.code).toBe(1);
    expect(columns.stderr).toContain(`error: Cannot fake default:${M1}: the columns differ (users lacks email; users has mail the migrations do not create)`);
    expect(differs.snapshot()).toEqual(before);
    expect(differs.tracking()).toEqual([]);
  });

  it('refuses --fake-initial with --fake or --dry-run', async () => {
    const project = chain('fake-initial-options');
    expect((await project.run('migrate', '--fake-initial', '--fake')).stderr).toContain('error: Give --fake or --fake-initial, not both');
    expect((await project.run('migrate', '--fake-initial', '--dry-run')).stderr).toContain('error: --fake-initial cannot be combined with --dry-run');
    expect(project.tables()).toEqual([]);
  });
});
