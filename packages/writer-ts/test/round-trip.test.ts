import {
  buildTableState,
  computeChecksum,
  op,
  sql,
  t,
  type ColumnBuilder,
  type ColumnState,
  type ColumnType,
  type Operation,
  type ReferentialAction,
  type TableOptions,
} from '@covet/core';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { renderMigration } from '../src/index.js';
import { loadMigrationSource, removeScratchDirectories } from './load-migration.js';

afterAll(removeScratchDirectories);

/** Writes, loads and checks: same operations (deep), same checksum. Returns the source. */
async function expectRoundTrip(input: { operations: readonly Operation[]; dependencies?: string[]; atomic?: boolean }): Promise<string> {
  const source = renderMigration(input);
  const migration = await loadMigrationSource(source);
  expect(migration.operations).toEqual(input.operations);
  expect(migration.checksum).toBe(computeChecksum(input, 'default'));
  // -0 and 0 are equal to toEqual: compare primitives by Object.is as well.
  expect(strictShape(migration.operations)).toEqual(strictShape(input.operations));
  return source;
}

function strictShape(value: unknown): unknown {
  if (Object.is(value, -0)) return '-0';
  if (Array.isArray(value)) return value.map(strictShape);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined).map(([key, member]) => [key, strictShape(member)]));
  }
  return value;
}

const column = (name: string, type: ColumnType, nullable = true, extra: Partial<ColumnState> = {}): ColumnState => ({ name, type, nullable, ...extra });
const data = (kind: string, args: unknown): Operation => ({ kind, args });

describe('round trip of operations no builder call produced', () => {
  it('writes unnormalised createTable data with op.custom, and says why', async () => {
    const table = buildTableState('users', { id: t.serial().primaryKey(), email: t.text().unique(), bio: t.text() }, {
      indexes: [{ name: 'a_bio_idx', columns: ['bio'] }],
    });
    const unsorted = data('createTable', { ...table, indexes: [...table.indexes].reverse() });
    const source = await expectRoundTrip({ operations: [unsorted] });
    expect(source).toContain("// Written as data: op.createTable() cannot rebuild these arguments exactly.\n    op.custom('createTable', {");
  });

  it('writes types the helpers cannot express with t.fromType', async () => {
    const source = await expectRoundTrip({
      operations: [
        data('addColumn', { table: 'events', column: column('at', { type: 'timestamp', withTimeZone: false }) }),
        data('addColumn', { table: 'events', column: column('geo', { type: 'geometry' } as never, false) }),
        data('addColumn', { table: 'events', column: column('id', { type: 'serial' }, true) }),
        data('alterColumn', { table: 'events', column: column('id', { type: 'bigserial' }, false) }),
      ],
    });
    expect(source).toContain("t.fromType({ type: 'timestamp', withTimeZone: false })");
    expect(source).toContain("t.fromType({ type: 'geometry' }).notNull()");
    expect(source).toContain("op.addColumn('events', 'id', t.serial().nullable())");
    expect(source).toContain("op.alterColumn('events', 'id', t.bigserial())");
  });

  it('keeps a carriage return in a SQL default (the sql tag would turn it into \\n)', async () => {
    await expectRoundTrip({
      operations: [data('alterColumn', { table: 'a', column: column('b', { type: 'text' }, true, { default: { kind: 'sql', sql: "'x'\r\n" } }) })],
    });
  });

  it('handles odd but valid identifiers and long default names', async () => {
    const long = 'a'.repeat(40);
    await expectRoundTrip({
      operations: [
        op.createTable(`${long}_table`, {
          ['__proto__']: t.integer().notNull().unique(),
          dollar$: t.text(),
          constructor: t.integer().references('other', 'id'),
          [`${long}_column`]: t.integer().unique().references(`${long}_target`, 'id', { onUpdate: 'cascade' }),
        } as Record<string, ColumnBuilder>),
        op.createIndex(`${long}_table`, { columns: [`${long}_column`, 'dollar$'] }),
      ],
    });
  });

  it('writes a second unique or foreign key of the same column in the options', async () => {
    const table = buildTableState('pairs', { a: t.integer().unique().references('x', 'id'), b: t.integer() }, {
      uniques: [{ name: 'pairs_a_again', columns: ['a'] }],
      foreignKeys: [{ name: 'pairs_a_y', columns: ['a'], references: { table: 'y', columns: ['id'] } }],
      primaryKey: { name: 'pairs_pkey', columns: ['b'] },
    });
    const source = await expectRoundTrip({ operations: [data('createTable', table)] });
    expect(source).not.toContain('op.custom');
  });

  it('writes runSql lists, carriage returns and statements with every special character', async () => {
    await expectRoundTrip({
      operations: [
        op.runSql(['SELECT 1;\r\nSELECT 2', "SELECT '`${x}`' -- \\"], 'SELECT 3'),
        op.runSql('SELECT $$\u2028$$'),
      ],
      dependencies: ['a', 'other:b'],
      atomic: false,
    });
  });

  it('writes an empty migration', async () => {
    const source = await expectRoundTrip({ operations: [] });
    expect(source).toContain("import { defineMigration } from '@covet/core';");
    expect(source).toContain('operations: [],');
  });
});

// ---------------------------------------------------------------------------------------------
// Property-based round trip

const identifier = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[a-z_][a-z0-9_]{0,11}$/) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'a$', '_') },
);

const nastyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc
    .array(fc.constantFrom('\\', "'", '"', '`', '${', '$', '{', '}', '\n', '\r\n', '\r', '\t', '\u2028', '\uD800', '\uDE00', '\0', 'a', ' ', 'é'), { maxLength: 20 })
    .map((parts) => parts.join('')),
);

const sqlText = nastyText.filter((text) => text.trim() !== '');

const typeBuilder: fc.Arbitrary<ColumnBuilder> = fc.oneof(
  fc.constantFrom(...(['smallserial', 'serial', 'bigserial', 'smallint', 'integer', 'bigint', 'boolean', 'text', 'real', 'double', 'date', 'json', 'uuid', 'blob'] as const)).map((name) => t[name]()),
  fc.integer({ min: 1, max: 100_000 }).map((length) => t.varchar(length)),
  fc.integer({ min: 1, max: 255 }).map((length) => t.char(length)),
  fc.constant(t.decimal()),
  fc.integer({ min: 1, max: 38 }).map((precision) => t.decimal(precision)),
  fc.integer({ min: 1, max: 38 }).chain((precision) => fc.integer({ min: 0, max: precision }).map((scale) => t.decimal(precision, scale))),
  fc.boolean().map((withTimeZone) => t.time({ withTimeZone })),
  fc.boolean().map((withTimeZone) => t.timestamp({ withTimeZone })),
  // Custom types as core accepts them: words, then optional parameters (numbers, words or quoted literals).
  fc
    .tuple(
      fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_ ]{0,12}$/),
      fc.option(fc.array(fc.oneof(fc.stringMatching(/^[0-9]{1,3}$/), fc.string({ maxLength: 6 }).filter((text) => !text.includes('\\')).map((text) => `'${text.replace(/'/g, "''")}'`)), { minLength: 1, maxLength: 3 })),
    )
    .map(([name, parameters]) => t.custom(parameters ? `${name}(${parameters.join(',')})` : name)),
);

const defaultValue = fc.oneof(
  fc.constant(undefined),
  nastyText,
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  sqlText.map((text) => sql(text)),
);

const action: fc.Arbitrary<ReferentialAction | undefined> = fc.constantFrom(undefined, 'cascade', 'set null', 'set default', 'restrict', 'no action');

interface ColumnInput {
  builder: ColumnBuilder;
  nullable: 'default' | 'notNull' | 'nullable';
  value: unknown;
  unique: boolean | string;
  references?: { table: string; column: string; onDelete?: ReferentialAction; onUpdate?: ReferentialAction; name?: string };
}

const columnInput: fc.Arbitrary<ColumnInput> = fc.record({
  builder: typeBuilder,
  nullable: fc.constantFrom('default', 'notNull', 'nullable'),
  value: defaultValue,
  unique: fc.oneof(fc.constant(false), fc.constant(true), identifier),
  references: fc.option(
    fc.record({ table: identifier, column: identifier, onDelete: action, onUpdate: action, name: fc.option(identifier, { nil: undefined }) }),
    { nil: undefined },
  ),
});

function columnBuilder(input: ColumnInput, plain: boolean): ColumnBuilder {
  let builder = input.builder;
  if (input.nullable === 'notNull') builder = builder.notNull();
  if (input.nullable === 'nullable') builder = builder.nullable();
  if (input.value !== undefined) builder = builder.default(input.value as never);
  if (plain) return builder;
  if (input.unique !== false) builder = builder.unique(input.unique === true ? undefined : input.unique);
  if (input.references) {
    const { table, column: target, ...options } = input.references;
    builder = builder.references(table, target, options);
  }
  return builder;
}

/** A createTable built with the real builders from random input; undefined when the builder refuses it. */
const createTableOperation: fc.Arbitrary<Operation | undefined> = fc
  .record({
    table: identifier,
    columns: fc.uniqueArray(fc.tuple(identifier, columnInput), { minLength: 1, maxLength: 6, selector: ([name]) => name }),
    primaryKey: fc.constantFrom('none', 'inline', 'list', 'named'),
    pickA: fc.nat(),
    pickB: fc.nat(),
    indexName: fc.option(identifier, { nil: undefined }),
    unique: fc.boolean(),
    where: fc.option(sqlText, { nil: undefined }),
    foreignKey: fc.option(fc.record({ table: identifier, onDelete: action, onUpdate: action, name: fc.option(identifier, { nil: undefined }) }), { nil: undefined }),
  })
  .map((input) => {
    const names = input.columns.map(([name]) => name);
    const a = names[input.pickA % names.length]!;
    const b = names[input.pickB % names.length]!;
    const pair = a === b ? [a] : [a, b];
    const columns: Record<string, ColumnBuilder> = {};
    for (const [name, spec] of input.columns) {
      let builder = columnBuilder(spec, false);
      if (input.primaryKey === 'inline' && name === a) builder = builder.primaryKey();
      Object.defineProperty(columns, name, { value: builder, enumerable: true, writable: true, configurable: true });
    }
    const options: TableOptions = {
      ...(input.primaryKey === 'list' ? { primaryKey: pair } : input.primaryKey === 'named' ? { primaryKey: { name: `${input.table}_pk`, columns: pair } } : {}),
      indexes: [{ name: input.indexName, columns: pair, unique: input.unique, where: input.where }],
      ...(input.foreignKey
        ? { foreignKeys: [{ ...input.foreignKey, columns: pair, references: { table: input.foreignKey.table, columns: pair.map((name) => `${name}_ref`) } }] }
        : {}),
    };
    try {
      return op.createTable(input.table, columns, options);
    } catch {
      return undefined;
    }
  });

/** Runs a builder; undefined when it refuses its (random) input. */
function attempt(build: () => Operation): Operation | undefined {
  try {
    return build();
  } catch {
    return undefined;
  }
}

const simpleOperation: fc.Arbitrary<Operation | undefined> = fc.oneof(
  fc.tuple(identifier, identifier, columnInput).map(([table, name, spec]) => attempt(() => op.addColumn(table, name, columnBuilder(spec, true)))),
  fc.tuple(identifier, identifier, columnInput).map(([table, name, spec]) => attempt(() => op.alterColumn(table, name, columnBuilder(spec, true)))),
  fc.tuple(identifier, identifier).map(([from, to]) => attempt(() => op.renameTable(from, to))),
  fc.tuple(identifier, identifier, identifier).map(([table, from, to]) => attempt(() => op.renameColumn(table, from, to))),
  fc.tuple(identifier, identifier).map(([table, name]) => attempt(() => op.dropColumn(table, name))),
  identifier.map((name) => attempt(() => op.dropTable(name))),
  fc.tuple(identifier, identifier).map(([table, name]) => attempt(() => op.dropIndex(table, name))),
  fc.tuple(identifier, identifier).map(([table, name]) => attempt(() => op.dropForeignKey(table, name))),
  fc
    .record({ table: identifier, name: fc.option(identifier, { nil: undefined }), columns: fc.uniqueArray(identifier, { minLength: 1, maxLength: 3 }), unique: fc.boolean(), where: fc.option(sqlText, { nil: undefined }) })
    .map(({ table, ...index }) => attempt(() => op.createIndex(table, index))),
  fc
    .record({ table: identifier, target: identifier, name: fc.option(identifier, { nil: undefined }), columns: fc.uniqueArray(identifier, { minLength: 1, maxLength: 3 }), onDelete: action, onUpdate: action })
    .map(({ table, target, columns, ...rest }) => attempt(() => op.addForeignKey(table, { ...rest, columns, references: { table: target, columns } }))),
  fc
    .tuple(fc.oneof(sqlText, fc.array(sqlText, { minLength: 1, maxLength: 3 })), fc.option(fc.oneof(sqlText, fc.array(sqlText, { minLength: 1, maxLength: 3 })), { nil: undefined }))
    .map(([statements, reverse]) => attempt(() => op.runSql(statements, reverse))),
  fc.tuple(fc.stringMatching(/^[a-z][A-Za-z0-9]{0,8}\.[a-z][A-Za-z0-9]{0,8}$/), fc.dictionary(fc.oneof(identifier, nastyText), fc.jsonValue())).map(([kind, args]) => attempt(() => op.custom(kind, args))),
);

describe('property: load(write(operations)) gives back the operations and checksum', () => {
  it('for random operations made with the builders', async () => {
    const seen = { operations: 0, createTables: 0, asData: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(simpleOperation, createTableOperation), { minLength: 1, maxLength: 5 }),
        fc.array(identifier, { maxLength: 2 }),
        fc.boolean(),
        async (candidates, dependencies, atomic) => {
          const operations = candidates.filter((operation): operation is Operation => operation !== undefined);
          const source = await expectRoundTrip({ operations, dependencies, atomic });
          seen.operations += operations.length;
          seen.createTables += operations.filter((operation) => operation.kind === 'createTable').length;
          seen.asData += source.split('// Written as data').length - 1;
        },
      ),
      { numRuns: 100 },
    );
    // The generators must exercise the builders, not only their refusals or the data fallback.
    expect(seen.createTables).toBeGreaterThan(5);
    expect(seen.asData).toBeLessThan(seen.operations / 4);
  }, 300_000);
});

describe('round trip of meta', () => {
  it('writes meta after atomic and loads it back with the same checksum', async () => {
    const meta = { reviewedBy: 'ana', 'allow-drop': true, ticket: { id: 42, tags: ['db', "it's"] }, note: null };
    const input = { operations: [op.dropTable('legacy')], atomic: false, meta };
    const source = renderMigration(input);
    expect(source).toContain(
      "  atomic: false,\n  meta: {\n    reviewedBy: 'ana',\n    'allow-drop': true,\n    ticket: { id: 42, tags: ['db', \"it's\"] },\n    note: null,\n  },\n  operations: [\n",
    );
    expect(renderMigration({ operations: [], meta: { reviewedBy: 'ana' } })).toContain("  meta: { reviewedBy: 'ana' },\n");
    const migration = await loadMigrationSource(source);
    expect(migration.meta).toStrictEqual(meta);
    expect(migration.checksum).toBe(computeChecksum(input, 'default'));
  });

  it('writes no meta member for an empty meta, and refuses meta that is not JSON', () => {
    expect(renderMigration({ operations: [], meta: {} })).not.toContain('meta');
    expect(() => renderMigration({ operations: [], meta: { at: new Date(0) } as never })).toThrow('meta.at is not JSON: a Date object (renderMigration)');
  });
});

describe('an empty template (makemigrations --empty)', () => {
  it('imports op and shows where operations go; filling in the example works without touching the imports', async () => {
    const source = renderMigration({ operations: [], dependencies: ['20260101000000_initial'], template: true });
    expect(source).toBe(
      [
        '// Generated by Covet (@covet/writer-ts).',
        "import { defineMigration, op } from '@covet/core';",
        '',
        'export default defineMigration({',
        "  dependencies: ['20260101000000_initial'],",
        '  operations: [',
        "    // op.runSql('UPDATE users SET active = TRUE', 'UPDATE users SET active = FALSE'),",
        '  ],',
        '});',
        '',
      ].join('\n'),
    );
    expect((await loadMigrationSource(source)).operations).toEqual([]);
    const filled = await loadMigrationSource(source.replace('    // op.runSql', '    op.runSql'));
    expect(filled.operations).toEqual([op.runSql('UPDATE users SET active = TRUE', 'UPDATE users SET active = FALSE')]);
    // With operations, `template` changes nothing.
    const operations = [op.dropTable('legacy')];
    expect(renderMigration({ operations, template: true })).toBe(renderMigration({ operations }));
  });
});

describe('round trip of replaces', () => {
  it('writes replaces after dependencies and loads them back as ids with the same checksum', async () => {
    const input = { operations: [op.dropTable('legacy')], dependencies: ['20260101000000_base'], replaces: ['20260101000001_a', '20260101000002_b'] };
    const source = renderMigration(input);
    expect(source).toContain("  dependencies: ['20260101000000_base'],\n  replaces: ['20260101000001_a', '20260101000002_b'],\n  operations: [\n");
    const migration = await loadMigrationSource(source);
    expect(migration.replaces).toStrictEqual(['default:20260101000001_a', 'default:20260101000002_b']);
    expect(migration.checksum).toBe(computeChecksum(input, 'default'));
    expect(computeChecksum(input, 'default')).not.toBe(computeChecksum({ ...input, replaces: [] }, 'default'));
    expect(renderMigration({ operations: [], replaces: [] })).not.toContain('replaces');
  });
});

describe('round trip of the column-level DSL', () => {
  it('writes sized text and blobs, jsonb, numeric, collations, comments and identities with the t helpers', async () => {
    const operations = [
      op.createTable('docs', {
        id: t.bigint().identity().primaryKey(),
        code: t.integer().identity({ always: true }),
        file: t.blob({ size: 'long' }),
        body: t.text({ size: 'medium' }),
        meta: t.jsonb(),
        raw: t.json(),
        amount: t.numeric(),
        title: t.text().notNull().collate('und-x-icu').comment("It's the \\ title"),
        key: t.uuid().notNull().default(sql`gen_random_uuid()`),
      }),
      op.alterColumn('docs', 'raw', t.json({ binary: true }).comment('now jsonb')),
    ];
    const source = await expectRoundTrip({ operations });
    for (const code of [
      'id: t.bigint().identity().primaryKey(),',
      'code: t.integer().identity({ always: true }),',
      "file: t.blob({ size: 'long' }),",
      "body: t.text({ size: 'medium' }),",
      'meta: t.jsonb(),',
      'amount: t.decimal(),',
      "title: t.text().notNull().collate('und-x-icu').comment(\"It's the \\\\ title\"),",
      "op.alterColumn('docs', 'raw', t.jsonb().comment('now jsonb')),",
    ]) {
      expect(source).toContain(code);
    }
  });
});

describe('round trip of generated columns and arrays', () => {
  it('writes .generated() (stored and virtual), .array() and t.enum() with the t helpers', async () => {
    const operations = [
      op.createTable('lines', {
        price: t.numeric(10, 2).notNull(),
        quantity: t.integer(),
        total: t.numeric(12, 2).generated(sql`price * quantity`, { stored: true }),
        label: t.text().notNull().generated(sql`'#' || \`x\` || '$' || '{y}'`),
        tags: t.text().array(),
        grid: t.varchar(5).array(3).notNull().default(sql`'{}'`),
        odd: t.custom('citext').array(),
        status: t.enum(['draft', "it's out"]).notNull().default('draft'),
      }),
      op.alterColumn('lines', 'quantity', t.bigint().generated(sql`price * 2`)),
    ];
    const source = await expectRoundTrip({ operations });
    for (const code of [
      'total: t.decimal(12, 2).generated(sql`price * quantity`, { stored: true }),',
      'tags: t.text().array(),',
      "grid: t.varchar(5).array(3).notNull().default(sql`'{}'`),",
      "odd: t.custom('citext').array(),",
      `status: t.enum(['draft', "it's out"]).notNull().default('draft'),`,
      "op.alterColumn('lines', 'quantity', t.bigint().generated(sql`price * 2`)),",
    ]) {
      expect(source).toContain(code);
    }
  });
});
