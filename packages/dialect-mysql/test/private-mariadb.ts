// A MariaDB server of one test file's own, on a fresh data directory and a free port, that the
// test may kill and start again (the shared server on 3306 is used by other tests at the same
// time and must never be restarted). Needs mariadbd and mariadb-install-db on this machine.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import type { TestDatabase } from './helpers.js';

/** The first of `candidates` that runs with `--version`. */
function findProgram(candidates: readonly string[]): string | undefined {
  return candidates.find((candidate) => spawnSync(candidate, ['--version'], { stdio: 'ignore' }).status === 0);
}

const SERVER = findProgram(['mariadbd', '/usr/sbin/mariadbd', '/usr/libexec/mariadbd', 'mysqld', '/usr/sbin/mysqld']);
const INSTALL = findProgram(['mariadb-install-db', 'mysql_install_db']);

/**
 * Why a private server cannot be started here (its programs are missing), or `undefined` when
 * it can. Under CI this throws instead: a CI run must not pass by skipping the restart tests.
 */
export const NO_PRIVATE_MARIADB: string | undefined = (() => {
  const missing = [SERVER ? undefined : 'mariadbd', INSTALL ? undefined : 'mariadb-install-db'].filter(Boolean);
  if (missing.length === 0) return undefined;
  const message = `${missing.join(' and ')} not found (on PATH or in /usr/sbin), so no private MariaDB server can be started`;
  if (process.env.CI) throw new Error(`${message} (CI is set, so the server-restart tests fail instead of skipping)`);
  return message;
})();

export interface PrivateMariadb {
  readonly port: number;
  /** Starts the server on its data directory and waits until it answers. */
  start(): Promise<void>;
  /** Kills the server with SIGKILL (a crash: no shutdown, no flush beyond what was committed) and waits for it to be gone. */
  kill(): Promise<void>;
  /** A fresh database `name` on the server, as the shared helpers make them. */
  createDatabase(name: string): Promise<TestDatabase>;
  /** Kills the server if it runs and removes its data directory. */
  dispose(): Promise<void>;
}

/** A port nobody listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];

/** Creates a data directory (root with an empty password), starts the server on it, and waits until it answers. */
export async function startPrivateMariadb(): Promise<PrivateMariadb> {
  if (NO_PRIVATE_MARIADB) throw new Error(NO_PRIVATE_MARIADB);
  const folder = mkdtempSync(join(tmpdir(), 'covet-mariadb-'));
  const datadir = join(folder, 'data');
  const log = join(folder, 'error.log');
  // Its own temporary folder, not the shared server's /tmp: two servers on one tmpdir can
  // remove each other's `#sql…` files (seen as EE_DELETE errors in the shared server's tests
  // while this one was being started and killed).
  const temporary = join(folder, 'tmp');
  mkdirSync(temporary);
  const port = await freePort();
  let server: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const options = { host: '127.0.0.1', port, user: 'root', password: '' };

  const lastLog = () => {
    try {
      return readFileSync(log, 'utf8').trim().split('\n').slice(-5).join('\n');
    } catch {
      return '(no log)';
    }
  };

  const self: PrivateMariadb = {
    port,
    async start() {
      const child = spawn(
        SERVER!,
        [
          '--no-defaults',
          `--datadir=${datadir}`,
          `--port=${port}`,
          `--socket=${join(folder, 'sock')}`,
          `--pid-file=${join(folder, 'pid')}`,
          `--log-error=${log}`,
          `--tmpdir=${temporary}`,
          '--bind-address=127.0.0.1',
          '--skip-name-resolve',
          // Small, for a machine the other tests share.
          '--innodb-buffer-pool-size=16M',
          ...asRoot,
        ],
        { stdio: 'ignore' },
      );
      server = child;
      let gone = false;
      exited = new Promise((resolve) =>
        child.once('exit', () => {
          gone = true;
          if (server === child) server = undefined;
          resolve();
        }),
      );
      // Polled until it answers (an event, not a delay); a server that exits says why.
      for (;;) {
        if (gone) throw new Error(`The private MariaDB server exited while starting; its log ends:\n${lastLog()}`);
        try {
          const connection = await mysql.createConnection({ ...options, connectTimeout: 1000 });
          await connection.end();
          return;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    },
    async kill() {
      server?.kill('SIGKILL');
      await exited;
    },
    async createDatabase(name) {
      const url = `mysql://root@127.0.0.1:${port}/${name}`;
      const run = async (sql: string) => {
        const connection = await mysql.createConnection(options);
        try {
          await connection.query(sql);
        } finally {
          await connection.end();
        }
      };
      await run(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
      return { name, url, config: { engine: 'mysql', url }, drop: () => run(`DROP DATABASE IF EXISTS \`${name}\``) };
    },
    async dispose() {
      await self.kill();
      rmSync(folder, { recursive: true, force: true });
    },
  };

  try {
    const install = spawnSync(INSTALL!, ['--no-defaults', '--auth-root-authentication-method=normal', '--skip-test-db', `--datadir=${datadir}`, ...asRoot], {
      encoding: 'utf8',
    });
    if (install.status !== 0) throw new Error(`${INSTALL} failed (exit ${install.status}): ${(install.stderr || install.stdout).trim().split('\n').slice(-3).join('\n')}`);
    await self.start();
    return self;
  } catch (error) {
    await self.dispose();
    throw error;
  }
}
