import { compileBuiltin, constraintName, getTable, requireTable } from '@covet/core/dialect';
import type {
  AddColumnArgs,
  BuiltinOperationCompiler,
  CompileResult,
  AddForeignKeyArgs,
  AlterColumnArgs,
  CompileContext,
  CreateIndexArgs,
  CreateTableArgs,
  DropColumnArgs,
  DropForeignKeyArgs,
  DropIndexArgs,
  RenameIndexArgs,
  DropTableArgs,
  Operation,
  RenameColumnArgs,
  RenameTableArgs,
  SqlStatement,
  TableState,
} from '@covet/core/dialect';
import { compileRebuild } from './sqlite-rebuild.js';
import { renderColumn, renderCreateIndex, renderCreateTable, type Quote } from './sqlite-render.js';
import { mentions, namedConstraints, parseCreateTable, tokenize } from './sqlite-table-sql.js';

interface MasterRow {
  type: string;
  name: string;
  tbl_name: string;
  sql: string | null;
}

/**
 * Turns Covet's built-in operations into SQLite statements. It uses SQLite's own ALTER TABLE
 * where SQLite can (ADD/RENAME/DROP COLUMN, RENAME TO, CREATE/DROP INDEX) and a table rebuild
 * (see {@link compileRebuild}) for everything else.
 */
export class SqliteCompiler implements BuiltinOperationCompiler {
  readonly #quote: Quote;

  constructor(quote: Quote) {
    this.#quote = quote;
  }

  /** The statements for `operation`, or `undefined` for a kind SQLite does not know. */
  compile(operation: Operation, context: CompileContext): CompileResult | undefined {
    return compileBuiltin(this, operation, context);
  }

  createTable(args: CreateTableArgs, context: CompileContext): CompileResult {
    const q = this.#quote;
    const table = getTable(context.stateAfter, args.name) ?? args;
    return [{ sql: renderCreateTable(q, table) }, ...table.indexes.map((index) => ({ sql: renderCreateIndex(q, table.name, index) }))];
  }

  dropTable(args: DropTableArgs): CompileResult {
    return [{ sql: `DROP TABLE ${this.#quote(args.name)}` }];
  }

  renameTable(args: RenameTableArgs): CompileResult {
    // Since SQLite 3.26 RENAME TO also rewrites the foreign keys of other tables that point here.
    return [{ sql: `ALTER TABLE ${this.#quote(args.from)} RENAME TO ${this.#quote(args.to)}` }];
  }

  alterColumn(args: AlterColumnArgs, context: CompileContext): CompileResult {
    return this.#rebuild(args.table, context, { alteredColumns: [args.column.name] });
  }

  renameColumn(args: RenameColumnArgs): CompileResult {
    const q = this.#quote;
    return [{ sql: `ALTER TABLE ${q(args.table)} RENAME COLUMN ${q(args.from)} TO ${q(args.to)}` }];
  }

  createIndex(args: CreateIndexArgs): CompileResult {
    return [{ sql: renderCreateIndex(this.#quote, args.table, args.index) }];
  }

  addForeignKey(args: AddForeignKeyArgs, context: CompileContext): CompileResult {
    // SQLite has no ALTER TABLE ... ADD CONSTRAINT: https://www.sqlite.org/omitted.html
    return this.#rebuild(args.table, context, {});
  }

  dropForeignKey(args: DropForeignKeyArgs, context: CompileContext): CompileResult {
    return this.#rebuild(args.table, context, {});
  }

  #rebuild(
    table: string,
    context: CompileContext,
    changes: { addedColumns?: string[]; droppedColumns?: string[]; alteredColumns?: string[] },
  ): Promise<SqlStatement[]> {
    const before = requireTable(context.stateBefore, table);
    const after = requireTable(context.stateAfter, table);
    return compileRebuild(this.#quote, { table, before, after, ...changes }, context);
  }

  /**
   * ADD COLUMN works unless the column is NOT NULL without a non-null default or its default is
   * an expression (SQLite only accepts constant defaults there):
   * https://www.sqlite.org/lang_altertable.html#altertabaddcol
   */
  addColumn(args: AddColumnArgs, context: CompileContext): CompileResult {
    const column = args.column;
    const hasValue = column.default?.kind === 'value' && column.default.value !== null;
    // A STORED generated column cannot be added by ALTER TABLE (a VIRTUAL one can).
    const native = column.default?.kind !== 'sql' && (column.nullable || hasValue) && column.generated?.stored !== true;
    if (!native) return this.#rebuild(args.table, context, { addedColumns: [column.name] });
    const table: TableState = requireTable(context.stateAfter, args.table);
    return [{ sql: `ALTER TABLE ${this.#quote(args.table)} ADD COLUMN ${renderColumn(this.#quote, { ...table, primaryKey: undefined }, column)}` }];
  }

  /**
   * DROP COLUMN fails for a column in an index, a key, a CHECK, a view or a trigger
   * (https://www.sqlite.org/lang_altertable.html#altertabdropcol), so those rebuild the table.
   */
  async dropColumn(args: DropColumnArgs, context: CompileContext): Promise<readonly SqlStatement[]> {
    const before = requireTable(context.stateBefore, args.table);
    let constrained =
      before.indexes.some((i) => i.columns.includes(args.column)) ||
      before.foreignKeys.some((fk) => fk.columns.includes(args.column)) ||
      Boolean(before.primaryKey?.columns.includes(args.column));
    if (!constrained && context.query) {
      const master = await context.query<MasterRow>('SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL');
      const live = master.find((row) => row.type === 'table' && row.name.toLowerCase() === args.table.toLowerCase());
      const parsed = live?.sql ? parseCreateTable(live.sql) : undefined;
      const definitions = parsed?.definitions ?? [];
      constrained =
        definitions.some((d) =>
          d.kind === 'column'
            ? d.name.toLowerCase() === args.column.toLowerCase() && d.constraints.some((c) => !['NOT', 'NULL', 'DEFAULT', 'COLLATE'].includes(c.kind))
            : mentions(d.tokens, args.column),
        ) ||
        master.some(
          (row) =>
            row.type !== 'table' &&
            (row.tbl_name.toLowerCase() === args.table.toLowerCase() || row.type === 'view') &&
            mentions(tokenize(row.sql!), args.column),
        );
    }
    if (constrained) return this.#rebuild(args.table, context, { droppedColumns: [args.column] });
    return [{ sql: `ALTER TABLE ${this.#quote(args.table)} DROP COLUMN ${this.#quote(args.column)}` }];
  }

  /**
   * SQLite cannot rename an index: it is dropped and created again under the new name, or,
   * when it is a UNIQUE constraint of the table's SQL, the table is rebuilt with the new name.
   */
  async renameIndex(args: RenameIndexArgs, context: CompileContext): Promise<readonly SqlStatement[]> {
    const index = requireTable(context.stateBefore, args.table).indexes.find((i) => i.name === args.from)!;
    const dropped = await this.dropIndex({ table: args.table, name: args.from }, context);
    if (dropped.length !== 1 || !dropped[0]!.sql.startsWith('DROP INDEX')) return dropped;
    return [...dropped, ...(await this.createIndex({ table: args.table, index: { ...index, name: args.to } }))];
  }

  /** An index that is really a UNIQUE constraint of the table's SQL can only go with a rebuild. */
  async dropIndex(args: DropIndexArgs, context: CompileContext): Promise<readonly SqlStatement[]> {
    if (context.query) {
      const rows = await context.query<MasterRow>(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE",
        [args.table],
      );
      const parsed = rows[0]?.sql ? parseCreateTable(rows[0].sql) : undefined;
      if (parsed && namedConstraints(parsed, args.table, constraintName).some((c) => c.type === 'UNIQUE' && c.name === args.name)) {
        return this.#rebuild(args.table, context, {});
      }
    }
    return [{ sql: `DROP INDEX ${this.#quote(args.name)}` }];
  }
}
