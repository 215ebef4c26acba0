import { describe, expect, it } from 'vitest';
import { covetErrorOf } from '../../test/helpers.js';
import { createView, dropView, replaceView, viewsPlugin } from '../../test/views-plugin.js';
import { changedObjects, overlappingChanges } from '../graph/history.js';
import { createCovet } from '../plugin/covet.js';
import { t } from '../schema/column-builder.js';
import { defineTable } from '../schema/define-table.js';
import type { SchemaState } from '../schema/types.js';
import { withPluginObject } from '../state/plugin-state.js';
import { EMPTY_STATE, stateFromTables } from '../state/schema-state.js';
import { MigrationEngine } from './migration-engine.js';
import { diffPluginObjects } from './plugin-changes.js';

const covet = createCovet({ plugins: [viewsPlugin] });
const engine = new MigrationEngine({ operations: covet.operations });
const users = defineTable('users', { id: t.serial().primaryKey() }).state;
const views = (state: SchemaState, entries: Record<string, string>) =>
  Object.entries(entries).reduce((result, [name, sql]) => withPluginObject(result, 'views', name, { sql }), state);

const from = views(stateFromTables([users]), { a: 'SELECT 1', b: 'SELECT 2', c: 'SELECT 3' });
const to = views(stateFromTables([users]), { b: 'SELECT 2', c: 'SELECT 30', d: 'SELECT 4' });

/** What makemigrations does: the engine's changes, then the processChanges taps. */
const changes = (before: SchemaState, after: SchemaState) =>
  covet.hooks.processChanges.promise(engine.detectChanges(before, after), { report: covet.reporter, app: 'default', from: before, to: after });

describe('diffPluginObjects', () => {
  it('lists created, dropped (with the old definition) and changed objects, by name', () => {
    expect(diffPluginObjects(from, to, 'views')).toStrictEqual({
      created: [{ name: 'd', definition: { sql: 'SELECT 4' } }],
      dropped: [{ name: 'a', definition: { sql: 'SELECT 1' } }],
      changed: [{ name: 'c', before: { sql: 'SELECT 3' }, after: { sql: 'SELECT 30' } }],
    });
    expect(diffPluginObjects(from, from, 'views')).toStrictEqual({ created: [], dropped: [], changed: [] });
    expect(diffPluginObjects(EMPTY_STATE, EMPTY_STATE, 'other')).toStrictEqual({ created: [], dropped: [], changed: [] });
  });

  it('compares definitions as JSON (key order does not matter)', () => {
    const left = withPluginObject(EMPTY_STATE, 'views', 'v', { sql: 'SELECT 1', materialized: false });
    const right = withPluginObject(EMPTY_STATE, 'views', 'v', { materialized: false, sql: 'SELECT 1' });
    expect(diffPluginObjects(left, right, 'views').changed).toStrictEqual([]);
  });
});

describe('plugin changes in makemigrations', () => {
  it('a plugin turns the differences of its objects into operations that reach the models', async () => {
    const operations = await changes(from, to);
    expect(operations).toStrictEqual([dropView('a'), replaceView('c', 'SELECT 30'), createView('d', 'SELECT 4')]);
    expect(() => engine.checkPluginChanges(from, to, operations)).not.toThrow();
    // The reverse of each, from the state before it, carries the old definition.
    expect(covet.operations.get('views.dropView').reverse(dropView('a').args, from)).toStrictEqual([createView('a', 'SELECT 1')]);
    expect(await changes(to, to)).toStrictEqual([]);
  });

  it('stops when no operation reaches a plugin object of the models, naming it and its namespace', () => {
    const error = covetErrorOf(() => engine.checkPluginChanges(from, to, []));
    expect(error.code).toBe('PLUGIN_STATE_UNREACHED');
    expect(error.message).toBe('The detected changes do not reach the models: views "d" is not created');
    expect(error.hint).toContain('namespace "views"');
    expect(covetErrorOf(() => engine.checkPluginChanges(from, to, [createView('d', 'SELECT 4'), replaceView('c', 'SELECT 30')])).message).toBe(
      'The detected changes do not reach the models: views "a" is not dropped',
    );
    // An operation that drops what the models keep leaves it not created.
    expect(covetErrorOf(() => engine.checkPluginChanges(from, from, [dropView('a')])).message).toBe(
      'The detected changes do not reach the models: views "a" is not created',
    );
    expect(covetErrorOf(() => engine.checkPluginChanges(to, from, [createView('a', 'SELECT 1'), dropView('d')])).message).toBe(
      'The detected changes do not reach the models: views "c" does not get its new definition',
    );
    // States without plugin objects: nothing to check.
    expect(() => engine.checkPluginChanges(EMPTY_STATE, stateFromTables([users]), [])).not.toThrow();
  });

  it('counts plugin objects as changed objects when branches are merged', () => {
    const base = views(EMPTY_STATE, { a: 'SELECT 1' });
    const left = changedObjects(base, views(base, { a: 'SELECT 10' }));
    const right = changedObjects(base, views(withPluginObject(base, 'views', 'a', undefined), { b: 'SELECT 2' }));
    expect([...left]).toStrictEqual(['plugin object views "a"']);
    expect([...right].sort()).toStrictEqual(['plugin object views "a"', 'plugin object views "b"']);
    expect(overlappingChanges(new Map([['left', left], ['right', right]]))).toStrictEqual([{ object: 'plugin object views "a"', branches: ['left', 'right'] }]);
  });
});
