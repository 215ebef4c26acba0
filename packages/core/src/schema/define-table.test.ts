import { describe, expect, it } from 'vitest';
import { covetErrorOf } from '../../test/helpers.js';
import { t } from './column-builder.js';
import { buildTableState, defineTable, isTableDefinition, normalizeTable } from './define-table.js';
import { sql } from './sql-tag.js';
import type { TableState } from './types.js';

const users = defineTable(
  'users',
  {
    id: t.serial().primaryKey(),
    email: t.varchar(255).notNull().unique(),
    bio: t.text(),
    created_at: t.timestamp().notNull().default(sql`CURRENT_TIMESTAMP`),
  },
  { indexes: [{ name: 'users_bio_idx', columns: ['bio'] }] },
);

describe('defineTable', () => {
  it('builds the TableState of the architecture example (users)', () => {
    expect(isTableDefinition(users)).toBe(true);
    expect(users.name).toBe('users');
    expect(users.state).toStrictEqual<TableState>({
      name: 'users',
      columns: [
        { name: 'id', type: { type: 'serial' }, nullable: false },
        { name: 'email', type: { type: 'varchar', length: 255 }, nullable: false },
        { name: 'bio', type: { type: 'text' }, nullable: true },
        { name: 'created_at', type: { type: 'timestamp' }, nullable: false, default: { kind: 'sql', sql: 'CURRENT_TIMESTAMP' } },
      ],
      primaryKey: { columns: ['id'] },
      // Sorted by name: the explicit index, then the one `.unique()` made.
      indexes: [
        { name: 'users_bio_idx', columns: ['bio'], unique: false },
        { name: 'users_email_key', columns: ['email'], unique: true },
      ],
      foreignKeys: [],
    });
  });

  it('turns .references(table, column, { onDelete }) into a <table>_<col>_fkey foreign key with onUpdate "no action"', () => {
    const posts = defineTable(
      'posts',
      {
        id: t.serial().primaryKey(),
        author_id: t.integer().notNull().references(users, 'id', { onDelete: 'cascade' }),
        title: t.varchar(200).notNull(),
      },
      { uniques: [['author_id', 'title']] },
    );
    expect(posts.state).toStrictEqual<TableState>({
      name: 'posts',
      columns: [
        { name: 'id', type: { type: 'serial' }, nullable: false },
        { name: 'author_id', type: { type: 'integer' }, nullable: false },
        { name: 'title', type: { type: 'varchar', length: 200 }, nullable: false },
      ],
      primaryKey: { columns: ['id'] },
      indexes: [{ name: 'posts_author_id_title_key', columns: ['author_id', 'title'], unique: true }],
      foreignKeys: [
        {
          name: 'posts_author_id_fkey',
          columns: ['author_id'],
          references: { table: 'users', columns: ['id'] },
          onDelete: 'cascade',
          onUpdate: 'no action',
        },
      ],
    });
  });

  it('serial columns are NOT NULL, other columns nullable unless .notNull(), and a primary key column is NOT NULL', () => {
    const table = defineTable('things', {
      a: t.smallserial(),
      b: t.bigserial(),
      c: t.integer(),
      d: t.integer().notNull(),
      e: t.uuid().primaryKey(),
    }).state;
    expect(table.columns.map((column) => [column.name, column.nullable])).toStrictEqual([
      ['a', false],
      ['b', false],
      ['c', true],
      ['d', false],
      ['e', false],
    ]);
  });

  it('builds composite primary keys, named and unnamed uniques, composite foreign keys and a partial index', () => {
    const state = defineTable(
      'memberships',
      {
        org_id: t.integer(),
        user_id: t.integer(),
        role: t.varchar(20).notNull().default('member'),
        active: t.boolean().notNull().default(true),
        weight: t.decimal(10, 2).default(1.5),
        note: t.text().default(null),
        owner: t.integer().unique('memberships_one_owner'),
      },
      {
        primaryKey: { name: 'memberships_pk', columns: ['org_id', 'user_id'] },
        uniques: [['user_id', 'role'], { name: 'memberships_role_org', columns: ['role', 'org_id'] }],
        indexes: [{ columns: ['org_id'], where: sql`active = true` }, { name: 'memberships_role_uq', columns: ['role'], unique: true }],
        foreignKeys: [
          {
            columns: ['org_id', 'user_id'],
            references: { table: 'org_users', columns: ['org_id', 'user_id'] },
            onDelete: 'set null',
            onUpdate: 'restrict',
          },
          { name: 'memberships_owner_fk', columns: ['owner'], references: { table: users, columns: ['id'] } },
        ],
      },
    ).state;
    expect(state).toStrictEqual<TableState>({
      name: 'memberships',
      columns: [
        // Primary key columns become NOT NULL even without .notNull().
        { name: 'org_id', type: { type: 'integer' }, nullable: false },
        { name: 'user_id', type: { type: 'integer' }, nullable: false },
        { name: 'role', type: { type: 'varchar', length: 20 }, nullable: false, default: { kind: 'value', value: 'member' } },
        { name: 'active', type: { type: 'boolean' }, nullable: false, default: { kind: 'value', value: true } },
        { name: 'weight', type: { type: 'decimal', precision: 10, scale: 2 }, nullable: true, default: { kind: 'value', value: 1.5 } },
        { name: 'note', type: { type: 'text' }, nullable: true, default: { kind: 'value', value: null } },
        { name: 'owner', type: { type: 'integer' }, nullable: true },
      ],
      primaryKey: { name: 'memberships_pk', columns: ['org_id', 'user_id'] },
      indexes: [
        { name: 'memberships_one_owner', columns: ['owner'], unique: true },
        { name: 'memberships_org_id_idx', columns: ['org_id'], unique: false, where: 'active = true' },
        { name: 'memberships_role_org', columns: ['role', 'org_id'], unique: true },
        { name: 'memberships_role_uq', columns: ['role'], unique: true },
        { name: 'memberships_user_id_role_key', columns: ['user_id', 'role'], unique: true },
      ],
      foreignKeys: [
        {
          name: 'memberships_org_id_user_id_fkey',
          columns: ['org_id', 'user_id'],
          references: { table: 'org_users', columns: ['org_id', 'user_id'] },
          onDelete: 'set null',
          onUpdate: 'restrict',
        },
        {
          name: 'memberships_owner_fk',
          columns: ['owner'],
          references: { table: 'users', columns: ['id'] },
          onDelete: 'no action',
          onUpdate: 'no action',
        },
      ],
    });
  });

  it('keeps the text of a sql default, with CRLF normalised, and refuses interpolation', () => {
    const column = defineTable('x', { at: t.timestamp({ withTimeZone: true }).default(sql('now()\r\n  at time zone \'utc\'')) }).state
      .columns[0];
    expect(column).toStrictEqual({
      name: 'at',
      type: { type: 'timestamp', withTimeZone: true },
      nullable: true,
      default: { kind: 'sql', sql: "now()\n  at time zone 'utc'" },
    });
    const value = 'x';
    expect(covetErrorOf(() => sql`lower(${value})`).code).toBe('SQL_INTERPOLATION');
  });

  it('gives long default names a stable hashed form within 63 characters', () => {
    const longColumn = 'a_very_long_column_name_that_goes_on_and_on_for_ever';
    const state = defineTable('a_rather_long_table_name', { [longColumn]: t.integer().unique() }).state;
    const name = state.indexes[0]!.name;
    expect(name).toHaveLength(63);
    expect(name).toBe('a_rather_long_table_name_a_very_long_column_name_t_697f1804_key');
    expect(defineTable('a_rather_long_table_name', { [longColumn]: t.integer().unique() }).state.indexes[0]!.name).toBe(name);
  });

  it('accepts reserved words and mixed case as table and column names', () => {
    const order = defineTable('order', { Group: t.integer().notNull(), select: t.text() }, { indexes: [{ columns: ['Group', 'select'] }] });
    expect(order.state).toStrictEqual<TableState>({
      name: 'order',
      columns: [
        { name: 'Group', type: { type: 'integer' }, nullable: false },
        { name: 'select', type: { type: 'text' }, nullable: true },
      ],
      indexes: [{ name: 'order_Group_select_idx', columns: ['Group', 'select'], unique: false }],
      foreignKeys: [],
    });
  });

  it('is frozen', () => {
    expect(Object.isFrozen(users)).toBe(true);
    expect(Object.isFrozen(t.integer().spec)).toBe(true);
  });
});

describe('column options: sizes, jsonb, numeric, collation, comment, identity', () => {
  it('builds them into the column state, and only what was said', () => {
    const { state } = defineTable('docs', {
      id: t.bigint().identity().primaryKey(),
      code: t.integer().identity({ always: true }),
      file: t.blob({ size: 'long' }),
      body: t.text({ size: 'tiny' }),
      meta: t.jsonb(),
      same: t.json({ binary: true }),
      raw: t.json(),
      amount: t.numeric(),
      price: t.numeric(12, 4),
      title: t.text().collate('utf8mb4_bin').comment('Title'),
    });
    expect(state.columns).toEqual([
      { name: 'id', type: { type: 'bigint' }, nullable: false, identity: 'byDefault' },
      { name: 'code', type: { type: 'integer' }, nullable: false, identity: 'always' },
      { name: 'file', type: { type: 'blob', size: 'long' }, nullable: true },
      { name: 'body', type: { type: 'text', size: 'tiny' }, nullable: true },
      { name: 'meta', type: { type: 'json', binary: true }, nullable: true },
      { name: 'same', type: { type: 'json', binary: true }, nullable: true },
      { name: 'raw', type: { type: 'json' }, nullable: true },
      { name: 'amount', type: { type: 'decimal' }, nullable: true },
      { name: 'price', type: { type: 'decimal', precision: 12, scale: 4 }, nullable: true },
      { name: 'title', type: { type: 'text' }, nullable: true, collation: 'utf8mb4_bin', comment: 'Title' },
    ]);
  });

  it('refuses what no engine means, naming it', () => {
    expect(covetErrorOf(() => t.text().identity()).message).toBe('.identity() needs t.smallint(), t.integer() or t.bigint(), not text');
    expect(covetErrorOf(() => t.blob({ size: 'huge' as never })).message).toBe('blob size must be one of tiny, medium, long, got "huge"');
    expect(covetErrorOf(() => t.text().collate('a b')).message).toBe('Invalid collation "a b" (.collate())');
    expect(covetErrorOf(() => t.text().comment('a\0b')).code).toBe('COLUMN_OPTION_INVALID');
    expect(covetErrorOf(() => (t.text() as unknown as { colate(): unknown }).colate()).message).toBe('Unknown column option "colate" (.colate()): did you mean "collate"?');
  });
});

describe('generated columns and arrays', () => {
  it('builds them into the column state', () => {
    const { state } = defineTable('lines', {
      price: t.integer(),
      total: t.integer().notNull().generated(sql`price * 2`, { stored: true }),
      half: t.integer().generated(sql`price / 2`),
      tags: t.text().array(),
      grid: t.varchar(3).array(2),
    });
    expect(state.columns).toEqual([
      { name: 'price', type: { type: 'integer' }, nullable: true },
      { name: 'total', type: { type: 'integer' }, nullable: false, generated: { sql: 'price * 2', stored: true } },
      { name: 'half', type: { type: 'integer' }, nullable: true, generated: { sql: 'price / 2', stored: false } },
      { name: 'tags', type: { type: 'array', of: { type: 'text' } }, nullable: true },
      { name: 'grid', type: { type: 'array', of: { type: 'varchar', length: 3 }, dimensions: 2 }, nullable: true },
    ]);
  });

  it('refuses what cannot be, naming it', () => {
    expect(covetErrorOf(() => t.integer().generated('a + 1' as never)).message).toBe('.generated() takes a SQL expression written with the sql tag, e.g. .generated(sql`a + b`)');
    expect(covetErrorOf(() => t.integer().generated(sql`a`, { store: true } as never)).message).toBe('Unknown option "store" in .generated(): did you mean "stored"?');
    expect(covetErrorOf(() => t.serial().generated(sql`a`)).message).toBe('.generated() needs a plain type, not serial');
    expect(covetErrorOf(() => t.serial().array()).message).toBe('.array() needs an element type other than serial');
    expect(covetErrorOf(() => t.text().array().array()).message).toBe('.array() needs an element type other than an array (say the dimensions: .array(2))');
    expect(covetErrorOf(() => t.text().array(0)).message).toBe('array dimensions must be a positive integer, got 0');
    expect(t.enum(['a', "it's"]).spec.type).toEqual({ type: 'enum', values: ['a', "it's"] });
    expect(covetErrorOf(() => t.enum([])).message).toBe('An enum needs a list of values (t.enum())');
    expect(covetErrorOf(() => t.enum(['a', 'a'])).message).toBe('Enum value "a" is listed twice (t.enum())');
    expect(covetErrorOf(() => t.enum(['a', ''])).message).toBe('Enum value "" must be a non-empty string without NUL (t.enum())');
    expect(covetErrorOf(() => t.enum(['a']).array()).message).toBe('.array() needs an element type other than enum');
  });
});

describe('defineTable bad input: one-line CovetErrors that name the table and column', () => {
  it('refuses an unknown column in an index, a unique and a foreign key', () => {
    const index = covetErrorOf(() => defineTable('users', { id: t.integer() }, { indexes: [{ name: 'i', columns: ['nope'] }] }));
    expect(index.code).toBe('COLUMN_UNKNOWN');
    expect(index.message).toBe('Unknown column "nope" (index of users)');

    const unique = covetErrorOf(() => defineTable('users', { id: t.integer() }, { uniques: [['id', 'mail']] }));
    expect(unique.message).toBe('Unknown column "mail" (index of users)');

    const foreignKey = covetErrorOf(() =>
      defineTable('posts', { id: t.integer() }, { foreignKeys: [{ columns: ['author'], references: { table: 'users', columns: ['id'] } }] }),
    );
    expect(foreignKey.message).toBe('Unknown column "author" (foreign key of posts)');

    const primaryKey = covetErrorOf(() => defineTable('posts', { id: t.integer() }, { primaryKey: ['id', 'slug'] }));
    expect(primaryKey.message).toBe('Unknown column "slug" (primary key of posts)');
  });

  it('accepts every name an engine holds when quoted, and keeps it exactly', () => {
    const names = ['users"; DROP TABLE x; --', 'order items', 'café', 'a"b', 'a`b', "it's", 'select', '__proto__', 'constructor', '表', '👍'];
    for (const name of names) {
      const table = defineTable(name, { [name]: t.integer().primaryKey(), other: t.integer().references(name, name) }, { indexes: [{ name, columns: ['other'] }] });
      expect(table.state.name).toBe(name);
      expect(table.state.columns.map((column) => column.name)).toEqual([name, 'other']);
      expect(table.state.indexes.map((index) => index.name)).toEqual([name]);
      expect(table.state.foreignKeys[0]!.references).toEqual({ table: name, columns: [name] });
    }
  });

  it('holds __proto__ and constructor as ordinary column names, and says how to write __proto__', () => {
    const table = defineTable('constructor', { ['__proto__']: t.integer().primaryKey(), constructor: t.text(), toString: t.text() });
    expect(table.state.columns.map((column) => column.name)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(table.state.primaryKey).toEqual({ columns: ['__proto__'] });

    const literal = covetErrorOf(() => defineTable('users', { __proto__: t.integer() } as never));
    expect(literal.code).toBe('TABLE_INVALID');
    expect(literal.message).toBe('Column "__proto__" of users must be written as a computed key (users)');
  });

  it('refuses a name no engine can hold, naming the character, its position and the rule', () => {
    const table = covetErrorOf(() => defineTable('us\u0000ers', { id: t.integer() }));
    expect(table.code).toBe('IDENTIFIER_INVALID');
    expect(table.message).toBe('Invalid identifier "us\\u0000ers" for table: character U+0000 (NUL) at position 3 is not allowed: no engine accepts NUL in a name');

    const column = covetErrorOf(() => defineTable('users', { ['x\uDC00']: t.integer() }));
    expect(column.code).toBe('IDENTIFIER_INVALID');
    expect(column.message).toBe(
      'Invalid identifier "x\\udc00" for column of users: character U+DC00 (a lone surrogate) at position 2 is not allowed: it has no UTF-8 form, so the name cannot round-trip through the database',
    );

    const index = covetErrorOf(() => defineTable('users', { id: t.integer() }, { indexes: [{ name: '', columns: ['id'] }] }));
    expect(index.message).toBe('Missing name for index name of users');
  });

  it('refuses a bad referential action, naming where', () => {
    const inColumn = covetErrorOf(() => t.integer().references('users', 'id', { onDelete: 'explode' as never }));
    expect(inColumn.code).toBe('REFERENTIAL_ACTION_INVALID');
    expect(inColumn.message).toBe('Unknown referential action "explode" in references(users.id)');
    expect(inColumn.hint).toBe('Use one of: cascade, set null, set default, restrict, no action.');

    const inOptions = covetErrorOf(() =>
      defineTable('posts', { user_id: t.integer() }, {
        foreignKeys: [{ columns: ['user_id'], references: { table: 'users', columns: ['id'] }, onUpdate: 'CASCADE' as never }],
      }),
    );
    expect(inOptions.message).toBe('Unknown referential action "CASCADE" (posts_user_id_fkey.onUpdate)');
  });

  it('refuses varchar(0), bad decimals and a bad custom type', () => {
    expect(covetErrorOf(() => t.varchar(0)).message).toBe('varchar length must be a positive integer, got 0');
    expect(covetErrorOf(() => t.char(-1)).message).toBe('char length must be a positive integer, got -1');
    expect(covetErrorOf(() => t.varchar(2.5)).code).toBe('COLUMN_TYPE_INVALID');
    expect(covetErrorOf(() => t.decimal(5, 6)).message).toBe('decimal scale must be between 0 and 5, got 6');
    expect(covetErrorOf(() => t.custom('text; DROP TABLE x')).message).toBe('Invalid custom column type "text; DROP TABLE x"');
    expect(covetErrorOf(() => t.integer().default(Number.NaN)).code).toBe('DEFAULT_INVALID');
  });

  it('refuses duplicate index and constraint names, and duplicate columns', () => {
    const twoIndexes = covetErrorOf(() =>
      defineTable('users', { a: t.integer(), b: t.integer() }, {
        indexes: [
          { name: 'users_idx', columns: ['a'] },
          { name: 'users_idx', columns: ['b'] },
        ],
      }),
    );
    expect(twoIndexes.code).toBe('NAME_DUPLICATE');
    expect(twoIndexes.message).toBe('Two indexes named "users_idx" in users');

    // .unique() and a uniques entry on the same column make the same default name.
    const twoUniques = covetErrorOf(() => defineTable('users', { email: t.text().unique() }, { uniques: [['email']] }));
    expect(twoUniques.message).toBe('Two indexes named "users_email_key" in users');

    // An index and a foreign key may share a name (MySQL's usual shape): whether the database
    // allows it is the dialect's to say, when the operation is validated (capabilities.nameScopes).
    const shared = defineTable('posts', { user_id: t.integer().references('users', 'id', { name: 'posts_k' }) }, { indexes: [{ name: 'posts_k', columns: ['user_id'] }] });
    expect([shared.state.indexes[0]!.name, shared.state.foreignKeys[0]!.name]).toEqual(['posts_k', 'posts_k']);
    const twoKeys = covetErrorOf(() =>
      defineTable('posts', { a: t.integer().references('users', 'id', { name: 'posts_k' }), b: t.integer().references('users', 'id', { name: 'posts_k' }) }),
    );
    expect(twoKeys.message).toBe('Two foreign keys named "posts_k" in posts');

    const column = { name: 'a', type: { type: 'integer' }, nullable: true } as const;
    const twoColumns = covetErrorOf(() => normalizeTable({ name: 'users', columns: [column, column], indexes: [], foreignKeys: [] }));
    expect(twoColumns.code).toBe('COLUMN_DUPLICATE');
    expect(twoColumns.message).toBe('Column "a" appears twice in users');
  });

  it('refuses a table without columns, a non-column value and a primary key declared twice', () => {
    expect(covetErrorOf(() => defineTable('empty', {})).message).toBe('Table "empty" has no columns');
    expect(covetErrorOf(() => buildTableState('users', { id: 'integer' as never })).message).toBe('Column users.id is not a column type');
    expect(covetErrorOf(() => defineTable('users', { id: t.integer().primaryKey() }, { primaryKey: ['id'] })).message).toBe(
      'Table "users" declares its primary key twice (column and options)',
    );
  });

  it('refuses a composite foreign key whose column counts differ', () => {
    const error = covetErrorOf(() =>
      defineTable('a', { x: t.integer(), y: t.integer() }, { foreignKeys: [{ columns: ['x', 'y'], references: { table: 'b', columns: ['id'] } }] }),
    );
    expect(error.message).toBe('Foreign key of a has 2 columns but references 1');
  });
});
