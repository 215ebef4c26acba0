import { createHash } from 'node:crypto';
import { CovetError } from '../errors/covet-error.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** The longest identifier any built-in dialect accepts (PostgreSQL's 63 bytes). */
export const DEFAULT_MAX_IDENTIFIER_LENGTH = 63;

/**
 * Throws a one-line error unless `name` is a safe identifier: a letter or underscore, then
 * letters, digits, `_` or `$`, at most `maxLength` characters. Case is kept and reserved
 * words are allowed, because dialects always quote identifiers.
 *
 * @param where what the name is, for the message (`table`, `users.column`, ...)
 */
export function validateIdentifier(
  name: unknown,
  where: string,
  maxLength: number = DEFAULT_MAX_IDENTIFIER_LENGTH,
): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new CovetError('IDENTIFIER_INVALID', `Missing name for ${where}`);
  }
  if (!IDENTIFIER.test(name)) {
    throw new CovetError(
      'IDENTIFIER_INVALID',
      `Invalid identifier ${JSON.stringify(name)} for ${where}`,
      { hint: 'Use letters, digits, "_" or "$", starting with a letter or "_".' },
    );
  }
  if (name.length > maxLength) {
    throw new CovetError(
      'IDENTIFIER_TOO_LONG',
      `Identifier "${name}" for ${where} is ${name.length} characters, more than ${maxLength}`,
    );
  }
}

/** True when `name` passes {@link validateIdentifier}'s character rules. */
export function isValidIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/**
 * Builds a deterministic constraint or index name such as `posts_author_id_fkey`. Names
 * longer than the limit are shortened with a hash so they stay unique and stable.
 */
export function constraintName(
  table: string,
  columns: readonly string[],
  suffix: 'pkey' | 'key' | 'idx' | 'fkey',
  maxLength: number = DEFAULT_MAX_IDENTIFIER_LENGTH,
): string {
  const name = [table, ...columns, suffix].join('_');
  if (name.length <= maxLength) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, maxLength - suffix.length - 10)}_${hash}_${suffix}`;
}
