import type { ColumnDefault, ColumnState, ColumnType } from '@covet/core/dialect';
import { tokenize } from './sqlite-table-sql.js';

/**
 * SQLite keeps a column's declared type as written and only derives an affinity from it
 * (https://www.sqlite.org/datatype3.html#determination_of_column_affinity), so Covet declares
 * the portable type names themselves (`varchar(255)`, `timestamptz`, `boolean`) and reads them
 * back exactly. Only serials are special: SQLite has one auto-increment mechanism,
 * `INTEGER PRIMARY KEY AUTOINCREMENT`, which needs the exact type name `INTEGER`
 * (https://www.sqlite.org/autoinc.html).
 */
export function declaredType(type: ColumnType): string {
  switch (type.type) {
    case 'varchar':
    case 'char':
      return `${type.type}(${type.length})`;
    case 'decimal':
      if (type.precision === undefined) return 'decimal';
      return type.scale === undefined ? `decimal(${type.precision})` : `decimal(${type.precision},${type.scale})`;
    case 'time':
    case 'timestamp':
      return type.withTimeZone ? `${type.type}tz` : type.type;
    case 'custom':
      return type.sql;
    case 'enum':
      // The values are a CHECK of the column (see enumCheckSql).
      return 'text';
    default:
      return type.type;
  }
}

const SIMPLE = new Set(['smallint', 'integer', 'bigint', 'boolean', 'text', 'real', 'double', 'date', 'json', 'uuid', 'blob']);

/** The portable type for a declared type; anything else is kept as `custom`, exactly as written. */
export function parseDeclaredType(declared: string): ColumnType {
  const text = declared.trim().replace(/\s+/g, ' ').replace(/\s*([(),])\s*/g, '$1');
  const lower = text.toLowerCase();
  if (SIMPLE.has(lower)) return { type: lower } as ColumnType;
  if (lower === 'serial' || lower === 'bigserial' || lower === 'smallserial') return { type: 'serial' };
  if (lower === 'time' || lower === 'timestamp') return { type: lower };
  if (lower === 'timetz' || lower === 'timestamptz') return { type: lower === 'timetz' ? 'time' : 'timestamp', withTimeZone: true };
  let match = /^(varchar|char)\((\d+)\)$/.exec(lower);
  if (match && Number(match[2]) > 0) return { type: match[1] as 'varchar' | 'char', length: Number(match[2]) };
  if (lower === 'decimal') return { type: 'decimal' };
  match = /^decimal\((\d+)(?:,(\d+))?\)$/.exec(lower);
  if (match) {
    return match[2] === undefined
      ? { type: 'decimal', precision: Number(match[1]) }
      : { type: 'decimal', precision: Number(match[1]), scale: Number(match[2]) };
  }
  return { type: 'custom', sql: declared.trim() };
}

/** True for the three serial types, which SQLite cannot tell apart. */
export function isSerial(type: ColumnType): boolean {
  return type.type === 'serial' || type.type === 'bigserial' || type.type === 'smallserial';
}

/** A default as SQL: literals quoted (`''` doubled), booleans as 1/0, expressions in parentheses. */
export function renderDefault(value: ColumnDefault): string {
  if (value.kind === 'sql') return `(${value.sql})`;
  const literal = value.value;
  if (literal === null) return 'NULL';
  if (typeof literal === 'boolean') return literal ? '1' : '0';
  if (typeof literal === 'number') return String(literal);
  return `'${literal.replace(/'/g, "''")}'`;
}

function stripParentheses(text: string): string {
  let result = text.trim();
  for (;;) {
    const tokens = tokenize(result);
    if (tokens.length < 2 || tokens[0]!.text !== '(' || tokens[tokens.length - 1]!.text !== ')') return result;
    let depth = 0;
    for (let i = 0; i < tokens.length - 1; i++) {
      if (tokens[i]!.text === '(') depth++;
      if (tokens[i]!.text === ')') depth--;
      if (depth === 0) return result;
    }
    result = result.slice(tokens[0]!.end, tokens[tokens.length - 1]!.start).trim();
  }
}

/**
 * Reads back a default as `pragma_table_info` reports it (the expression text, outer
 * parentheses removed): a single literal becomes a value, anything else an expression.
 */
export function parseDefault(text: string, type: ColumnType): ColumnDefault {
  const expression = stripParentheses(text);
  const tokens = tokenize(expression);
  const only = tokens.length === 1 ? tokens[0]! : undefined;
  if (only?.kind === 'string') return { kind: 'value', value: only.value };
  if (only?.kind === 'word' && only.value.toUpperCase() === 'NULL') return { kind: 'value', value: null };
  if (only?.kind === 'word' && ['TRUE', 'FALSE'].includes(only.value.toUpperCase())) {
    return { kind: 'value', value: only.value.toUpperCase() === 'TRUE' };
  }
  const signed = tokens.length === 2 && (tokens[0]!.text === '-' || tokens[0]!.text === '+') && tokens[1]!.kind === 'number';
  if ((only?.kind === 'number' || signed) && Number.isFinite(Number(expression.replace(/\s+/g, '')))) {
    const number = Number(expression.replace(/\s+/g, ''));
    if (type.type === 'boolean' && (number === 0 || number === 1)) return { kind: 'value', value: number === 1 };
    return { kind: 'value', value: number };
  }
  return { kind: 'sql', sql: expression };
}

/**
 * The column as SQLite stores and reports it: serials are one type and never null, a type is
 * reduced to what its declaration reads back as, and a default to what the pragma reports.
 */
export function normalizeSqliteColumn(column: ColumnState): ColumnState {
  // An identity column is SQLite's AUTOINCREMENT, which reads back as a serial; an enum is read
  // back from its CHECK.
  const type: ColumnType =
    isSerial(column.type) || column.identity !== undefined ? { type: 'serial' } : column.type.type === 'enum' ? column.type : parseDeclaredType(declaredType(column.type));
  const normalized: ColumnState = {
    name: column.name,
    type,
    nullable: type.type === 'serial' ? false : column.nullable,
    // Collation names are case-insensitive; BINARY is what a column without one uses.
    ...(column.collation === undefined || column.collation.toUpperCase() === 'BINARY' ? {} : { collation: column.collation.toUpperCase() }),
  };
  // SQLite keeps a generation expression as written: it compares as text.
  if (column.generated !== undefined) return { ...normalized, generated: { sql: column.generated.sql.trim(), stored: column.generated.stored } };
  return column.default === undefined ? normalized : { ...normalized, default: parseDefault(renderDefault(column.default), type) };
}

/**
 * The CHECK that stands for an enum on SQLite, which has none (the usual emulation):
 * `CHECK ("status" IN ('draft', 'published'))`.
 */
export function enumCheckSql(quote: (name: string) => string, column: string, values: readonly string[]): string {
  return `CHECK (${quote(column)} IN (${values.map((value) => `'${value.replace(/'/g, "''")}'`).join(', ')}))`;
}

const ENUM_CHECK = /^CHECK\s*\(\s*("(?:[^"]|"")+"|`(?:[^`]|``)+`|\[[^\]]+\]|[A-Za-z_][A-Za-z0-9_$]*)\s+IN\s*\(\s*('(?:[^']|'')*'(?:\s*,\s*'(?:[^']|'')*')*)\s*\)\s*\)$/i;

/** The values of a column CHECK written as {@link enumCheckSql} writes it for `column`, or undefined. */
export function enumCheckValues(text: string, column: string): string[] | undefined {
  const match = ENUM_CHECK.exec(text.trim());
  if (!match) return undefined;
  const quoted = match[1]!;
  const name = /^["`[]/.test(quoted) ? quoted.slice(1, -1).replace(/""/g, '"').replace(/``/g, '`') : quoted;
  if (name.toLowerCase() !== column.toLowerCase()) return undefined;
  return [...match[2]!.matchAll(/'((?:[^']|'')*)'/g)].map((found) => found[1]!.replace(/''/g, "'"));
}
