import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { PlanCache } from '@covet/core';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMysqlDialect, type MysqlConnection } from '../src/index.js';
import { cliProject as project, COVET_BIN as BIN, createTestDatabase, reportSkipped, runCovet as covet, UNAVAILABLE, type TestDatabase } from './helpers.js';

function covetAsync(cwd: string, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, DATABASE_URL: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe.runIf(!UNAVAILABLE)('covet CLI on MySQL/MariaDB', () => {
  let database: TestDatabase;
  let folder: string | undefined;
  beforeEach(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    await database.drop();
    if (folder) rmSync(folder, { recursive: true, force: true });
    folder = undefined;
  });

  it('five concurrent `covet migrate` processes apply each of 30 migrations once', async () => {
    folder = project('concurrent', database);
    for (let i = 1; i <= 30; i++) {
      const name = `${20260101000000 + i}_step_${i}`;
      const previous = i > 1 ? `'${20260101000000 + i - 1}_step_${i - 1}'` : '';
      const operations =
        i === 1
          ? `op.createTable('counter', { id: t.serial().primaryKey(), step: t.integer().notNull() })`
          : `op.addColumn('counter', 'c${i}', t.integer()), op.runSql("INSERT INTO counter (step) VALUES (${i})", "DELETE FROM counter WHERE step = ${i}")`;
      writeFileSync(
        join(folder, 'migrations', `${name}.ts`),
        `import { defineMigration, op, t } from '@covet/core';\n\nexport default defineMigration({\n  dependencies: [${previous}],\n  operations: [${operations}],\n});\n`,
      );
    }
    const runs = await Promise.all(Array.from({ length: 5 }, () => covetAsync(folder!, 'migrate')));
    for (const run of runs) expect(run.status, run.stderr).toBe(0);
    const connection = (await createMysqlDialect().connect(database.config)) as MysqlConnection;
    try {
      const tracked = await connection.query<{ name: string; n: number }>('SELECT name, COUNT(*) AS n FROM covet_migrations GROUP BY name');
      expect(tracked).toHaveLength(30);
      expect(tracked.every((row) => Number(row.n) === 1)).toBe(true);
      const steps = await connection.query<{ step: number }>('SELECT step FROM counter ORDER BY step');
      expect(steps.map((row) => row.step)).toEqual(Array.from({ length: 29 }, (_, i) => i + 2));
      const state = await connection.introspector.introspect();
      expect(state.tables.counter!.columns).toHaveLength(31);
    } finally {
      await connection.close();
    }
    const applying = runs.filter((run) => /20260101000001_step_1/.test(run.stdout));
    expect(applying).toHaveLength(1);
  }, 120_000);

  it('runs the loop: makemigrations, migrate, showmigrations, rollback', async () => {
    folder = project('loop', database);
    writeFileSync(
      join(folder, 'models', 'shop.ts'),
      `import { defineTable, sql, t } from '@covet/core';
export const customers = defineTable('customers', {
  id: t.serial().primaryKey(),
  email: t.varchar(255).notNull().unique(),
  created_at: t.timestamp().notNull().default(sql\`CURRENT_TIMESTAMP\`),
});
export const orders = defineTable('orders', {
  id: t.bigserial().primaryKey(),
  customer_id: t.integer().notNull().references(customers, 'id', { onDelete: 'cascade' }),
  total: t.decimal(10, 2).notNull().default('0.00'),
  paid: t.boolean().notNull().default(false),
  note: t.text(),
}, { indexes: [{ name: 'orders_paid_idx', columns: ['paid'] }] });
`,
    );
    let run = covet(folder, 'makemigrations', '--name', 'initial');
    expect(run.status, run.stderr).toBe(0);
    run = covet(folder, 'migrate');
    expect(run.status, run.stderr).toBe(0);
    // The compiled SQL is kept (the plan cache), as on the other dialects.
    expect(existsSync(PlanCache.forProject(folder, 'mysql').file)).toBe(true);
    run = covet(folder, 'makemigrations', '--name', 'nothing');
    expect(run.status, run.stderr + run.stdout).toBe(0);
    expect(readdirSync(join(folder, 'migrations')).filter((f) => f.endsWith('.ts'))).toHaveLength(1);

    // Change the models: a column, an altered column, an index.
    writeFileSync(
      join(folder, 'models', 'shop.ts'),
      `import { defineTable, sql, t } from '@covet/core';
export const customers = defineTable('customers', {
  id: t.serial().primaryKey(),
  email: t.varchar(320).notNull().unique(),
  nickname: t.varchar(50),
  created_at: t.timestamp().notNull().default(sql\`CURRENT_TIMESTAMP\`),
}, { indexes: [{ name: 'customers_nickname_idx', columns: ['nickname'] }] });
export const orders = defineTable('orders', {
  id: t.bigserial().primaryKey(),
  customer_id: t.integer().notNull().references(customers, 'id', { onDelete: 'cascade' }),
  total: t.decimal(10, 2).notNull().default('0.00'),
  paid: t.boolean().notNull().default(false),
  note: t.text(),
}, { indexes: [{ name: 'orders_paid_idx', columns: ['paid'] }] });
`,
    );
    run = covet(folder, 'makemigrations', '--name', 'nicknames');
    expect(run.status, run.stderr).toBe(0);
    run = covet(folder, 'migrate');
    expect(run.status, run.stderr).toBe(0);
    run = covet(folder, 'makemigrations', '--name', 'nothing');
    expect(run.status, run.stderr).toBe(0);
    expect(readdirSync(join(folder, 'migrations')).filter((f) => f.endsWith('.ts'))).toHaveLength(2);

    run = covet(folder, 'showmigrations', '--json');
    expect(run.status, run.stderr).toBe(0);
    const status = JSON.parse(run.stdout) as { name: string; applied: boolean; appliedAt: string }[];
    expect(status.map((s) => s.applied)).toEqual([true, true]);
    expect(Math.abs(Date.parse(status[0]!.appliedAt) - Date.now())).toBeLessThan(5 * 60_000);

    run = covet(folder, 'rollback');
    expect(run.status, run.stderr).toBe(0);
    run = covet(folder, 'showmigrations', '--json');
    expect((JSON.parse(run.stdout) as { applied: boolean }[]).map((s) => s.applied)).toEqual([true, false]);
    const connection = (await createMysqlDialect().connect(database.config)) as MysqlConnection;
    try {
      const state = await connection.introspector.introspect();
      expect(state.tables.customers!.columns.map((c) => c.name)).toEqual(['id', 'email', 'created_at']);
      expect(state.tables.customers!.columns[1]!.type).toEqual({ type: 'varchar', length: 255 });
      expect(state.tables.customers!.indexes.map((i) => i.name)).toEqual(['customers_email_key']);
    } finally {
      await connection.close();
    }
    run = covet(folder, 'rollback');
    expect(run.status, run.stderr).toBe(0);
    run = covet(folder, 'migrate');
    expect(run.status, run.stderr).toBe(0);
  }, 120_000);

  it('reports an unreachable database and a wrong password in one line, without the password', async () => {
    folder = project('bad', database);
    writeFileSync(
      join(folder, 'covet.config.json'),
      JSON.stringify({ database: { engine: 'mysql', url: database.url.replace('//root@', '//root:hunter2secret@').replace(/:\d+\//, ':1/') }, migrations: './migrations' }),
    );
    const run = covet(folder, 'migrate');
    expect(run.status).not.toBe(0);
    expect(run.stderr + run.stdout).toMatch(/error: .*Cannot connect/);
    expect(run.stderr + run.stdout).not.toContain('hunter2secret');
  }, 60_000);

  function write(folder: string, name: string, dependencies: string[], operations: string[]): void {
    writeFileSync(
      join(folder, 'migrations', `${name}.ts`),
      `import { defineMigration, op, t } from '@covet/core';\n\nexport default defineMigration({\n  dependencies: ${JSON.stringify(dependencies)},\n  operations: [\n    ${operations.join(',\n    ')},\n  ],\n});\n`,
    );
  }

  async function snapshot(): Promise<unknown> {
    const connection = (await createMysqlDialect().connect(database.config)) as MysqlConnection;
    try {
      const schema = await connection.introspector.introspect();
      const tracking = await connection.query('SELECT name, app, checksum FROM covet_migrations ORDER BY id');
      return { schema, tracking };
    } finally {
      await connection.close();
    }
  }

  it('a five-operation migration whose third operation fails is undone by the runner: schema and tracking as before', async () => {
    folder = project('compensate', database);
    write(folder, '20260101000001_base', [], ["op.createTable('base', { id: t.serial().primaryKey(), label: t.varchar(50) })"]);
    expect(covet(folder, 'migrate').status).toBe(0);
    const before = await snapshot();
    write(folder, '20260101000002_five', ['20260101000001_base'], [
      "op.createTable('one', { id: t.serial().primaryKey() })",
      "op.addColumn('base', 'two', t.integer())",
      "op.runSql('INSERT INTO missing_table VALUES (1)', 'SELECT 1')",
      "op.createIndex('base', { name: 'base_label_idx', columns: ['label'] })",
      "op.createTable('five', { id: t.serial().primaryKey() })",
    ]);
    const failed = covet(folder, 'migrate');
    expect(failed.status, failed.stderr).toBe(1);
    expect(failed.stderr).toContain('error: Migration shop:20260101000002_five failed at operation #3 (runSql)');
    expect(failed.stderr).toContain('ER_NO_SUCH_TABLE');
    expect(failed.stderr).toContain('The 2 operation(s) before it were undone; nothing was recorded.');
    expect(await snapshot()).toEqual(before);

    // Again, now from the SQL the first run compiled: undone the same way, from the full plan.
    const again = covet(folder, 'migrate', '--verbose');
    expect(again.status, again.stderr).toBe(1);
    expect(again.stderr).toContain('1 migration(s) from compiled plans');
    expect(again.stderr.split('\n').filter((line) => line.startsWith('error:') || line.startsWith('hint:'))).toEqual(
      failed.stderr.split('\n').filter((line) => line.startsWith('error:') || line.startsWith('hint:')),
    );
    expect(await snapshot()).toEqual(before);
  }, 60_000);

  it('afterFailure fires once, with the operation; compensation fires the operation hooks of the reverses it runs', async () => {
    folder = project('after-failure', database);
    const log = join(folder, 'hooks.log');
    const config = (operationHooks: boolean) => `import { appendFileSync } from 'node:fs';
import { defineConfig, definePlugin } from '@covet/core';
const log = (line) => appendFileSync(${JSON.stringify(log)}, line + '\\n');
const where = (c) => \`\${c.direction} #\${c.index}\${c.compensation ? ' (compensation)' : ''}\`;
const recorder = definePlugin({
  name: 'recorder',
  apply(covet) {
    covet.hooks.afterFailure.tap('recorder', (error, c) => log(\`afterFailure \${c.migration?.id} #\${c.index} \${c.operation?.kind}\`));
    if (${operationHooks}) {
      covet.hooks.beforeOperation.tap('recorder', (o, c) => log(\`beforeOperation \${where(c)} \${o.kind}\`));
      covet.hooks.afterOperation.tap('recorder', (o, c) => log(\`afterOperation \${where(c)} \${o.kind}\`));
    }
  },
});
export default defineConfig({ database: { engine: 'mysql', url: ${JSON.stringify(database.url)} }, migrations: './migrations', app: 'shop', plugins: [recorder] });
`;
    rmSync(join(folder, 'covet.config.json'));
    writeFileSync(join(folder, 'covet.config.ts'), config(false));
    const lines = () => readFileSync(log, 'utf8').trim().split('\n');
    write(folder, '20260101000001_base', [], ["op.createTable('base', { id: t.serial().primaryKey(), label: t.varchar(50) })"]);
    expect(covet(folder, 'migrate').status).toBe(0);
    const before = await snapshot();
    write(folder, '20260101000002_three', ['20260101000001_base'], [
      "op.createTable('one', { id: t.serial().primaryKey() })",
      "op.addColumn('base', 'two', t.integer())",
      "op.runSql('INSERT INTO missing_table VALUES (1)', 'SELECT 1')",
    ]);
    const failure = 'afterFailure shop:20260101000002_three #2 runSql';
    const first = covet(folder, 'migrate');
    expect(first.status, first.stderr).toBe(1);
    expect(lines()).toEqual([failure]);
    // From the SQL the first run compiled (plan cache): once again, with the operation.
    const second = covet(folder, 'migrate', '--verbose');
    expect(second.status, second.stderr).toBe(1);
    expect(second.stderr).toContain('from compiled plans');
    expect(lines()).toEqual([failure, failure]);
    expect(await snapshot()).toEqual(before);

    rmSync(log);
    writeFileSync(join(folder, 'covet.config.ts'), config(true));
    const hooked = covet(folder, 'migrate');
    expect(hooked.status, hooked.stderr).toBe(1);
    expect(lines()).toEqual([
      'beforeOperation up #0 createTable',
      'afterOperation up #0 createTable',
      'beforeOperation up #1 addColumn',
      'afterOperation up #1 addColumn',
      'beforeOperation up #2 runSql',
      'beforeOperation down #1 (compensation) dropColumn',
      'afterOperation down #1 (compensation) dropColumn',
      'beforeOperation down #0 (compensation) dropTable',
      'afterOperation down #0 (compensation) dropTable',
      failure,
    ]);
    expect(await snapshot()).toEqual(before);
  }, 60_000);

  it('a validateSql policy stops a run before its first statement: nothing executed, nothing to undo; a rollback too', async () => {
    folder = project('validate-sql', database);
    const log = join(folder, 'hooks.log');
    rmSync(join(folder, 'covet.config.json'));
    // At most 3 statements per migrate, and no DROP TABLE; every hook call logged.
    writeFileSync(
      join(folder, 'covet.config.ts'),
      `import { appendFileSync } from 'node:fs';
import { defineConfig, definePlugin } from '@covet/core';
const log = (line) => appendFileSync(${JSON.stringify(log)}, line + '\\n');
const policy = definePlugin({
  name: 'sql-policy',
  apply(covet) {
    let count = 0;
    covet.hooks.beforeRun.tap('sql-policy', (plan, c) => log(\`beforeRun \${c.direction}\`));
    covet.hooks.beforeOperation.tap('sql-policy', (o, c) => log(\`beforeOperation \${c.direction} #\${c.index} \${o.kind}\`));
    covet.hooks.processSql.tap('sql-policy', (statements, c) => { log(\`processSql \${c.direction} #\${c.index} \${c.operation.kind}\`); return statements; });
    covet.hooks.validateSql.tap('sql-policy', (statements, c) => {
      log(\`validateSql \${c.direction} #\${c.index} \${c.operation.kind} \${statements.length}\`);
      if (statements.some((s) => /^\\s*DROP\\s+TABLE\\b/i.test(s.sql))) throw new Error('DROP TABLE needs a DBA review');
      count += statements.length;
      if (c.direction === 'up' && count > 3) throw new Error(\`more than 3 statements in one run (\${count})\`);
    });
  },
});
export default defineConfig({ database: { engine: 'mysql', url: ${JSON.stringify(database.url)} }, migrations: './migrations', app: 'shop', plugins: [policy] });
`,
    );
    const lines = () => readFileSync(log, 'utf8').trim().split('\n');
    const tables = async () => {
      const connection = (await createMysqlDialect().connect(database.config)) as MysqlConnection;
      try {
        return (await connection.query<{ name: string }>('SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY 1')).map((row) => row.name);
      } finally {
        await connection.close();
      }
    };
    write(folder, '20260101000001_base', [], ["op.createTable('base', { id: t.serial().primaryKey(), label: t.varchar(50) })"]);
    expect(covet(folder, 'migrate').status).toBe(0);
    const before = await snapshot();
    const tablesBefore = await tables();
    rmSync(log);
    write(folder, '20260101000002_five', ['20260101000001_base'], [
      "op.createTable('one', { id: t.serial().primaryKey() })",
      "op.addColumn('base', 'two', t.integer())",
      "op.runSql('INSERT INTO base (label) VALUES (1)', 'DELETE FROM base')",
      "op.createIndex('base', { name: 'base_label_idx', columns: ['label'] })",
      "op.createTable('five', { id: t.serial().primaryKey() })",
    ]);
    const refused = covet(folder, 'migrate');
    expect(refused.status, refused.stderr).toBe(1);
    expect(refused.stderr.split('\n')[0]).toBe(
      'error: more than 3 statements in one run (4) (plugin "sql-policy", hook validateSql, migration shop:20260101000002_five, operation #4 (createIndex))',
    );
    // Every statement was offered before the first was sent: none ran, none was undone.
    expect(lines()).toEqual([
      'processSql up #0 createTable',
      'validateSql up #0 createTable 1',
      'processSql up #1 addColumn',
      'validateSql up #1 addColumn 1',
      'processSql up #2 runSql',
      'validateSql up #2 runSql 1',
      'processSql up #3 createIndex',
      'validateSql up #3 createIndex 1',
    ]);
    expect(await snapshot()).toEqual(before);
    expect(await tables()).toEqual(tablesBefore);

    // A rollback whose reverse drops a table: refused before its first statement.
    rmSync(join(folder, 'migrations', '20260101000002_five.ts'));
    write(folder, '20260101000002_two', ['20260101000001_base'], ["op.addColumn('base', 'two', t.integer())", "op.createTable('two', { id: t.serial().primaryKey() })"]);
    expect(covet(folder, 'migrate').status).toBe(0);
    const applied = await snapshot();
    rmSync(log);
    const rollback = covet(folder, 'rollback');
    expect(rollback.status, rollback.stderr).toBe(1);
    expect(rollback.stderr.split('\n')[0]).toBe(
      'error: DROP TABLE needs a DBA review (plugin "sql-policy", hook validateSql, migration shop:20260101000002_two, operation #2 (dropTable))',
    );
    // The context names the reverse that would run and the way it goes.
    expect(lines()).toEqual(['processSql down #1 dropTable', 'validateSql down #1 dropTable 1']);
    expect(await snapshot()).toEqual(applied);
  }, 60_000);

  it('a migration of DDL only (run without a transaction) whose tracking row cannot be written is undone', async () => {
    folder = project('ddl-only', database);
    write(folder, '20260101000001_base', [], ["op.createTable('base', { id: t.serial().primaryKey(), label: t.varchar(50) })"]);
    expect(covet(folder, 'migrate').status).toBe(0);
    const connection = (await createMysqlDialect().connect(database.config)) as MysqlConnection;
    await connection.execute({
      sql: "CREATE TRIGGER refuse_ddl BEFORE INSERT ON covet_migrations FOR EACH ROW BEGIN IF NEW.name = '20260101000002_ddl' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'row refused'; END IF; END",
    });
    await connection.close();
    const before = await snapshot();
    write(folder, '20260101000002_ddl', ['20260101000001_base'], [
      "op.createTable('two', { id: t.serial().primaryKey() })",
      "op.addColumn('base', 'extra', t.integer())",
      "op.createIndex('base', { name: 'base_label_idx', columns: ['label'] })",
    ]);
    for (const attempt of ['planned now', 'from compiled plans']) {
      const failed = covet(folder, 'migrate');
      expect(failed.status, `${attempt}: ${failed.stderr}`).toBe(1);
      expect(failed.stderr.split('\n')[0]).toBe('error: Migration shop:20260101000002_ddl could not be recorded in covet_migrations: row refused [ER_SIGNAL_EXCEPTION, errno 1644, SQLSTATE 45000]');
      expect(failed.stderr).toContain('The 3 operation(s) before it were undone; nothing was recorded.');
      expect(await snapshot()).toEqual(before);
    }
  }, 60_000);

  it('when undoing fails too: shown as failed, migrate refuses, resolve settles it', async () => {
    folder = project('partial', database);
    write(folder, '20260101000001_base', [], ["op.createTable('base', { id: t.serial().primaryKey() })"]);
    write(folder, '20260101000002_bad', ['20260101000001_base'], [
      "op.createTable('one', { id: t.serial().primaryKey() })",
      "op.runSql('CREATE TABLE three (id integer)')",
      "op.runSql('INSERT INTO missing_table VALUES (1)')",
    ]);
    const failed = covet(folder, 'migrate');
    expect(failed.status, failed.stderr).toBe(4);
    expect(failed.stderr).toContain('error: Migration shop:20260101000002_bad failed and could not be undone (operation #2 (runSql) is irreversible): operation(s) 1, 2 remain applied');
    const status = covet(folder, 'showmigrations');
    expect(status.stdout).toContain('[X] 20260101000001_base');
    expect(status.stdout).toContain('[!] 20260101000002_bad');
    const before = await snapshot();
    const refused = covet(folder, 'migrate');
    expect(refused.status).toBe(4);
    expect(refused.stderr).toContain('covet resolve shop:20260101000002_bad --applied (or --rolled-back)');
    expect(await snapshot()).toEqual(before);
    // Someone finishes it by hand, then says so.
    const connection = (await createMysqlDialect().connect(database.config)) as MysqlConnection;
    await connection.execute({ sql: 'CREATE TABLE missing_table (id integer)' });
    await connection.close();
    const resolved = covet(folder, 'resolve', '20260101000002_bad', '--applied');
    expect(resolved.status, resolved.stderr).toBe(0);
    expect(covet(folder, 'showmigrations').stdout).toContain('[X] 20260101000002_bad');
    expect(covet(folder, 'migrate').stdout).toContain('No migrations to apply');

    // A second database migrated from the compiled SQL fails the same way and is marked alike.
    const second = await createTestDatabase();
    try {
      writeFileSync(
        join(folder, 'covet.config.json'),
        JSON.stringify({ database: { engine: 'mysql', url: second.url }, migrations: './migrations', app: 'shop' }),
      );
      const fromPlans = covet(folder, 'migrate', '--verbose');
      expect(fromPlans.status, fromPlans.stderr).toBe(4);
      expect(fromPlans.stderr).toContain('2 migration(s) from compiled plans');
      expect(fromPlans.stderr).toContain(failed.stderr.split('\n')[0]);
      expect(covet(folder, 'showmigrations').stdout).toContain('[!] 20260101000002_bad');
      expect(covet(folder, 'migrate').status).toBe(4);
    } finally {
      await second.drop();
    }
  }, 60_000);
});
