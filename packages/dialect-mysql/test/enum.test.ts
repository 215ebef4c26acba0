// Enum columns on MariaDB with the real `covet` binary: inline ENUM('a', ...), built, refusing
// other values (strict mode), read back as the same enum (makemigrations, --from database and
// inspectdb), a value added in the middle (MODIFY, rows kept), rolled back; a value holding a
// backslash refused in one line before anything runs.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cliProject, covetOk, createTestDatabase, expectUnchanged, queryDatabase, runCovet as covet, UNAVAILABLE, type TestDatabase } from './helpers.js';

const MODELS = `import { defineTable, t } from '@covet/core';
export const posts = defineTable('posts', {
  id: t.integer().primaryKey(),
  status: t.enum(['draft', "it's out"]).notNull().default('draft'),
});
`;

describe.runIf(!UNAVAILABLE)('enums on MariaDB', () => {
  let database: TestDatabase;
  let folder = '';
  beforeEach(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    await database.drop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });
  const ok = (...argv: string[]) => covetOk(folder, ...argv);
  const unchanged = () => expectUnchanged(folder);
  const query = (sql: string, params: unknown[] = []) => queryDatabase(database.url, sql, params, { strict: true });
  const columnType = async () =>
    (await query("SELECT COLUMN_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'posts' AND COLUMN_NAME = 'status'"))[0]!.type;
  const models = (source: string) => writeFileSync(join(folder, 'models', 'posts.ts'), source);

  it('inline ENUM: built, read back as the enum, a value added, rolled back', { timeout: 180_000 }, async () => {
    folder = cliProject('enum', database);
    models(MODELS);
    ok('makemigrations', '--name', 'initial');
    ok('migrate');
    expect(await columnType()).toBe("enum('draft','it''s out')");
    await query('INSERT INTO posts (id, status) VALUES (1, ?), (2, DEFAULT)', ["it's out"]);
    await expect(query("INSERT INTO posts (id, status) VALUES (3, 'archived')")).rejects.toThrow(/Data truncated for column 'status'/);
    unchanged();
    ok('inspectdb', '--out', join(folder, 'inspected'));
    expect(readFileSync(join(folder, 'inspected', 'posts.ts'), 'utf8')).toContain(`status: t.enum(['draft', "it's out"]).notNull().default('draft'),`);

    models(MODELS.replace(`['draft', "it's out"]`, `['draft', 'review', "it's out"]`));
    ok('makemigrations', '--name', 'review');
    ok('migrate');
    expect(await columnType()).toBe("enum('draft','review','it''s out')");
    await query("INSERT INTO posts (id, status) VALUES (3, 'review')");
    expect(await query('SELECT id, status FROM posts ORDER BY id')).toEqual([
      { id: 1, status: "it's out" },
      { id: 2, status: 'draft' },
      { id: 3, status: 'review' },
    ]);
    unchanged();

    await query('DELETE FROM posts WHERE id = 3');
    ok('rollback');
    expect(await columnType()).toBe("enum('draft','it''s out')");
    expect(await query('SELECT id, status FROM posts ORDER BY id')).toEqual([{ id: 1, status: "it's out" }, { id: 2, status: 'draft' }]);
    models(MODELS);
    expect(ok('makemigrations', '--from', 'database', '--dry-run').stdout).toContain('No changes detected');
    ok('migrate', 'zero');
  });

  it('an enum value with a backslash is refused in one line; nothing runs', { timeout: 60_000 }, async () => {
    folder = cliProject('enum-backslash', database);
    models(MODELS.replace(`"it's out"`, `'a\\\\b'`));
    ok('makemigrations', '--name', 'initial');
    const run = covet(folder, 'migrate');
    expect(run.status).not.toBe(0);
    expect(run.stderr.split('\n')[0]).toBe('error: MySQL cannot store an enum value holding a backslash the same under every sql_mode (posts.status)');
    expect(await query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'posts'")).toEqual([]);
  });
});
