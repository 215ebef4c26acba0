import { constraintName, createNameRecord } from '@covet/core/dialect';
import type {
  ColumnState,
  ForeignKeyState,
  IndexState,
  ReferentialAction,
  SchemaIntrospector,
  SchemaState,
  TableState,
  UnmanagedObject,
} from '@covet/core/dialect';
import { isKeyword, namedConstraints, parseCreateTable, tokenize, type ParsedTable } from './sqlite-table-sql.js';
import { enumCheckValues, parseDeclaredType, parseDefault } from './sqlite-types.js';

/** Runs a read query; the introspector needs nothing else from a connection. */
export type SqliteQuery = <Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]) => Promise<Row[]>;

interface MasterRow {
  type: string;
  name: string;
  tbl_name: string;
  sql: string | null;
}
interface ColumnRow {
  tbl: string;
  cid: number;
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
  /** 0: a plain column; 2: a virtual generated one; 3: a stored one (1: hidden, of a virtual table). */
  hidden: number;
}
interface IndexRow {
  tbl: string;
  idx: string;
  is_unique: number;
  origin: string;
  partial: number;
  seqno: number;
  cid: number;
  col: string | null;
}
interface ForeignKeyRow {
  tbl: string;
  id: number;
  seq: number;
  parent: string;
  from_column: string;
  to_column: string | null;
  on_update: string;
  on_delete: string;
}

/** Tables Covet does not report: SQLite's own and Covet's (tracking table, rebuild leftovers). */
function isInternal(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith('sqlite_') || lower.startsWith('covet_') || lower.startsWith('__covet_');
}

// The pragma table-valued functions (https://www.sqlite.org/pragma.html#pragfunc) let one query
// read a pragma for every table at once, so introspection costs four queries whatever the size.
const TABLES = "(SELECT name FROM sqlite_master WHERE type = 'table')";
// table_xinfo, unlike table_info, lists generated columns (SQLite 3.26+).
const COLUMNS_SQL = `SELECT m.name AS tbl, p.cid, p.name, p.type, p."notnull", p.dflt_value, p.pk, p.hidden
  FROM ${TABLES} AS m JOIN pragma_table_xinfo(m.name) AS p WHERE p.hidden <> 1 ORDER BY m.name, p.cid`;
const INDEXES_SQL = `SELECT m.name AS tbl, l.name AS idx, l."unique" AS is_unique, l.origin, l.partial, i.seqno, i.cid, i.name AS col
  FROM ${TABLES} AS m JOIN pragma_index_list(m.name) AS l JOIN pragma_index_info(l.name) AS i ORDER BY m.name, l.name, i.seqno`;
const FOREIGN_KEYS_SQL = `SELECT m.name AS tbl, f.id, f.seq, f."table" AS parent, f."from" AS from_column, f."to" AS to_column, f.on_update, f.on_delete
  FROM ${TABLES} AS m JOIN pragma_foreign_key_list(m.name) AS f ORDER BY m.name, f.id, f.seq`;

/**
 * Reads a SQLite database's schema as Covet state in four queries: `sqlite_master`, then the
 * columns, indexes and foreign keys of every table through pragma table-valued functions.
 * What the pragmas do not report (constraint names, AUTOINCREMENT, partial-index predicates) is
 * read from the tables' SQL.
 */
export class SqliteIntrospector implements SchemaIntrospector {
  readonly #query: SqliteQuery;

  constructor(query: SqliteQuery) {
    this.#query = query;
  }

  async introspect(): Promise<SchemaState> {
    const master = await this.#query<MasterRow>('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid');
    const columnRows = await this.#query<ColumnRow>(COLUMNS_SQL);
    const indexRows = await this.#query<IndexRow>(INDEXES_SQL);
    const foreignKeyRows = await this.#query<ForeignKeyRow>(FOREIGN_KEYS_SQL);

    const group = <Row extends { tbl: string }>(rows: Row[]) => {
      const map = new Map<string, Row[]>();
      for (const row of rows) map.set(row.tbl, [...(map.get(row.tbl) ?? []), row]);
      return map;
    };
    const columnsByTable = group(columnRows);
    const indexesByTable = group(indexRows);
    const foreignKeysByTable = group(foreignKeyRows);

    const tables = createNameRecord<TableState>();
    const unmanaged: UnmanagedObject[] = [];
    const primaryKeys = new Map<string, string[]>();
    for (const [table, rows] of columnsByTable) {
      primaryKeys.set(table, rows.filter((r) => r.pk > 0).sort((a, b) => a.pk - b.pk).map((r) => r.name));
    }
    for (const row of master) {
      if (row.type === 'view' || row.type === 'trigger') {
        unmanaged.push(row.type === 'trigger' ? { kind: 'trigger', name: row.name, table: row.tbl_name } : { kind: 'view', name: row.name });
      }
      if (row.type !== 'table' || isInternal(row.name) || !row.sql) continue;
      const parsed = parseCreateTable(row.sql);
      if (!parsed) continue;
      tables[row.name] = readTable(
        row.name,
        parsed,
        columnsByTable.get(row.name) ?? [],
        indexesByTable.get(row.name) ?? [],
        foreignKeysByTable.get(row.name) ?? [],
        master,
        primaryKeys,
        unmanaged,
      );
    }
    return unmanaged.length > 0 ? { tables, unmanaged } : { tables };
  }
}

/** The text inside the first balanced parentheses of `text` (string literals skipped). */
function parenthesised(text: string): string | undefined {
  const start = text.indexOf('(');
  if (start < 0) return undefined;
  let depth = 0;
  let quote: string | undefined;
  for (let i = start; i < text.length; i++) {
    const character = text[i]!;
    if (quote !== undefined) {
      if (character === quote) quote = undefined;
    } else if (character === "'" || character === '"' || character === '`') {
      quote = character;
    } else if (character === '(') {
      depth++;
    } else if (character === ')' && --depth === 0) {
      return text.slice(start + 1, i).trim();
    }
  }
  return undefined;
}

function readTable(
  name: string,
  parsed: ParsedTable,
  columnRows: ColumnRow[],
  indexRows: IndexRow[],
  foreignKeyRows: ForeignKeyRow[],
  master: MasterRow[],
  primaryKeys: Map<string, string[]>,
  unmanaged: UnmanagedObject[],
): TableState {
  const constraints = namedConstraints(parsed, name, constraintName);
  const keyColumns = primaryKeys.get(name) ?? [];
  const autoincrement = new Set(
    parsed.definitions
      .filter((d) => d.kind === 'column' && d.constraints.some((c) => c.kind === 'PRIMARY' && c.tokens.some((t) => isKeyword(t, 'AUTOINCREMENT'))))
      .map((d) => (d.kind === 'column' ? d.name.toLowerCase() : '')),
  );

  // COLLATE clauses, which the pragmas do not report.
  const collations = new Map<string, string>();
  for (const definition of parsed.definitions) {
    if (definition.kind !== 'column') continue;
    const clause = definition.constraints.find((c) => c.kind === 'COLLATE');
    const name = clause?.tokens.find((token, index) => index > 0 && !isKeyword(token, 'COLLATE'))?.value;
    if (name !== undefined) collations.set(definition.name.toLowerCase(), name);
  }
  // Generation expressions (GENERATED ALWAYS AS (...) / AS (...)), which the pragmas do not report either.
  const expressions = new Map<string, string>();
  for (const definition of parsed.definitions) {
    if (definition.kind !== 'column') continue;
    const clause = definition.constraints.find((c) => c.kind === 'GENERATED');
    const expression = clause ? parenthesised(clause.text) : undefined;
    if (expression !== undefined) expressions.set(definition.name.toLowerCase(), expression);
  }
  // A text column with CHECK (column IN ('a', ...)) is an enum (SQLite's usual emulation of one).
  const enums = new Map<string, string[]>();
  for (const definition of parsed.definitions) {
    if (definition.kind !== 'column') continue;
    for (const check of definition.constraints.filter((c) => c.kind === 'CHECK')) {
      const values = enumCheckValues(check.text, definition.name);
      if (values !== undefined) enums.set(definition.name.toLowerCase(), values);
    }
  }
  const columns: ColumnState[] = columnRows.map((row) => {
    if (autoincrement.has(row.name.toLowerCase()) && keyColumns.length === 1) {
      return { name: row.name, type: { type: 'serial' }, nullable: false };
    }
    const declared = parseDeclaredType(row.type);
    const values = enums.get(row.name.toLowerCase());
    const type: ColumnState['type'] = values !== undefined && declared.type === 'text' ? { type: 'enum', values } : declared;
    // An INTEGER PRIMARY KEY is the rowid, never NULL, even when NOT NULL is not written.
    const nullable = row.notnull === 0 && !(row.pk > 0 && keyColumns.length === 1 && row.type.toUpperCase() === 'INTEGER');
    const collation = collations.get(row.name.toLowerCase());
    const column: ColumnState = collation === undefined ? { name: row.name, type, nullable } : { name: row.name, type, nullable, collation };
    const expression = expressions.get(row.name.toLowerCase());
    if ((row.hidden === 2 || row.hidden === 3) && expression !== undefined) return { ...column, generated: { sql: expression, stored: row.hidden === 3 } };
    return row.dflt_value === null ? column : { ...column, default: parseDefault(row.dflt_value, type) };
  });

  const primaryConstraint = constraints.find((c) => c.type === 'PRIMARY');
  const primaryKey =
    keyColumns.length === 0
      ? undefined
      : primaryConstraint?.explicitName
        ? { name: primaryConstraint.name, columns: keyColumns }
        : { columns: keyColumns };

  const indexes: IndexState[] = [];
  const byIndex = new Map<string, IndexRow[]>();
  for (const row of indexRows) byIndex.set(row.idx, [...(byIndex.get(row.idx) ?? []), row]);
  for (const [indexName, rows] of byIndex) {
    const first = rows[0]!;
    if (first.origin === 'pk') continue;
    if (rows.some((r) => r.col === null)) {
      // An index on an expression: the state holds column lists only.
      unmanaged.push({ kind: 'index', name: indexName, table: name });
      continue;
    }
    const columns = rows.map((r) => r.col!);
    if (first.origin === 'u') {
      // An inline UNIQUE constraint (sqlite_autoindex_*): named like the unique index Covet would create.
      const named = constraints.find((c) => c.type === 'UNIQUE' && sameColumns(c.columns, columns));
      indexes.push({ name: named?.name ?? constraintName(name, columns, 'key'), columns, unique: true });
      continue;
    }
    const sql = master.find((m) => m.type === 'index' && m.name === indexName)?.sql ?? '';
    const where = first.partial ? partialPredicate(sql) : undefined;
    indexes.push(where ? { name: indexName, columns, unique: first.is_unique === 1, where } : { name: indexName, columns, unique: first.is_unique === 1 });
  }

  const foreignKeys: ForeignKeyState[] = [];
  const byId = new Map<number, ForeignKeyRow[]>();
  for (const row of foreignKeyRows) byId.set(row.id, [...(byId.get(row.id) ?? []), row]);
  for (const rows of byId.values()) {
    const first = rows[0]!;
    const from = rows.map((r) => r.from_column);
    // `REFERENCES parent` without columns means the parent's primary key.
    const to = rows.every((r) => r.to_column !== null) ? rows.map((r) => r.to_column!) : (primaryKeys.get(first.parent) ?? []);
    const named = constraints.find((c) => c.type === 'FOREIGN' && sameColumns(c.columns, from));
    foreignKeys.push({
      name: named?.name ?? constraintName(name, from, 'fkey'),
      columns: from,
      references: { table: first.parent, columns: to },
      onDelete: action(first.on_delete),
      onUpdate: action(first.on_update),
    });
  }

  const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const table: TableState = { name, columns, indexes: indexes.sort(byName), foreignKeys: foreignKeys.sort(byName) };
  return primaryKey ? { ...table, primaryKey } : table;
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((column, i) => column.toLowerCase() === b[i]!.toLowerCase());
}

function action(value: string): ReferentialAction {
  const lower = value.toLowerCase() as ReferentialAction;
  return ['cascade', 'set null', 'set default', 'restrict', 'no action'].includes(lower) ? lower : 'no action';
}

/** The text after the top-level WHERE of a CREATE INDEX. */
function partialPredicate(sql: string): string | undefined {
  let depth = 0;
  for (const token of tokenize(sql)) {
    if (token.text === '(') depth++;
    if (token.text === ')') depth--;
    if (depth === 0 && isKeyword(token, 'WHERE')) return sql.slice(token.end).trim();
  }
  return undefined;
}
