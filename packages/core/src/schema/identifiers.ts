import { createHash } from 'node:crypto';
import { CovetError } from '../errors/covet-error.js';

/**
 * The length every generated name (`constraintName`) stays within: 63 UTF-8 bytes, which is
 * PostgreSQL's limit and within MySQL's 64 characters, so a model's default names are valid on
 * every built-in engine. It is not a limit on names a user chooses: those are held to the
 * target dialect's own limit (`DialectCapabilities.maxIdentifierLength`).
 */
export const DEFAULT_MAX_IDENTIFIER_LENGTH = 63;

/** The unit an identifier limit counts in. */
export type IdentifierLengthUnit = 'bytes' | 'characters';

/**
 * What a name names, for engines whose rules differ by kind (MySQL/MariaDB keep a table in files
 * named after it, so a table name is also held to the file-name limit). `other` when unknown.
 */
export type IdentifierKind = 'table' | 'column' | 'index' | 'constraint' | 'database' | 'other';

/** The limits a name is checked against: a dialect's, or none (the rules every engine shares). */
export interface IdentifierRules {
  /** Longest name allowed, in `unit` (no limit when absent or `Infinity`). */
  readonly maxLength?: number;
  /** `bytes` of UTF-8 (PostgreSQL) or `characters` (Unicode code points, MySQL). Default `characters`. */
  readonly unit?: IdentifierLengthUnit;
  /** The engine, for the message (`postgres`). */
  readonly engine?: string;
  /**
   * Further rules of the engine: returns why `name` (a `kind` of name, when known) is refused
   * (a sentence naming the character and position where there is one), or `undefined` when it
   * is accepted.
   */
  readonly check?: (name: string, kind?: IdentifierKind) => string | undefined;
}

/** `U+0041 "A"` for messages: the code point, and the character itself when it is printable. */
export function describeCharacter(codePoint: number): string {
  const hex = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  const printable = codePoint > 0x20 && codePoint !== 0x7f && !(codePoint >= 0x80 && codePoint < 0xa0) && !(codePoint >= 0xd800 && codePoint <= 0xdfff);
  return printable ? `${hex} ${JSON.stringify(String.fromCodePoint(codePoint))}` : hex;
}

/** The length of `name` in `unit`: UTF-8 bytes, or Unicode code points. */
export function identifierLength(name: string, unit: IdentifierLengthUnit = 'characters'): number {
  if (unit === 'bytes') return Buffer.byteLength(name, 'utf8');
  let count = 0;
  for (const _ of name) count++;
  return count;
}

/**
 * Why no engine can hold `name`, or `undefined`: it must be a non-empty string with no NUL
 * (every engine ends a name there) and no lone UTF-16 surrogate (it has no UTF-8 form, so it
 * cannot reach the database and come back the same). Anything else — spaces, unicode,
 * reserved words, quote characters — is a legal name, because dialects always quote names.
 */
export function identifierProblem(name: unknown, rules: IdentifierRules = {}, kind?: IdentifierKind): string | undefined {
  if (typeof name !== 'string') return 'a name must be a string';
  if (name.length === 0) return 'a name cannot be empty';
  let position = 0;
  for (let i = 0; i < name.length; i++) {
    position++;
    const unit = name.charCodeAt(i);
    if (unit === 0) return `character ${describeCharacter(0)} (NUL) at position ${position} is not allowed: no engine accepts NUL in a name`;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = name.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    }
    if (unit >= 0xd800 && unit <= 0xdfff) {
      return `character ${describeCharacter(unit)} (a lone surrogate) at position ${position} is not allowed: it has no UTF-8 form, so the name cannot round-trip through the database`;
    }
  }
  const max = rules.maxLength;
  if (max !== undefined && Number.isFinite(max)) {
    const unit = rules.unit ?? 'characters';
    const length = identifierLength(name, unit);
    if (length > max) {
      const limit = rules.engine ? `the ${rules.engine} limit` : 'the limit';
      return `it is ${length} ${unit}${unit === 'bytes' ? ' in UTF-8' : ''}, more than ${limit} of ${max} ${unit}`;
    }
  }
  return rules.check?.(name, kind);
}

/**
 * Throws a one-line error unless `name` is a name the engine can hold (see
 * {@link identifierProblem}): the error names the character, its position and the rule, or
 * the length and the limit. Case is kept, and spaces, unicode, reserved words and quote
 * characters are allowed, because dialects always quote names (doubling embedded quotes).
 * Restricting names further is a policy plugin's job.
 *
 * @param where what the name is, for the message (`table`, `users.column`, ...)
 * @param rules a dialect's limits, or a maximum length in characters; none by default
 * @param kind what the name names, for the dialect's rules by kind (see IdentifierKind)
 * @example
 * validateIdentifier('order items', 'table');                       // fine
 * validateIdentifier('a\u0000b', 'table');                          // throws IDENTIFIER_INVALID
 * validateIdentifier('x'.repeat(64), 'table', { maxLength: 63, unit: 'bytes', engine: 'PostgreSQL' }); // IDENTIFIER_TOO_LONG
 */
export function validateIdentifier(name: unknown, where: string, rules: number | IdentifierRules = {}, kind?: IdentifierKind): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new CovetError('IDENTIFIER_INVALID', `Missing name for ${where}`);
  }
  const limits = typeof rules === 'number' ? { maxLength: rules } : rules;
  const problem = identifierProblem(name, limits, kind);
  if (problem === undefined) return;
  const tooLong = problem.startsWith('it is ');
  throw new CovetError(
    tooLong ? 'IDENTIFIER_TOO_LONG' : 'IDENTIFIER_INVALID',
    `Invalid identifier ${JSON.stringify(name)} for ${where}: ${problem}`,
    {
      hint: tooLong
        ? 'Choose a shorter name.'
        : 'Any other character is allowed: names are always quoted. Remove or replace that one.',
    },
  );
}

/** True when `name` is a name every engine can hold (no NUL, no lone surrogate, not empty). */
export function isValidIdentifier(name: string): boolean {
  return identifierProblem(name) === undefined;
}

/** The longest prefix of `text` (whole code points) that fits in `bytes` UTF-8 bytes. */
function utf8Prefix(text: string, bytes: number): string {
  let result = '';
  let used = 0;
  for (const character of text) {
    const size = Buffer.byteLength(character, 'utf8');
    if (used + size > bytes) break;
    result += character;
    used += size;
  }
  return result;
}

/**
 * Builds a deterministic constraint or index name such as `posts_author_id_fkey`. Names
 * longer than 63 UTF-8 bytes (see {@link DEFAULT_MAX_IDENTIFIER_LENGTH}; a smaller
 * `maxLength` may be given) are shortened with a hash so they stay unique and stable.
 */
export function constraintName(
  table: string,
  columns: readonly string[],
  suffix: 'pkey' | 'key' | 'idx' | 'fkey',
  maxLength: number = DEFAULT_MAX_IDENTIFIER_LENGTH,
): string {
  const name = [table, ...columns, suffix].join('_');
  if (Buffer.byteLength(name, 'utf8') <= maxLength) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${utf8Prefix(name, maxLength - suffix.length - 10)}_${hash}_${suffix}`;
}

/** Argument keys that hold names in operation arguments (and `columns` lists of names). */
const NAME_KEYS = new Set(['name', 'table', 'from', 'to', 'column']);

/** What the members holding a list or an object of names hold (`columns` of a table, of an index). */
const KIND_OF_MEMBER: Readonly<Record<string, IdentifierKind>> = {
  __proto__: null,
  columns: 'column',
  column: 'column',
  indexes: 'index',
  index: 'index',
  foreignKeys: 'constraint',
  foreignKey: 'constraint',
  primaryKey: 'constraint',
  uniques: 'constraint',
  checks: 'constraint',
  references: 'table',
} as unknown as Record<string, IdentifierKind>;

/** What the top-level `name` (`from`, `to`) of an operation names, from its kind (`createTable`, `views.createView`). */
function kindOfOperation(operation: string): IdentifierKind {
  if (/Column/.test(operation)) return 'column';
  if (/Index/.test(operation)) return 'index';
  if (/ForeignKey|Constraint|Check|Unique|PrimaryKey/.test(operation)) return 'constraint';
  // A view is kept in a file named after it, like a table.
  if (/Table|View/.test(operation)) return 'table';
  return 'other';
}

/**
 * Checks every name in an operation's arguments against `rules` (a dialect's limits, see
 * `identifierRulesOf`): the values of `name`, `table`, `from`, `to` and `column` members and
 * of `columns` lists, at any depth, each with what it names (IdentifierKind: a `table` member
 * is a table, a `name` in `columns` a column, in `indexes` an index, the operation's own
 * `name`, `from` and `to` what its kind says). `where` says which operation (its kind), for
 * the message.
 */
export function validateIdentifiersIn(args: unknown, rules: IdentifierRules, where: string): void {
  // An object's members, `holder` being what the object names (the operation's kind at the top).
  const visitObject = (object: object, holder: IdentifierKind): void => {
    for (const key of Object.keys(object)) visit((object as Record<string, unknown>)[key], key, holder);
  };
  const visit = (value: unknown, key: string, holder: IdentifierKind): void => {
    if (typeof value === 'string') {
      if (!NAME_KEYS.has(key)) return;
      validateIdentifier(value, `${key} of ${where}`, rules, key === 'table' ? 'table' : key === 'column' ? 'column' : holder);
      return;
    }
    const kind = KIND_OF_MEMBER[key] ?? 'other';
    if (Array.isArray(value)) {
      // A list of names (`columns: ['a', 'b']`) or of objects (`columns: [{ name }]`, `indexes`).
      for (const item of value) {
        if (typeof item === 'string') visit(item, key === 'columns' ? 'column' : '', holder);
        else if (typeof item === 'object' && item !== null) visitObject(item, kind);
      }
      return;
    }
    if (typeof value === 'object' && value !== null) visitObject(value, kind);
  };
  if (typeof args === 'object' && args !== null) visitObject(args, kindOfOperation(where));
}
