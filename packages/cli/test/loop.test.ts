// The everyday loop: makemigrations -> migrate -> change the models -> makemigrations ->
// migrate -> rollback, and the options of each command, checked on the SQLite file itself.
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { Database, MIGRATION_FILE_NAME, TestProject, configSource, listFiles, modelSource, removeProjects, spawnBin } from './helpers.js';

afterAll(removeProjects);

const MODELS_V1 = modelSource(`
export const users = defineTable('users', {
  id: t.serial().primaryKey(),
  email: t.varchar(255).notNull().unique(),
  name: t.varchar(100),
});

export const posts = defineTable('posts', {
  id: t.serial().primaryKey(),
  author_id: t.integer().notNull().references(users, 'id', { onDelete: 'cascade' }),
  title: t.varchar(200).notNull(),
  created_at: t.timestamp().notNull().default(sql\`CURRENT_TIMESTAMP\`),
});
`);

// Add a column (users.bio), alter one (users.name: wider and NOT NULL), add an index
// (posts_created_at_idx) and a unique pair (author_id, title).
const MODELS_V2 = modelSource(`
export const users = defineTable('users', {
  id: t.serial().primaryKey(),
  email: t.varchar(255).notNull().unique(),
  name: t.varchar(150).notNull().default(''),
  bio: t.text(),
});

export const posts = defineTable('posts', {
  id: t.serial().primaryKey(),
  author_id: t.integer().notNull().references(users, 'id', { onDelete: 'cascade' }),
  title: t.varchar(200).notNull(),
  created_at: t.timestamp().notNull().default(sql\`CURRENT_TIMESTAMP\`),
}, {
  uniques: [['author_id', 'title']],
  indexes: [{ name: 'posts_created_at_idx', columns: ['created_at'] }],
});
`);

/** A project with MODELS_V1 migrated (one migration) and MODELS_V2 written to the models. */
async function twoMigrations(label: string): Promise<{ project: TestProject; first: string; second: string }> {
  const project = TestProject.create(label, { files: { 'models/blog.ts': MODELS_V1 } });
  expect((await project.run('makemigrations', '--name', 'initial')).code).toBe(0);
  project.write('models/blog.ts', MODELS_V2);
  expect((await project.run('makemigrations', '--name', 'profile')).code).toBe(0);
  const [first, second] = project.migrationNames();
  return { project, first: first!, second: second! };
}

async function expectNoChanges(project: TestProject): Promise<void> {
  const files = project.migrationFiles();
  for (const argv of [['makemigrations'], ['makemigrations', '--from', 'database']]) {
    const result = await project.run(...argv);
    expect({ argv, code: result.code, stdout: result.stdout.trim(), stderr: result.stderr }).toEqual({
      argv,
      code: 0,
      stdout: 'No changes detected.',
      stderr: '',
    });
  }
  expect(project.migrationFiles()).toEqual(files);
}

describe('makemigrations -> migrate -> change -> rollback', () => {
  it('writes one migration, applies it, then detects nothing and reports status as JSON', async () => {
    const project = TestProject.create('loop-first', { files: { 'models/blog.ts': MODELS_V1 } });

    const made = await project.run('makemigrations');
    expect(made.code, made.output).toBe(0);
    const files = project.migrationFiles();
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(MIGRATION_FILE_NAME);
    expect(made.stdout).toContain(files[0]!.replace(/\.ts$/, ''));
    expect(project.tables()).toEqual([]);

    const migrated = await project.run('migrate');
    expect(migrated.code, migrated.output).toBe(0);
    const name = files[0]!.replace(/\.ts$/, '');
    expect(migrated.stdout).toContain(`Applied default:${name}`);
    expect(project.tables()).toEqual(['covet_migrations', 'posts', 'users']);
    expect(project.columns('users').map((c) => [c.name, c.type.toLowerCase(), c.notnull, c.pk])).toEqual([
      ['id', 'integer', 1, 1],
      ['email', 'varchar(255)', 1, 0],
      ['name', 'varchar(100)', 0, 0],
    ]);
    expect(project.columns('posts').map((c) => c.name)).toEqual(['id', 'author_id', 'title', 'created_at']);
    const foreignKeys = project.rows("SELECT \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list('posts')");
    expect(foreignKeys).toEqual([{ table: 'users', from: 'author_id', to: 'id', on_delete: 'CASCADE' }]);
    const tracking = project.tracking();
    expect(tracking).toHaveLength(1);
    expect(tracking[0]).toMatchObject({ app: 'default', name });
    expect(tracking[0]!.checksum).toMatch(/^v1:[0-9a-f]{64}$/);

    await expectNoChanges(project);

    const status = await project.run('showmigrations', '--json');
    expect(status.code, status.output).toBe(0);
    const parsed = JSON.parse(status.stdout) as Record<string, unknown>[];
    expect(parsed).toHaveLength(1);
    expect(Object.keys(parsed[0]!).sort()).toEqual(['app', 'applied', 'appliedAt', 'name']);
    expect(parsed[0]).toEqual({ app: 'default', name, applied: true, appliedAt: expect.any(String) });
    const appliedAt = Date.parse(parsed[0]!.appliedAt as string);
    expect(parsed[0]!.appliedAt).toBe(new Date(appliedAt).toISOString());
    expect(Math.abs(appliedAt - Date.now())).toBeLessThan(5 * 60_000);
  });

  it('a model change gives a second migration that migrate applies and rollback undoes exactly', async () => {
    const project = TestProject.create('loop-change', { files: { 'models/blog.ts': MODELS_V1 } });
    expect((await project.run('makemigrations', '--name', 'initial')).code).toBe(0);
    expect((await project.run('migrate')).code).toBe(0);
    // Rows survive the table rebuild that altering a column takes on SQLite.
    const db = project.open();
    db.exec("INSERT INTO users (email, name) VALUES ('a@example.com', 'Ann'); INSERT INTO posts (author_id, title) VALUES (1, 'Hello')");
    db.close();
    const before = project.snapshot();

    project.write('models/blog.ts', MODELS_V2);
    const made = await project.run('makemigrations');
    expect(made.code, made.output).toBe(0);
    const [first, second] = project.migrationNames();
    expect(project.migrationFiles()).toHaveLength(2);
    expect(`${second}.ts`).toMatch(MIGRATION_FILE_NAME);
    expect(second! > first!).toBe(true);
    const source = project.read(`migrations/${second}.ts`);
    expect(source).toContain(`dependencies: ['${first}']`);
    for (const expected of ["op.addColumn('users', 'bio'", "op.alterColumn('users', 'name'", "op.createIndex('posts'"]) {
      expect(source).toContain(expected);
    }

    const migrated = await project.run('migrate');
    expect(migrated.code, migrated.output).toBe(0);
    expect(migrated.stdout).toContain(`Applied default:${second}`);
    expect(migrated.stdout).not.toContain(`Applied default:${first}`);
    const users = project.columns('users');
    expect(users.map((c) => [c.name, c.type.toLowerCase(), c.notnull])).toEqual([
      ['id', 'integer', 1],
      ['email', 'varchar(255)', 1],
      ['name', 'varchar(150)', 1],
      ['bio', 'text', 0],
    ]);
    expect(project.indexes('posts')).toContain('posts_created_at_idx');
    const uniques = project
      .rows("SELECT name FROM pragma_index_list('posts') WHERE \"unique\" = 1")
      .map((row) => project.rows(`SELECT name FROM pragma_index_info('${String(row.name)}')`).map((c) => c.name));
    expect(uniques).toContainEqual(['author_id', 'title']);
    expect(project.rows('SELECT email, name FROM users')).toEqual([{ email: 'a@example.com', name: 'Ann' }]);
    expect(project.applied()).toEqual([`default:${first}`, `default:${second}`]);
    const after = project.snapshot();
    await expectNoChanges(project);

    const rolled = await project.run('rollback');
    expect(rolled.code, rolled.output).toBe(0);
    expect(rolled.stdout).toContain(`Rolled back default:${second}`);
    expect(project.snapshot()).toEqual(before);
    expect(project.rows('SELECT email, name FROM users')).toEqual([{ email: 'a@example.com', name: 'Ann' }]);
    expect(project.rows('SELECT author_id, title FROM posts')).toEqual([{ author_id: 1, title: 'Hello' }]);

    const again = await project.run('migrate');
    expect(again.code, again.output).toBe(0);
    expect(project.schema()).toEqual(after.schema);
    expect(project.applied()).toEqual([`default:${first}`, `default:${second}`]);
  });

  it('rollback --steps 2 and rollback --to NAME', async () => {
    const { project, first, second } = await twoMigrations('loop-rollback');
    const empty = project.snapshot();
    expect((await project.run('migrate')).code).toBe(0);
    expect(project.applied()).toEqual([`default:${first}`, `default:${second}`]);

    const steps = await project.run('rollback', '--steps', '2');
    expect(steps.code, steps.output).toBe(0);
    expect(steps.stdout.indexOf(`Rolled back default:${second}`)).toBeLessThan(steps.stdout.indexOf(`Rolled back default:${first}`));
    expect(steps.stdout.indexOf(`Rolled back default:${second}`)).toBeGreaterThanOrEqual(0);
    expect(project.tables()).toEqual(['covet_migrations']);
    expect(project.tracking()).toEqual([]);
    expect(empty.schema).toEqual([]);

    expect((await project.run('migrate')).code).toBe(0);
    const afterFirst = await (async () => {
      // The schema with only the first migration, for comparison.
      const other = TestProject.create('loop-rollback-ref', { files: { 'models/blog.ts': MODELS_V1 } });
      other.write(`migrations/${first}.ts`, project.read(`migrations/${first}.ts`));
      expect((await other.run('migrate')).code).toBe(0);
      return other.schema();
    })();
    const to = await project.run('rollback', '--to', first);
    expect(to.code, to.output).toBe(0);
    expect(to.stdout).toContain(`Rolled back default:${second}`);
    expect(to.stdout).not.toContain(`Rolled back default:${first}`);
    expect(project.applied()).toEqual([`default:${first}`]);
    expect(project.schema()).toEqual(afterFirst);

    const nothing = await project.run('rollback', '--to', first);
    expect(nothing.code, nothing.output).toBe(0);
    expect(nothing.stdout).toContain('No migrations to roll back.');
    expect(project.applied()).toEqual([`default:${first}`]);
  });

  it('migrate NAME applies only up to NAME; --fake records without running; --dry-run prints SQL only', async () => {
    const { project, first, second } = await twoMigrations('loop-target');

    const target = await project.run('migrate', first);
    expect(target.code, target.output).toBe(0);
    expect(project.applied()).toEqual([`default:${first}`]);
    expect(project.columns('users').map((c) => c.name)).toEqual(['id', 'email', 'name']);
    const afterFirst = project.snapshot();

    // --dry-run: prints the SQL of the pending migration and changes nothing.
    const dry = await project.run('migrate', '--dry-run');
    expect(dry.code, dry.output).toBe(0);
    expect(dry.stdout).toContain(`-- apply default:${second}`);
    expect(dry.stdout).toMatch(/ALTER TABLE "users" ADD COLUMN "bio" text;/);
    expect(dry.stdout).toMatch(/CREATE INDEX "posts_created_at_idx" ON "posts" \("created_at"\);/);
    expect(dry.stdout).toMatch(/INSERT INTO "covet_migrations"/);
    expect(dry.stdout).not.toContain('Applied');
    expect(project.snapshot()).toEqual(afterFirst);

    // --fake: the row is written, the schema is not touched.
    const fake = await project.run('migrate', '--fake');
    expect(fake.code, fake.output).toBe(0);
    expect(fake.stdout).toContain(`Faked default:${second}`);
    expect(project.schema()).toEqual(afterFirst.schema);
    expect(project.applied()).toEqual([`default:${first}`, `default:${second}`]);
    const fakedRow = project.tracking()[1]!;
    expect(fakedRow.checksum).toMatch(/^v1:[0-9a-f]{64}$/);

    // Forget it (rollback --fake) and apply it for real.
    const forget = await project.run('rollback', '--fake');
    expect(forget.code, forget.output).toBe(0);
    expect(project.snapshot()).toEqual(afterFirst);
    expect((await project.run('migrate')).code).toBe(0);
    expect(project.columns('users').map((c) => c.name)).toEqual(['id', 'email', 'name', 'bio']);

    const unknown = await project.run('migrate', '29990101000000_nope');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('29990101000000_nope');
  });

  it('--config from another folder: paths resolve from the config file; --migrations-dir from the working folder', async () => {
    const project = TestProject.create('loop-config-path', { config: null });
    project.write('app/covet.config.ts', configSource());
    project.write('app/models/blog.ts', MODELS_V1);
    const made = await project.run('makemigrations', '--config', 'app/covet.config.ts', '--name', 'initial');
    expect(made.code, made.output).toBe(0);
    const migrated = await project.run('migrate', '--config', 'app/covet.config.ts');
    expect(migrated.code, migrated.output).toBe(0);
    expect(migrated.stdout).toContain(project.path('app', 'app.db'));
    const db = new Database(project.path('app', 'app.db'), { readonly: true });
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('users', 'posts') ORDER BY name").all();
    db.close();
    expect(tables).toEqual([{ name: 'posts' }, { name: 'users' }]);
    expect(listFiles(project.path('app', 'migrations'))).toHaveLength(1);
    expect(listFiles(project.dir).filter((file) => !file.startsWith('app/'))).toEqual([]);

    const elsewhere = await project.run('showmigrations', '--json', '--config', 'app/covet.config.ts', '--migrations-dir', 'other');
    expect(elsewhere.code, elsewhere.output).toBe(0);
    // The applied migration is listed, but its file is not in ./other.
    const rows = JSON.parse(elsewhere.stdout) as { applied: boolean }[];
    expect(rows).toHaveLength(1);
    expect(rows[0]!.applied).toBe(true);
    const missing = await project.run('showmigrations', '--config', 'app/covet.config.ts', '--migrations-dir', 'other');
    expect(missing.stdout).toContain('file missing');
  });

  it('makemigrations --dry-run writes nothing; --empty writes an empty migration after the latest', async () => {
    const { project, second } = await twoMigrations('loop-make-options');
    const files = project.migrationFiles();

    project.write('models/extra.ts', modelSource("export const tags = defineTable('tags', { id: t.serial().primaryKey(), label: t.text().notNull() });"));
    const dry = await project.run('makemigrations', '--dry-run');
    expect(dry.code, dry.output).toBe(0);
    expect(dry.stdout).toContain('Create table tags');
    expect(dry.stdout).toContain('dry run: nothing written');
    expect(project.migrationFiles()).toEqual(files);
    expect(project.tables()).toEqual([]);
    project.remove('models/extra.ts');

    const empty = await project.run('makemigrations', '--empty', '--name', 'backfill data');
    expect(empty.code, empty.output).toBe(0);
    const after = project.migrationFiles();
    expect(after).toHaveLength(3);
    const added = after.find((file) => !files.includes(file))!;
    expect(added).toMatch(/^\d{14}_backfill_data\.ts$/);
    const source = project.read(`migrations/${added}`);
    expect(source).toContain(`dependencies: ['${second}']`);
    expect(source).toMatch(/operations: \[\n {4}\/\/ op\.runSql\(.*\),\n {2}\],/);

    const emptyDefault = await project.run('makemigrations', '--empty');
    expect(emptyDefault.code, emptyDefault.output).toBe(0);
    expect(project.migrationFiles().filter((file) => /_custom\.ts$/.test(file))).toHaveLength(1);

    // The empty migrations apply like any other, and the models still match.
    const migrated = await project.run('migrate');
    expect(migrated.code, migrated.output).toBe(0);
    expect(project.applied()).toHaveLength(4);
    await expectNoChanges(project);
  });

  it('runs from any folder with --config: migration files find @covet/core from their own project', async () => {
    const project = TestProject.create('elsewhere', { files: { 'models/blog.ts': MODELS_V1 } });
    expect((await project.run('makemigrations', '--name', 'initial')).code).toBe(0);
    // A working directory with no node_modules above it, and no NODE_PATH to fall back on.
    const result = await spawnBin(['--config', project.path('covet.config.ts'), 'migrate'], tmpdir(), { NODE_PATH: '' });
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toMatch(/Applied default:\d{14}_initial/);
  });
});
