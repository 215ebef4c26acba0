import { CovetError } from '../errors/covet-error.js';
import type { DialectConnection } from '../dialect/dialect.js';
import type { Migration, MigrationCodeContext } from '../migration/define-migration.js';

/**
 * A promise that notes whether anyone waited for it (`then`, which `await`, `catch` and
 * `finally` all call), so that a failed call nobody waited for is told apart from one the
 * code caught on purpose.
 */
class WatchedPromise<T> extends Promise<T> {
  waited = false;

  // Derived promises are plain ones.
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  override then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    this.waited = true;
    return super.then(onFulfilled, onRejected);
  }
}

const observe = Promise.prototype.then;

/** Options of {@link CodeHandle}. */
export interface CodeHandleOptions {
  readonly migration: Migration;
  readonly which: 'up' | 'down';
  readonly connection: DialectConnection;
  /**
   * Whether a statement commits on its own, so that no rollback undoes it (set on databases
   * without transactional DDL; elsewhere nothing the code runs outlives a rollback).
   */
  readonly commits?: (sql: string) => boolean;
  /** Called before such a statement is sent (the runner records it in its intent record). */
  readonly beforeCommitting?: (sql: string) => Promise<void>;
  /** Called when the code uses the handle after it returned; the run then fails with `error`. */
  readonly onLate: (error: CovetError) => void;
  /** Whether the run is still going (a late call after it ended is left to the process to report). */
  readonly running: () => boolean;
}

/** `sql` on one line, at most 200 characters. */
function shortSql(sql: string): string {
  const line = sql.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/**
 * The database handle given to a migration's custom code (`up` / `down`). It records the
 * statements the code ran that commit on their own (so a failure can say what stays), waits
 * for every call the code started before the migration goes on (so none of them runs in
 * another migration's transaction), and is closed once the code returns: a later call is
 * refused, names the migration and fails the run. A call that failed and that the code never
 * waited for fails the migration instead of becoming an unhandled rejection.
 */
export class CodeHandle {
  /** Statements the code ran that commit on their own (DDL where it is not transactional). */
  readonly committed: string[] = [];
  readonly #options: CodeHandleOptions;
  /** The calls not yet waited for by close(): what the code got, and how the call ended. */
  readonly #calls: { readonly call: WatchedPromise<unknown>; readonly ended: Promise<{ readonly error: unknown } | undefined> }[] = [];
  #open = true;

  constructor(options: CodeHandleOptions) {
    this.#options = options;
  }

  /** What the custom code receives. */
  readonly context: MigrationCodeContext = {
    query: <Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]) =>
      this.#call('query', sql, () => this.#options.connection.query<Row>(sql, params)),
    execute: (sql: string, params?: readonly unknown[]) =>
      this.#call('execute', sql, async () => {
        const commits = this.#options.commits?.(sql) === true;
        if (commits) await this.#options.beforeCommitting?.(shortSql(sql));
        await this.#options.connection.execute(params === undefined ? { sql } : { sql, params });
        if (commits) this.committed.push(shortSql(sql));
      }),
  };

  #call<T>(method: string, sql: string, run: () => Promise<T>): Promise<T> {
    const { migration, which } = this.#options;
    if (!this.#open) {
      const error = new CovetError(
        'MIGRATION_CODE_LATE',
        `Custom ${which} code of ${migration.id} called ${method}() after it had returned; the statement was not run: ${shortSql(sql)} (${migration.file ?? migration.id})`,
        { hint: `Await every query() and execute() in ${which}(): a call left running (a promise not awaited, a timer) would run inside another migration.` },
      );
      this.#options.onLate(error);
      const rejected = Promise.reject(error);
      // While the run goes on it fails with this error; after it, the process reports it.
      if (this.#options.running()) observe.call(rejected, undefined, () => undefined);
      return rejected;
    }
    const inner = run();
    const call = new WatchedPromise<T>((resolve, reject) => {
      inner.then(resolve, reject);
    });
    // Handled here (without counting as waited for), so that a failure nobody awaited is
    // reported by close() as the migration's, not as an unhandled rejection.
    observe.call(call, undefined, () => undefined);
    this.#calls.push({ call: call as WatchedPromise<unknown>, ended: inner.then(() => undefined, (error: unknown) => ({ error })) });
    return call;
  }

  /**
   * Closes the handle after the code returned (or threw): waits for the calls it started and
   * did not wait for, then refuses any further call. Throws when such a call failed (only when
   * the code itself succeeded: otherwise its own error is the one to report).
   */
  async close(codeFailed: boolean): Promise<void> {
    let failed: unknown;
    // A call the code makes once an earlier one ends (a chain it did not await) is still its own.
    while (this.#calls.length > 0) {
      const calls = this.#calls.splice(0);
      const ends = await Promise.all(calls.map((call) => call.ended));
      ends.forEach((end, position) => {
        if (end && !calls[position]!.call.waited && failed === undefined) failed = end.error ?? new Error('failed');
      });
    }
    this.#open = false;
    if (codeFailed || failed === undefined) return;
    const { migration, which } = this.#options;
    const reason = failed;
    throw new CovetError(
      'MIGRATION_CODE_FAILED',
      `Custom ${which} code of ${migration.id} did not wait for a database call, which failed: ${(reason instanceof Error ? reason.message : String(reason)).split('\n')[0]} (${migration.file ?? migration.id})`,
      { hint: `Await every query() and execute() in ${which}().`, cause: reason },
    );
  }
}
