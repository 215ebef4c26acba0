// Part of the dialect conformance suite: the migration lock. Two runs of the same migrations at
// once against one database, as two `covet migrate` started together by two deploy jobs: the
// second waits for the first and then finds nothing to do, or, with a short timeout, stops with
// LOCK_TIMEOUT having changed nothing. Either way every migration ran once and has one tracking
// row. The first run is held inside its first migration (a `beforeMigration` tap that waits),
// so the second is known to start while the first holds the lock.
import { describe, expect, it } from 'vitest';
import type { DatabaseConfig, Dialect } from '../dialect/dialect.js';
import { isCovetError } from '../errors/covet-error.js';
import { MigrationGraph } from '../graph/migration-graph.js';
import type { MigrationEntry } from '../loader/migration-loader.js';
import { createMigration, defineMigration } from '../migration/define-migration.js';
import { createOperation } from '../operations/define-operation.js';
import { createCovet, type Covet } from '../plugin/covet.js';
import { MigrationRunner, type RunSummary } from '../runner/migration-runner.js';
import { TrackingTable } from '../runner/tracking-table.js';
import { t } from '../schema/column-builder.js';
import { buildTableState } from '../schema/define-table.js';

/** A database for one test. */
interface Database {
  readonly config: DatabaseConfig;
  drop(): Promise<void>;
}

const PROBE = 'lock_probe';
const NAMES = ['0001_lock_first', '0002_lock_second'] as const;

/** How long the first run keeps the lock while the second waits for it. */
const HOLD_MS = 300;

/** Registers the migration-lock tests for `dialect` (inside the conformance suite). */
export function describeLockConformance(title: string, dialect: Dialect, createDatabase: () => Promise<Database>): void {
  const q = (name: string) => dialect.quoteIdentifier(name);
  // Each migration writes a row: a migration applied twice would leave three or four.
  const insert = (value: number) => createOperation('runSql', { sql: `INSERT INTO ${q(PROBE)} (${q('n')}) VALUES (${value})`, reverseSql: `DELETE FROM ${q(PROBE)} WHERE ${q('n')} = ${value}` });
  const migrations = [
    createMigration('default', NAMES[0], defineMigration({
      operations: [createOperation('createTable', buildTableState(PROBE, { n: t.integer().notNull() })), insert(1)],
    })),
    createMigration('default', NAMES[1], defineMigration({ dependencies: [NAMES[0]], operations: [insert(2)] })),
  ];
  const graph = () => new MigrationGraph<MigrationEntry>(migrations.map((migration) => ({ ...migration, file: `(conformance ${migration.name})`, load: async () => migration })));

  /** One `migrate`, as the CLI runs it: its own connection, the lock, then the pending migrations. */
  async function run(config: DatabaseConfig, covet: Covet, lockTimeoutMs: number): Promise<RunSummary> {
    const connection = await dialect.connect(config);
    try {
      return await new MigrationRunner({ covet, dialect, connection, migrations: graph(), lockTimeoutMs }).migrate();
    } finally {
      await connection.close();
    }
  }

  /** A run held inside its first migration (so inside the lock) until `release()`. */
  function heldRun(config: DatabaseConfig): { done: Promise<RunSummary>; inside: Promise<void>; release(): void } {
    let entered!: () => void;
    let release!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    const covet = createCovet({
      plugins: [{
        name: 'conformance-hold',
        apply(instance: Covet) {
          instance.hooks.beforeMigration.tapPromise('conformance-hold', async (migration) => {
            if (migration.name !== NAMES[0]) return;
            entered();
            await gate;
          });
        },
      }],
    });
    const done = run(config, covet, 30_000);
    // A first run that fails before it holds the lock must fail the test, not hang it.
    const started = Promise.race([inside, done.then(() => Promise.reject(new Error('the first run ended without entering its first migration')))]);
    return { done, inside: started, release };
  }

  /** Probe rows and tracking rows, read on a connection of its own once both runs are over. */
  async function outcome(config: DatabaseConfig): Promise<{ probe: number[]; tracking: string[] }> {
    const connection = await dialect.connect(config);
    try {
      const rows = await connection.query<{ n: number | string }>(`SELECT ${q('n')} FROM ${q(PROBE)} ORDER BY ${q('n')}`);
      const tracking = await new TrackingTable(connection).read();
      return { probe: rows.map((row) => Number(row.n)), tracking: tracking.map((row) => `${row.app}:${row.name}`).sort() };
    } finally {
      await connection.close();
    }
  }

  const applied = (summary: RunSummary) => summary.migrations.map((migration) => migration.id);

  describe(title, () => {
    it('a second run started while the first holds the lock waits for it, then applies nothing: each migration once, one tracking row each', { timeout: 120_000 }, async () => {
      const database = await createDatabase();
      const first = heldRun(database.config);
      try {
        await first.inside;
        let secondEnded = false;
        const second = run(database.config, createCovet(), 30_000).finally(() => (secondEnded = true));
        await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
        expect(secondEnded, 'the second run must wait while the first holds the migration lock').toBe(false);
        first.release();
        const [firstSummary, secondSummary] = await Promise.all([first.done, second]);
        expect(applied(firstSummary)).toEqual(NAMES.map((name) => `default:${name}`));
        expect(applied(secondSummary)).toEqual([]);
        expect(await outcome(database.config)).toEqual({ probe: [1, 2], tracking: NAMES.map((name) => `default:${name}`) });
      } finally {
        first.release();
        await first.done.catch(() => undefined);
        await database.drop();
      }
    });

    it('a second run that cannot get the lock in time stops with LOCK_TIMEOUT, a one-line message, and changes nothing', { timeout: 120_000 }, async () => {
      const database = await createDatabase();
      const first = heldRun(database.config);
      try {
        await first.inside;
        let failure: unknown;
        try {
          await run(database.config, createCovet(), 1_000);
        } catch (error) {
          failure = error;
        } finally {
          first.release();
        }
        expect(isCovetError(failure), `expected a CovetError, got ${String(failure)}`).toBe(true);
        const error = failure as Error & { code: string };
        expect(error.code).toBe('LOCK_TIMEOUT');
        expect(error.message).not.toContain('\n');
        expect(error.message).toMatch(/tim(ed|e) ?out|waiting/i);
        expect(applied(await first.done)).toEqual(NAMES.map((name) => `default:${name}`));
        expect(await outcome(database.config)).toEqual({ probe: [1, 2], tracking: NAMES.map((name) => `default:${name}`) });
      } finally {
        first.release();
        await first.done.catch(() => undefined);
        await database.drop();
      }
    });
  });
}
