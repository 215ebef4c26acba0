import { compileBuiltin, getTable, requireTable } from '@covet/core/dialect';
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
  DropTableArgs,
  ForeignKeyState,
  IndexState,
  Operation,
  RenameColumnArgs,
  RenameTableArgs,
  SqlStatement,
  TableState,
} from '@covet/core/dialect';
import { isSerial, normalizePostgresColumn, renderDefault, renderType, serialBase } from './postgres-types.js';

/** Quotes an identifier after validating it. */
export type Quote = (name: string) => string;

const ACTIONS: Readonly<Record<string, string>> = {
  cascade: 'CASCADE',
  'set null': 'SET NULL',
  'set default': 'SET DEFAULT',
  restrict: 'RESTRICT',
  'no action': 'NO ACTION',
};

/** Types between which PostgreSQL has an assignment cast, so ALTER ... TYPE needs no USING. */
const FAMILIES: readonly (readonly string[])[] = [
  ['varchar', 'char', 'text'],
  ['smallint', 'integer', 'bigint', 'decimal', 'real', 'double', 'smallserial', 'serial', 'bigserial'],
  ['time', 'timestamp', 'date'],
];

function sameFamily(a: ColumnState, b: ColumnState): boolean {
  if (a.type.type === b.type.type && a.type.type !== 'custom') return true;
  return FAMILIES.some((family) => family.includes(a.type.type) && family.includes(b.type.type));
}

/**
 * Turns Covet's built-in operations into PostgreSQL statements, with PostgreSQL's own ALTER
 * forms: one `ALTER TABLE` with DROP DEFAULT, TYPE ... USING, SET/DROP NOT NULL and SET DEFAULT
 * for a column change (PostgreSQL runs the sub-commands in that order whatever they are
 * written in: https://www.postgresql.org/docs/current/sql-altertable.html#SQL-ALTERTABLE-NOTES),
 * serial columns as `serial` types, unique and partial indexes, named foreign keys.
 */
export class PostgresCompiler implements BuiltinOperationCompiler {
  readonly #quote: Quote;

  constructor(quote: Quote) {
    this.#quote = quote;
  }

  /** The statements for `operation`, or `undefined` for a kind this dialect does not know. */
  compile(operation: Operation, context: CompileContext): CompileResult | undefined {
    return compileBuiltin(this, operation, context);
  }

  createTable(args: CreateTableArgs, context: CompileContext): CompileResult {
    const table = getTable(context.stateAfter, args.name) ?? (args as TableState);
    return [{ sql: this.createTableSql(table) }, ...table.indexes.map((index) => ({ sql: this.createIndexSql(table.name, index) }))];
  }

  dropTable(args: DropTableArgs): CompileResult {
    return [{ sql: `DROP TABLE ${this.#quote(args.name)}` }];
  }

  renameTable(args: RenameTableArgs): CompileResult {
    // Foreign keys of other tables follow the table: they point at its oid, not its name.
    return [{ sql: `ALTER TABLE ${this.#quote(args.from)} RENAME TO ${this.#quote(args.to)}` }];
  }

  addColumn(args: AddColumnArgs): CompileResult {
    return [{ sql: `ALTER TABLE ${this.#quote(args.table)} ADD COLUMN ${this.column(args.column)}` }];
  }

  dropColumn(args: DropColumnArgs): CompileResult {
    // Indexes and foreign keys on the column are dropped with it.
    return [{ sql: `ALTER TABLE ${this.#quote(args.table)} DROP COLUMN ${this.#quote(args.column)}` }];
  }

  renameColumn(args: RenameColumnArgs): CompileResult {
    const q = this.#quote;
    return [{ sql: `ALTER TABLE ${q(args.table)} RENAME COLUMN ${q(args.from)} TO ${q(args.to)}` }];
  }

  createIndex(args: CreateIndexArgs): CompileResult {
    return [{ sql: this.createIndexSql(args.table, args.index) }];
  }

  addForeignKey(args: AddForeignKeyArgs): CompileResult {
    return [{ sql: `ALTER TABLE ${this.#quote(args.table)} ADD ${this.foreignKey(args.foreignKey)}` }];
  }

  dropForeignKey(args: DropForeignKeyArgs): CompileResult {
    return [{ sql: `ALTER TABLE ${this.#quote(args.table)} DROP CONSTRAINT ${this.#quote(args.name)}` }];
  }

  /** `"name" type [NOT NULL] [DEFAULT ...]`; a serial's sequence is its default. */
  column(column: ColumnState): string {
    const parts = [this.#quote(column.name), renderType(column.type)];
    if (!column.nullable || isSerial(column.type)) parts.push('NOT NULL');
    if (column.default !== undefined && !isSerial(column.type)) parts.push(`DEFAULT ${renderDefault(column.default)}`);
    return parts.join(' ');
  }

  /** `CONSTRAINT "name" FOREIGN KEY (...) REFERENCES "t" (...) ON DELETE ... ON UPDATE ...`. */
  foreignKey(foreignKey: ForeignKeyState): string {
    const q = this.#quote;
    return (
      `CONSTRAINT ${q(foreignKey.name)} FOREIGN KEY (${foreignKey.columns.map(q).join(', ')}) ` +
      `REFERENCES ${q(foreignKey.references.table)} (${foreignKey.references.columns.map(q).join(', ')}) ` +
      `ON DELETE ${ACTIONS[foreignKey.onDelete] ?? 'NO ACTION'} ON UPDATE ${ACTIONS[foreignKey.onUpdate] ?? 'NO ACTION'}`
    );
  }

  /** CREATE TABLE with the primary key and foreign keys inline (indexes are separate statements). */
  createTableSql(table: TableState): string {
    const q = this.#quote;
    const definitions = table.columns.map((column) => this.column(column));
    const key = table.primaryKey;
    if (key) definitions.push(`${key.name ? `CONSTRAINT ${q(key.name)} ` : ''}PRIMARY KEY (${key.columns.map(q).join(', ')})`);
    for (const foreignKey of table.foreignKeys) definitions.push(this.foreignKey(foreignKey));
    return `CREATE TABLE ${q(table.name)} (\n  ${definitions.join(',\n  ')}\n)`;
  }

  /** CREATE [UNIQUE] INDEX, partial when the index has a `where`. */
  createIndexSql(table: string, index: IndexState): string {
    const q = this.#quote;
    return (
      `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX ${q(index.name)} ON ${q(table)} (${index.columns.map(q).join(', ')})` +
      (index.where ? ` WHERE ${index.where}` : '')
    );
  }

  /**
   * One ALTER TABLE for type, nullability and default. A serial has no ALTER form: turning a
   * column into one creates and attaches an owned sequence (started after the largest value),
   * turning one into a plain integer drops its sequence default.
   */
  alterColumn(args: AlterColumnArgs, context: CompileContext): SqlStatement[] {
    const q = this.#quote;
    const table = q(args.table);
    const column = q(args.column.name);
    const before = requireTable(context.stateBefore, args.table).columns.find((c) => c.name === args.column.name);
    const after = args.column;
    const old = before ? normalizePostgresColumn(before) : undefined;
    const next = normalizePostgresColumn(after);
    const wasSerial = old !== undefined && isSerial(old.type);
    const becomesSerial = isSerial(next.type);
    const actions: string[] = [];
    const oldType = old ? renderType(serialBase(old.type)) : undefined;
    const newType = renderType(serialBase(next.type));
    const typeChanges = oldType !== newType;
    const defaultText = (c: ColumnState | undefined) => (c?.default === undefined ? undefined : renderDefault(c.default));
    const defaultChanges = wasSerial !== becomesSerial || defaultText(old) !== defaultText(next);
    // The old default goes first when it changes or might not cast to the new type.
    // A serial staying a serial keeps its sequence default, which casts to any integer type.
    const keepsSequence = wasSerial && becomesSerial;
    if ((old?.default !== undefined || wasSerial) && (defaultChanges || typeChanges) && !keepsSequence) actions.push(`ALTER COLUMN ${column} DROP DEFAULT`);
    if (typeChanges) {
      const using = old && sameFamily(old, next) ? '' : ` USING ${column}::${newType}`;
      actions.push(`ALTER COLUMN ${column} TYPE ${newType}${using}`);
    }
    if (old?.nullable !== next.nullable || old === undefined) actions.push(`ALTER COLUMN ${column} ${next.nullable ? 'DROP' : 'SET'} NOT NULL`);
    if (next.default !== undefined && !becomesSerial && (defaultChanges || typeChanges)) {
      actions.push(`ALTER COLUMN ${column} SET DEFAULT ${renderDefault(next.default)}`);
    }
    const statements: SqlStatement[] = actions.length > 0 ? [{ sql: `ALTER TABLE ${table} ${actions.join(', ')}` }] : [];
    if (becomesSerial && !wasSerial) {
      // Named as `serial` would name it; IF NOT EXISTS reuses the one a former serial left behind.
      const sequence = q(`${args.table}_${args.column.name}_seq`.slice(0, 63));
      statements.push(
        { sql: `CREATE SEQUENCE IF NOT EXISTS ${sequence} AS ${newType} OWNED BY ${table}.${column}` },
        { sql: `SELECT setval('${sequence.replace(/'/g, "''")}', COALESCE((SELECT MAX(${column}) FROM ${table}), 0) + 1, false)` },
        { sql: `ALTER TABLE ${table} ALTER COLUMN ${column} SET DEFAULT nextval('${sequence.replace(/'/g, "''")}'::regclass)` },
      );
    }
    return statements;
  }

  /**
   * DROP INDEX, unless the index belongs to a UNIQUE (or PRIMARY KEY) constraint, which only
   * ALTER TABLE ... DROP CONSTRAINT removes. Without the live database (a dry run) it assumes
   * an index, which is what Covet itself creates.
   */
  async dropIndex(args: DropIndexArgs, context: CompileContext): Promise<readonly SqlStatement[]> {
    const q = this.#quote;
    if (context.query) {
      const rows = await context.query<{ constraint: boolean }>(
        `SELECT 1 AS "constraint" FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
          WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = $1 AND c.conname = $2 AND c.contype IN ('u', 'p', 'x')`,
        [args.table, args.name],
      );
      if (rows.length > 0) return [{ sql: `ALTER TABLE ${q(args.table)} DROP CONSTRAINT ${q(args.name)}` }];
    }
    return [{ sql: `DROP INDEX ${q(args.name)}` }];
  }
}
