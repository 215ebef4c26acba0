import { describe, expect, it } from 'vitest';
import { covetErrorOf } from '../../test/helpers.js';
import { canonicalJson } from '../migration/canonical-json.js';
import { createOperation, type Operation } from '../operations/define-operation.js';
import { createCovet } from '../plugin/covet.js';
import { t } from '../schema/column-builder.js';
import { defineTable, type ColumnsShape, type TableOptions } from '../schema/define-table.js';
import { sql } from '../schema/sql-tag.js';
import type { SchemaState, TableState } from '../schema/types.js';
import { EMPTY_STATE, stateFromTables } from '../state/schema-state.js';
import { MigrationEngine } from './migration-engine.js';

// With `operations`, the engine replays its plan through validate + applyToState and checks it
// reaches the target, so every case here also tests the operations' state effects.
const engine = new MigrationEngine({ operations: createCovet().operations });

const table = (name: string, columns: ColumnsShape, options?: TableOptions) => defineTable(name, columns, options).state;
const schema = (...tables: TableState[]): SchemaState => stateFromTables(tables);
const diff = (from: SchemaState, to: SchemaState) => engine.detectChanges(from, to);
/** Compare operation lists as data. */
const asData = (operations: readonly Operation[]) => JSON.parse(canonicalJson(operations)) as unknown;

const users = table('users', {
  id: t.serial().primaryKey(),
  email: t.varchar(255).notNull().unique(),
  name: t.text(),
});
const posts = table('posts', {
  id: t.serial().primaryKey(),
  author_id: t.integer().notNull().references('users', 'id', { onDelete: 'cascade' }),
  title: t.varchar(200).notNull(),
});
const BASE = schema(users, posts);

describe('MigrationEngine.detectChanges', () => {
  it('treats __proto__, constructor, toString and hasOwnProperty as ordinary table names', () => {
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
    const tables = names.map((name) => table(name, { [name]: t.integer().primaryKey(), note: t.text() }));
    const created = diff(EMPTY_STATE, schema(...tables));
    expect(created.map((operation) => [operation.kind, (operation.args as TableState).name])).toEqual(names.sort().map((name) => ['createTable', name]));
    expect(diff(schema(...tables), schema(...tables))).toEqual([]);
    const changed = schema(...tables.slice(1), table('__proto__', { ['__proto__']: t.integer().primaryKey(), other: t.text() }));
    expect(diff(schema(...tables), changed).map((operation) => operation.kind)).toEqual(['addColumn', 'dropColumn']);
    expect(diff(schema(...tables), EMPTY_STATE).map((operation) => operation.kind)).toEqual(['dropTable', 'dropTable', 'dropTable', 'dropTable']);
  });

  it('no changes -> []', () => {
    expect(diff(BASE, BASE)).toStrictEqual([]);
    expect(diff(EMPTY_STATE, EMPTY_STATE)).toStrictEqual([]);
    // Key order and index order in the input do not count as changes.
    const reordered = schema(posts, { ...users, indexes: [...users.indexes].reverse() });
    expect(diff(BASE, reordered)).toStrictEqual([]);
  });

  it('adds a table', () => {
    const tags = table('tags', { id: t.serial().primaryKey(), label: t.text().notNull().unique() });
    expect(asData(diff(BASE, schema(users, posts, tags)))).toStrictEqual(asData([createOperation('createTable', tags)]));
  });

  it('removes a table', () => {
    expect(asData(diff(BASE, schema(users)))).toStrictEqual(asData([createOperation('dropTable', { name: 'posts' })]));
  });

  it('creates from an empty database, referenced tables first', () => {
    expect(asData(diff(EMPTY_STATE, BASE))).toStrictEqual(asData([createOperation('createTable', users), createOperation('createTable', posts)]));
  });

  it('adds and removes columns', () => {
    const after = table('users', {
      id: t.serial().primaryKey(),
      email: t.varchar(255).notNull().unique(),
      nickname: t.varchar(50).default('anon'),
    });
    expect(asData(diff(BASE, schema(after, posts)))).toStrictEqual(
      asData([
        createOperation('addColumn', { table: 'users', column: { name: 'nickname', type: { type: 'varchar', length: 50 }, nullable: true, default: { kind: 'value', value: 'anon' } } }),
        createOperation('dropColumn', { table: 'users', column: 'name' }),
      ]),
    );
  });

  it('changes a column type, nullability and default', () => {
    const after = table('users', {
      id: t.serial().primaryKey(),
      email: t.text().notNull().unique(),
      name: t.text().notNull().default(sql`'nobody'`),
    });
    expect(asData(diff(BASE, schema(after, posts)))).toStrictEqual(
      asData([
        createOperation('alterColumn', { table: 'users', column: { name: 'email', type: { type: 'text' }, nullable: false } }),
        createOperation('alterColumn', {
          table: 'users',
          column: { name: 'name', type: { type: 'text' }, nullable: false, default: { kind: 'sql', sql: "'nobody'" } },
        }),
      ]),
    );
    const withoutDefault = diff(schema(after, posts), schema(table('users', { id: t.serial().primaryKey(), email: t.text().notNull().unique(), name: t.text().notNull() }), posts));
    expect(asData(withoutDefault)).toStrictEqual(
      asData([createOperation('alterColumn', { table: 'users', column: { name: 'name', type: { type: 'text' }, nullable: false } })]),
    );
  });

  it('a normalizeColumn that cannot tell two definitions apart hides the change', () => {
    const after = schema(table('users', { id: t.serial().primaryKey(), email: t.varchar(255).notNull().unique(), name: t.varchar(10) }), posts);
    const textOnly = new MigrationEngine({
      operations: createCovet().operations,
      normalizeColumn: (column) => (column.type.type === 'varchar' && column.name === 'name' ? { ...column, type: { type: 'text' } } : column),
    });
    expect(textOnly.detectChanges(BASE, after)).toStrictEqual([]);
    expect(diff(BASE, after).map((o) => o.kind)).toStrictEqual(['alterColumn']);
  });

  it('adds, removes and changes indexes, and adds a unique', () => {
    const before = schema(
      table('users', { id: t.serial().primaryKey(), email: t.varchar(255).notNull(), name: t.text(), age: t.integer() }, {
        indexes: [
          { name: 'users_name_idx', columns: ['name'] },
          { name: 'users_age_idx', columns: ['age'] },
        ],
      }),
    );
    const after = schema(
      table('users', { id: t.serial().primaryKey(), email: t.varchar(255).notNull().unique(), name: t.text(), age: t.integer() }, {
        indexes: [
          { name: 'users_name_idx', columns: ['name', 'age'] },
          { name: 'users_created_idx', columns: ['age'], where: sql`age > 18` },
        ],
      }),
    );
    expect(asData(diff(before, after))).toStrictEqual(
      asData([
        createOperation('dropIndex', { table: 'users', name: 'users_age_idx' }),
        createOperation('dropIndex', { table: 'users', name: 'users_name_idx' }),
        createOperation('createIndex', { table: 'users', index: { name: 'users_created_idx', columns: ['age'], unique: false, where: 'age > 18' } }),
        createOperation('createIndex', { table: 'users', index: { name: 'users_email_key', columns: ['email'], unique: true } }),
        createOperation('createIndex', { table: 'users', index: { name: 'users_name_idx', columns: ['name', 'age'], unique: false } }),
      ]),
    );
  });

  it('adds, removes and changes foreign keys', () => {
    const comments = (columns: ColumnsShape) => table('comments', { id: t.serial().primaryKey(), ...columns });
    const before = schema(users, posts, comments({
      post_id: t.integer().references('posts', 'id'),
      user_id: t.integer().references('users', 'id'),
      editor_id: t.integer(),
    }));
    const after = schema(users, posts, comments({
      post_id: t.integer().references('posts', 'id', { onDelete: 'cascade' }),
      user_id: t.integer(),
      editor_id: t.integer().references('users', 'id', { onDelete: 'set null' }),
    }));
    expect(asData(diff(before, after))).toStrictEqual(
      asData([
        createOperation('dropForeignKey', { table: 'comments', name: 'comments_post_id_fkey' }),
        createOperation('dropForeignKey', { table: 'comments', name: 'comments_user_id_fkey' }),
        createOperation('addForeignKey', {
          table: 'comments',
          foreignKey: { name: 'comments_editor_id_fkey', columns: ['editor_id'], references: { table: 'users', columns: ['id'] }, onDelete: 'set null', onUpdate: 'no action' },
        }),
        createOperation('addForeignKey', {
          table: 'comments',
          foreignKey: { name: 'comments_post_id_fkey', columns: ['post_id'], references: { table: 'posts', columns: ['id'] }, onDelete: 'cascade', onUpdate: 'no action' },
        }),
      ]),
    );
  });

  it('drops a column with its index and foreign key in one dropColumn', () => {
    const after = table('posts', { id: t.serial().primaryKey(), title: t.varchar(200).notNull() });
    expect(asData(diff(BASE, schema(users, after)))).toStrictEqual(asData([createOperation('dropColumn', { table: 'posts', column: 'author_id' })]));
  });

  it('creates a referenced new table first, whatever the names', () => {
    const zebras = table('zebras', { id: t.serial().primaryKey() });
    const apples = table('apples', { id: t.serial().primaryKey(), zebra_id: t.integer().references('zebras', 'id') });
    const middle = table('middle', { id: t.serial().primaryKey(), apple_id: t.integer().references('apples', 'id') });
    expect(diff(BASE, schema(users, posts, middle, apples, zebras)).map((o) => [o.kind, (o.args as TableState).name])).toStrictEqual([
      ['createTable', 'zebras'],
      ['createTable', 'apples'],
      ['createTable', 'middle'],
    ]);
  });

  it('a cycle of two new tables: createTable without the back-reference, then addForeignKey', () => {
    const a = table('a', { id: t.serial().primaryKey(), b_id: t.integer().references('b', 'id') });
    const b = table('b', { id: t.serial().primaryKey(), a_id: t.integer().references('a', 'id') });
    expect(asData(diff(EMPTY_STATE, schema(a, b)))).toStrictEqual(
      asData([
        createOperation('createTable', { ...a, foreignKeys: [] }),
        createOperation('createTable', b),
        createOperation('addForeignKey', { table: 'a', foreignKey: a.foreignKeys[0] }),
      ]),
    );
  });

  it('a new table referencing itself needs no extra step', () => {
    const tree = table('tree', { id: t.serial().primaryKey(), parent_id: t.integer().references('tree', 'id') });
    expect(asData(diff(EMPTY_STATE, schema(tree)))).toStrictEqual(asData([createOperation('createTable', tree)]));
  });

  it('dropping two tables that reference each other: dropForeignKey, then dropTables', () => {
    const a = table('a', { id: t.serial().primaryKey(), b_id: t.integer().references('b', 'id') });
    const b = table('b', { id: t.serial().primaryKey(), a_id: t.integer().references('a', 'id') });
    expect(asData(diff(schema(users, a, b), schema(users)))).toStrictEqual(
      asData([
        createOperation('dropForeignKey', { table: 'b', name: 'b_a_id_fkey' }),
        createOperation('dropTable', { name: 'a' }),
        createOperation('dropTable', { name: 'b' }),
      ]),
    );
  });

  it('drops referencing tables before the tables they reference', () => {
    const comments = table('comments', { id: t.serial().primaryKey(), post_id: t.integer().references('posts', 'id') });
    expect(diff(schema(users, posts, comments), EMPTY_STATE)).toStrictEqual([
      createOperation('dropTable', { name: 'comments' }),
      createOperation('dropTable', { name: 'posts' }),
      createOperation('dropTable', { name: 'users' }),
    ]);
  });

  it('orders a mixed change safely: drop keys, indexes and tables, create tables, columns, indexes, keys', () => {
    const before = schema(users, posts, table('legacy', { id: t.serial().primaryKey(), user_id: t.integer().references('users', 'id') }));
    const tags = table('tags', { id: t.serial().primaryKey(), owner_id: t.integer().references('users', 'id') });
    const after = schema(
      table('users', { id: t.serial().primaryKey(), email: t.varchar(255).notNull(), favourite_tag: t.integer() }, {
        indexes: [{ columns: ['favourite_tag'] }],
        foreignKeys: [{ columns: ['favourite_tag'], references: { table: 'tags', columns: ['id'] } }],
      }),
      table('posts', { id: t.serial().primaryKey(), author_id: t.integer().notNull().references('users', 'id'), title: t.text().notNull() }),
      tags,
    );
    expect(diff(before, after).map((o) => `${o.kind} ${JSON.stringify(Object.values(o.args as object)[0])}`)).toStrictEqual([
      'dropForeignKey "posts"',
      'dropIndex "users"',
      'dropTable "legacy"',
      'createTable "tags"',
      // Within a step, kept tables go by name.
      'alterColumn "posts"',
      'addColumn "users"',
      'dropColumn "users"',
      'createIndex "users"',
      'addForeignKey "posts"',
      'addForeignKey "users"',
    ]);
  });

  it('refuses a primary key change, naming the table', () => {
    const after = table('users', { id: t.serial(), email: t.varchar(255).notNull().unique(), name: t.text() }, { primaryKey: ['id', 'email'] });
    const error = covetErrorOf(() => diff(BASE, schema(after, posts)));
    expect(error.code).toBe('PRIMARY_KEY_CHANGE');
    expect(error.message).toBe('The primary key of users changed, which no built-in operation can do (users)');
  });

  it('without a registry it does not verify, and gives the same plan', () => {
    const after = schema(users, posts, table('tags', { id: t.serial().primaryKey() }));
    expect(new MigrationEngine().detectChanges(BASE, after)).toStrictEqual(diff(BASE, after));
  });

  it('drops a table before a column its foreign key references', () => {
    const before = schema(
      table('users', { id: t.serial().primaryKey(), code: t.varchar(20).unique() }),
      table('orders', { id: t.serial().primaryKey(), user_code: t.varchar(20).references('users', 'code') }),
    );
    const after = schema(table('users', { id: t.serial().primaryKey() }));
    expect(diff(before, after).map((o) => o.kind)).toStrictEqual(['dropTable', 'dropColumn']);
  });

  it("adds a new table's key to a column that arrives in the same migration last", () => {
    const before = schema(table('users', { id: t.serial().primaryKey() }));
    const after = schema(
      table('users', { id: t.serial().primaryKey(), code: t.varchar(20).unique() }),
      table('orders', { id: t.serial().primaryKey(), user_code: t.varchar(20).references('users', 'code') }),
    );
    const operations = diff(before, after);
    expect(operations.map((o) => o.kind)).toStrictEqual(['createTable', 'addColumn', 'createIndex', 'addForeignKey']);
    expect((operations[0]!.args as TableState).foreignKeys).toStrictEqual([]);
  });

  it('drops a replaced table before creating one that reuses its index name', () => {
    const before = schema(table('old', { email: t.text() }, { indexes: [{ name: 'email_idx', columns: ['email'] }] }));
    const after = schema(table('new', { email: t.text() }, { indexes: [{ name: 'email_idx', columns: ['email'] }] }));
    expect(diff(before, after).map((o) => o.kind)).toStrictEqual(['dropTable', 'createTable']);
  });

  it('finds rename candidates without assuming them, and keeps the data when told', () => {
    const before = schema(users, posts);
    const renamedColumn = schema(
      table('users', { id: t.serial().primaryKey(), email: t.varchar(255).notNull().unique(), full_name: t.text() }),
      posts,
    );
    // Unconfirmed: a drop and an add, as before.
    expect(diff(before, renamedColumn).map((o) => o.kind)).toStrictEqual(['addColumn', 'dropColumn']);
    expect(engine.renameCandidates(before, renamedColumn)).toStrictEqual([{ kind: 'column', table: 'users', from: 'name', to: 'full_name' }]);
    const confirmed = engine.detectChanges(before, renamedColumn, { renames: engine.renameCandidates(before, renamedColumn) });
    expect(asData(confirmed)).toStrictEqual(asData([createOperation('renameColumn', { table: 'users', from: 'name', to: 'full_name' })]));

    // A renamed table keeps its rows; the foreign key that points at it follows.
    const people = table('people', { id: t.serial().primaryKey(), email: t.varchar(255).notNull().unique(), name: t.text() });
    const renamedTable = schema(
      { ...people, indexes: [{ name: 'users_email_key', columns: ['email'], unique: true }] },
      table('posts', {
        id: t.serial().primaryKey(),
        author_id: t.integer().notNull().references('people', 'id', { onDelete: 'cascade', name: 'posts_author_id_fkey' }),
        title: t.varchar(200).notNull(),
      }),
    );
    expect(engine.renameCandidates(before, renamedTable)).toStrictEqual([{ kind: 'table', from: 'users', to: 'people' }]);
    const tableOps = engine.detectChanges(before, renamedTable, { renames: [{ kind: 'table', from: 'users', to: 'people' }] });
    expect(asData(tableOps)).toStrictEqual(asData([createOperation('renameTable', { from: 'users', to: 'people' })]));

    // A different definition is not a candidate; a bad rename is a clear error.
    const retyped = schema(table('users', { id: t.serial().primaryKey(), email: t.varchar(255).notNull().unique(), full_name: t.integer() }), posts);
    expect(engine.renameCandidates(before, retyped)).toStrictEqual([]);
    const error = covetErrorOf(() => engine.detectChanges(before, retyped, { renames: [{ kind: 'column', table: 'users', from: 'nope', to: 'x' }] }));
    expect(error.message).toBe('Cannot rename users.nope to x: Column "users.nope" does not exist');
  });
});
