import type { DialectConnection } from '../dialect/dialect.js';
import { CovetError } from '../errors/covet-error.js';
import { createOperation, type Operation } from '../operations/define-operation.js';
import { addColumn, alterColumn, dropColumn, renameColumn } from '../operations/builtin/column-operations.js';
import type { ColumnState, SchemaState, SqlStatement, TableState } from '../schema/types.js';
import { EMPTY_STATE, getTable, withTable } from '../state/schema-state.js';
import { withChecksumScheme } from '../migration/checksum-scheme.js';

// Covet's own tables (the tracking table and its bookkeeping beside it) and their shapes.
//
// Each table carries the version of its shape in TABLE_VERSIONS_TABLE, one row per table. A
// new version is one more entry in the table's `versions` list below: the columns it adds,
// drops, renames or alters, compiled by the dialect like any migration, and optionally an
// idempotent `backfill`. Covet upgrades its tables inside the migration lock before it reads
// them for a run (`TrackingTable.read({ upgrade: true })`): in one transaction where DDL is
// transactional; elsewhere (MySQL) step by step, each step skipped when the columns show it
// done, so an interrupted upgrade resumes on the next run. Commands that do not take the lock
// (showmigrations, dry runs) read an older shape as it is and upgrade nothing. A table whose
// columns match no version stops the run with its name, the columns found and expected.
//
// To change a table's shape: add a version to its list (never edit an old one), read and
// write the new columns in the classes below, and add the new shape to the upgrade tests
// (packages/cli/test/tracking-versions.test.ts and the dialects' CLI tests).

/** The tracking table's name, the same in every dialect. */
export const TRACKING_TABLE = 'covet_migrations';

/**
 * Covet's own bookkeeping beside the tracking table, on databases without transactional DDL:
 * the migration a run is part-way through (its intent record: see intent-record.ts) and the
 * migrations that failed part-way and could not be undone, with the operations that remain
 * applied (or rolled back).
 */
export const PARTIAL_TABLE = 'covet_migrations_partial';

/** Where the shape version of each of Covet's own tables is kept: `(table_name, version)`. */
export const TABLE_VERSIONS_TABLE = 'covet_table_versions';

/**
 * One version of the shape of one of Covet's own tables. Version 1 gives the whole table
 * (`state`); every later version gives the steps from the version before it.
 */
export interface BookkeepingVersion {
  readonly version: number;
  /** Version 1 only: the table as first created. */
  readonly state?: TableState;
  /**
   * Later versions: `addColumn`, `dropColumn`, `renameColumn` or `alterColumn` operations on
   * the table (an added column must be nullable or have a default: the table has rows).
   */
  readonly steps?: readonly Operation[];
  /**
   * Runs after the steps, e.g. to fill a new column. It must be idempotent: where DDL is not
   * transactional, an interrupted upgrade runs it again.
   */
  readonly backfill?: (connection: DialectConnection) => Promise<void>;
}

/** One of Covet's own tables and the versions of its shape, oldest first. */
export interface BookkeepingTable {
  readonly name: string;
  readonly versions: readonly BookkeepingVersion[];
}

const id: ColumnState = { name: 'id', type: { type: 'serial' }, nullable: false };
const name: ColumnState = { name: 'name', type: { type: 'varchar', length: 255 }, nullable: false };
const app: ColumnState = { name: 'app', type: { type: 'varchar', length: 255 }, nullable: false };
const now = { kind: 'sql', sql: 'CURRENT_TIMESTAMP' } as const;

/** The shapes of `covet_migrations`. */
const TRACKING_SHAPES: BookkeepingTable = {
  name: TRACKING_TABLE,
  versions: [
    {
      version: 1,
      state: {
        name: TRACKING_TABLE,
        columns: [
          id,
          name,
          app,
          { name: 'applied_at', type: { type: 'timestamp' }, nullable: true, default: now },
          { name: 'checksum', type: { type: 'varchar', length: 64 }, nullable: false },
        ],
        primaryKey: { columns: ['id'] },
        indexes: [{ name: `${TRACKING_TABLE}_name_app_key`, columns: ['name', 'app'], unique: true }],
        foreignKeys: [],
      },
    },
    {
      // The SHA-256 of the file's normalised text when it was applied (or last verified) and
      // its dependencies, so an unchanged file need not be evaluated to be trusted. NULL in
      // rows written before; filled by the next `migrate`.
      version: 2,
      steps: [
        createOperation('addColumn', { table: TRACKING_TABLE, column: { name: 'source_hash', type: { type: 'varchar', length: 64 }, nullable: true } }),
        createOperation('addColumn', { table: TRACKING_TABLE, column: { name: 'dependencies', type: { type: 'text' }, nullable: true } }),
      ],
    },
    {
      // Checksums carry their scheme (`v1:` + SHA-256 hex: checksum-scheme.ts), so the column
      // is wider and the bare hex of rows written before gets its `v1:`; an edit accepted with
      // `covet resolve --accept-edit` records when and by which command.
      version: 3,
      steps: [
        createOperation('alterColumn', { table: TRACKING_TABLE, column: { name: 'checksum', type: { type: 'varchar', length: 255 }, nullable: false } }),
        createOperation('addColumn', { table: TRACKING_TABLE, column: { name: 'edit_accepted_at', type: { type: 'timestamp' }, nullable: true } }),
        createOperation('addColumn', { table: TRACKING_TABLE, column: { name: 'edit_accepted_by', type: { type: 'varchar', length: 255 }, nullable: true } }),
      ],
      backfill: prefixBareChecksums,
    },
  ],
};

/**
 * Gives the bare SHA-256 hex checksums of rows written before checksums carried their scheme
 * the `v1:` of theirs. Idempotent: a prefixed checksum (`v…:`) is left as it is.
 */
async function prefixBareChecksums(connection: DialectConnection): Promise<void> {
  const { dialect } = connection;
  const q = (identifier: string) => dialect.quoteIdentifier(identifier);
  const rows = await connection.query<Record<string, unknown>>(
    `SELECT ${q('id')}, ${q('checksum')} FROM ${q(TRACKING_TABLE)} WHERE ${q('checksum')} NOT LIKE 'v%'`,
  );
  const updates = rows
    .filter((row) => withChecksumScheme(String(row.checksum)) !== String(row.checksum))
    .map((row) => ({
      sql: `UPDATE ${q(TRACKING_TABLE)} SET ${q('checksum')} = ${dialect.placeholder(1)} WHERE ${q('id')} = ${dialect.placeholder(2)}`,
      params: [withChecksumScheme(String(row.checksum)), Number(row.id)],
      bookkeeping: true,
    }));
  if (updates.length === 0) return;
  if (connection.executeAll) await connection.executeAll(updates);
  else for (const update of updates) await connection.execute(update);
}

/** The shapes of `covet_migrations_partial`. */
const PARTIAL_SHAPES: BookkeepingTable = {
  name: PARTIAL_TABLE,
  versions: [
    {
      version: 1,
      state: {
        name: PARTIAL_TABLE,
        columns: [
          id,
          name,
          app,
          { name: 'direction', type: { type: 'varchar', length: 8 }, nullable: false },
          { name: 'operations', type: { type: 'text' }, nullable: false },
          { name: 'error', type: { type: 'text' }, nullable: false },
          { name: 'failed_at', type: { type: 'timestamp' }, nullable: true, default: now },
        ],
        primaryKey: { columns: ['id'] },
        indexes: [{ name: `${PARTIAL_TABLE}_name_app_key`, columns: ['name', 'app'], unique: true }],
        foreignKeys: [],
      },
    },
  ],
};

/** Covet's own tables whose shapes are versioned, in the order they are checked and upgraded. */
export const BOOKKEEPING_TABLES: readonly BookkeepingTable[] = Object.freeze([TRACKING_SHAPES, PARTIAL_SHAPES]);

/** The table of shape versions itself (never upgraded: its shape is fixed). */
const VERSIONS_STATE: TableState = Object.freeze({
  name: TABLE_VERSIONS_TABLE,
  columns: [
    { name: 'table_name', type: { type: 'varchar', length: 255 }, nullable: false },
    { name: 'version', type: { type: 'integer' }, nullable: false },
  ],
  primaryKey: { columns: ['table_name'] },
  indexes: [],
  foreignKeys: [],
}) as TableState;

/** What an upgrade step may be, by kind (each knows its effect on the state). */
const STEP_DEFINITIONS = new Map<string, { applyToState(state: SchemaState, args: never): SchemaState }>(
  [addColumn, dropColumn, renameColumn, alterColumn].map((definition) => [definition.kind, definition]),
);

function applyStep(state: SchemaState, step: Operation): SchemaState {
  const definition = STEP_DEFINITIONS.get(step.kind);
  if (!definition) throw new CovetError('INTERNAL', `Upgrade step ${step.kind} is not one of addColumn, dropColumn, renameColumn, alterColumn`);
  return definition.applyToState(state, step.args as never);
}

/** The latest version of a table's shape. */
export function latestVersion(table: BookkeepingTable): number {
  return table.versions.at(-1)!.version;
}

/** A table's shape at every version, oldest first. */
export function shapesOf(table: BookkeepingTable): TableState[] {
  const shapes: TableState[] = [];
  for (const version of table.versions) {
    if (version.state) {
      shapes.push(version.state);
      continue;
    }
    let state = withTable(EMPTY_STATE, shapes.at(-1)!);
    for (const step of version.steps ?? []) state = applyStep(state, step);
    shapes.push(getTable(state, table.name)!);
  }
  return shapes;
}

/** The latest shape of a table. */
export function latestShape(table: BookkeepingTable): TableState {
  return shapesOf(table).at(-1)!;
}

/** The tracking table's latest shape, compiled by each dialect like any other table. */
export const TRACKING_TABLE_STATE: TableState = Object.freeze(latestShape(TRACKING_SHAPES)) as TableState;

/** The bookkeeping table's latest shape. */
export const PARTIAL_TABLE_STATE: TableState = Object.freeze(latestShape(PARTIAL_SHAPES)) as TableState;

/** What a shape check concluded for one table. */
export type ShapeVerdict =
  | { readonly kind: 'missing' }
  | { readonly kind: 'known'; readonly version: number }
  | { readonly kind: 'newer'; readonly version: number }
  | { readonly kind: 'unknown'; readonly found: readonly string[] };

/**
 * Which version of `table` a live table with columns `found` is at, given the version
 * recorded for it (none for a table Covet created before shapes were versioned). A table
 * part-way through an upgrade (columns of later versions already there, as an interrupted
 * upgrade on MySQL leaves it) counts as the version it started from: the upgrade resumes.
 */
export function matchShape(table: BookkeepingTable, found: readonly string[], recorded: number | undefined): ShapeVerdict {
  const latest = latestVersion(table);
  if (recorded !== undefined && recorded > latest) return { kind: 'newer', version: recorded };
  const shapes = shapesOf(table);
  const have = new Set(found);
  const candidates = table.versions.map((version, index) => ({ version: version.version, index })).reverse();
  for (const { version, index } of candidates) {
    if (recorded !== undefined && version !== recorded) continue;
    const columns = (at: number) => new Set(shapes[at]!.columns.map((column) => column.name));
    const own = columns(index);
    // What must be there: the version's columns that no later version drops or renames.
    // What may be there: those, and every column a later version adds.
    const must = [...own];
    const may = new Set(own);
    for (let later = index + 1; later < shapes.length; later++) {
      const next = columns(later);
      for (let position = must.length - 1; position >= 0; position--) if (!next.has(must[position]!)) must.splice(position, 1);
      for (const column of next) may.add(column);
    }
    if (must.every((column) => have.has(column)) && found.every((column) => may.has(column))) return { kind: 'known', version };
  }
  return { kind: 'unknown', found };
}

/** The error for a table of a shape Covet does not know. */
function unknownShapeError(table: BookkeepingTable, found: readonly string[], recorded: number | undefined, where: string): CovetError {
  const expected = latestShape(table).columns.map((column) => column.name);
  const version = recorded === undefined ? '' : `, recorded as version ${recorded}`;
  return new CovetError(
    'TRACKING_TABLE_UNKNOWN',
    `Table ${table.name} has columns Covet does not know${version}: found ${found.join(', ') || 'none'}; expected ${expected.join(', ')} (${where})`,
    {
      hint:
        `Nothing was changed. If another tool owns ${table.name}, give Covet its own database or schema; if it is Covet's and was altered by hand, ` +
        `put the columns back (README: "Tracking table versions").`,
    },
  );
}

function newerShapeError(table: BookkeepingTable, version: number, where: string): CovetError {
  return new CovetError(
    'TRACKING_TABLE_NEWER',
    `Table ${table.name} is at version ${version} of its shape; this Covet knows up to version ${latestVersion(table)} (${where})`,
    { hint: 'Nothing was changed. A newer Covet wrote it: upgrade @covet/cli and @covet/core to that version.' },
  );
}

/** Creates one of Covet's own tables, compiled by the dialect like any other table. */
async function createTable(connection: DialectConnection, table: TableState): Promise<void> {
  const { dialect } = connection;
  const statements = await dialect.compileOperation(createOperation('createTable', table), {
    dialect,
    stateBefore: EMPTY_STATE,
    stateAfter: withTable(EMPTY_STATE, table),
  });
  for (const statement of statements ?? []) await connection.execute({ ...statement, bookkeeping: true });
}

/**
 * The shape versions of Covet's own tables on one connection: reads them, creates the tables
 * at their latest version, checks and upgrades them.
 */
export class BookkeepingShapes {
  readonly #connection: DialectConnection;
  /** The versions recorded, once read; undefined before. */
  #versions: Map<string, number> | undefined;

  constructor(connection: DialectConnection) {
    this.#connection = connection;
  }

  #q(identifier: string): string {
    return this.#connection.dialect.quoteIdentifier(identifier);
  }

  /** Where a message should say the tables are. */
  #where(): string {
    return this.#connection.dialect.name;
  }

  /** Sets the versions read by a query that also read them (see TrackingTable.read). */
  remember(versions: Map<string, number>): void {
    this.#versions = versions;
  }

  /** The recorded versions (empty when the versions table does not exist). */
  async versions(): Promise<Map<string, number>> {
    if (this.#versions) return this.#versions;
    const versions = new Map<string, number>();
    if (await this.#connection.tableExists(TABLE_VERSIONS_TABLE)) {
      const rows = await this.#connection.query<Record<string, unknown>>(`SELECT ${this.#q('table_name')}, ${this.#q('version')} FROM ${this.#q(TABLE_VERSIONS_TABLE)}`);
      for (const row of rows) versions.set(String(row.table_name), Number(row.version));
    }
    return (this.#versions = versions);
  }

  /** The columns of a live table, in order. */
  async columns(table: BookkeepingTable): Promise<string[]> {
    const connection = this.#connection;
    if (connection.tableColumns) return connection.tableColumns(table.name);
    // A dialect without `tableColumns`: probe every column any version has.
    const found: string[] = [];
    const names = new Set(shapesOf(table).flatMap((shape) => shape.columns.map((column) => column.name)));
    for (const column of names) {
      try {
        await connection.query(`SELECT ${this.#q(column)} FROM ${this.#q(table.name)} WHERE 1 = 0`);
        found.push(column);
      } catch {
        // Not there.
      }
    }
    return found;
  }

  /** What version `table` is at, without changing anything. */
  async check(table: BookkeepingTable): Promise<ShapeVerdict> {
    if (!(await this.#connection.tableExists(table.name))) return { kind: 'missing' };
    const recorded = (await this.versions()).get(table.name);
    return matchShape(table, await this.columns(table), recorded);
  }

  /**
   * Checks every table and returns the version each is at (missing tables left out); a
   * table of unknown or newer shape is an error, and nothing is changed.
   */
  async checkAll(): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    for (const table of BOOKKEEPING_TABLES) {
      const verdict = await this.check(table);
      const recorded = (await this.versions()).get(table.name);
      if (verdict.kind === 'unknown') throw unknownShapeError(table, verdict.found, recorded, this.#where());
      if (verdict.kind === 'newer') throw newerShapeError(table, verdict.version, this.#where());
      if (verdict.kind === 'known') found.set(table.name, verdict.version);
    }
    return found;
  }

  /**
   * Brings every existing table to its latest shape (call it holding the migration lock).
   * All tables are checked first: a table of unknown shape stops it before anything changes.
   */
  async upgrade(): Promise<void> {
    const at = await this.checkAll();
    const recorded = await this.versions();
    const work = BOOKKEEPING_TABLES.filter((table) => at.has(table.name) && (at.get(table.name)! < latestVersion(table) || recorded.get(table.name) !== latestVersion(table)));
    if (work.length === 0) return;
    const run = async () => {
      if (!(await this.#connection.tableExists(TABLE_VERSIONS_TABLE))) await createTable(this.#connection, VERSIONS_STATE);
      for (const table of work) await this.#upgradeTable(table, at.get(table.name)!);
    };
    // Where DDL is transactional the whole upgrade commits at once; elsewhere each step
    // commits as it runs, and each is skipped on a rerun when the columns show it done.
    if (this.#connection.dialect.capabilities.transactionalDdl) await this.#connection.transaction(run);
    else await run();
    this.#versions = new Map([...recorded, ...work.map((table) => [table.name, latestVersion(table)] as const)]);
  }

  async #upgradeTable(table: BookkeepingTable, from: number): Promise<void> {
    const { dialect } = this.#connection;
    const shapes = shapesOf(table);
    for (let index = table.versions.findIndex((version) => version.version === from) + 1; index < table.versions.length; index++) {
      const version = table.versions[index]!;
      const columns = new Set(await this.columns(table));
      let state = withTable(EMPTY_STATE, shapes[index - 1]!);
      for (const step of version.steps ?? []) {
        const after = applyStep(state, step);
        if (!isDone(step, columns)) {
          const statements = await dialect.compileOperation(step, { dialect, stateBefore: state, stateAfter: after, query: (sql, params) => this.#connection.query(sql, params) });
          for (const statement of statements ?? []) await this.#connection.execute({ ...statement, bookkeeping: true });
        }
        state = after;
      }
      await version.backfill?.(this.#connection);
      await this.#record(table.name, version.version);
    }
    // At its latest shape already, but without a record (created before shapes were versioned).
    if (from === latestVersion(table)) await this.#record(table.name, from);
  }

  /** Records a table's version (delete and insert: portable, and idempotent when rerun). */
  async #record(tableName: string, version: number): Promise<void> {
    const { dialect } = this.#connection;
    const q = (identifier: string) => this.#q(identifier);
    await this.#connection.execute({ sql: `DELETE FROM ${q(TABLE_VERSIONS_TABLE)} WHERE ${q('table_name')} = ${dialect.placeholder(1)}`, params: [tableName], bookkeeping: true });
    await this.#connection.execute({
      sql: `INSERT INTO ${q(TABLE_VERSIONS_TABLE)} (${q('table_name')}, ${q('version')}) VALUES (${dialect.placeholder(1)}, ${dialect.placeholder(2)})`,
      params: [tableName, version],
      bookkeeping: true,
    });
    this.#versions?.set(tableName, version);
  }

  /** Creates a table at its latest shape and records its version (the versions table too, if missing). */
  async create(table: BookkeepingTable): Promise<void> {
    if (!(await this.#connection.tableExists(TABLE_VERSIONS_TABLE))) await createTable(this.#connection, VERSIONS_STATE);
    await createTable(this.#connection, latestShape(table));
    await this.#record(table.name, latestVersion(table));
  }
}

/** Whether an upgrade step's effect is already in a table with `columns` (an interrupted upgrade). */
function isDone(step: Operation, columns: ReadonlySet<string>): boolean {
  const args = step.args as { column?: ColumnState | string; from?: string; to?: string };
  switch (step.kind) {
    case 'addColumn':
      return columns.has((args.column as ColumnState).name);
    case 'dropColumn':
      return !columns.has(args.column as string);
    case 'renameColumn':
      return !columns.has(args.from!) && columns.has(args.to!);
    default:
      // alterColumn: running it again does no harm.
      return false;
  }
}

/** One row of the tracking table. */
export interface TrackingRow {
  readonly id: number;
  readonly app: string;
  readonly name: string;
  /** ISO 8601, UTC. */
  readonly appliedAt: string | null;
  /** The checksum with its scheme (`v1:…`; a bare hex written before schemes reads as `v1:`). */
  readonly checksum: string;
  /**
   * SHA-256 (hex) of the migration file's text (UTF-8, LF line endings, no BOM) when it was
   * applied or last verified; null in rows written before Covet recorded it.
   */
  readonly sourceHash: string | null;
  /** The migration's dependencies (`app:name` ids) as recorded with `sourceHash`; null when not recorded. */
  readonly dependencies: readonly string[] | null;
  /**
   * When an edit of the applied migration was accepted (`covet resolve --accept-edit`: the
   * checksum is then the edited file's), ISO 8601 UTC; null when none was.
   */
  readonly editAcceptedAt: string | null;
  /** The command that accepted the edit; null when none did. */
  readonly editAcceptedBy: string | null;
}

/** What a tracking row records of a migration's source, besides its checksum. */
export interface TrackingSource {
  readonly sourceHash: string;
  readonly dependencies: readonly string[];
}

/** Options of {@link TrackingTable.read}. */
export interface TrackingReadOptions {
  /**
   * Bring Covet's tables to their latest shape first (only while holding the migration lock).
   * Without it an older shape is read as it is.
   */
  readonly upgrade?: boolean;
}

function toIso(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  const text = String(value);
  // SQLite and MySQL return 'YYYY-MM-DD HH:MM:SS' in UTC (CURRENT_TIMESTAMP is UTC there).
  const date = new Date(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$/.test(text) ? `${text.replace(' ', 'T')}Z` : text);
  return Number.isNaN(date.getTime()) ? text : date.toISOString();
}

function parseDependencies(value: unknown): readonly string[] | null {
  if (value === null || value === undefined) return null;
  try {
    const parsed = JSON.parse(String(value)) as unknown;
    return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : null;
  } catch {
    return null;
  }
}

/** Reads and writes `covet_migrations` through a dialect connection, with bound values. */
export class TrackingTable {
  readonly #connection: DialectConnection;
  /** The shape versions of Covet's tables on this connection. */
  readonly shapes: BookkeepingShapes;
  #insertSql: string | undefined;

  constructor(connection: DialectConnection) {
    this.#connection = connection;
    this.shapes = new BookkeepingShapes(connection);
  }

  #quote(identifier: string): string {
    return this.#connection.dialect.quoteIdentifier(identifier);
  }

  exists(): Promise<boolean> {
    return this.#connection.tableExists(TRACKING_TABLE);
  }

  /** Creates the table at its latest shape if it is missing (call it holding the migration lock). */
  async ensure(): Promise<void> {
    if (await this.exists()) return;
    await this.#connection.transaction(() => this.shapes.create(TRACKING_SHAPES));
  }

  /**
   * Every row, in the order migrations were applied; empty when the table does not exist.
   * The usual case (the tables at their latest shape) is one query that reads the shape
   * versions and the rows together; anything else checks the shapes first, and a table of
   * unknown shape is an error that changes nothing.
   */
  async read(options: TrackingReadOptions = {}): Promise<TrackingRow[]> {
    const fast = await this.#readLatest();
    if (fast) return fast;
    if (options.upgrade) await this.shapes.upgrade();
    else await this.shapes.checkAll();
    const verdict = await this.shapes.check(TRACKING_SHAPES);
    if (verdict.kind === 'missing') return [];
    return this.#readRows(verdict.kind === 'known' ? verdict.version : latestVersion(TRACKING_SHAPES));
  }

  /**
   * The rows and every table's version in one query, when the tracking table is at its
   * latest version; undefined when it is not (or the versions table is missing).
   */
  async #readLatest(): Promise<TrackingRow[] | undefined> {
    const q = (identifier: string) => this.#quote(identifier);
    const columns = ['id', 'app', 'name', 'applied_at', 'checksum', 'source_hash', 'dependencies', 'edit_accepted_at', 'edit_accepted_by'].map((column) => `m.${q(column)}`);
    let rows: Record<string, unknown>[];
    try {
      rows = await this.#connection.query<Record<string, unknown>>(
        `SELECT v.${q('table_name')} AS ${q('covet_table')}, v.${q('version')} AS ${q('covet_version')}, ${columns.join(', ')} ` +
          `FROM ${q(TABLE_VERSIONS_TABLE)} v LEFT JOIN ${q(TRACKING_TABLE)} m ON v.${q('table_name')} = '${TRACKING_TABLE}' ORDER BY m.${q('id')}`,
      );
    } catch {
      // No versions table (or no tracking table, or another shape): the slow path says which.
      return undefined;
    }
    const versions = new Map<string, number>();
    for (const row of rows) versions.set(String(row.covet_table), Number(row.covet_version));
    if (versions.get(TRACKING_TABLE) !== latestVersion(TRACKING_SHAPES)) return undefined;
    this.shapes.remember(versions);
    return rows.filter((row) => row.covet_table === TRACKING_TABLE && row.id !== null && row.id !== undefined).map(toRow);
  }

  async #readRows(version: number): Promise<TrackingRow[]> {
    const q = (identifier: string) => this.#quote(identifier);
    const columns = [
      'id',
      'app',
      'name',
      'applied_at',
      'checksum',
      ...(version >= 2 ? ['source_hash', 'dependencies'] : []),
      ...(version >= 3 ? ['edit_accepted_at', 'edit_accepted_by'] : []),
    ];
    const rows = await this.#connection.query<Record<string, unknown>>(`SELECT ${columns.map(q).join(', ')} FROM ${q(TRACKING_TABLE)} ORDER BY ${q('id')}`);
    return rows.map(toRow);
  }

  /** The statement that records a migration as applied (with its source, where known). */
  insert(app: string, name: string, checksum: string, source?: TrackingSource): SqlStatement {
    // The same text for every migration of a run: built once.
    this.#insertSql ??= (() => {
      const { dialect } = this.#connection;
      const q = (column: string) => this.#quote(column);
      const columns = ['name', 'app', 'checksum', 'source_hash', 'dependencies'];
      return `INSERT INTO ${q(TRACKING_TABLE)} (${columns.map(q).join(', ')}) VALUES (${columns.map((_, index) => dialect.placeholder(index + 1)).join(', ')})`;
    })();
    return { sql: this.#insertSql, params: [name, app, checksum, source?.sourceHash ?? null, source ? JSON.stringify(source.dependencies) : null], bookkeeping: true };
  }

  /**
   * The statement that records the source of an applied migration whose checksum was verified,
   * and its `checksum` when it was of an older scheme and is recomputed (see compareChecksums).
   */
  updateSource(app: string, name: string, source: TrackingSource, checksum?: string): SqlStatement {
    const { dialect } = this.#connection;
    const q = (column: string) => this.#quote(column);
    const p = (index: number) => dialect.placeholder(index);
    // Placeholders in the order of their values (`?` is positional on some engines).
    const values: [string, unknown][] = [
      ['source_hash', source.sourceHash],
      ['dependencies', JSON.stringify(source.dependencies)],
      ...(checksum === undefined ? [] : [['checksum', checksum] as [string, unknown]]),
    ];
    const set = values.map(([column], index) => `${q(column)} = ${p(index + 1)}`).join(', ');
    return {
      sql: `UPDATE ${q(TRACKING_TABLE)} SET ${set} WHERE ${q('name')} = ${p(values.length + 1)} AND ${q('app')} = ${p(values.length + 2)}`,
      params: [...values.map(([, value]) => value), name, app],
      bookkeeping: true,
    };
  }

  /**
   * The statement that accepts an edit of an applied migration: its row gets the edited file's
   * checksum and source (text hash and dependencies, null when the file has none), the time
   * and the command `by` that accepted it.
   */
  acceptEdit(app: string, name: string, checksum: string, source: TrackingSource | undefined, by: string): SqlStatement {
    const { dialect } = this.#connection;
    const q = (column: string) => this.#quote(column);
    const p = (index: number) => dialect.placeholder(index);
    return {
      sql:
        `UPDATE ${q(TRACKING_TABLE)} SET ${q('checksum')} = ${p(1)}, ${q('source_hash')} = ${p(2)}, ${q('dependencies')} = ${p(3)}, ` +
        `${q('edit_accepted_at')} = CURRENT_TIMESTAMP, ${q('edit_accepted_by')} = ${p(4)} WHERE ${q('name')} = ${p(5)} AND ${q('app')} = ${p(6)}`,
      params: [checksum, source?.sourceHash ?? null, source ? JSON.stringify(source.dependencies) : null, by.slice(0, 255), name, app],
      bookkeeping: true,
    };
  }

  /** The statement that forgets a migration (after rolling it back), and the rows `alsoNames` of its app. */
  delete(app: string, name: string, alsoNames: readonly string[] = []): SqlStatement {
    const { dialect } = this.#connection;
    const q = (column: string) => this.#quote(column);
    if (alsoNames.length > 0) {
      // A squashed migration goes with the rows of the migrations it replaces.
      const names = [name, ...alsoNames];
      const placeholders = names.map((_, index) => dialect.placeholder(index + 2)).join(', ');
      return {
        sql: `DELETE FROM ${q(TRACKING_TABLE)} WHERE ${q('app')} = ${dialect.placeholder(1)} AND ${q('name')} IN (${placeholders})`,
        params: [app, ...names],
        bookkeeping: true,
      };
    }
    return {
      sql: `DELETE FROM ${q(TRACKING_TABLE)} WHERE ${q('name')} = ${dialect.placeholder(1)} AND ${q('app')} = ${dialect.placeholder(2)}`,
      params: [name, app],
      bookkeeping: true,
    };
  }
}

function toRow(row: Record<string, unknown>): TrackingRow {
  return {
    id: Number(row.id),
    app: String(row.app),
    name: String(row.name),
    appliedAt: toIso(row.applied_at),
    checksum: withChecksumScheme(String(row.checksum)),
    sourceHash: row.source_hash === null || row.source_hash === undefined ? null : String(row.source_hash),
    dependencies: parseDependencies(row.dependencies),
    editAcceptedAt: toIso(row.edit_accepted_at),
    editAcceptedBy: row.edit_accepted_by === null || row.edit_accepted_by === undefined ? null : String(row.edit_accepted_by),
  };
}

/** One migration left part-way. */
export interface PartialRow {
  readonly app: string;
  readonly name: string;
  /** The direction that failed. */
  readonly direction: 'up' | 'down';
  /** 1-based numbers of the operations whose effect remains (done, for a run in progress). */
  readonly operations: readonly number[];
  /** Why it is part-way: a failure, or a note of the intent record (`in progress: ...`, `stopped: ...`). */
  readonly error: string;
}

/** Reads and writes {@link PARTIAL_TABLE}. Writes commit at once (`executeDurably` where the connection has it). */
export class PartialRuns {
  readonly #connection: DialectConnection;
  readonly #shapes: BookkeepingShapes;
  /** Whether the table is known to exist (set once seen or created). */
  #exists = false;

  /** `shapes`: the tracking table's (one read of the versions serves both). */
  constructor(connection: DialectConnection, shapes: BookkeepingShapes = new BookkeepingShapes(connection)) {
    this.#connection = connection;
    this.#shapes = shapes;
  }

  #q(identifier: string): string {
    return this.#connection.dialect.quoteIdentifier(identifier);
  }

  /**
   * The intent record must survive the run's session being killed: a session of its own where
   * there is one. Statements in `before` (a tracking row) commit in one transaction with
   * `statement`; only where {@link writesTogether}.
   */
  #execute(statement: SqlStatement, before: readonly SqlStatement[] = []): Promise<void> {
    const connection = this.#connection;
    if (before.length > 0) return this.writeTogether([...before, statement]);
    return connection.executeDurably ? connection.executeDurably(statement) : connection.execute(statement);
  }

  /** Whether the connection writes several statements in one durable transaction (`executeDurablyAll`). */
  get writesTogether(): boolean {
    return this.#connection.executeDurablyAll !== undefined;
  }

  /** Runs `statements` in one transaction that commits at once (`executeDurablyAll`). */
  writeTogether(statements: readonly SqlStatement[]): Promise<void> {
    const connection = this.#connection;
    if (!connection.executeDurablyAll) throw new Error('writeTogether needs DialectConnection.executeDurablyAll');
    return connection.executeDurablyAll(statements);
  }

  async #tableExists(): Promise<boolean> {
    this.#exists ||= await this.#connection.tableExists(PARTIAL_TABLE);
    return this.#exists;
  }

  /** Creates the table if it is missing (call it holding the migration lock). */
  async ensure(): Promise<void> {
    if (await this.#tableExists()) return;
    await this.#shapes.create(PARTIAL_SHAPES);
    this.#exists = true;
  }

  async read(): Promise<PartialRow[]> {
    if (!(await this.#tableExists())) return [];
    // Created before shapes were versioned (the run's upgrade records it), or of another shape.
    if ((await this.#shapes.versions()).get(PARTIAL_TABLE) !== latestVersion(PARTIAL_SHAPES)) {
      const verdict = await this.#shapes.check(PARTIAL_SHAPES);
      if (verdict.kind === 'unknown') throw unknownShapeError(PARTIAL_SHAPES, verdict.found, (await this.#shapes.versions()).get(PARTIAL_TABLE), this.#connection.dialect.name);
      if (verdict.kind === 'newer') throw newerShapeError(PARTIAL_SHAPES, verdict.version, this.#connection.dialect.name);
    }
    const q = (identifier: string) => this.#q(identifier);
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
    await this.put(row);
  }

  /**
   * Writes `row`: a new row, or (with `replacing`) the row of that migration rewritten, its
   * key included. One statement either way, in one transaction with `before` if given.
   */
  async put(row: PartialRow, replacing?: { readonly app: string; readonly name: string }, before: readonly SqlStatement[] = []): Promise<void> {
    await this.ensure();
    const { dialect } = this.#connection;
    const q = (identifier: string) => this.#q(identifier);
    const p = (index: number) => dialect.placeholder(index);
    const values = [row.name, row.app, row.direction, JSON.stringify(row.operations), row.error.slice(0, 2000)];
    await this.#execute(
      replacing
        ? {
            sql: `UPDATE ${q(PARTIAL_TABLE)} SET ${q('name')} = ${p(1)}, ${q('app')} = ${p(2)}, ${q('direction')} = ${p(3)}, ${q('operations')} = ${p(4)}, ${q('error')} = ${p(5)} WHERE ${q('name')} = ${p(6)} AND ${q('app')} = ${p(7)}`,
            params: [...values, replacing.name, replacing.app],
            bookkeeping: true,
          }
        : {
            sql: `INSERT INTO ${q(PARTIAL_TABLE)} (${q('name')}, ${q('app')}, ${q('direction')}, ${q('operations')}, ${q('error')}) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)})`,
            params: values,
            bookkeeping: true,
          },
      before,
    );
  }

  /** Deletes the row of a migration (in one transaction with `before` if given). */
  async delete(app: string, name: string, before: readonly SqlStatement[] = []): Promise<void> {
    const { dialect } = this.#connection;
    const q = (column: string) => this.#q(column);
    await this.#execute({
      sql: `DELETE FROM ${q(PARTIAL_TABLE)} WHERE ${q('name')} = ${dialect.placeholder(1)} AND ${q('app')} = ${dialect.placeholder(2)}`,
      params: [name, app],
      bookkeeping: true,
    }, before);
  }
}
