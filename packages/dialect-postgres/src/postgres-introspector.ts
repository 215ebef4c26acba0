import { createNameRecord } from '@covet/core/dialect';
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
import { isSequenceDefault, parseDefault, parseType, serialOf } from './postgres-types.js';

/**
 * Sends several statements without parameters in one round trip (PostgreSQL's simple query
 * protocol) and returns the rows of each.
 */
export type PostgresBatchQuery = (sql: string) => Promise<Record<string, unknown>[][]>;

interface ColumnRow {
  table: string;
  column: string | null;
  type: string | null;
  notnull: boolean;
  default: string | null;
  identity: string;
  generated: string;
  dimensions: number | null;
  collation: string | null;
  comment: string | null;
}
interface ConstraintRow {
  table: string;
  name: string;
  type: 'p' | 'u' | 'f' | 'c' | 'x';
  columns: string[];
  ref_table: string | null;
  ref_columns: string[] | null;
  on_delete: string;
  on_update: string;
  index: string | null;
}
interface IndexRow {
  table: string;
  name: string;
  unique: boolean;
  where: string | null;
  plain: boolean;
  columns: string[];
}
interface UnmanagedRow {
  kind: string;
  name: string;
  table: string | null;
}

// Every query reads the schema named by `current_schema()` (the connection sets `search_path`
// to the configured schema), so the batch needs no parameters and goes in one round trip.
const SCHEMA = `(SELECT oid FROM pg_namespace WHERE nspname = current_schema())`;
const TABLE_KINDS = `('r', 'p')`;
const COLUMNS = (attrelid: string, numbers: string) =>
  `ARRAY(SELECT a.attname::text FROM unnest(${numbers}) WITH ORDINALITY AS u(n, o)
     JOIN pg_attribute a ON a.attrelid = ${attrelid} AND a.attnum = u.n ORDER BY u.o)`;

/** Tables and their columns (a table without columns still has one row). */
const COLUMNS_SQL = `SELECT c.relname::text AS "table", a.attname::text AS "column",
    format_type(a.atttypid, a.atttypmod) AS "type", COALESCE(a.attnotnull, false) AS "notnull",
    pg_get_expr(d.adbin, d.adrelid) AS "default", COALESCE(a.attidentity::text, '') AS "identity",
    COALESCE(a.attgenerated::text, '') AS "generated", a.attndims::int AS "dimensions",
    CASE WHEN a.attcollation <> 0 AND a.attcollation <> y.typcollation THEN k.collname::text END AS "collation",
    col_description(c.oid, a.attnum) AS "comment"
  FROM pg_class c
  LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
  LEFT JOIN pg_type y ON y.oid = a.atttypid
  LEFT JOIN pg_collation k ON k.oid = a.attcollation
  WHERE c.relnamespace = ${SCHEMA} AND c.relkind IN ${TABLE_KINDS}
  ORDER BY c.relname, a.attnum`;

/** Primary keys, unique constraints, foreign keys; checks and exclusions are reported as unmanaged. */
const CONSTRAINTS_SQL = `SELECT t.relname::text AS "table", k.conname::text AS "name", k.contype::text AS "type",
    ${COLUMNS('k.conrelid', 'k.conkey')} AS "columns",
    r.relname::text AS "ref_table", ${COLUMNS('k.confrelid', 'k.confkey')} AS "ref_columns",
    k.confdeltype::text AS "on_delete", k.confupdtype::text AS "on_update", i.relname::text AS "index"
  FROM pg_constraint k
  JOIN pg_class t ON t.oid = k.conrelid
  LEFT JOIN pg_class r ON r.oid = k.confrelid
  LEFT JOIN pg_class i ON i.oid = k.conindid
  WHERE t.relnamespace = ${SCHEMA} AND t.relkind IN ${TABLE_KINDS} AND k.contype IN ('p', 'u', 'f', 'c', 'x')
  ORDER BY t.relname, k.conname`;

/**
 * Indexes other than primary keys. \`plain\` is true for what the state can hold: a btree on
 * columns (no expressions, INCLUDE columns, DESC/NULLS options or non-default operator classes).
 */
const INDEXES_SQL = `SELECT t.relname::text AS "table", i.relname::text AS "name", x.indisunique AS "unique",
    pg_get_expr(x.indpred, x.indrelid) AS "where",
    (am.amname = 'btree' AND x.indexprs IS NULL AND x.indnatts = x.indnkeyatts
      AND NOT EXISTS (SELECT 1 FROM unnest(x.indoption::int2[]) AS o(v) WHERE o.v <> 0)
      AND NOT EXISTS (SELECT 1 FROM unnest(x.indclass::oid[]) WITH ORDINALITY AS c(oid, n)
        JOIN pg_opclass oc ON oc.oid = c.oid WHERE NOT oc.opcdefault)) AS "plain",
    ${COLUMNS('x.indrelid', 'x.indkey::int2[]')} AS "columns"
  FROM pg_index x
  JOIN pg_class i ON i.oid = x.indexrelid
  JOIN pg_class t ON t.oid = x.indrelid
  JOIN pg_am am ON am.oid = i.relam
  WHERE t.relnamespace = ${SCHEMA} AND t.relkind IN ${TABLE_KINDS} AND NOT x.indisprimary
  ORDER BY t.relname, i.relname`;

/**
 * Everything else in the schema: views, materialized views, foreign tables, sequences no
 * column owns, functions and procedures, triggers, rules, and types (enums, domains, composites,
 * ranges). Objects that belong to an extension are left out.
 */
const UNMANAGED_SQL = `SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table'
      ELSE 'sequence' END AS "kind", c.relname::text AS "name", NULL::text AS "table"
    FROM pg_class c
    WHERE c.relnamespace = ${SCHEMA} AND c.relkind IN ('v', 'm', 'f', 'S')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i', 'e'))
  UNION ALL
  SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END, p.proname::text, NULL
    FROM pg_proc p
    WHERE p.pronamespace = ${SCHEMA}
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
  UNION ALL
  SELECT 'trigger', g.tgname::text, c.relname::text
    FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
    WHERE c.relnamespace = ${SCHEMA} AND NOT g.tgisinternal
  UNION ALL
  SELECT 'rule', w.rulename::text, c.relname::text
    FROM pg_rewrite w JOIN pg_class c ON c.oid = w.ev_class
    WHERE c.relnamespace = ${SCHEMA} AND c.relkind IN ${TABLE_KINDS} AND w.rulename <> '_RETURN'
  UNION ALL
  SELECT CASE y.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain' WHEN 'r' THEN 'range' ELSE 'type' END, y.typname::text, NULL
    FROM pg_type y
    WHERE y.typnamespace = ${SCHEMA} AND y.typtype IN ('e', 'd', 'r', 'c')
      AND (y.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = y.typrelid) = 'c')
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = y.oid AND d.deptype = 'e')
  ORDER BY 1, 2`;

/** The four introspection queries, sent together in one round trip. */
export const INTROSPECTION_SQL = [COLUMNS_SQL, CONSTRAINTS_SQL, INDEXES_SQL, UNMANAGED_SQL].join(';\n');

const ACTIONS: Readonly<Record<string, ReferentialAction>> = {
  a: 'no action',
  r: 'restrict',
  c: 'cascade',
  n: 'set null',
  d: 'set default',
};

/** Tables Covet does not report: its own (the tracking table). */
function isInternal(name: string): boolean {
  return name.toLowerCase().startsWith('covet_');
}

/**
 * Reads a PostgreSQL schema as Covet state from the system catalogs, in one round trip of four
 * queries whatever the number of tables: columns (with `format_type` types and `pg_get_expr`
 * defaults), constraints, indexes, and the objects Covet does not manage. Unique constraints
 * and unique indexes both become unique indexes; an integer column whose default is a
 * sequence is a serial; an identity column keeps its integer type and says `identity`.
 */
export class PostgresIntrospector implements SchemaIntrospector {
  readonly #batch: PostgresBatchQuery;

  constructor(batch: PostgresBatchQuery) {
    this.#batch = batch;
  }

  async introspect(): Promise<SchemaState> {
    const [columnRows, constraintRows, indexRows, unmanagedRows] = (await this.#batch(INTROSPECTION_SQL)) as unknown as [
      ColumnRow[],
      ConstraintRow[],
      IndexRow[],
      UnmanagedRow[],
    ];
    const tables = new Map<string, { columns: ColumnState[]; indexes: IndexState[]; foreignKeys: ForeignKeyState[]; primaryKey?: TableState['primaryKey'] }>();
    const unmanaged: UnmanagedObject[] = unmanagedRows.map((row) => (row.table ? { kind: row.kind, name: row.name, table: row.table } : { kind: row.kind, name: row.name }));

    for (const row of columnRows) {
      if (isInternal(row.table)) continue;
      let table = tables.get(row.table);
      if (!table) tables.set(row.table, (table = { columns: [], indexes: [], foreignKeys: [] }));
      if (row.column === null || row.type === null) continue;
      table.columns.push(readColumn(row));
    }

    const constraintIndexes = new Set<string>();
    for (const row of constraintRows) {
      const table = tables.get(row.table);
      if (!table) continue;
      if (row.index) constraintIndexes.add(`${row.table}.${row.index}`);
      if (row.type === 'p') {
        table.primaryKey = row.name === `${row.table}_pkey` ? { columns: row.columns } : { name: row.name, columns: row.columns };
      } else if (row.type === 'u') {
        table.indexes.push({ name: row.name, columns: row.columns, unique: true });
      } else if (row.type === 'f') {
        table.foreignKeys.push({
          name: row.name,
          columns: row.columns,
          references: { table: row.ref_table ?? '', columns: row.ref_columns ?? [] },
          onDelete: ACTIONS[row.on_delete] ?? 'no action',
          onUpdate: ACTIONS[row.on_update] ?? 'no action',
        });
      } else {
        unmanaged.push({ kind: row.type === 'c' ? 'check' : 'exclusion constraint', name: row.name, table: row.table });
      }
    }

    for (const row of indexRows) {
      const table = tables.get(row.table);
      if (!table || constraintIndexes.has(`${row.table}.${row.name}`)) continue;
      if (!row.plain || row.columns.length === 0) {
        unmanaged.push({ kind: 'index', name: row.name, table: row.table });
        continue;
      }
      const where = row.where === null ? undefined : stripParentheses(row.where);
      table.indexes.push(where === undefined ? { name: row.name, columns: row.columns, unique: row.unique } : { name: row.name, columns: row.columns, unique: row.unique, where });
    }

    const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    const state = createNameRecord<TableState>();
    for (const [name, table] of tables) {
      const result: TableState = { name, columns: table.columns, indexes: table.indexes.sort(byName), foreignKeys: table.foreignKeys.sort(byName) };
      state[name] = table.primaryKey ? { ...result, primaryKey: table.primaryKey } : result;
    }
    return unmanaged.length > 0 ? { tables: state, unmanaged } : { tables: state };
  }
}

function readColumn(row: ColumnRow): ColumnState {
  const type = parseType(row.type!, row.dimensions ?? undefined);
  const name = row.column!;
  const extras = {
    ...(row.collation === null ? {} : { collation: row.collation }),
    ...(row.comment === null ? {} : { comment: row.comment }),
  };
  if (row.identity !== '') return { name, type, nullable: false, ...extras, identity: row.identity === 'a' ? 'always' : 'byDefault' };
  const serial = serialOf(type);
  if (serial && row.default !== null && isSequenceDefault(row.default)) return { name, type: serial, nullable: false, ...extras };
  const column: ColumnState = { name, type, nullable: !row.notnull, ...extras };
  // A generated column's expression is stored where a default is ('s': stored, the only kind before PostgreSQL 18).
  if (row.generated !== '' && row.default !== null) return { ...column, generated: { sql: stripParentheses(row.default), stored: row.generated === 's' } };
  if (row.default === null) return column;
  return { ...column, default: parseDefault(row.default, type) };
}

/** `(a IS NULL)` as `a IS NULL`: pg_get_expr wraps a predicate in parentheses. */
function stripParentheses(text: string): string {
  let result = text.trim();
  while (result.startsWith('(') && result.endsWith(')')) {
    let depth = 0;
    let closesEarly = false;
    for (let i = 0; i < result.length - 1; i++) {
      if (result[i] === '(') depth++;
      if (result[i] === ')') depth--;
      if (depth === 0) {
        closesEarly = true;
        break;
      }
    }
    if (closesEarly) break;
    result = result.slice(1, -1).trim();
  }
  return result;
}
