import { COLUMN_TYPE_NAMES } from './validate-args.js';
import { constraintName } from '../../schema/identifiers.js';
import { t } from '../../schema/column-builder.js';
import { sql } from '../../schema/sql-tag.js';
import type { ColumnState, ColumnType, ForeignKeyState, IndexState, TableState } from '../../schema/types.js';
import { array, call, evaluateCode, literal, method, object, sameData, sqlTag, valueCode, type Code } from '../../writer/code-tree.js';

/**
 * The code trees the built-in operations' writers (`write`) build: a column as `t.*` calls, a
 * table as `op.createTable(...)` (whose arguments are `defineTable`'s: `@covet/writer-ts` writes
 * models with it), indexes, foreign keys and statements as literals. Printed by `@covet/writer-ts`.
 */

/** What the type helpers evaluate in: `t` and `sql`, as a migration file has them. */
const TYPE_SCOPE: Readonly<Record<string, unknown>> = Object.freeze({ t, sql });

// ---------------------------------------------------------------------------------------------
// Columns

interface ColumnExtras {
  readonly primaryKey?: boolean;
  /** `true` for `.unique()`, a name for `.unique(name)`. */
  readonly unique?: true | string;
  readonly foreignKey?: ForeignKeyState;
}

/** `t.varchar(255).notNull().default('x')` for a column state (and its column-level constraints). */
export function columnCode(column: ColumnState, table?: string, extras: ColumnExtras = {}): Code {
  let code = typeCode(column.type);
  let nullable = (evaluateCode(code, TYPE_SCOPE) as { spec: { nullable: boolean } }).spec.nullable;
  if (column.identity !== undefined) {
    code = column.identity === 'always' ? method(code, 'identity', object([['always', literal(true)]])) : method(code, 'identity');
    nullable = false;
  }
  if (extras.primaryKey) {
    code = method(code, 'primaryKey');
    nullable = false;
  }
  if (column.nullable !== nullable) code = method(code, column.nullable ? 'nullable' : 'notNull');
  const columnDefault = column.default;
  if (columnDefault !== undefined) {
    code = method(code, 'default', columnDefault.kind === 'sql' ? sqlTag(columnDefault.sql) : literal(columnDefault.value));
  }
  if (column.generated !== undefined) {
    const { sql, stored } = column.generated;
    code = stored ? method(code, 'generated', sqlTag(sql), object([['stored', literal(true)]])) : method(code, 'generated', sqlTag(sql));
  }
  if (column.collation !== undefined) code = method(code, 'collate', literal(column.collation));
  if (column.comment !== undefined) code = method(code, 'comment', literal(column.comment));
  if (extras.unique !== undefined) {
    code = extras.unique === true ? method(code, 'unique') : method(code, 'unique', literal(extras.unique));
  }
  if (extras.foreignKey && table !== undefined) {
    const foreignKey = extras.foreignKey;
    const options = object([
      foreignKey.onDelete === 'no action' ? undefined : ['onDelete', literal(foreignKey.onDelete)],
      foreignKey.onUpdate === 'no action' ? undefined : ['onUpdate', literal(foreignKey.onUpdate)],
      foreignKey.name === constraintName(table, foreignKey.columns, 'fkey') ? undefined : ['name', literal(foreignKey.name)],
    ]);
    const target = [literal(foreignKey.references.table), literal(foreignKey.references.columns[0])];
    code = options.kind === 'object' && options.entries.length > 0
      ? method(code, 'references', ...target, options)
      : method(code, 'references', ...target);
  }
  return code;
}

/** `t.decimal(10, 2)` for a column type; `t.fromType({...})` when no helper gives exactly it. */
function typeCode(type: ColumnType): Code {
  const candidate = typeHelperCode(type);
  if (candidate) {
    try {
      const built = evaluateCode(candidate, TYPE_SCOPE) as { spec: { type: ColumnType } };
      if (sameData(built.spec.type, type)) return candidate;
    } catch {
      // Not a type the helper accepts: written with t.fromType below.
    }
  }
  return call('t.fromType', valueCode(type, 'column type'));
}

function typeHelperCode(type: ColumnType): Code | undefined {
  if (typeof type !== 'object' || type === null) return undefined;
  switch (type.type) {
    case 'varchar':
    case 'char':
      return call(`t.${type.type}`, literal(type.length));
    case 'decimal':
      if (type.precision === undefined) return call('t.decimal');
      return type.scale === undefined
        ? call('t.decimal', literal(type.precision))
        : call('t.decimal', literal(type.precision), literal(type.scale));
    case 'time':
    case 'timestamp':
      return type.withTimeZone === true
        ? call(`t.${type.type}`, object([['withTimeZone', literal(true)]]))
        : call(`t.${type.type}`);
    case 'custom':
      return call('t.custom', literal(type.sql));
    case 'text':
    case 'blob':
      return type.size === undefined ? call(`t.${type.type}`) : call(`t.${type.type}`, object([['size', literal(type.size)]]));
    case 'json':
      return type.binary === true ? call('t.jsonb') : call('t.json');
    case 'enum':
      return call('t.enum', array(type.values.map((value) => literal(value))));
    case 'array': {
      const of = typeHelperCode(type.of);
      if (of === undefined) return undefined;
      return type.dimensions === undefined || type.dimensions === 1 ? method(of, 'array') : method(of, 'array', literal(type.dimensions));
    }
    default:
      return COLUMN_TYPE_NAMES.includes(type.type) ? call(`t.${type.type}`) : undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Tables, indexes, foreign keys

/**
 * `op.createTable(name, columns, options)` for a table state (the arguments `defineTable`
 * takes too): column-level primary key,
 * unique and foreign key where one column holds them, table options for the rest, defaults
 * (names, actions) left out.
 */
export function createTableCode(table: TableState): Code {
  const callee = 'op.createTable';
  const name = table.name;
  const primaryKey = table.primaryKey;
  const inlinePrimaryKey =
    primaryKey && primaryKey.name === undefined && primaryKey.columns.length === 1 ? primaryKey.columns[0] : undefined;

  const uniqueOf = new Map<string, true | string>();
  const uniques: Code[] = [];
  const indexes: Code[] = [];
  for (const index of table.indexes) {
    const single = index.columns.length === 1 ? index.columns[0]! : undefined;
    if (index.unique && index.where === undefined && single !== undefined && !uniqueOf.has(single)) {
      uniqueOf.set(single, index.name === constraintName(name, index.columns, 'key') ? true : index.name);
    } else if (index.unique && index.where === undefined) {
      uniques.push(
        index.name === constraintName(name, index.columns, 'key')
          ? columnsCode(index.columns)
          : object([['name', literal(index.name)], ['columns', columnsCode(index.columns)]]),
      );
    } else {
      indexes.push(indexCode(name, index));
    }
  }

  const foreignKeyOf = new Map<string, ForeignKeyState>();
  const foreignKeys: Code[] = [];
  for (const foreignKey of table.foreignKeys) {
    const single = foreignKey.columns.length === 1 ? foreignKey.columns[0]! : undefined;
    if (single !== undefined && foreignKey.references.columns.length === 1 && !foreignKeyOf.has(single)) {
      foreignKeyOf.set(single, foreignKey);
    } else {
      foreignKeys.push(foreignKeyCode(name, foreignKey));
    }
  }

  const columns = object(
    table.columns.map((column) => [
      column.name,
      columnCode(column, name, {
        primaryKey: column.name === inlinePrimaryKey,
        unique: uniqueOf.get(column.name),
        foreignKey: foreignKeyOf.get(column.name),
      }),
    ]),
    true,
  );
  const options = object(
    [
      primaryKey && inlinePrimaryKey === undefined
        ? [
            'primaryKey',
            primaryKey.name === undefined
              ? columnsCode(primaryKey.columns)
              : object([['name', literal(primaryKey.name)], ['columns', columnsCode(primaryKey.columns)]]),
          ]
        : undefined,
      uniques.length > 0 ? ['uniques', array(uniques)] : undefined,
      indexes.length > 0 ? ['indexes', array(indexes)] : undefined,
      foreignKeys.length > 0 ? ['foreignKeys', array(foreignKeys)] : undefined,
    ],
    true,
  );
  const hasOptions = options.kind === 'object' && options.entries.length > 0;
  return hasOptions ? call(callee, literal(name), columns, options) : call(callee, literal(name), columns);
}

/**
 * `{ name: 'users_email_idx', columns: ['email'], unique: true }`. The name is always written,
 * even when it is the default one: a reviewer sees the name a later `op.dropIndex` uses.
 */
export function indexCode(_table: string, index: IndexState): Code {
  return object([
    ['name', literal(index.name)],
    ['columns', columnsCode(index.columns)],
    index.unique ? ['unique', literal(true)] : undefined,
    index.where === undefined ? undefined : ['where', literal(index.where)],
  ]);
}

/** `{ columns, references: { table, columns }, onDelete? }`: defaults left out. */
export function foreignKeyCode(table: string, foreignKey: ForeignKeyState): Code {
  return object([
    foreignKey.name === constraintName(table, foreignKey.columns, 'fkey') ? undefined : ['name', literal(foreignKey.name)],
    ['columns', columnsCode(foreignKey.columns)],
    [
      'references',
      object([
        ['table', literal(foreignKey.references.table)],
        ['columns', columnsCode(foreignKey.references.columns)],
      ]),
    ],
    foreignKey.onDelete === 'no action' ? undefined : ['onDelete', literal(foreignKey.onDelete)],
    foreignKey.onUpdate === 'no action' ? undefined : ['onUpdate', literal(foreignKey.onUpdate)],
  ]);
}

function columnsCode(columns: readonly string[]): Code {
  return array(columns.map((column) => literal(column)));
}

export function statementsCode(statements: string | readonly string[]): Code {
  return typeof statements === 'string'
    ? literal(statements, { multiline: true })
    : array(statements.map((statement) => literal(statement, { multiline: true })));
}
