import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMysqlDialect, migrationLockName, type MysqlConnection } from '../src/index.js';
import { createTestDatabase, reportSkipped, UNAVAILABLE, type TestDatabase } from './helpers.js';

const dialect = createMysqlDialect();

describe.runIf(!UNAVAILABLE)('MySQL migration lock (GET_LOCK)', () => {
  let database: TestDatabase;
  const open: MysqlConnection[] = [];
  const connect = async (config = database.config) => {
    const connection = (await dialect.connect(config)) as MysqlConnection;
    open.push(connection);
    return connection;
  };
  beforeEach(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close().catch(() => undefined)));
    await database.drop();
  });

  it('runs everything inside the lock on the session that holds it', async () => {
    const connection = await connect();
    const name = migrationLockName(database.name);
    const rows = await connection.withMigrationLock(async () => {
      await connection.transaction(async () => {
        await connection.execute({ sql: 'CREATE TABLE t (id int PRIMARY KEY)' });
        await connection.execute({ sql: 'INSERT INTO t VALUES (?)', params: [1] });
      });
      return connection.query<{ holder: number; me: number }>('SELECT IS_USED_LOCK(?) AS holder, CONNECTION_ID() AS me', [name]);
    }, { timeoutMs: 1000 });
    expect(rows[0]!.holder).toBe(rows[0]!.me);
    const after = await connection.query<{ free: number }>('SELECT IS_FREE_LOCK(?) AS free', [name]);
    expect(Number(after[0]!.free)).toBe(1);
  });

  it('makes a second run wait (onWait once), then time out with LOCK_TIMEOUT', async () => {
    const first = await connect();
    const second = await connect();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const holding = new Promise<void>((resolve) => (entered = resolve));
    const firstRun = first.withMigrationLock(async () => {
      entered();
      await held;
    }, { timeoutMs: 1000 });
    await holding;
    const waits: string[] = [];
    const started = Date.now();
    const error = await second.withMigrationLock(async () => 'never', { timeoutMs: 400, onWait: (m) => waits.push(m) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'LOCK_TIMEOUT', exitCode: 75 });
    expect((error as Error).message).toContain(database.name);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(waits).toHaveLength(1);
    release();
    await firstRun;
    // Once released, the second run gets it.
    await expect(second.withMigrationLock(async () => 'ran', { timeoutMs: 1000 })).resolves.toBe('ran');
  });

  it('lets a waiting run continue when the first one ends', async () => {
    const first = await connect();
    const second = await connect();
    const order: string[] = [];
    let entered!: () => void;
    const holding = new Promise<void>((resolve) => (entered = resolve));
    // The first run ends once the second says it waits: an event, not a delay the second
    // might not reach in time on a loaded machine.
    let secondWaits!: () => void;
    const waiting = new Promise<void>((resolve) => (secondWaits = resolve));
    const firstRun = first.withMigrationLock(async () => {
      entered();
      await waiting;
      order.push('first');
    }, { timeoutMs: 1000 });
    await holding;
    let waited = 0;
    await second.withMigrationLock(async () => void order.push('second'), {
      timeoutMs: 30_000,
      onWait: () => {
        waited++;
        secondWaits();
      },
    });
    await firstRun;
    expect(order).toEqual(['first', 'second']);
    expect(waited).toBe(1);
  });

  it('does not make runs on two databases of one server wait for each other', async () => {
    const other = await createTestDatabase();
    try {
      const first = await connect();
      const second = await connect(other.config);
      let entered!: () => void;
      const holding = new Promise<void>((resolve) => (entered = resolve));
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const firstRun = first.withMigrationLock(async () => {
        entered();
        await held;
      }, { timeoutMs: 1000 });
      await holding;
      let waited = 0;
      await expect(second.withMigrationLock(async () => 'parallel', { timeoutMs: 1000, onWait: () => waited++ })).resolves.toBe('parallel');
      expect(waited).toBe(0);
      release();
      await firstRun;
    } finally {
      await other.drop();
    }
  });

  it('is released by the server when the holding connection dies', async () => {
    const first = await connect();
    const second = await connect();
    const admin = await connect();
    let sessionId = 0;
    let entered!: () => void;
    const holding = new Promise<void>((resolve) => (entered = resolve));
    const firstRun = first
      .withMigrationLock(async () => {
        sessionId = Number((await first.query<{ id: number }>('SELECT CONNECTION_ID() AS id'))[0]!.id);
        entered();
        // Blocks on the server until the session is killed.
        await first.query('SELECT SLEEP(?) AS slept', [30]);
      }, { timeoutMs: 1000 })
      .catch((error: unknown) => error);
    await holding;
    await admin.execute({ sql: `KILL CONNECTION ${sessionId}` });
    await expect(second.withMigrationLock(async () => 'after the crash', { timeoutMs: 5000 })).resolves.toBe('after the crash');
    await firstRun;
  });

  it('names the lock after the database, hashed when too long', () => {
    expect(migrationLockName('shop')).toBe('covet_migrate:shop');
    const long = migrationLockName('x'.repeat(64));
    expect(long.length).toBeLessThanOrEqual(64);
    expect(long).not.toBe(migrationLockName('y'.repeat(64)));
  });
});

if (UNAVAILABLE) reportSkipped('MySQL migration lock (GET_LOCK)');
