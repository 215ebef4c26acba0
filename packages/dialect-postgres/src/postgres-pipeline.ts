// Pipelining on the extended query protocol: several statements written at once as
// Parse/Bind/Execute each, then a single Sync, so the server answers them all in one round
// trip. Values stay bound parameters. After an error the server skips every message up to the
// Sync, so the statements after the failing one never run.
import type pg from 'pg';
import { loadPg } from './pg-driver.js';

/** One statement of a pipeline: SQL with `$n` placeholders and its values. */
export interface PipelineStatement {
  readonly sql: string;
  readonly params?: readonly unknown[] | undefined;
}

/** The part of `pg`'s wire connection a pipeline writes to. */
interface WireConnection {
  readonly stream: { cork?: () => void; uncork?: () => void };
  parse(query: { text: string; name?: string; types?: unknown[] }): void;
  bind(config: { portal?: string; statement?: string; values?: readonly unknown[] }): void;
  execute(config: { portal?: string; rows?: number }): void;
  sync(): void;
  sendCopyFail(message: string): void;
}

/** An error of a pipeline: how many of its statements completed before it. */
export type PipelineError = Error & { completed: number };

/** pg's conversion of a bound value to what it sends (loaded with pg, on the first pipeline). */
function prepareValueOf(): ((value: unknown) => unknown) | undefined {
  return (loadPg() as unknown as { utils?: { prepareValue?: (value: unknown) => unknown } }).utils?.prepareValue;
}

/** Whether this `pg` client can run {@link PipelinedStatements} (the pure-JavaScript client can; `pg-native` cannot). */
export function canPipeline(client: unknown): boolean {
  const connection = (client as { connection?: Partial<WireConnection> }).connection;
  return (
    prepareValueOf() !== undefined &&
    typeof connection?.parse === 'function' &&
    typeof connection.bind === 'function' &&
    typeof connection.execute === 'function' &&
    typeof connection.sync === 'function'
  );
}

/**
 * A `pg` Submittable (passed to `client.query(...)`) that sends its statements as one pipeline
 * and settles `done` when the server has answered: resolved at ReadyForQuery, rejected with the
 * first error, which carries `completed`, the number of statements that completed before it.
 * Rows are not read (no Describe is sent; data rows are dropped).
 *
 * `pg`'s client hands it the backend messages while it is the active query, exactly as it does
 * for its own `Query`: `handleCommandComplete` / `handleEmptyQuery` once per statement,
 * `handleError` (the client then drops it as active query; the server's ReadyForQuery that
 * follows the Sync just frees the client), `handleReadyForQuery` on success.
 */
export class PipelinedStatements implements pg.Submittable {
  readonly done: Promise<void>;
  #completed = 0;
  #settled = false;
  #resolve!: () => void;
  #reject!: (error: PipelineError) => void;
  readonly #statements: readonly PipelineStatement[];

  constructor(statements: readonly PipelineStatement[]) {
    this.#statements = statements;
    this.done = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  submit(connection: pg.Connection): void {
    const wire = connection as unknown as WireConnection;
    // Map every value first: a value `pg` cannot send fails here, before a byte is written.
    const prepareValue = prepareValueOf()!;
    const values = this.#statements.map((statement) => (statement.params ?? []).map((value) => prepareValue(value)));
    wire.stream.cork?.();
    try {
      this.#statements.forEach((statement, index) => {
        wire.parse({ text: statement.sql });
        wire.bind({ values: values[index]! });
        wire.execute({});
      });
      wire.sync();
    } finally {
      wire.stream.uncork?.();
    }
  }

  handleCommandComplete(): void {
    this.#completed++;
  }

  handleEmptyQuery(): void {
    this.#completed++;
  }

  handleRowDescription(): void {}

  handleDataRow(): void {}

  handlePortalSuspended(): void {}

  handleCopyInResponse(connection: WireConnection): void {
    connection.sendCopyFail('COPY FROM STDIN is not supported in a migration batch');
  }

  handleCopyData(): void {}

  handleError(error: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    const failure = (error instanceof Error ? error : new Error(String(error))) as PipelineError;
    failure.completed = this.#completed;
    this.#reject(failure);
  }

  handleReadyForQuery(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolve();
  }
}

const SPACE = /\s/;
const IDENTIFIER_CHAR = /[\p{L}\p{N}_$]/u;
const DOLLAR_TAG = /\$(?:[\p{L}_][\p{L}\p{N}_]*)?\$/uy;

/**
 * Whether `sql` is certainly a single command (the extended protocol's Parse refuses several).
 * A top-level `;` may end it, followed only by blanks, comments and more `;`. Quoted strings,
 * quoted identifiers, dollar-quoted bodies and comments are skipped; anything doubtful (an
 * unterminated quote, a backslash, which `E''` strings or `standard_conforming_strings = off`
 * would give meaning to) answers false, which only costs the statement its own round trip.
 */
export function isSingleCommand(sql: string): boolean {
  if (!sql.includes(';')) return true;
  if (sql.includes('\\')) return false;
  const n = sql.length;
  let ended = false;
  let i = 0;
  while (i < n) {
    const c = sql[i]!;
    if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? n : end + 1;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
        } else i++;
      }
      if (depth > 0) return false;
      continue;
    }
    if (c === ';') {
      ended = true;
      i++;
      continue;
    }
    if (SPACE.test(c)) {
      i++;
      continue;
    }
    if (ended) return false;
    if (c === "'" || c === '"') {
      // '' (or "") inside is an escaped quote: scanning on from the next quote handles it.
      const end = sql.indexOf(c, i + 1);
      if (end === -1) return false;
      i = end + 1;
      continue;
    }
    if (c === '$' && (i === 0 || !IDENTIFIER_CHAR.test(sql[i - 1]!))) {
      DOLLAR_TAG.lastIndex = i;
      const tag = DOLLAR_TAG.exec(sql)?.[0];
      if (tag !== undefined) {
        const end = sql.indexOf(tag, i + tag.length);
        if (end === -1) return false;
        i = end + tag.length;
        continue;
      }
    }
    i++;
  }
  return true;
}
