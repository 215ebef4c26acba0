import { CovetError } from '../errors/covet-error.js';
import { didYouMean } from '../errors/suggest.js';
import { columnStateOf, isColumnBuilder, TABLE_DEFINITION_BRAND, type ColumnBuilder } from './column-builder.js';
import { constraintName, validateIdentifier } from './identifiers.js';
import { isSqlExpression, type SqlExpression } from './sql-tag.js';
import type {
  ColumnState,
  ForeignKeyState,
  IndexState,
  PrimaryKeyState,
  ReferentialAction,
  TableState,
} from './types.js';
import { REFERENTIAL_ACTIONS } from './types.js';

/** An index in a table's options. The name defaults to `<table>_<columns>_idx` (`_key` if unique). */
export interface IndexOptions {
  name?: string;
  columns: readonly string[];
  unique?: boolean;
  /** Partial index predicate. */
  where?: string | SqlExpression;
}

/** A (possibly composite) foreign key in a table's options. */
export interface ForeignKeyOptions {
  name?: string;
  columns: readonly string[];
  references: { table: string | { readonly name: string }; columns: readonly string[] };
  onDelete?: ReferentialAction;
  onUpdate?: ReferentialAction;
}

/** Table-level options of `defineTable` and `op.createTable`. */
export interface TableOptions {
  indexes?: readonly IndexOptions[];
  /** Unique constraints: a list of columns, or `{ name, columns }`. */
  uniques?: readonly (readonly string[] | { name?: string; columns: readonly string[] })[];
  /** A composite primary key: a list of columns, or `{ name, columns }`. */
  primaryKey?: readonly string[] | { name?: string; columns: readonly string[] };
  foreignKeys?: readonly ForeignKeyOptions[];
}

/** The columns of a table: keys are the database column names. */
export type ColumnsShape = Record<string, ColumnBuilder>;

/** A model: a table declared with {@link defineTable}. */
export interface TableDefinition<Columns extends ColumnsShape = ColumnsShape> {
  readonly name: string;
  readonly columns: Columns;
  /** The table as schema state. */
  readonly state: TableState;
}

/**
 * Declares a table of your models. Every exported table definition in the configured models
 * files becomes part of the desired schema that `covet makemigrations` compares against.
 *
 * @example
 * export const users = defineTable('users', {
 *   id: t.serial().primaryKey(),
 *   email: t.varchar(255).notNull().unique(),
 * }, { indexes: [{ name: 'users_email_idx', columns: ['email'] }] });
 */
export function defineTable<Columns extends ColumnsShape>(
  name: string,
  columns: Columns,
  options: TableOptions = {},
): TableDefinition<Columns> {
  const state = buildTableState(name, columns, options);
  return Object.freeze({ [TABLE_DEFINITION_BRAND]: true, name, columns, state });
}

/** True for a value made with {@link defineTable}, whichever copy of core made it. */
export function isTableDefinition(value: unknown): value is TableDefinition {
  return typeof value === 'object' && value !== null && TABLE_DEFINITION_BRAND in value;
}

function checkAction(action: unknown, where: string): ReferentialAction {
  if (action === undefined) return 'no action';
  if (!REFERENTIAL_ACTIONS.includes(action as ReferentialAction)) {
    throw new CovetError('REFERENTIAL_ACTION_INVALID', `Unknown referential action "${String(action)}" (${where})`, {
      hint: `Use one of: ${REFERENTIAL_ACTIONS.join(', ')}.`,
    });
  }
  return action as ReferentialAction;
}

function columnList(value: unknown, where: string, known: ReadonlySet<string> | undefined): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new CovetError('COLUMNS_INVALID', `Expected a non-empty list of columns (${where})`);
  }
  for (const column of value) {
    validateIdentifier(column, `column of ${where}`);
    if (known && !known.has(column)) {
      throw new CovetError('COLUMN_UNKNOWN', `Unknown column "${column}" (${where})`);
    }
  }
  return [...value] as string[];
}

/** Builds a foreign key's state, with its default name and actions filled in. */
export function foreignKeyState(table: string, options: ForeignKeyOptions, known?: ReadonlySet<string>): ForeignKeyState {
  const where = `foreign key of ${table}`;
  const columns = columnList(options.columns, where, known);
  const target = options.references;
  if (typeof target !== 'object' || target === null) {
    throw new CovetError('FOREIGN_KEY_INVALID', `Missing references for ${where}`);
  }
  const referencedTable = typeof target.table === 'string' ? target.table : target.table?.name;
  validateIdentifier(referencedTable, `referenced table of ${where}`);
  const referencedColumns = columnList(target.columns, `${where} -> ${referencedTable}`, undefined);
  if (referencedColumns.length !== columns.length) {
    throw new CovetError(
      'FOREIGN_KEY_INVALID',
      `Foreign key of ${table} has ${columns.length} columns but references ${referencedColumns.length}`,
    );
  }
  const name = options.name ?? constraintName(table, columns, 'fkey');
  validateIdentifier(name, `foreign key name of ${table}`);
  return {
    name,
    columns,
    references: { table: referencedTable, columns: referencedColumns },
    onDelete: checkAction(options.onDelete, `${name}.onDelete`),
    onUpdate: checkAction(options.onUpdate, `${name}.onUpdate`),
  };
}

/** Builds an index's state, with its default name filled in. */
export function indexState(table: string, options: IndexOptions, known?: ReadonlySet<string>): IndexState {
  if (typeof options !== 'object' || options === null) {
    throw new CovetError('INDEX_INVALID', `Invalid index definition (${table})`);
  }
  const unique = options.unique === true;
  const columns = columnList(options.columns, `index of ${table}`, known);
  const name = options.name ?? constraintName(table, columns, unique ? 'key' : 'idx');
  validateIdentifier(name, `index name of ${table}`);
  const where = options.where === undefined ? undefined : isSqlExpression(options.where) ? options.where.sql : options.where;
  if (where !== undefined && (typeof where !== 'string' || where.trim() === '')) {
    throw new CovetError('INDEX_INVALID', `Index ${name} has an empty where clause`);
  }
  return where === undefined ? { name, columns, unique } : { name, columns, unique, where };
}

/** The keys of {@link TableOptions}. */
const TABLE_OPTIONS = ['primaryKey', 'uniques', 'indexes', 'foreignKeys'];

/**
 * Turns a columns object and table options (the shape `defineTable` and `op.createTable` take)
 * into a validated {@link TableState}: column-level `.primaryKey()`, `.unique()` and
 * `.references()` become the table's primary key, unique indexes and foreign keys.
 */
export function buildTableState(name: string, columns: ColumnsShape, options: TableOptions = {}): TableState {
  validateIdentifier(name, 'table');
  if (typeof columns === 'object' && columns !== null && isColumnBuilder(Object.getPrototypeOf(columns))) {
    // `{ __proto__: t.integer() }` sets the object's prototype instead of adding a column.
    throw new CovetError('TABLE_INVALID', `Column "__proto__" of ${name} must be written as a computed key (${name})`, {
      hint: "Write ['__proto__']: t.integer() (a computed key makes a property; a plain __proto__: key sets the prototype).",
    });
  }
  if (typeof columns !== 'object' || columns === null || Object.keys(columns).length === 0) {
    throw new CovetError('TABLE_INVALID', `Table "${name}" has no columns`);
  }
  for (const key of Object.keys(options ?? {})) {
    if (!TABLE_OPTIONS.includes(key)) {
      throw new CovetError('OPTION_UNKNOWN', `Unknown table option "${key}" (table ${name})${didYouMean(key, TABLE_OPTIONS)}`, {
        hint: `Table options: ${TABLE_OPTIONS.join(', ')}.`,
      });
    }
  }
  const columnStates: ColumnState[] = [];
  const indexes: IndexState[] = [];
  const foreignKeys: ForeignKeyState[] = [];
  const primaryKeyColumns: string[] = [];
  for (const [columnName, builder] of Object.entries(columns)) {
    validateIdentifier(columnName, `column of ${name}`);
    if (!isColumnBuilder(builder)) {
      throw new CovetError('COLUMN_TYPE_INVALID', `Column ${name}.${columnName} is not a column type`, {
        hint: 'Declare columns with the t helpers, e.g. t.integer().notNull().',
      });
    }
    columnStates.push(columnStateOf(columnName, builder));
    const spec = builder.spec;
    if (spec.primaryKey) primaryKeyColumns.push(columnName);
    if (spec.unique !== false) {
      indexes.push(
        indexState(name, { name: typeof spec.unique === 'string' ? spec.unique : undefined, columns: [columnName], unique: true }),
      );
    }
    if (spec.references) {
      const reference = spec.references;
      foreignKeys.push(
        foreignKeyState(name, {
          name: reference.name,
          columns: [columnName],
          references: { table: reference.table, columns: [reference.column] },
          onDelete: reference.onDelete,
          onUpdate: reference.onUpdate,
        }),
      );
    }
  }
  const known = new Set(columnStates.map((column) => column.name));
  let primaryKey: PrimaryKeyState | undefined;
  if (options.primaryKey !== undefined) {
    if (primaryKeyColumns.length > 0) {
      throw new CovetError('PRIMARY_KEY_INVALID', `Table "${name}" declares its primary key twice (column and options)`);
    }
    const spec = Array.isArray(options.primaryKey)
      ? { columns: options.primaryKey as readonly string[] }
      : (options.primaryKey as { name?: string; columns: readonly string[] });
    const pkColumns = columnList(spec.columns, `primary key of ${name}`, known);
    if (spec.name !== undefined) validateIdentifier(spec.name, `primary key name of ${name}`);
    primaryKey = spec.name === undefined ? { columns: pkColumns } : { name: spec.name, columns: pkColumns };
  } else if (primaryKeyColumns.length > 0) {
    primaryKey = { columns: primaryKeyColumns };
  }
  if (primaryKey) {
    const pk = new Set(primaryKey.columns);
    for (let i = 0; i < columnStates.length; i++) {
      const column = columnStates[i]!;
      if (pk.has(column.name) && column.nullable) columnStates[i] = { ...column, nullable: false };
    }
  }
  for (const unique of options.uniques ?? []) {
    const spec = Array.isArray(unique) ? { columns: unique as readonly string[] } : (unique as { name?: string; columns: readonly string[] });
    indexes.push(indexState(name, { name: spec.name, columns: spec.columns, unique: true }, known));
  }
  for (const index of options.indexes ?? []) indexes.push(indexState(name, index, known));
  for (const foreignKey of options.foreignKeys ?? []) foreignKeys.push(foreignKeyState(name, foreignKey, known));
  for (const foreignKey of foreignKeys) {
    for (const column of foreignKey.columns) {
      if (!known.has(column)) throw new CovetError('COLUMN_UNKNOWN', `Unknown column "${column}" (${foreignKey.name})`);
    }
  }
  return normalizeTable({ name, columns: columnStates, primaryKey, indexes, foreignKeys });
}

/** Sorts a table's indexes and foreign keys by name and refuses duplicate names. */
export function normalizeTable(table: TableState): TableState {
  const seen = new Set<string>();
  for (const column of table.columns) {
    if (seen.has(column.name)) throw new CovetError('COLUMN_DUPLICATE', `Column "${column.name}" appears twice in ${table.name}`);
    seen.add(column.name);
  }
  // An index and a foreign key may share a name (MySQL's usual shape: the key's index carries
  // its name); whether the database allows it is the dialect's to say (capabilities.nameScopes),
  // checked when the operation is validated. Two of one kind never do: Covet knows them by name.
  for (const [items, kind] of [[table.indexes, 'indexes'], [table.foreignKeys, 'foreign keys']] as const) {
    const names = new Set<string>();
    for (const item of items) {
      if (names.has(item.name)) throw new CovetError('NAME_DUPLICATE', `Two ${kind} named "${item.name}" in ${table.name}`);
      names.add(item.name);
    }
  }
  const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const result: TableState = {
    name: table.name,
    columns: [...table.columns],
    indexes: [...table.indexes].sort(byName),
    foreignKeys: [...table.foreignKeys].sort(byName),
  };
  return table.primaryKey ? { ...result, primaryKey: table.primaryKey } : result;
}
