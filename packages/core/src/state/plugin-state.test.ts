import { describe, expect, expectTypeOf, it } from 'vitest';
import { covetErrorOf } from '../../test/helpers.js';
import { createView, dropView, replaceView, viewsPlugin } from '../../test/views-plugin.js';
import { createMigration } from '../migration/define-migration.js';
import { op } from '../operations/op.js';
import { createCovet } from '../plugin/covet.js';
import { t } from '../schema/column-builder.js';
import { defineModelObject } from '../schema/define-model-object.js';
import { defineTable } from '../schema/define-table.js';
import { diffPluginObjects } from '../diff/plugin-changes.js';
import { getPluginObject, getPluginObjects, pluginNamespaces, withPluginObject } from './plugin-state.js';
import { replayMigrations, targetState } from './replay.js';
import { EMPTY_STATE, getTable, stateFromTables, withTable } from './schema-state.js';

const users = defineTable('users', { id: t.serial().primaryKey(), active: t.boolean() }).state;
const registry = createCovet({ plugins: [viewsPlugin] }).operations;

describe('plugin state', () => {
  it('adds, replaces and removes objects of a namespace, leaving the state it started from as it was', () => {
    const start = withTable(EMPTY_STATE, users);
    const one = withPluginObject(start, 'views', 'active_users', { sql: 'SELECT id FROM users WHERE active' });
    const two = withPluginObject(one, 'views', 'active_users', { sql: 'SELECT id FROM users' });
    const none = withPluginObject(two, 'views', 'active_users', undefined);

    expect(start.plugins).toBeUndefined();
    expect(getPluginObjects(start, 'views')).toStrictEqual(Object.create(null));
    expect(getPluginObject(one, 'views', 'active_users')).toStrictEqual({ sql: 'SELECT id FROM users WHERE active' });
    expect(getPluginObject(two, 'views', 'active_users')).toStrictEqual({ sql: 'SELECT id FROM users' });
    // An empty namespace goes away, so a state whose objects were all removed equals one that never had any.
    expect(none.plugins).toBeUndefined();
    expect(pluginNamespaces(two)).toStrictEqual(['views']);
    // The tables are those of the state before, found through its index as before.
    expect(getTable(two, 'users')).toBe(users);
    expect(Object.keys(none.tables)).toStrictEqual(['users']);
    // Frozen, and the plugin state survives a table change.
    expect(Object.isFrozen(getPluginObject(one, 'views', 'active_users'))).toBe(true);
    const withPosts = withTable(one, defineTable('posts', { id: t.serial().primaryKey() }).state);
    expect(getPluginObjects(withPosts, 'views')).toBe(getPluginObjects(one, 'views'));
    // Removing what is not there is no change at all.
    expect(withPluginObject(start, 'views', 'missing', undefined)).toBe(start);
  });

  it('keeps names as data (no prototype) and works on a state built from a list of tables', () => {
    const state = withPluginObject(stateFromTables([users]), 'views', '__proto__', { sql: 'SELECT 1' });
    expect(Object.keys(getPluginObjects(state, 'views'))).toStrictEqual(['__proto__']);
    expect(getPluginObject(state, 'views', 'constructor')).toBeUndefined();
    expect(getPluginObject(state, 'toString', 'x')).toBeUndefined();
    expect(getTable(state, 'users')).toBe(users);
  });

  it('refuses a definition that is not JSON, a bad namespace and an empty name, naming them', () => {
    expect(covetErrorOf(() => withPluginObject(EMPTY_STATE, 'views', 'v', { at: new Date(0) })).message).toBe('views "v".at is not JSON: a Date object');
    expect(covetErrorOf(() => withPluginObject(EMPTY_STATE, 'My Views', 'v', {})).message).toBe('Invalid plugin namespace "My Views"');
    expect(covetErrorOf(() => withPluginObject(EMPTY_STATE, 'views', '', {})).message).toBe('A plugin object needs a non-empty name, got "" (namespace views)');
  });
});

describe('replaying plugin state', () => {
  const m1 = createMigration('default', '0001_users', { operations: [op.createTable('users', { id: t.serial().primaryKey(), active: t.boolean() })] });
  const m2 = createMigration('default', '0002_view', { dependencies: ['0001_users'], operations: [createView('active_users', 'SELECT id FROM users WHERE active')] });
  const m3 = createMigration('reports', '0001_totals', { operations: [createView('totals', 'SELECT count(*) AS n FROM users')] });
  const m4 = createMigration('default', '0003_change', { dependencies: ['0002_view'], operations: [replaceView('active_users', 'SELECT id FROM users')] });

  it('replays objects like tables, and knows which app defined each', () => {
    const replayed = replayMigrations([m1, m2, m3, m4], registry);
    expect(getPluginObjects(replayed.state, 'views')).toStrictEqual(
      Object.assign(Object.create(null), { active_users: { sql: 'SELECT id FROM users' }, totals: { sql: 'SELECT count(*) AS n FROM users' } }),
    );
    expect([...replayed.objectOwners.get('views')!]).toStrictEqual([
      ['active_users', 'default'],
      ['totals', 'reports'],
    ]);
    const dropped = replayMigrations([m1, m2, createMigration('default', '0003_drop', { operations: [dropView('active_users')] })], registry);
    expect(dropped.state.plugins).toBeUndefined();
    expect(dropped.objectOwners.get('views')!.size).toBe(0);
  });

  it('targets the models of one app: its own objects replaced, those of other apps and unknown ones kept', () => {
    const replayed = replayMigrations([m1, m2, m3], registry);
    const outside = withPluginObject(replayed.state, 'views', 'made_by_hand', { sql: 'SELECT 2' });
    const models = withPluginObject(stateFromTables([users]), 'views', 'recent', { sql: 'SELECT 3' });
    const target = targetState(outside, replayed.owners, 'default', models, replayed.objectOwners);
    expect(Object.keys(getPluginObjects(target, 'views')).sort()).toStrictEqual(['made_by_hand', 'recent', 'totals']);
    // Without owners nothing of the current state is dropped.
    expect(Object.keys(getPluginObjects(targetState(outside, replayed.owners, 'default', models), 'views')).sort()).toStrictEqual([
      'active_users',
      'made_by_hand',
      'recent',
      'totals',
    ]);
    // Models without plugin objects, and a current state without any, give a target without any.
    expect(targetState(replayMigrations([m1], registry).state, replayed.owners, 'default', stateFromTables([users])).plugins).toBeUndefined();
  });

  it('gives a drop the old definition for its reverse, from the state before it', () => {
    const before = replayMigrations([m1, m2, m4], registry).state;
    const definition = registry.get('views.dropView');
    expect(definition.reverse({ name: 'active_users' }, before)).toStrictEqual([createView('active_users', 'SELECT id FROM users')]);
    expect(registry.get('views.replaceView').reverse({ name: 'active_users', sql: 'SELECT 1' }, before)).toStrictEqual([
      replaceView('active_users', 'SELECT id FROM users'),
    ]);
  });
});

// A plugin declares the shape of its namespace once; the helpers are then typed for it.
declare module '../schema/types.js' {
  interface PluginObjectTypes {
    typedViews: { readonly sql: string; readonly materialized?: boolean };
  }
}

describe('typed namespaces (PluginObjectTypes)', () => {
  it('types the objects of a declared namespace, and leaves other namespaces to the caller', () => {
    const state = withPluginObject(EMPTY_STATE, 'typedViews', 'v', { sql: 'SELECT 1' });
    expectTypeOf(getPluginObjects(state, 'typedViews')).toEqualTypeOf<Readonly<Record<string, { readonly sql: string; readonly materialized?: boolean }>>>();
    expectTypeOf(getPluginObject(state, 'typedViews', 'v')).toEqualTypeOf<{ readonly sql: string; readonly materialized?: boolean } | undefined>();
    expectTypeOf(diffPluginObjects(EMPTY_STATE, state, 'typedViews').created[0]!.definition.sql).toEqualTypeOf<string>();
    expectTypeOf(getPluginObject<{ n: number }>(state, 'other', 'v')).toEqualTypeOf<{ n: number } | undefined>();
    expectTypeOf(getPluginObject(state, 'other', 'v')).toEqualTypeOf<unknown>();
    expectTypeOf(defineModelObject('other', 'v', { n: 1 }).definition).toEqualTypeOf<{ n: number }>();
    // @ts-expect-error -- a declared namespace takes only its shape
    withPluginObject(state, 'typedViews', 'w', { query: 'SELECT 1' });
    // @ts-expect-error -- the same for a model object
    defineModelObject('typedViews', 'w', { sql: 1 });
    expect(getPluginObject(state, 'typedViews', 'v')?.sql).toBe('SELECT 1');
  });
});
