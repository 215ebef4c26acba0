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
import { parseDefault, parseTypeSql } from './mysql-types.js';

/** Runs a read query with bound values (the connection's `query`). */
export type MysqlQuery = <Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]) => Promise<Row[]>;

interface TableRow { TABLE_NAME: string; TABLE_TYPE: string; TABLE_COLLATION: string | null }
interface ColumnRow {
  TABLE_NAME: string;
  COLUMN_NAME: string;
  COLUMN_DEFAULT: string | null;
  IS_NULLABLE: string;
  COLUMN_TYPE: string;
  EXTRA: string;
  COLLATION_NAME: string | null;
  COLUMN_COMMENT: string;
  GENERATION_EXPRESSION: string | null;
}
interface IndexRow {
  TABLE_NAME: string;
  INDEX_NAME: string;
  NON_UNIQUE: number | string;
  COLUMN_NAME: string | null;
  INDEX_TYPE: string;
}
interface ForeignKeyRow {
  TABLE_NAME: string;
  CONSTRAINT_NAME: string;
  COLUMN_NAME: string;
  REFERENCED_TABLE_NAME: string;
  REFERENCED_COLUMN_NAME: string;
  UPDATE_RULE: string;
  DELETE_RULE: string;
}
interface UnmanagedRow { KIND: string; NAME: string; TABLE_NAME: string | null }
interface CheckRow { TABLE_NAME: string; CHECK_CLAUSE: string }

/** Tables Covet owns (the tracking table and its bookkeeping), left out of the state. */
const COVET_TABLE = /^covet_/i;

/**
 * Reads a MySQL or MariaDB database's schema from `information_schema` in a constant number
 * of queries, whatever the number of tables: tables, columns, indexes, foreign keys, and one
 * for views, triggers and stored routines (reported as `unmanaged`); MariaDB adds one for the
 * `json_valid` checks that mark its JSON columns. The schema is named as a bound value (not
 * `DATABASE()`), so the server only opens that schema's tables.
 *
 * FULLTEXT and SPATIAL indexes are reported as unmanaged (the portable state has no such
 * index). An index MySQL keeps only to back a foreign key (named like the foreign key, on its
 * columns) is not reported: the compiler creates and drops it with the foreign key.
 */
export class MysqlIntrospector implements SchemaIntrospector {
  readonly #query: MysqlQuery;
  readonly #schema: () => string;
  readonly #mariadb: () => boolean;

  constructor(query: MysqlQuery, options: { schema: () => string; mariadb: () => boolean }) {
    this.#query = query;
    this.#schema = options.schema;
    this.#mariadb = options.mariadb;
  }

  async introspect(): Promise<SchemaState> {
    const schema = [this.#schema()];
    const mariadb = this.#mariadb();
    const [tableRows, columnRows, indexRows, foreignKeyRows, unmanagedRows, checkRows] = await Promise.all([
      this.#query<TableRow>('SELECT TABLE_NAME, TABLE_TYPE, TABLE_COLLATION FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', schema),
      this.#query<ColumnRow>(
        'SELECT TABLE_NAME, COLUMN_NAME, COLUMN_DEFAULT, IS_NULLABLE, COLUMN_TYPE, EXTRA, COLLATION_NAME, COLUMN_COMMENT, GENERATION_EXPRESSION FROM information_schema.COLUMNS ' +
          'WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION',
        schema,
      ),
      this.#query<IndexRow>(
        'SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, INDEX_TYPE FROM information_schema.STATISTICS ' +
          'WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX',
        schema,
      ),
      this.#query<ForeignKeyRow>(
        'SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, r.UPDATE_RULE, r.DELETE_RULE ' +
          'FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r ' +
          'ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.TABLE_NAME = k.TABLE_NAME AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME ' +
          'WHERE k.TABLE_SCHEMA = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION',
        schema,
      ),
      this.#query<UnmanagedRow>(
        "SELECT 'trigger' AS KIND, TRIGGER_NAME AS NAME, EVENT_OBJECT_TABLE AS TABLE_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? " +
          'UNION ALL SELECT LOWER(ROUTINE_TYPE), ROUTINE_NAME, NULL FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?',
        [...schema, ...schema],
      ),
      mariadb
        ? this.#query<CheckRow>('SELECT TABLE_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?', schema)
        : Promise.resolve([] as CheckRow[]),
    ]);

    const unmanaged: UnmanagedObject[] = [];
    const names = new Set<string>();
    const tableCollations = new Map<string, string | null>();
    for (const row of tableRows) {
      if (COVET_TABLE.test(row.TABLE_NAME)) continue;
      tableCollations.set(row.TABLE_NAME, row.TABLE_COLLATION);
      if (row.TABLE_TYPE === 'VIEW') unmanaged.push({ kind: 'view', name: row.TABLE_NAME });
      else if (row.TABLE_TYPE === 'BASE TABLE') names.add(row.TABLE_NAME);
    }
    for (const row of unmanagedRows) {
      if (row.TABLE_NAME !== null && !names.has(row.TABLE_NAME)) continue;
      unmanaged.push(row.TABLE_NAME === null ? { kind: row.KIND, name: row.NAME } : { kind: row.KIND, name: row.NAME, table: row.TABLE_NAME });
    }

    // MariaDB's JSON is LONGTEXT with CHECK (json_valid(`column`)); kept per table, as names may hold dots.
    const jsonColumns = new Map<string, Set<string>>();
    for (const row of checkRows) {
      const match = /^json_valid\(`((?:[^`]|``)+)`\)$/i.exec(row.CHECK_CLAUSE.trim());
      if (!match) continue;
      let columnsOfTable = jsonColumns.get(row.TABLE_NAME);
      if (!columnsOfTable) jsonColumns.set(row.TABLE_NAME, (columnsOfTable = new Set()));
      columnsOfTable.add(match[1]!.replace(/``/g, '`'));
    }

    const columns = new Map<string, ColumnState[]>();
    for (const row of columnRows) {
      if (!names.has(row.TABLE_NAME)) continue;
      const isJson = jsonColumns.get(row.TABLE_NAME)?.has(row.COLUMN_NAME) === true && /^longtext$/i.test(row.COLUMN_TYPE);
      const type = isJson ? ({ type: 'json' } as const) : parseTypeSql(row.COLUMN_TYPE, row.EXTRA ?? '');
      const nullable = row.IS_NULLABLE === 'YES';
      // EXTRA says VIRTUAL GENERATED or STORED GENERATED (MariaDB, MySQL 8); MySQL escapes quotes in the expression.
      const generation = /\b(VIRTUAL|STORED|PERSISTENT) GENERATED\b/i.exec(row.EXTRA ?? '');
      let value = generation ? undefined : parseDefault(row.COLUMN_DEFAULT, row.EXTRA ?? '', type, mariadb);
      if (value?.kind === 'value' && value.value === null && nullable) value = undefined;
      // A collation other than the table's (JSON's utf8mb4_bin on MariaDB comes with the type).
      const collation = row.COLLATION_NAME !== null && row.COLLATION_NAME !== tableCollations.get(row.TABLE_NAME) && !isJson ? row.COLLATION_NAME : undefined;
      const column: ColumnState = {
        name: row.COLUMN_NAME,
        type,
        nullable,
        ...(value === undefined ? {} : { default: value }),
        ...(collation === undefined ? {} : { collation }),
        ...(row.COLUMN_COMMENT ? { comment: row.COLUMN_COMMENT } : {}),
        ...(generation && row.GENERATION_EXPRESSION !== null
          ? { generated: { sql: mariadb ? row.GENERATION_EXPRESSION : row.GENERATION_EXPRESSION.replace(/\\'/g, "'"), stored: !/^VIRTUAL$/i.test(generation[1]!) } }
          : {}),
      };
      let list = columns.get(row.TABLE_NAME);
      if (!list) columns.set(row.TABLE_NAME, (list = []));
      list.push(column);
    }

    const foreignKeys = new Map<string, Map<string, { row: ForeignKeyRow; columns: string[]; referenced: string[] }>>();
    for (const row of foreignKeyRows) {
      if (!names.has(row.TABLE_NAME)) continue;
      let byName = foreignKeys.get(row.TABLE_NAME);
      if (!byName) foreignKeys.set(row.TABLE_NAME, (byName = new Map()));
      let entry = byName.get(row.CONSTRAINT_NAME);
      if (!entry) byName.set(row.CONSTRAINT_NAME, (entry = { row, columns: [], referenced: [] }));
      entry.columns.push(row.COLUMN_NAME);
      entry.referenced.push(row.REFERENCED_COLUMN_NAME);
    }

    const indexes = new Map<string, Map<string, { unique: boolean; type: string; columns: string[] }>>();
    for (const row of indexRows) {
      if (!names.has(row.TABLE_NAME) || row.COLUMN_NAME === null) continue;
      let byName = indexes.get(row.TABLE_NAME);
      if (!byName) indexes.set(row.TABLE_NAME, (byName = new Map()));
      let entry = byName.get(row.INDEX_NAME);
      if (!entry) byName.set(row.INDEX_NAME, (entry = { unique: Number(row.NON_UNIQUE) === 0, type: row.INDEX_TYPE, columns: [] }));
      entry.columns.push(row.COLUMN_NAME);
    }

    const tables = createNameRecord<TableState>();
    for (const name of [...names].sort()) {
      const tableForeignKeys: ForeignKeyState[] = [...(foreignKeys.get(name)?.entries() ?? [])]
        .map(([constraint, { row, columns: keyColumns, referenced }]) => ({
          name: constraint,
          columns: keyColumns,
          references: { table: row.REFERENCED_TABLE_NAME, columns: referenced },
          onDelete: toAction(row.DELETE_RULE),
          onUpdate: toAction(row.UPDATE_RULE),
        }))
        .sort(byName);
      let primaryKey: TableState['primaryKey'];
      const tableIndexes: IndexState[] = [];
      for (const [indexName, entry] of indexes.get(name) ?? []) {
        if (indexName === 'PRIMARY') {
          primaryKey = { columns: entry.columns };
          continue;
        }
        if (entry.type === 'FULLTEXT' || entry.type === 'SPATIAL') {
          unmanaged.push({ kind: `${entry.type.toLowerCase()} index`, name: indexName, table: name });
          continue;
        }
        const backsForeignKey = !entry.unique && tableForeignKeys.some((fk) => fk.name === indexName && sameColumns(fk.columns, entry.columns));
        if (backsForeignKey) continue;
        tableIndexes.push({ name: indexName, columns: entry.columns, unique: entry.unique });
      }
      tableIndexes.sort(byName);
      tables[name] = {
        name,
        columns: columns.get(name) ?? [],
        ...(primaryKey ? { primaryKey } : {}),
        indexes: tableIndexes,
        foreignKeys: tableForeignKeys,
      };
    }
    return { tables, unmanaged };
  }
}

function byName<T extends { name: string }>(a: T, b: T): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((column, i) => column === b[i]);
}

function toAction(rule: string): ReferentialAction {
  const action = rule.toLowerCase() as ReferentialAction;
  return ['cascade', 'set null', 'set default', 'restrict', 'no action'].includes(action) ? action : 'no action';
}
