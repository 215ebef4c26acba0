// The lock rules as pure logic: which PostgreSQL type changes rewrite a table, NOT NULL and
// foreign keys the safe way, lock_timeout, and the InnoDB algorithm per server version.
import { BUILTIN_OPERATIONS, EMPTY_STATE, OperationRegistry, op, sql, t, type ColumnType, type Operation } from '@covet/core';
import { describe, expect, it } from 'vitest';
import { checkOperation, resolvePolicy, type OperationSite } from '../src/index.js';
import { lockTimeoutMs, lockTimeoutSetIn, parseServerVersion, postgresRewriteReason } from '../src/engine-facts.js';
import { notNullCheckIn } from '../src/rules.js';

const registry = new OperationRegistry();
for (const definition of BUILTIN_OPERATIONS) registry.register(definition);
const initial = [
  op.createTable('users', { id: t.serial().primaryKey(), email: t.varchar(100), nick: t.varchar(10), amount: t.decimal(10, 2), born: t.timestamp(), n: t.integer() }),
  op.createTable('orders', { id: t.serial().primaryKey(), user_id: t.integer() }),
];
const state = initial.reduce((current, operation) => registry.get(operation.kind).applyToState(current, operation.args), EMPTY_STATE);

function site(engine: string, overrides: Partial<OperationSite> = {}): OperationSite {
  return { migration: 'default:0002_x', index: 0, stateBefore: state, createdTables: new Set(), engine, direction: 'up', ...overrides };
}

const rules = (operation: Operation, s: OperationSite, options: unknown = {}) => checkOperation(operation, s, resolvePolicy(options)).map((finding) => finding.rule);

describe('postgresRewriteReason', () => {
  const cases: [ColumnType, ColumnType, boolean][] = [
    [{ type: 'varchar', length: 10 }, { type: 'varchar', length: 20 }, false],
    [{ type: 'varchar', length: 20 }, { type: 'varchar', length: 10 }, true],
    [{ type: 'varchar', length: 20 }, { type: 'text' }, false],
    [{ type: 'text' }, { type: 'varchar', length: 20 }, true],
    [{ type: 'decimal', precision: 10, scale: 2 }, { type: 'decimal', precision: 12, scale: 2 }, false],
    [{ type: 'decimal', precision: 10, scale: 2 }, { type: 'decimal' }, false],
    [{ type: 'decimal', precision: 10, scale: 2 }, { type: 'decimal', precision: 12, scale: 3 }, true],
    [{ type: 'integer' }, { type: 'bigint' }, true],
    [{ type: 'serial' }, { type: 'integer' }, false],
    [{ type: 'timestamp' }, { type: 'timestamp', withTimeZone: true }, true],
    [{ type: 'json' }, { type: 'json', binary: true }, true],
  ];
  it.each(cases)('%j -> %j rewrites: %s', (from, to, rewrites) => {
    expect(postgresRewriteReason(from, to) !== undefined).toBe(rewrites);
  });
});

describe('table-rewrite (PostgreSQL)', () => {
  it('flags a rewriting type change and a volatile default on an existing table, not a widening', () => {
    expect(rules(op.alterColumn('users', 'n', t.bigint()), site('postgres'))).toEqual(['table-rewrite']);
    expect(rules(op.alterColumn('users', 'email', t.varchar(200)), site('postgres'))).toEqual([]);
    expect(rules(op.alterColumn('users', 'n', t.bigint()), site('mysql'), { rules: { 'mysql-algorithm': 'off' } })).toEqual([]);
    expect(rules(op.addColumn('users', 'token', t.uuid().default(sql`gen_random_uuid()`)), site('postgres'))).toEqual(['table-rewrite']);
    expect(rules(op.addColumn('users', 'at', t.timestamp().default(sql`now()`)), site('postgres'))).toEqual([]);
  });
});

describe('not-null-check (PostgreSQL)', () => {
  const setNotNull = op.alterColumn('users', 'email', t.varchar(100).notNull());
  const add = `ALTER TABLE "users" ADD CONSTRAINT "users_email_nn" CHECK ("email" IS NOT NULL) NOT VALID`;
  const validate = 'ALTER TABLE "users" VALIDATE CONSTRAINT "users_email_nn"';

  it('reads a CHECK added and validated in the SQL before', () => {
    expect(notNullCheckIn([add, validate], 'users', 'email')).toBe('validated');
    expect(notNullCheckIn([add], 'users', 'email')).toBe('not-valid');
    expect(notNullCheckIn(['ALTER TABLE users ADD CONSTRAINT c CHECK (email IS NOT NULL)'], 'users', 'email')).toBe('validated');
    expect(notNullCheckIn([add, validate], 'users', 'nick')).toBeUndefined();
  });

  it('flags SET NOT NULL with no validated check, a check never validated, and one validated in the same transaction', () => {
    const policy = { rules: { 'data-dependent': 'off' } };
    expect(rules(setNotNull, site('postgres'), policy)).toEqual(['not-null-check']);
    const [notValid] = checkOperation(setNotNull, site('postgres', { sqlBefore: [add] }), resolvePolicy(policy));
    expect(notValid?.problem).toContain('never validated');
    // Both in an earlier migration: fine.
    expect(rules(setNotNull, site('postgres', { sqlBefore: [add, validate] }), policy)).toEqual([]);
    // In this migration, in one transaction: the lock is held through the scan.
    const operations = [op.runSql(add, 'ALTER TABLE "users" DROP CONSTRAINT "users_email_nn"'), op.runSql(validate, 'SELECT 1'), setNotNull];
    const same = checkOperation(setNotNull, site('postgres', { index: 2, operations, sqlBefore: [add, validate] }), resolvePolicy(policy));
    expect(same.map((finding) => finding.problem)).toEqual([expect.stringContaining('in the same transaction')]);
    expect(rules(setNotNull, site('postgres', { index: 2, operations, sqlBefore: [add, validate], atomic: false }), policy)).toEqual([]);
    // A validated check the live database has.
    expect(rules(setNotNull, site('postgres', { facts: { validatedNotNull: new Set(['users.email']) } }), policy)).toEqual([]);
  });
});

describe('foreign-key-not-valid (PostgreSQL)', () => {
  const fk = op.addForeignKey('orders', { columns: ['user_id'], references: { table: 'users', columns: ['id'] } });
  it('flags a foreign key added to an existing table without NOT VALID', () => {
    const [finding] = checkOperation(fk, site('postgres'), resolvePolicy({}));
    expect(finding?.rule).toBe('foreign-key-not-valid');
    expect(finding?.fix).toContain('NOT VALID, then ALTER TABLE "orders" VALIDATE CONSTRAINT "orders_user_id_fkey" in another transaction');
    expect(rules(fk, site('postgres', { createdTables: new Set(['orders']) }))).toEqual([]);
    expect(rules(fk, site('sqlite'))).toEqual([]);
  });
});

describe('lock-timeout (PostgreSQL)', () => {
  const drop = op.dropIndex('users', 'x');
  const alter = op.alterColumn('users', 'email', t.varchar(200));
  it('reads lock_timeout values as PostgreSQL writes them', () => {
    expect(lockTimeoutMs('10s')).toBe(10_000);
    expect(lockTimeoutMs('1min')).toBe(60_000);
    expect(lockTimeoutMs('0')).toBe(0);
    expect(lockTimeoutMs(2500)).toBe(2500);
    expect(lockTimeoutSetIn("SET lock_timeout = '2s'")).toBe(2000);
    expect(lockTimeoutSetIn('SET LOCAL lock_timeout TO 500')).toBe(500);
  });

  it('flags the first lock-taking operation when there is no lock_timeout or a longer one than max', () => {
    const none = { lockTimeoutMs: 0, lockTimeoutSource: 'database.options.lockTimeout' };
    const [finding] = checkOperation(alter, site('postgres', { facts: none, operations: [alter] }), resolvePolicy({}));
    expect(finding?.rule).toBe('lock-timeout');
    expect(finding?.problem).toContain('with no lock_timeout (database.options.lockTimeout sets none)');
    // Only once per migration.
    expect(rules(alter, site('postgres', { facts: none, operations: [alter, alter], index: 1 }))).toEqual([]);
    // A SET lock_timeout earlier in the migration counts.
    const set = op.runSql("SET lock_timeout = '2s'", 'RESET lock_timeout');
    expect(rules(alter, site('postgres', { facts: none, operations: [set, alter], index: 1 }))).toEqual([]);
    // max
    const ten = { lockTimeoutMs: 10_000, lockTimeoutSource: "Covet's default" };
    expect(rules(alter, site('postgres', { facts: ten, operations: [alter] }))).toEqual([]);
    expect(rules(alter, site('postgres', { facts: ten, operations: [alter] }), { rules: { 'lock-timeout': ['error', { max: 5000 }] } })).toEqual(['lock-timeout']);
    expect(rules(drop, site('postgres', { facts: none, operations: [drop], createdTables: new Set(['users']) }), { rules: { 'index-concurrently': 'off', destructive: 'off' } })).toEqual([]);
  });
});

describe('mysql-algorithm', () => {
  const maria = (version: string) => site('mysql', { facts: { server: parseServerVersion(version), serverLive: true } });
  it('knows INSTANT, INPLACE and COPY per server version', () => {
    const instant = { rules: { 'mysql-algorithm': ['error', { algorithm: 'instant' }] } };
    expect(rules(op.addColumn('users', 'age', t.integer()), maria('10.11.6-MariaDB'), instant)).toEqual([]);
    expect(rules(op.addColumn('users', 'age', t.integer()), maria('10.2.44-MariaDB'), instant)).toEqual(['mysql-algorithm']);
    expect(rules(op.dropColumn('users', 'nick'), maria('10.11.6-MariaDB'), { ...instant, rules: { ...instant.rules, destructive: 'off' } })).toEqual([]);
    expect(rules(op.dropColumn('users', 'nick'), maria('8.0.28'), { rules: { 'mysql-algorithm': ['error', { algorithm: 'instant' }], destructive: 'off' } })).toEqual(['mysql-algorithm']);
    expect(rules(op.dropColumn('users', 'nick'), maria('8.0.29'), { rules: { 'mysql-algorithm': ['error', { algorithm: 'instant' }], destructive: 'off' } })).toEqual([]);
    // A type change copies the table everywhere; a varchar staying under 256 bytes does not.
    expect(rules(op.alterColumn('users', 'n', t.bigint()), maria('10.11.6-MariaDB'))).toEqual(['mysql-algorithm']);
    expect(rules(op.alterColumn('users', 'nick', t.varchar(60)), maria('10.11.6-MariaDB'))).toEqual([]);
    expect(rules(op.alterColumn('users', 'nick', t.varchar(100)), maria('10.11.6-MariaDB'))).toEqual(['mysql-algorithm']);
    expect(rules(op.addForeignKey('orders', { columns: ['user_id'], references: { table: 'users', columns: ['id'] } }), maria('8.4.0'))).toEqual(['mysql-algorithm']);
  });

  it('says when the version is assumed', () => {
    const [finding] = checkOperation(op.alterColumn('users', 'n', t.bigint()), site('mysql'), resolvePolicy({}));
    expect(finding?.problem).toContain('MySQL 8.0.0 (assumed: give rules["mysql-algorithm"] a version)');
    const [given] = checkOperation(op.alterColumn('users', 'n', t.bigint()), site('mysql'), resolvePolicy({ rules: { 'mysql-algorithm': ['warn', { version: 'mariadb 10.11' }] } }));
    expect(given?.problem).toContain('ALGORITHM=COPY: users is copied row by row while writes to it wait on MariaDB 10.11.0');
  });
});

describe('options', () => {
  it('refuses bad options of the lock rules', () => {
    expect(() => resolvePolicy({ rules: { 'lock-timeout': ['error', { max: '5s' }] } })).toThrow('rules.lock-timeout.max must be a positive integer (milliseconds), got "5s"');
    expect(() => resolvePolicy({ rules: { 'mysql-algorithm': ['error', { version: 'latest' }] } })).toThrow("rules.mysql-algorithm.version must be a server version like 'mariadb 10.11'");
    expect(() => resolvePolicy({ rules: { 'mysql-algorithm': ['error', { algorithm: 'copy' }] } })).toThrow("rules.mysql-algorithm.algorithm must be 'instant' or 'inplace'");
  });
});
