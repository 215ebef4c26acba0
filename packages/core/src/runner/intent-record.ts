import type { Direction } from '../hooks/hooks.js';
import type { Migration } from '../migration/define-migration.js';
import type { SqlStatement } from '../schema/types.js';
import type { PartialRow, PartialRuns } from './tracking-table.js';

/** How the note of a run that was still going when it ended begins (process killed, connection lost). */
export const IN_PROGRESS = 'in progress: ';
/** How the note of a run stopped by a signal between two operations begins. */
export const STOPPED = 'stopped: ';

/** Why a migration is part-way: its run ended without a word, was stopped, or failed and could not be undone. */
export type PartialState = 'interrupted' | 'stopped' | 'failed';

/** The state a row of the part-way table records. */
export function partialState(row: Pick<PartialRow, 'error'>): PartialState {
  if (row.error.startsWith(IN_PROGRESS)) return 'interrupted';
  if (row.error.startsWith(STOPPED)) return 'stopped';
  return 'failed';
}

/**
 * Whether an intent record is left over from a migration that did finish: the run writes the
 * tracking row (or deletes it, rolling back) before it removes its intent record, so a run
 * that ends between the two leaves a record whose migration is already where it was going.
 */
export function isFinished(row: PartialRow, applied: ReadonlySet<string>): boolean {
  if (partialState(row) !== 'interrupted') return false;
  const isApplied = applied.has(`${row.app}:${row.name}`);
  return row.direction === 'up' ? isApplied : !isApplied;
}

/** The first note a migration will write (see {@link IntentRecord.finish}). */
export interface NextNote {
  readonly migration: Migration;
  readonly direction: Direction;
  readonly note: string;
}

/**
 * The intent record of a run on a database without transactional DDL, where a statement
 * commits as it runs and a killed process, a signal or a lost connection can leave a migration
 * half-applied with no tracking row. Before a migration's first statement the run writes which
 * migration it is at, in which direction, and which operation it is starting; before each
 * further operation it writes which are done. Every write commits at once (`executeDurably`),
 * so what the database holds is always at most one operation behind the truth, and says which
 * operation that is (`in progress: operation #3 ...`).
 *
 * One row serves the whole run: each migration takes it over (an UPDATE of the row's key) and
 * its tracking row makes it obsolete ({@link isFinished}). Where the connection writes several
 * statements in one durable transaction (`executeDurablyAll`), a migration run without a
 * transaction of its own has its tracking row written together with the note announcing the
 * next migration's first operation ({@link finish}), and the last one's with the row's
 * deletion: a run of N migrations of K operations commits N×K small writes, one per
 * operation, where the tracking rows alone took N. A row still there when the next run starts
 * stops that run (exit 4) until `covet resolve` settles it.
 */
export class IntentRecord {
  readonly #partial: PartialRuns;
  /** The key of the row this run holds in the table. */
  #key: { readonly app: string; readonly name: string } | undefined;
  /** False once the migration the row names has its tracking row (the row is then obsolete). */
  #live = false;
  /**
   * The row as {@link finish} wrote it for the next migration, until that migration's first
   * note finds it already written (it is live from then on). A run that ends before (a stop
   * between two migrations) deletes it: that migration never started.
   */
  #announced: string | undefined;

  constructor(partial: PartialRuns) {
    this.#partial = partial;
  }

  /** Whether {@link finish} can write a tracking row and a note in one transaction. */
  get combines(): boolean {
    return this.#partial.writesTogether;
  }

  /** Records that `migration` (going `direction`) has `operations` (1-based) done, with a note. */
  async note(migration: Migration, direction: Direction, operations: readonly number[], note: string): Promise<void> {
    const row: PartialRow = { app: migration.app, name: migration.name, direction, operations, error: note };
    const announced = this.#announced;
    this.#announced = undefined;
    if (announced !== undefined && announced === rowText(row)) {
      this.#live = true;
      return;
    }
    await this.#partial.put(row, this.#key);
    this.#key = { app: migration.app, name: migration.name };
    this.#live = true;
  }

  /**
   * The migration the row names is finished: writes its tracking row (`tracking`: the insert,
   * or the delete rolling back) in one transaction with the note announcing `next` (the
   * migration that runs after it, at its first operation), or with the row's deletion when
   * none follows. Only where {@link combines}; a failure leaves the row as it was.
   */
  async finish(tracking: SqlStatement, next: NextNote | undefined): Promise<void> {
    if (next) {
      const row: PartialRow = { app: next.migration.app, name: next.migration.name, direction: next.direction, operations: [], error: next.note };
      await this.#partial.put(row, this.#key, [tracking]);
      this.#key = { app: row.app, name: row.name };
      this.#announced = rowText(row);
    } else {
      const key = this.#key;
      if (key) await this.#partial.delete(key.app, key.name, [tracking]);
      else await this.#partial.writeTogether([tracking]);
      this.#key = undefined;
      this.#announced = undefined;
    }
    this.#live = false;
  }

  /** The migration the row names is recorded (or forgotten, rolling back): the row is obsolete. */
  finished(): void {
    this.#live = false;
  }

  /** Removes the row now (a failed migration was undone completely). */
  async clear(): Promise<void> {
    const key = this.#key;
    if (!key) return;
    this.#key = undefined;
    this.#live = false;
    this.#announced = undefined;
    await this.#partial.delete(key.app, key.name);
  }

  /** At the end of the run: removes the row unless it records a migration left part-way. */
  async close(): Promise<void> {
    if (this.#key && !this.#live) await this.clear();
  }
}

/** A row's content, to compare a note with the one written ahead. */
function rowText(row: PartialRow): string {
  return JSON.stringify([row.app, row.name, row.direction, row.operations, row.error]);
}
