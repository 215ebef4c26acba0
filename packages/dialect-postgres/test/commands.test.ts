// The commands Django, Prisma and Atlas users expect, on PostgreSQL (transactional DDL), with
// the real `covet` binary: migrate to a past target and zero, sqlmigrate without a database,
// and --json (--fake-initial and squashmigrations are in the shared history suite, see
// history.test.ts). Failures assert what did not change.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCliProject, migrationSource as migration, type CliRunResult } from '@covet/core/testing';
import { afterEach, expect, it } from 'vitest';
import { createTestDatabase, describeWithPostgres, withClient, type TestDatabase } from './helpers.js';

const TMP_ROOT = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'test', '.tmp');
const BIN = join(dirname(createRequire(import.meta.url).resolve('@covet/cli/package.json')), 'bin', 'covet.cjs');

const M1 = '20260101000001_users';
const M2 = '20260101000002_posts';
const M3 = '20260101000003_bio';
const M4 = '20260101000004_title';

const CHAIN: Record<string, string> = {
  [M1]: migration(["op.createTable('users', { id: t.serial().primaryKey(), email: t.varchar(255).notNull() })"]),
  [M2]: migration(["op.createTable('posts', { id: t.serial().primaryKey(), author_id: t.integer().notNull().references('users', 'id') })"], [M1]),
  [M3]: migration(["op.addColumn('users', 'bio', t.text())", "op.createIndex('users', { name: 'users_email_idx', columns: ['email'] })"], [M2]),
  [M4]: migration(["op.addColumn('posts', 'title', t.text())"], [M3]),
};

describeWithPostgres('commands on PostgreSQL', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function project(url?: string): Promise<{ dir: string; database: TestDatabase; run: (...argv: string[]) => CliRunResult; snapshot: () => Promise<unknown> }> {
    const database = await createTestDatabase();
    cleanup.push(() => database.drop());
    const files = Object.fromEntries(Object.entries(CHAIN).map(([name, source]) => [`migrations/${name}.ts`, source]));
    const cli = createCliProject({ bin: BIN, root: TMP_ROOT, config: { database: { engine: 'postgres', url: url ?? database.url }, migrations: './migrations' }, files });
    cleanup.push(() => cli.dispose());
    const { dir, run } = cli;
    const snapshot = () =>
      withClient(database.url, async (client) => {
        const columns = await client.query<{ table_name: string; column_name: string; data_type: string }>(
          "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE 'covet%' ORDER BY table_name, ordinal_position",
        );
        const indexes = await client.query<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT LIKE 'covet%' ORDER BY 1");
        const exists = (await client.query("SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tablename = 'covet_migrations'")).rowCount;
        const tracking = exists ? (await client.query<{ name: string }>('SELECT name FROM covet_migrations ORDER BY id')).rows.map((row) => row.name) : [];
        return { columns: columns.rows.map((row) => `${row.table_name}.${row.column_name} ${row.data_type}`), indexes: indexes.rows.map((row) => row.indexname), tracking };
      });
    return { dir, database, run, snapshot };
  }

  it('migrate goes back to a target and to zero; a failing reverse changes nothing', { timeout: 60_000 }, async () => {
    const p = await project();
    expect(p.run('migrate').code).toBe(0);
    const back = p.run('migrate', M2);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toContain(`Rolled back default:${M4}`);
    expect(back.stdout).toContain(`Rolled back default:${M3}`);
    expect(await p.snapshot()).toEqual({
      columns: ['posts.id integer', 'posts.author_id integer', 'users.id integer', 'users.email character varying'],
      indexes: ['posts_pkey', 'users_pkey'],
      tracking: [M1, M2],
    });

    // A reverse that fails: PostgreSQL rolls its transaction back, nothing changes.
    writeFileSync(join(p.dir, 'migrations', '20260101000005_audit.ts'), migration(["op.runSql('CREATE TABLE audit (id int)', 'DROP TABLE no_such_table')"], [M4]));
    expect(p.run('migrate').code).toBe(0);
    const before = await p.snapshot();
    const failed = p.run('migrate', M1);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('error: Migration default:20260101000005_audit failed at operation #1 (runSql)');
    expect(await p.snapshot()).toEqual(before);

    expect(p.run('rollback', '--fake').code).toBe(0);
    await withClient(p.database.url, (client) => client.query('DROP TABLE audit'));
    const zero = p.run('migrate', 'zero', '--json');
    expect(zero.code, zero.stdout).toBe(0);
    const document = JSON.parse(zero.stdout) as { ok: boolean; rolledBack: { name: string }[] };
    expect(document.rolledBack.map((entry) => entry.name)).toEqual([M4, M3, M2, M1]);
    expect(await p.snapshot()).toEqual({ columns: [], indexes: [], tracking: [] });
  });

  it('sqlmigrate prints PostgreSQL SQL in BEGIN/COMMIT without connecting', { timeout: 60_000 }, async () => {
    // The configured server does not exist: sqlmigrate never connects.
    const p = await project('postgres://nobody@127.0.0.1:1/none');
    const forwards = p.run('sqlmigrate', M3);
    expect(forwards.code, forwards.stderr).toBe(0);
    expect(forwards.stdout.trim().split('\n')).toEqual([
      'BEGIN;',
      '-- #1 Add column users.bio',
      'ALTER TABLE "users" ADD COLUMN "bio" text;',
      '-- #2 Create index users_email_idx on users (email)',
      'CREATE INDEX "users_email_idx" ON "users" ("email");',
      'COMMIT;',
    ]);
    const backwards = p.run('sqlmigrate', M3, '--backwards');
    expect(backwards.code, backwards.stderr).toBe(0);
    expect(backwards.stdout).toContain('DROP INDEX "users_email_idx";');
    expect(backwards.stdout).toContain('ALTER TABLE "users" DROP COLUMN "bio";');
    // Dropping an index looks at the live database first (it may be a UNIQUE constraint): said, not hidden.
    expect(backwards.stdout.split('\n').filter((line) => line.startsWith('-- note:')).map((line) => line.split(' when ')[0])).toEqual([
      '-- note: operation #2 (dropIndex) looks at the live database',
    ]);
  });
});
