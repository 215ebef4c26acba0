// Schemas as real MySQL databases hold them, with the real `covet` binary on MariaDB: a foreign
// key named like its index, Sakila loaded from its raw DDL (RESTRICT where Covet's default is
// NO ACTION), a serial second in a composite primary key, 64-character names made outside
// Covet, and MariaDB's JSON columns on tables whose names hold dots; the column-level DSL
// (sized text and blobs, jsonb, numeric, collations, function defaults, comments, identity).
import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMysqlDialect, type MysqlConnection } from '../src/index.js';
import { cliProject, createTestDatabase, loadDump, reportSkipped, runCovet as covet, SAKILA_SQL, UNAVAILABLE, type TestDatabase } from './helpers.js';

const SAKILA_MODELS = join(import.meta.dirname, 'cases', 'sakila', 'models.ts');

describe.runIf(!UNAVAILABLE)('fidelity on MySQL/MariaDB', () => {
  let database: TestDatabase;
  let folder: string;
  let connection: MysqlConnection | undefined;
  beforeEach(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    await connection?.close();
    connection = undefined;
    await database.drop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });
  const open = async () => (connection ??= (await createMysqlDialect().connect(database.config)) as MysqlConnection);
  const migrationFiles = () => readdirSync(join(folder, 'migrations')).filter((file) => file.endsWith('.ts'));

  it('a foreign key named like the index that backs it (MySQL\'s usual shape) is built, and then seen as no change', async () => {
    folder = cliProject('fk-named-like-index', database);
    writeFileSync(
      join(folder, 'models', 'shop.ts'),
      `import { defineTable, t } from '@covet/core';
export const users = defineTable('users', { id: t.serial().primaryKey() });
export const orders = defineTable('orders', {
  id: t.serial().primaryKey(),
  user_id: t.integer().notNull().references(users, 'id', { name: 'fk_orders_user' }),
}, { indexes: [{ name: 'fk_orders_user', columns: ['user_id'] }] });
`,
    );
    let run = covet(folder, 'makemigrations', '--name', 'initial');
    expect(run.status, run.stderr).toBe(0);
    run = covet(folder, 'migrate');
    expect(run.status, run.stderr).toBe(0);
    const rows = await (await open()).query<{ kind: string; name: string }>(
      "SELECT 'index' AS kind, INDEX_NAME AS name FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'orders' AND INDEX_NAME <> 'PRIMARY' " +
        "UNION ALL SELECT 'foreign key', CONSTRAINT_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = 'orders'",
    );
    expect(rows.map((row) => `${row.kind} ${row.name}`).sort()).toEqual(['foreign key fk_orders_user', 'index fk_orders_user']);
    for (const argv of [['makemigrations', '--dry-run'], ['makemigrations', '--from', 'database', '--dry-run']]) {
      run = covet(folder, ...argv);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout, argv.join(' ')).toContain('No changes detected');
    }
  }, 120_000);

  it('Sakila loaded from its raw DDL, with models equal to it: --from database leaves every foreign key alone (RESTRICT is NO ACTION)', async () => {
    loadDump(database, SAKILA_SQL);
    folder = cliProject('sakila', database);
    copyFileSync(SAKILA_MODELS, join(folder, 'models', 'sakila.ts'));
    const run = covet(folder, 'makemigrations', '--from', 'database', '--dry-run');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('No changes detected');
    // The live keys are RESTRICT, the models' the default NO ACTION: the same action to InnoDB.
    const [restricted] = await (await open()).query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND DELETE_RULE = 'RESTRICT'",
    );
    const models = join(folder, 'models', 'sakila.ts');
    const source = readFileSync(models, 'utf8');
    expect(Number(restricted!.n)).toBe(source.match(/\.references\(/g)!.length - source.match(/onDelete:/g)!.length);
    expect(Number(restricted!.n)).toBeGreaterThan(15);
    // A real change to one key is still seen, and only that one.
    writeFileSync(models, source.replace("name: 'fk_film_actor_film',", "onDelete: 'cascade',\n    name: 'fk_film_actor_film',"));
    const changed = covet(folder, 'makemigrations', '--from', 'database', '--dry-run');
    expect(changed.status, changed.stderr).toBe(0);
    expect(changed.stdout.split('\n').filter((line) => line.startsWith('    - '))).toEqual([
      '    - Drop foreign key fk_film_actor_film on film_actor',
      '    - Add foreign key fk_film_actor_film on film_actor (film_id) -> film',
    ]);
  }, 180_000);

  it('a serial second in a composite primary key gets the index InnoDB needs, shown by sqlmigrate', async () => {
    folder = cliProject('serial-second', database);
    writeFileSync(
      join(folder, 'models', 'shop.ts'),
      `import { defineTable, t } from '@covet/core';
export const lines = defineTable('order_lines', {
  order_id: t.integer().notNull(),
  seq: t.serial(),
  note: t.text(),
}, { primaryKey: ['order_id', 'seq'] });
`,
    );
    let run = covet(folder, 'makemigrations', '--name', 'initial');
    expect(run.status, run.stderr).toBe(0);
    const [file] = migrationFiles();
    run = covet(folder, 'sqlmigrate', file!.replace(/\.ts$/, ''));
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('PRIMARY KEY (`order_id`, `seq`),\n  INDEX `order_lines_seq_idx` (`seq`)');
    run = covet(folder, 'migrate');
    expect(run.status, run.stderr).toBe(0);
    const db = await open();
    await db.execute({ sql: 'INSERT INTO order_lines (order_id, note) VALUES (1, ?), (1, ?), (2, ?)', params: ['a', 'b', 'c'] });
    const rows = await db.query<{ order_id: number; seq: number }>('SELECT order_id, seq FROM order_lines ORDER BY seq');
    expect(rows.map((row) => [row.order_id, row.seq])).toEqual([[1, 1], [1, 2], [2, 3]]);
    for (const argv of [['makemigrations', '--dry-run'], ['makemigrations', '--from', 'database', '--dry-run']]) {
      run = covet(folder, ...argv);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout, argv.join(' ')).toContain('No changes detected');
    }
    run = covet(folder, 'rollback');
    expect(run.status, run.stderr).toBe(0);
    expect(Object.keys((await db.introspector.introspect()).tables)).toEqual([]);
  }, 120_000);

  it('a 64-character table, column and index made outside Covet: --from database handles them', async () => {
    const table = `t${'a'.repeat(63)}`;
    const column = `c${'b'.repeat(63)}`;
    const index = `i${'c'.repeat(63)}`;
    const db = await open();
    await db.execute({ sql: `CREATE TABLE \`${table}\` (id int PRIMARY KEY, \`${column}\` int, INDEX \`${index}\` (\`${column}\`))` });
    folder = cliProject('long-names', database);
    writeFileSync(
      join(folder, 'models', 'shop.ts'),
      `import { defineTable, t } from '@covet/core';
export const long = defineTable('${table}', {
  id: t.integer().primaryKey(),
  ['${column}']: t.integer(),
}, { indexes: [{ name: '${index}', columns: ['${column}'] }] });
`,
    );
    let run = covet(folder, 'makemigrations', '--from', 'database', '--dry-run');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('No changes detected');

    // The models drop the index and add a column: the detected change names them in full.
    writeFileSync(
      join(folder, 'models', 'shop.ts'),
      `import { defineTable, t } from '@covet/core';
export const long = defineTable('${table}', {
  id: t.integer().primaryKey(),
  ['${column}']: t.integer(),
  ['d${'e'.repeat(63)}']: t.text(),
});
`,
    );
    run = covet(folder, 'makemigrations', '--from', 'database', '--dry-run');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(`    - Add column ${table}.d${'e'.repeat(63)}\n`);
    expect(run.stdout).toContain(`    - Drop index ${index} on ${table}\n`);

    // One character more than MySQL holds is refused before anything is written.
    writeFileSync(join(folder, 'models', 'shop.ts'), `import { defineTable, t } from '@covet/core';
export const long = defineTable('${table}x', { id: t.integer().primaryKey() });
`);
    run = covet(folder, 'makemigrations', '--from', 'database');
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(`is 65 characters`);
    expect(migrationFiles()).toEqual([]);
  }, 120_000);

  it('MariaDB JSON columns are found per table, whatever dots the names hold', async () => {
    const db = await open();
    await db.execute({ sql: 'CREATE TABLE `a.b` (`c` json, `d` longtext)' });
    await db.execute({ sql: 'CREATE TABLE `a` (`b.c` longtext, `e` json)' });
    const { tables } = await db.introspector.introspect();
    const types = (name: string) => Object.fromEntries(tables[name]!.columns.map((column) => [column.name, column.type]));
    expect(types('a.b')).toEqual({ c: { type: 'json' }, d: { type: 'text', size: 'long' } });
    expect(types('a')).toEqual({ 'b.c': { type: 'text', size: 'long' }, e: { type: 'json' } });
  }, 60_000);

  it('the column DSL: sized text and blobs, jsonb, numeric, collation, function default, comment, identity', async () => {
    folder = cliProject('columns', database);
    const models = `import { defineTable, sql, t } from '@covet/core';
export const docs = defineTable('docs', {
  id: t.integer().identity().primaryKey(),
  file: t.blob({ size: 'long' }),
  thumb: t.blob({ size: 'tiny' }),
  body: t.text({ size: 'medium' }),
  meta: t.jsonb(),
  price: t.numeric(12, 4),
  title: t.varchar(100).notNull().collate('utf8mb4_bin').comment("The title's text"),
  token: t.char(36).notNull().default(sql\`uuid()\`),
});
`;
    writeFileSync(join(folder, 'models', 'docs.ts'), models);
    let run = covet(folder, 'makemigrations', '--name', 'initial');
    expect(run.status, run.stderr).toBe(0);
    run = covet(folder, 'migrate');
    expect(run.status, run.stderr).toBe(0);
    const db = await open();
    const columns = await db.query<{ COLUMN_NAME: string; COLUMN_TYPE: string; COLLATION_NAME: string | null; COLUMN_COMMENT: string; EXTRA: string }>(
      "SELECT COLUMN_NAME, COLUMN_TYPE, COLLATION_NAME, COLUMN_COMMENT, EXTRA FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'docs' ORDER BY ORDINAL_POSITION",
    );
    const byName = Object.fromEntries(columns.map((column) => [column.COLUMN_NAME, column]));
    expect(byName.id!.EXTRA).toBe('auto_increment');
    expect([byName.file!.COLUMN_TYPE, byName.thumb!.COLUMN_TYPE, byName.body!.COLUMN_TYPE, byName.price!.COLUMN_TYPE]).toEqual(['longblob', 'tinyblob', 'mediumtext', 'decimal(12,4)']);
    expect([byName.title!.COLLATION_NAME, byName.title!.COLUMN_COMMENT]).toEqual(['utf8mb4_bin', "The title's text"]);
    await db.execute({ sql: 'INSERT INTO docs (title) VALUES (?), (?)', params: ['a', 'b'] });
    const rows = await db.query<{ id: number; token: string }>('SELECT id, token FROM docs ORDER BY id');
    expect(rows.map((row) => row.id)).toEqual([1, 2]);
    expect(rows[0]!.token).toMatch(/^[0-9a-f-]{36}$/);
    for (const argv of [['makemigrations', '--dry-run'], ['makemigrations', '--from', 'database', '--dry-run']]) {
      run = covet(folder, ...argv);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout, argv.join(' ')).toContain('No changes detected');
    }

    // A collation and a comment change; a size grows.
    writeFileSync(join(folder, 'models', 'docs.ts'), models.replace("collate('utf8mb4_bin').comment(\"The title's text\")", "collate('utf8mb4_unicode_ci').comment('Title')").replace("size: 'tiny'", "size: 'medium'"));
    run = covet(folder, 'makemigrations', '--name', 'change');
    expect(run.status, run.stderr).toBe(0);
    run = covet(folder, 'migrate');
    expect(run.status, run.stderr).toBe(0);
    run = covet(folder, 'makemigrations', '--from', 'database', '--dry-run');
    expect(run.stdout).toContain('No changes detected');
    run = covet(folder, 'migrate', 'zero');
    expect(run.status, run.stderr).toBe(0);
    expect(Object.keys((await db.introspector.introspect()).tables)).toEqual([]);
  }, 180_000);

  it('what MySQL cannot hold is refused before anything runs: an identity that refuses given values, a comment with a backslash', async () => {
    folder = cliProject('refused', database);
    for (const [column, message] of [
      ['id: t.integer().identity({ always: true }).primaryKey()', 'error: MySQL has no identity column that refuses given values: docs.id is .identity({ always: true })'],
      ["id: t.integer().primaryKey().comment('a\\\\b')", 'error: MySQL cannot store a column comment holding a backslash the same under every sql_mode (docs.id)'],
    ] as const) {
      writeFileSync(join(folder, 'models', 'docs.ts'), `import { defineTable, t } from '@covet/core';\nexport const docs = defineTable('docs', { ${column} });\n`);
      for (const file of migrationFiles()) rmSync(join(folder, 'migrations', file));
      const make = covet(folder, 'makemigrations', '--name', 'initial');
      expect(make.status, make.stderr).toBe(0);
      const run = covet(folder, 'migrate');
      expect(run.status).not.toBe(0);
      expect(run.stderr.split('\n')[0]).toBe(message);
      expect(Object.keys((await (await open()).introspector.introspect()).tables)).toEqual([]);
      expect(await (await open()).tableExists('covet_migrations')).toBe(false);
    }
  }, 120_000);
});

if (UNAVAILABLE) reportSkipped('fidelity on MySQL/MariaDB');
