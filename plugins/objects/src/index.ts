// @covet/plugin-objects: database objects beyond tables — views, and materialized views on
// PostgreSQL — declared in model files next to the tables, kept in the plugin state under the
// `objects` namespace and replayed from the migrations like the tables, so a drop's or a
// replace's reverse re-creates the old definition. Only public exports of @covet/core.
import { relative } from 'node:path';
import {
  CovetError,
  IRREVERSIBLE,
  createOperation,
  defineModelObject,
  defineOperation,
  definePlugin,
  dialectFamily,
  diffPluginObjects,
  getPluginObject,
  getPluginObjects,
  getTable,
  isModelObject,
  validateIdentifier,
  withPluginObject,
  type CompileContext,
  type ModelObject,
  type Operation,
  type AnyOperationDefinition,
  type SchemaState,
} from '@covet/core';

declare const __PACKAGE_ID__: string | undefined;

/** The package's name: what users list in `plugins` and what migration files import. */
export const PACKAGE_NAME = '@covet/plugin-objects';
/** The plugin-state namespace, and the prefix of the operation kinds (`objects.createView`). */
export const NAMESPACE = 'objects';
/**
 * The engine families (`dialectFamily` of `@covet/core`) this plugin writes materialized views
 * for: PostgreSQL, and so every dialect of its family (PGlite, `family: 'postgres'`).
 */
export const MATERIALIZED_VIEW_ENGINES: readonly string[] = ['postgres'];

/** A view as the plugin state keeps it. */
export interface ViewDefinition {
  readonly type: 'view';
  /** The SELECT the view is made of, as SQL for the target engine. */
  readonly sql: string;
  /** A materialized view (PostgreSQL): the rows are stored and refreshed on demand. */
  readonly materialized?: true;
}

declare module '@covet/core' {
  interface PluginObjectTypes {
    objects: ViewDefinition;
  }
}

/** Options of {@link defineView} and the view builders. */
export interface ViewOptions {
  /** A materialized view; PostgreSQL only (any other engine is refused before anything runs). */
  readonly materialized?: boolean;
}

/** Arguments of `objects.createView` and `objects.replaceView`. */
export interface ViewArgs {
  readonly name: string;
  readonly sql: string;
  readonly materialized?: true;
}

/** Arguments of `objects.dropView`. */
export interface DropViewArgs {
  readonly name: string;
}

/** Options of `objects.refreshView`. */
export interface RefreshOptions {
  /** `REFRESH ... CONCURRENTLY`: readers are not blocked; needs a unique index on the view, runs outside a transaction. */
  readonly concurrently?: boolean;
}

/** Arguments of `objects.refreshView`. */
export interface RefreshViewArgs {
  readonly name: string;
  readonly concurrently?: true;
}

const definitionOf = (sql: string, options: ViewOptions | undefined): ViewDefinition =>
  options?.materialized === true ? { type: 'view', sql, materialized: true } : { type: 'view', sql };

function argsOf(name: string, sql: string, options: ViewOptions | undefined): ViewArgs {
  return options?.materialized === true ? { name, sql, materialized: true } : { name, sql };
}

const label = (materialized: boolean | undefined) => (materialized ? 'materialized view' : 'view');

/**
 * Declares a view in a model file, next to the tables it reads. `makemigrations` creates it,
 * replaces it when the SQL changes, and drops it when the export is gone.
 *
 * @example
 * // models/app.ts
 * export const activeUsers = defineView('active_users', 'SELECT id, email FROM users WHERE active');
 * export const userCounts = defineView('user_counts', 'SELECT count(*) AS n FROM users', { materialized: true });
 */
export function defineView(name: string, sql: string, options?: ViewOptions): ModelObject<ViewDefinition> {
  checkView(name, sql, options);
  return defineModelObject(NAMESPACE, name, definitionOf(sql, options));
}

/** The builders migration files use (the writer writes them with this package's import). */
export const objects = {
  /** `CREATE [MATERIALIZED] VIEW name AS sql`; its reverse drops it. */
  createView: (name: string, sql: string, options?: ViewOptions): Operation => createOperation('objects.createView', argsOf(name, sql, options)),
  /** Drops the view and creates it again with `sql`; its reverse restores the previous definition. */
  replaceView: (name: string, sql: string, options?: ViewOptions): Operation => createOperation('objects.replaceView', argsOf(name, sql, options)),
  /** `DROP [MATERIALIZED] VIEW name`; its reverse re-creates the definition the migrations left. */
  dropView: (name: string): Operation => createOperation('objects.dropView', { name }),
  /** `REFRESH MATERIALIZED VIEW [CONCURRENTLY] name` (PostgreSQL): reloads its rows; changes no schema, so its reverse does nothing. */
  refreshView: (name: string, options?: RefreshOptions): Operation =>
    createOperation('objects.refreshView', options?.concurrently === true ? { name, concurrently: true } : { name }),
};

function checkView(name: unknown, sql: unknown, options?: ViewOptions): void {
  validateIdentifier(name as string, 'view');
  if (typeof sql !== 'string' || sql.trim() === '') {
    throw new CovetError('VIEW_INVALID', `View "${String(name)}" needs its SELECT as a non-empty string, got ${JSON.stringify(sql) ?? String(sql)}`);
  }
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new CovetError('VIEW_INVALID', `View "${String(name)}": options must be an object such as { materialized: true }`);
  }
  const materialized = (options as { materialized?: unknown } | undefined)?.materialized;
  if (materialized !== undefined && typeof materialized !== 'boolean') {
    throw new CovetError('VIEW_INVALID', `View "${String(name)}": materialized must be true or false, got ${JSON.stringify(materialized)}`);
  }
}

/** The error for a materialized view on an engine without them. */
function materializedUnsupported(name: string, engine: string, where = ''): CovetError {
  return new CovetError(
    'VIEW_MATERIALIZED_UNSUPPORTED',
    `Materialized view "${name}"${where} needs PostgreSQL: engine "${engine}" has no materialized views`,
    { hint: 'Declare it without { materialized: true } for this engine, or use PostgreSQL.' },
  );
}

function requireView(name: string, state: SchemaState): ViewDefinition {
  const view = getPluginObject(state, NAMESPACE, name);
  if (!view) throw new CovetError('VIEW_UNKNOWN', `View "${name}" does not exist (no migration before this one creates it)`);
  return view;
}

/** `CREATE [MATERIALIZED] VIEW`; `materializedViews` is false on engines without them (the `default` SQL). */
function createSql(args: ViewArgs, { dialect }: CompileContext, materializedViews: boolean): string {
  if (args.materialized && !materializedViews) throw materializedUnsupported(args.name, dialect.name);
  return `CREATE ${args.materialized ? 'MATERIALIZED VIEW' : 'VIEW'} ${dialect.quoteIdentifier(args.name)} AS ${args.sql}`;
}

function dropSql(name: string, materialized: boolean | undefined, { dialect }: CompileContext): string {
  return `DROP ${materialized ? 'MATERIALIZED VIEW' : 'VIEW'} ${dialect.quoteIdentifier(name)}`;
}

/** Drops the old view (of its own kind) and creates the new one. */
function replaceSql(args: ViewArgs, context: CompileContext, materializedViews: boolean): { sql: string }[] {
  const old = getPluginObject(context.stateBefore, NAMESPACE, args.name);
  return [{ sql: dropSql(args.name, old?.materialized, context) }, { sql: createSql(args, context, materializedViews) }];
}

const write =
  (builder: keyof typeof objects) =>
  (args: ViewArgs | DropViewArgs | RefreshViewArgs): { code: string; imports: { from: string; names: string[] }[] } => {
    const members = [JSON.stringify(args.name)];
    if ('sql' in args) members.push(JSON.stringify(args.sql));
    if ('materialized' in args && args.materialized) members.push('{ materialized: true }');
    if ('concurrently' in args && args.concurrently) members.push('{ concurrently: true }');
    return { code: `objects.${builder}(${members.join(', ')})`, imports: [{ from: PACKAGE_NAME, names: ['objects'] }] };
  };

const cacheKey = typeof __PACKAGE_ID__ === 'string' ? __PACKAGE_ID__ : undefined;
const viewOptions = (view: ViewDefinition): ViewOptions | undefined => (view.materialized ? { materialized: true } : undefined);

/** The operations this plugin registers. */
export const OPERATIONS: readonly AnyOperationDefinition[] = [
  defineOperation<ViewArgs>({
    kind: 'objects.createView',
    validate(args, state) {
      checkView(args.name, args.sql, args);
      if (getPluginObject(state, NAMESPACE, args.name) || getTable(state, args.name)) {
        throw new CovetError('VIEW_EXISTS', `Cannot create view "${args.name}": a view or table of that name exists`);
      }
    },
    describe: (args) => `Create ${label(args.materialized)} ${args.name}`,
    applyToState: (state, args) => withPluginObject(state, NAMESPACE, args.name, definitionOf(args.sql, args)),
    reverse: (args) => [objects.dropView(args.name)],
    // sql.postgres serves every dialect of the PostgreSQL family (PGlite too); the others get default.
    sql: {
      postgres: (args, context) => [{ sql: createSql(args, context, true) }],
      default: (args, context) => [{ sql: createSql(args, context, false) }],
    },
    write: write('createView'),
    ...(cacheKey ? { cacheKey } : {}),
  }),
  defineOperation<ViewArgs>({
    kind: 'objects.replaceView',
    validate(args, state) {
      checkView(args.name, args.sql, args);
      requireView(args.name, state);
    },
    describe: (args) => `Replace ${label(args.materialized)} ${args.name}`,
    applyToState: (state, args) => withPluginObject(state, NAMESPACE, args.name, definitionOf(args.sql, args)),
    reverse(args, stateBefore) {
      const old = getPluginObject(stateBefore, NAMESPACE, args.name);
      return old ? [objects.replaceView(args.name, old.sql, viewOptions(old))] : IRREVERSIBLE;
    },
    // SQLite has no CREATE OR REPLACE VIEW, PostgreSQL's cannot drop a column and there is none
    // for materialized views: drop the old one (of its own kind) and create the new one.
    sql: {
      postgres: (args, context) => replaceSql(args, context, true),
      default: (args, context) => replaceSql(args, context, false),
    },
    write: write('replaceView'),
    ...(cacheKey ? { cacheKey } : {}),
  }),
  defineOperation<DropViewArgs>({
    kind: 'objects.dropView',
    validate(args, state) {
      validateIdentifier(args.name, 'view');
      requireView(args.name, state);
    },
    describe: (args) => `Drop view ${args.name}`,
    // A view holds no data of its own (a materialized view's rows come back with a refresh).
    destructive: false,
    applyToState: (state, args) => withPluginObject(state, NAMESPACE, args.name, undefined),
    // The old definition comes from the state before the drop, replayed from the migrations.
    reverse(args, stateBefore) {
      const old = getPluginObject(stateBefore, NAMESPACE, args.name);
      return old ? [objects.createView(args.name, old.sql, viewOptions(old))] : IRREVERSIBLE;
    },
    sql: { default: (args, context) => [{ sql: dropSql(args.name, getPluginObject(context.stateBefore, NAMESPACE, args.name)?.materialized, context) }] },
    write: write('dropView'),
    ...(cacheKey ? { cacheKey } : {}),
  }),
  defineOperation<RefreshViewArgs>({
    kind: 'objects.refreshView',
    validate(args, state) {
      validateIdentifier(args.name, 'view');
      if (!requireView(args.name, state).materialized) {
        throw new CovetError('VIEW_NOT_MATERIALIZED', `Cannot refresh view "${args.name}": it is not a materialized view`);
      }
      if (args.concurrently !== undefined && args.concurrently !== true) {
        throw new CovetError('VIEW_INVALID', `Refresh of view "${args.name}": concurrently must be true or left out, got ${JSON.stringify(args.concurrently)}`);
      }
    },
    describe: (args) => `Refresh materialized view ${args.name}${args.concurrently ? ' concurrently' : ''}`,
    applyToState: (state) => state,
    // The rows a refresh replaced cannot come back; rolling it back changes nothing.
    reverse: () => [],
    // PostgreSQL refuses REFRESH ... CONCURRENTLY inside a transaction block.
    transactional: (args) => args.concurrently !== true,
    sql: {
      postgres: (args, { dialect }) => [{ sql: `REFRESH MATERIALIZED VIEW ${args.concurrently ? 'CONCURRENTLY ' : ''}${dialect.quoteIdentifier(args.name)}` }],
      default: (args, { dialect }) => {
        throw materializedUnsupported(args.name, dialect.name);
      },
    },
    write: write('refreshView'),
    ...(cacheKey ? { cacheKey } : {}),
  }),
];

/**
 * The plugin: list `'@covet/plugin-objects'` (or this default export) in `plugins`.
 * `makemigrations` compares the views of the models with those of the migrations: drops come
 * before the table changes (a view may read a column being dropped), replacements and creations
 * after them (a view may read a new column).
 */
const plugin = definePlugin({
  name: PACKAGE_NAME,
  apply(covet) {
    let engine: string | undefined;
    let rootDir = process.cwd();
    covet.hooks.registerOperations.tap(PACKAGE_NAME, (registry) => {
      for (const definition of OPERATIONS) registry.register(definition);
    });
    covet.hooks.processConfig.tap(PACKAGE_NAME, (config) => {
      engine = config.database.engine;
      rootDir = config.rootDir;
      return config;
    });
    // A materialized view declared for an engine without them stops makemigrations, naming the
    // model file and export, before any file is written.
    covet.hooks.processModels.tap(PACKAGE_NAME, (state, { exports }) => {
      if (engine === undefined) return state;
      const dialect = covet.dialects.get(engine);
      if (MATERIALIZED_VIEW_ENGINES.includes(dialect ? dialectFamily(dialect) : engine)) return state;
      for (const [name, view] of Object.entries(getPluginObjects(state, NAMESPACE))) {
        if (!view.materialized) continue;
        const where = exports.find(({ value }) => isModelObject(value) && value.namespace === NAMESPACE && value.name === name);
        throw materializedUnsupported(name, engine, where ? ` (${relative(rootDir, where.file)}, export ${where.name})` : '');
      }
      return state;
    });
    covet.hooks.processChanges.tap(PACKAGE_NAME, (operations, { from, to }) => orderViewChanges(operations, from, to));
  },
});

/** Table changes that PostgreSQL refuses while a view reads the column (and that leave a MySQL view invalid). */
const COLUMN_CHANGES = new Set(['alterColumn', 'dropColumn']);

/** Whether a view's SQL names `table` as a word (quoted or not): a cautious guess of what it reads. */
function mentions(sql: string, table: string): boolean {
  return new RegExp(`(^|[^\\w$])${table.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w$])`, 'i').test(sql);
}

/**
 * The detected table operations with the view operations around them: drops first (a view may
 * read a column being dropped), replacements and creations after (a view may read a new
 * column). A view that stays but reads a table whose columns change or go is dropped before
 * and created again after, with its new definition.
 */
export function orderViewChanges(operations: readonly Operation[], from: SchemaState, to: SchemaState): Operation[] {
  const { created, dropped, changed } = diffPluginObjects(from, to, NAMESPACE);
  const touched = operations.filter((operation) => COLUMN_CHANGES.has(operation.kind)).map((operation) => (operation.args as { table: string }).table);
  const kept = getPluginObjects(to, NAMESPACE);
  const around = Object.entries(getPluginObjects(from, NAMESPACE))
    .filter(([name, old]) => Object.hasOwn(kept, name) && touched.some((table) => mentions(old.sql, table)))
    .map(([name]) => name);
  return [
    ...dropped.map(({ name }) => objects.dropView(name)),
    ...around.map((name) => objects.dropView(name)),
    ...operations,
    ...changed.filter(({ name }) => !around.includes(name)).map(({ name, after }) => objects.replaceView(name, after.sql, viewOptions(after))),
    ...created.map(({ name, definition }) => objects.createView(name, definition.sql, viewOptions(definition))),
    ...around.map((name) => objects.createView(name, kept[name]!.sql, viewOptions(kept[name]!))),
  ];
}

export default plugin;
