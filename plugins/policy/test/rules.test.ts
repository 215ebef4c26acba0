// The rules and options as pure logic: no project, no database.
import { EMPTY_STATE, OperationRegistry, BUILTIN_OPERATIONS, op, t } from '@covet/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LEVELS, checkMigration, checkOperation, resolvePolicy, type OperationSite } from '../src/index.js';

const registry = new OperationRegistry();
for (const definition of BUILTIN_OPERATIONS) registry.register(definition);

const users = op.createTable('users', { id: t.serial().primaryKey(), email: t.varchar(100) });
const withUsers = registry.get('createTable').applyToState(EMPTY_STATE, users.args);

function site(overrides: Partial<OperationSite> = {}): OperationSite {
  return { migration: 'default:0002_x', index: 0, stateBefore: withUsers, createdTables: new Set(), engine: 'sqlite', direction: 'up', ...overrides };
}

describe('resolvePolicy', () => {
  it('keeps the default levels for the rules not listed', () => {
    const policy = resolvePolicy({ rules: { 'backward-incompatible': 'error' } });
    expect(policy.levels).toEqual({ ...DEFAULT_LEVELS, 'backward-incompatible': 'error' });
    expect(resolvePolicy(undefined).levels).toEqual(DEFAULT_LEVELS);
    expect(policy.maxStatements).toBe(50);
  });

  it('refuses a setting that is neither a level nor [level, options]', () => {
    expect(() => resolvePolicy({ rules: { destructive: ['error'] } })).toThrow('rules.destructive must be a level or [level, options], got ["error"]');
    expect(() => resolvePolicy({ rules: { destructive: ['error', { rollbak: true }] } })).toThrow('unknown option "rollbak" of rules.destructive');
    expect(() => resolvePolicy({ rules: { 'run-sql-reverse': ['warn', { x: 1 }] } })).toThrow('rules.run-sql-reverse takes no options');
    expect(() => resolvePolicy('strict')).toThrow('options must be an object');
  });
});

describe('checkOperation', () => {
  const policy = resolvePolicy({ rules: { 'index-concurrently': 'error' } });

  it('reports index-concurrently only for PostgreSQL, and only on a table that existed before the migration', () => {
    const index = op.createIndex('users', { columns: ['email'] });
    expect(checkOperation(index, site({ engine: 'postgres' }), policy).map((finding) => finding.rule)).toEqual(['index-concurrently']);
    expect(checkOperation(index, site({ engine: 'mysql' }), policy)).toEqual([]);
    expect(checkOperation(index, site({ engine: 'postgres', createdTables: new Set(['users']) }), policy)).toEqual([]);
  });

  it('leaves destructive reverses of a rollback alone unless rollback: true', () => {
    const drop = op.dropTable('users');
    expect(checkOperation(drop, site({ direction: 'down' }), policy)).toEqual([]);
    const strict = resolvePolicy({ rules: { destructive: ['error', { rollback: true }] } });
    const [finding] = checkOperation(drop, site({ direction: 'down' }), strict);
    expect(finding?.fix).toContain("rules.destructive set to ['warn', { rollback: true }] or off");
  });

  it('an off rule reports nothing', () => {
    const off = resolvePolicy({ rules: { destructive: 'off' } });
    expect(checkOperation(op.dropTable('users'), site(), off)).toEqual([]);
  });
});

describe('checkMigration', () => {
  it('follows the state through the migration: a table created in it is new', async () => {
    const policy = resolvePolicy({});
    const { findings, stateAfter } = await checkMigration(
      { id: 'default:0001_initial', operations: [users, op.addColumn('users', 'age', t.integer().notNull())] },
      EMPTY_STATE,
      registry,
      policy,
      'sqlite',
    );
    expect(findings).toEqual([]);
    expect(stateAfter.tables.users?.columns.map((column) => column.name)).toEqual(['id', 'email', 'age']);
  });
});
