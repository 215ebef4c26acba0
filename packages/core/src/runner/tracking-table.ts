import type { DialectConnection } from '../dialect/dialect.js';
import { createOperation } from '../operations/define-operation.js';
import type { SqlStatement, TableState } from '../schema/types.js';
import { EMPTY_STATE, withTable } from '../state/schema-state.js';

/** The tracking table's name, the same in every dialect. */
export const TRACKING_TABLE = 'covet_migrations';

/** One row of the tracking table. */
export interface TrackingRow {
  readonly id: number;
  readonly app: string;
  readonly name: string;
  /** ISO 8601, UTC. */
  readonly appliedAt: string | null;
  readonly checksum: string;
}

/** The tracking table as schema state, compiled by each dialect like any other table. */
export const TRACKING_TABLE_STATE: TableState = Object.freeze({
  name: TRACKING_TABLE,
  columns: [
    { name: 'id', type: { type: 'serial' }, nullable: false },
    { name: 'name', type: { type: 'varchar', length: 255 }, nullable: false },
    { name: 'app', type: { type: 'varchar', length: 255 }, nullable: false },
    { name: 'applied_at', type: { type: 'timestamp' }, nullable: true, default: { kind: 'sql', sql: 'CURRENT_TIMESTAMP' } },
    { name: 'checksum', type: { type: 'varchar', length: 64 }, nullable: false },
  ],
  primaryKey: { columns: ['id'] },
  indexes: [{ name: `${TRACKING_TABLE}_name_app_key`, columns: ['name', 'app'], unique: true }],
  foreignKeys: [],
}) as TableState;

/** Creates one of Covet's own tables, compiled by the dialect like any other table. */
async function createBookkeepingTable(connection: DialectConnection, table: TableState): Promise<void> {
  const { dialect } = connection;
  const statements = await dialect.compileOperation(createOperation('createTable', table), {
    dialect,
    stateBefore: EMPTY_STATE,
    stateAfter: withTable(EMPTY_STATE, table),
  });
  for (const statement of statements ?? []) await connection.execute(statement);
}

function toIso(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  const text = String(value);
  // SQLite and MySQL return 'YYYY-MM-DD HH:MM:SS' in UTC (CURRENT_TIMESTAMP is UTC there).
  const date = new Date(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$/.test(text) ? `${text.replace(' ', 'T')}Z` : text);
  return Number.isNaN(date.getTime()) ? text : date.toISOString();
}

/** Reads and writes `covet_migrations` through a dialect connection, with bound values. */
export class TrackingTable {
  readonly #connection: DialectConnection;
  #insertSql: string | undefined;

  constructor(connection: DialectConnection) {
    this.#connection = connection;
  }

  #quote(name: string): string {
    return this.#connection.dialect.quoteIdentifier(name);
  }

  exists(): Promise<boolean> {
    return this.#connection.tableExists(TRACKING_TABLE);
  }

  /** Creates the table if it is missing (call it holding the migration lock). */
  async ensure(): Promise<void> {
    if (await this.exists()) return;
    await this.#connection.transaction(() => createBookkeepingTable(this.#connection, TRACKING_TABLE_STATE));
  }

  /** Every row, in the order migrations were applied. Empty when the table does not exist. */
  async read(): Promise<TrackingRow[]> {
    if (!(await this.exists())) return [];
    const q = (name: string) => this.#quote(name);
    const rows = await this.#connection.query<Record<string, unknown>>(
      `SELECT ${q('id')}, ${q('app')}, ${q('name')}, ${q('applied_at')}, ${q('checksum')} FROM ${q(TRACKING_TABLE)} ORDER BY ${q('id')}`,
    );
    return rows.map((row) => ({
      id: Number(row.id),
      app: String(row.app),
      name: String(row.name),
      appliedAt: toIso(row.applied_at),
      checksum: String(row.checksum),
    }));
  }

  /** The statement that records a migration as applied. */
  insert(app: string, name: string, checksum: string): SqlStatement {
    // The same text for every migration of a run: built once.
    this.#insertSql ??= (() => {
      const { dialect } = this.#connection;
      const q = (column: string) => this.#quote(column);
      return `INSERT INTO ${q(TRACKING_TABLE)} (${q('name')}, ${q('app')}, ${q('checksum')}) VALUES (${dialect.placeholder(1)}, ${dialect.placeholder(2)}, ${dialect.placeholder(3)})`;
    })();
    return { sql: this.#insertSql, params: [name, app, checksum] };
  }

  /** The statement that forgets a migration (after rolling it back). */
  delete(app: string, name: string): SqlStatement {
    const { dialect } = this.#connection;
    const q = (column: string) => this.#quote(column);
    return {
      sql: `DELETE FROM ${q(TRACKING_TABLE)} WHERE ${q('name')} = ${dialect.placeholder(1)} AND ${q('app')} = ${dialect.placeholder(2)}`,
      params: [name, app],
    };
  }
}

/**
 * Covet's own bookkeeping beside the tracking table (whose columns stay as documented): the
 * migrations that failed part-way on a database without transactional DDL and could not be
 * undone, with the operations that remain applied.
 */
export const PARTIAL_TABLE = 'covet_migrations_partial';

/** One migration left part-way. */
export interface PartialRow {
  readonly app: string;
  readonly name: string;
  /** The direction that failed. */
  readonly direction: 'up' | 'down';
  /** 1-based numbers of the operations whose effect remains. */
  readonly operations: readonly number[];
  readonly error: string;
}

/** The bookkeeping table as schema state. */
export const PARTIAL_TABLE_STATE: TableState = Object.freeze({
  name: PARTIAL_TABLE,
  columns: [
    { name: 'id', type: { type: 'serial' }, nullable: false },
    { name: 'name', type: { type: 'varchar', length: 255 }, nullable: false },
    { name: 'app', type: { type: 'varchar', length: 255 }, nullable: false },
    { name: 'direction', type: { type: 'varchar', length: 8 }, nullable: false },
    { name: 'operations', type: { type: 'text' }, nullable: false },
    { name: 'error', type: { type: 'text' }, nullable: false },
    { name: 'failed_at', type: { type: 'timestamp' }, nullable: true, default: { kind: 'sql', sql: 'CURRENT_TIMESTAMP' } },
  ],
  primaryKey: { columns: ['id'] },
  indexes: [{ name: `${PARTIAL_TABLE}_name_app_key`, columns: ['name', 'app'], unique: true }],
  foreignKeys: [],
}) as TableState;

/** Reads and writes {@link PARTIAL_TABLE}. */
export class PartialRuns {
  readonly #connection: DialectConnection;

  constructor(connection: DialectConnection) {
    this.#connection = connection;
  }

  async read(): Promise<PartialRow[]> {
    if (!(await this.#connection.tableExists(PARTIAL_TABLE))) return [];
    const q = (name: string) => this.#connection.dialect.quoteIdentifier(name);
    const rows = await this.#connection.query<Record<string, unknown>>(
      `SELECT ${q('app')}, ${q('name')}, ${q('direction')}, ${q('operations')}, ${q('error')} FROM ${q(PARTIAL_TABLE)} ORDER BY ${q('id')}`,
    );
    return rows.map((row) => ({
      app: String(row.app),
      name: String(row.name),
      direction: row.direction === 'down' ? 'down' : 'up',
      operations: JSON.parse(String(row.operations)) as number[],
      error: String(row.error),
    }));
  }

  async record(row: PartialRow): Promise<void> {
    const { dialect } = this.#connection;
    if (!(await this.#connection.tableExists(PARTIAL_TABLE))) await createBookkeepingTable(this.#connection, PARTIAL_TABLE_STATE);
    const q = (name: string) => dialect.quoteIdentifier(name);
    const p = (index: number) => dialect.placeholder(index);
    await this.#connection.execute({
      sql: `INSERT INTO ${q(PARTIAL_TABLE)} (${q('name')}, ${q('app')}, ${q('direction')}, ${q('operations')}, ${q('error')}) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)})`,
      params: [row.name, row.app, row.direction, JSON.stringify(row.operations), row.error.slice(0, 2000)],
    });
  }

  async delete(app: string, name: string): Promise<void> {
    const { dialect } = this.#connection;
    const q = (column: string) => dialect.quoteIdentifier(column);
    await this.#connection.execute({
      sql: `DELETE FROM ${q(PARTIAL_TABLE)} WHERE ${q('name')} = ${dialect.placeholder(1)} AND ${q('app')} = ${dialect.placeholder(2)}`,
      params: [name, app],
    });
  }
}
