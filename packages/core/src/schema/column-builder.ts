import { CovetError } from '../errors/covet-error.js';
import { didYouMean, withTypoCheck } from '../errors/suggest.js';
import { enumValuesProblem, isSafeCustomType } from '../operations/builtin/validate-args.js';
import { isSqlExpression, type SqlExpression } from './sql-tag.js';
import type { ArrayElementType, ColumnDefault, ColumnGenerated, ColumnIdentity, ColumnState, ColumnType, LobSize, ReferentialAction } from './types.js';
import { LOB_SIZES, REFERENTIAL_ACTIONS } from './types.js';

const COLUMN_BUILDER_BRAND = Symbol.for('covet.columnBuilder');
const TABLE_BRAND = Symbol.for('covet.table');

/** Where a column's `.references()` points. */
export interface ColumnReference {
  readonly table: string;
  readonly column: string;
  readonly onDelete?: ReferentialAction;
  readonly onUpdate?: ReferentialAction;
  readonly name?: string;
}

/** Everything a column builder has collected. */
export interface ColumnSpec {
  readonly type: ColumnType;
  readonly nullable: boolean;
  readonly default?: ColumnDefault;
  readonly primaryKey: boolean;
  /** `true` for an unnamed unique constraint, a string for a named one. */
  readonly unique: boolean | string;
  readonly references?: ColumnReference;
  readonly collation?: string;
  readonly comment?: string;
  readonly identity?: ColumnIdentity;
  readonly generated?: ColumnGenerated;
}

const REFERENCE_OPTIONS = ['onDelete', 'onUpdate', 'name'];

/** Options of `.references()`. */
export interface ReferenceOptions {
  onDelete?: ReferentialAction;
  onUpdate?: ReferentialAction;
  name?: string;
}

/**
 * An immutable column definition under construction: every method returns a new builder.
 * Made with the `t` helpers; read with {@link ColumnBuilder.spec}.
 */
export class ColumnBuilder {
  readonly [COLUMN_BUILDER_BRAND] = true;
  readonly spec: ColumnSpec;

  constructor(spec: ColumnSpec) {
    this.spec = Object.freeze(spec);
    // A misspelt method (`.notNul()`) is named with a suggestion, not "is not a function".
    return withTypoCheck(this, unknownOption);
  }

  /** The column refuses NULL. */
  notNull(): ColumnBuilder {
    return new ColumnBuilder({ ...this.spec, nullable: false });
  }

  /** The column accepts NULL (the default, except for primary keys and serials). */
  nullable(): ColumnBuilder {
    return new ColumnBuilder({ ...this.spec, nullable: true });
  }

  /** The column is the table's primary key (implies NOT NULL). */
  primaryKey(): ColumnBuilder {
    return new ColumnBuilder({ ...this.spec, primaryKey: true, nullable: false });
  }

  /** A unique constraint on this column alone, optionally named. */
  unique(name?: string): ColumnBuilder {
    return new ColumnBuilder({ ...this.spec, unique: name ?? true });
  }

  /** The column default: a literal, or a SQL expression made with the `sql` tag. */
  default(value: string | number | boolean | null | SqlExpression): ColumnBuilder {
    return new ColumnBuilder({ ...this.spec, default: toColumnDefault(value) });
  }

  /**
   * The column's collation, named as the engine names it: `C` or `und-x-icu` (PostgreSQL),
   * `utf8mb4_bin` (MySQL), `NOCASE` (SQLite). Collations are engine-specific: a model meant for
   * several engines leaves them out.
   */
  collate(collation: string): ColumnBuilder {
    if (typeof collation !== 'string' || !COLLATION.test(collation)) {
      throw new CovetError('COLUMN_OPTION_INVALID', `Invalid collation ${JSON.stringify(collation)} (.collate())`, {
        hint: 'A collation name holds letters, digits, _ . - and @ only, e.g. utf8mb4_bin or und-x-icu.',
      });
    }
    return new ColumnBuilder({ ...this.spec, collation });
  }

  /** A comment stored with the column in the database (PostgreSQL, MySQL; SQLite has none and says so). */
  comment(text: string): ColumnBuilder {
    if (typeof text !== 'string' || text.includes('\0')) {
      throw new CovetError('COLUMN_OPTION_INVALID', `A column comment must be a string without NUL characters (.comment())`);
    }
    return new ColumnBuilder({ ...this.spec, comment: text });
  }

  /**
   * An identity column (SQL standard `GENERATED ... AS IDENTITY`) on `smallint`, `integer` or
   * `bigint`: NOT NULL, numbered by the database. `{ always: true }` refuses values an INSERT
   * gives (PostgreSQL only); the default takes them, as a serial does.
   */
  identity(options: { always?: boolean } = {}): ColumnBuilder {
    if (!['smallint', 'integer', 'bigint'].includes(this.spec.type.type)) {
      throw new CovetError('COLUMN_OPTION_INVALID', `.identity() needs t.smallint(), t.integer() or t.bigint(), not ${this.spec.type.type}`);
    }
    return new ColumnBuilder({ ...this.spec, nullable: false, identity: options.always === true ? 'always' : 'byDefault' });
  }

  /**
   * A generated (computed) column: the database computes it from `expression`, written with the
   * `sql` tag over other columns of the same row. `{ stored: true }` keeps the value on disk
   * (PostgreSQL 15 has only stored ones); without it the column is virtual, computed when read
   * (MySQL, MariaDB, SQLite). It takes no default and no value from an INSERT.
   *
   * @example
   * total: t.integer().generated(sql`price * quantity`, { stored: true })
   */
  generated(expression: SqlExpression, options: { stored?: boolean } = {}): ColumnBuilder {
    if (!isSqlExpression(expression) || expression.sql.trim() === '') {
      throw new CovetError('COLUMN_OPTION_INVALID', '.generated() takes a SQL expression written with the sql tag, e.g. .generated(sql`a + b`)');
    }
    for (const key of Object.keys(options)) {
      if (key !== 'stored') throw new CovetError('OPTION_UNKNOWN', `Unknown option "${key}" in .generated()${didYouMean(key, ['stored'])}`, { hint: 'Options: stored.' });
    }
    if (['smallserial', 'serial', 'bigserial'].includes(this.spec.type.type)) {
      throw new CovetError('COLUMN_OPTION_INVALID', `.generated() needs a plain type, not ${this.spec.type.type}`);
    }
    return new ColumnBuilder({ ...this.spec, generated: { sql: expression.sql, stored: options.stored === true } });
  }

  /**
   * An array of this column's type (PostgreSQL only; MySQL and SQLite refuse it before any SQL
   * runs): `t.text().array()` is `text[]`, `t.integer().array(2)` is `integer[][]`.
   */
  array(dimensions = 1): ColumnBuilder {
    const of = this.spec.type;
    if (of.type === 'array' || ['smallserial', 'serial', 'bigserial', 'enum'].includes(of.type)) {
      throw new CovetError('COLUMN_TYPE_INVALID', `.array() needs an element type other than ${of.type === 'array' ? 'an array (say the dimensions: .array(2))' : of.type}`);
    }
    return new ColumnBuilder({ ...this.spec, type: { type: 'array', of: of as ArrayElementType, ...(dimensions === 1 ? {} : { dimensions: positiveInteger(dimensions, 'array dimensions') }) } });
  }

  /** A foreign key from this column to `column` of another table (a table definition or a name). */
  references(table: string | { readonly name: string }, column: string, options: ReferenceOptions = {}): ColumnBuilder {
    const tableName = typeof table === 'string' ? table : table.name;
    for (const key of Object.keys(options)) {
      if (!REFERENCE_OPTIONS.includes(key)) {
        throw new CovetError('OPTION_UNKNOWN', `Unknown option "${key}" in references(${tableName}.${column})${didYouMean(key, REFERENCE_OPTIONS)}`, {
          hint: `Options: ${REFERENCE_OPTIONS.join(', ')}.`,
        });
      }
    }
    for (const action of [options.onDelete, options.onUpdate]) {
      if (action !== undefined && !REFERENTIAL_ACTIONS.includes(action)) {
        throw new CovetError(
          'REFERENTIAL_ACTION_INVALID',
          `Unknown referential action "${String(action)}" in references(${tableName}.${column})`,
          { hint: `Use one of: ${REFERENTIAL_ACTIONS.join(', ')}.` },
        );
      }
    }
    return new ColumnBuilder({
      ...this.spec,
      references: { table: tableName, column, ...options },
    });
  }
}

/** The builder methods, for suggestions. */
const BUILDER_METHODS = ['notNull', 'nullable', 'primaryKey', 'unique', 'default', 'references', 'collate', 'comment', 'identity', 'generated', 'array'];

/** What a collation name may hold (engines name them with letters, digits and `_ . - @`). */
const COLLATION = /^[A-Za-z0-9_][A-Za-z0-9_.@-]*$/;

const unknownOption = (name: string) =>
  new CovetError('COLUMN_OPTION_UNKNOWN', `Unknown column option "${name}" (.${name}())${didYouMean(name, BUILDER_METHODS)}`, {
    hint: `Column options: ${BUILDER_METHODS.join(', ')}.`,
  });

/** True for a value made with the `t` helpers. */
export function isColumnBuilder(value: unknown): value is ColumnBuilder {
  return typeof value === 'object' && value !== null && COLUMN_BUILDER_BRAND in value;
}

/** Brand used by table definitions (see `defineTable`). */
export const TABLE_DEFINITION_BRAND = TABLE_BRAND;

/** Converts a `.default()` argument to its stored form. */
export function toColumnDefault(value: unknown): ColumnDefault {
  if (isSqlExpression(value)) return { kind: 'sql', sql: value.sql };
  if (value === null || typeof value === 'string' || typeof value === 'boolean') {
    return { kind: 'value', value };
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new CovetError('DEFAULT_INVALID', `Default ${String(value)} is not a finite number`);
    }
    return { kind: 'value', value };
  }
  if (typeof value === 'bigint') return { kind: 'value', value: value.toString() };
  throw new CovetError(
    'DEFAULT_INVALID',
    `Unsupported default ${typeof value}: use a string, number, boolean, null or sql\`...\``,
  );
}

/** The column state a builder describes, once it has a name. */
export function columnStateOf(name: string, builder: ColumnBuilder): ColumnState {
  const { type, nullable, default: columnDefault, collation, comment, identity, generated } = builder.spec;
  return {
    name,
    type,
    nullable,
    ...(columnDefault === undefined ? {} : { default: columnDefault }),
    ...(collation === undefined ? {} : { collation }),
    ...(comment === undefined ? {} : { comment }),
    ...(identity === undefined ? {} : { identity }),
    ...(generated === undefined ? {} : { generated }),
  };
}

function lobSize(options: { size?: LobSize } | undefined, what: string): { size?: LobSize } {
  const size = options?.size;
  if (size === undefined) return {};
  if (!LOB_SIZES.includes(size)) {
    throw new CovetError('COLUMN_TYPE_INVALID', `${what} size must be one of ${LOB_SIZES.join(', ')}, got ${JSON.stringify(size)}`);
  }
  return { size };
}

function positiveInteger(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new CovetError('COLUMN_TYPE_INVALID', `${what} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function column(type: ColumnType, nullable = true): ColumnBuilder {
  return new ColumnBuilder({ type, nullable, primaryKey: false, unique: false });
}

/** `decimal(p, s)`; without precision PostgreSQL's unbounded `numeric` (MySQL's DECIMAL is decimal(10,0)). */
function decimalColumn(precision?: number, scale?: number): ColumnBuilder {
  if (precision === undefined) return column({ type: 'decimal' });
  positiveInteger(precision, 'decimal precision');
  if (scale === undefined) return column({ type: 'decimal', precision });
  if (!Number.isInteger(scale) || scale < 0 || scale > precision) {
    throw new CovetError('COLUMN_TYPE_INVALID', `decimal scale must be between 0 and ${precision}, got ${scale}`);
  }
  return column({ type: 'decimal', precision, scale });
}

/** The `t` helpers, before the typo check (see {@link t}). */
const COLUMN_TYPES = Object.freeze({
  smallserial: () => column({ type: 'smallserial' }, false),
  serial: () => column({ type: 'serial' }, false),
  bigserial: () => column({ type: 'bigserial' }, false),
  smallint: () => column({ type: 'smallint' }),
  integer: () => column({ type: 'integer' }),
  bigint: () => column({ type: 'bigint' }),
  boolean: () => column({ type: 'boolean' }),
  /** `{ size: 'tiny' | 'medium' | 'long' }` picks MySQL's TINYTEXT / MEDIUMTEXT / LONGTEXT (others have one text type). */
  text: (options?: { size?: LobSize }) => column({ type: 'text', ...lobSize(options, 'text') }),
  varchar: (length: number) => column({ type: 'varchar', length: positiveInteger(length, 'varchar length') }),
  char: (length = 1) => column({ type: 'char', length: positiveInteger(length, 'char length') }),
  decimal: decimalColumn,
  /** The same as `t.decimal`: `t.numeric()` without precision is PostgreSQL's unbounded `numeric`. */
  numeric: decimalColumn,
  real: () => column({ type: 'real' }),
  double: () => column({ type: 'double' }),
  date: () => column({ type: 'date' }),
  time: (options: { withTimeZone?: boolean } = {}) =>
    column(options.withTimeZone ? { type: 'time', withTimeZone: true } : { type: 'time' }),
  timestamp: (options: { withTimeZone?: boolean } = {}) =>
    column(options.withTimeZone ? { type: 'timestamp', withTimeZone: true } : { type: 'timestamp' }),
  /** `{ binary: true }` (or `t.jsonb()`) is PostgreSQL's `jsonb`; MySQL and SQLite have one JSON type. */
  json: (options?: { binary?: boolean }) => column(options?.binary === true ? { type: 'json', binary: true } : { type: 'json' }),
  /** PostgreSQL's `jsonb` (`t.json({ binary: true })`); `json` elsewhere. */
  jsonb: () => column({ type: 'json', binary: true }),
  uuid: () => column({ type: 'uuid' }),
  /** `{ size: 'tiny' | 'medium' | 'long' }` picks MySQL's TINYBLOB / MEDIUMBLOB / LONGBLOB (plain BLOB holds 64 KiB). */
  blob: (options?: { size?: LobSize }) => column({ type: 'blob', ...lobSize(options, 'blob') }),
  /**
   * One of a fixed list of strings: `ENUM('draft', 'published')` on MySQL/MariaDB, a `text`
   * column with `CHECK (column IN (...))` on SQLite; refused on PostgreSQL (its enum types are
   * schema objects, not modelled yet: use `t.custom('type_name')` with a `CREATE TYPE` in
   * `op.runSql`).
   */
  enum: (values: readonly string[]) => {
    const problem = enumValuesProblem(values);
    if (problem) throw new CovetError('COLUMN_TYPE_INVALID', `${problem} (t.enum())`);
    return column({ type: 'enum', values: [...values] });
  },
  /** A type outside the portable set, passed to the database as written (e.g. `citext`). */
  custom: (sqlType: string) => {
    if (!isSafeCustomType(sqlType)) {
      throw new CovetError('COLUMN_TYPE_INVALID', `Invalid custom column type ${JSON.stringify(sqlType)}`);
    }
    return column({ type: 'custom', sql: sqlType });
  },
  /** Builds a column from a stored `ColumnType` (used by generated migration files). */
  fromType: (type: ColumnType) => column(type),
});

/**
 * The column types of the model DSL. Columns are nullable unless `.notNull()` or
 * `.primaryKey()`; serial columns are NOT NULL and auto-incrementing. An unknown type
 * (`t.txet()`) is an error that names it and suggests the closest (`text`).
 *
 * @example
 * const columns = { id: t.serial().primaryKey(), email: t.varchar(255).notNull().unique() };
 */
export const t: typeof COLUMN_TYPES = withTypoCheck(COLUMN_TYPES, (name) => {
  const known = Object.keys(COLUMN_TYPES).filter((key) => key !== 'fromType');
  return new CovetError('COLUMN_TYPE_UNKNOWN', `Unknown column type "${name}" (t.${name})${didYouMean(name, known)}`, {
    hint: `Column types: ${known.join(', ')}; t.custom('sql type') for anything else.`,
  });
});
