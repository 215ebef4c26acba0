/**
 * The dialect-neutral schema model every part of Covet shares: the model DSL produces it, the
 * operations transform it, the introspectors read it back from a live database and the
 * engine diffs two of them. Everything here is plain, JSON-serialisable data.
 */

/** What happens to referencing rows when the referenced row is deleted or updated. */
export type ReferentialAction = 'cascade' | 'set null' | 'set default' | 'restrict' | 'no action';

/** Every referential action, in the order the docs list them. */
export const REFERENTIAL_ACTIONS: readonly ReferentialAction[] = Object.freeze([
  'cascade',
  'set null',
  'set default',
  'restrict',
  'no action',
]);

/** Column types without parameters. */
export type SimpleColumnTypeName =
  | 'smallserial'
  | 'serial'
  | 'bigserial'
  | 'smallint'
  | 'integer'
  | 'bigint'
  | 'boolean'
  | 'text'
  | 'real'
  | 'double'
  | 'date'
  | 'json'
  | 'uuid'
  | 'blob';

/**
 * How large a `text` or `blob` column may grow, where the engine has sizes (MySQL: TINYTEXT,
 * MEDIUMTEXT, LONGTEXT and the BLOB forms); engines with one size ignore it. Unset: the
 * engine's plain TEXT / BLOB (64 KiB on MySQL).
 */
export type LobSize = 'tiny' | 'medium' | 'long';

/** Every {@link LobSize}. */
export const LOB_SIZES: readonly LobSize[] = Object.freeze(['tiny', 'medium', 'long']);

/**
 * A column's type. `custom` carries a type the portable set does not name (an engine-specific
 * type found by an introspector, or one a user wrote with `t.custom('citext')`); it is passed
 * to the database as written, so only dialects that know it can run it.
 */
export type ColumnType =
  | { readonly type: Exclude<SimpleColumnTypeName, 'text' | 'blob' | 'json'> }
  | { readonly type: 'text' | 'blob'; readonly size?: LobSize }
  /** `binary`: stored parsed (PostgreSQL `jsonb`); engines with one JSON type ignore it. */
  | { readonly type: 'json'; readonly binary?: boolean }
  | { readonly type: 'varchar' | 'char'; readonly length: number }
  | { readonly type: 'decimal'; readonly precision?: number; readonly scale?: number }
  | { readonly type: 'time' | 'timestamp'; readonly withTimeZone?: boolean }
  | { readonly type: 'custom'; readonly sql: string }
  /**
   * One of a fixed list of strings: MySQL's inline `ENUM(...)`; on SQLite a `text` column with
   * `CHECK (column IN (...))` (the standard emulation). PostgreSQL's enum types are schema
   * objects of their own, not modelled yet: refused there.
   */
  | { readonly type: 'enum'; readonly values: readonly string[] }
  /**
   * An array of `of` (PostgreSQL only: `text[]`, `integer[][]`); `dimensions` (1 when unset) is
   * what the declaration says, which PostgreSQL keeps but does not enforce.
   */
  | { readonly type: 'array'; readonly of: ArrayElementType; readonly dimensions?: number };

/** What an array may hold: any column type but a serial or another array (dimensions say that). */
export type ArrayElementType = Exclude<ColumnType, { readonly type: 'array' | 'smallserial' | 'serial' | 'bigserial' | 'enum' }>;

/** Every type name `ColumnType.type` can hold. */
export type ColumnTypeName = ColumnType['type'];

/** A column default: a literal value, or a SQL expression written with the `sql` tag. */
export type ColumnDefault =
  | { readonly kind: 'value'; readonly value: string | number | boolean | null }
  | { readonly kind: 'sql'; readonly sql: string };

/** One column as the schema state holds it. */
export interface ColumnState {
  readonly name: string;
  readonly type: ColumnType;
  readonly nullable: boolean;
  readonly default?: ColumnDefault;
  /** The column's collation, as the engine names it (`C`, `utf8mb4_bin`, `NOCASE`); unset: the default. */
  readonly collation?: string;
  /** A comment stored with the column (PostgreSQL, MySQL). */
  readonly comment?: string;
  /**
   * An identity column (SQL standard) on an integer type: values come from the column's own
   * generator; `always` refuses values an INSERT gives, `byDefault` takes them.
   */
  readonly identity?: ColumnIdentity;
  /**
   * A generated (computed) column: the database computes it from `sql`, an expression over
   * other columns of the row. `stored` keeps the value on disk; otherwise (virtual) it is
   * computed when read. Such a column has no default and takes no value from an INSERT.
   */
  readonly generated?: ColumnGenerated;
}

/** How a generated column is computed (see {@link ColumnState.generated}). */
export interface ColumnGenerated {
  readonly sql: string;
  readonly stored: boolean;
}

/** How an identity column takes values an INSERT gives (see {@link ColumnState.identity}). */
export type ColumnIdentity = 'always' | 'byDefault';

/** An index; `unique` indexes also carry the model's unique constraints. */
export interface IndexState {
  readonly name: string;
  readonly columns: readonly string[];
  readonly unique: boolean;
  /** Partial index predicate, as SQL. */
  readonly where?: string;
}

/** A foreign key constraint. */
export interface ForeignKeyState {
  readonly name: string;
  readonly columns: readonly string[];
  readonly references: { readonly table: string; readonly columns: readonly string[] };
  readonly onDelete: ReferentialAction;
  readonly onUpdate: ReferentialAction;
}

/** A table's primary key. */
export interface PrimaryKeyState {
  readonly name?: string;
  readonly columns: readonly string[];
}

/** One table as the schema state holds it. Column order is kept; the rest is sorted by name. */
export interface TableState {
  readonly name: string;
  readonly columns: readonly ColumnState[];
  readonly primaryKey?: PrimaryKeyState;
  readonly indexes: readonly IndexState[];
  readonly foreignKeys: readonly ForeignKeyState[];
}

/** Something in the database that Covet sees but does not manage (a view, a trigger, ...). */
export interface UnmanagedObject {
  readonly kind: string;
  readonly name: string;
  readonly table?: string;
}

/**
 * One namespace of plugin state: a plugin's objects (views, triggers, ...) by name, each JSON
 * data whose shape the plugin defines (`Definition`). A record with no prototype, frozen.
 */
export type PluginObjects<Definition = unknown> = Readonly<Record<string, Definition>>;

/**
 * The shape of each namespace's objects, for the type checker: a plugin declares its own by
 * module augmentation, and `getPluginObjects(state, 'views')`, `withPluginObject`,
 * `defineModelObject` and `diffPluginObjects` are then typed for that namespace without a
 * type argument (other namespaces hold `unknown`, or the type you pass).
 *
 * @example
 * declare module '@covet/core' {
 *   interface PluginObjectTypes {
 *     views: { readonly sql: string };
 *   }
 * }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface -- filled by module augmentation
export interface PluginObjectTypes {}

/** The definition type of `Namespace`'s objects: from {@link PluginObjectTypes}, else `unknown`. */
export type PluginObjectOf<Namespace extends string> = Namespace extends keyof PluginObjectTypes ? PluginObjectTypes[Namespace] : unknown;

/**
 * The whole schema: tables by name, and the objects plugins keep, by namespace. Immutable:
 * operations return a new state.
 */
export interface SchemaState {
  readonly tables: Readonly<Record<string, TableState>>;
  /** Objects an introspector found and reports but does not manage. */
  readonly unmanaged?: readonly UnmanagedObject[];
  /**
   * Plugin state: namespace (a plugin's short name, e.g. `views`) -> its objects by name.
   * Absent when no plugin keeps anything. Read it with `getPluginObjects` / `getPluginObject`
   * and change it only with `withPluginObject` (in an operation's `applyToState`), so it is
   * replayed from the migrations like the tables. Introspectors do not read it.
   */
  readonly plugins?: Readonly<Record<string, PluginObjects>>;
}

/** A SQL statement with its bound values. */
export interface SqlStatement {
  readonly sql: string;
  readonly params?: readonly unknown[];
  /**
   * Set by core on the statements that write Covet's own tables (the tracking table
   * `covet_migrations` and the tables beside it), never on a migration's SQL. Such a statement
   * changes no table of the user's schema, and Covet's tables have no foreign keys, so a
   * dialect may skip work it does only for user data: the SQLite dialect does not run its
   * foreign key check for it. A dialect tells Covet's statements by this flag, never by their
   * SQL text.
   */
  readonly bookkeeping?: boolean;
}
