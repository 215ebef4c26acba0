import { describe, expect, expectTypeOf, it } from 'vitest';
import { covetErrorOf } from '../../test/helpers.js';
import type { BuiltinOperationCompiler } from '../dialect/builtin-compiler.js';
import { DialectBase } from '../dialect/dialect-base.js';
import type { DatabaseConfig, DialectConnection } from '../dialect/dialect.js';
import { createCovet, definePlugin } from '../plugin/covet.js';
import { EMPTY_STATE } from '../state/schema-state.js';
import { runDialectConformance } from '../testing.js';
import {
  BUILTIN_OPERATION_KINDS,
  BUILTIN_OPERATIONS,
  isBuiltinOperationKind,
  type BuiltinOperationArgs,
  type BuiltinOperationKind,
  type DropTableArgs,
  type PortableBuiltinKind,
  type RunSqlArgs,
  builtinDefinition,
  type BuiltinDefinitions,
} from './builtin/index.js';
import { defineBuiltin } from './builtin/define-builtin.js';
import * as codeTree from '../writer/code-tree.js';
import type { Code } from '../writer/code-tree.js';
import { t } from '../schema/column-builder.js';
import { sql } from '../schema/sql-tag.js';
import type { SchemaState } from '../schema/types.js';
import { createOperation, defineOperation, isOperation, type AnyOperationDefinition, type BuiltinOperation, type CompileContext, type Operation, type OperationDefinition, type OperationRegistry, type SqlRenderer } from './define-operation.js';
import { op } from './op.js';
import { checkOperationSql, compileOperationSql, dialectFamily, operationSqlSource } from './operation-sql.js';

/** A compiler with one method per built-in kind that is not portable: `<kind> <table or name>`. */
class RecordingCompiler implements BuiltinOperationCompiler {
  createTable = (args: BuiltinOperationArgs['createTable']) => [{ sql: `createTable ${args.name}` }];
  dropTable = (args: BuiltinOperationArgs['dropTable']) => [{ sql: `dropTable ${args.name}` }];
  renameTable = (args: BuiltinOperationArgs['renameTable']) => [{ sql: `renameTable ${args.from}` }];
  addColumn = (args: BuiltinOperationArgs['addColumn']) => [{ sql: `addColumn ${args.table}` }];
  dropColumn = (args: BuiltinOperationArgs['dropColumn']) => [{ sql: `dropColumn ${args.table}` }];
  alterColumn = (args: BuiltinOperationArgs['alterColumn']) => [{ sql: `alterColumn ${args.table}` }];
  renameColumn = (args: BuiltinOperationArgs['renameColumn']) => [{ sql: `renameColumn ${args.table}` }];
  createIndex = (args: BuiltinOperationArgs['createIndex']) => [{ sql: `createIndex ${args.table}` }];
  dropIndex = (args: BuiltinOperationArgs['dropIndex']) => [{ sql: `dropIndex ${args.table}` }];
  renameIndex = (args: BuiltinOperationArgs['renameIndex']) => [{ sql: `renameIndex ${args.table}` }];
  addForeignKey = (args: BuiltinOperationArgs['addForeignKey']) => [{ sql: `addForeignKey ${args.table}` }];
  dropForeignKey = (args: BuiltinOperationArgs['dropForeignKey']) => [{ sql: `dropForeignKey ${args.table}` }];
}

interface ViewArgs {
  readonly name: string;
  readonly query: string;
}

/** A plugin operation that carries no SQL of its own: dialects that know it supply it. */
const createView = defineOperation<ViewArgs>({
  kind: 'views.createView',
  validate: () => {},
  describe: (args) => `Create view ${args.name}`,
  applyToState: (state) => state,
  reverse: (args) => [createOperation('runSql', { sql: `DROP VIEW ${args.name}` })],
});
const views = definePlugin({
  name: 'covet-plugin-views',
  apply(covet) {
    covet.hooks.registerOperations.tap('covet-plugin-views', (registry) => registry.register(createView));
  },
});

/** A dialect that only compiles (it never connects): the built-ins, and optionally views. */
class OfflineDialect extends DialectBase {
  readonly capabilities = { transactionalDdl: true, alterColumn: 'native', maxIdentifierLength: 63 } as const;
  protected readonly compiler = new RecordingCompiler();

  constructor(readonly name: string) {
    super();
  }

  async connect(_config: DatabaseConfig): Promise<DialectConnection> {
    throw new Error('offline');
  }

  describeDatabase(): string {
    return this.name;
  }
}

class ViewsDialect extends OfflineDialect {
  protected override readonly pluginOperationSql = {
    'views.createView': (args: ViewArgs, context: CompileContext) => [
      { sql: `CREATE VIEW ${context.dialect.quoteIdentifier(args.name)} AS ${args.query}` },
    ],
  };
}

const context = (dialect: OfflineDialect): CompileContext => ({ dialect, stateBefore: EMPTY_STATE, stateAfter: EMPTY_STATE });

describe('the operation catalogue', () => {
  it('derives the built-in kinds from one list of definitions, each registered on every instance', () => {
    expect(BUILTIN_OPERATION_KINDS).toEqual(BUILTIN_OPERATIONS.map((definition) => definition.kind));
    expect(createCovet().operations.kinds()).toEqual([...BUILTIN_OPERATION_KINDS].sort());
    expect(BUILTIN_OPERATION_KINDS.every(isBuiltinOperationKind)).toBe(true);
    expect(isBuiltinOperationKind('views.createView')).toBe(false);
    expect(isBuiltinOperationKind('toString')).toBe(false);
  });

  it('has one op builder per built-in kind, which builds an operation of that kind', () => {
    expect(Object.keys(op).filter((name) => name !== 'custom').sort()).toEqual([...BUILTIN_OPERATION_KINDS].sort());
    const drop = op.dropTable('users');
    expectTypeOf(drop.kind).toEqualTypeOf<'dropTable'>();
    expectTypeOf(drop.args).toEqualTypeOf<DropTableArgs>();
    expect(drop).toEqual({ kind: 'dropTable', args: { name: 'users' } });
  });

  it("takes each op builder and writer from its kind's definition (build, write): nothing kept by hand elsewhere", () => {
    for (const kind of BUILTIN_OPERATION_KINDS) {
      const definition = builtinDefinition(kind);
      expect(typeof definition.build, kind).toBe('function');
      expect(typeof definition.write, kind).toBe('function');
      expect(createCovet().operations.get(kind)).toBe(definition);
    }
    // op.<kind>(...params) is { kind, args: build(...params) }.
    expectTypeOf<Parameters<typeof op.createIndex>>().toEqualTypeOf<Parameters<BuiltinDefinitions['createIndex']['build']>>();
    expectTypeOf<Parameters<typeof op.renameColumn>>().toEqualTypeOf<[table: string, from: string, to: string]>();
    expect(op.createIndex('users', { columns: ['email'] }).args).toEqual(builtinDefinition('createIndex').build('users', { columns: ['email'] }));
    // write gives the code tree of the op.<kind>(...) call, which evaluates back to the operation.
    const operation = op.addColumn('users', 'nickname', t.varchar(50).default('x'));
    const { code } = builtinDefinition('addColumn').write(operation.args);
    expect(typeof code).toBe('object');
    const rebuilt = codeTree.evaluateCode(code as Code, { op, t, sql }) as Operation;
    expect(codeTree.sameData(rebuilt, operation)).toBe(true);
    // Every kind's writer rebuilds an operation its builder made (one example per kind: a new
    // kind without one is a type error here).
    const examples: { readonly [Kind in BuiltinOperationKind]: BuiltinOperation<Kind> } = {
      createTable: op.createTable('users', { id: t.serial().primaryKey(), email: t.varchar(255).notNull().unique() }, { indexes: [{ columns: ['id', 'email'] }] }),
      dropTable: op.dropTable('users'),
      renameTable: op.renameTable('users', 'people'),
      addColumn: op.addColumn('users', 'bio', t.text().default('')),
      dropColumn: op.dropColumn('users', 'bio'),
      alterColumn: op.alterColumn('users', 'bio', t.varchar(10).notNull()),
      renameColumn: op.renameColumn('users', 'bio', 'about'),
      createIndex: op.createIndex('users', { columns: ['email'], unique: true, where: 'email IS NOT NULL' }),
      dropIndex: op.dropIndex('users', 'users_email_key'),
      renameIndex: op.renameIndex('users', 'users_email_key', 'users_mail_key'),
      addForeignKey: op.addForeignKey('posts', { columns: ['author_id'], references: { table: 'users', columns: ['id'] }, onDelete: 'cascade' }),
      dropForeignKey: op.dropForeignKey('posts', 'posts_author_id_fkey'),
      runSql: op.runSql('SELECT 1', ['SELECT 2', 'SELECT 3']),
    };
    for (const kind of BUILTIN_OPERATION_KINDS) {
      const example = examples[kind] as Operation;
      const tree = (builtinDefinition(kind).write as (args: unknown) => { code: Code }).call(builtinDefinition(kind), example.args).code;
      expect(codeTree.sameData(codeTree.evaluateCode(tree, { op, t, sql }), example), kind).toBe(true);
    }
    // A built-in definition without its builder or writer does not type-check.
    const incomplete = {
      kind: 'fooBar',
      validate: () => {},
      describe: () => 'foo',
      applyToState: (state: SchemaState) => state,
      reverse: () => [],
    };
    // @ts-expect-error build and write are required of a built-in kind.
    expect(() => defineBuiltin<{ name: string }>()(incomplete)).not.toThrow();
  });

  it('types the catalogue: arguments per kind, portable kinds, no any from operations.get()', () => {
    expectTypeOf<BuiltinOperationArgs['dropTable']>().toEqualTypeOf<DropTableArgs>();
    expectTypeOf<BuiltinOperationArgs['runSql']>().toEqualTypeOf<RunSqlArgs>();
    expectTypeOf<PortableBuiltinKind>().toEqualTypeOf<'runSql'>();
    const registry = createCovet({ plugins: [views] }).operations;
    expectTypeOf(registry.get('dropTable')).toEqualTypeOf<OperationDefinition<DropTableArgs>>();
    const plugin = registry.get('views.createView');
    expectTypeOf(plugin).not.toBeAny();
    expectTypeOf(plugin.validate).parameter(0).toEqualTypeOf<unknown>();
    expectTypeOf(plugin.describe).parameter(0).toEqualTypeOf<unknown>();
    expectTypeOf(plugin.applyToState).parameter(1).toEqualTypeOf<unknown>();
    expectTypeOf(plugin.reverse).parameter(0).toEqualTypeOf<unknown>();
    expectTypeOf(plugin.reverse).returns.not.toBeAny();
    expectTypeOf<NonNullable<typeof plugin.write>>().parameter(0).toEqualTypeOf<unknown>();
    expectTypeOf<Exclude<NonNullable<typeof plugin.destructive>, boolean>>().parameter(0).toEqualTypeOf<unknown>();
    expectTypeOf(registry.get('views.createView').sql).toEqualTypeOf<Readonly<Record<string, SqlRenderer<unknown>>> | undefined>();
    // The bare type takes unknown arguments, not any; a list of definitions of different kinds is AnyOperationDefinition[].
    expectTypeOf<OperationDefinition>().toEqualTypeOf<OperationDefinition<unknown>>();
    expectTypeOf<OperationDefinition<DropTableArgs>>().toMatchTypeOf<AnyOperationDefinition>();
    expectTypeOf<Parameters<OperationRegistry['register']>[0]>().toEqualTypeOf<AnyOperationDefinition>();
    const operation: unknown = op.renameTable('a', 'b');
    if (isOperation(operation, 'renameTable')) expectTypeOf(operation.args).toEqualTypeOf<BuiltinOperationArgs['renameTable']>();
  });

  it('requires a method per non-portable built-in kind of a dialect compiler (a type error otherwise)', () => {
    // @ts-expect-error dropForeignKey is missing: every built-in kind needs its method.
    const incomplete: BuiltinOperationCompiler = {
      createTable: () => [],
      dropTable: () => [],
      renameTable: () => [],
      addColumn: () => [],
      dropColumn: () => [],
      alterColumn: () => [],
      renameColumn: () => [],
      createIndex: () => [],
      dropIndex: () => [],
      addForeignKey: () => [],
    };
    // @ts-expect-error a method takes its kind's arguments: dropTable's have no `table`.
    const mistyped: BuiltinOperationCompiler['dropTable'] = (args: { table: string }) => [{ sql: args.table }];
    expect([incomplete, mistyped]).toHaveLength(2);
    expectTypeOf<keyof BuiltinOperationCompiler>().toEqualTypeOf<BuiltinOperationKind>();
  });

  it('finds a built-in kind in the dialect compiler, and runSql in its definition when the compiler has none', async () => {
    const dialect = new OfflineDialect('offline');
    const registry = createCovet().operations;
    expect(await compileOperationSql(registry.get('dropTable'), op.dropTable('users'), context(dialect))).toEqual([{ sql: 'dropTable users' }]);
    expect(operationSqlSource(registry.get('dropTable'), dialect)).toBe('dialect');
    expect(await compileOperationSql(registry.get('runSql'), op.runSql('SELECT 1'), context(dialect))).toEqual([{ sql: 'SELECT 1' }]);
    expect(operationSqlSource(registry.get('runSql'), dialect)).toBe('operation');
    expect(Object.keys(dialect.operationSql).sort()).toEqual(BUILTIN_OPERATION_KINDS.filter((kind) => kind !== 'runSql').sort());
  });

  it("takes a plugin kind's SQL from a dialect that knows it, without the plugin knowing the dialect", async () => {
    const registry = createCovet({ plugins: [views] }).operations;
    const dialect = new ViewsDialect('pglite');
    const operation = createOperation('views.createView', { name: 'active users', query: 'SELECT 1' });
    expect(operationSqlSource(registry.get('views.createView'), dialect)).toBe('dialect');
    expect(await compileOperationSql(registry.get('views.createView'), operation, context(dialect))).toEqual([
      { sql: 'CREATE VIEW "active users" AS SELECT 1' },
    ]);
    expect(await dialect.compileOperation(operation, context(dialect))).toEqual([{ sql: 'CREATE VIEW "active users" AS SELECT 1' }]);
    expect(() => checkOperationSql(registry.kinds().map((kind) => registry.get(kind)), dialect)).not.toThrow();
  });

  it("prefers the operation's SQL for the dialect's name, then the dialect's, then the operation's default", async () => {
    const both = defineOperation<ViewArgs>({
      ...createView,
      sql: { pglite: () => [{ sql: 'own pglite' }], default: () => [{ sql: 'own default' }] },
    });
    const defaultOnly = defineOperation<ViewArgs>({ ...createView, sql: { default: () => [{ sql: 'own default' }] } });
    const operation = createOperation('views.createView', { name: 'v', query: 'SELECT 1' });
    const dialect = new ViewsDialect('pglite');
    expect(await compileOperationSql(both, operation, context(dialect))).toEqual([{ sql: 'own pglite' }]);
    expect(await compileOperationSql(defaultOnly, operation, context(dialect))).toEqual([{ sql: 'CREATE VIEW "v" AS SELECT 1' }]);
    expect(await compileOperationSql(defaultOnly, operation, context(new OfflineDialect('other')))).toEqual([{ sql: 'own default' }]);
    expect(await compileOperationSql(createView, operation, context(new OfflineDialect('other')))).toBeUndefined();
  });

  it("serves a dialect of a family (PGlite: postgres) from the operation's sql[family]: after its own name and the dialect's SQL, before sql.default", async () => {
    class FamilyDialect extends OfflineDialect {
      readonly family = 'postgres';
    }
    class FamilyViewsDialect extends ViewsDialect {
      readonly family = 'postgres';
    }
    const forPostgres = defineOperation<ViewArgs>({
      ...createView,
      sql: { postgres: () => [{ sql: 'postgres sql' }], default: () => [{ sql: 'default sql' }] },
    });
    const postgresOnly = defineOperation<ViewArgs>({ ...createView, sql: { postgres: () => [{ sql: 'postgres sql' }] } });
    const operation = createOperation('views.createView', { name: 'v', query: 'SELECT 1' });
    const pglite = new FamilyDialect('pglite');
    expect(dialectFamily(pglite)).toBe('postgres');
    expect(dialectFamily(new OfflineDialect('sqlite'))).toBe('sqlite');
    // The family's SQL, where the operation has nothing for the name: not its default.
    expect(await compileOperationSql(forPostgres, operation, context(pglite))).toEqual([{ sql: 'postgres sql' }]);
    expect(operationSqlSource(postgresOnly, pglite)).toBe('operation');
    expect(() => checkOperationSql([postgresOnly], pglite)).not.toThrow();
    // The dialect's own name first, and what the dialect knows of the kind before the family's SQL.
    const named = defineOperation<ViewArgs>({ ...createView, sql: { pglite: () => [{ sql: 'pglite sql' }], postgres: () => [{ sql: 'postgres sql' }] } });
    expect(await compileOperationSql(named, operation, context(pglite))).toEqual([{ sql: 'pglite sql' }]);
    expect(await compileOperationSql(forPostgres, operation, context(new FamilyViewsDialect('pglite')))).toEqual([{ sql: 'CREATE VIEW "v" AS SELECT 1' }]);
    expect(operationSqlSource(forPostgres, new FamilyViewsDialect('pglite'))).toBe('dialect');
    // Another family gets the default, or nothing.
    expect(await compileOperationSql(forPostgres, operation, context(new OfflineDialect('sqlite')))).toEqual([{ sql: 'default sql' }]);
    expect(await compileOperationSql(postgresOnly, operation, context(new OfflineDialect('sqlite')))).toBeUndefined();
    const missing = covetErrorOf(() => checkOperationSql([createView], pglite));
    expect(missing.message).toBe('Dialect "pglite" has no SQL for operation kind "views.createView"');
    expect(missing.hint).toContain('sql.pglite, sql.postgres or sql.default');
  });

  it('reads only own members of the SQL tables (a dialect named toString has no inherited SQL)', async () => {
    const operation = createOperation('views.createView', { name: 'v', query: 'SELECT 1' });
    expect(operationSqlSource(createView, new OfflineDialect('toString'))).toBeUndefined();
    expect(await compileOperationSql(createView, operation, context(new OfflineDialect('constructor')))).toBeUndefined();
  });

  it('conformance: a registered kind without SQL on the dialect stops the suite before anything runs, naming kind and dialect', () => {
    let databases = 0;
    const run = () =>
      runDialectConformance({
        name: 'offline',
        dialect: new OfflineDialect('offline'),
        plugins: [views],
        createDatabase: async () => {
          databases++;
          return { config: { engine: 'offline' }, drop: async () => {} };
        },
      });
    const error = covetErrorOf(run);
    expect(error.code).toBe('OPERATION_SQL_MISSING');
    expect(error.message).toBe('Dialect "offline" has no SQL for operation kind "views.createView" (runDialectConformance offline)');
    expect(error.message).not.toContain('\n');
    expect(error.hint).toMatch(/operationSql\["views.createView"\]/);
    expect(databases).toBe(0);
  });
});
