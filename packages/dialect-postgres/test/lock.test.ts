import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireMigrationLock, createPostgresDialect, migrationLockKey, type PostgresConnection } from '../src/index.js';
import { createTestDatabase, describeWithPostgres, withClient, type TestDatabase } from './helpers.js';

const dialect = createPostgresDialect();

describe('migration lock behind a transaction-mode pooler (simulated)', () => {
  it('fails fast when the lock query runs on another backend, and releases only there', async () => {
    const sent: string[] = [];
    const query = async <Row>(sql: string): Promise<Row[]> => {
      sent.push(sql);
      return [{ locked: true, pid: 222 }] as Row[];
    };
    await expect(acquireMigrationLock(query, '1', 111, 'postgres db', { timeoutMs: 1000 })).rejects.toMatchObject({ code: 'LOCK_UNSAFE' });
    expect(sent[1]).toContain('CASE WHEN pg_backend_pid() = $2 THEN pg_advisory_unlock');
  });

  it('fails fast when the check after taking the lock does not see it held', async () => {
    const answers = [[{ locked: true, pid: 111 }], [{ pid: 111, held: false }], []];
    const query = async <Row>(): Promise<Row[]> => answers.shift() as Row[];
    const error = await acquireMigrationLock(query, '1', 111, 'postgres db', { timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'LOCK_UNSAFE' });
    expect((error as { hint: string }).hint).toContain('Connect covet directly');
  });
});

describeWithPostgres('migration lock and lock_timeout', () => {
  let database: TestDatabase;
  const open: PostgresConnection[] = [];
  const connect = async (options?: Record<string, unknown>) => {
    const connection = (await dialect.connect({ engine: 'postgres', url: database.url, ...(options ? { options } : {}) })) as PostgresConnection;
    open.push(connection);
    return connection;
  };
  beforeEach(async () => {
    database = await createTestDatabase();
  });
  afterEach(async () => {
    for (const connection of open.splice(0)) await connection.close();
    await database.drop();
  });

  it('a second connection waits, calls onWait once, times out with LOCK_TIMEOUT, and then gets the lock once released', async () => {
    const first = await connect();
    const second = await connect();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const holder = first.withMigrationLock(async () => {
      entered();
      await held;
    }, { timeoutMs: 1000 });
    await inside;
    const waits: string[] = [];
    const started = Date.now();
    const error = await second.withMigrationLock(async () => 'never', { timeoutMs: 300, onWait: (m) => waits.push(m) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'LOCK_TIMEOUT', exitCode: 75 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(waits).toHaveLength(1);
    release();
    await holder;
    await expect(second.withMigrationLock(async () => 'ok', { timeoutMs: 1000 })).resolves.toBe('ok');
  });

  it('keys the lock by database and schema', () => {
    expect(migrationLockKey('a', 'public')).not.toBe(migrationLockKey('a', 'other'));
    expect(migrationLockKey('a', 'public')).not.toBe(migrationLockKey('b', 'public'));
    expect(migrationLockKey('a', 'public')).toBe(migrationLockKey('a', 'public'));
  });

  it('DDL waiting on a busy table fails after lock_timeout with SQLSTATE 55P03', async () => {
    const connection = await connect({ lockTimeout: 300 });
    await connection.execute({ sql: 'CREATE TABLE busy (id int)' });
    await withClient(database.url, async (other) => {
      await other.query('BEGIN');
      await other.query('SELECT * FROM busy');
      const started = Date.now();
      const error = await connection.transaction(() => connection.execute({ sql: 'ALTER TABLE busy ADD COLUMN x int' })).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: '55P03' });
      expect(Date.now() - started).toBeLessThan(3000);
      await other.query('ROLLBACK');
    });
    // The connection is usable after the failure.
    await connection.transaction(() => connection.execute({ sql: 'ALTER TABLE busy ADD COLUMN x int' }));
  });

  it('rejects a lock_timeout that is not a duration', async () => {
    await expect(connect({ lockTimeout: "1s'; DROP TABLE x; --" })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
