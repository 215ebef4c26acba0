// A MariaDB server restarted while a migration or a rollback is between two CREATE/DROP TABLEs:
// the server is killed (SIGKILL, as a crash or a power cut) during the migration's SLEEP and
// started again on the same data directory. The intent record written before the first DDL
// survives: showmigrations marks the migration [!] with the operations done, migrate and
// rollback refuse (exit 4) without touching anything, and resolve settles it either way. The
// test starts a private server of its own: the shared one on 3306 is never restarted.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMysqlDialect, type MysqlConnection } from '../src/index.js';
import { COVET_BIN, reportSkipped, type TestDatabase } from './helpers.js';
import { BASE, covet, ENV, probes, project, SLOW, type Result } from './interruptions.js';
import { NO_PRIVATE_MARIADB, startPrivateMariadb, type PrivateMariadb } from './private-mariadb.js';

describe.runIf(!NO_PRIVATE_MARIADB)('a MariaDB server restart', () => {
  let server: PrivateMariadb | undefined;
  let database: TestDatabase;
  let admin: MysqlConnection | undefined;
  let folder: string | undefined;
  const connect = async () => {
    admin = (await createMysqlDialect().connect(database.config)) as MysqlConnection;
  };
  beforeAll(async () => {
    server = await startPrivateMariadb();
  });
  afterEach(async () => {
    await admin?.close();
    admin = undefined;
    if (folder) rmSync(folder, { recursive: true, force: true });
    folder = undefined;
  });
  afterAll(async () => {
    await server?.dispose();
  });

  const { tables, knob, applied, partial, sleepingSession, refusesToGoOn } = probes(
    () => admin!,
    () => database,
  );

  /**
   * Runs `covet ...argv`, kills the server while the migration sleeps between its two
   * CREATE/DROP TABLEs, waits for the CLI to end, and starts the server again.
   */
  async function restartedDuring(cwd: string, argv: string[]): Promise<Result> {
    const child = spawn(process.execPath, [COVET_BIN, ...argv], { cwd, env: ENV });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<Result>((resolve) => child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr })));
    await sleepingSession();
    await admin!.close();
    admin = undefined;
    await server!.kill();
    const result = await exited;
    await server!.start();
    await connect();
    return result;
  }

  it('mid-migration: [!] with operation 1 done, migrate and rollback refuse (exit 4), resolve --rolled-back, a clean rerun', async () => {
    database = await server!.createDatabase('restart_up');
    await connect();
    folder = project('restart-up', database, { direction: 'up' });
    await knob(60);
    const first = covet(folder, 'migrate', BASE);
    expect(first.status, first.stderr).toBe(0);
    const result = await restartedDuring(folder, ['migrate']);
    expect(result.status, result.stderr).toBe(4);
    expect(result.stderr).toContain(`error: Lost the connection to the database during migration shop:${SLOW}, operation #2 (runSql): `);
    expect(result.stderr).toContain('operation(s) 1 applied; operation #2 (runSql) may be part-way');

    // Half of it is there after the restart, and nothing records it as applied.
    expect(await tables()).toEqual(['a', 'base']);
    expect(await applied()).toEqual([BASE]);
    const status = covet(folder, 'showmigrations');
    expect(status.stdout).toContain(`[X] ${BASE}`);
    expect(status.stdout).toContain(`[!] ${SLOW}  interrupted part-way (up): operation(s) 1 applied, was at operation #2 (runSql) (or a run is still going); run covet resolve`);
    await refusesToGoOn(folder, `Migration shop:${SLOW} was interrupted part-way (up): operation(s) 1 applied, it was at operation #2 (runSql)`);

    // Someone undoes it by hand and says so; then it runs again from the start.
    await admin!.execute({ sql: 'DROP TABLE a' });
    const resolved = covet(folder, 'resolve', SLOW, '--rolled-back');
    expect(resolved.status, resolved.stderr).toBe(0);
    expect(resolved.stdout).toContain(`Resolved shop:${SLOW} as not applied`);
    expect(covet(folder, 'showmigrations').stdout).toContain(`[ ] ${SLOW}`);
    expect(await partial()).toEqual([]);
    await knob(0);
    const rerun = covet(folder, 'migrate');
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(await tables()).toEqual(['a', 'b', 'base']);
    expect(await applied()).toEqual([BASE, SLOW]);
    expect(await partial()).toEqual([]);
  }, 60_000);

  it('mid-rollback: [!] with operation 3 rolled back, migrate and rollback refuse (exit 4), resolve --applied, a clean rollback', async () => {
    database = await server!.createDatabase('restart_down');
    await connect();
    folder = project('restart-down', database, { direction: 'down' });
    await knob(60);
    const first = covet(folder, 'migrate');
    expect(first.status, first.stderr).toBe(0);
    const result = await restartedDuring(folder, ['rollback']);
    expect(result.status, result.stderr).toBe(4);
    expect(result.stderr).toContain(`error: Lost the connection to the database during migration shop:${SLOW}, operation #2 (runSql): `);

    // b was dropped, a was not, and the tracking row stays.
    expect(await tables()).toEqual(['a', 'base']);
    expect(await applied()).toEqual([BASE, SLOW]);
    expect(covet(folder, 'showmigrations').stdout).toContain(`[!] ${SLOW}  interrupted part-way (down): operation(s) 3 rolled back, was at operation #2 (runSql)`);
    await refusesToGoOn(folder, `Migration shop:${SLOW} was interrupted part-way (down): operation(s) 3 rolled back, it was at operation #2 (runSql)`);

    // Someone redoes what was rolled back and says the migration is applied.
    await admin!.execute({ sql: 'CREATE TABLE b (id integer NOT NULL AUTO_INCREMENT PRIMARY KEY)' });
    const resolved = covet(folder, 'resolve', SLOW, '--applied');
    expect(resolved.status, resolved.stderr).toBe(0);
    expect(resolved.stdout).toContain(`Resolved shop:${SLOW} as applied`);
    expect(covet(folder, 'showmigrations').stdout).toContain(`[X] ${SLOW}`);
    expect(await partial()).toEqual([]);
    await knob(0);
    const rollback = covet(folder, 'rollback');
    expect(rollback.status, rollback.stderr).toBe(0);
    expect(await tables()).toEqual(['base']);
    expect(await applied()).toEqual([BASE]);
  }, 60_000);
});

if (NO_PRIVATE_MARIADB) reportSkipped('a MariaDB server restart', NO_PRIVATE_MARIADB);
