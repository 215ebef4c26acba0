import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPGliteDialect, directoryLockPath, lockDataDirectory, pgliteDirectory } from '../src/index.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'covet-pglite-lock-'));
  dirs.push(dir);
  return join(dir, 'data');
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the data directory lock', () => {
  it('writes this process into the lock file beside the directory and removes it on release', async () => {
    const data = tempDir();
    const release = await lockDataDirectory(data, 0);
    expect(directoryLockPath(data)).toBe(`${data}.covet.lock`);
    expect(JSON.parse(readFileSync(`${data}.covet.lock`, 'utf8'))).toEqual({ pid: process.pid, host: hostname() });
    release();
    expect(existsSync(`${data}.covet.lock`)).toBe(false);
  });

  it('refuses a second open in this process after the timeout, naming the directory; free again once released', async () => {
    const data = tempDir();
    const release = await lockDataDirectory(data, 0);
    await expect(lockDataDirectory(data, 200)).rejects.toMatchObject({
      code: 'LOCK_TIMEOUT',
      exitCode: 75,
      message: `Timed out after 0.2s waiting for the PGlite data directory ${data}: this process already has it open`,
    });
    release();
    (await lockDataDirectory(data, 0))();
  });

  it('a waiting open gets the directory as soon as the holder releases it', async () => {
    const data = tempDir();
    const release = await lockDataDirectory(data, 0);
    const waiting = lockDataDirectory(data, 60_000);
    release();
    (await waiting)();
    expect(existsSync(directoryLockPath(data))).toBe(false);
  });

  it('respects a lock held by another machine (a shared disk) and names it', async () => {
    const data = tempDir();
    writeFileSync(directoryLockPath(data), JSON.stringify({ pid: 1234, host: 'elsewhere' }));
    await expect(lockDataDirectory(data, 0)).rejects.toThrow(`process 1234 on elsewhere has it open`);
    expect(JSON.parse(readFileSync(directoryLockPath(data), 'utf8'))).toEqual({ pid: 1234, host: 'elsewhere' });
  });

  it('refuses an invalid openTimeout before opening anything', async () => {
    const data = tempDir();
    await expect(createPGliteDialect().connect({ engine: 'pglite', name: data, options: { openTimeout: 'soon' } })).rejects.toThrow(
      'Invalid database.options.openTimeout "soon" (database settings)',
    );
    expect(existsSync(directoryLockPath(data))).toBe(false);
  });
});

describe('where the database lives', () => {
  it('resolves a data directory against the config root, and keeps memory databases in memory', () => {
    expect(pgliteDirectory({ engine: 'pglite', name: './data', root: '/srv/app' })).toBe('/srv/app/data');
    expect(pgliteDirectory({ engine: 'pglite', name: ':memory:' })).toBe(':memory:');
    expect(pgliteDirectory({ engine: 'pglite' })).toBe(':memory:');
    expect(createPGliteDialect().describeDatabase({ engine: 'pglite', name: 'db', root: '/srv/app' })).toBe('pglite /srv/app/db');
  });
});
