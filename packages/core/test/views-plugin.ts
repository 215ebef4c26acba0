// A small views plugin for the unit tests of plugin state, written as a plugin author would
// (its objects in the state under `views`, reverses read from the state before).
import { CovetError } from '../src/errors/covet-error.js';
import { diffPluginObjects } from '../src/diff/plugin-changes.js';
import { createOperation, defineOperation, IRREVERSIBLE, type Operation } from '../src/operations/define-operation.js';
import { definePlugin } from '../src/plugin/covet.js';
import { defineModelObject } from '../src/schema/define-model-object.js';
import { getPluginObject, withPluginObject } from '../src/state/plugin-state.js';

export interface View {
  readonly sql: string;
}

export const defineView = (name: string, sql: string) => defineModelObject('views', name, { sql });

export const createView = (name: string, sql: string): Operation => createOperation('views.createView', { name, sql });
export const dropView = (name: string): Operation => createOperation('views.dropView', { name });
export const replaceView = (name: string, sql: string): Operation => createOperation('views.replaceView', { name, sql });

const exists = (args: { name: string }, state: Parameters<typeof getPluginObject>[0]) => {
  if (!getPluginObject(state, 'views', args.name)) throw new CovetError('VIEW_UNKNOWN', `View "${args.name}" does not exist`);
};

export const VIEW_OPERATIONS = [
  defineOperation<{ name: string; sql: string }>({
    kind: 'views.createView',
    validate: (args, state) => {
      if (getPluginObject(state, 'views', args.name)) throw new CovetError('VIEW_EXISTS', `View "${args.name}" exists`);
    },
    describe: (args) => `Create view ${args.name}`,
    applyToState: (state, args) => withPluginObject(state, 'views', args.name, { sql: args.sql }),
    reverse: (args) => [dropView(args.name)],
    sql: { default: (args) => [{ sql: `CREATE VIEW ${args.name} AS ${args.sql}` }] },
  }),
  defineOperation<{ name: string }>({
    kind: 'views.dropView',
    validate: exists,
    describe: (args) => `Drop view ${args.name}`,
    applyToState: (state, args) => withPluginObject(state, 'views', args.name, undefined),
    reverse: (args, stateBefore) => {
      const old = getPluginObject<View>(stateBefore, 'views', args.name);
      return old ? [createView(args.name, old.sql)] : IRREVERSIBLE;
    },
    sql: { default: (args) => [{ sql: `DROP VIEW ${args.name}` }] },
  }),
  defineOperation<{ name: string; sql: string }>({
    kind: 'views.replaceView',
    validate: exists,
    describe: (args) => `Replace view ${args.name}`,
    applyToState: (state, args) => withPluginObject(state, 'views', args.name, { sql: args.sql }),
    reverse: (args, stateBefore) => {
      const old = getPluginObject<View>(stateBefore, 'views', args.name);
      return old ? [replaceView(args.name, old.sql)] : IRREVERSIBLE;
    },
    sql: { default: (args) => [{ sql: `DROP VIEW ${args.name}` }, { sql: `CREATE VIEW ${args.name} AS ${args.sql}` }] },
  }),
];

/** The plugin: its operations, and the changes of its objects (drops first, creations last). */
export const viewsPlugin = definePlugin({
  name: 'test-views',
  apply(covet) {
    covet.hooks.registerOperations.tap('test-views', (registry) => {
      for (const definition of VIEW_OPERATIONS) registry.register(definition);
    });
    covet.hooks.processChanges.tap('test-views', (operations, { from, to }) => {
      const { created, dropped, changed } = diffPluginObjects<View>(from, to, 'views');
      return [
        ...dropped.map(({ name }) => dropView(name)),
        ...operations,
        ...changed.map(({ name, after }) => replaceView(name, after.sql)),
        ...created.map(({ name, definition }) => createView(name, definition.sql)),
      ];
    });
  },
});
