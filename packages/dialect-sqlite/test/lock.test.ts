import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteDialect, type SqliteConnection } from '../src/index.js';
import { temporaryFolder } from './helpers.js';

const dialect = createSqliteDialect();

describe('migration lock', () => {
  let folder: ReturnType<typeof temporaryFolder>;
  let file: string;
  let first: SqliteConnection;
  let second: SqliteConnection;

  beforeEach(async () => {
    folder = temporaryFolder();
    file = join(folder.path, 'lock.db');
    first = (await dialect.connect({ engine: 'sqlite', name: file })) as SqliteConnection;
    second = (await dialect.connect({ engine: 'sqlite', name: file })) as SqliteConnection;
    await first.execute({ sql: 'CREATE TABLE "t" ("id" INTEGER PRIMARY KEY)' });
  });
  afterEach(async () => {
    await first.close();
    await second.close();
    folder.remove();
  });

  it('times out with LOCK_TIMEOUT while another connection holds it, and restores foreign_keys', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const holder = first.withMigrationLock(async () => {
      expect(first.database.pragma('foreign_keys', { simple: true })).toBe(0);
      entered();
      await held;
    }, { timeoutMs: 1000 });
    await inside;

    const waits: string[] = [];
    const error = await second
      .withMigrationLock(async () => 'never', { timeoutMs: 150, onWait: (message) => waits.push(message) })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'LOCK_TIMEOUT', exitCode: 75 });
    expect((error as Error).message).toBe(`Timed out after 0.2s waiting for the migration lock (${file})`);
    expect(waits).toEqual([`Waiting for another covet run to release ${file} ...`]);
    expect(second.database.pragma('foreign_keys', { simple: true })).toBe(1);

    release();
    await holder;
    expect(first.database.pragma('foreign_keys', { simple: true })).toBe(1);
    // Released: the second run now gets it.
    await expect(second.withMigrationLock(async () => 'ok', { timeoutMs: 150 })).resolves.toBe('ok');
  });

  it('waits for the lock and gets it when the holder commits in time', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const holder = first.withMigrationLock(() => held, { timeoutMs: 1000 });
    const waits: string[] = [];
    // Released when the second run says it waits (not after a delay it might not reach in time).
    const onWait = (message: string) => {
      waits.push(message);
      release();
    };
    await expect(second.withMigrationLock(async () => 'got it', { timeoutMs: 30_000, onWait })).resolves.toBe('got it');
    expect(waits).toHaveLength(1);
    await holder;
  });

  it('commits earlier migrations when a later one fails inside the lock, as the runner does', async () => {
    const migrations = [
      'INSERT INTO "t" ("id") VALUES (1)',
      'INSERT INTO "t" ("id") VALUES (2); INSERT INTO "missing" VALUES (1)',
    ];
    const failures: unknown[] = [];
    await first.withMigrationLock(async () => {
      for (const sql of migrations) {
        try {
          await first.transaction(() => first.execute({ sql }));
        } catch (error) {
          failures.push(error);
          break;
        }
      }
    }, { timeoutMs: 1000 });
    expect(failures).toHaveLength(1);
    expect(await second.query('SELECT "id" FROM "t"')).toEqual([{ id: 1 }]);
    expect(first.database.pragma('foreign_keys', { simple: true })).toBe(1);
  });

  it('rolls a savepoint back when it leaves a foreign key violation, and keeps foreign_keys off when it was off', async () => {
    await first.execute({ sql: 'CREATE TABLE "child" ("id" INTEGER PRIMARY KEY, "t_id" INTEGER REFERENCES "t" ("id"))' });
    await first.withMigrationLock(async () => {
      await expect(first.transaction(() => first.execute({ sql: 'INSERT INTO "child" VALUES (1, 42)' }))).rejects.toMatchObject({
        code: 'FOREIGN_KEY_VIOLATION',
        message: 'Row 1 of table "child" references a missing row of "t" (foreign key check)',
      });
    }, { timeoutMs: 1000 });
    expect(await first.query('SELECT COUNT(*) AS n FROM "child"')).toEqual([{ n: 0 }]);

    first.database.pragma('foreign_keys = OFF');
    await first.withMigrationLock(() => first.transaction(() => first.execute({ sql: 'INSERT INTO "child" VALUES (1, 42)' })), { timeoutMs: 1000 });
    expect(first.database.pragma('foreign_keys', { simple: true })).toBe(0);
  });

  it('skips the foreign key check for statements flagged bookkeeping, and only for those (never by their SQL text)', async () => {
    // An orphan row written with foreign keys off: any check from now on finds it.
    await first.execute({ sql: 'CREATE TABLE "child" ("id" INTEGER PRIMARY KEY, "t_id" INTEGER REFERENCES "t" ("id"))' });
    await first.execute({ sql: 'CREATE TABLE "covet_migrations" ("name" TEXT)' });
    first.database.pragma('foreign_keys = OFF');
    await first.execute({ sql: 'INSERT INTO "child" VALUES (1, 42)' });
    first.database.pragma('foreign_keys = ON');
    const insert = { sql: 'INSERT INTO "covet_migrations" ("name") VALUES (?)' };

    await first.transaction(() => first.execute({ ...insert, params: ['flagged'], bookkeeping: true }));
    await first.transaction(() => first.executeAll([{ ...insert, params: ['batch'], bookkeeping: true }, { sql: 'CREATE INDEX "i" ON "child" ("t_id")' }]));
    await expect(first.transaction(() => first.execute({ ...insert, params: ['unflagged'] }))).rejects.toMatchObject({ code: 'FOREIGN_KEY_VIOLATION' });
    expect(await first.query('SELECT "name" FROM "covet_migrations" ORDER BY rowid')).toEqual([{ name: 'flagged' }, { name: 'batch' }]);
  });
});
