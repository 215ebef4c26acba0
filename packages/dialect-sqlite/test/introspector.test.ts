import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteDialect, SqliteIntrospector, type SqliteConnection } from '../src/index.js';
import { temporaryFolder } from './helpers.js';

const dialect = createSqliteDialect();

describe('SqliteIntrospector', () => {
  let folder: ReturnType<typeof temporaryFolder>;
  let connection: SqliteConnection;

  beforeEach(async () => {
    folder = temporaryFolder();
    connection = (await dialect.connect({ engine: 'sqlite', name: join(folder.path, 'i.db') })) as SqliteConnection;
  });
  afterEach(async () => {
    await connection.close();
    folder.remove();
  });

  async function countQueries(): Promise<number> {
    let count = 0;
    const introspector = new SqliteIntrospector((sql, params) => {
      count++;
      return connection.query(sql, params);
    });
    await introspector.introspect();
    return count;
  }

  async function createTables(from: number, to: number): Promise<void> {
    const statements: string[] = [];
    for (let i = from; i < to; i++) {
      statements.push(
        `CREATE TABLE "t${i}" ("id" INTEGER PRIMARY KEY, "parent" INTEGER REFERENCES "t0" ("id"), "name" varchar(20) UNIQUE);`,
        `CREATE INDEX "t${i}_parent_idx" ON "t${i}" ("parent");`,
      );
    }
    await connection.execute({ sql: statements.join('\n') });
  }

  it('uses the same number of queries for 10 and 100 tables', async () => {
    await createTables(0, 10);
    const forTen = await countQueries();
    await createTables(10, 100);
    const forHundred = await countQueries();
    expect(forTen).toBe(forHundred);
    expect(forTen).toBeLessThanOrEqual(5);
    expect(Object.keys((await connection.introspector.introspect()).tables)).toHaveLength(100);
  });

  it('reads types, defaults, keys, constraint names and unmanaged objects', async () => {
    await connection.execute({
      sql: `
        CREATE TABLE "users" (
          "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
          "email" varchar(255) NOT NULL UNIQUE,
          "active" boolean NOT NULL DEFAULT 1,
          "price" decimal(10,2) DEFAULT -1.5,
          "at" timestamptz DEFAULT CURRENT_TIMESTAMP,
          "note" text DEFAULT 'it''s',
          "money" MONEY
        );
        CREATE TABLE "posts" (
          "user_id" integer NOT NULL CONSTRAINT "posts_user_fk" REFERENCES "users" ON DELETE CASCADE,
          "slug" char(8) NOT NULL,
          "editor_id" integer,
          CONSTRAINT "posts_pk" PRIMARY KEY ("user_id", "slug"),
          FOREIGN KEY ("editor_id") REFERENCES "users" ("id") ON UPDATE SET NULL
        );
        CREATE UNIQUE INDEX "posts_slug_live" ON "posts" ("slug") WHERE "editor_id" IS NOT NULL;
        CREATE INDEX "posts_lower_slug" ON "posts" (lower("slug"));
        CREATE VIEW "user_emails" AS SELECT "email" FROM "users";
        CREATE TRIGGER "posts_ai" AFTER INSERT ON "posts" BEGIN SELECT 1; END;
        CREATE TABLE "covet_migrations" ("id" INTEGER PRIMARY KEY);
      `,
    });
    const state = await connection.introspector.introspect();
    expect(Object.keys(state.tables).sort()).toEqual(['posts', 'users']);
    expect(state.tables.users).toEqual({
      name: 'users',
      columns: [
        { name: 'id', type: { type: 'serial' }, nullable: false },
        { name: 'email', type: { type: 'varchar', length: 255 }, nullable: false },
        { name: 'active', type: { type: 'boolean' }, nullable: false, default: { kind: 'value', value: true } },
        { name: 'price', type: { type: 'decimal', precision: 10, scale: 2 }, nullable: true, default: { kind: 'value', value: -1.5 } },
        { name: 'at', type: { type: 'timestamp', withTimeZone: true }, nullable: true, default: { kind: 'sql', sql: 'CURRENT_TIMESTAMP' } },
        { name: 'note', type: { type: 'text' }, nullable: true, default: { kind: 'value', value: "it's" } },
        { name: 'money', type: { type: 'custom', sql: 'MONEY' }, nullable: true },
      ],
      primaryKey: { columns: ['id'] },
      indexes: [{ name: 'users_email_key', columns: ['email'], unique: true }],
      foreignKeys: [],
    });
    expect(state.tables.posts).toEqual({
      name: 'posts',
      columns: [
        { name: 'user_id', type: { type: 'integer' }, nullable: false },
        { name: 'slug', type: { type: 'char', length: 8 }, nullable: false },
        { name: 'editor_id', type: { type: 'integer' }, nullable: true },
      ],
      primaryKey: { name: 'posts_pk', columns: ['user_id', 'slug'] },
      indexes: [{ name: 'posts_slug_live', columns: ['slug'], unique: true, where: '"editor_id" IS NOT NULL' }],
      foreignKeys: [
        { name: 'posts_editor_id_fkey', columns: ['editor_id'], references: { table: 'users', columns: ['id'] }, onDelete: 'no action', onUpdate: 'set null' },
        { name: 'posts_user_fk', columns: ['user_id'], references: { table: 'users', columns: ['id'] }, onDelete: 'cascade', onUpdate: 'no action' },
      ],
    });
    expect(state.unmanaged).toEqual([
      { kind: 'index', name: 'posts_lower_slug', table: 'posts' },
      { kind: 'view', name: 'user_emails' },
      { kind: 'trigger', name: 'posts_ai', table: 'posts' },
    ]);
  });
});
