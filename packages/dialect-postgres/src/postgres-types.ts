import { comparableExpression } from '@covet/core/dialect';
import type { ArrayElementType, ColumnDefault, ColumnState, ColumnType } from '@covet/core/dialect';

/** The three serial types, each an integer type with an owned sequence as its default. */
const SERIAL_BASE: Readonly<Record<string, string>> = { smallserial: 'smallint', serial: 'integer', bigserial: 'bigint' };
const SERIAL_OF_BASE: Readonly<Record<string, 'smallserial' | 'serial' | 'bigserial'>> = {
  smallint: 'smallserial',
  integer: 'serial',
  bigint: 'bigserial',
};

/** True for `smallserial`, `serial` and `bigserial`. */
export function isSerial(type: ColumnType): boolean {
  return type.type in SERIAL_BASE;
}

/** The integer type under a serial (`serial` -> `integer`); other types unchanged. */
export function serialBase(type: ColumnType): ColumnType {
  const base = SERIAL_BASE[type.type];
  return base ? ({ type: base } as ColumnType) : type;
}

/**
 * The SQL for a column type, in the spelling `format_type()` reports it back, so that what
 * Covet writes and what the introspector reads are the same text.
 */
export function renderType(type: ColumnType): string {
  switch (type.type) {
    case 'varchar':
      return `character varying(${type.length})`;
    case 'char':
      return `character(${type.length})`;
    case 'decimal':
      if (type.precision === undefined) return 'numeric';
      return `numeric(${type.precision},${type.scale ?? 0})`;
    case 'time':
    case 'timestamp':
      return `${type.type} ${type.withTimeZone ? 'with' : 'without'} time zone`;
    case 'double':
      return 'double precision';
    case 'blob':
      return 'bytea';
    case 'json':
      return type.binary ? 'jsonb' : 'json';
    case 'custom':
      return type.sql;
    case 'array':
      return `${renderType(type.of)}${'[]'.repeat(type.dimensions ?? 1)}`;
    default:
      return type.type;
  }
}

const SIMPLE: Readonly<Record<string, ColumnType['type']>> = {
  smallint: 'smallint',
  int2: 'smallint',
  integer: 'integer',
  int: 'integer',
  int4: 'integer',
  bigint: 'bigint',
  int8: 'bigint',
  boolean: 'boolean',
  bool: 'boolean',
  text: 'text',
  real: 'real',
  float4: 'real',
  'double precision': 'double',
  float8: 'double',
  double: 'double',
  date: 'date',
  json: 'json',
  uuid: 'uuid',
  bytea: 'blob',
  blob: 'blob',
  smallserial: 'smallserial',
  serial2: 'smallserial',
  serial: 'serial',
  serial4: 'serial',
  bigserial: 'bigserial',
  serial8: 'bigserial',
};

/**
 * The portable type for a type as `format_type()` (or a person) spells it. Anything else
 * (jsonb, arrays, enums, domains, `timestamp(3)`, ...) stays `custom` with the text as given.
 */
export function parseType(text: string, dimensions?: number): ColumnType {
  const spelled = text.trim().replace(/\s+/g, ' ');
  // `text[]` (format_type writes one [] whatever the declared dimensions; attndims says them).
  const array = /^(.*?)((?:\s*\[\d*\])+)$/.exec(spelled);
  if (array) {
    const of = parseType(array[1]!);
    if (of.type === 'array' || of.type === 'smallserial' || of.type === 'serial' || of.type === 'bigserial') return { type: 'custom', sql: spelled };
    const count = Math.max(dimensions ?? 0, (array[2]!.match(/\[/g) ?? []).length);
    return count > 1 ? { type: 'array', of: of as ArrayElementType, dimensions: count } : { type: 'array', of: of as ArrayElementType };
  }
  const lower = spelled.toLowerCase().replace(/\s*([(),])\s*/g, '$1');
  const simple = SIMPLE[lower];
  if (simple) return { type: simple } as ColumnType;
  if (lower === 'jsonb') return { type: 'json', binary: true };
  let match = /^(character varying|varchar|character|char|bpchar)\((\d+)\)$/.exec(lower);
  if (match) return { type: match[1] === 'character varying' || match[1] === 'varchar' ? 'varchar' : 'char', length: Number(match[2]) };
  if (lower === 'numeric' || lower === 'decimal') return { type: 'decimal' };
  match = /^(?:numeric|decimal)\((\d+)(?:,(\d+))?\)$/.exec(lower);
  if (match) return { type: 'decimal', precision: Number(match[1]), scale: Number(match[2] ?? 0) };
  match = /^(time|timestamp)(?: (with|without) time zone)?$/.exec(lower);
  if (match) return match[2] === 'with' ? { type: match[1] as 'time', withTimeZone: true } : { type: match[1] as 'time' };
  if (lower === 'timetz' || lower === 'timestamptz') return { type: lower === 'timetz' ? 'time' : 'timestamp', withTimeZone: true };
  return { type: 'custom', sql: spelled };
}

const NUMERIC = new Set(['smallint', 'integer', 'bigint', 'real', 'double', 'decimal', 'smallserial', 'serial', 'bigserial']);
const STRING = new Set(['varchar', 'char', 'text']);

/** A literal as SQL: strings quoted with `''` doubled, booleans TRUE/FALSE, expressions in parentheses. */
export function renderDefault(value: ColumnDefault): string {
  if (value.kind === 'sql') return `(${value.sql})`;
  const literal = value.value;
  if (literal === null) return 'NULL';
  if (typeof literal === 'boolean') return literal ? 'TRUE' : 'FALSE';
  if (typeof literal === 'number') return Number.isFinite(literal) ? String(literal) : `'${String(literal)}'`;
  return `'${literal.replace(/'/g, "''")}'`;
}

/** `'text'::type` (with `''` inside) as `[text, type]`. */
function typedLiteral(expression: string): [string, string] | undefined {
  const match = /^'((?:[^']|'')*)'(?:::(.+))?$/s.exec(expression);
  if (!match) return undefined;
  return [match[1]!.replace(/''/g, "'"), match[2] ?? ''];
}

const SQL_VALUE_FUNCTIONS = /^(current_timestamp|current_date|current_time|localtimestamp|localtime|current_user|session_user|current_role|current_catalog|current_schema)$/i;

/** A sequence default (`nextval('t_id_seq'::regclass)`): the column is a serial. */
export function isSequenceDefault(expression: string): boolean {
  return /^nextval\('(?:[^']|'')+'(?:::regclass)?\)$/i.test(expression.trim());
}

/**
 * A default as `pg_get_expr()` reports it, read back as Covet state: a single literal (with or
 * without a cast) becomes a value typed for the column, anything else an expression.
 */
export function parseDefault(expression: string, type: ColumnType): ColumnDefault {
  let text = expression.trim();
  // PostgreSQL wraps casts of negative numbers and some expressions in parentheses.
  while (/^\(.*\)$/s.test(text) && balanced(text.slice(1, -1))) text = text.slice(1, -1).trim();
  if (/^NULL(::.+)?$/i.test(text)) return { kind: 'value', value: null };
  if (/^(true|false)$/i.test(text)) return { kind: 'value', value: text.toLowerCase() === 'true' };
  const literal = typedLiteral(text);
  if (literal) return typedValue(literal[0], type);
  const numeric = /^\(?(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\)?(?:::[a-z ]+)?$/i.exec(text);
  if (numeric) return typedValue(numeric[1]!, type);
  if (SQL_VALUE_FUNCTIONS.test(text)) return { kind: 'sql', sql: text.toUpperCase() };
  return { kind: 'sql', sql: text };
}

function balanced(text: string): boolean {
  let depth = 0;
  let quoted = false;
  for (const character of text) {
    if (character === "'") quoted = !quoted;
    if (quoted) continue;
    if (character === '(') depth++;
    if (character === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

/** A literal's text as the value the column holds: a number for numeric types, a boolean for booleans. */
function typedValue(text: string, type: ColumnType): ColumnDefault {
  if (NUMERIC.has(type.type) && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(text.trim())) {
    const number = Number(text);
    if (Number.isFinite(number) && (Number.isSafeInteger(number) || !/^-?\d+$/.test(text.trim()))) return { kind: 'value', value: number };
  }
  if (type.type === 'boolean') {
    const lower = text.trim().toLowerCase();
    if (['t', 'true', 'yes', 'on', '1'].includes(lower)) return { kind: 'value', value: true };
    if (['f', 'false', 'no', 'off', '0'].includes(lower)) return { kind: 'value', value: false };
  }
  return { kind: 'value', value: text };
}

/**
 * The column as PostgreSQL stores and reports it: type spelling normalised (`int4` is
 * `integer`), an integer with a sequence default is a serial (as is an identity column), a
 * serial is never null and has no other default, and a default is reduced to what
 * `pg_get_expr()` reports (`'1.50'` on a numeric column is the number 1.5).
 */
export function normalizePostgresColumn(column: ColumnState): ColumnState {
  let type = column.type.type === 'custom' ? parseType(column.type.sql) : parseType(renderType(column.type));
  if (column.default?.kind === 'sql' && isSequenceDefault(column.default.sql) && SERIAL_OF_BASE[type.type]) {
    type = { type: SERIAL_OF_BASE[type.type]! };
  }
  const extras = {
    ...(column.collation === undefined ? {} : { collation: column.collation }),
    ...(column.comment === undefined ? {} : { comment: column.comment }),
  };
  // A generated column's expression is compared as PostgreSQL re-spells it; it has no default.
  if (column.generated !== undefined) {
    return { name: column.name, type, nullable: column.nullable, ...extras, generated: { sql: comparableExpression(column.generated.sql), stored: column.generated.stored } };
  }
  if (isSerial(type)) return { name: column.name, type, nullable: false, ...extras };
  // An identity column is NOT NULL and has no default of its own (its generator is not one).
  if (column.identity !== undefined) return { name: column.name, type, nullable: false, ...extras, identity: column.identity };
  const normalized: ColumnState = { name: column.name, type, nullable: column.nullable, ...extras };
  if (column.default === undefined) return normalized;
  let value = parseDefault(column.default.kind === 'sql' ? column.default.sql : renderDefault(column.default), type);
  if (value.kind === 'value' && STRING.has(type.type) && value.value !== null) value = { kind: 'value', value: String(value.value) };
  // A NULL default is no default: PostgreSQL reports neither.
  if (value.kind === 'value' && value.value === null) return normalized;
  return { ...normalized, default: value };
}

/** The serial type for an integer type with a sequence default or an identity (`integer` -> `serial`). */
export function serialOf(type: ColumnType): ColumnType | undefined {
  const serial = SERIAL_OF_BASE[type.type];
  return serial ? { type: serial } : undefined;
}
