// Databases without transactional DDL (MySQL, MariaDB) commit each statement as it runs, so a
// failed migration is undone by compensation: the reverses of the operations that ran. These
// tests drive the runner's compensation on a real SQLite file through a dialect that behaves
// like MySQL: it declares `transactionalDdl: false`, and its transactions and lock do not hold
// a transaction, so every statement commits at once.
import { afterAll, describe, expect, it } from 'vitest';
import { TestProject, migrationSource, removeProjects } from './helpers.js';

afterAll(removeProjects);

const AUTOCOMMIT_CONFIG = `import { defineConfig } from '@covet/core';
import { createSqliteDialect } from '@covet/dialect-sqlite';

const sqlite = createSqliteDialect();
const autocommit = {
  specificationVersion: 'v1',
  name: 'sqlite-autocommit',
  capabilities: { ...sqlite.capabilities, transactionalDdl: false },
  quoteIdentifier: (name) => sqlite.quoteIdentifier(name),
  placeholder: (index) => sqlite.placeholder(index),
  compileOperation: (operation, context) => sqlite.compileOperation(operation, { ...context, dialect: sqlite }),
  normalizeColumn: (column) => sqlite.normalizeColumn(column),
  describeDatabase: (config) => sqlite.describeDatabase(config),
  async connect(config) {
    const connection = await sqlite.connect(config);
    return {
      dialect: autocommit,
      introspector: connection.introspector,
      query: (sql, params) => connection.query(sql, params),
      execute: (statement) => connection.execute(statement),
      tableExists: (name) => connection.tableExists(name),
      transaction: (fn) => fn(),
      withMigrationLock: (fn) => fn(),
      close: () => connection.close(),
    };
  },
};

export default defineConfig({
  database: { engine: 'sqlite-autocommit', name: './app.db' },
  migrations: './migrations',
  plugins: [{ name: 'autocommit', apply: (covet) => covet.hooks.registerDialects.tap('autocommit', (registry) => registry.register(autocommit)) }],
});
`;

const BASE = '20260101000001_base';
const FIVE = '20260101000002_five';

function project(label: string, third: string): TestProject {
  return TestProject.create(label, {
    config: AUTOCOMMIT_CONFIG,
    files: {
      [`migrations/${BASE}.ts`]: migrationSource(["op.createTable('base', { id: t.serial().primaryKey(), label: t.text() })"]),
      [`migrations/${FIVE}.ts`]: migrationSource(
        [
          "op.createTable('one', { id: t.serial().primaryKey() })",
          "op.addColumn('base', 'two', t.integer())",
          third,
          "op.createIndex('base', { name: 'base_label_idx', columns: ['label'] })",
          "op.createTable('five', { id: t.serial().primaryKey() })",
        ],
        [BASE],
      ),
    },
  });
}

describe('a failed migration without transactional DDL', () => {
  it('is undone operation by operation: schema as before, tracking table unchanged, a clear error', async () => {
    const p = project('compensate', "op.runSql('INSERT INTO missing_table VALUES (1)', 'SELECT 1')");
    const first = await p.run('migrate', BASE);
    expect(first.code, first.output).toBe(0);
    const before = p.snapshot();

    const result = await p.run('migrate');
    expect(result.code, result.output).toBe(1);
    expect(result.stderr).toContain(`error: Migration default:${FIVE} failed at operation #3 (runSql)`);
    expect(result.stderr).toContain('The 2 operation(s) before it were undone; nothing was recorded.');
    expect(p.snapshot()).toEqual(before);
    expect(p.applied()).toEqual([`default:${BASE}`]);
    expect(p.rows('SELECT * FROM covet_migrations_partial')).toEqual([]);
  });

  it('when compensation fails too: recorded, shown as failed, migrate refuses until resolved', async () => {
    // The third operation cannot be undone (no reverse), and the fourth fails after it ran.
    const p = project('compensate-fails', "op.runSql('CREATE TABLE three (id integer)')");
    p.write(
      `migrations/${FIVE}.ts`,
      migrationSource(
        [
          "op.createTable('one', { id: t.serial().primaryKey() })",
          "op.runSql('CREATE TABLE three (id integer)')",
          "op.runSql('INSERT INTO missing_table VALUES (1)')",
        ],
        [BASE],
      ),
    );
    const result = await p.run('migrate');
    expect(result.code, result.output).toBe(4);
    expect(result.stderr).toContain(`error: Migration default:${FIVE} failed and could not be undone (operation #2 (runSql) is irreversible): operation(s) 1, 2 remain applied`);
    expect(result.stderr).toContain(`covet resolve default:${FIVE} --applied (or --rolled-back)`);
    // Operation 2 was not undone, so operation 1 was not either: the state is exactly as described.
    expect(p.tables()).toEqual(expect.arrayContaining(['one', 'three']));
    expect(p.applied()).toEqual([`default:${BASE}`]);

    const status = await p.run('showmigrations');
    expect(status.stdout).toContain(`[!] ${FIVE}`);
    expect(status.stdout).toContain('failed part-way (up): operation(s) 1, 2 remain; run covet resolve');
    const json = JSON.parse((await p.run('showmigrations', '--json')).stdout) as unknown[];
    expect(json[1]).toEqual({ app: 'default', name: FIVE, applied: false, appliedAt: null, failed: { direction: 'up', operations: [1, 2], state: 'failed' } });

    const before = p.snapshot();
    for (const argv of [['migrate'], ['rollback']]) {
      const refused = await p.run(...argv);
      expect(refused.code, refused.output).toBe(4);
      expect(refused.stderr).toContain(`error: Migration default:${FIVE} failed part-way and was not undone: operation(s) 1, 2 remain applied`);
      expect(p.snapshot()).toEqual(before);
    }

    const bad = await p.run('resolve', FIVE);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--applied or --rolled-back');

    // The person undoes it by hand and says so.
    const db = p.open();
    db.exec('DROP TABLE one; DROP TABLE three');
    db.close();
    const resolved = await p.run('resolve', FIVE, '--rolled-back');
    expect(resolved.code, resolved.output).toBe(0);
    expect(resolved.stdout).toContain(`Resolved default:${FIVE} as not applied`);
    expect(p.applied()).toEqual([`default:${BASE}`]);
    expect((await p.run('showmigrations')).stdout).toContain(`[ ] ${FIVE}`);

    // With the migration fixed, migrate runs again.
    p.write(`migrations/${FIVE}.ts`, migrationSource(["op.createTable('one', { id: t.serial().primaryKey() })"], [BASE]));
    const migrated = await p.run('migrate');
    expect(migrated.code, migrated.output).toBe(0);
    expect(p.applied()).toEqual([`default:${BASE}`, `default:${FIVE}`]);
  });
});

describe('hooks of a failed migration without transactional DDL', () => {
  it('compensation fires the operation hooks of the reverses it runs; afterFailure fires once, with the operation', async () => {
    const p = project('compensate-hooks', "op.runSql('INSERT INTO missing_table VALUES (1)', 'SELECT 1')");
    const log = JSON.stringify(p.path('hooks.log'));
    const recorder = `
import { appendFileSync } from 'node:fs';
const log = (line) => appendFileSync(${log}, line + '\\n');
const where = (c) => \`\${c.direction} #\${c.index}\${c.compensation ? ' (compensation)' : ''}\`;
const recorder = {
  name: 'recorder',
  apply(covet) {
    const h = covet.hooks;
    h.beforeOperation.tap('recorder', (o, c) => log(\`beforeOperation \${where(c)} \${o.kind}\`));
    h.processSql.tap('recorder', (statements, c) => { log(\`processSql \${where(c)} \${statements.length}\`); return statements; });
    h.afterOperation.tap('recorder', (o, c) => log(\`afterOperation \${where(c)} \${o.kind}\`));
    h.afterFailure.tap('recorder', (error, c) => log(\`afterFailure \${c.migration?.id} #\${c.index} \${c.operation?.kind} \${error.message.split(' (')[0]}\`));
  },
};
`;
    p.write('covet.config.ts', AUTOCOMMIT_CONFIG.replace('plugins: [', 'plugins: [recorder, ').replace("\nexport default", `${recorder}\nexport default`));
    expect((await p.run('migrate', BASE)).code).toBe(0);
    p.remove('hooks.log');
    const before = p.snapshot();

    const result = await p.run('migrate');
    expect(result.code, result.output).toBe(1);
    expect(p.snapshot()).toEqual(before);
    expect(p.read('hooks.log').trim().split('\n')).toEqual([
      // The SQL of every operation, before the first statement is sent.
      'processSql up #0 1',
      'processSql up #1 1',
      'processSql up #2 1',
      'processSql up #3 1',
      'processSql up #4 1',
      'beforeOperation up #0 createTable',
      'afterOperation up #0 createTable',
      'beforeOperation up #1 addColumn',
      'afterOperation up #1 addColumn',
      'beforeOperation up #2 runSql',
      // Undone latest first, as the reverses they are.
      'beforeOperation down #1 (compensation) dropColumn',
      'processSql down #1 (compensation) 1',
      'afterOperation down #1 (compensation) dropColumn',
      'beforeOperation down #0 (compensation) dropTable',
      'processSql down #0 (compensation) 1',
      'afterOperation down #0 (compensation) dropTable',
      `afterFailure default:${FIVE} #2 runSql Migration default:${FIVE} failed at operation #3`,
    ]);
  });
});
