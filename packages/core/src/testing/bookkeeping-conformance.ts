// Part of the dialect conformance suite: Covet's own tables (the tracking table and its
// bookkeeping) created, read, upgraded from their first shape and refused in a foreign shape,
// on the dialect's real database.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DatabaseConfig, Dialect, DialectConnection } from '../dialect/dialect.js';
import { isCovetError } from '../errors/covet-error.js';
import { createOperation } from '../operations/define-operation.js';
import {
  BOOKKEEPING_TABLES,
  BookkeepingShapes,
  latestShape,
  latestVersion,
  PARTIAL_TABLE,
  shapesOf,
  TABLE_VERSIONS_TABLE,
  TRACKING_TABLE,
  TrackingTable,
  type TrackingRow,
} from '../runner/tracking-table.js';
import type { TableState } from '../schema/types.js';
import { EMPTY_STATE, withTable } from '../state/schema-state.js';

/** A database for one test. */
interface Database {
  readonly config: DatabaseConfig;
  drop(): Promise<void>;
}

const [TRACKING, PARTIAL] = BOOKKEEPING_TABLES as [(typeof BOOKKEEPING_TABLES)[number], (typeof BOOKKEEPING_TABLES)[number]];

/** Registers the tests of Covet's own tables for `dialect` (inside the conformance suite). */
export function describeBookkeepingConformance(title: string, dialect: Dialect, createDatabase: () => Promise<Database>): void {
  const q = (name: string) => dialect.quoteIdentifier(name);
  const p = (index: number) => dialect.placeholder(index);

  describe(title, () => {
    let database: Database;
    let connection: DialectConnection;

    beforeEach(async () => {
      database = await createDatabase();
      connection = await dialect.connect(database.config);
    });
    afterEach(async () => {
      await connection?.close();
      await database?.drop();
    });

    /** Creates a table as Covet did before its tables had versions: compiled from `state`, nothing else. */
    async function createLegacy(state: TableState): Promise<void> {
      const statements = await dialect.compileOperation(createOperation('createTable', state), {
        dialect,
        stateBefore: EMPTY_STATE,
        stateAfter: withTable(EMPTY_STATE, state),
      });
      for (const statement of statements ?? []) await connection.execute(statement);
    }

    /** The tracking table in its first shape with three rows, inserted as Covet did then. */
    async function legacyTracking(): Promise<void> {
      await createLegacy(shapesOf(TRACKING)[0]!);
      await createLegacy(shapesOf(PARTIAL)[0]!);
      for (const name of ['0001_first', '0002_second', '0003_third']) {
        await connection.execute({
          sql: `INSERT INTO ${q(TRACKING_TABLE)} (${q('name')}, ${q('app')}, ${q('checksum')}) VALUES (${p(1)}, ${p(2)}, ${p(3)})`,
          params: [name, 'default', `${name.slice(0, 4)}${'a'.repeat(60)}`],
        });
      }
    }

    async function columnsOf(table: string): Promise<string[]> {
      return new BookkeepingShapes(connection).columns(BOOKKEEPING_TABLES.find((entry) => entry.name === table)!);
    }

    /** What the rows held before an upgrade, without the columns it adds. */
    const kept = (rows: readonly TrackingRow[]) => rows.map(({ id, app, name, appliedAt, checksum }) => ({ id, app, name, appliedAt, checksum }));

    it('reads the first shape as it is, and upgrades it inside the migration lock keeping every row', async () => {
      await legacyTracking();
      const before = await new TrackingTable(connection).read();
      expect(before.map((row) => row.name)).toEqual(['0001_first', '0002_second', '0003_third']);
      expect(before.every((row) => row.sourceHash === null && row.dependencies === null)).toBe(true);
      // Reading changes nothing.
      expect(await connection.tableExists(TABLE_VERSIONS_TABLE)).toBe(false);
      expect(await columnsOf(TRACKING_TABLE)).toEqual(shapesOf(TRACKING)[0]!.columns.map((column) => column.name));

      const after = await connection.withMigrationLock(() => new TrackingTable(connection).read({ upgrade: true }), { timeoutMs: 5000 });
      expect(kept(after)).toEqual(kept(before));
      expect(await columnsOf(TRACKING_TABLE)).toEqual(latestShape(TRACKING).columns.map((column) => column.name));
      expect(await columnsOf(PARTIAL_TABLE)).toEqual(latestShape(PARTIAL).columns.map((column) => column.name));
      expect(Object.fromEntries(await new BookkeepingShapes(connection).versions())).toEqual({
        [TRACKING_TABLE]: latestVersion(TRACKING),
        [PARTIAL_TABLE]: latestVersion(PARTIAL),
      });

      // The new columns are written and read back; a second upgrade has nothing to do.
      const tracking = new TrackingTable(connection);
      await connection.execute(tracking.insert('default', '0004_fourth', 'd'.repeat(64), { sourceHash: 'e'.repeat(64), dependencies: ['default:0003_third'] }));
      await connection.execute(tracking.updateSource('default', '0001_first', { sourceHash: 'f'.repeat(64), dependencies: [] }));
      const rows = await connection.withMigrationLock(() => new TrackingTable(connection).read({ upgrade: true }), { timeoutMs: 5000 });
      expect(kept(rows.slice(0, 3))).toEqual(kept(before));
      expect(rows.map((row) => [row.name, row.sourceHash, row.dependencies])).toEqual([
        ['0001_first', 'f'.repeat(64), []],
        ['0002_second', null, null],
        ['0003_third', null, null],
        ['0004_fourth', 'e'.repeat(64), ['default:0003_third']],
      ]);
    });

    it('upgrades the tracking table from version 2: checksums get their scheme (v1:), every row kept, edits acceptable', async () => {
      const tracking = new TrackingTable(connection);
      // Version 2 as the Covet of that version made it: recorded versions, bare hex checksums.
      await createLegacy(shapesOf(TRACKING)[1]!);
      await createLegacy(shapesOf(PARTIAL)[0]!);
      await connection.execute({ sql: `CREATE TABLE ${q(TABLE_VERSIONS_TABLE)} (${q('table_name')} varchar(255) NOT NULL PRIMARY KEY, ${q('version')} integer NOT NULL)` });
      await connection.execute({
        sql: `INSERT INTO ${q(TABLE_VERSIONS_TABLE)} (${q('table_name')}, ${q('version')}) VALUES (${p(1)}, 2), (${p(2)}, 1)`,
        params: [TRACKING_TABLE, PARTIAL_TABLE],
      });
      expect(Object.fromEntries(await new BookkeepingShapes(connection).versions())).toEqual({ [TRACKING_TABLE]: 2, [PARTIAL_TABLE]: 1 });
      const bare = ['1', '2', '3'].map((digit) => digit.repeat(64));
      for (const [index, name] of ['0001_first', '0002_second', '0003_third'].entries()) {
        await connection.execute({
          sql: `INSERT INTO ${q(TRACKING_TABLE)} (${q('name')}, ${q('app')}, ${q('checksum')}, ${q('source_hash')}, ${q('dependencies')}) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)})`,
          params: [name, 'default', bare[index], 'e'.repeat(64), '[]'],
        });
      }
      const before = await tracking.read();
      expect(before.map((row) => row.checksum)).toEqual(bare.map((hex) => `v1:${hex}`));

      const after = await connection.withMigrationLock(() => new TrackingTable(connection).read({ upgrade: true }), { timeoutMs: 5000 });
      expect(after).toEqual(before);
      expect(await columnsOf(TRACKING_TABLE)).toEqual(latestShape(TRACKING).columns.map((column) => column.name));
      expect((await new BookkeepingShapes(connection).versions()).get(TRACKING_TABLE)).toBe(latestVersion(TRACKING));
      // Stored with their scheme now, not only read so.
      const stored = await connection.query<{ checksum: string }>(`SELECT ${q('checksum')} FROM ${q(TRACKING_TABLE)} ORDER BY ${q('id')}`);
      expect(stored.map((row) => row.checksum)).toEqual(bare.map((hex) => `v1:${hex}`));

      // The new columns: an accepted edit, read back; a checksum longer than 64 characters fits.
      const longer = `v1:${'f'.repeat(64)}`;
      await connection.execute(tracking.acceptEdit('default', '0002_second', longer, { sourceHash: 'a'.repeat(64), dependencies: ['default:0001_first'] }, 'covet resolve 0002 --accept-edit'));
      const rows = await new TrackingTable(connection).read();
      expect(rows[1]).toMatchObject({ checksum: longer, sourceHash: 'a'.repeat(64), dependencies: ['default:0001_first'], editAcceptedBy: 'covet resolve 0002 --accept-edit' });
      expect(rows[1]!.editAcceptedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(Math.abs(Date.parse(rows[1]!.editAcceptedAt!) - Date.now())).toBeLessThan(10 * 60_000);
      expect([rows[0], rows[2]].map((row) => row!.editAcceptedAt)).toEqual([null, null]);
    });

    it('finishes an upgrade that was interrupted after some of its steps', async () => {
      await legacyTracking();
      // As an upgrade stopped after its first step leaves it where DDL commits as it runs.
      const [firstStep] = TRACKING.versions[1]!.steps!;
      const first = shapesOf(TRACKING)[0]!;
      const definitionState = withTable(EMPTY_STATE, first);
      const statements = await dialect.compileOperation(firstStep!, {
        dialect,
        stateBefore: definitionState,
        stateAfter: withTable(EMPTY_STATE, { ...first, columns: [...first.columns, (firstStep!.args as { column: TableState['columns'][number] }).column] }),
      });
      for (const statement of statements ?? []) await connection.execute(statement);
      const before = await new TrackingTable(connection).read();
      const after = await connection.withMigrationLock(() => new TrackingTable(connection).read({ upgrade: true }), { timeoutMs: 5000 });
      expect(kept(after)).toEqual(kept(before));
      expect(await columnsOf(TRACKING_TABLE)).toEqual(latestShape(TRACKING).columns.map((column) => column.name));
    });

    it('refuses a tracking table of a foreign shape, naming it with the columns found and expected, and changes nothing', async () => {
      // covet_migrations without `checksum`, as another tool might have made it.
      const foreign = shapesOf(TRACKING)[0]!;
      await createLegacy({ ...foreign, columns: foreign.columns.filter((column) => column.name !== 'checksum') });
      await connection.execute({ sql: `INSERT INTO ${q(TRACKING_TABLE)} (${q('name')}, ${q('app')}) VALUES (${p(1)}, ${p(2)})`, params: ['0001_other', 'default'] });
      const columns = await columnsOf(TRACKING_TABLE);

      for (const upgrade of [true, false]) {
        const error = await connection
          .withMigrationLock(() => new TrackingTable(connection).read({ upgrade }), { timeoutMs: 5000 })
          .then(() => undefined, (caught: unknown) => caught);
        expect(isCovetError(error), String(error)).toBe(true);
        const { code, message, hint } = error as { code: string; message: string; hint: string };
        expect(code).toBe('TRACKING_TABLE_UNKNOWN');
        expect(message.split('\n')).toHaveLength(1);
        expect(message).toContain(TRACKING_TABLE);
        expect(message).toContain('found id, name, app, applied_at;');
        expect(message).toContain(`expected ${latestShape(TRACKING).columns.map((column) => column.name).join(', ')}`);
        expect(hint).toContain('Nothing was changed');
      }
      expect(await connection.tableExists(TABLE_VERSIONS_TABLE)).toBe(false);
      expect(await connection.tableExists(PARTIAL_TABLE)).toBe(false);
      expect(await columnsOf(TRACKING_TABLE)).toEqual(columns);
      expect(await connection.query(`SELECT ${q('name')} FROM ${q(TRACKING_TABLE)}`)).toEqual([{ name: '0001_other' }]);
    });

    it('refuses tables a newer Covet upgraded, and changes nothing', async () => {
      const tracking = new TrackingTable(connection);
      await connection.withMigrationLock(() => tracking.ensure(), { timeoutMs: 5000 });
      await connection.execute({ sql: `UPDATE ${q(TABLE_VERSIONS_TABLE)} SET ${q('version')} = 99 WHERE ${q('table_name')} = ${p(1)}`, params: [TRACKING_TABLE] });
      const columns = await columnsOf(TRACKING_TABLE);
      const error = await connection
        .withMigrationLock(() => new TrackingTable(connection).read({ upgrade: true }), { timeoutMs: 5000 })
        .then(() => undefined, (caught: unknown) => caught);
      expect((error as { code?: string }).code).toBe('TRACKING_TABLE_NEWER');
      expect((error as Error).message).toContain(`${TRACKING_TABLE} is at version 99`);
      expect(await columnsOf(TRACKING_TABLE)).toEqual(columns);
      expect(Object.fromEntries(await new BookkeepingShapes(connection).versions())).toEqual({ [TRACKING_TABLE]: 99 });
    });

    it('creates the tables at their latest shape with their versions recorded', async () => {
      const tracking = new TrackingTable(connection);
      await connection.withMigrationLock(() => tracking.ensure(), { timeoutMs: 5000 });
      expect(await columnsOf(TRACKING_TABLE)).toEqual(latestShape(TRACKING).columns.map((column) => column.name));
      expect(Object.fromEntries(await new BookkeepingShapes(connection).versions())).toEqual({ [TRACKING_TABLE]: latestVersion(TRACKING) });
      expect(await new TrackingTable(connection).read()).toEqual([]);
    });
  });
}
