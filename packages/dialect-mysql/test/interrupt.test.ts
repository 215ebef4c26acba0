// Interruptions on MariaDB, where each DDL statement commits as it runs: the process killed
// (kill -9), stopped (SIGTERM), or its session killed by the server (KILL CONNECTION) while a
// migration or a rollback is between two CREATE/DROP TABLEs. Each leaves the intent record:
// showmigrations marks the migration [!] with the operations done, migrate and rollback refuse
// (exit 4) without touching anything, and resolve settles it either way. Also: custom code that
// fails after DDL, a promise custom code leaves running, and DDL waiting on a metadata lock.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMysqlDialect, type MysqlConnection } from '../src/index.js';
import { COVET_BIN as BIN, createTestDatabase, reportSkipped, UNAVAILABLE, type TestDatabase } from './helpers.js';
import { BASE, covet, ENV, migration, NEXT, probes, project, SLOW, until, type Result } from './interruptions.js';

describe.runIf(!UNAVAILABLE)('interruptions on MariaDB', () => {
  let database: TestDatabase;
  let admin: MysqlConnection;
  let folder: string | undefined;
  beforeEach(async () => {
    database = await createTestDatabase();
    admin = (await createMysqlDialect().connect(database.config)) as MysqlConnection;
  });
  afterEach(async () => {
    await admin.close();
    await database.drop();
    if (folder) rmSync(folder, { recursive: true, force: true });
    folder = undefined;
  });

  const { tables, knob, applied, snapshot, sleepingSession, sessionsGone, refusesToGoOn } = probes(
    () => admin,
    () => database,
  );

  /** Runs `covet ...argv` and interrupts it `how` while it sleeps between the two CREATE/DROP TABLEs. */
  async function interrupted(cwd: string, argv: string[], how: 'kill -9' | 'SIGTERM' | 'KILL CONNECTION'): Promise<Result> {
    const child = spawn(process.execPath, [BIN, ...argv], { cwd, env: ENV });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<Result>((resolve) => child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr })));
    const session = await sleepingSession();
    if (how === 'kill -9') child.kill('SIGKILL');
    else if (how === 'SIGTERM') child.kill('SIGTERM');
    else await admin.query(`KILL CONNECTION ${session}`);
    const result = await exited;
    // The server ends a killed client's session when its statement ends: wait for that, so
    // that the next command does not wait for the migration lock the session still holds.
    await sessionsGone();
    return result;
  }

  describe.each(['kill -9', 'SIGTERM', 'KILL CONNECTION'] as const)('%s', (how) => {
    it('mid-migration: [!] with operation 1 done, migrate and rollback refuse (exit 4), resolve --rolled-back, a clean rerun', async () => {
      folder = project(`mid-up-${how.replace(/\W+/g, '-')}`, database, { direction: 'up' });
      // SIGTERM waits for the running statement: a short sleep (long enough to be seen running).
      await knob(how === 'SIGTERM' ? 3 : 60);
      expect(covet(folder, 'migrate', BASE).status).toBe(0);
      const result = await interrupted(folder, ['migrate'], how);
      if (how === 'kill -9') expect(result.signal).toBe('SIGKILL');
      if (how === 'SIGTERM') {
        expect(result.status, result.stderr).toBe(143);
        expect(result.stderr).toContain('SIGTERM: stopping at the next safe point');
        expect(result.stderr).toContain(`error: Stopped by SIGTERM: applied none; not applied: shop:${SLOW}. Migration shop:${SLOW} stopped part-way (up): operation(s) 1, 2 applied, operation #3 (createTable) and the rest not run`);
      }
      if (how === 'KILL CONNECTION') {
        expect(result.status, result.stderr).toBe(4);
        expect(result.stderr).toContain(`error: Lost the connection to the database during migration shop:${SLOW}, operation #2 (runSql): `);
        expect(result.stderr).toMatch(/Lost the connection .*: .*(killed|closed|lost)/i);
        expect(result.stderr).toContain('operation(s) 1 applied; operation #2 (runSql) may be part-way');
      }
      // Half of it is there, and nothing records it as applied.
      expect(await tables()).toEqual(['a', 'base']);
      expect(await applied()).toEqual([BASE]);

      const status = covet(folder, 'showmigrations');
      expect(status.stdout).toContain(`[X] ${BASE}`);
      if (how === 'SIGTERM') {
        // The stop waited for the runSql to end: operations 1 and 2 are done.
        expect(status.stdout).toContain(`[!] ${SLOW}  stopped part-way (up): operation(s) 1, 2 applied; Stopped by SIGTERM before operation #3 (createTable); run covet resolve`);
        await refusesToGoOn(folder, `Migration shop:${SLOW} was stopped part-way (up): operation(s) 1, 2 applied (Stopped by SIGTERM before operation #3 (createTable))`);
      } else {
        const at = how === 'KILL CONNECTION' ? 'operation #2 (runSql) when the connection was lost' : 'operation #2 (runSql)';
        expect(status.stdout).toContain(`[!] ${SLOW}  interrupted part-way (up): operation(s) 1 applied, was at ${at} (or a run is still going); run covet resolve`);
        await refusesToGoOn(folder, `Migration shop:${SLOW} was interrupted part-way (up): operation(s) 1 applied, it was at ${at}`);
      }
      const json = JSON.parse(covet(folder, 'showmigrations', '--json').stdout) as unknown[];
      expect(json[1]).toEqual({ app: 'shop', name: SLOW, applied: false, appliedAt: null, failed: { direction: 'up', operations: how === 'SIGTERM' ? [1, 2] : [1], state: how === 'SIGTERM' ? 'stopped' : 'interrupted' } });

      // Someone undoes it by hand and says so; then it runs again from the start.
      await admin.execute({ sql: 'DROP TABLE a' });
      const resolved = covet(folder, 'resolve', SLOW, '--rolled-back');
      expect(resolved.status, resolved.stderr).toBe(0);
      expect(resolved.stdout).toContain(`Resolved shop:${SLOW} as not applied`);
      expect(covet(folder, 'showmigrations').stdout).toContain(`[ ] ${SLOW}`);
      expect(await admin.query('SELECT * FROM covet_migrations_partial')).toEqual([]);
      await knob(0);
      const rerun = covet(folder, 'migrate');
      expect(rerun.status, rerun.stderr).toBe(0);
      expect(await tables()).toEqual(['a', 'b', 'base']);
      expect(await applied()).toEqual([BASE, SLOW]);
      expect(await admin.query('SELECT * FROM covet_migrations_partial')).toEqual([]);
    }, 60_000);

    it('mid-rollback: [!] with operation 3 rolled back, migrate and rollback refuse (exit 4), resolve --applied, a clean rollback', async () => {
      folder = project(`mid-down-${how.replace(/\W+/g, '-')}`, database, { direction: 'down' });
      await knob(how === 'SIGTERM' ? 3 : 60);
      expect(covet(folder, 'migrate').status).toBe(0);
      expect(await admin.query('SELECT * FROM covet_migrations_partial')).toEqual([]);
      const result = await interrupted(folder, ['rollback'], how);
      if (how === 'SIGTERM') {
        expect(result.status, result.stderr).toBe(143);
        expect(result.stderr).toContain(`error: Stopped by SIGTERM: rolled back none; not rolled back: shop:${SLOW}. Migration shop:${SLOW} stopped part-way (down): operation(s) 3, 2 rolled back`);
      }
      if (how === 'KILL CONNECTION') {
        expect(result.status, result.stderr).toBe(4);
        expect(result.stderr).toContain(`error: Lost the connection to the database during migration shop:${SLOW}, operation #2 (runSql): `);
      }
      // b was dropped, a was not, and the tracking row stays.
      expect(await tables()).toEqual(['a', 'base']);
      expect(await applied()).toEqual([BASE, SLOW]);
      const status = covet(folder, 'showmigrations');
      if (how === 'SIGTERM') {
        expect(status.stdout).toContain(`[!] ${SLOW}  stopped part-way (down): operation(s) 3, 2 rolled back; Stopped by SIGTERM before operation #1 (dropTable)`);
        await refusesToGoOn(folder, `Migration shop:${SLOW} was stopped part-way (down): operation(s) 3, 2 rolled back`);
      } else {
        expect(status.stdout).toContain(`[!] ${SLOW}  interrupted part-way (down): operation(s) 3 rolled back, was at operation #2 (runSql)`);
        await refusesToGoOn(folder, `Migration shop:${SLOW} was interrupted part-way (down): operation(s) 3 rolled back, it was at operation #2 (runSql)`);
      }

      // Someone redoes what was rolled back and says the migration is applied.
      await admin.execute({ sql: 'CREATE TABLE b (id integer NOT NULL AUTO_INCREMENT PRIMARY KEY)' });
      const resolved = covet(folder, 'resolve', SLOW, '--applied');
      expect(resolved.status, resolved.stderr).toBe(0);
      expect(resolved.stdout).toContain(`Resolved shop:${SLOW} as applied`);
      expect(covet(folder, 'showmigrations').stdout).toContain(`[X] ${SLOW}`);
      expect(await applied()).toEqual([BASE, SLOW]);
      await knob(0);
      const rollback = covet(folder, 'rollback');
      expect(rollback.status, rollback.stderr).toBe(0);
      expect(await tables()).toEqual(['base']);
      expect(await applied()).toEqual([BASE]);
    }, 60_000);
  });

  // A migration run without a transaction (built-in DDL only) has its tracking row written in
  // one transaction with the note announcing the next migration's first operation: the windows
  // around that write.
  describe('between two migrations of DDL only', () => {
    /** Starts `covet migrate` in `cwd`; `stderr` grows as it writes. */
    function start(cwd: string) {
      const child = spawn(process.execPath, [BIN, 'migrate'], { cwd, env: ENV });
      const output = { stdout: '', stderr: '' };
      child.stdout.on('data', (chunk) => (output.stdout += chunk));
      child.stderr.on('data', (chunk) => (output.stderr += chunk));
      const exited = new Promise<Result>((resolve) => child.on('close', (status, signal) => resolve({ status, signal, ...output })));
      return { child, output, exited };
    }
    /** The id of a session of the database running a statement that starts with `prefix`, once there is one. */
    const running = (prefix: string) =>
      until(async () => {
        const rows = await admin.query<{ id: number }>("SELECT ID AS id FROM information_schema.PROCESSLIST WHERE DB = ? AND INFO LIKE CONCAT(?, '%') AND COMMAND IN ('Query', 'Execute')", [
          database.name,
          prefix,
        ]);
        return rows[0] ? Number(rows[0].id) : undefined;
      });
    /** Waits until session `id` has ended. */
    const ended = (id: number) =>
      until(async () => ((await admin.query('SELECT ID FROM information_schema.PROCESSLIST WHERE ID = ?', [id])).length === 0 ? true : undefined));

    it('kill -9 while the tracking row and the next note are written: neither is kept, [!] at its last operation, resolve --applied', async () => {
      folder = project('combined-write', database, { direction: 'up' });
      migration(folder, SLOW, [BASE], ["op.createTable('a', { id: t.serial().primaryKey() })"]);
      migration(folder, NEXT, [SLOW], ["op.createTable('b', { id: t.serial().primaryKey() })"]);
      expect(covet(folder, 'migrate', BASE).status).toBe(0);
      // Another session locks the tracking table's rows and the gap after them: the insert of
      // the next row waits inside the combined transaction, after the note was sent or before.
      const holder = await admin.pool.getConnection();
      let session: number;
      try {
        await holder.query('START TRANSACTION');
        await holder.query('SELECT * FROM covet_migrations FOR UPDATE');
        const { child, exited } = start(folder);
        session = await running('INSERT INTO `covet_migrations` (');
        child.kill('SIGKILL');
        expect((await exited).signal).toBe('SIGKILL');
      } finally {
        await holder.query('ROLLBACK');
        holder.release();
      }
      await ended(session);
      // a is there; its row is not, and the record still names it, at its last operation.
      expect(await tables()).toEqual(['a', 'base']);
      expect(await applied()).toEqual([BASE]);
      expect(covet(folder, 'showmigrations').stdout).toContain(`[!] ${SLOW}  interrupted part-way (up): no operation applied, was at operation #1 (createTable) (or a run is still going)`);
      await refusesToGoOn(folder, `Migration shop:${SLOW} was interrupted part-way (up): no operation applied, it was at operation #1 (createTable)`);
      expect(covet(folder, 'resolve', SLOW, '--applied').status).toBe(0);
      const rerun = covet(folder, 'migrate');
      expect(rerun.status, rerun.stderr).toBe(0);
      expect(await tables()).toEqual(['a', 'b', 'base']);
      expect(await applied()).toEqual([BASE, SLOW, NEXT]);
      expect(await admin.query('SELECT * FROM covet_migrations_partial')).toEqual([]);
    }, 60_000);

    it("kill -9 during the next migration's first operation: the row and the note were written together, [!] names the next one", async () => {
      folder = project('combined-next', database, { direction: 'up' }, { lockWaitTimeout: '60s' });
      migration(folder, SLOW, [BASE], ["op.createTable('a', { id: t.serial().primaryKey() })"]);
      migration(folder, NEXT, [SLOW], ["op.addColumn('base', 'label', t.text())"]);
      expect(covet(folder, 'migrate', BASE).status).toBe(0);
      // An open transaction that read base holds its metadata lock: the ALTER TABLE waits.
      const holder = await admin.pool.getConnection();
      let session: number;
      try {
        await holder.query('START TRANSACTION');
        await holder.query('SELECT * FROM base');
        const { child, exited } = start(folder);
        session = await running('ALTER TABLE `base`');
        child.kill('SIGKILL');
        expect((await exited).signal).toBe('SIGKILL');
      } finally {
        await holder.query('ROLLBACK');
        holder.release();
      }
      await ended(session);
      expect(await applied()).toEqual([BASE, SLOW]);
      const status = covet(folder, 'showmigrations').stdout;
      expect(status).toContain(`[X] ${SLOW}`);
      expect(status).toContain(`[!] ${NEXT}  interrupted part-way (up): no operation applied, was at operation #1 (addColumn) (or a run is still going)`);
      const [row] = await admin.query<{ name: string }>('SELECT name FROM covet_migrations_partial');
      expect(row!.name).toBe(NEXT);
      // The killed session's ALTER ran once the lock was free: the operation is done.
      expect(covet(folder, 'resolve', NEXT, '--applied').status).toBe(0);
      expect(await applied()).toEqual([BASE, SLOW, NEXT]);
      expect(await admin.query('SELECT * FROM covet_migrations_partial')).toEqual([]);
    }, 60_000);

    it('SIGTERM while a migration runs: it finishes, its row is written, the next one is not started and not recorded (143)', async () => {
      folder = project('combined-stop', database, { direction: 'up' }, { lockWaitTimeout: '60s' });
      migration(folder, SLOW, [BASE], ["op.addColumn('base', 'label', t.text())"]);
      migration(folder, NEXT, [SLOW], ["op.createTable('b', { id: t.serial().primaryKey() })"]);
      expect(covet(folder, 'migrate', BASE).status).toBe(0);
      const holder = await admin.pool.getConnection();
      let result: Result;
      try {
        await holder.query('START TRANSACTION');
        await holder.query('SELECT * FROM base');
        const { child, output, exited } = start(folder);
        await running('ALTER TABLE `base`');
        child.kill('SIGTERM');
        await until(async () => (output.stderr.includes('SIGTERM: stopping at the next safe point') ? true : undefined));
        await holder.query('ROLLBACK');
        result = await exited;
      } finally {
        await holder.query('ROLLBACK');
        holder.release();
      }
      expect(result.status, result.stderr).toBe(143);
      expect(result.stderr).toContain(`error: Stopped by SIGTERM: applied shop:${SLOW}; not applied: shop:${NEXT}`);
      expect(await applied()).toEqual([BASE, SLOW]);
      expect(await tables()).toEqual(['base']);
      // The note announcing the next migration went with the row; the stop took it back.
      expect(await admin.query('SELECT * FROM covet_migrations_partial')).toEqual([]);
      expect(covet(folder, 'showmigrations').stdout).toContain(`[ ] ${NEXT}`);
      const rerun = covet(folder, 'migrate');
      expect(rerun.status, rerun.stderr).toBe(0);
      expect(await applied()).toEqual([BASE, SLOW, NEXT]);
    }, 60_000);
  });

  it('a second SIGTERM exits at once (143), leaving the intent record: [!], migrate exits 4', async () => {
    folder = project('twice', database, { direction: 'up' });
    await knob(60);
    expect(covet(folder, 'migrate', BASE).status).toBe(0);
    const child = spawn(process.execPath, [BIN, 'migrate'], { cwd: folder, env: ENV });
    let stderr = '';
    let stopping: () => void = () => undefined;
    const stoppingSeen = new Promise<void>((resolve) => (stopping = resolve));
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (stderr.includes('SIGTERM: stopping at the next safe point')) stopping();
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (status) => resolve(status)));
    await sleepingSession();
    child.kill('SIGTERM');
    await stoppingSeen;
    child.kill('SIGTERM');
    expect(await exited, stderr).toBe(143);
    expect(stderr).toContain('error: SIGTERM again: exiting now, part-way; covet showmigrations shows what was left');
    await sessionsGone();
    expect(await tables()).toEqual(['a', 'base']);
    expect(covet(folder, 'showmigrations').stdout).toContain(`[!] ${SLOW}  interrupted part-way (up): operation(s) 1 applied, was at operation #2 (runSql)`);
    await refusesToGoOn(folder, `Migration shop:${SLOW} was interrupted part-way (up): operation(s) 1 applied, it was at operation #2 (runSql)`);
  }, 60_000);

  it('custom up code that fails after running DDL: recorded with what it ran, nothing undone, exit 4; resolve settles it', async () => {
    folder = project('custom-ddl', database, { direction: 'up' });
    migration(folder, SLOW, [BASE], ["op.createTable('a', { id: t.serial().primaryKey() })"], `  async up(db) {\n    await db.execute('CREATE TABLE c (id integer)');\n    throw new Error('boom');\n  },\n`);
    expect(covet(folder, 'migrate', BASE).status).toBe(0);
    const result = covet(folder, 'migrate');
    expect(result.status, result.stderr).toBe(4);
    expect(result.stderr).toContain(`error: Custom up code of shop:${SLOW} failed after running statement(s) no rollback can undo (CREATE TABLE c (id integer)); operation(s) 1 applied, nothing was undone`);
    expect(result.stderr).toContain('Cause: Custom up code of');
    expect(result.stderr).toContain('boom');
    expect(result.stderr).not.toContain('were undone; nothing was recorded');
    expect(await tables()).toEqual(['a', 'base', 'c']);
    expect(await applied()).toEqual([BASE]);
    const status = covet(folder, 'showmigrations');
    expect(status.stdout).toContain(`[!] ${SLOW}  failed part-way (up): operation(s) 1 remain; run covet resolve`);
    const [row] = await admin.query<{ error: string }>('SELECT error FROM covet_migrations_partial');
    expect(row!.error).toContain('custom up code failed after running 1 statement(s) that commit on their own: CREATE TABLE c (id integer)');
    const before = await snapshot();
    expect(covet(folder, 'migrate').status).toBe(4);
    expect(await snapshot()).toEqual(before);

    await admin.execute({ sql: 'DROP TABLE c' });
    await admin.execute({ sql: 'DROP TABLE a' });
    expect(covet(folder, 'resolve', SLOW, '--rolled-back').status).toBe(0);
    migration(folder, SLOW, [BASE], ["op.createTable('a', { id: t.serial().primaryKey() })"], `  async up(db) {\n    await db.execute('CREATE TABLE c (id integer)');\n  },\n`);
    const rerun = covet(folder, 'migrate');
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(await tables()).toEqual(['a', 'base', 'c']);
  }, 60_000);

  it('custom up code that fails after DML only: undone as before (the data rolls back with the transaction)', async () => {
    folder = project('custom-dml', database, { direction: 'up' });
    migration(folder, SLOW, [BASE], ["op.createTable('a', { id: t.serial().primaryKey() })"], `  async up(db) {\n    await db.execute('INSERT INTO base (id) VALUES (7)');\n    throw new Error('boom');\n  },\n`);
    expect(covet(folder, 'migrate', BASE).status).toBe(0);
    const result = covet(folder, 'migrate');
    expect(result.status, result.stderr).toBe(1);
    expect(result.stderr).toContain(`error: Custom up code of shop:${SLOW} failed: boom`);
    expect(result.stderr).toContain('The 1 operation(s) before it were undone; nothing was recorded.');
    expect(await tables()).toEqual(['base']);
    expect(await admin.query('SELECT * FROM base')).toEqual([]);
    expect(await admin.query('SELECT * FROM covet_migrations_partial')).toEqual([]);
  }, 60_000);

  it('a promise custom code leaves running: its late call is refused, names the migration, and fails the run', async () => {
    folder = project('floating', database, { direction: 'up' });
    migration(
      folder,
      SLOW,
      [BASE],
      ["op.createTable('a', { id: t.serial().primaryKey() })"],
      `  up(db) {\n    setTimeout(() => db.execute('CREATE TABLE late (id integer)'), 0);\n  },\n`,
    );
    migration(folder, '20260101000003_next', [SLOW], ["op.createTable('next_one', { id: t.serial().primaryKey() })", "op.runSql('SELECT 1', 'SELECT 1')"]);
    const result = covet(folder, 'migrate');
    expect(result.status, result.stderr).toBe(1);
    expect(result.stderr).toContain(`error: Custom up code of shop:${SLOW} called execute() after it had returned; the statement was not run: CREATE TABLE late (id integer)`);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    // The late statement ran nowhere; each migration is applied whole or not at all.
    const now = await tables();
    expect(now).not.toContain('late');
    const done = await applied();
    expect(now.includes('a')).toBe(done.includes(SLOW));
    expect(now.includes('next_one')).toBe(done.includes('20260101000003_next'));
    expect(await admin.query('SELECT * FROM covet_migrations_partial')).toEqual([]);
  }, 60_000);

  it('DDL waiting on a metadata lock ends within lockWaitTimeout, names the table, and changes nothing', async () => {
    folder = project('metadata-lock', database, { direction: 'up' }, { lockWaitTimeout: '1s' });
    migration(folder, SLOW, [BASE], ["op.addColumn('base', 'label', t.text())"]);
    expect(covet(folder, 'migrate', BASE).status).toBe(0);
    // Another session reads the table in an open transaction: it holds the table's metadata lock.
    const holder = await admin.pool.getConnection();
    try {
      await holder.query('START TRANSACTION');
      await holder.query('SELECT * FROM base');
      const before = await snapshot();
      const blocked = covet(folder, 'migrate');
      expect(blocked.status, blocked.stderr).toBe(1);
      expect(blocked.stderr).toContain(`error: Migration shop:${SLOW} failed at operation #1 (addColumn): Lock wait timeout exceeded (1s) on table \`base\`: another session holds a lock on it`);
      expect(blocked.stderr).toContain('lockWaitTimeout');
      expect(await snapshot()).toEqual(before);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    const migrated = covet(folder, 'migrate');
    expect(migrated.status, migrated.stderr).toBe(0);
    expect(await applied()).toEqual([BASE, SLOW]);
  }, 60_000);
});

if (UNAVAILABLE) reportSkipped('interruptions on MariaDB');
