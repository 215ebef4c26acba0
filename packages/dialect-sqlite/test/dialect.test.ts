import { createCovet, EMPTY_STATE } from '@covet/core';
import { describe, expect, it } from 'vitest';
import sqlite, { createSqliteDialect } from '../src/index.js';

const dialect = createSqliteDialect();

describe('SqliteDialect', () => {
  it('is registered by the default-export plugin', () => {
    const covet = createCovet({ plugins: [sqlite] });
    expect(covet.dialects.get('sqlite')?.capabilities).toEqual({
      transactionalDdl: true,
      alterColumn: 'rebuild',
      maxIdentifierLength: Number.POSITIVE_INFINITY,
      nameScopes: [
        { kinds: ['index'], scope: 'schema' },
        { kinds: ['foreignKey'], scope: 'table' },
      ],
      lockIsTransaction: true,
    });
  });

  it('quotes identifiers and refuses invalid ones', () => {
    expect(dialect.quoteIdentifier('order')).toBe('"order"');
    expect(dialect.quoteIdentifier('a"b')).toBe('"a""b"');
    expect(dialect.quoteIdentifier('order items')).toBe('"order items"');
    // SQLite has no length limit.
    expect(dialect.quoteIdentifier('x'.repeat(300))).toBe(`"${'x'.repeat(300)}"`);
    expect(() => dialect.quoteIdentifier('a\u0000b')).toThrow(/character U\+0000 \(NUL\) at position 2/);
    expect(dialect.placeholder(1)).toBe('?');
    // A relative file is resolved from `root` (the config file's folder), else the working directory.
    expect(dialect.describeDatabase({ engine: 'sqlite', name: './app.db', root: '/srv/app' })).toBe('sqlite /srv/app/app.db');
    expect(dialect.describeDatabase({ engine: 'sqlite', name: './app.db' })).toBe(`sqlite ${process.cwd()}/app.db`);
    expect(dialect.describeDatabase({ engine: 'sqlite', name: ':memory:', root: '/srv/app' })).toBe('sqlite :memory:');
  });

  it('normalizes columns to what SQLite reports back', () => {
    for (const type of ['smallserial', 'serial', 'bigserial'] as const) {
      expect(dialect.normalizeColumn({ name: 'id', type: { type }, nullable: true })).toEqual({ name: 'id', type: { type: 'serial' }, nullable: false });
    }
    expect(dialect.normalizeColumn({ name: 'f', type: { type: 'boolean' }, nullable: true, default: { kind: 'sql', sql: '1' } })).toEqual({
      name: 'f', type: { type: 'boolean' }, nullable: true, default: { kind: 'value', value: true },
    });
    expect(dialect.normalizeColumn({ name: 'c', type: { type: 'custom', sql: 'VARCHAR(10)' }, nullable: true })).toEqual({
      name: 'c', type: { type: 'varchar', length: 10 }, nullable: true,
    });
  });

  it('compiles offline (no live database) from the state, and returns undefined for unknown kinds', async () => {
    const users = {
      name: 'users',
      columns: [
        { name: 'id', type: { type: 'serial' as const }, nullable: false },
        { name: 'email', type: { type: 'varchar' as const, length: 255 }, nullable: false, default: { kind: 'value' as const, value: "o'k" } },
      ],
      primaryKey: { columns: ['id'] },
      indexes: [{ name: 'users_email_key', columns: ['email'], unique: true, where: '"email" <> \'\'' }],
      foreignKeys: [],
    };
    const state = { tables: { users } };
    expect(dialect.compileOperation({ kind: 'createTable', args: users }, { dialect, stateBefore: EMPTY_STATE, stateAfter: state })).toEqual([
      { sql: `CREATE TABLE "users" (\n  "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,\n  "email" varchar(255) NOT NULL DEFAULT 'o''k'\n)` },
      { sql: `CREATE UNIQUE INDEX "users_email_key" ON "users" ("email") WHERE "email" <> ''` },
    ]);
    const altered = { ...users, columns: [users.columns[0]!, { name: 'email', type: { type: 'text' as const }, nullable: true }] };
    const statements = await dialect.compileOperation(
      { kind: 'alterColumn', args: { table: 'users', column: altered.columns[1] } },
      { dialect, stateBefore: state, stateAfter: { tables: { users: altered } } },
    );
    expect(statements?.map((s) => s.sql)).toEqual([
      `CREATE TABLE "__covet_new_users" (\n  "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,\n  "email" text\n)`,
      `INSERT INTO "__covet_new_users" ("id", "email") SELECT "id", "email" FROM "users"`,
      'DROP TABLE "users"',
      'PRAGMA legacy_alter_table = ON',
      'ALTER TABLE "__covet_new_users" RENAME TO "users"',
      'PRAGMA legacy_alter_table = OFF',
      `CREATE UNIQUE INDEX "users_email_key" ON "users" ("email") WHERE "email" <> ''`,
    ]);
    expect(dialect.compileOperation({ kind: 'views.createView', args: {} }, { dialect, stateBefore: EMPTY_STATE, stateAfter: EMPTY_STATE })).toBeUndefined();
  });
});

describe('SqliteDialect rebuild names', () => {
  it('rebuilds a table whose name is at the identifier length limit', async () => {
    const name = 't'.repeat(63);
    const table = { name, columns: [{ name: 'a', type: { type: 'integer' as const }, nullable: true }], indexes: [], foreignKeys: [] };
    const altered = { ...table, columns: [{ name: 'a', type: { type: 'text' as const }, nullable: true }] };
    const statements = await dialect.compileOperation(
      { kind: 'alterColumn', args: { table: name, column: altered.columns[0] } },
      { dialect, stateBefore: { tables: { [name]: table } }, stateAfter: { tables: { [name]: altered } } },
    );
    expect(statements?.[0]?.sql).toContain(`"__covet_new_${name}"`);
  });
});
