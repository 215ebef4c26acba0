// Part of the dialect conformance suite: a property over generated names. Tables, columns and
// indexes named by fast-check (including `__proto__`, `constructor`, `toString`,
// `hasOwnProperty`, reserved words, unicode, quote characters, spaces and names at the
// dialect's length limit in its own unit) are declared as models, turned into a migration by
// the migration engine (what `makemigrations` runs), applied by the runner (what `migrate`
// runs) and read back by the introspector: every name comes back exactly, and diffing the
// introspected schema against the models finds nothing to do. Fixed seed, bounded runs.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { DatabaseConfig, Dialect, DialectConnection } from '../dialect/dialect.js';
import { identifierRulesOf } from '../dialect/identifier-rules.js';
import { MigrationEngine } from '../diff/migration-engine.js';
import { MigrationGraph } from '../graph/migration-graph.js';
import type { MigrationEntry } from '../loader/migration-loader.js';
import { createMigration, defineMigration } from '../migration/define-migration.js';
import { createOperation } from '../operations/define-operation.js';
import { createCovet } from '../plugin/covet.js';
import { MigrationRunner } from '../runner/migration-runner.js';
import { TRACKING_TABLE } from '../runner/tracking-table.js';
import { t } from '../schema/column-builder.js';
import { defineTable } from '../schema/define-table.js';
import { identifierLength, identifierProblem } from '../schema/identifiers.js';
import { createNameRecord } from '../schema/name-record.js';
import type { SchemaState, TableState } from '../schema/types.js';
import { EMPTY_STATE, getTable } from '../state/schema-state.js';
import { apply } from './apply-operations.js';

/** The seed of the property: a failure is reproduced by the same run. */
export const IDENTIFIER_PROPERTY_SEED = 20261203;

/** Names a plain JavaScript object inherits, and reserved words of SQL. */
const SPECIAL = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', 'select', 'order', 'table', 'group', 'user', 'from', 'index', 'key'];
/** Characters names are made of: letters, digits, quote characters of every engine, spaces, unicode (BMP and beyond). */
const PIECES = ['a', 'b', 'z', 'Q', '_', '0', '7', ' ', '"', "'", '`', '[', ']', '.', '-', '$', '%', 'é', 'ß', 'Ω', 'ж', '表', 'ü', '👍', 'select'];

/**
 * The key under which two names are the same to some engine: MySQL/MariaDB compare column and
 * index names without case or accents (and `ß` as `s`).
 */
function foldKey(name: string): string {
  return name.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/ß/g, 's').trimEnd();
}

/** A name exactly at the dialect's length limit (in its unit), made of `piece` and a tail of `z`. */
function atLimit(piece: string, limit: number, unit: 'bytes' | 'characters'): string {
  let name = '';
  while (identifierLength(name + piece, unit) <= limit - 1) name += piece;
  return name + 'z'.repeat(limit - identifierLength(name, unit));
}

/** One run's schema: tables, each with columns, an index and (after the first) a foreign key to the first. */
interface GeneratedTable {
  readonly name: string;
  readonly columns: readonly string[];
  readonly index: string;
}

/**
 * Registers the property for `dialect` (inside the conformance suite). `runs`: how many
 * schemas are tried (each created, introspected and rolled back).
 */
export function describeIdentifierProperty(
  dialect: Dialect,
  createDatabase: () => Promise<{ readonly config: DatabaseConfig; drop(): Promise<void> }>,
  runs = 30,
): void {
  const rules = identifierRulesOf(dialect);
  const limit = dialect.capabilities.maxIdentifierLength;
  const unit = dialect.capabilities.identifierLengthUnit ?? 'characters';
  const longest = Number.isFinite(limit) ? limit : 200;
  const word = fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 8 }).map((pieces) => pieces.join(''));
  const legal = (name: string) => identifierProblem(name, rules) === undefined;
  const identifier = fc
    .oneof(fc.constantFrom(...SPECIAL), word, word, fc.constantFrom('a', 'é', '表', '"', ' x').map((piece) => atLimit(piece, longest, unit)))
    .filter(legal);
  // A table's name is also a file name on MySQL/MariaDB, where each character other than
  // [A-Za-z0-9_] takes 3 to 5 bytes of the 255 a file name may have: the engine refuses 64
  // such characters ("File name too long"), so table names at the limit are made of `a` or `é`.
  const tableName = fc.oneof(fc.constantFrom(...SPECIAL), word, fc.constantFrom('a', 'é').map((piece) => atLimit(piece, longest, unit))).filter(legal);
  // Every name of one schema differs from the others under folding: an index shares the
  // namespace of tables on PostgreSQL, column names fold on MySQL.
  const schema = fc
    .tuple(fc.uniqueArray(tableName, { minLength: 1, maxLength: 2, selector: foldKey }), fc.uniqueArray(identifier, { minLength: 8, maxLength: 8, selector: foldKey }))
    .filter(([tables, others]) => new Set([...tables, ...others].map(foldKey)).size === tables.length + others.length)
    .map(([tables, others]): GeneratedTable[] =>
      tables.map((name, index) => ({ name, columns: others.slice(index * 4, index * 4 + 3), index: others[index * 4 + 3]! })),
    );

  it(`round-trips generated names (${runs} schemas, seed ${IDENTIFIER_PROPERTY_SEED}): models -> migration -> migrate -> introspection`, async () => {
    const database = await createDatabase();
    const connection = await dialect.connect(database.config);
    try {
      await fc.assert(
        fc.asyncProperty(schema, async (tables) => {
          try {
            await roundTrip(dialect, connection, tables);
          } finally {
            await clean(dialect, connection);
          }
        }),
        { seed: IDENTIFIER_PROPERTY_SEED, numRuns: runs },
      );
    } finally {
      await connection.close();
      await database.drop();
    }
  });
}

/** The models of one generated schema, as `defineTable` gives them. */
function models(tables: readonly GeneratedTable[]): SchemaState {
  const [first] = tables;
  const definitions = tables.map((table, index) => {
    const [key, label, extra] = table.columns as [string, string, string];
    // Object.fromEntries makes own properties, `__proto__` included.
    const columns = Object.fromEntries([
      [key, t.integer().primaryKey()],
      [label, t.varchar(40).notNull().default("it's")],
      [extra, index === 0 ? t.text() : t.integer().references(first!.name, first!.columns[0]!, { onDelete: 'cascade' })],
    ]);
    return defineTable(table.name, columns, { indexes: [{ name: table.index, columns: [label] }] });
  });
  return { tables: createNameRecord<TableState>(definitions.map((definition) => [definition.name, definition.state])) };
}

async function roundTrip(dialect: Dialect, connection: DialectConnection, tables: readonly GeneratedTable[]): Promise<void> {
  const target = models(tables);
  const covet = createCovet();
  const engine = new MigrationEngine({ operations: covet.operations, capabilities: dialect.capabilities, identifierRules: identifierRulesOf(dialect) });
  const operations = engine.detectChanges(EMPTY_STATE, target);
  const migration = createMigration('default', '20260101000000_names', defineMigration({ operations }));
  const entry: MigrationEntry = { ...migration, file: '(generated)', load: async () => migration };
  const runner = new MigrationRunner({ covet, dialect, connection, migrations: new MigrationGraph([entry]) });
  await runner.migrate();

  const live = await connection.introspector.introspect();
  expect(Object.keys(live.tables).sort()).toEqual(tables.map((table) => table.name).sort());
  for (const table of tables) {
    const found = getTable(live, table.name)!;
    // In the models' order: a JavaScript object puts integer-like keys (`7`) first.
    expect(found.columns.map((column) => column.name)).toEqual(getTable(target, table.name)!.columns.map((column) => column.name));
    expect([...found.columns.map((column) => column.name)].sort()).toEqual([...table.columns].sort());
    expect(found.primaryKey?.columns).toEqual([table.columns[0]]);
    expect(found.indexes.map((index) => index.name)).toContain(table.index);
    expect(found.indexes.find((index) => index.name === table.index)?.columns).toEqual([table.columns[1]]);
  }
  for (const table of tables.slice(1)) {
    const [foreignKey] = getTable(live, table.name)!.foreignKeys;
    expect(foreignKey).toMatchObject({ columns: [table.columns[2]], references: { table: tables[0]!.name, columns: [tables[0]!.columns[0]] } });
  }
  // What `makemigrations --from database` would see: nothing to do.
  const normalizeColumn = dialect.normalizeColumn?.bind(dialect);
  const again = new MigrationEngine({ capabilities: dialect.capabilities, ...(normalizeColumn ? { normalizeColumn } : {}) });
  expect(again.detectChanges(live, target)).toEqual([]);

  await runner.rollback();
  expect(Object.keys((await connection.introspector.introspect()).tables)).toEqual([]);
}

/** Leaves the database empty for the next run, whatever the last one left (a failing run, while fast-check shrinks). */
async function clean(dialect: Dialect, connection: DialectConnection): Promise<void> {
  const live = await connection.introspector.introspect();
  // Tables with foreign keys first: the tables they reference go after them.
  const tables = Object.values(live.tables).sort((a, b) => b.foreignKeys.length - a.foreignKeys.length);
  await apply(dialect, connection, tables.map((table) => createOperation('dropTable', { name: table.name })), live);
  if (await connection.tableExists(TRACKING_TABLE)) await connection.execute({ sql: `DELETE FROM ${dialect.quoteIdentifier(TRACKING_TABLE)}` });
}
