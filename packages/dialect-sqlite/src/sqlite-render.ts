import { CovetError } from '@covet/core/dialect';
import type { ColumnState, ForeignKeyState, IndexState, TableState } from '@covet/core/dialect';
import { declaredType, enumCheckSql, isSerial, renderDefault } from './sqlite-types.js';

/** Quotes an identifier: double quotes, embedded quotes doubled (https://www.sqlite.org/lang_keywords.html). */
export type Quote = (name: string) => string;

/** True when `column` is the table's only primary-key column and a serial (or an identity): SQLite's AUTOINCREMENT. */
export function isAutoincrement(table: TableState, column: ColumnState): boolean {
  const key = table.primaryKey?.columns;
  return key !== undefined && key.length === 1 && key[0] === column.name && (isSerial(column.type) || column.identity === 'byDefault');
}

/** `"name" type [PRIMARY KEY AUTOINCREMENT] [NOT NULL] [DEFAULT ...]`. */
export function renderColumn(quote: Quote, table: TableState, column: ColumnState): string {
  const parts = [quote(column.name)];
  if (isAutoincrement(table, column)) {
    // AUTOINCREMENT is only accepted on a column declared exactly `INTEGER PRIMARY KEY`.
    const name = table.primaryKey?.name;
    parts.push('INTEGER', ...(name ? [`CONSTRAINT ${quote(name)}`] : []), 'PRIMARY KEY AUTOINCREMENT');
  } else if (column.identity === 'always') {
    throw new CovetError('OPERATION_UNSUPPORTED', `SQLite has no identity column that refuses given values: ${table.name}.${column.name} is .identity({ always: true })`, {
      hint: 'Use .identity() on the table\'s only primary key column (INTEGER PRIMARY KEY AUTOINCREMENT), or t.serial().',
    });
  } else if (isSerial(column.type) || column.identity !== undefined) {
    // Anything else declared `serial` would be a plain column that never fills itself.
    const place = table.primaryKey?.columns.includes(column.name) ? 'a composite primary key' : 'no primary key of its own';
    throw new CovetError('OPERATION_UNSUPPORTED', `SQLite cannot auto-increment ${table.name}.${column.name}: only a table's single-column INTEGER PRIMARY KEY does, and this ${column.identity === undefined ? 'serial' : 'identity column'} is in ${place}`, {
      hint: `Make ${column.name} the table's only primary key column, or declare it t.integer() and fill it yourself.`,
    });
  } else {
    parts.push(declaredType(column.type));
  }
  refuseUnsupported(table.name, column);
  if (column.collation !== undefined) parts.push(`COLLATE ${quote(column.collation)}`);
  if (column.generated !== undefined) parts.push(generatedSql(column));
  if (column.type.type === 'enum') parts.push(enumCheckSql(quote, column.name, column.type.values));
  if (!column.nullable) parts.push('NOT NULL');
  if (column.default !== undefined) parts.push(`DEFAULT ${renderDefault(column.default)}`);
  return parts.join(' ');
}

/** `GENERATED ALWAYS AS (expression) STORED | VIRTUAL`. */
export function generatedSql(column: ColumnState): string {
  return `GENERATED ALWAYS AS (${column.generated!.sql}) ${column.generated!.stored ? 'STORED' : 'VIRTUAL'}`;
}

/** What SQLite cannot hold, refused in one line before any SQL runs: a column comment, an array. */
export function refuseUnsupported(table: string, column: ColumnState): void {
  if (column.comment !== undefined) {
    throw new CovetError('OPERATION_UNSUPPORTED', `SQLite has no column comments: ${table}.${column.name} has .comment()`, {
      hint: 'Keep the comment in the model as a code comment, or leave SQLite out of this model\'s engines.',
    });
  }
  if (column.type.type === 'array') {
    throw new CovetError('OPERATION_UNSUPPORTED', `SQLite has no array columns: ${table}.${column.name} is an array of ${column.type.of.type}`, {
      hint: 'Use t.json() to hold a list, or a child table with one row per element.',
    });
  }
}

const ACTIONS: Record<string, string> = {
  cascade: 'CASCADE',
  'set null': 'SET NULL',
  'set default': 'SET DEFAULT',
  restrict: 'RESTRICT',
  'no action': 'NO ACTION',
};

/** A table-level, named foreign key, so the name round-trips through `sqlite_master`. */
export function renderForeignKey(quote: Quote, foreignKey: ForeignKeyState): string {
  return (
    `CONSTRAINT ${quote(foreignKey.name)} FOREIGN KEY (${foreignKey.columns.map(quote).join(', ')}) ` +
    `REFERENCES ${quote(foreignKey.references.table)} (${foreignKey.references.columns.map(quote).join(', ')}) ` +
    `ON DELETE ${ACTIONS[foreignKey.onDelete] ?? 'NO ACTION'} ON UPDATE ${ACTIONS[foreignKey.onUpdate] ?? 'NO ACTION'}`
  );
}

/** CREATE TABLE from the state, under `name` (the rebuild uses a temporary name). */
export function renderCreateTable(quote: Quote, table: TableState, name: string = table.name): string {
  const definitions = table.columns.map((column) => renderColumn(quote, table, column));
  const key = table.primaryKey;
  const inline = table.columns.some((column) => isAutoincrement(table, column));
  if (key && !inline) {
    definitions.push(`${key.name ? `CONSTRAINT ${quote(key.name)} ` : ''}PRIMARY KEY (${key.columns.map(quote).join(', ')})`);
  }
  for (const foreignKey of table.foreignKeys) definitions.push(renderForeignKey(quote, foreignKey));
  return `CREATE TABLE ${quote(name)} (\n  ${definitions.join(',\n  ')}\n)`;
}

/** CREATE [UNIQUE] INDEX, partial when the index has a `where`. */
export function renderCreateIndex(quote: Quote, table: string, index: IndexState): string {
  return (
    `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX ${quote(index.name)} ON ${quote(table)} (${index.columns.map(quote).join(', ')})` +
    (index.where ? ` WHERE ${index.where}` : '')
  );
}
