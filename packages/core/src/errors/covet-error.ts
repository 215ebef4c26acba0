const COVET_ERROR_BRAND: unique symbol = Symbol.for('covet.error') as never;

/**
 * The base of every error Covet raises on purpose.
 *
 * The message is one line, `<what is wrong> (<where>)`; `hint` says what to do next; `code` is
 * stable so programs can branch on it; `cause` keeps the original error. The CLI prints
 * `error: <message>` and `hint: <hint>` and only shows a stack with `--verbose`.
 *
 * @example
 * throw new CovetError('CONFIG_INVALID', 'Unknown key "databse" (covet.config.ts)', {
 *   hint: 'Did you mean "database"?',
 * });
 */
export class CovetError extends Error {
  /** Brand that survives two copies of core (ESM and CJS) in one process. */
  readonly [COVET_ERROR_BRAND] = true;
  readonly code: string;
  readonly hint: string | undefined;
  /** Process exit code the CLI uses for this error (1 unless a more specific one applies). */
  readonly exitCode: number;

  constructor(
    code: string,
    message: string,
    options: { hint?: string; cause?: unknown; exitCode?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CovetError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** True for any CovetError, whichever copy of `@covet/core` created it. */
export function isCovetError(value: unknown): value is CovetError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[COVET_ERROR_BRAND] === true;
}

/** Exit code used when the migration lock could not be taken in time. */
export const EXIT_LOCK_TIMEOUT = 75;
/** Exit code used when applied migrations were edited after they were applied. */
export const EXIT_CHECKSUM_MISMATCH = 3;
/** Exit code used when a migration was left part-way and must be resolved first. */
export const EXIT_PARTIAL_MIGRATION = 4;
/** Exit code used when applied migrations have no file (restore it, or `covet resolve NAME --forget`). */
export const EXIT_MIGRATION_FILE_MISSING = 5;
/** Exit code used when an app's migrations branch (more than one leaf; `makemigrations --merge`). */
export const EXIT_MIGRATION_CONFLICT = 6;

/** Turns anything thrown into a readable single line without leaking a connection string. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return redactSecrets(message.split('\n')[0] ?? message);
}

// `//user:password@` anywhere (with or without a scheme); the password may hold anything but `@`.
const URL_WITH_PASSWORD = /(\/\/[^:/?#\s@]*:)([^@\s]*)@/g;

/**
 * Replaces the password of every `scheme://user:password@host` in a text with `***`.
 *
 * @example
 * redactSecrets('postgres://app:s3cret@db/app') // 'postgres://app:***@db/app'
 */
export function redactSecrets(text: string): string {
  // (Every line Covet prints goes through here: most hold no `//` at all.)
  return text.includes('//') ? text.replace(URL_WITH_PASSWORD, '$1***@') : text;
}
