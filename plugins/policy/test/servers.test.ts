// The rules on real servers: PostgreSQL's index-concurrently (lint with no connection, migrate
// refused before any SQL, the safe form applied), and an error-level rule stopping migrate on
// MariaDB with nothing executed.
import { afterAll, afterEach, expect, it } from 'vitest';
import type { LintReport } from '../src/index.js';
import {
  Project,
  createMysqlDatabase,
  createPgDatabase,
  describeWithMysql,
  describeWithPostgres,
  migration,
  removeProjects,
  withMysql,
  withPg,
  type TestDatabase,
} from './helpers.js';

afterAll(removeProjects);

const INITIAL = migration(["op.createTable('users', { id: t.serial().primaryKey(), email: t.varchar(100) })"]);
const databases: TestDatabase[] = [];
afterEach(async () => {
  for (const database of databases.splice(0)) await database.drop();
});

describeWithPostgres('index-concurrently on PostgreSQL', () => {
  const unsafe = migration(["op.createIndex('users', { columns: ['email'] })"], ['0001_initial']);
  const safe = migration(
    [`op.runSql('CREATE INDEX CONCURRENTLY "users_email_idx" ON "users" ("email")', 'DROP INDEX CONCURRENTLY "users_email_idx"')`],
    ['0001_initial'],
    'atomic: false,',
  );

  it('covet lint flags createIndex on an existing table with no database (warn by default, error when set)', async () => {
    // A database that does not exist: lint never connects.
    const database = "{ engine: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/covet_policy_never_created' }";
    const files = { 'migrations/0001_initial.ts': INITIAL, 'migrations/0002_index.ts': unsafe };
    const byDefault = await Project.create('pg-lint', database, {}, files).run('lint', '--json');
    expect(byDefault.code).toBe(0);
    const report = JSON.parse(byDefault.stdout) as LintReport;
    expect(report.dialect).toBe('postgres');
    expect(report.findings.map((finding) => finding.message)).toEqual([
      '[index-concurrently] default:0002_index, operation #1 (createIndex): creates index "users_email_idx" on existing table users without CONCURRENTLY: ' +
        'writes to users wait while it is built. Fix: op.createIndex has no CONCURRENTLY: write it in a migration of its own with atomic: false as ' +
        `op.runSql('CREATE INDEX CONCURRENTLY "users_email_idx" ON "users" ("email")', 'DROP INDEX CONCURRENTLY "users_email_idx"')`,
    ]);

    const strict = await Project.create('pg-lint-strict', database, { rules: { 'index-concurrently': 'error' } }, files).run('lint', '--json');
    expect(strict.code).toBe(1);
    expect((JSON.parse(strict.stdout) as LintReport).errors).toBe(1);

    const passing = await Project.create('pg-lint-safe', database, { rules: { 'index-concurrently': 'error' } }, {
      'migrations/0001_initial.ts': INITIAL,
      'migrations/0002_index.ts': safe,
    }).run('lint', '--json');
    expect(passing.code).toBe(0);
    expect((JSON.parse(passing.stdout) as LintReport).findings).toEqual([]);

    // A table created by the same migration has no rows to lock: no finding.
    const fresh = await Project.create('pg-lint-fresh', database, { rules: { 'index-concurrently': 'error' } }, {
      'migrations/0001_initial.ts': migration(["op.createTable('users', { id: t.serial().primaryKey(), email: t.varchar(100) })", "op.createIndex('users', { columns: ['email'] })"]),
    }).run('lint', '--json');
    expect((JSON.parse(fresh.stdout) as LintReport).findings).toEqual([]);
  });

  it('migrate is refused before any SQL, and the CONCURRENTLY form runs', async () => {
    const database = await createPgDatabase();
    databases.push(database);
    const target = Project.create('pg-migrate', `{ engine: 'postgres', url: ${JSON.stringify(database.url)} }`, { rules: { 'index-concurrently': 'error' } }, {
      'migrations/0001_initial.ts': INITIAL,
    });
    expect((await target.run('migrate')).code).toBe(0);
    target.write('migrations/0002_index.ts', unsafe);
    const refused = await target.run('migrate');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('[index-concurrently] creates index "users_email_idx" on existing table users without CONCURRENTLY');
    const state = () =>
      withPg(database.url, async (client) => ({
        indexes: (await client.query("SELECT indexname FROM pg_indexes WHERE tablename = 'users' ORDER BY indexname")).rows.map((row) => row.indexname as string),
        applied: (await client.query('SELECT name FROM covet_migrations ORDER BY id')).rows.map((row) => row.name as string),
      }));
    expect(await state()).toEqual({ indexes: ['users_pkey'], applied: ['0001_initial'] });

    target.write('migrations/0002_index.ts', safe);
    expect((await target.run('migrate')).code).toBe(0);
    expect(await state()).toEqual({ indexes: ['users_email_idx', 'users_pkey'], applied: ['0001_initial', '0002_index'] });
  });
});

describeWithMysql('an error-level rule on MariaDB', () => {
  it('stops migrate with nothing executed', async () => {
    const database = await createMysqlDatabase();
    databases.push(database);
    const target = Project.create('mysql-migrate', `{ engine: 'mysql', url: ${JSON.stringify(database.url)} }`, { rules: { destructive: 'error' } }, {
      'migrations/0001_initial.ts': INITIAL,
      'migrations/0002_drop.ts': migration(["op.addColumn('users', 'name', t.text())", "op.dropColumn('users', 'email')"], ['0001_initial']),
    });
    const refused = await target.run('migrate');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      '[destructive] drops column "users.email" (varchar(100)) and its value in every row of users. Fix: keep it, or once the data is saved or no longer needed allow it in the migration: meta: { allowDestructive: ["users.email"] } (plugin "@covet/plugin-policy", hook validateOperation, migration default:0002_drop, operation #2 (dropColumn))',
    );
    await withMysql(database.url, async (connection) => {
      const [tables] = await connection.query('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()');
      const names = (tables as { name: string }[]).map((row) => row.name);
      // Neither migration ran: no users table, and no migration recorded.
      expect(names).not.toContain('users');
      if (names.includes('covet_migrations')) {
        const [rows] = await connection.query('SELECT name FROM covet_migrations');
        expect(rows).toEqual([]);
      }
    });

    target.write(
      'migrations/0002_drop.ts',
      migration(["op.addColumn('users', 'name', t.text())", "op.dropColumn('users', 'email')"], ['0001_initial'], "meta: { allowDestructive: ['users.email'] },"),
    );
    expect((await target.run('migrate')).code).toBe(0);
    await withMysql(database.url, async (connection) => {
      const [columns] = await connection.query("SELECT column_name AS name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'users' ORDER BY ordinal_position");
      expect((columns as { name: string }[]).map((row) => row.name)).toEqual(['id', 'name']);
    });
  });
});
