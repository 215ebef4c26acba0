import { CovetError, EXIT_PARTIAL_MIGRATION } from '../errors/covet-error.js';
import type { DialectConnection } from '../dialect/dialect.js';
import type { Direction } from '../hooks/hooks.js';
import type { MigrationEntry } from '../loader/migration-loader.js';
import type { Migration } from '../migration/define-migration.js';
import type { SqlStatement } from '../schema/types.js';
import { IN_PROGRESS, IntentRecord, STOPPED, isFinished, partialState } from './intent-record.js';
import { causeText } from './run-errors.js';
import { compareChecksums } from '../migration/checksum-scheme.js';
import { PartialRuns, TRACKING_TABLE, TrackingTable, type PartialRow, type TrackingReadOptions, type TrackingRow } from './tracking-table.js';

/** A migration as its tracking row names it. */
type Tracked = Pick<Migration, 'id' | 'app' | 'name' | 'checksum'> & { readonly replaces?: readonly string[] | undefined };

/** A tracking row written at the end of a run (see {@link TrackingStore.writeRows}). */
export interface PendingRow {
  readonly migration: Migration;
  readonly statement: SqlStatement;
}

/**
 * The runner's one door to Covet's own tables: the tracking table (`covet_migrations`), the
 * part-way runs beside it and the intent record. The planner and the executor never write
 * their SQL; they get statements from here (each marked `bookkeeping`, so a dialect never has
 * to recognise them by their text) and run them where a migration's transaction needs them.
 */
export class TrackingStore {
  readonly #connection: DialectConnection;
  readonly #table: TrackingTable;
  readonly #partial: PartialRuns;

  constructor(connection: DialectConnection) {
    this.#connection = connection;
    this.#table = new TrackingTable(connection);
    this.#partial = new PartialRuns(connection, this.#table.shapes);
  }

  /** Whether the tracking table exists. */
  exists(): Promise<boolean> {
    return this.#table.exists();
  }

  /** Creates the tracking table if it is missing (holding the migration lock). */
  ensure(): Promise<void> {
    return this.#table.ensure();
  }

  /** Every tracking row, in the order migrations were applied (see TrackingTable.read). */
  read(options: TrackingReadOptions = {}): Promise<TrackingRow[]> {
    return this.#table.read(options);
  }

  /** The statement that records a migration as applied, with its file's text hash and dependencies where `entry` knows them. */
  insert(migration: Tracked, entry: MigrationEntry | undefined): SqlStatement {
    const source = entry?.sourceHash ? { sourceHash: entry.sourceHash, dependencies: entry.dependencies } : undefined;
    return this.#table.insert(migration.app, migration.name, migration.checksum, source);
  }

  /** The statement that forgets a rolled-back migration (a squashed one with the rows of the migrations it replaces). */
  remove(migration: Tracked): SqlStatement {
    return this.#table.delete(migration.app, migration.name, (migration.replaces ?? []).map((id) => id.slice(migration.app.length + 1)));
  }

  /** Deletes the row of one migration, and nothing else (`resolve --forget`, `--rolled-back`). */
  async forget(app: string, name: string): Promise<void> {
    await this.#connection.execute(this.#table.delete(app, name));
  }

  /**
   * Accepts an edit of an applied migration (`resolve --accept-edit`): its row gets the file's
   * checksum, text hash and dependencies, the time and the command `by`.
   */
  async acceptEdit(entry: MigrationEntry, by: string): Promise<void> {
    const source = entry.sourceHash ? { sourceHash: entry.sourceHash, dependencies: entry.dependencies } : undefined;
    await this.#connection.execute(this.#table.acceptEdit(entry.app, entry.name, entry.checksum, source, by));
  }

  /** Records a migration as applied outside a run (`resolve --applied`). */
  async record(migration: Tracked, entry: MigrationEntry | undefined): Promise<void> {
    await this.ensure();
    await this.#connection.execute(this.insert(migration, entry));
  }

  /** Writes (or deletes) a migration's tracking row; a failure names the migration. */
  async write(migration: Migration, statement: SqlStatement, direction: Direction = 'up'): Promise<void> {
    try {
      await this.#connection.execute(statement);
    } catch (error) {
      throw trackingError(migration, error, direction);
    }
  }

  /**
   * Writes rows kept for the end of a run, in order (one round trip where the connection can);
   * a failure names the migration whose row it was.
   */
  async writeRows(rows: readonly PendingRow[]): Promise<void> {
    const connection = this.#connection;
    let at = 0;
    try {
      if (connection.executeAll) {
        await connection.executeAll(rows.map((row) => row.statement));
      } else {
        for (; at < rows.length; at++) await connection.execute(rows[at]!.statement);
      }
    } catch (error) {
      const index = (error as { statementIndex?: unknown }).statementIndex;
      const row = rows[typeof index === 'number' ? index : at];
      throw row ? trackingError(row.migration, error) : error;
    }
  }

  /**
   * Records the text hash and dependencies of applied migrations whose files were evaluated
   * and found unchanged (rows written before Covet recorded them, or a file reformatted since),
   * so the next run trusts them without evaluating, and the current checksum of rows of
   * another scheme whose file text is the one applied. `entryOf` finds a row's migration file.
   */
  async recordSources(rows: readonly TrackingRow[], entryOf: (id: string) => MigrationEntry | undefined): Promise<void> {
    const connection = this.#connection;
    const updates: SqlStatement[] = [];
    for (const row of rows) {
      const entry = entryOf(`${row.app}:${row.name}`);
      if (!entry?.sourceHash) continue;
      const comparison = compareChecksums(row, entry);
      if (comparison === 'edited') continue;
      if (comparison === 'unchanged' && row.sourceHash === entry.sourceHash && row.dependencies !== null) continue;
      // A checksum of another scheme, for the file's very text: recomputed, not an edit.
      const checksum = comparison === 'rescheme' ? entry.checksum : undefined;
      updates.push(this.#table.updateSource(row.app, row.name, { sourceHash: entry.sourceHash, dependencies: entry.dependencies }, checksum));
    }
    if (updates.length === 0) return;
    // One transaction (and round trip where the driver allows) for the rows of a whole table.
    await connection.transaction(async () => {
      if (connection.executeAll) await connection.executeAll(updates);
      else for (const update of updates) await connection.execute(update);
    });
  }

  /**
   * Migrations left part-way; only databases without transactional DDL can have any. The
   * intent records of migrations that did finish (see isFinished) are left out, and with
   * `clean` (holding the lock) deleted.
   */
  async readPartial(rows: readonly TrackingRow[], clean = false): Promise<PartialRow[]> {
    if (this.#connection.dialect.capabilities.transactionalDdl) return [];
    const applied = new Set(rows.map((row) => `${row.app}:${row.name}`));
    const partial: PartialRow[] = [];
    for (const row of await this.#partial.read()) {
      if (!isFinished(row, applied)) partial.push(row);
      else if (clean) await this.#partial.delete(row.app, row.name);
    }
    return partial;
  }

  /** Refuses to go on while a migration is left part-way (holding the lock). */
  async refusePartial(rows: readonly TrackingRow[]): Promise<void> {
    const [first, ...others] = await this.readPartial(rows, true);
    if (!first) return;
    const id = `${first.app}:${first.name}`;
    const more = others.length ? ` (and ${others.length} more)` : '';
    throw new CovetError('MIGRATION_PARTIAL', `${describePartial(id, first)}${more}`, {
      hint: `Check the schema, finish or undo those operations by hand, then run: covet resolve ${id} --applied (or --rolled-back)`,
      exitCode: EXIT_PARTIAL_MIGRATION,
    });
  }

  /** Records a migration that failed part-way and could not be undone. */
  recordPartial(row: PartialRow): Promise<void> {
    return this.#partial.record(row);
  }

  /** Deletes the part-way record of a migration (`resolve`). */
  deletePartial(app: string, name: string): Promise<void> {
    return this.#partial.delete(app, name);
  }

  /** The intent record of a run where DDL commits as it runs, its table created if missing. */
  async openIntentRecord(): Promise<IntentRecord> {
    await this.#partial.ensure();
    return new IntentRecord(this.#partial);
  }
}

/** A tracking row that could not be written (or deleted), naming the migration. */
export function trackingError(migration: Migration, error: unknown, direction: Direction = 'up'): CovetError {
  const verb = direction === 'up' ? 'recorded in' : 'removed from';
  return new CovetError('TRACKING_FAILED', `Migration ${migration.id} could not be ${verb} ${TRACKING_TABLE}: ${causeText(error)}`, { cause: error });
}

/** One line on a migration left part-way, for errors (`migrate` refusing to go on). */
function describePartial(id: string, row: PartialRow): string {
  const verb = row.direction === 'up' ? 'applied' : 'rolled back';
  const done = row.operations.length ? `operation(s) ${row.operations.join(', ')} ${verb}` : `no operation ${verb}`;
  switch (partialState(row)) {
    case 'interrupted':
      return `Migration ${id} was interrupted part-way (${row.direction}): ${done}, it was at ${row.error.slice(IN_PROGRESS.length)}`;
    case 'stopped':
      return `Migration ${id} was stopped part-way (${row.direction}): ${done} (${row.error.slice(STOPPED.length)})`;
    default:
      return `Migration ${id} failed part-way and was not undone: operation(s) ${row.operations.join(', ')} remain ${verb}`;
  }
}
