import { comparableExpression, constraintName } from '@covet/core/dialect';
import type { ColumnDefault, ColumnState, ColumnType, ForeignKeyState, IndexState, ReferentialAction, TableState } from '@covet/core/dialect';

/**
 * How Covet's portable types are declared on MySQL and MariaDB, and read back.
 *
 * - `serial`/`smallserial`/`bigserial` are the SIGNED `int`/`smallint`/`bigint` with
 *   `AUTO_INCREMENT`, so a foreign key from a `t.integer()` column can reference them (InnoDB
 *   requires both sides to have the same type and signedness). An unsigned auto-increment key
 *   (as in Sakila) reads back as `custom` (`int unsigned AUTO_INCREMENT`) and is recreated so.
 * - `boolean` is `tinyint(1)` (what MySQL's `BOOLEAN` is); `real` is `float`; `uuid` is `char(36)`.
 * - `timestamp` is `datetime` (no time zone conversion, like SQL's TIMESTAMP WITHOUT TIME ZONE);
 *   `timestamp({ withTimeZone: true })` is MySQL's `timestamp` (stored as UTC, converted with
 *   the session time zone). `time` has no time zone form.
 * - `json` is `json`; MariaDB stores it as `longtext` with a `json_valid` CHECK, which the
 *   introspector recognises.
 * - Anything else (`enum(...)`, `int unsigned`, `mediumtext`, `year`, ...) is `custom`, exactly
 *   as the server reports it (display widths of integer types removed).
 */
export function typeSql(type: ColumnType): string {
  switch (type.type) {
    case 'smallserial':
      return 'smallint AUTO_INCREMENT';
    case 'serial':
      return 'int AUTO_INCREMENT';
    case 'bigserial':
      return 'bigint AUTO_INCREMENT';
    case 'integer':
      return 'int';
    case 'boolean':
      return 'tinyint(1)';
    case 'real':
      return 'float';
    case 'uuid':
      return 'char(36)';
    case 'varchar':
    case 'char':
      return `${type.type}(${type.length})`;
    case 'decimal':
      if (type.precision === undefined) return 'decimal(10,0)';
      return `decimal(${type.precision},${type.scale ?? 0})`;
    case 'time':
      return 'time';
    case 'timestamp':
      return type.withTimeZone ? 'timestamp' : 'datetime';
    case 'text':
    case 'blob':
      return `${type.size ?? ''}${type.type}`;
    case 'custom':
      return type.sql;
    case 'enum':
      return `enum(${type.values.map((value) => `'${value.replace(/'/g, "''")}'`).join(',')})`;
    default:
      return type.type;
  }
}

/** `enum('a','it''s')` as its values, or undefined for anything else (a backslash: left as written). */
function enumValues(base: string): string[] | undefined {
  const match = /^enum\((.*)\)$/s.exec(base);
  if (!match || match[1]!.includes('\\')) return undefined;
  const values: string[] = [];
  const pattern = /'((?:[^']|'')*)'(,|$)/gy;
  let found: RegExpExecArray | null;
  while ((found = pattern.exec(match[1]!)) !== null) {
    values.push(found[1]!.replace(/''/g, "'"));
    if (found[2] === '') return pattern.lastIndex === match[1]!.length ? values : undefined;
  }
  return undefined;
}

/** The type without attributes, as SQL text: `int`, `varchar(10)`, `enum('a','b')`. */
export function baseTypeSql(type: ColumnType): string {
  return splitTypeSql(typeSql(type)).base;
}

/**
 * Lower-cases a type outside quoted parts, collapses white space and drops the display width
 * of integer types (`int(11)` -> `int`; MySQL 8.0.19+ no longer reports it, MariaDB does), but
 * keeps `tinyint(1)`, which is how both report a boolean.
 */
export function canonicalTypeSql(text: string): string {
  let result = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quote) {
      result += char;
      if (char === quote) {
        if (text[i + 1] === quote) result += text[++i];
        else quote = undefined;
      } else if (char === '\\' && i + 1 < text.length) result += text[++i];
      continue;
    }
    if (char === "'" || char === '"') quote = char;
    result += quote ? char : char.toLowerCase();
  }
  return result
    .replace(/\s+/g, ' ')
    .replace(/\s*([(),])\s*/g, '$1')
    .replace(/\)(?=[a-z])/g, ') ')
    .trim()
    .replace(/^(smallint|mediumint|int|integer|bigint)\(\d+\)/, '$1')
    .replace(/^tinyint\((?!1\))\d+\)/, 'tinyint')
    .replace(/^integer\b/, 'int')
    .replace(/^year\(4\)$/, 'year')
    .replace(/^(bool|boolean)$/, 'tinyint(1)');
}

/** A declared type split into its base type and the attributes Covet keeps in the type. */
export function splitTypeSql(text: string): { base: string; autoIncrement: boolean; onUpdate?: string } {
  let rest = text;
  const onUpdate = /\s+on\s+update\s+(.+)$/i.exec(rest);
  if (onUpdate) rest = rest.slice(0, onUpdate.index);
  const autoIncrement = /\s+auto_increment\b/i.test(rest);
  rest = rest.replace(/\s+auto_increment\b/gi, '');
  const base = canonicalTypeSql(rest);
  return onUpdate ? { base, autoIncrement, onUpdate: canonicalExpression(onUpdate[1]!) } : { base, autoIncrement };
}

const SIMPLE: Readonly<Record<string, ColumnType>> = {
  smallint: { type: 'smallint' },
  int: { type: 'integer' },
  bigint: { type: 'bigint' },
  'tinyint(1)': { type: 'boolean' },
  text: { type: 'text' },
  float: { type: 'real' },
  double: { type: 'double' },
  date: { type: 'date' },
  json: { type: 'json' },
  blob: { type: 'blob' },
  tinytext: { type: 'text', size: 'tiny' },
  mediumtext: { type: 'text', size: 'medium' },
  longtext: { type: 'text', size: 'long' },
  tinyblob: { type: 'blob', size: 'tiny' },
  mediumblob: { type: 'blob', size: 'medium' },
  longblob: { type: 'blob', size: 'long' },
  time: { type: 'time' },
  datetime: { type: 'timestamp' },
  timestamp: { type: 'timestamp', withTimeZone: true },
};

const SERIALS: Readonly<Record<string, ColumnType>> = {
  smallint: { type: 'smallserial' },
  int: { type: 'serial' },
  bigint: { type: 'bigserial' },
};

/**
 * The portable type for a type as MySQL reports it (`COLUMN_TYPE`, plus `EXTRA` for
 * `auto_increment` and `on update ...`); anything Covet has no name for stays `custom`.
 */
export function parseTypeSql(columnType: string, extra = ''): ColumnType {
  const { base, autoIncrement: inline, onUpdate: inlineUpdate } = splitTypeSql(columnType);
  const autoIncrement = inline || /\bauto_increment\b/i.test(extra);
  const onUpdateMatch = /\bon update (.+)$/i.exec(extra);
  const onUpdate = inlineUpdate ?? (onUpdateMatch ? canonicalExpression(onUpdateMatch[1]!) : undefined);
  if (onUpdate === undefined) {
    if (autoIncrement && SERIALS[base]) return SERIALS[base]!;
    if (!autoIncrement && SIMPLE[base]) return SIMPLE[base]!;
    if (!autoIncrement) {
      const text = /^(varchar|char)\((\d+)\)$/.exec(base);
      if (text) return { type: text[1] as 'varchar' | 'char', length: Number(text[2]) };
      const decimal = /^(?:decimal|numeric)\((\d+)(?:,(\d+))?\)$/.exec(base);
      if (decimal) return { type: 'decimal', precision: Number(decimal[1]), scale: Number(decimal[2] ?? 0) };
      if (base === 'decimal' || base === 'numeric') return { type: 'decimal', precision: 10, scale: 0 };
      const values = enumValues(base);
      if (values) return { type: 'enum', values };
    }
  }
  const sql = [base, ...(autoIncrement ? ['AUTO_INCREMENT'] : []), ...(onUpdate ? [`ON UPDATE ${onUpdate}`] : [])].join(' ');
  return { type: 'custom', sql };
}

/** True for types that hold whole numbers, decimals or floats: their literal defaults are numbers. */
function isNumeric(base: string): boolean {
  return /^(tinyint|smallint|mediumint|int|bigint|decimal|numeric|float|double|real|bit)\b/.test(base) && base !== 'tinyint(1)';
}

/** True for TEXT/BLOB/JSON types: MySQL 8 only accepts their defaults as expressions, and indexes them with a prefix. */
export function isLargeType(base: string): boolean {
  return /^(tiny|medium|long)?(text|blob)\b/.test(base) || base === 'json' || base === 'geometry';
}

const CURRENT_TIMESTAMP = /^(current_timestamp|now|localtimestamp|localtime)(\(\s*\))?$/i;

/** An expression as the server would report it, so `now()` and `CURRENT_TIMESTAMP` compare equal. */
export function canonicalExpression(text: string): string {
  let expression = text.trim();
  while (expression.startsWith('(') && expression.endsWith(')') && balanced(expression.slice(1, -1))) expression = expression.slice(1, -1).trim();
  if (CURRENT_TIMESTAMP.test(expression)) return 'CURRENT_TIMESTAMP';
  const precise = /^(?:current_timestamp|now|localtimestamp|localtime)\(\s*(\d)\s*\)$/i.exec(expression);
  if (precise) return `CURRENT_TIMESTAMP(${precise[1]})`;
  return expression;
}

function balanced(text: string): boolean {
  let depth = 0;
  for (const char of text) {
    if (char === '(') depth++;
    if (char === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

/**
 * A string literal that means the same with and without `NO_BACKSLASH_ESCAPES`: quotes are
 * doubled, and a value holding a backslash is written as a hex string with a character set
 * introducer (`_utf8mb4 X'...'`), which neither mode rewrites.
 */
export function stringLiteral(value: string): string {
  if (value.includes('\\')) return `_utf8mb4 X'${Buffer.from(value, 'utf8').toString('hex')}'`;
  return `'${value.replace(/'/g, "''")}'`;
}

/** A default as SQL for a column of type `base`. */
export function defaultSql(value: ColumnDefault, base: string): string {
  if (value.kind === 'sql') {
    const expression = canonicalExpression(value.sql);
    // CURRENT_TIMESTAMP is the one expression every version accepts bare; others need parentheses (MySQL 8.0.13+, MariaDB 10.2+).
    return /^CURRENT_TIMESTAMP(\(\d\))?$/.test(expression) ? expression : `(${expression})`;
  }
  const literal = value.value;
  let sql: string;
  if (literal === null) return 'NULL';
  if (typeof literal === 'boolean') sql = literal ? '1' : '0';
  else if (typeof literal === 'number') sql = isNumeric(base) || base === 'tinyint(1)' ? String(literal) : stringLiteral(String(literal));
  else sql = stringLiteral(literal);
  // MySQL 8 accepts defaults on TEXT/BLOB/JSON only as expressions; MariaDB reads them back as literals either way.
  return isLargeType(base) ? `(${sql})` : sql;
}

/** Undoes the escapes MariaDB writes in a quoted `COLUMN_DEFAULT` (`''` and backslash escapes). */
function unquote(text: string): string {
  const inner = text.slice(1, -1);
  const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', '0': '\0', Z: '\x1a', b: '\b' };
  return inner.replace(/''|\\(.)/gs, (match, escaped: string | undefined) => (escaped === undefined ? "'" : escapes[escaped] ?? escaped));
}

/**
 * Reads back `COLUMN_DEFAULT`. MariaDB (10.2.7+) quotes literal strings and reports `NULL` for a
 * NULL default; MySQL reports the bare value and marks expressions `DEFAULT_GENERATED` in
 * `EXTRA`. Returns `undefined` for "no default".
 */
export function parseDefault(raw: string | null, extra: string, type: ColumnType, mariadb: boolean): ColumnDefault | undefined {
  if (raw === null) return undefined;
  const base = baseTypeSql(type);
  if (mariadb) {
    if (raw === 'NULL') return { kind: 'value', value: null };
    if (raw.length >= 2 && raw.startsWith("'") && raw.endsWith("'")) return literalFor(unquote(raw), base);
    if (/^[-+]?\d+(\.\d+)?(e[-+]?\d+)?$/i.test(raw)) return literalFor(raw, base);
    return { kind: 'sql', sql: canonicalExpression(raw) };
  }
  if (/DEFAULT_GENERATED/i.test(extra)) {
    // MySQL 8 reports an expression default's literal with its character set: _utf8mb4\'x\'.
    const literal = /^_[a-z0-9]+\\'(.*)\\'$/s.exec(raw);
    if (literal) return literalFor(literal[1]!.replace(/\\'/g, "'").replace(/\\\\/g, '\\'), base);
    return { kind: 'sql', sql: canonicalExpression(raw) };
  }
  if (CURRENT_TIMESTAMP.test(raw) || /^current_timestamp\(\d\)$/i.test(raw)) return { kind: 'sql', sql: canonicalExpression(raw) };
  return literalFor(raw, base);
}

function literalFor(text: string, base: string): ColumnDefault {
  if (base === 'tinyint(1)' && (text === '0' || text === '1')) return { kind: 'value', value: text === '1' };
  if (isNumeric(base) && text.trim() !== '' && Number.isFinite(Number(text))) return { kind: 'value', value: Number(text) };
  return { kind: 'value', value: text };
}

/**
 * The column as MySQL stores and reports it: the type reduced to what its declaration reads
 * back as (`uuid` is `char(36)`, `time` has no time zone; a decimal without precision is kept),
 * auto-increment columns never null, a NULL default on a nullable column the same as none,
 * literal defaults typed as the column (`'0'` on an integer is `0`, `1` on a boolean `true`).
 */
export function normalizeMysqlColumn(column: ColumnState): ColumnState {
  // An identity column is an AUTO_INCREMENT one, which reads back as a serial.
  // A decimal without precision stays one: MySQL has none (the compiler refuses it), so it is
  // never the decimal(10,0) a database reports, and --from database shows the difference.
  const bareDecimal = column.type.type === 'decimal' && column.type.precision === undefined;
  const type = bareDecimal ? column.type : parseTypeSql(column.identity === undefined ? typeSql(column.type) : `${typeSql(column.type)} AUTO_INCREMENT`);
  const autoIncrement = type.type === 'serial' || type.type === 'smallserial' || type.type === 'bigserial' || (type.type === 'custom' && /AUTO_INCREMENT/.test(type.sql));
  const nullable = autoIncrement ? false : column.nullable;
  const normalized: ColumnState = {
    name: column.name,
    type,
    nullable,
    ...(column.collation === undefined ? {} : { collation: column.collation.toLowerCase() }),
    ...(column.comment === undefined || column.comment === '' ? {} : { comment: column.comment }),
  };
  // MariaDB re-spells a generation expression (quotes every column); it has no default.
  if (column.generated !== undefined) return { ...normalized, generated: { sql: comparableExpression(column.generated.sql), stored: column.generated.stored } };
  const value = column.default;
  if (value === undefined || autoIncrement) return normalized;
  if (value.kind === 'value' && value.value === null) return nullable ? normalized : { ...normalized, default: value };
  const base = baseTypeSql(type);
  if (value.kind === 'sql') return { ...normalized, default: { kind: 'sql', sql: canonicalExpression(value.sql) } };
  const literal = value.value;
  return { ...normalized, default: literalFor(typeof literal === 'boolean' ? (literal ? '1' : '0') : String(literal), base) };
}

/** True for a column MySQL declares AUTO_INCREMENT (a serial, an identity, or a custom type saying so). */
export function isAutoIncrement(column: ColumnState): boolean {
  return column.identity !== undefined || /\bAUTO_INCREMENT\b/i.test(typeSql(column.type));
}

function startsWith(columns: readonly string[], first: string): boolean {
  return columns[0] === first;
}

/**
 * The indexes InnoDB needs for auto-increment columns that neither the primary key nor any
 * index starts with (a serial second in a composite key: without one, CREATE TABLE fails with
 * ER_WRONG_AUTO_KEY). Each is a plain index on the column alone, named `<table>_<column>_idx`
 * as `t`'s index options would name it; the compiler writes them into CREATE TABLE.
 */
export function autoIncrementIndexes(table: TableState): IndexState[] {
  const needed: IndexState[] = [];
  for (const column of table.columns) {
    if (!isAutoIncrement(column)) continue;
    const keys = [...(table.primaryKey ? [table.primaryKey.columns] : []), ...table.indexes.map((index) => index.columns)];
    if (keys.some((columns) => startsWith(columns, column.name))) continue;
    needed.push({ name: constraintName(table.name, [column.name], 'idx', 64), columns: [column.name], unique: false });
  }
  return needed;
}

/** InnoDB treats NO ACTION as RESTRICT (both check at once), and MariaDB reports it so. */
function canonicalAction(action: ReferentialAction): ReferentialAction {
  return action === 'restrict' ? 'no action' : action;
}

/**
 * A table's indexes and foreign keys as MySQL keeps them: RESTRICT and NO ACTION are one
 * action; the index an auto-increment column needs is there (see {@link autoIncrementIndexes});
 * a plain index named like a foreign key on its columns is the key's own, which the
 * introspector does not report, so it is left out here too.
 */
export function normalizeMysqlTable(table: TableState): TableState {
  const foreignKeys: ForeignKeyState[] = table.foreignKeys.map((foreignKey) =>
    foreignKey.onDelete === 'restrict' || foreignKey.onUpdate === 'restrict'
      ? { ...foreignKey, onDelete: canonicalAction(foreignKey.onDelete), onUpdate: canonicalAction(foreignKey.onUpdate) }
      : foreignKey,
  );
  const indexes = table.indexes.filter(
    (index) => index.unique || !table.foreignKeys.some((fk) => fk.name === index.name && fk.columns.length === index.columns.length && fk.columns.every((c, i) => index.columns[i] === c)),
  );
  const extra = autoIncrementIndexes(table).filter((index) => !indexes.some((other) => other.name === index.name));
  if (extra.length === 0 && indexes.length === table.indexes.length && foreignKeys.every((fk, i) => fk === table.foreignKeys[i])) return table;
  const byName = (a: IndexState, b: IndexState) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return { ...table, indexes: [...indexes, ...extra].sort(byName), foreignKeys };
}
