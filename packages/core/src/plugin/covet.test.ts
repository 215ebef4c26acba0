import { describe, expect, it } from 'vitest';
import { covetErrorOf, covetRejectionOf } from '../../test/helpers.js';
import { CovetError } from '../errors/covet-error.js';
import { STAGE_EARLY, STAGE_LATE, type MigrationHookContext, type OperationHookContext } from '../hooks/hooks.js';
import { createMigration } from '../migration/define-migration.js';
import { defineOperation } from '../operations/define-operation.js';
import { op } from '../operations/op.js';
import { createCovet, definePlugin, type CovetPlugin } from './covet.js';

const migration = createMigration('default', '0001_initial', { operations: [op.dropTable('users')] });
const operation = migration.operations[0]!;
// The taps here only look at their first argument; a run would pass a full context.
const migrationContext = { direction: 'up', dryRun: false, fake: false } as unknown as MigrationHookContext;
const operationContext = { ...migrationContext, migration, index: 0 } as unknown as OperationHookContext;

describe('hooks', () => {
  it('run taps by stage, then in registration order across plugins', async () => {
    const calls: string[] = [];
    const first = definePlugin({
      name: 'first',
      apply(covet) {
        covet.hooks.beforeMigration.tap('first', (m) => void calls.push(`first:${m.id}`));
        covet.hooks.beforeMigration.tap({ name: 'first', stage: STAGE_LATE }, () => void calls.push('first:late'));
        covet.hooks.validateOperation.tapPromise('first', async (o) => void calls.push(`first:${o.kind}`));
      },
    });
    const second = definePlugin({
      name: 'second',
      apply(covet) {
        covet.hooks.beforeMigration.tap({ name: 'second', stage: STAGE_EARLY }, () => void calls.push('second:early'));
        covet.hooks.beforeMigration.tapAsync('second', (_m, _context, callback) => {
          calls.push('second:default');
          setTimeout(callback, 1);
        });
        covet.hooks.validateOperation.tap({ name: 'second', stage: STAGE_EARLY }, () => void calls.push('second:early'));
        covet.hooks.validateOperation.tap('second', () => void calls.push('second:default'));
      },
    });
    const covet = createCovet({ plugins: [first, second] });
    expect(covet.plugins.map((plugin) => plugin.name)).toStrictEqual(['covet:builtin-operations', 'first', 'second']);

    await covet.hooks.beforeMigration.promise(migration, migrationContext);
    expect(calls.splice(0)).toStrictEqual(['second:early', 'first:default:0001_initial', 'second:default', 'first:late']);

    await covet.hooks.validateOperation.promise(operation, operationContext);
    expect(calls).toStrictEqual(['second:early', 'first:dropTable', 'second:default']);
  });

  it('wraps a tap that throws in an error naming the plugin and the hook, and stops the later taps', async () => {
    let laterRan = false;
    const policy: CovetPlugin = {
      name: 'no-drops',
      apply(covet) {
        covet.hooks.validateOperation.tap('no-drops', (o) => {
          if (o.kind === 'dropTable') throw new Error('Dropping tables needs a DBA review');
        });
        covet.hooks.validateOperation.tap('later', () => {
          laterRan = true;
        });
      },
    };
    const covet = createCovet({ plugins: [policy] });
    const error = await covetRejectionOf(covet.hooks.validateOperation.promise(operation, operationContext));
    expect(error.code).toBe('PLUGIN_FAILED');
    expect(error.message).toBe('Dropping tables needs a DBA review (plugin "no-drops", hook validateOperation)');
    expect((error.cause as Error).message).toBe('Dropping tables needs a DBA review');
    expect(laterRan).toBe(false);
  });

  it('wraps rejected promises and async callback errors too, keeping a CovetError hint', async () => {
    const covet = createCovet({
      plugins: [
        definePlugin({
          name: 'audit',
          apply(c) {
            c.hooks.beforeMigration.tapPromise('audit', async () => {
              throw new CovetError('AUDIT', 'audit log unreachable', { hint: 'Start the audit service.' });
            });
            c.hooks.afterMigration.tapAsync('audit', (_m, _context, callback) => callback(new Error('late failure')));
          },
        }),
      ],
    });
    const rejected = await covetRejectionOf(covet.hooks.beforeMigration.promise(migration, migrationContext));
    expect(rejected.message).toBe('audit log unreachable (plugin "audit", hook beforeMigration)');
    expect(rejected.hint).toBe('Start the audit service.');
    const callback = await covetRejectionOf(covet.hooks.afterMigration.promise(migration, migrationContext));
    expect(callback.message).toBe('late failure (plugin "audit", hook afterMigration)');
  });

  it('processSql is a waterfall a plugin can rewrite', async () => {
    const covet = createCovet({
      plugins: [
        definePlugin({
          name: 'comment',
          apply(c) {
            c.hooks.processSql.tap('comment', (statements) => statements.map((s) => ({ ...s, sql: `/* covet */ ${s.sql}` })));
          },
        }),
      ],
    });
    expect(await covet.hooks.processSql.promise([{ sql: 'DROP TABLE "users"' }], operationContext)).toStrictEqual([{ sql: '/* covet */ DROP TABLE "users"' }]);
  });

  it('the hooks object is frozen and each instance has its own', () => {
    const a = createCovet();
    const b = createCovet();
    expect(Object.isFrozen(a.hooks)).toBe(true);
    expect(a.hooks).not.toBe(b.hooks);
    expect(a.operations).not.toBe(b.operations);
  });
});

describe('createCovet', () => {
  it('refuses a value that is not a plugin, naming its position', () => {
    const error = covetErrorOf(() => createCovet({ plugins: [{ name: 'ok', apply() {} }, { name: 'no-apply' }] }));
    expect(error.code).toBe('PLUGIN_INVALID');
    expect(error.message).toBe('Plugin #2 is not a { name, apply(covet) } object');
    expect(covetErrorOf(() => createCovet({ plugins: ['covet-plugin-x'] })).message).toBe('Plugin #1 is not a { name, apply(covet) } object');
    expect(covetErrorOf(() => createCovet({ plugins: [null] })).code).toBe('PLUGIN_INVALID');
  });

  it('names a plugin whose apply throws', () => {
    const error = covetErrorOf(() =>
      createCovet({
        plugins: [
          {
            name: 'broken',
            apply() {
              throw new Error('boom');
            },
          },
        ],
      }),
    );
    expect(error.code).toBe('PLUGIN_FAILED');
    expect(error.message).toBe('Plugin "broken" failed to apply: boom');
  });

  it('registers a plugin operation through registerOperations, and names a plugin whose registry tap throws', () => {
    const createView = defineOperation<{ name: string }>({
      kind: 'views.createView',
      validate: () => {},
      describe: (args) => `Create view ${args.name}`,
      applyToState: (state) => state,
      reverse: (args) => [{ kind: 'views.dropView', args }],
    });
    const views: CovetPlugin = { name: 'views', apply: (c) => void c.hooks.registerOperations.tap('views', (registry) => void registry.register(createView)) };
    expect(createCovet({ plugins: [views] }).operations.get('views.createView')).toBe(createView);

    const clash: CovetPlugin = {
      name: 'clash',
      apply: (c) => void c.hooks.registerOperations.tap('clash', (registry) => void registry.register(defineOperation({ ...createView, kind: 'addColumn' }))),
    };
    const error = covetErrorOf(() => createCovet({ plugins: [clash] }));
    expect(error.code).toBe('PLUGIN_FAILED');
    expect(error.message).toBe('Operation kind "addColumn" is registered twice (plugin "clash", hook registerOperations)');
  });

  it('defineOperation refuses a bad kind or a missing member', () => {
    expect(
      covetErrorOf(() => defineOperation({ kind: 'Views-create', validate() {}, describe: () => '', applyToState: (s) => s, reverse: () => [] })).message,
    ).toBe('Invalid operation kind "Views-create"');
    expect(covetErrorOf(() => defineOperation({ kind: 'views.x', validate() {}, describe: () => '', applyToState: (s: unknown) => s } as never)).message).toBe(
      'Operation "views.x" has no reverse()',
    );
  });
});
