import type { Direction } from '../hooks/hooks.js';
import type { Migration } from '../migration/define-migration.js';
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
 * its tracking row makes it obsolete ({@link isFinished}), so a run of N migrations of K
 * operations writes N×K small statements and one DELETE at the end. A row still there when
 * the next run starts stops that run (exit 4) until `covet resolve` settles it.
 */
export class IntentRecord {
  readonly #partial: PartialRuns;
  /** The key of the row this run holds in the table. */
  #key: { readonly app: string; readonly name: string } | undefined;
  /** False once the migration the row names has its tracking row (the row is then obsolete). */
  #live = false;

  constructor(partial: PartialRuns) {
    this.#partial = partial;
  }

  /** Records that `migration` (going `direction`) has `operations` (1-based) done, with a note. */
  async note(migration: Migration, direction: Direction, operations: readonly number[], note: string): Promise<void> {
    const row: PartialRow = { app: migration.app, name: migration.name, direction, operations, error: note };
    await this.#partial.put(row, this.#key);
    this.#key = { app: migration.app, name: migration.name };
    this.#live = true;
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
    await this.#partial.delete(key.app, key.name);
  }

  /** At the end of the run: removes the row unless it records a migration left part-way. */
  async close(): Promise<void> {
    if (this.#key && !this.#live) await this.clear();
  }
}
