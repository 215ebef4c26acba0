import { CovetError } from '../errors/covet-error.js';
import { didYouMean, withTypoCheck } from '../errors/suggest.js';
import { isSafeCustomType } from '../operations/builtin/validate-args.js';
import { isSqlExpression, type SqlExpression } from './sql-tag.js';
import type { ColumnDefault, ColumnState, ColumnType, ReferentialAction } from './types.js';
import { REFERENTIAL_ACTIONS } from './types.js';

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
const BUILDER_METHODS = ['notNull', 'nullable', 'primaryKey', 'unique', 'default', 'references'];

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
  const { type, nullable, default: columnDefault } = builder.spec;
  return columnDefault === undefined ? { name, type, nullable } : { name, type, nullable, default: columnDefault };
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

/** The `t` helpers, before the typo check (see {@link t}). */
const COLUMN_TYPES = Object.freeze({
  smallserial: () => column({ type: 'smallserial' }, false),
  serial: () => column({ type: 'serial' }, false),
  bigserial: () => column({ type: 'bigserial' }, false),
  smallint: () => column({ type: 'smallint' }),
  integer: () => column({ type: 'integer' }),
  bigint: () => column({ type: 'bigint' }),
  boolean: () => column({ type: 'boolean' }),
  text: () => column({ type: 'text' }),
  varchar: (length: number) => column({ type: 'varchar', length: positiveInteger(length, 'varchar length') }),
  char: (length = 1) => column({ type: 'char', length: positiveInteger(length, 'char length') }),
  decimal: (precision?: number, scale?: number) => {
    if (precision === undefined) return column({ type: 'decimal' });
    positiveInteger(precision, 'decimal precision');
    if (scale === undefined) return column({ type: 'decimal', precision });
    if (!Number.isInteger(scale) || scale < 0 || scale > precision) {
      throw new CovetError('COLUMN_TYPE_INVALID', `decimal scale must be between 0 and ${precision}, got ${scale}`);
    }
    return column({ type: 'decimal', precision, scale });
  },
  real: () => column({ type: 'real' }),
  double: () => column({ type: 'double' }),
  date: () => column({ type: 'date' }),
  time: (options: { withTimeZone?: boolean } = {}) =>
    column(options.withTimeZone ? { type: 'time', withTimeZone: true } : { type: 'time' }),
  timestamp: (options: { withTimeZone?: boolean } = {}) =>
    column(options.withTimeZone ? { type: 'timestamp', withTimeZone: true } : { type: 'timestamp' }),
  json: () => column({ type: 'json' }),
  uuid: () => column({ type: 'uuid' }),
  blob: () => column({ type: 'blob' }),
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
