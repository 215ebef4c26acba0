import {
  COLUMN_TYPE_NAMES,
  constraintName,
  CovetError,
  op,
  sql,
  t,
  isBuiltinOperationKind,
  type BuiltinOperationArgs,
  type BuiltinOperationKind,
  type ColumnState,
  type ColumnType,
  type CreateTableArgs,
  type ForeignKeyState,
  type IndexState,
  type Operation,
  type OperationRegistry,
} from '@covet/core';
import {
  array,
  call,
  commented,
  evaluateCode,
  literal,
  method,
  object,
  raw,
  sameData,
  sqlTag,
  valueCode,
  type Code,
} from './code-tree.js';

/** A named import a written operation needs. */
export interface CodeImport {
  readonly from: string;
  readonly names: readonly string[];
}

/** The code of one operation and the imports it needs besides `@covet/core`'s `op`, `t`, `sql`. */
export interface OperationCode {
  readonly code: Code;
  readonly imports: readonly CodeImport[];
}

/** What generated code may use from `@covet/core`, and what it evaluates to here. */
const CORE_SCOPE: Readonly<Record<string, unknown>> = Object.freeze({ op, t, sql });

/**
 * The `op.<kind>(...)` call of each built-in kind. Its type is derived from the list of
 * built-in kinds, so a kind without a writer here does not compile.
 */
const BUILTIN_WRITERS: { readonly [Kind in BuiltinOperationKind]: (args: BuiltinOperationArgs[Kind]) => Code } = {
  createTable: (args) => createTableCode(args),
  dropTable: (args) => call('op.dropTable', literal(args.name)),
  renameTable: (args) => call('op.renameTable', literal(args.from), literal(args.to)),
  addColumn: (args) => call('op.addColumn', literal(args.table), literal(args.column.name), columnCode(args.column)),
  dropColumn: (args) => call('op.dropColumn', literal(args.table), literal(args.column)),
  alterColumn: (args) => call('op.alterColumn', literal(args.table), literal(args.column.name), columnCode(args.column)),
  renameColumn: (args) => call('op.renameColumn', literal(args.table), literal(args.from), literal(args.to)),
  createIndex: (args) => call('op.createIndex', literal(args.table), indexCode(args.table, args.index)),
  dropIndex: (args) => call('op.dropIndex', literal(args.table), literal(args.name)),
  addForeignKey: (args) => call('op.addForeignKey', literal(args.table), foreignKeyCode(args.table, args.foreignKey)),
  dropForeignKey: (args) => call('op.dropForeignKey', literal(args.table), literal(args.name)),
  runSql: (args) =>
    args.reverseSql === undefined
      ? call('op.runSql', statementsCode(args.sql))
      : call('op.runSql', statementsCode(args.sql), statementsCode(args.reverseSql)),
};

/**
 * The code that rebuilds `operation` in a migration file: a plugin definition's `write`, the
 * built-in `op.*` builder, or `op.custom(kind, args)`. Built-in code is evaluated here and
 * compared with the operation; when the builder cannot rebuild the arguments exactly (data
 * made by hand that no builder produces), the operation is written as data with `op.custom`.
 *
 * @param where names the operation in errors (`operation #2`)
 */
export function operationCode(operation: Operation, registry: OperationRegistry | undefined, where: string): OperationCode {
  const definition = registry?.has(operation.kind) ? registry.get(operation.kind) : undefined;
  if (definition?.write) return pluginCode(operation, definition.write.bind(definition), where);
  const writer = isBuiltinOperationKind(operation.kind)
    ? (BUILTIN_WRITERS[operation.kind] as (args: unknown) => Code)
    : undefined;
  if (writer) {
    let code: Code | undefined;
    try {
      code = writer(operation.args);
    } catch {
      code = undefined;
    }
    if (code && rebuilds(code, operation)) return { code, imports: [] };
    const data = customCode(operation, where);
    return {
      code: commented(`Written as data: op.${operation.kind}() cannot rebuild these arguments exactly.`, data),
      imports: [],
    };
  }
  return { code: customCode(operation, where), imports: [] };
}

function customCode(operation: Operation, where: string): Code {
  const code = call('op.custom', literal(operation.kind), valueCode(operation.args, `${where}, ${operation.kind}`));
  if (!rebuilds(code, operation)) {
    throw new CovetError('OPERATION_UNWRITABLE', `Arguments of ${operation.kind} cannot be written exactly (${where})`, {
      hint: 'Operation arguments must be plain data: strings, numbers, booleans, null, arrays and plain objects.',
    });
  }
  return code;
}

function rebuilds(code: Code, operation: Operation): boolean {
  try {
    const rebuilt = evaluateCode(code, CORE_SCOPE) as Operation;
    return rebuilt.kind === operation.kind && sameData(rebuilt.args, operation.args);
  } catch {
    return false;
  }
}

const IMPORT_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function pluginCode(operation: Operation, write: (args: unknown) => unknown, where: string): OperationCode {
  let written: { code?: unknown; imports?: unknown };
  try {
    written = write(operation.args) as typeof written;
  } catch (error) {
    throw new CovetError(
      'OPERATION_UNWRITABLE',
      `write() of ${operation.kind} failed: ${(error as Error)?.message?.split('\n')[0] ?? String(error)} (${where})`,
      { cause: error },
    );
  }
  if (typeof written !== 'object' || written === null || typeof written.code !== 'string' || written.code.trim() === '') {
    throw new CovetError('OPERATION_UNWRITABLE', `write() of ${operation.kind} returned no code (${where})`, {
      hint: "Return { code: 'views.createView(...)', imports: [{ from: 'covet-plugin-views', names: ['views'] }] }.",
    });
  }
  const imports = (written.imports ?? []) as readonly CodeImport[];
  if (!Array.isArray(imports)) {
    throw new CovetError('OPERATION_UNWRITABLE', `write() of ${operation.kind} returned invalid imports (${where})`);
  }
  for (const entry of imports) {
    const valid =
      typeof entry === 'object' &&
      entry !== null &&
      typeof entry.from === 'string' &&
      entry.from.length > 0 &&
      Array.isArray(entry.names) &&
      (entry.names as readonly unknown[]).every((name) => typeof name === 'string' && IMPORT_NAME.test(name));
    if (!valid) {
      throw new CovetError('OPERATION_UNWRITABLE', `write() of ${operation.kind} returned an invalid import (${where})`, {
        hint: "Each import is { from: 'package-name', names: ['identifier', ...] }.",
      });
    }
  }
  return { code: raw(written.code.trim()), imports };
}

// ---------------------------------------------------------------------------------------------
// Columns

interface ColumnExtras {
  readonly primaryKey?: boolean;
  /** `true` for `.unique()`, a name for `.unique(name)`. */
  readonly unique?: true | string;
  readonly foreignKey?: ForeignKeyState;
}

/** `t.varchar(255).notNull().default('x')` for a column state (and its column-level constraints). */
function columnCode(column: ColumnState, table?: string, extras: ColumnExtras = {}): Code {
  let code = typeCode(column.type);
  let nullable = (evaluateCode(code, CORE_SCOPE) as { spec: { nullable: boolean } }).spec.nullable;
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
      const built = evaluateCode(candidate, CORE_SCOPE) as { spec: { type: ColumnType } };
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
    default:
      return COLUMN_TYPE_NAMES.includes(type.type) ? call(`t.${type.type}`) : undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Tables, indexes, foreign keys

/**
 * `op.createTable(name, columns, options)` for a table state, or with `callee` another
 * function of the same arguments (`defineTable` for a model file): column-level primary key,
 * unique and foreign key where one column holds them, table options for the rest, defaults
 * (names, actions) left out.
 */
export function createTableCode(table: CreateTableArgs, callee = 'op.createTable'): Code {
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
function indexCode(_table: string, index: IndexState): Code {
  return object([
    ['name', literal(index.name)],
    ['columns', columnsCode(index.columns)],
    index.unique ? ['unique', literal(true)] : undefined,
    index.where === undefined ? undefined : ['where', literal(index.where)],
  ]);
}

/** `{ columns, references: { table, columns }, onDelete? }`: defaults left out. */
function foreignKeyCode(table: string, foreignKey: ForeignKeyState): Code {
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

function statementsCode(statements: string | readonly string[]): Code {
  return typeof statements === 'string'
    ? literal(statements, { multiline: true })
    : array(statements.map((statement) => literal(statement, { multiline: true })));
}
