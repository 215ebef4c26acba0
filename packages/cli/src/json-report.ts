import { describeError, isCovetError, redactSecrets } from '@covet/core';
import type { Output } from './output.js';

/** Version of the `--json` document's shape; raised only when a member changes meaning or goes away. */
export const JSON_SCHEMA_VERSION = 1;

/** A migration a command applied or rolled back, as `--json` lists it. */
export interface JsonMigration {
  readonly id: string;
  readonly app: string;
  readonly name: string;
  readonly durationMs: number;
  /** Recorded (or forgotten) without running its SQL (`--fake`, `--fake-initial`). */
  readonly fake: boolean;
}

/** The `error` member of a failed command's `--json` document. */
export interface JsonError {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
  readonly exitCode: number;
}

// ANSI colour codes: a warning printed in colour on a terminal is plain text in JSON.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * The one document a command prints with `--json` (see docs/json-output.md): always
 * `{ schemaVersion, command, ok, app, ...members of the command, warnings, error? }` on
 * standard output, also when the command fails (then `ok: false`, `error` set and a non-zero
 * exit code). While the command runs, its human lines are dropped and its warnings collected.
 */
export class JsonReport {
  readonly command: string;
  app: string | null = null;
  readonly warnings: string[] = [];
  readonly #members = new Map<string, unknown>();
  /** Set when the command printed its own JSON (showmigrations keeps its documented array). */
  printedOwn = false;

  constructor(command: string) {
    this.command = command;
  }

  /** Sets a member of the document (kept in the order first set). */
  set(key: string, value: unknown): void {
    this.#members.set(key, value);
  }

  /** Appends to a list member. */
  push(key: string, value: unknown): void {
    const list = (this.#members.get(key) as unknown[] | undefined) ?? [];
    list.push(value);
    this.#members.set(key, list);
  }

  /** An output for the command: lines are dropped, `warning:` lines collected, debug kept on stderr. */
  wrap(base: Output): Output {
    return {
      colors: base.colors,
      verbose: base.verbose,
      line: () => undefined,
      error: (text) => {
        const plain = redactSecrets(text.replace(ANSI, '')).trim();
        if (plain.startsWith('warning:')) this.warnings.push(plain.slice('warning:'.length).trim());
        else if (base.verbose) base.error(text);
      },
      debug: (text) => base.debug(text),
    };
  }

  /** The document, with `error` when the command failed. */
  render(error?: unknown): string {
    const document: Record<string, unknown> = {
      schemaVersion: JSON_SCHEMA_VERSION,
      command: this.command,
      ok: error === undefined,
      app: this.app,
      ...Object.fromEntries(this.#members),
      warnings: this.warnings,
    };
    if (error !== undefined) document.error = jsonError(error);
    return JSON.stringify(document, null, 2);
  }
}

/** An error as the `--json` document's `error` member; secrets redacted like every printed line. */
export function jsonError(error: unknown): JsonError {
  if (isCovetError(error)) {
    return {
      code: error.code,
      message: describeError(error),
      ...(error.hint ? { hint: redactSecrets(error.hint) } : {}),
      exitCode: error.exitCode,
    };
  }
  // cac's parse errors (an unknown option, a missing argument) are the user's input.
  const code = error instanceof Error && error.name === 'CACError' ? 'OPTION_INVALID' : 'UNEXPECTED';
  return { code, message: describeError(error), exitCode: 1 };
}
