import { compileBuiltin, CovetError, getTable, requireTable } from '@covet/core/dialect';
import type {
  AddColumnArgs,
  BuiltinOperationCompiler,
  CompileResult,
  AddForeignKeyArgs,
  AlterColumnArgs,
  ColumnState,
  CompileContext,
  CreateIndexArgs,
  CreateTableArgs,
  DropColumnArgs,
  DropForeignKeyArgs,
  DropIndexArgs,
  RenameIndexArgs,
  DropTableArgs,
  ForeignKeyState,
  IndexState,
  Operation,
  RenameColumnArgs,
  RenameTableArgs,
  RunSqlArgs,
  SqlStatement,
  TableState,
} from '@covet/core/dialect';
import { splitStatements } from './mysql-statements.js';
import { autoIncrementIndexes, baseTypeSql, defaultSql, isAutoIncrement, isLargeType, typeSql } from './mysql-types.js';

/** Quotes an identifier with backticks (after validating it). */
export type Quote = (name: string) => string;

/** Prefix length for indexed TEXT/BLOB columns (255 utf8mb4 characters = 1020 bytes, under InnoDB's 3072). */
export const INDEX_PREFIX_LENGTH = 255;

const ACTIONS: Record<string, string> = {
  cascade: 'CASCADE',
  'set null': 'SET NULL',
  restrict: 'RESTRICT',
  'no action': 'NO ACTION',
};

/**
 * Turns Covet's built-in operations into MySQL/MariaDB statements.
 *
 * Each operation is ONE statement where MySQL allows it (a single `ALTER TABLE` with several
 * clauses, or a `CREATE TABLE` with its keys, indexes and foreign keys inline): DDL is not
 * transactional on MySQL, but since MySQL 8.0 and MariaDB 10.6 a single DDL statement is
 * atomic, so an operation either happened or did not, and the runner can undo a failed
 * migration by reversing the operations that ran. Only `runSql` with several statements can
 * stop half way.
 *
 * A foreign key needs an index whose first columns are its columns; when none of the table's
 * indexes is one, the compiler adds an index named like the foreign key (as MySQL would do
 * itself), and the introspector hides that index again, so states compare equal. Dropping the
 * foreign key drops that index too.
 */
export class MysqlCompiler implements BuiltinOperationCompiler {
  readonly #quote: Quote;

  constructor(quote: Quote) {
    this.#quote = quote;
  }

  /** The statements for `operation`, or `undefined` for a kind MySQL does not know. */
  compile(operation: Operation, context: CompileContext): CompileResult | undefined {
    return compileBuiltin(this, operation, context);
  }

  createTable(args: CreateTableArgs, context: CompileContext): CompileResult {
    const table = getTable(context.stateAfter, args.name) ?? args;
    return [{ sql: this.createTableSql(table) }];
  }

  dropTable(args: DropTableArgs): CompileResult {
    return [{ sql: `DROP TABLE ${this.#quote(args.name)}` }];
  }

  renameTable(args: RenameTableArgs): CompileResult {
    // Foreign keys of other tables that reference it follow the new name.
    return [{ sql: `RENAME TABLE ${this.#quote(args.from)} TO ${this.#quote(args.to)}` }];
  }

  addColumn(args: AddColumnArgs, context: CompileContext): CompileResult {
    const table = requireTable(context.stateAfter, args.table);
    const column = table.columns.find((c) => c.name === args.column.name) ?? args.column;
    const clauses = [`ADD COLUMN ${this.columnSql(column, args.table)}`, ...this.#autoIncrementIndexClauses(table, column.name)];
    return [{ sql: `ALTER TABLE ${this.#quote(args.table)} ${clauses.join(', ')}` }];
  }

  renameColumn(args: RenameColumnArgs): CompileResult {
    // RENAME COLUMN: MySQL 8.0, MariaDB 10.5. Indexes, keys and references follow.
    const q = this.#quote;
    return [{ sql: `ALTER TABLE ${q(args.table)} RENAME COLUMN ${q(args.from)} TO ${q(args.to)}` }];
  }

  createIndex(args: CreateIndexArgs, context: CompileContext): CompileResult {
    const table = requireTable(context.stateAfter, args.table);
    return [{ sql: `ALTER TABLE ${this.#quote(args.table)} ADD ${this.indexSql(table, args.index)}` }];
  }

  addForeignKey(args: AddForeignKeyArgs, context: CompileContext): CompileResult {
    const q = this.#quote;
    const table = requireTable(context.stateAfter, args.table);
    const clauses = [`ADD ${this.foreignKeySql(args.foreignKey)}`];
    if (!hasIndexFor(table, args.foreignKey)) clauses.unshift(`ADD INDEX ${q(args.foreignKey.name)} (${args.foreignKey.columns.map(q).join(', ')})`);
    return [{ sql: `ALTER TABLE ${q(args.table)} ${clauses.join(', ')}` }];
  }

  runSql(args: RunSqlArgs): CompileResult {
    const list = typeof args.sql === 'string' ? [args.sql] : args.sql;
    return list.flatMap((sql) => splitStatements(sql)).map((sql) => ({ sql }));
  }

  /** `` `name` type [NOT] NULL [DEFAULT ...] ``, from the column's full definition. */
  columnSql(column: ColumnState, table: string): string {
    const where = `${table}.${column.name}`;
    if (column.identity === 'always') {
      throw new CovetError('OPERATION_UNSUPPORTED', `MySQL has no identity column that refuses given values: ${where} is .identity({ always: true })`, {
        hint: 'Use .identity() (AUTO_INCREMENT, which takes given values), or t.serial().',
      });
    }
    if (column.type.type === 'array') {
      throw new CovetError('OPERATION_UNSUPPORTED', `MySQL has no array columns: ${where} is an array of ${column.type.of.type}`, {
        hint: 'Use t.json() to hold a list, or a child table with one row per element.',
      });
    }
    if (column.type.type === 'enum' && column.type.values.some((value) => value.includes('\\'))) {
      throw new CovetError('OPERATION_UNSUPPORTED', `MySQL cannot store an enum value holding a backslash the same under every sql_mode (${where})`, {
        hint: 'Write the values without a backslash.',
      });
    }
    if (column.type.type === 'decimal' && column.type.precision === undefined) {
      // MySQL reads a bare DECIMAL as decimal(10,0): every fraction would be rounded away.
      throw new CovetError('OPERATION_UNSUPPORTED', `MySQL has no decimal without precision: ${where} is t.decimal() (MySQL would make it decimal(10,0), rounding every fraction away)`, {
        hint: 'Give the precision and scale to keep, e.g. t.decimal(65, 30) (MySQL\'s largest), or use t.double().',
      });
    }
    const type = column.identity === undefined ? typeSql(column.type) : `${typeSql(column.type)} AUTO_INCREMENT`;
    const autoIncrement = isAutoIncrement(column);
    const parts = [this.#quote(column.name), type];
    if (column.collation !== undefined) parts.push(`COLLATE ${this.#quote(column.collation)}`);
    if (column.generated !== undefined) {
      // MariaDB takes no NULL / NOT NULL on a generated column (its values are whatever the expression gives).
      if (!column.nullable) {
        throw new CovetError('OPERATION_UNSUPPORTED', `MariaDB cannot declare a generated column NOT NULL: ${where} is .generated().notNull()`, {
          hint: 'Leave out .notNull() (a NOT NULL expression never gives NULL), or make the column a plain one.',
        });
      }
      parts.push(`GENERATED ALWAYS AS (${column.generated.sql}) ${column.generated.stored ? 'STORED' : 'VIRTUAL'}`);
    } else {
      parts.push(column.nullable && !autoIncrement ? 'NULL' : 'NOT NULL');
    }
    if (column.default !== undefined && !autoIncrement) parts.push(`DEFAULT ${defaultSql(column.default, baseTypeSql(column.type))}`);
    if (column.comment !== undefined) {
      // A COMMENT clause takes a plain string only, where a backslash means one thing or another as sql_mode says.
      if (column.comment.includes('\\')) {
        throw new CovetError('OPERATION_UNSUPPORTED', `MySQL cannot store a column comment holding a backslash the same under every sql_mode (${where})`, {
          hint: 'Write the comment without a backslash.',
        });
      }
      parts.push(`COMMENT '${column.comment.replace(/'/g, "''")}'`);
    }
    return parts.join(' ');
  }

  /**
   * A change of how a column is generated, which MODIFY cannot always make (MariaDB: "not yet
   * supported for generated columns" between virtual and stored, or from virtual to plain):
   * - to a generated column (or another expression or storage): DROP and ADD in one statement,
   *   AFTER the column before it so its place is kept; the values are computed from the rows.
   * - from a virtual column to a plain one: its values are copied into a new column first.
   * A stored column becoming a plain one keeps its values with MODIFY (undefined here).
   */
  #generationChange(after: TableState, previous: ColumnState, column: ColumnState): SqlStatement[] | undefined {
    if (previous.generated === undefined && column.generated === undefined) return undefined;
    if (sameGenerated(previous, column)) return undefined;
    if (column.generated === undefined && previous.generated?.stored === true) return undefined;
    const q = this.#quote;
    const table = q(after.name);
    const position = after.columns.findIndex((c) => c.name === column.name);
    const place = position <= 0 ? 'FIRST' : `AFTER ${q(after.columns[position - 1]!.name)}`;
    if (column.generated !== undefined) {
      return [{ sql: `ALTER TABLE ${table} DROP COLUMN ${q(column.name)}, ADD COLUMN ${this.columnSql(column, after.name)} ${place}` }];
    }
    // Virtual to plain: a new column beside it takes the values, then takes its name and place.
    const temporary = `${column.name.slice(0, 50)}__covet_copy`;
    return [
      { sql: `ALTER TABLE ${table} ADD COLUMN ${this.columnSql({ ...column, name: temporary, nullable: true }, after.name)} AFTER ${q(column.name)}` },
      { sql: `UPDATE ${table} SET ${q(temporary)} = ${q(column.name)}` },
      { sql: `ALTER TABLE ${table} DROP COLUMN ${q(column.name)}, CHANGE COLUMN ${q(temporary)} ${this.columnSql(column, after.name)}` },
    ];
  }

  /** `[UNIQUE] INDEX name (columns)`, with a prefix length on TEXT/BLOB columns. */
  indexSql(table: TableState, index: IndexState): string {
    if (index.where !== undefined) {
      throw new CovetError('OPERATION_UNSUPPORTED', `MySQL has no partial indexes: index ${index.name} of ${table.name} has a where clause`, {
        hint: 'Drop the where option, or index a generated column instead.',
      });
    }
    const columns = index.columns.map((name) => {
      const column = table.columns.find((c) => c.name === name);
      return column && isLargeType(baseTypeSql(column.type)) ? `${this.#quote(name)}(${INDEX_PREFIX_LENGTH})` : this.#quote(name);
    });
    return `${index.unique ? 'UNIQUE ' : ''}INDEX ${this.#quote(index.name)} (${columns.join(', ')})`;
  }

  foreignKeySql(foreignKey: ForeignKeyState): string {
    const q = this.#quote;
    return (
      `CONSTRAINT ${q(foreignKey.name)} FOREIGN KEY (${foreignKey.columns.map(q).join(', ')}) ` +
      `REFERENCES ${q(foreignKey.references.table)} (${foreignKey.references.columns.map(q).join(', ')}) ` +
      `ON DELETE ${action(foreignKey, 'onDelete')} ON UPDATE ${action(foreignKey, 'onUpdate')}`
    );
  }

  createTableSql(table: TableState): string {
    const q = this.#quote;
    const definitions = table.columns.map((column) => this.columnSql(column, table.name));
    // MySQL always names the primary key PRIMARY; a name in the state cannot be kept.
    if (table.primaryKey) definitions.push(`PRIMARY KEY (${table.primaryKey.columns.map(q).join(', ')})`);
    for (const index of table.indexes) definitions.push(this.indexSql(table, index));
    // An auto-increment column second in a composite key needs an index of its own (ER_WRONG_AUTO_KEY).
    for (const index of autoIncrementIndexes(table)) definitions.push(this.indexSql(table, index));
    for (const foreignKey of table.foreignKeys) {
      if (!hasIndexFor(table, foreignKey)) definitions.push(`INDEX ${q(foreignKey.name)} (${foreignKey.columns.map(q).join(', ')})`);
      definitions.push(this.foreignKeySql(foreignKey));
    }
    return `CREATE TABLE ${q(table.name)} (\n  ${definitions.join(',\n  ')}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;
  }

  /** `ADD INDEX` for the index an auto-increment column `column` needs, if it needs one (see {@link autoIncrementIndexes}). */
  #autoIncrementIndexClauses(table: TableState, column: string): string[] {
    return autoIncrementIndexes(table)
      .filter((index) => index.columns[0] === column)
      .map((index) => `ADD ${this.indexSql(table, index)}`);
  }

  /** Names of the indexes the live table has, or `undefined` for an offline (dry run) compile. */
  async #liveIndexes(context: CompileContext, table: string): Promise<Set<string> | undefined> {
    if (!context.query) return undefined;
    const rows = await context.query<{ INDEX_NAME: string }>(
      'SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
      [table],
    );
    return new Set(rows.map((row) => row.INDEX_NAME));
  }

  /** The hidden index MySQL keeps for a foreign key with no index of its own: it exists live, or (offline) no index covers the key. */
  #hasHiddenIndex(live: Set<string> | undefined, before: TableState, foreignKey: ForeignKeyState): boolean {
    if (before.indexes.some((index) => index.name === foreignKey.name)) return false;
    return live ? live.has(foreignKey.name) : !hasIndexFor(before, foreignKey);
  }

  /**
   * Index clauses that keep every remaining foreign key of `after` backed by an index, once the
   * indexes named in `dropped` are gone (MySQL refuses to drop the last index a foreign key uses).
   */
  #keepForeignKeyIndexes(after: TableState, live: Set<string> | undefined, before: TableState, dropped: ReadonlySet<string>): string[] {
    const q = this.#quote;
    const clauses: string[] = [];
    for (const foreignKey of after.foreignKeys) {
      if (hasIndexFor(after, foreignKey)) continue;
      const hidden = this.#hasHiddenIndex(live, before, foreignKey) && !dropped.has(foreignKey.name);
      if (!hidden) clauses.push(`ADD INDEX ${q(foreignKey.name)} (${foreignKey.columns.map(q).join(', ')})`);
    }
    return clauses;
  }

  /** ALTER TABLE ... RENAME INDEX (MySQL 5.7, MariaDB 10.5.2). */
  renameIndex(args: RenameIndexArgs): CompileResult {
    const q = this.#quote;
    return [{ sql: `ALTER TABLE ${q(args.table)} RENAME INDEX ${q(args.from)} TO ${q(args.to)}` }];
  }

  async dropIndex(args: DropIndexArgs, context: CompileContext): Promise<readonly SqlStatement[]> {
    const q = this.#quote;
    const before = requireTable(context.stateBefore, args.table);
    const after = requireTable(context.stateAfter, args.table);
    const live = after.foreignKeys.some((fk) => !hasIndexFor(after, fk)) ? await this.#liveIndexes(context, args.table) : undefined;
    const clauses = [`DROP INDEX ${q(args.name)}`, ...this.#keepForeignKeyIndexes(after, live, before, new Set([args.name]))];
    return [{ sql: `ALTER TABLE ${q(args.table)} ${clauses.join(', ')}` }];
  }

  async dropForeignKey(args: DropForeignKeyArgs, context: CompileContext): Promise<readonly SqlStatement[]> {
    const q = this.#quote;
    const before = requireTable(context.stateBefore, args.table);
    const foreignKey = before.foreignKeys.find((fk) => fk.name === args.name);
    const clauses = [`DROP FOREIGN KEY ${q(args.name)}`];
    if (foreignKey && this.#hasHiddenIndex(await this.#liveIndexes(context, args.table), before, foreignKey)) clauses.push(`DROP INDEX ${q(args.name)}`);
    return [{ sql: `ALTER TABLE ${q(args.table)} ${clauses.join(', ')}` }];
  }

  /** Drops the column's foreign keys (with their hidden indexes) and indexes, then the column, in one statement. */
  async dropColumn(args: DropColumnArgs, context: CompileContext): Promise<readonly SqlStatement[]> {
    const q = this.#quote;
    const before = requireTable(context.stateBefore, args.table);
    const after = requireTable(context.stateAfter, args.table);
    const foreignKeys = before.foreignKeys.filter((fk) => fk.columns.includes(args.column));
    const indexes = before.indexes.filter((index) => index.columns.includes(args.column));
    const live = foreignKeys.length > 0 || after.foreignKeys.length > 0 ? await this.#liveIndexes(context, args.table) : undefined;
    const clauses: string[] = [];
    const dropped = new Set<string>();
    for (const foreignKey of foreignKeys) {
      clauses.push(`DROP FOREIGN KEY ${q(foreignKey.name)}`);
      if (this.#hasHiddenIndex(live, before, foreignKey)) {
        clauses.push(`DROP INDEX ${q(foreignKey.name)}`);
        dropped.add(foreignKey.name);
      }
    }
    for (const index of indexes) {
      clauses.push(`DROP INDEX ${q(index.name)}`);
      dropped.add(index.name);
    }
    // A hidden index of a remaining foreign key that also holds this column shrinks with it; that still backs the key.
    clauses.push(`DROP COLUMN ${q(args.column)}`, ...this.#keepForeignKeyIndexes(after, live, before, dropped));
    return [{ sql: `ALTER TABLE ${q(args.table)} ${clauses.join(', ')}` }];
  }

  /**
   * `MODIFY COLUMN` with the column's whole definition from the state after the change (MySQL
   * forgets any attribute MODIFY does not restate). Indexes on the column are rebuilt in the
   * same statement when the column changes between a type that needs an index prefix
   * (TEXT/BLOB) and one that does not.
   */
  alterColumn(args: AlterColumnArgs, context: CompileContext): readonly SqlStatement[] {
    const q = this.#quote;
    const before = requireTable(context.stateBefore, args.table);
    const after = requireTable(context.stateAfter, args.table);
    const column = after.columns.find((c) => c.name === args.column.name) ?? args.column;
    const previous = before.columns.find((c) => c.name === args.column.name);
    const generation = previous === undefined ? undefined : this.#generationChange(after, previous, column);
    if (generation) return generation;
    const prefixChanged = previous !== undefined && isLargeType(baseTypeSql(previous.type)) !== isLargeType(baseTypeSql(column.type));
    const rebuilt = prefixChanged ? after.indexes.filter((index) => index.columns.includes(column.name)) : [];
    // A column that becomes auto-increment gets the index it needs in the same statement.
    const needsIndex = previous !== undefined && !isAutoIncrement(previous) ? this.#autoIncrementIndexClauses(after, column.name) : [];
    const clauses = [
      ...rebuilt.map((index) => `DROP INDEX ${q(index.name)}`),
      ...needsIndex,
      `MODIFY COLUMN ${this.columnSql(column, args.table)}`,
      ...rebuilt.map((index) => `ADD ${this.indexSql(after, index)}`),
    ];
    return [{ sql: `ALTER TABLE ${q(args.table)} ${clauses.join(', ')}` }];
  }
}

function sameGenerated(a: ColumnState, b: ColumnState): boolean {
  return a.generated?.sql === b.generated?.sql && a.generated?.stored === b.generated?.stored;
}

function action(foreignKey: ForeignKeyState, which: 'onDelete' | 'onUpdate'): string {
  const value = foreignKey[which];
  const sql = ACTIONS[value];
  if (sql === undefined) {
    // InnoDB parses SET DEFAULT but rejects it: https://dev.mysql.com/doc/refman/8.0/en/create-table-foreign-keys.html
    throw new CovetError('OPERATION_UNSUPPORTED', `InnoDB does not support ${which === 'onDelete' ? 'ON DELETE' : 'ON UPDATE'} ${value.toUpperCase()} (foreign key ${foreignKey.name})`, {
      hint: "Use 'set null', 'restrict', 'cascade' or 'no action'.",
    });
  }
  return sql;
}

/** True when an index or the primary key of `table` starts with the foreign key's columns, as InnoDB requires. */
export function hasIndexFor(table: TableState, foreignKey: ForeignKeyState): boolean {
  const starts = (columns: readonly string[]) =>
    columns.length >= foreignKey.columns.length && foreignKey.columns.every((column, i) => columns[i] === column);
  return (table.primaryKey !== undefined && starts(table.primaryKey.columns)) || table.indexes.some((index) => starts(index.columns));
}
