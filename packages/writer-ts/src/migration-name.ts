import { CovetError, type Operation } from '@covet/core';

/**
 * The longest label (after snake_case) a migration name may have, so file names stay well
 * under the 255 bytes file systems allow.
 *
 * @example
 * if (label.length > MAX_LABEL_LENGTH) label = suggestLabel(operations);
 */
export const MAX_LABEL_LENGTH = 100;

const LABEL_CHARACTERS = /^[A-Za-z0-9_ -]+$/;

/**
 * A migration name: `<UTC timestamp YYYYMMDDHHMMSS>_<snake_case label>`, so names sort in
 * creation order. The label may hold letters, digits, `_`, `-` and spaces and is converted to
 * snake_case; anything else (a `/`, a `.`, an empty label) is a one-line {@link CovetError}
 * naming the label, so a name can never leave the migrations directory.
 *
 * @param date when the migration is made (default: now), written in UTC
 * @example
 * migrationName('Add users nickname', new Date(Date.UTC(2026, 10, 24, 12, 0, 0)))
 * // '20261124120000_add_users_nickname'
 */
export function migrationName(label: string, date: Date = new Date()): string {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new CovetError('MIGRATION_NAME_INVALID', `Invalid date for migration "${String(label)}"`);
  }
  return `${timestamp(date)}_${snakeCaseLabel(label)}`;
}

/**
 * A label converted to snake_case (`addUserNickname`, `Add user-nickname` ->
 * `add_user_nickname`), or a one-line {@link CovetError} when it holds anything but letters,
 * digits, `_`, `-` and spaces, is empty, or is longer than {@link MAX_LABEL_LENGTH}.
 *
 * @example
 * snakeCaseLabel('createUsersTable') // 'create_users_table'
 */
export function snakeCaseLabel(label: string): string {
  if (typeof label !== 'string' || !LABEL_CHARACTERS.test(label)) {
    throw new CovetError('MIGRATION_NAME_INVALID', `Invalid migration label ${JSON.stringify(label)}`, {
      hint: 'Use letters, digits, spaces, "_" or "-", e.g. --name add_users_nickname.',
    });
  }
  const snake = toSnakeCase(label);
  if (snake === '') {
    throw new CovetError('MIGRATION_NAME_INVALID', `Invalid migration label ${JSON.stringify(label)}`, {
      hint: 'The label needs at least one letter or digit.',
    });
  }
  if (snake.length > MAX_LABEL_LENGTH) {
    throw new CovetError(
      'MIGRATION_NAME_INVALID',
      `Migration label "${snake.slice(0, 20)}..." is ${snake.length} characters, more than ${MAX_LABEL_LENGTH}`,
    );
  }
  return snake;
}

function toSnakeCase(text: string): string {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

function timestamp(date: Date): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return (
    pad(date.getUTCFullYear(), 4) +
    pad(date.getUTCMonth() + 1) +
    pad(date.getUTCDate()) +
    pad(date.getUTCHours()) +
    pad(date.getUTCMinutes()) +
    pad(date.getUTCSeconds())
  );
}

/** The longest label {@link suggestLabel} joins from several operations before it says `auto`. */
const MAX_SUGGESTED_LENGTH = 52;

/**
 * A label describing `operations`, for when the user gives none: `create_users`,
 * `add_users_nickname`, `create_users_create_posts` for a few, `auto` for many, `empty` for
 * none. Always valid for {@link migrationName}.
 *
 * @example
 * suggestLabel([op.addColumn('users', 'nickname', t.varchar(50))]) // 'add_users_nickname'
 */
export function suggestLabel(operations: readonly Operation[]): string {
  if (operations.length === 0) return 'empty';
  const fragments = operations.map(fragment).map(toSnakeCase);
  if (fragments.length === 1) return fragments[0]!.slice(0, MAX_LABEL_LENGTH).replace(/_+$/, '') || 'auto';
  const joined = fragments.join('_');
  return fragments.length <= 3 && joined.length <= MAX_SUGGESTED_LENGTH ? joined : 'auto';
}

function fragment(operation: Operation): string {
  const args = (operation.args ?? {}) as Record<string, any>;
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  switch (operation.kind) {
    case 'createTable':
      return `create_${text(args.name)}`;
    case 'dropTable':
      return `drop_${text(args.name)}`;
    case 'renameTable':
      return `rename_${text(args.from)}_to_${text(args.to)}`;
    case 'addColumn':
      return `add_${text(args.table)}_${text(args.column?.name)}`;
    case 'dropColumn':
      return `remove_${text(args.table)}_${text(args.column)}`;
    case 'alterColumn':
      return `alter_${text(args.table)}_${text(args.column?.name)}`;
    case 'renameColumn':
      return `rename_${text(args.table)}_${text(args.from)}_to_${text(args.to)}`;
    case 'createIndex':
      return `create_${text(args.index?.name)}`;
    case 'dropIndex':
      return `drop_${text(args.name)}`;
    case 'addForeignKey':
      return `add_${text(args.foreignKey?.name)}`;
    case 'dropForeignKey':
      return `drop_${text(args.name)}`;
    case 'runSql':
      return 'run_sql';
    default:
      return operation.kind;
  }
}
