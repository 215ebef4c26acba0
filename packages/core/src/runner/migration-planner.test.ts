import { describe, expect, it } from 'vitest';
import { covetRejectionOf } from '../../test/helpers.js';
import { DIALECT_SPECIFICATION_VERSION, type CompileContext, type Dialect, type Operation } from '../dialect/dialect.js';
import { MigrationGraph } from '../graph/migration-graph.js';
import type { RunHookContext } from '../hooks/hooks.js';
import type { MigrationEntry } from '../loader/migration-loader.js';
import { createMigration, type Migration } from '../migration/define-migration.js';
import { op } from '../operations/op.js';
import { createCovet, definePlugin, type CovetPlugin } from '../plugin/covet.js';
import { t } from '../schema/column-builder.js';
import type { SqlStatement } from '../schema/types.js';
import { MigrationPlanner } from './migration-planner.js';
import type { TrackingRow } from './tracking-table.js';

/**
 * An offline dialect: one statement per operation, named after its kind and subject. Its
 * dropColumn reads the live database (as SQLite's may), so it compiles only when it runs.
 */
const dialect: Dialect = {
  specificationVersion: DIALECT_SPECIFICATION_VERSION,
  name: 'offline',
  capabilities: { transactionalDdl: true, alterColumn: 'native', maxIdentifierLength: 63 },
  quoteIdentifier: (name) => `"${name}"`,
  placeholder: () => '?',
  async compileOperation(operation: Operation, context: CompileContext): Promise<readonly SqlStatement[]> {
    const args = operation.args as { name?: string; table?: string; column?: { name: string } | string };
    if (operation.kind === 'dropColumn' && context.query) await context.query('SELECT sql FROM sqlite_master');
    const subject = args.name ?? `${args.table}.${typeof args.column === 'string' ? args.column : args.column?.name}`;
    return [{ sql: `${operation.kind} ${subject}` }];
  },
  connect: () => Promise.reject(new Error('offline')),
  describeDatabase: () => 'offline',
};

const first = createMigration('default', '0001_first', { operations: [op.createTable('users', { id: t.integer() }), op.addColumn('users', 'email', t.text())] });
const second = createMigration('default', '0002_second', { dependencies: ['0001_first'], operations: [op.dropTable('users')] });

function entry(migration: Migration): MigrationEntry {
  return { id: migration.id, app: migration.app, name: migration.name, file: `${migration.name}.ts`, dependencies: migration.dependencies, checksum: migration.checksum, load: async () => migration };
}

function runContext(covet: ReturnType<typeof createCovet>, direction: 'up' | 'down', fake = false): RunHookContext {
  return { report: covet.reporter, direction, dialect, dryRun: false, fake };
}

/** A plugin that records what the SQL hooks see, rewrites every statement, and refuses `dropTable`. */
function sqlPlugin(seen: string[]): CovetPlugin {
  return definePlugin({
    name: 'sql-policy',
    apply(covet) {
      covet.hooks.processSql.tap('sql-policy', (statements, context) => {
        seen.push(`processSql ${context.direction} ${context.migration.name}#${context.index} ${context.operation.kind}`);
        return statements.map((statement) => ({ ...statement, sql: `/* checked */ ${statement.sql}` }));
      });
      covet.hooks.validateSql.tap('sql-policy', (statements, context) => {
        seen.push(`validateSql ${context.direction} ${statements.map((statement) => statement.sql).join('; ')}`);
        if (context.operation.kind === 'dropTable') throw new Error('no drops');
      });
    },
  });
}

describe('MigrationPlanner: SQL before any SQL', () => {
  it('passes the SQL of every operation through processSql and validateSql while validating; a live renderer is left for run time', async () => {
    const seen: string[] = [];
    const covet = createCovet({ plugins: [sqlPlugin(seen)] });
    const planner = new MigrationPlanner({ covet, dialect });
    const planned = await planner.replay([entry(first)], new Set([first.id]));
    await planner.validate(planned, runContext(covet, 'up'));
    expect(seen).toEqual([
      'processSql up 0001_first#0 createTable',
      'validateSql up /* checked */ createTable users',
      'processSql up 0001_first#1 addColumn',
      'validateSql up /* checked */ addColumn users.email',
    ]);
    expect(planned[0]!.steps.map((step) => planner.sqlOf(step))).toEqual([[{ sql: '/* checked */ createTable users' }], [{ sql: '/* checked */ addColumn users.email' }]]);
  });

  it('a refusal of validateSql names the plugin, the migration and the operation; nothing is prepared after it', async () => {
    const seen: string[] = [];
    const covet = createCovet({ plugins: [sqlPlugin(seen)] });
    const planner = new MigrationPlanner({ covet, dialect });
    const planned = await planner.replay([entry(first), entry(second)], new Set([first.id, second.id]));
    const error = await covetRejectionOf(planner.validate(planned, runContext(covet, 'up')));
    expect(error.message).toBe('no drops (plugin "sql-policy", hook validateSql, migration default:0002_second, operation #1 (dropTable))');
    expect(seen.at(-1)).toBe('validateSql up /* checked */ dropTable users');
  });

  it('during a rollback the context carries the reverse that runs and the direction; a reverse that reads the live database waits', async () => {
    const seen: string[] = [];
    const covet = createCovet({ plugins: [sqlPlugin(seen)] });
    const planner = new MigrationPlanner({ covet, dialect });
    const graph = new MigrationGraph([entry(first)]);
    const rows = [{ app: 'default', name: '0001_first' }] as TrackingRow[];
    const planned = await planner.planDown(graph, rows, rows);
    await expect(planner.validate(planned, runContext(covet, 'down'))).rejects.toThrow('no drops (plugin "sql-policy", hook validateSql, migration default:0001_first, operation #1 (dropTable))');
    // #1 is undone first by dropColumn, whose renderer reads the live database: not compiled yet.
    expect(seen).toEqual(['processSql down 0001_first#0 dropTable', 'validateSql down /* checked */ dropTable users']);
    expect(planner.sqlOf(planned[0]!.steps[0]!)).toBeUndefined();
  });

  it('without taps on the SQL hooks (or in a fake run) the compiled statements are used as they are', async () => {
    const plain = createCovet();
    const planner = new MigrationPlanner({ covet: plain, dialect });
    const planned = await planner.replay([entry(first)], new Set([first.id]));
    await planner.validate(planned, runContext(plain, 'up'));
    expect(planner.processesSql()).toBe(false);
    expect(planner.sqlOf(planned[0]!.steps[0]!)).toEqual([{ sql: 'createTable users' }]);

    const seen: string[] = [];
    const covet = createCovet({ plugins: [sqlPlugin(seen)] });
    const fakePlanner = new MigrationPlanner({ covet, dialect });
    const fake = await fakePlanner.replay([entry(first), entry(second)], new Set([first.id, second.id]));
    await fakePlanner.validate(fake, runContext(covet, 'up', true));
    expect(seen).toEqual([]);
    expect(fakePlanner.sqlOf(fake[1]!.steps[0]!)).toEqual([{ sql: 'dropTable users' }]);
  });
});
