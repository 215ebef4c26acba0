// The engine-neutral rules on SQLite: each with a migration that breaks it and one that does not,
// through `covet lint --json` (no database), `migrate` / `rollback` (refused before any SQL) and
// `makemigrations` (a warning, the file written).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { LintReport } from '../src/index.js';
import { Project, SQLITE, migration, removeProjects } from './helpers.js';

afterAll(removeProjects);

const RULES = {
  rules: {
    destructive: 'error',
    'data-dependent': 'error',
    'backward-incompatible': 'warn',
    naming: ['error', { table: '^[a-z][a-z0-9_]*$', column: '^[a-z][a-z0-9_]*$', index: '_(idx|key)$' }],
    'run-sql-reverse': 'warn',
    'max-statements': ['error', { max: 5 }],
  },
};

const INITIAL = migration([
  "op.createTable('users', { id: t.serial().primaryKey(), email: t.varchar(100), name: t.text().notNull() })",
  "op.createTable('orders', { id: t.serial().primaryKey(), user_id: t.integer().references('users', 'id') })",
]);

function project(label: string, second?: string, options: unknown = RULES): Project {
  const files: Record<string, string> = { 'migrations/0001_initial.ts': INITIAL };
  if (second !== undefined) files['migrations/0002_change.ts'] = second;
  return Project.create(label, SQLITE, options, files);
}

/** Which of `names` are tables of the project's SQLite database (none when it does not exist). */
function tablesIn(target: Project, names: readonly string[]): string[] {
  const file = join(target.dir, 'app.db');
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (${names.map(() => '?').join(', ')}) ORDER BY name`).all(...names);
    return rows.map((row) => (row as { name: string }).name);
  } finally {
    db.close();
  }
}

async function lint(target: Project, ...argv: string[]): Promise<{ code: number; report: LintReport; stderr: string }> {
  const result = await target.run('lint', '--json', ...argv);
  return { code: result.code, report: JSON.parse(result.stdout) as LintReport, stderr: result.stderr };
}

/** The rules the second migration breaks, as `rule level #position`. */
async function findingsOfSecond(operations: readonly string[], extra = '', options: unknown = RULES): Promise<string[]> {
  const { report } = await lint(project('rule', migration(operations, ['0001_initial'], extra), options), '--since', '0001_initial');
  expect(report.migrations).toEqual(['default:0002_change']);
  return report.findings.map((finding) => `${finding.rule} ${finding.level} #${(finding.index ?? -1) + 1}`);
}

describe('rules, through covet lint on SQLite', () => {
  it('destructive: drops name the data at stake, unless meta allows them', async () => {
    const target = project('destructive', migration(["op.dropColumn('users', 'email')", "op.dropTable('orders')"], ['0001_initial']));
    const { code, report, stderr } = await lint(target, '--since', '0001_initial');
    expect(code).toBe(1);
    expect(report.errors).toBe(2);
    expect(report.findings.map((finding) => finding.message)).toEqual([
      '[destructive] default:0002_change, operation #1 (dropColumn): drops column "users.email" (varchar(100)) and its value in every row of users. ' +
        'Fix: keep it, or once the data is saved or no longer needed allow it in the migration: meta: { allowDestructive: ["users.email"] }',
      '[destructive] default:0002_change, operation #2 (dropTable): drops table "orders" and every row in it (columns id, user_id). ' +
        'Fix: keep it, or once the data is saved or no longer needed allow it in the migration: meta: { allowDestructive: ["orders"] }',
    ]);
    expect(stderr).toContain('error: covet lint: 2 error-level finding(s) in the migrations');

    expect(await findingsOfSecond(["op.dropColumn('users', 'email')", "op.dropTable('orders')"], "meta: { allowDestructive: ['users.email', 'orders'] },")).toEqual([]);
    expect(await findingsOfSecond(["op.dropTable('orders')"], 'meta: { allowDestructive: true },')).toEqual([]);
    expect(await findingsOfSecond(["op.dropTable('orders')"], "meta: { allowDestructive: ['users'] },")).toEqual(['destructive error #1']);
  });

  it('destructive: indexes, foreign keys and narrowing type changes', async () => {
    const setup = "op.createIndex('users', { columns: ['name'] })";
    expect(
      await findingsOfSecond([setup, "op.dropIndex('users', 'users_name_idx')", "op.dropForeignKey('orders', 'orders_user_id_fkey')", "op.alterColumn('users', 'email', t.varchar(20))"]),
    ).toEqual(['destructive error #2', 'destructive error #3', 'destructive error #4']);
    expect(await findingsOfSecond([setup, "op.alterColumn('users', 'email', t.varchar(200))"])).toEqual([]);
  });

  it('data-dependent: NOT NULL without a default on an existing table, NOT NULL set, a unique index', async () => {
    expect(
      await findingsOfSecond([
        "op.addColumn('users', 'age', t.integer().notNull())",
        "op.alterColumn('users', 'email', t.varchar(100).notNull())",
        "op.createIndex('users', { columns: ['email'], unique: true })",
      ]),
    ).toEqual(['data-dependent error #1', 'data-dependent error #2', 'data-dependent error #3']);
    expect(
      await findingsOfSecond([
        "op.addColumn('users', 'age', t.integer().notNull().default(0))",
        "op.createTable('tags', { id: t.serial().primaryKey(), label: t.text() })",
        "op.addColumn('tags', 'slug', t.text().notNull())",
      ]),
    ).toEqual([]);
    expect(await findingsOfSecond(["op.createTable('tags', { id: t.serial().primaryKey(), label: t.text() })", "op.createIndex('tags', { columns: ['label'], unique: true })"])).toEqual([]);
  });

  it('backward-incompatible: renames warn (exit 0)', async () => {
    const target = project('rename', migration(["op.renameColumn('users', 'name', 'full_name')", "op.renameTable('orders', 'purchases')"], ['0001_initial']));
    const { code, report } = await lint(target, '--since', '0001_initial');
    expect(code).toBe(0);
    expect(report.findings.map((finding) => `${finding.rule} ${finding.level}`)).toEqual(['backward-incompatible warn', 'backward-incompatible warn']);
    expect(report.findings[0]!.message).toContain('renames column "users.name" to "full_name": code still running that uses name fails');
    expect(await findingsOfSecond(["op.addColumn('users', 'full_name', t.text())"])).toEqual([]);
  });

  it('naming: tables, columns and indexes against their patterns', async () => {
    expect(
      await findingsOfSecond(["op.createTable('AuditLog', { id: t.serial().primaryKey(), Kind: t.text() })", "op.createIndex('users', { name: 'by_name', columns: ['name'] })"]),
    ).toEqual(['naming error #1', 'naming error #1', 'naming error #2']);
    expect(await findingsOfSecond(["op.createTable('audit_log', { id: t.serial().primaryKey(), kind: t.text() })", "op.createIndex('users', { columns: ['name'] })"])).toEqual([]);
  });

  it('run-sql-reverse: runSql needs a reverse', async () => {
    expect(await findingsOfSecond(["op.runSql('UPDATE users SET name = name')"])).toEqual(['run-sql-reverse warn #1']);
    expect(await findingsOfSecond(["op.runSql('UPDATE users SET name = name', 'SELECT 1')"])).toEqual([]);
  });

  it('max-statements: the statements one migration runs', async () => {
    const statement = "op.runSql('UPDATE users SET name = name', 'SELECT 1')";
    const five = [statement, statement, statement, statement, statement];
    expect(await findingsOfSecond([...five, statement])).toEqual(['max-statements error #0']);
    expect(await findingsOfSecond(five)).toEqual([]);
  });

  it('max-tables: the tables one migration touches', async () => {
    const options = { rules: { 'max-tables': ['error', { max: 2 }] } };
    const three = ["op.addColumn('users', 'a', t.text())", "op.addColumn('orders', 'b', t.text())", "op.createTable('tags', { id: t.serial().primaryKey() })"];
    const { report } = await lint(project('tables', migration(three, ['0001_initial']), options), '--since', '0001_initial');
    expect(report.findings.map((finding) => finding.message)).toEqual([
      '[max-tables] default:0002_change: touches 3 tables (users, orders, tags), more than the 2 allowed. Fix: split it into smaller migrations',
    ]);
    expect(await findingsOfSecond(three.slice(0, 2), '', options)).toEqual([]);
  });

  it('foreign-key-index: a foreign key needs an index that starts with its columns', async () => {
    const options = { rules: { 'foreign-key-index': 'error' } };
    const table = "op.createTable('comments', { id: t.serial().primaryKey(), user_id: t.integer().references('users', 'id') })";
    const { report } = await lint(project('fk', migration([table], ['0001_initial']), options), '--since', '0001_initial');
    expect(report.findings.map((finding) => finding.message)).toEqual([
      '[foreign-key-index] default:0002_change, operation #1 (createTable): foreign key "comments_user_id_fkey" on comments (user_id) has no index starting with its columns: deletes in users scan comments. ' +
        'Fix: add op.createIndex("comments", { columns: ["user_id"] }) in the same migration',
    ]);
    expect(await findingsOfSecond([table, "op.createIndex('comments', { columns: ['user_id', 'id'] })"], '', options)).toEqual([]);
  });

  it('identifier-length: names longer than the dialect allows (PostgreSQL: 63 bytes)', async () => {
    const long = `orders_${'x'.repeat(60)}`;
    const target = project('length', migration([`op.createTable('${long}', { id: t.serial().primaryKey() })`], ['0001_initial']), {});
    const forPostgres = await target.run('lint', '--json', '--since', '0001_initial', '--database-url', 'postgres://postgres@127.0.0.1:1/covet_policy_never_created');
    expect(forPostgres.code).toBe(1);
    expect((JSON.parse(forPostgres.stdout) as LintReport).findings.map((finding) => finding.problem)).toEqual([
      `table name "${long}" is 67 bytes long, more than the 63 postgres allows`,
    ]);
    // SQLite has no limit.
    expect((await lint(target, '--since', '0001_initial')).report.findings).toEqual([]);
  });

  it('the covet binary (CommonJS) runs lint from the package name', () => {
    const target = project('binary', migration(["op.dropTable('orders')"], ['0001_initial']));
    const bin = join(dirname(createRequire(import.meta.url).resolve('@covet/cli/package.json')), 'bin', 'covet.cjs');
    const result = spawnSync(process.execPath, [bin, 'lint', '--json'], { cwd: target.dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout) as LintReport;
    expect(report.findings.map((finding) => `${finding.rule} ${finding.migration}`)).toEqual(['destructive default:0002_change']);
    expect(result.stderr).toContain('error: covet lint: 1 error-level finding(s) in the migrations');
  });

  it('lints every migration without --since, in text form, and refuses an unknown --since', async () => {
    const target = project('text', migration(["op.renameColumn('users', 'name', 'full_name')"], ['0001_initial']));
    const text = await target.run('lint');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('warning: [backward-incompatible] default:0002_change, operation #1 (renameColumn)');
    expect(text.stdout).toContain('2 migration(s) checked for sqlite: 0 error(s), 1 warning(s)');
    expect(existsSync(join(target.dir, 'app.db'))).toBe(false);

    // For another dialect: the database given on the command line, never connected to.
    const forPostgres = await project('other-dialect', migration(["op.createIndex('users', { columns: ['name'] })"], ['0001_initial'])).run(
      'lint', '--json', '--database-url', 'postgres://postgres@127.0.0.1:1/covet_policy_never_created',
    );
    expect(forPostgres.code).toBe(0);
    const report = JSON.parse(forPostgres.stdout) as LintReport;
    expect(report.dialect).toBe('postgres');
    expect(report.findings.map((finding) => finding.rule)).toEqual(['index-concurrently']);

    const unknown = await target.run('lint', '--since', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/nope/);
  });
});

describe('where the rules run on SQLite', () => {
  it('migrate stops before any SQL on an error, and runs once meta allows it', async () => {
    const target = project('migrate', undefined);
    expect((await target.run('migrate')).code).toBe(0);
    target.write('migrations/0002_change.ts', migration(["op.addColumn('users', 'nickname', t.text())", "op.dropColumn('users', 'email')"], ['0001_initial']));
    const refused = await target.run('migrate');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('[destructive] drops column "users.email" (varchar(100))');
    expect(refused.stderr).toContain('(plugin "@covet/plugin-policy", hook validateOperation, migration default:0002_change, operation #2 (dropColumn))');
    const db = new Database(join(target.dir, 'app.db'), { readonly: true });
    try {
      expect(db.prepare("SELECT name FROM pragma_table_info('users')").all().map((row) => (row as { name: string }).name)).toEqual(['id', 'email', 'name']);
      expect(db.prepare('SELECT name FROM covet_migrations').all()).toEqual([{ name: '0001_initial' }]);
    } finally {
      db.close();
    }

    target.write(
      'migrations/0002_change.ts',
      migration(["op.addColumn('users', 'nickname', t.text())", "op.dropColumn('users', 'email')"], ['0001_initial'], "meta: { allowDestructive: ['users.email'] },"),
    );
    const allowed = await target.run('migrate');
    expect(allowed.code).toBe(0);
  });

  it('migrate counts the statements it will send (max-statements) and stops before any', async () => {
    const create = (name: string) => `op.runSql('CREATE TABLE ${name} (x integer)', 'DROP TABLE ${name}')`;
    const target = project('statements', migration(['a', 'b', 'c', 'd', 'e', 'f'].map(create), ['0001_initial']));
    expect((await target.run('migrate', '0001_initial')).code).toBe(0);
    const refused = await target.run('migrate');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('[max-statements] runs 6 SQL statements, more than the 5 allowed. Fix: split it into smaller migrations');
    const db = new Database(join(target.dir, 'app.db'), { readonly: true });
    try {
      expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND length(name) = 1").all()).toEqual([]);
      expect(db.prepare('SELECT name FROM covet_migrations').all()).toEqual([{ name: '0001_initial' }]);
    } finally {
      db.close();
    }
    target.write('migrations/0002_change.ts', migration(['a', 'b', 'c', 'd', 'e'].map(create), ['0001_initial']));
    expect((await target.run('migrate')).code).toBe(0);
  });

  it('covet --help lists lint with the built-in commands', async () => {
    const help = await project('help').run('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/\n\s+lint\s+Check the migrations against the policy rules, with no database/);
    expect(help.stdout).toMatch(/\n\s+migrate\b/);
  });

  it('migrate stops before any SQL on a rule about the whole migration (max-tables)', async () => {
    const target = project('migrate-tables', undefined, { rules: { 'max-tables': ['error', { max: 1 }] } });
    const refused = await target.run('migrate');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('[max-tables] touches 2 tables (users, orders), more than the 1 allowed. Fix: split it into smaller migrations (plugin "@covet/plugin-policy", hook validateMigration');
    expect(tablesIn(target, ['users', 'orders'])).toEqual([]);
  });

  it('migrate reports warnings and runs', async () => {
    const target = project('warn', migration(["op.renameColumn('users', 'name', 'full_name')"], ['0001_initial']));
    const result = await target.run('migrate');
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      'warning: [backward-incompatible] default:0002_change, operation #1 (renameColumn): renames column "users.name" to "full_name"',
    );
  });

  it('rollback checks the reverses it runs: drops only with rules.destructive rollback: true', async () => {
    const lenient = project('rollback', undefined);
    expect((await lenient.run('migrate')).code).toBe(0);
    expect((await lenient.run('rollback')).code).toBe(0);

    const strict = project('rollback-strict', undefined, { rules: { destructive: ['error', { rollback: true }] } });
    expect((await strict.run('migrate')).code).toBe(0);
    const refused = await strict.run('rollback');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('[destructive] drops table "orders" and every row in it (columns id, user_id)');
    const db = new Database(join(strict.dir, 'app.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT name FROM covet_migrations').all()).toEqual([{ name: '0001_initial' }]);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('users', 'orders') ORDER BY name").all()).toHaveLength(2);
    } finally {
      db.close();
    }
  });

  it('makemigrations warns before writing the file, and writes it', async () => {
    const target = Project.create('makemigrations', SQLITE, RULES, {
      'models/app.ts': "import { defineTable, t } from '@covet/core';\nexport const users = defineTable('users', { id: t.serial().primaryKey(), email: t.text() });\n",
    });
    expect((await target.run('makemigrations', '--name', 'initial')).code).toBe(0);
    target.write('models/app.ts', "import { defineTable, t } from '@covet/core';\nexport const users = defineTable('users', { id: t.serial().primaryKey(), email: t.text(), age: t.integer().notNull() });\n");
    const made = await target.run('makemigrations', '--name', 'age');
    expect(made.code).toBe(0);
    expect(made.stderr).toMatch(
      /warning: \[data-dependent\] default:\d+_age, operation #1 \(addColumn\): adds NOT NULL column "users.age" without a default to existing table users: it fails if the table has rows\. Fix: .* \(an error: migrate and covet lint will refuse this migration\) \(plugin "@covet\/plugin-policy"\)/,
    );
    expect(readdirSync(join(target.dir, 'migrations')).filter((file) => file.endsWith('_age.ts'))).toHaveLength(1);
  });

  it('refuses bad options with one line naming the member', async () => {
    const cases: [unknown, string][] = [
      [{ rules: { destructiv: 'error' } }, 'unknown rule "destructiv" in rules'],
      [{ rules: { destructive: 'fatal' } }, `rules.destructive must be 'error', 'warn' or 'off'`],
      [{ rules: { naming: 'error' } }, 'rules.naming needs patterns'],
      [{ rules: { naming: ['error', { table: '([' }] } }, 'rules.naming.table is not a valid regular expression'],
      [{ rules: { 'max-statements': ['error', { max: 0 }] } }, 'rules.max-statements.max must be a positive integer, got 0'],
      [{ rulez: {} }, 'unknown option "rulez"'],
    ];
    for (const [options, message] of cases) {
      const result = await project('options', undefined, options).run('lint');
      expect(result.code).toBe(1);
      const errors = result.stderr.split('\n').filter((line) => line.startsWith('error:'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(`Invalid options for plugin @covet/plugin-policy: ${message}`);
    }
  });
});
