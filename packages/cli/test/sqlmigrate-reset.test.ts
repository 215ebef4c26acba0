// `covet sqlmigrate NAME [--backwards]` prints one migration's SQL without a database;
// `covet reset` rolls everything back and applies it again, and refuses where it must.
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { TestProject, configSource, lines, migrationSource, removeProjects } from './helpers.js';

afterAll(removeProjects);

const M1 = '20260101000001_users';
const M2 = '20260101000002_profile';
const M3 = '20260101000003_note';

function project(label: string): TestProject {
  return TestProject.create(label, {
    files: {
      [`migrations/${M1}.ts`]: migrationSource(["op.createTable('users', { id: t.serial().primaryKey(), email: t.varchar(255).notNull() })"]),
      [`migrations/${M2}.ts`]: migrationSource(
        ["op.addColumn('users', 'bio', t.text())", "op.createIndex('users', { name: 'users_email_idx', columns: ['email'] })"],
        [M1],
      ),
      [`migrations/${M3}.ts`]: migrationSource(["op.alterColumn('users', 'bio', t.varchar(500).notNull().default(''))"], [M2]),
    },
  });
}

describe('sqlmigrate', () => {
  it('prints the SQL of one migration forwards and backwards, without creating the database', async () => {
    const p = project('sqlmigrate-both');
    const forwards = await p.run('sqlmigrate', M2);
    expect(forwards.code, forwards.output).toBe(0);
    expect(lines(forwards.stdout)).toEqual([
      'BEGIN;',
      '-- #1 Add column users.bio',
      'ALTER TABLE "users" ADD COLUMN "bio" text;',
      '-- #2 Create index users_email_idx on users (email)',
      'CREATE INDEX "users_email_idx" ON "users" ("email");',
      'COMMIT;',
    ]);
    const backwards = await p.run('sqlmigrate', '20260101000002', '--backwards');
    expect(backwards.code, backwards.output).toBe(0);
    // On SQLite, dropping an index or a column first looks at the live table (it may need a rebuild).
    expect(lines(backwards.stdout).filter((line) => line.startsWith('-- note: ')).map((line) => line.split(' when ')[0])).toEqual([
      '-- note: operation #2 (dropIndex) looks at the live database',
      '-- note: operation #1 (dropColumn) looks at the live database',
    ]);
    expect(lines(backwards.stdout).filter((line) => !line.startsWith('-- note: '))).toEqual([
      'BEGIN;',
      '-- #2 undo: Create index users_email_idx on users (email)',
      'DROP INDEX "users_email_idx";',
      '-- #1 undo: Add column users.bio',
      'ALTER TABLE "users" DROP COLUMN "bio";',
      'COMMIT;',
    ]);
    expect(existsSync(p.dbPath)).toBe(false);
  });

  it('says when the SQL depends on the live database (a SQLite table rebuild)', async () => {
    const p = project('sqlmigrate-rebuild');
    const result = await p.run('sqlmigrate', M3);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain('-- note: operation #1 (alterColumn) looks at the live database when it runs on sqlite');
    expect(result.stdout).toContain('CREATE TABLE "__covet_new_users"');
    const json = JSON.parse((await p.run('sqlmigrate', M3, '--json')).stdout) as { notes: string[]; statements: { operation: number; sql: string }[] };
    expect(json.notes).toHaveLength(1);
    expect(json.statements.every((statement) => statement.operation === 1)).toBe(true);
    expect(existsSync(p.dbPath)).toBe(false);
  });

  it('refuses an irreversible migration backwards and an unknown name', async () => {
    const p = TestProject.create('sqlmigrate-refusals', {
      files: { [`migrations/${M1}.ts`]: migrationSource(["op.runSql('CREATE TABLE audit (id INTEGER)')"]) },
    });
    expect(lines((await p.run('sqlmigrate', M1)).stdout)).toContain('CREATE TABLE audit (id INTEGER);');
    const backwards = await p.run('sqlmigrate', M1, '--backwards');
    expect(backwards.code).toBe(1);
    expect(backwards.stderr).toContain(`error: Cannot roll back default:${M1}: operation #1`);
    const unknown = await p.run('sqlmigrate', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('error: No migration named default:nope (sqlmigrate nope)');
  });
});

describe('reset', () => {
  const dev = { CI: '', COVET_ENV: '', NODE_ENV: '' };

  it('rolls back every migration and applies them again; the data goes, tables made outside migrations stay', async () => {
    const p = project('reset-dev');
    expect((await p.run('migrate')).code).toBe(0);
    const db = p.open();
    db.exec("INSERT INTO users (email, bio) VALUES ('a@b.c', 'x'); CREATE TABLE own (id INTEGER);");
    db.close();
    const schema = p.schema();
    const result = await p.runWith({ env: dev }, 'reset', '--yes');
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain(`Rolled back default:${M1}`);
    expect(result.stdout).toContain(`Applied default:${M3}`);
    expect(p.rows('SELECT * FROM users')).toEqual([]);
    expect(p.schema()).toEqual(schema);
    expect(p.applied()).toEqual([`default:${M1}`, `default:${M2}`, `default:${M3}`]);
  });

  it('refuses without --yes, on CI and in production, before opening anything', async () => {
    const p = project('reset-refusals');
    expect((await p.run('migrate')).code).toBe(0);
    const before = p.snapshot();
    const cases: [Record<string, string>, string[], string][] = [
      [dev, ['reset'], 'confirm with --yes'],
      [{ ...dev, CI: 'true' }, ['reset', '--yes'], 'refuses to run here: CI is set'],
      [{ ...dev, COVET_ENV: 'production' }, ['reset', '--yes'], 'refuses to run here: COVET_ENV is production'],
      [{ ...dev, NODE_ENV: 'production' }, ['reset', '--yes'], 'refuses to run here: NODE_ENV is production'],
    ];
    for (const [env, argv, message] of cases) {
      const result = await p.runWith({ env }, ...argv);
      expect({ argv, env, code: result.code, error: result.stderr.includes(message) }).toEqual({ argv, env, code: 1, error: true });
      expect(p.snapshot()).toEqual(before);
    }
    const json = await p.runWith({ env: { ...dev, CI: '1' } }, 'reset', '--yes', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ command: 'reset', ok: false, error: { code: 'RESET_REFUSED' } });
  });

  it('refuses before anything runs when an applied migration is irreversible', async () => {
    const p = TestProject.create('reset-irreversible', {
      files: {
        [`migrations/${M1}.ts`]: migrationSource(["op.createTable('users', { id: t.serial().primaryKey() })"]),
        [`migrations/${M2}.ts`]: migrationSource(["op.runSql('CREATE TABLE audit (id INTEGER)')"], [M1]),
      },
    });
    expect((await p.run('migrate')).code).toBe(0);
    const before = p.snapshot();
    const result = await p.runWith({ env: dev }, 'reset', '--yes');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`error: Cannot roll back default:${M2}`);
    expect(p.snapshot()).toEqual(before);
  });

  it('--app resets one app only', async () => {
    const p = TestProject.create('reset-app', {
      config: configSource('  apps: { accounts: {}, shop: {} },'),
      files: {
        [`migrations/accounts/${M1}.ts`]: migrationSource(["op.createTable('users', { id: t.serial().primaryKey() })"]),
        [`migrations/shop/${M2}.ts`]: migrationSource(["op.createTable('orders', { id: t.serial().primaryKey() })"]),
      },
    });
    expect((await p.run('migrate')).code).toBe(0);
    const result = await p.runWith({ env: dev }, 'reset', '--yes', '--app', 'shop', '--json');
    expect(result.code, result.output).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      command: 'reset',
      ok: true,
      app: 'shop',
      rolledBack: [{ id: `shop:${M2}` }],
      applied: [{ id: `shop:${M2}` }],
    });
    expect(p.applied()).toEqual([`accounts:${M1}`, `shop:${M2}`]);
  });
});

describe('sqlmigrate shows what migrate and rollback send', () => {
  /**
   * A config whose SQLite connection records every statement the run sends (not Covet's own
   * bookkeeping), with a plugin whose processSql rewrites each statement (a comment naming the
   * direction and the operation) and whose validateSql refuses any statement that mentions
   * "forbidden".
   */
  const recordingConfig = `import { defineConfig } from '@covet/core';
import { SqliteDialect } from '@covet/dialect-sqlite';

class RecordingSqlite extends SqliteDialect {
  async connect(config) {
    const connection = await super.connect(config);
    const record = (statement) => { if (!statement.bookkeeping) (globalThis.covetSent ??= []).push(statement.sql); };
    const execute = connection.execute.bind(connection);
    connection.execute = async (statement) => { record(statement); return execute(statement); };
    if (connection.executeAll) {
      const executeAll = connection.executeAll.bind(connection);
      connection.executeAll = async (statements) => { statements.forEach(record); return executeAll(statements); };
    }
    return connection;
  }
}
const recording = { name: 'recording-sqlite', apply: (covet) => covet.hooks.registerDialects.tap('recording', (registry) => registry.register(new RecordingSqlite())) };
const audit = {
  name: 'audit',
  apply(covet) {
    covet.hooks.processSql.tap('audit', (statements, { direction, operation, index }) =>
      statements.map((statement) => ({ ...statement, sql: \`\${statement.sql} /* audit \${direction} #\${index + 1} \${operation.kind} */\` })));
    covet.hooks.validateSql.tap('audit', (statements) => {
      if (statements.some((statement) => statement.sql.includes('forbidden'))) throw new Error('statement mentions forbidden');
    });
  },
};

export default defineConfig({
  database: { engine: 'sqlite', name: './app.db' },
  migrations: './migrations',
  plugins: [recording, audit],
});
`;
  const sent = (): string[] => {
    const all = ((globalThis as { covetSent?: string[] }).covetSent ?? []).filter((sql) => !/^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA)\b/i.test(sql));
    (globalThis as { covetSent?: string[] }).covetSent = [];
    return all;
  };
  const printed = async (p: TestProject, ...args: string[]): Promise<string[]> => {
    const result = await p.run('sqlmigrate', ...args, '--json');
    expect(result.code, result.output).toBe(0);
    return (JSON.parse(result.stdout) as { statements: { sql: string }[] }).statements.map((statement) => statement.sql);
  };

  it('prints, forwards and backwards, exactly the statements migrate and rollback then send, rewritten by processSql', async () => {
    const p = TestProject.create('sqlmigrate-same', {
      config: recordingConfig,
      files: {
        [`migrations/${M1}.ts`]: migrationSource(["op.createTable('users', { id: t.serial().primaryKey(), email: t.varchar(255).notNull() })"]),
        [`migrations/${M2}.ts`]: migrationSource(
          ["op.createTable('posts', { id: t.serial().primaryKey(), title: t.text() })", "op.createIndex('posts', { name: 'posts_title_idx', columns: ['title'] })"],
          [M1],
        ),
      },
    });
    const forwards = await printed(p, M2);
    expect(forwards).toEqual([
      'CREATE TABLE "posts" (\n  "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,\n  "title" text\n) /* audit up #1 createTable */',
      'CREATE INDEX "posts_title_idx" ON "posts" ("title") /* audit up #2 createIndex */',
    ]);
    const backwards = await printed(p, M2, '--backwards');
    expect(backwards.every((sql) => sql.includes('/* audit down #'))).toBe(true);

    expect((await p.run('migrate', M1)).code).toBe(0);
    sent();
    const migrated = await p.run('migrate');
    expect(migrated.code, migrated.output).toBe(0);
    expect(sent()).toEqual(forwards);
    const rolled = await p.run('rollback');
    expect(rolled.code, rolled.output).toBe(0);
    expect(sent()).toEqual(backwards);
  });

  it('refuses what validateSql refuses, as migrate would, without a database', async () => {
    const p = TestProject.create('sqlmigrate-refused', {
      config: recordingConfig,
      files: { [`migrations/${M1}.ts`]: migrationSource(["op.runSql('CREATE TABLE forbidden (id INTEGER)', 'DROP TABLE forbidden')"]) },
    });
    const result = await p.run('sqlmigrate', M1);
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')[0]).toBe(
      `error: statement mentions forbidden (plugin "audit", hook validateSql, migration default:${M1}, operation #1 (runSql))`,
    );
    expect(existsSync(p.dbPath)).toBe(false);
  });
});
