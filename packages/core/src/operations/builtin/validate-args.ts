import { CovetError } from '../../errors/covet-error.js';
import { validateIdentifier } from '../../schema/identifiers.js';
import type { ColumnState, ColumnType, ForeignKeyState, IndexState, SchemaState, TableState } from '../../schema/types.js';
import { LOB_SIZES, REFERENTIAL_ACTIONS } from '../../schema/types.js';
import { getTable, tablesOf } from '../../state/schema-state.js';
export { indexOwner } from '../../state/schema-state.js';

const SIMPLE_TYPES = new Set([
  'smallserial', 'serial', 'bigserial', 'smallint', 'integer', 'bigint', 'boolean', 'text',
  'real', 'double', 'date', 'json', 'uuid', 'blob',
]);

/** Names every column type a state may hold (the portable set plus `custom`). */
export const COLUMN_TYPE_NAMES: readonly string[] = Object.freeze([
  ...SIMPLE_TYPES, 'varchar', 'char', 'decimal', 'time', 'timestamp', 'custom', 'array', 'enum',
]);

function fail(message: string, hint?: string): never {
  throw new CovetError('OPERATION_INVALID', message, hint ? { hint } : {});
}

// A custom type is written into DDL as it is, so it may only hold words, numbers, spaces,
// balanced parentheses, commas, dots, brackets and, inside parentheses, single-quoted literals
// (`enum('G','PG')`): no backslash (an escape under MySQL's default sql_mode), and no `;`,
// `-` or `/` (statements, comments) outside a literal. A scanner, not a regular expression,
// so a long hostile input cannot make it backtrack.
const CUSTOM_TYPE_CHARACTER = /[A-Za-z0-9_ ,.[\]]/;

/** True for a custom column type that is safe to write into DDL as it is. */
export function isSafeCustomType(sql: unknown): sql is string {
  if (typeof sql !== 'string' || sql.length === 0 || sql.length > 1000 || !/^[A-Za-z_]/.test(sql)) return false;
  let depth = 0;
  for (let i = 0; i < sql.length; i++) {
    const character = sql[i]!;
    if (character === "'") {
      if (depth === 0) return false;
      for (i++; ; i++) {
        if (i >= sql.length || sql[i] === '\\') return false;
        if (sql[i] === "'") {
          if (sql[i + 1] !== "'") break;
          i++;
        }
      }
    } else if (character === '(') {
      depth++;
    } else if (character === ')') {
      if (--depth < 0) return false;
    } else if (!CUSTOM_TYPE_CHARACTER.test(character)) {
      return false;
    }
  }
  return depth === 0;
}

/** Checks a column type's shape. */
export function validateColumnType(type: ColumnType, where: string): void {
  if (typeof type !== 'object' || type === null || typeof type.type !== 'string') fail(`Missing column type for ${where}`);
  const isInteger = (value: unknown) => typeof value === 'number' && Number.isInteger(value) && value > 0;
  switch (type.type) {
    case 'varchar':
    case 'char':
      if (!isInteger(type.length)) fail(`${type.type} length must be a positive integer for ${where}`);
      return;
    case 'decimal':
      if (type.precision !== undefined && !isInteger(type.precision)) fail(`decimal precision must be a positive integer for ${where}`);
      if (type.scale !== undefined && (type.precision === undefined || !Number.isInteger(type.scale) || type.scale < 0 || type.scale > type.precision)) {
        fail(`decimal scale must be between 0 and the precision for ${where}`);
      }
      return;
    case 'time':
    case 'timestamp':
      return;
    case 'text':
    case 'blob':
      if (type.size !== undefined && !LOB_SIZES.includes(type.size)) fail(`${type.type} size must be one of ${LOB_SIZES.join(', ')} for ${where}`);
      return;
    case 'json':
      if (type.binary !== undefined && typeof type.binary !== 'boolean') fail(`json binary must be true or false for ${where}`);
      return;
    case 'custom':
      if (!isSafeCustomType(type.sql)) fail(`Invalid custom type ${JSON.stringify(type.sql)} for ${where}`);
      return;
    case 'enum': {
      const problem = enumValuesProblem(type.values);
      if (problem) fail(`${problem} for ${where}`);
      return;
    }
    case 'array': {
      const of = type.of as ColumnType | undefined;
      if (typeof of !== 'object' || of === null || ['array', 'smallserial', 'serial', 'bigserial', 'enum'].includes(of.type)) {
        fail(`An array of ${where} must hold a column type other than a serial, an enum or an array`, 'Say the dimensions with .array(2) for an array of arrays.');
      }
      if (type.dimensions !== undefined && !isInteger(type.dimensions)) fail(`Array dimensions must be a positive integer for ${where}`);
      validateColumnType(of, where);
      return;
    }
    default:
      if (!SIMPLE_TYPES.has(type.type)) {
        fail(`Unknown column type "${String(type.type)}" for ${where}`, `Known types: ${COLUMN_TYPE_NAMES.join(', ')}.`);
      }
  }
}

/** What is wrong with an enum's values (a non-empty list of different, non-empty strings without NUL), or undefined. */
export function enumValuesProblem(values: unknown): string | undefined {
  if (!Array.isArray(values) || values.length === 0) return 'An enum needs a list of values';
  for (const value of values) {
    if (typeof value !== 'string' || value === '' || value.includes('\0')) return `Enum value ${JSON.stringify(value)} must be a non-empty string without NUL`;
  }
  const twice = values.find((value, index) => values.indexOf(value) !== index);
  if (twice !== undefined) return `Enum value ${JSON.stringify(twice)} is listed twice`;
  return undefined;
}

/** Checks a column's name, type and default. */
export function validateColumn(column: ColumnState, table: string): void {
  validateIdentifier(column?.name, `column of ${table}`);
  const where = `${table}.${column.name}`;
  validateColumnType(column.type, where);
  if (typeof column.nullable !== 'boolean') fail(`Column ${where} must say whether it is nullable`);
  if (column.collation !== undefined && (typeof column.collation !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_.@-]*$/.test(column.collation))) {
    fail(`Invalid collation ${JSON.stringify(column.collation)} for ${where}`);
  }
  if (column.comment !== undefined && (typeof column.comment !== 'string' || column.comment.includes('\0'))) fail(`Invalid comment for ${where}`);
  if (column.identity !== undefined) {
    if (column.identity !== 'always' && column.identity !== 'byDefault') fail(`Identity of ${where} must be "always" or "byDefault"`);
    if (!['smallint', 'integer', 'bigint'].includes(column.type.type)) fail(`Identity column ${where} must be a smallint, integer or bigint`);
  }
  if (column.generated !== undefined) validateGenerated(column, where);
  const value = column.default;
  if (value !== undefined) {
    if (value.kind === 'sql') {
      if (typeof value.sql !== 'string' || value.sql.trim() === '') fail(`Empty default expression for ${where}`);
    } else if (value.kind === 'value') {
      const v = value.value;
      if (!(v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)))) {
        fail(`Invalid default value for ${where}`);
      }
    } else {
      fail(`Invalid default for ${where}`);
    }
  }
}

/** A generated column has an expression, says whether it is stored, and nothing that would fill it otherwise. */
function validateGenerated(column: ColumnState, where: string): void {
  const generated = column.generated!;
  if (typeof generated !== 'object' || generated === null || typeof generated.sql !== 'string' || generated.sql.trim() === '') {
    fail(`Generated column ${where} needs a SQL expression`);
  }
  if (typeof generated.stored !== 'boolean') fail(`Generated column ${where} must say whether it is stored`);
  if (generated.sql.includes('\0')) fail(`The expression of generated column ${where} holds a NUL character`);
  if (column.default !== undefined) fail(`Generated column ${where} cannot have a default: the database computes its value`);
  if (column.identity !== undefined) fail(`Generated column ${where} cannot be an identity column`);
  if (['smallserial', 'serial', 'bigserial'].includes(column.type.type)) fail(`Generated column ${where} cannot be a serial`);
}

/** Checks an index against its table. */
export function validateIndex(index: IndexState, table: TableState): void {
  validateIdentifier(index?.name, `index of ${table.name}`);
  checkColumns(index.columns, table, `index ${index.name}`);
}

/** Checks a foreign key against its table and the state it will live in. */
export function validateForeignKey(foreignKey: ForeignKeyState, table: TableState, state: SchemaState): void {
  validateIdentifier(foreignKey?.name, `foreign key of ${table.name}`);
  const where = `foreign key ${foreignKey.name} on ${table.name}`;
  checkColumns(foreignKey.columns, table, where);
  for (const action of [foreignKey.onDelete, foreignKey.onUpdate]) {
    if (!REFERENTIAL_ACTIONS.includes(action)) fail(`Unknown referential action "${String(action)}" (${where})`);
  }
  const targetName = foreignKey.references?.table;
  validateIdentifier(targetName, `referenced table of ${where}`);
  const target = targetName === table.name ? table : getTable(state, targetName);
  if (!target) fail(`Table "${targetName}" referenced by ${where} does not exist`);
  checkColumns(foreignKey.references.columns, target, where);
  if (foreignKey.references.columns.length !== foreignKey.columns.length) {
    fail(`${where} has ${foreignKey.columns.length} columns but references ${foreignKey.references.columns.length}`);
  }
}

function checkColumns(columns: readonly string[], table: TableState, where: string): void {
  if (!Array.isArray(columns) || columns.length === 0) fail(`No columns for ${where}`);
  for (const column of columns) {
    if (!table.columns.some((c) => c.name === column)) fail(`Column "${column}" of ${where} does not exist in ${table.name}`);
  }
}

/** Checks a whole table definition. */
export function validateTable(table: TableState, state: SchemaState): void {
  validateIdentifier(table?.name, 'table');
  if (!Array.isArray(table.columns) || table.columns.length === 0) fail(`Table "${table.name}" has no columns`);
  const names = new Set<string>();
  for (const column of table.columns) {
    validateColumn(column, table.name);
    if (names.has(column.name)) fail(`Column "${column.name}" appears twice in ${table.name}`);
    names.add(column.name);
  }
  if (table.primaryKey) checkColumns(table.primaryKey.columns, table, `primary key of ${table.name}`);
  for (const index of table.indexes ?? []) validateIndex(index, table);
  for (const foreignKey of table.foreignKeys ?? []) validateForeignKey(foreignKey, table, state);
}

/** Throws unless `table.column` exists; returns the column. */
export function requireColumn(table: TableState, column: string): ColumnState {
  const found = table.columns.find((c) => c.name === column);
  if (!found) throw new CovetError('COLUMN_UNKNOWN', `Column "${table.name}.${column}" does not exist`);
  return found;
}

/** Foreign keys of other tables (or of the same) that reference `table`, optionally only `column`. */
export function referencingForeignKeys(state: SchemaState, table: string, column?: string): { table: string; foreignKey: ForeignKeyState }[] {
  const found: { table: string; foreignKey: ForeignKeyState }[] = [];
  for (const other of tablesOf(state)) {
    for (const foreignKey of other.foreignKeys) {
      if (foreignKey.references.table !== table) continue;
      if (column !== undefined && !foreignKey.references.columns.includes(column)) continue;
      found.push({ table: other.name, foreignKey });
    }
  }
  return found;
}
