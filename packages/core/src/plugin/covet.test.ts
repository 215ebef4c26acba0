import { describe, expect, expectTypeOf, it } from 'vitest';
import { covetErrorOf, covetRejectionOf } from '../../test/helpers.js';
import { CovetError } from '../errors/covet-error.js';
import { STAGE_EARLY, STAGE_LATE, type MigrationHookContext, type OperationHookContext } from '../hooks/hooks.js';
import { createMigration } from '../migration/define-migration.js';
import { defineOperation, isOperation, type Operation } from '../operations/define-operation.js';
import type { DropTableArgs } from '../operations/builtin/index.js';
import { t } from '../schema/column-builder.js';
import { op } from '../operations/op.js';
import { createCovet, definePlugin, definePreset, type CovetPlugin } from './covet.js';

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
    expect(error.message).toBe(
      'Dropping tables needs a DBA review (plugin "no-drops", hook validateOperation, migration default:0001_initial, operation #1 (dropTable))',
    );
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
    expect(rejected.message).toBe('audit log unreachable (plugin "audit", hook beforeMigration, migration default:0001_initial)');
    expect(rejected.hint).toBe('Start the audit service.');
    const callback = await covetRejectionOf(covet.hooks.afterMigration.promise(migration, migrationContext));
    expect(callback.message).toBe('late failure (plugin "audit", hook afterMigration, migration default:0001_initial)');
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

  it('validateSql is a policy on statements: its error names the plugin, the hook, the migration and the operation of the context', async () => {
    const covet = createCovet({
      plugins: [
        definePlugin({
          name: 'no-drops',
          apply(c) {
            c.hooks.validateSql.tap('rule', (statements) => {
              if (statements.some((statement) => /^\s*DROP\b/i.test(statement.sql))) throw new Error('DROP refused');
            });
          },
        }),
      ],
    });
    expect(Object.keys(covet.hooks)).toContain('validateSql');
    await expect(covet.hooks.validateSql.promise([{ sql: 'CREATE TABLE "users" ("id" integer)' }], operationContext)).resolves.toBeUndefined();
    // During a rollback the context carries the reverse that runs, not the forward operation.
    const reverse = op.createTable('users', { id: t.integer() });
    const context = { ...operationContext, direction: 'down', operation: reverse } as OperationHookContext;
    const refused = await covetRejectionOf(covet.hooks.validateSql.promise([{ sql: 'DROP TABLE "users"' }], context));
    expect(refused.code).toBe('PLUGIN_FAILED');
    expect(refused.message).toBe('DROP refused (plugin "no-drops", hook validateSql, migration default:0001_initial, operation #1 (createTable))');
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
    expect(error.message).toBe('Plugin #2 is not a { name, apply(covet) } object or a function of options (plugins[1])');
    expect(covetErrorOf(() => createCovet({ plugins: ['covet-plugin-x'] })).message).toBe(
      'Plugin #1 is not a { name, apply(covet) } object or a function of options (plugins[0])',
    );
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
    expect(error.message).toBe('Plugin "broken" failed to apply: boom (plugins[0])');
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

describe('plugin options, presets and names', () => {
  /** A plugin that counts how often its register tap and its apply ran. */
  function counting(name: string, counts: Record<string, number>): CovetPlugin {
    return {
      name,
      apply(covet) {
        counts[`${name}:apply`] = (counts[`${name}:apply`] ?? 0) + 1;
        covet.hooks.registerCommands.tap(name, () => {
          counts[`${name}:register`] = (counts[`${name}:register`] ?? 0) + 1;
        });
      },
    };
  }

  it('a factory takes its options; it is called with none when listed alone', () => {
    const seen: unknown[] = [];
    const policy = definePlugin((options: { maxTables?: number } = {}) => {
      seen.push(options);
      if (options.maxTables !== undefined && !Number.isInteger(options.maxTables)) {
        throw new Error(`maxTables must be an integer, got ${JSON.stringify(options.maxTables)}`);
      }
      return { name: `policy-${options.maxTables ?? 'default'}`, apply() {} };
    });
    expect(createCovet({ plugins: [[policy, { maxTables: 3 }]] }).plugins.map((p) => p.name)).toStrictEqual(['covet:builtin-operations', 'policy-3']);
    expect(createCovet({ plugins: [policy] }).plugins.at(-1)!.name).toBe('policy-default');
    expect(seen).toStrictEqual([{ maxTables: 3 }, {}]);

    const error = covetErrorOf(() => createCovet({ plugins: [[policy, { maxTables: 'x' }]], sources: ['covet.config.ts plugins[0]'] }));
    expect(error.code).toBe('PLUGIN_OPTIONS_INVALID');
    expect(error.message).toBe('Invalid options for plugin #1: maxTables must be an integer, got "x" (covet.config.ts plugins[0])');
  });

  it('refuses options for a plugin object, a pair of the wrong length, and a factory that returns no plugin', () => {
    const plain = definePlugin({ name: 'plain', apply() {} });
    const options = covetErrorOf(() => createCovet({ plugins: [[plain, { a: 1 }]] }));
    expect([options.code, options.message]).toStrictEqual(['PLUGIN_OPTIONS_INVALID', 'Plugin #1 takes no options (plugins[0])']);
    expect(createCovet({ plugins: [[plain]] }).plugins.at(-1)).toBe(plain);
    expect(covetErrorOf(() => createCovet({ plugins: [[plain, {}, {}]] })).message).toBe(
      'A plugin entry as a list is [plugin, options], got 3 item(s) (plugins[0])',
    );
    expect(covetErrorOf(() => createCovet({ plugins: [() => 42] })).message).toBe(
      'Plugin #1 is a function that did not return a { name, apply(covet) } object (plugins[0])',
    );
  });

  it('a factory made with definePlugin returns the same plugin for equal JSON options', () => {
    const factory = definePlugin((options: { level?: string } = {}) => ({ name: `p-${options.level ?? 'x'}`, apply() {} }));
    expect(factory({ level: 'a' })).toBe(factory({ level: 'a' }));
    expect(factory({ level: 'a' })).not.toBe(factory({ level: 'b' }));
  });

  it('a preset applies its plugins; a plugin listed by the preset and the config is applied once', () => {
    const counts: Record<string, number> = {};
    const naming = counting('naming', counts);
    const policy = definePlugin((options: { strict?: boolean } = {}) => ({
      name: 'policy',
      apply(covet) {
        counts[`policy:${String(options.strict)}`] = (counts[`policy:${String(options.strict)}`] ?? 0) + 1;
        counting('policy-inner', counts).apply(covet);
      },
    }));
    const preset = definePreset({ name: 'acme-org', plugins: [[policy, { strict: true }], naming] });
    const covet = createCovet({ plugins: [preset, naming, [policy, { strict: true }]] });
    expect(covet.plugins.map((p) => p.name)).toStrictEqual(['covet:builtin-operations', 'policy', 'naming', 'acme-org']);
    expect(counts).toStrictEqual({ 'policy:true': 1, 'policy-inner:apply': 1, 'policy-inner:register': 1, 'naming:apply': 1, 'naming:register': 1 });
    expect(covet.sourceOf('naming')).toBe('preset "acme-org" (plugins[0])');
    expect(covet.sourceOf('acme-org')).toBe('plugins[0]');

    // covet.use of an applied plugin (e.g. from another plugin's apply) is a no-op.
    covet.use(naming);
    expect(counts['naming:register']).toBe(1);
  });

  it('covet.use inside apply fires the register hooks of each plugin once', () => {
    const counts: Record<string, number> = {};
    const inner = counting('inner', counts);
    const outer: CovetPlugin = {
      name: 'outer',
      apply(covet) {
        covet.use(inner);
        covet.use(inner);
        counting('outer-own', counts).apply(covet);
      },
    };
    const covet = createCovet({ plugins: [outer] });
    expect(counts).toStrictEqual({ 'inner:apply': 1, 'inner:register': 1, 'outer-own:apply': 1, 'outer-own:register': 1 });
    expect(covet.sourceOf('inner')).toBe('plugin "outer" (plugins[0])');
  });

  it('refuses two different plugins with one name, naming both sources', () => {
    const a = definePlugin({ name: 'acme-policy', apply() {} });
    const b = definePlugin({ name: 'acme-policy', apply() {} });
    const direct = covetErrorOf(() => createCovet({ plugins: [a, b], sources: ['covet.config.ts plugins[0]', 'covet.config.ts plugins[1] (package @acme/policy)'] }));
    expect(direct.code).toBe('PLUGIN_DUPLICATE');
    expect(direct.message).toBe(
      'Two different plugins are named "acme-policy": one from covet.config.ts plugins[0], one from covet.config.ts plugins[1] (package @acme/policy)',
    );
    const viaPreset = covetErrorOf(() => createCovet({ plugins: [a, definePreset({ name: 'org', plugins: [b] })] }));
    expect(viaPreset.message).toBe('Two different plugins are named "acme-policy": one from plugins[0], one from preset "org" (plugins[1])');
    // The same factory with other options makes another plugin of the same name.
    const factory = definePlugin((options: { n?: number } = {}) => ({ name: 'counted', apply() {} , n: options.n }) as CovetPlugin);
    expect(covetErrorOf(() => createCovet({ plugins: [[factory, { n: 1 }], [factory, { n: 2 }]] })).code).toBe('PLUGIN_DUPLICATE');
  });

  it('names the plugin that added a tap, not the tap, with the migration and operation position', async () => {
    const covet = createCovet({
      plugins: [
        definePlugin({
          name: 'acme-policy',
          apply(c) {
            c.hooks.validateOperation.tap('rule:no-drops', () => {
              throw new Error('drops need a review');
            });
          },
        }),
      ],
    });
    const error = await covetRejectionOf(covet.hooks.validateOperation.promise(operation, operationContext));
    expect(error.message).toBe('drops need a review (plugin "acme-policy", hook validateOperation, migration default:0001_initial, operation #1 (dropTable))');
    // A tap added outside any apply is named after its label.
    covet.hooks.beforeRun.tap('late-tap', () => {
      throw new Error('nope');
    });
    const late = await covetRejectionOf(covet.hooks.beforeRun.promise({ direction: 'up', migrations: [] }, migrationContext));
    expect(late.message).toBe('nope (plugin "late-tap", hook beforeRun)');
  });
});

describe('typed operations for plugins', () => {
  it('isOperation(op, kind) narrows args; covet.operations.get types built-ins and gives unknown args otherwise', () => {
    const value: unknown = op.dropTable('users');
    expect(isOperation(value, 'dropTable')).toBe(true);
    expect(isOperation(value, 'addColumn')).toBe(false);
    expect(isOperation({ kind: 'dropTable' }, 'dropTable')).toBe(false);
    if (isOperation(value, 'dropTable')) {
      expectTypeOf(value.args).toEqualTypeOf<DropTableArgs>();
      expect(value.args.name).toBe('users');
    }
    const operation = op.addColumn('users', 'nickname', t.text()) as Operation;
    if (isOperation(operation, 'addColumn')) expectTypeOf(operation.args.column.name).toEqualTypeOf<string>();

    const covet = createCovet();
    expectTypeOf(covet.operations.get('dropTable').describe).parameter(0).toEqualTypeOf<DropTableArgs>();
    const getAny = (kind: string) => covet.operations.get(kind);
    type PluginDefinition = ReturnType<typeof getAny>;
    expectTypeOf<Parameters<PluginDefinition['describe']>[0]>().toEqualTypeOf<unknown>();
    // No `any` reaches a plugin author through get(): unknown must be narrowed before use.
    expectTypeOf(covet.operations.get('dropTable').describe).parameter(0).not.toBeAny();
    expectTypeOf<Parameters<PluginDefinition['reverse']>[0]>().not.toBeAny();
    expectTypeOf<Parameters<PluginDefinition['applyToState']>[1]>().not.toBeAny();
    expect(covet.operations.get('dropTable').describe({ name: 'users' })).toBe('Drop table users');
  });
});

describe('reports', () => {
  it('a tap reports through its context, under the name of the plugin that added it', async () => {
    const covet = createCovet({
      plugins: [
        definePlugin({
          name: 'acme-policy',
          apply(c) {
            c.hooks.validateOperation.tap('rule:drops', (o, context) => context.report.warn(`drops ${(o.args as { name: string }).name}\nsecond line`));
            c.hooks.beforeMigration.tap('summary', (m, context) => context.report.info(`starting ${m.id}`));
          },
        }),
      ],
    });
    const heard: string[] = [];
    const stop = covet.onReport((line) => heard.push(`${line.level} ${line.plugin} ${line.hook}: ${line.message}`));
    const report = covet.reporter;
    await covet.hooks.validateOperation.promise(operation, { ...operationContext, report });
    await covet.hooks.beforeMigration.promise(migration, { ...migrationContext, report });
    stop();
    await covet.hooks.beforeMigration.promise(migration, { ...migrationContext, report });
    expect(heard).toStrictEqual(['warn acme-policy validateOperation: drops users second line', 'info acme-policy beforeMigration: starting default:0001_initial']);
    expect(covet.reports.map((line) => line.message)).toStrictEqual(['drops users second line', 'starting default:0001_initial', 'starting default:0001_initial']);
  });
});
