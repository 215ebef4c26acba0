import { describe, expect, it } from 'vitest';
import { covetErrorOf } from '../../test/helpers.js';
import { createCovet } from '../plugin/covet.js';
import { t } from '../schema/column-builder.js';
import { defineTable } from '../schema/define-table.js';
import type { SchemaState } from '../schema/types.js';
import { stateFromTables } from '../state/schema-state.js';
import { op } from '../operations/op.js';
import type { DialectCapabilities } from './dialect.js';

const registry = createCovet().operations;
const base = { transactionalDdl: true, alterColumn: 'native', maxIdentifierLength: 64 } as const;
/** PostgreSQL's namespaces: indexes in the schema, foreign keys per table. */
const POSTGRES: DialectCapabilities = { ...base, nameScopes: [{ kinds: ['index'], scope: 'schema' }, { kinds: ['foreignKey'], scope: 'table' }] };
/** MySQL's: indexes per table, foreign keys in the schema. */
const MYSQL: DialectCapabilities = { ...base, nameScopes: [{ kinds: ['index'], scope: 'table' }, { kinds: ['foreignKey'], scope: 'schema' }] };
/** A dialect that says nothing: index names in the schema, and an index and a foreign key of a table never alike. */
const UNSAID: DialectCapabilities = base;

const users = defineTable('users', { id: t.integer().primaryKey() });
// MySQL's usual shape: the foreign key's index carries the key's name.
const orders = defineTable(
  'orders',
  { id: t.integer().primaryKey(), user_id: t.integer().references(users, 'id', { name: 'fk_orders_user' }) },
  { indexes: [{ name: 'fk_orders_user', columns: ['user_id'] }] },
);
const STATE: SchemaState = stateFromTables([users.state]);

function validate(operation: { kind: string; args: unknown }, state: SchemaState, capabilities: DialectCapabilities): void {
  registry.get(operation.kind).validate(operation.args, state, { capabilities });
}

describe('name scopes are the dialect\'s (capabilities.nameScopes)', () => {
  it('a foreign key named like an index of its table: PostgreSQL and MySQL allow it, a dialect that says nothing does not', () => {
    const create = op.createTable('orders', orders.columns, { indexes: [{ name: 'fk_orders_user', columns: ['user_id'] }] });
    expect(() => validate(create, STATE, POSTGRES)).not.toThrow();
    expect(() => validate(create, STATE, MYSQL)).not.toThrow();
    const refused = covetErrorOf(() => validate(create, STATE, UNSAID));
    expect(refused.code).toBe('INDEX_EXISTS');
    expect(refused.message).toBe(
      'The name "fk_orders_user" of a new index on orders is taken by foreign key fk_orders_user of orders, and this database keeps both in one namespace (createTable orders)',
    );

    // The same through createIndex and addForeignKey on a table that has the other.
    const withKey = stateFromTables([users.state, { ...orders.state, indexes: [] }]);
    const index = op.createIndex('orders', { name: 'fk_orders_user', columns: ['user_id'] });
    expect(() => validate(index, withKey, POSTGRES)).not.toThrow();
    expect(covetErrorOf(() => validate(index, withKey, UNSAID)).code).toBe('INDEX_EXISTS');
    const withIndex = stateFromTables([users.state, { ...orders.state, foreignKeys: [] }]);
    const key = op.addForeignKey('orders', { name: 'fk_orders_user', columns: ['user_id'], references: { table: 'users', columns: ['id'] } });
    expect(() => validate(key, withIndex, MYSQL)).not.toThrow();
    expect(covetErrorOf(() => validate(key, withIndex, UNSAID)).code).toBe('FOREIGN_KEY_EXISTS');
  });

  it('index names across tables: refused where they live in the schema, allowed per table', () => {
    const state = stateFromTables([users.state, orders.state]);
    const index = op.createIndex('users', { name: 'fk_orders_user', columns: ['id'] });
    expect(covetErrorOf(() => validate(index, state, POSTGRES)).message).toBe('Index "fk_orders_user" already exists on orders (createIndex)');
    expect(() => validate(index, state, MYSQL)).not.toThrow();
  });

  it('foreign key names across tables: refused where they live in the schema (MySQL), allowed per table (PostgreSQL)', () => {
    const state = stateFromTables([users.state, orders.state]);
    const key = op.addForeignKey('users', { name: 'fk_orders_user', columns: ['id'], references: { table: 'users', columns: ['id'] } });
    expect(covetErrorOf(() => validate(key, state, MYSQL)).message).toBe('Foreign key "fk_orders_user" already exists on orders (addForeignKey)');
    expect(() => validate(key, state, POSTGRES)).not.toThrow();
  });

  it('two indexes or two foreign keys of one table never share a name, whatever the dialect says', () => {
    const state = stateFromTables([users.state, orders.state]);
    const index = op.createIndex('orders', { name: 'fk_orders_user', columns: ['id'] });
    expect(covetErrorOf(() => validate(index, state, MYSQL)).message).toBe('Index "fk_orders_user" already exists on orders (createIndex)');
    const key = op.addForeignKey('orders', { name: 'fk_orders_user', columns: ['id'], references: { table: 'users', columns: ['id'] } });
    expect(covetErrorOf(() => validate(key, state, POSTGRES)).message).toBe('Foreign key "fk_orders_user" already exists on orders (addForeignKey)');
  });
});
