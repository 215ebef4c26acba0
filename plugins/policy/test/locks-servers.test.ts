// The lock rules where they read the engine: covet lint for PostgreSQL with no database, then
// migrate on a real PostgreSQL (the session's lock_timeout, a validated CHECK in the catalog)
// and on a real MariaDB (the server version decides INSTANT / INPLACE / COPY).
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
const databases: TestDatabase[] = [];
afterEach(async () => {
  for (const database of databases.splice(0)) await database.drop();
});

const INITIAL = migration([
  "op.createTable('users', { id: t.serial().primaryKey(), email: t.varchar(100), n: t.integer() })",
  "op.createTable('orders', { id: t.serial().primaryKey(), user_id: t.integer() })",
]);
const STRICT = {
  rules: { 'table-rewrite': 'error', 'not-null-check': 'error', 'foreign-key-not-valid': 'error', 'lock-timeout': 'error', 'data-dependent': 'off' },
};
const NEVER = (options = '') => `{ engine: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/covet_policy_never_created'${options} }`;

describeWithPostgres('PostgreSQL lock rules', () => {
  it('covet lint reports each unsafe change with no database, and passes the safe forms', async () => {
    const unsafe = migration(
      [
        "op.alterColumn('users', 'n', t.bigint())",
        "op.alterColumn('users', 'email', t.varchar(100).notNull())",
        "op.addForeignKey('orders', { columns: ['user_id'], references: { table: 'users', columns: ['id'] } })",
      ],
      ['0001_initial'],
    );
    const project = Project.create('pg-locks-lint', NEVER(', options: { lockTimeout: 0 }'), STRICT, {
      'migrations/0001_initial.ts': INITIAL,
      'migrations/0002_unsafe.ts': unsafe,
    });
    const failing = await project.run('lint', '--json');
    expect(failing.code).toBe(1);
    const report = JSON.parse(failing.stdout) as LintReport;
    expect(report.findings.map((finding) => [finding.rule, finding.index])).toEqual([
      ['table-rewrite', 0],
      ['lock-timeout', 0],
      ['not-null-check', 1],
      ['foreign-key-not-valid', 2],
    ]);
    expect(report.errors).toBe(4);
    expect(report.findings[0]!.message).toBe(
      '[table-rewrite] default:0002_unsafe, operation #1 (alterColumn): changes column "users.n" from integer to bigint: the new type is not binary-compatible with the old one, so every row is converted and rewritten, ' +
        'with users locked against reads and writes (ACCESS EXCLUSIVE) until it is done. Fix: add a new column of the new type, backfill it in batches and switch the code to it, then drop the old one; ' +
        'or keep a change PostgreSQL makes without a rewrite (a longer varchar, varchar to text, more numeric precision)',
    );
    expect(report.findings[1]!.problem).toBe(
      'takes a lock on users with no lock_timeout (database.options.lockTimeout sets none): queued behind a long transaction, it blocks every query on the table until it gets the lock',
    );
    const text = await project.run('lint');
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('error: [not-null-check] default:0002_unsafe, operation #2 (alterColumn): sets column "users.email" NOT NULL with no validated CHECK (email IS NOT NULL) first');

    // The safe forms: a widening, the check validated in an earlier migration, a lock_timeout set.
    project.write(
      'migrations/0002_unsafe.ts',
      migration(
        [
          `op.runSql("SET lock_timeout = '2s'", 'RESET lock_timeout')`,
          "op.alterColumn('users', 'email', t.varchar(200))",
          `op.runSql('ALTER TABLE "users" ADD CONSTRAINT "users_email_nn" CHECK ("email" IS NOT NULL) NOT VALID', 'ALTER TABLE "users" DROP CONSTRAINT "users_email_nn"')`,
          `op.runSql('ALTER TABLE "users" VALIDATE CONSTRAINT "users_email_nn"', 'SELECT 1')`,
        ],
        ['0001_initial'],
        'atomic: false,',
      ),
    );
    project.write(
      'migrations/0003_not_null.ts',
      migration([`op.runSql("SET lock_timeout = '2s'", 'RESET lock_timeout')`, "op.alterColumn('users', 'email', t.varchar(200).notNull())"], ['0002_unsafe']),
    );
    const passing = await project.run('lint', '--json');
    expect(JSON.parse(passing.stdout) as LintReport).toMatchObject({ errors: 0, warnings: 0, findings: [] });
    expect(passing.code).toBe(0);
  });

  it('migrate reads lock_timeout from the connection and the validated CHECK from the catalog', async () => {
    const database = await createPgDatabase();
    databases.push(database);
    const url = JSON.stringify(database.url);
    const project = Project.create('pg-locks-migrate', `{ engine: 'postgres', url: ${url}, options: { lockTimeout: 0 } }`, STRICT, {
      'migrations/0001_initial.ts': INITIAL,
    });
    expect((await project.run('migrate')).code).toBe(0);
    const applied = () => withPg(database.url, async (client) => (await client.query('SELECT name FROM covet_migrations ORDER BY id')).rows.map((row) => row.name as string));

    // No lock_timeout on the session: refused before any SQL.
    project.write('migrations/0002_check.ts', migration([
      `op.runSql('ALTER TABLE "users" ADD CONSTRAINT "users_email_nn" CHECK ("email" IS NOT NULL) NOT VALID', 'ALTER TABLE "users" DROP CONSTRAINT "users_email_nn"')`,
      `op.runSql('ALTER TABLE "users" VALIDATE CONSTRAINT "users_email_nn"', 'SELECT 1')`,
    ], ['0001_initial'], 'atomic: false,'));
    const refused = await project.run('migrate');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('[lock-timeout] takes a lock on users with no lock_timeout (the connection sets none)');
    expect(await applied()).toEqual(['0001_initial']);

    project.write('migrations/0002_check.ts', migration([
      `op.runSql("SET lock_timeout = '2s'", 'RESET lock_timeout')`,
      `op.runSql('ALTER TABLE "users" ADD CONSTRAINT "users_email_nn" CHECK ("email" IS NOT NULL) NOT VALID', 'ALTER TABLE "users" DROP CONSTRAINT "users_email_nn"')`,
      `op.runSql('ALTER TABLE "users" VALIDATE CONSTRAINT "users_email_nn"', 'SELECT 1')`,
    ], ['0001_initial'], 'atomic: false,'));
    expect((await project.run('migrate')).code).toBe(0);

    // SET NOT NULL in a later run: the validated check is read from pg_constraint.
    project.write('migrations/0003_not_null.ts', migration([`op.runSql("SET lock_timeout = '2s'", 'RESET lock_timeout')`, "op.alterColumn('users', 'email', t.varchar(100).notNull())"], ['0002_check']));
    const done = await project.run('migrate');
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(await applied()).toEqual(['0001_initial', '0002_check', '0003_not_null']);

    // Without the check, the same change to another column is refused.
    project.write('migrations/0004_n.ts', migration([`op.runSql("SET lock_timeout = '2s'", 'RESET lock_timeout')`, "op.alterColumn('users', 'n', t.integer().notNull())"], ['0003_not_null']));
    const unsafe = await project.run('migrate');
    expect(unsafe.code).toBe(1);
    expect(unsafe.stderr).toContain('[not-null-check] sets column "users.n" NOT NULL with no validated CHECK (n IS NOT NULL) first');
    expect(await applied()).toEqual(['0001_initial', '0002_check', '0003_not_null']);
    const nullable = await withPg(database.url, async (client) => (await client.query("SELECT is_nullable FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'n'")).rows[0]?.is_nullable);
    expect(nullable).toBe('YES');
  });
});

describeWithMysql('mysql-algorithm on MariaDB', () => {
  it('reads the server version: a type change (COPY) is refused, an added column (INSTANT) passes', async () => {
    const database = await createMysqlDatabase();
    databases.push(database);
    const project = Project.create('mysql-algorithm', `{ engine: 'mysql', url: ${JSON.stringify(database.url)} }`, { rules: { 'mysql-algorithm': ['error', { algorithm: 'instant' }] } }, {
      'migrations/0001_initial.ts': INITIAL,
    });
    expect((await project.run('migrate')).code).toBe(0);
    const version = await withMysql(database.url, async (connection) => ((await connection.query('SELECT VERSION() AS v'))[0] as { v: string }[])[0]!.v);
    const label = `${/maria/i.test(version) ? 'MariaDB' : 'MySQL'} ${/(\d+\.\d+\.\d+)/.exec(version)![1]}`;

    project.write('migrations/0002_type.ts', migration(["op.alterColumn('users', 'n', t.bigint())"], ['0001_initial']));
    const refused = await project.run('migrate');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`[mysql-algorithm] a column type change copies the table on existing table users runs with ALGORITHM=COPY: users is copied row by row while writes to it wait on ${label}.`);
    const columnType = () =>
      withMysql(database.url, async (connection) => ((await connection.query("SELECT data_type AS t FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'users' AND column_name = 'n'"))[0] as { t: string }[])[0]!.t);
    expect(await columnType()).toBe('int');

    // ADD COLUMN is INSTANT on MariaDB 10.3.2+ and MySQL 8.0.12+ (the servers CI runs).
    project.write('migrations/0002_type.ts', migration(["op.addColumn('users', 'age', t.integer())"], ['0001_initial']));
    const added = await project.run('migrate');
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);

    // covet lint assumes the version the options give.
    const lint = await Project.create('mysql-algorithm-lint', `{ engine: 'mysql', url: 'mysql://root@127.0.0.1:3306/covet_policy_never_created' }`, { rules: { 'mysql-algorithm': ['error', { algorithm: 'instant', version: 'mariadb 10.2' }] } }, {
      'migrations/0001_initial.ts': INITIAL,
      'migrations/0002_type.ts': migration(["op.addColumn('users', 'age', t.integer())"], ['0001_initial']),
    }).run('lint', '--json');
    expect(lint.code).toBe(1);
    expect((JSON.parse(lint.stdout) as LintReport).findings.map((finding) => finding.problem)).toEqual([
      'ADD COLUMN rebuilds the table on existing table users runs with ALGORITHM=INPLACE, not INSTANT: users is rebuilt or scanned (writes go on, but it takes time and space) on MariaDB 10.2.0',
    ]);
  });
});
