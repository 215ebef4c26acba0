import { constraintName, CovetError } from '@covet/core/dialect';
import type { ColumnState, CompileContext, SqlStatement, TableState } from '@covet/core/dialect';
import { generatedSql, refuseUnsupported, renderColumn, renderCreateIndex, renderCreateTable, renderForeignKey, type Quote } from './sqlite-render.js';
import {
  isKeyword,
  mentions,
  namedConstraints,
  parseCreateTable,
  tokenize,
  type ColumnDefinition,
} from './sqlite-table-sql.js';
import { declaredType, enumCheckSql, enumCheckValues, renderDefault } from './sqlite-types.js';

/** What a table rebuild changes; everything else about the table is kept. */
export interface RebuildPlan {
  /** The table's name (the same before and after). */
  readonly table: string;
  readonly before: TableState;
  readonly after: TableState;
  /** Columns added (they get their default), dropped, or redefined (type, nullability, default). */
  readonly addedColumns?: readonly string[];
  readonly droppedColumns?: readonly string[];
  readonly alteredColumns?: readonly string[];
}

interface MasterRow {
  type: string;
  name: string;
  tbl_name: string;
  sql: string | null;
}

/** The prefix of the temporary table a rebuild copies into. */
export const REBUILD_PREFIX = '__covet_new_';

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * The statements that rebuild a table with a change SQLite cannot ALTER, following
 * https://www.sqlite.org/lang_altertable.html#otheralter: create `__covet_new_<table>`, copy the
 * rows with an explicit column list, drop the old table, rename the new one to the real name
 * (so the child tables' foreign keys, which name the real table, still point at it), then
 * recreate the indexes, triggers and views.
 *
 * The new CREATE TABLE is the live table's own SQL with the change applied, so CHECK
 * constraints, COLLATE clauses and other things Covet's state does not model survive. Without
 * `context.query` (an offline dry run), or for a table not in the database yet, it is rendered
 * from the state instead.
 *
 * The statements must run with `PRAGMA foreign_keys=OFF` (set by the connection before its
 * transaction), or dropping the old table would cascade-delete the children's rows.
 */
export async function compileRebuild(validatedQuote: Quote, plan: RebuildPlan, context: CompileContext): Promise<SqlStatement[]> {
  // The temporary name may pass the identifier length limit; it is the (validated) table name
  // with a fixed prefix, so it is quoted without the check.
  validatedQuote(plan.table);
  const quote: Quote = (name) => (name === `${REBUILD_PREFIX}${plan.table}` ? `"${name}"` : validatedQuote(name));
  const master = context.query
    ? await context.query<MasterRow>('SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid')
    : [];
  const live = master.find((row) => row.type === 'table' && same(row.name, plan.table));
  const parsed = live?.sql ? parseCreateTable(live.sql) : undefined;
  const temporary = `${REBUILD_PREFIX}${plan.table}`;
  const dropped = new Set((plan.droppedColumns ?? []).map((c) => c.toLowerCase()));
  const altered = new Set((plan.alteredColumns ?? []).map((c) => c.toLowerCase()));
  const added = new Set((plan.addedColumns ?? []).map((c) => c.toLowerCase()));

  let createSql: string;
  let generated = new Set<string>();
  if (parsed && live) {
    checkLiveColumns(plan, parsed.definitions.filter((d): d is ColumnDefinition => d.kind === 'column'));
    generated = new Set(
      parsed.definitions
        .filter((d): d is ColumnDefinition => d.kind === 'column' && d.constraints.some((c) => c.kind === 'GENERATED'))
        .map((d) => d.name.toLowerCase()),
    );
    createSql = editCreateTable(quote, plan, parsed, temporary, { dropped, altered, added });
  } else {
    createSql = renderCreateTable(quote, plan.after, temporary);
  }

  // Generated columns take no value: those the new table computes are left out of the copy (a
  // column that stops being generated is copied: its old values are readable).
  const computed = (c: ColumnState) => c.generated !== undefined || (generated.has(c.name.toLowerCase()) && !altered.has(c.name.toLowerCase()));
  const copied = plan.after.columns.filter((c) => !added.has(c.name.toLowerCase()) && !computed(c));
  const selectList = copied.map((column) => copyExpression(quote, plan, column));
  const statements: SqlStatement[] = [];

  // Views that name the table are dropped first and recreated last: since SQLite 3.26 a
  // RENAME checks every view and trigger of the schema, and a view naming a missing table fails it.
  const views = master.filter((row) => row.type === 'view' && mentions(tokenize(row.sql!), plan.table));
  for (const view of views) statements.push({ sql: `DROP VIEW ${quote(view.name)}` });

  statements.push({ sql: createSql });
  statements.push({
    sql: `INSERT INTO ${quote(temporary)} (${copied.map((c) => quote(c.name)).join(', ')}) SELECT ${selectList.join(', ')} FROM ${quote(plan.table)}`,
  });

  // AUTOINCREMENT keeps its high-water mark in sqlite_sequence (https://www.sqlite.org/autoinc.html);
  // DROP TABLE deletes the old row, so carry the larger of the old and the new value over.
  const autoincrement = /\bAUTOINCREMENT\b/i;
  if (live?.sql && autoincrement.test(live.sql) && autoincrement.test(createSql)) {
    statements.push({
      sql: 'INSERT INTO sqlite_sequence (name, seq) SELECT ?, 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?)',
      params: [temporary, temporary],
    });
    statements.push({
      sql: 'UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0)) WHERE name = ?',
      params: [plan.table, temporary],
    });
  }

  statements.push({ sql: `DROP TABLE ${quote(plan.table)}` });
  // legacy_alter_table=ON: the rename must not rewrite or re-check other objects that name the
  // (now missing) real table, such as triggers of other tables (https://www.sqlite.org/pragma.html#pragma_legacy_alter_table).
  const legacy = context.query ? await context.query<{ legacy_alter_table: number }>('PRAGMA legacy_alter_table') : [];
  statements.push({ sql: 'PRAGMA legacy_alter_table = ON' });
  statements.push({ sql: `ALTER TABLE ${quote(temporary)} RENAME TO ${quote(plan.table)}` });
  statements.push({ sql: `PRAGMA legacy_alter_table = ${legacy[0]?.legacy_alter_table ? 'ON' : 'OFF'}` });

  if (parsed && live) {
    const removedIndexes = new Set(
      plan.before.indexes.filter((i) => !plan.after.indexes.some((a) => a.name === i.name)).map((i) => i.name),
    );
    for (const row of master) {
      if (row.type !== 'index' || !same(row.tbl_name, plan.table) || removedIndexes.has(row.name)) continue;
      if ([...dropped].some((column) => mentions(tokenize(row.sql!), column))) continue;
      statements.push({ sql: row.sql! });
    }
    for (const index of plan.after.indexes) {
      const existsLive = master.some((row) => row.type === 'index' && same(row.name, index.name));
      const isConstraint = namedConstraints(parsed, plan.table, constraintName).some((c) => c.type === 'UNIQUE' && c.name === index.name);
      if (!existsLive && !isConstraint && !plan.before.indexes.some((b) => b.name === index.name)) {
        statements.push({ sql: renderCreateIndex(quote, plan.table, index) });
      }
    }
    for (const row of master) {
      if (row.type === 'trigger' && same(row.tbl_name, plan.table)) statements.push({ sql: row.sql! });
    }
  } else {
    for (const index of plan.after.indexes) statements.push({ sql: renderCreateIndex(quote, plan.table, index) });
  }
  for (const view of views) statements.push({ sql: view.sql! });
  return statements;
}

/**
 * Refuses to rebuild from a live table that does not match the state the operation was
 * planned on: copying would lose the columns the state does not know.
 */
function checkLiveColumns(plan: RebuildPlan, columns: readonly ColumnDefinition[]): void {
  const live = columns.map((c) => c.name.toLowerCase()).sort();
  const expected = plan.before.columns.map((c) => c.name.toLowerCase()).sort();
  if (live.join('\0') !== expected.join('\0')) {
    throw new CovetError(
      'REBUILD_STATE_MISMATCH',
      `Table "${plan.table}" has columns (${live.join(', ')}) in the database but (${expected.join(', ')}) in the migration state`,
      { hint: 'Compile each SQLite operation right before it runs, after the previous ones were applied.' },
    );
  }
}

/** The value copied into a column: a column made NOT NULL with a default takes it for NULLs. */
function copyExpression(quote: Quote, plan: RebuildPlan, column: ColumnState): string {
  const before = plan.before.columns.find((c) => c.name === column.name);
  if (before?.nullable && !column.nullable && column.default !== undefined) {
    return `coalesce(${quote(column.name)}, ${renderDefault(column.default)})`;
  }
  return quote(column.name);
}

function editCreateTable(
  quote: Quote,
  plan: RebuildPlan,
  parsed: NonNullable<ReturnType<typeof parseCreateTable>>,
  temporary: string,
  changes: { dropped: Set<string>; altered: Set<string>; added: Set<string> },
): string {
  const foreignKeyNames = new Set(plan.after.foreignKeys.map((fk) => fk.name));
  const indexNames = new Set(plan.after.indexes.map((i) => i.name));
  const constraints = namedConstraints(parsed, plan.table, constraintName);
  const liveForeignKeys = new Set(constraints.filter((c) => c.type === 'FOREIGN').map((c) => c.name));
  const keep = (type: string, name: string) =>
    type === 'FOREIGN' ? foreignKeyNames.has(name) : type === 'UNIQUE' ? indexNames.has(name) : true;

  const columns: string[] = [];
  const tableConstraints: string[] = [];
  for (const definition of parsed.definitions) {
    if (definition.kind === 'constraint') {
      if ([...changes.dropped].some((column) => mentions(definition.tokens.slice(definition.name ? 2 : 0), column))) continue;
      const named = constraints.find((c) => c.tokens === definition.tokens);
      if (named && !keep(named.type, named.name)) continue;
      tableConstraints.push(definition.text);
      continue;
    }
    if (changes.dropped.has(definition.name.toLowerCase())) continue;
    const column = plan.after.columns.find((c) => same(c.name, definition.name));
    const removed = new Set(
      constraints
        .filter((c) => c.column === definition.name && !keep(c.type, c.name))
        .map((c) => c.tokens),
    );
    if (column && changes.altered.has(definition.name.toLowerCase())) {
      columns.push(rewriteColumn(quote, plan.table, definition, column, removed));
    } else if (removed.size > 0) {
      columns.push(
        [definition.tokens[0]!.text, definition.type, ...definition.constraints.filter((c) => !removed.has(c.tokens)).map((c) => c.text)]
          .filter((part) => part !== '')
          .join(' '),
      );
    } else {
      columns.push(definition.text);
    }
  }
  for (const column of plan.after.columns) {
    if (changes.added.has(column.name.toLowerCase())) columns.push(renderColumn(quote, plan.after, column));
  }
  for (const foreignKey of plan.after.foreignKeys) {
    if (!liveForeignKeys.has(foreignKey.name)) tableConstraints.push(renderForeignKey(quote, foreignKey));
  }
  const tail = parsed.tail.replace(/^\)/, '');
  return `CREATE TABLE ${quote(temporary)} (\n  ${[...columns, ...tableConstraints].join(',\n  ')}\n)${tail}`;
}

/**
 * A column definition with a new type, nullability, collation, generation and default; its
 * other constraints (PRIMARY KEY, UNIQUE, CHECK, REFERENCES) are kept as written.
 */
function rewriteColumn(quote: Quote, table: string, definition: ColumnDefinition, column: ColumnState, removed: Set<unknown>): string {
  refuseUnsupported(table, column);
  // An enum's CHECK is the column's type on SQLite: it is written again from the state.
  const isEnumCheck = (c: { kind: string; text: string }) => c.kind === 'CHECK' && enumCheckValues(c.text, definition.name) !== undefined;
  const kept = definition.constraints.filter((c) => !['NOT', 'NULL', 'DEFAULT', 'COLLATE', 'GENERATED'].includes(c.kind) && !isEnumCheck(c) && !removed.has(c.tokens));
  const autoincrement = kept.some((c) => c.kind === 'PRIMARY' && c.tokens.some((t) => isKeyword(t, 'AUTOINCREMENT')));
  const parts = [quote(column.name), autoincrement ? 'INTEGER' : declaredType(column.type), ...kept.map((c) => c.text)];
  if (column.collation !== undefined) parts.push(`COLLATE ${quote(column.collation)}`);
  if (column.generated !== undefined) parts.push(generatedSql(column));
  if (column.type.type === 'enum') parts.push(enumCheckSql(quote, column.name, column.type.values));
  if (!column.nullable) parts.push('NOT NULL');
  if (column.default !== undefined) parts.push(`DEFAULT ${renderDefault(column.default)}`);
  return parts.join(' ');
}

