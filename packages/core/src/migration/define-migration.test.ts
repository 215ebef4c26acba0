import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { covetErrorOf } from '../../test/helpers.js';
import { createOperation } from '../operations/define-operation.js';
import { op } from '../operations/op.js';
import { t } from '../schema/column-builder.js';
import { canonicalJson } from './canonical-json.js';
import { computeChecksum, createMigration, defineMigration, isMigrationDefinition, resolveDependency } from './define-migration.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('canonicalJson', () => {
  it('sorts keys, drops undefined and functions, normalises line endings', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, undefined, 'x\r\ny\rz'], c: undefined, f: () => 1 } })).toBe(
      '{"a":{"d":[3,null,"x\\ny\\nz"]},"b":1}',
    );
    expect(canonicalJson({ z: 1n })).toBe('{"z":"1"}');
  });

  it('gives equal text for equal data in any key order', () => {
    expect(canonicalJson({ kind: 'addColumn', args: { table: 'users', column: { nullable: true, name: 'a', type: { type: 'text' } } } })).toBe(
      canonicalJson({ args: { column: { type: { type: 'text' }, name: 'a', nullable: true }, table: 'users' }, kind: 'addColumn' }),
    );
  });
});

describe('computeChecksum', () => {
  const operations = [op.addColumn('users', 'nickname', t.varchar(50)), op.createIndex('users', { name: 'users_nickname_idx', columns: ['nickname'] })];

  it('is `v1:` and the SHA-256 of the canonical content, with dependencies resolved', () => {
    const checksum = computeChecksum({ dependencies: ['0001_initial'], operations }, 'blog');
    expect(checksum).toMatch(/^v1:[0-9a-f]{64}$/);
    expect(checksum).toBe(`v1:${sha256(canonicalJson({ dependencies: ['blog:0001_initial'], operations }))}`);
  });

  it('does not depend on key order, line endings or how the operations were written', () => {
    const handWritten = {
      operations: [
        { args: { column: { type: { length: 50, type: 'varchar' }, nullable: true, name: 'nickname' }, table: 'users' }, kind: 'addColumn' },
        { kind: 'createIndex', args: { index: { unique: false, columns: ['nickname'], name: 'users_nickname_idx' }, table: 'users' } },
      ],
      dependencies: ['0001_initial'],
    };
    expect(computeChecksum(handWritten, 'default')).toBe(computeChecksum({ dependencies: ['0001_initial'], operations }, 'default'));
    expect(computeChecksum({ operations: [op.runSql('UPDATE a\r\nSET b = 1\r\n')] }, 'default')).toBe(
      computeChecksum({ operations: [op.runSql('UPDATE a\nSET b = 1\n')] }, 'default'),
    );
  });

  it('treats NAME and app:NAME dependencies of the same app as equal, and another app as different', () => {
    const short = computeChecksum({ dependencies: ['0001_initial'], operations }, 'blog');
    expect(computeChecksum({ dependencies: ['blog:0001_initial'], operations }, 'blog')).toBe(short);
    expect(computeChecksum({ dependencies: ['auth:0001_initial'], operations }, 'blog')).not.toBe(short);
    expect(resolveDependency('blog', '0001_initial')).toBe('blog:0001_initial');
    expect(resolveDependency('blog', 'auth:0001_initial')).toBe('auth:0001_initial');
  });

  it('changes when an argument of an operation changes', () => {
    const base = computeChecksum({ operations }, 'default');
    expect(computeChecksum({ operations: [op.addColumn('users', 'nickname', t.varchar(51)), operations[1]!] }, 'default')).not.toBe(base);
    expect(computeChecksum({ operations: [op.addColumn('users', 'nickname', t.varchar(50).notNull()), operations[1]!] }, 'default')).not.toBe(base);
    expect(computeChecksum({ operations: [operations[1]!, operations[0]!] }, 'default')).not.toBe(base);
    expect(computeChecksum({ operations, atomic: false }, 'default')).not.toBe(base);
    expect(computeChecksum({ operations, atomic: true }, 'default')).toBe(base);
    expect(computeChecksum({ operations, dependencies: [] }, 'default')).toBe(base);
  });

  it('counts custom code by its text, ignoring whitespace', () => {
    const a = computeChecksum({ operations: [], up: async (db) => { await db.execute('UPDATE a SET b = 1'); } }, 'default');
    // prettier-ignore
    const b = computeChecksum({ operations: [], up: async (db) => {
      await db.execute('UPDATE a SET b = 1');
    } }, 'default');
    expect(b).toBe(a);
    expect(computeChecksum({ operations: [], up: async (db) => { await db.execute('UPDATE a SET b = 2'); } }, 'default')).not.toBe(a);
  });
});

describe('meta', () => {
  const operations = [op.runSql('SELECT 1')];

  it('leaves the checksum of a migration without meta as it was before meta existed (scheme v1)', () => {
    // Computed by the core before `meta` existed: applied databases hold these (then without
    // the `v1:` of their scheme, which reading a tracking row adds: see checksum-scheme.ts).
    const before = { dependencies: ['0001_initial'], operations: [op.addColumn('users', 'nickname', t.varchar(50)), op.dropTable('legacy')], atomic: false };
    expect(computeChecksum(before, 'blog')).toBe('v1:162d524995e3b9e131e7080f4237e182a231f69f71b96669aafd31c6f390f6dd');
    expect(computeChecksum({ operations }, 'default')).toBe('v1:b4fbb11b3d244d2b6c50d926d40e9b5fed649124bf3b941247eae7cbb274d97d');
    expect(computeChecksum({ operations, meta: {} }, 'default')).toBe(computeChecksum({ operations }, 'default'));
    expect(computeChecksum({ operations, meta: { a: undefined } as never }, 'default')).toBe(computeChecksum({ operations }, 'default'));
  });

  it('is part of the checksum: adding, changing or removing a member is an edit, key order is not', () => {
    const base = computeChecksum({ operations, meta: { reviewedBy: 'ana', allow: ['dropTable'] } }, 'default');
    expect(computeChecksum({ operations, meta: { allow: ['dropTable'], reviewedBy: 'ana' } }, 'default')).toBe(base);
    expect(computeChecksum({ operations, meta: { reviewedBy: 'bob', allow: ['dropTable'] } }, 'default')).not.toBe(base);
    expect(computeChecksum({ operations, meta: { reviewedBy: 'ana' } }, 'default')).not.toBe(base);
    expect(computeChecksum({ operations }, 'default')).not.toBe(base);
  });

  it('reaches the Migration deeply frozen, and an empty meta is none', () => {
    const meta = { reviewedBy: 'ana', ticket: { id: 42, tags: ['db'] } };
    const migration = createMigration('a', '0001', defineMigration({ operations, meta }));
    expect(migration.meta).toStrictEqual(meta);
    expect(migration.meta).not.toBe(meta);
    expect(Object.isFrozen(migration.meta!.ticket)).toBe(true);
    expect(Object.isFrozen((migration.meta!.ticket as { tags: string[] }).tags)).toBe(true);
    expect(migration.checksum).toBe(computeChecksum({ operations, meta }, 'a'));
    expect('meta' in createMigration('a', '0001', defineMigration({ operations, meta: {} }))).toBe(false);
  });

  it('refuses meta that is not JSON, naming the member and the file', () => {
    const bad = (meta: unknown) => covetErrorOf(() => createMigration('a', '0001', { operations, meta }, '/m/0001.ts'));
    expect(bad('ana').message).toBe('meta must be an object of JSON values, got a string (/m/0001.ts)');
    expect(bad(['x']).message).toBe('meta must be an object of JSON values, got an array (/m/0001.ts)');
    expect(bad({ at: new Date(0) }).message).toBe('meta.at is not JSON: a Date object (/m/0001.ts)');
    expect(bad({ review: { check: () => true } }).message).toBe('meta.review.check is not JSON: a function (/m/0001.ts)');
    expect(bad({ list: [1, Number.NaN] }).message).toBe('meta.list[1] is not JSON: NaN (/m/0001.ts)');
    expect(bad({ 'two words': 1n }).message).toBe('meta["two words"] is not JSON: a bigint (1n) (/m/0001.ts)');
    expect(bad({ at: new Date(0) }).code).toBe('MIGRATION_INVALID');
  });

  it('refuses an unknown member of defineMigration instead of dropping it', () => {
    const error = covetErrorOf(() => createMigration('a', '0001', defineMigration({ operations, reviewedBy: 'x' } as never), '/m/0001.ts'));
    expect(error.message).toBe('Unknown member "reviewedBy" in defineMigration (/m/0001.ts)');
    expect(error.hint).toContain('meta: { reviewedBy: ... }');
  });
});

describe('createMigration', () => {
  it('makes a frozen Migration with its id, resolved dependencies and checksum', () => {
    const definition = defineMigration({ dependencies: ['0001_initial', 'auth:0003_users'], operations: [op.dropTable('old')] });
    expect(isMigrationDefinition(definition)).toBe(true);
    const migration = createMigration('blog', '0002_drop_old', definition, '/m/0002_drop_old.ts');
    expect(Object.isFrozen(migration)).toBe(true);
    expect({ ...migration }).toStrictEqual({
      app: 'blog',
      name: '0002_drop_old',
      id: 'blog:0002_drop_old',
      file: '/m/0002_drop_old.ts',
      dependencies: ['blog:0001_initial', 'auth:0003_users'],
      operations: [createOperation('dropTable', { name: 'old' })],
      atomic: true,
      checksum: computeChecksum(definition, 'blog'),
    });
  });

  it('refuses a bad definition, naming the file or the migration', () => {
    expect(covetErrorOf(() => createMigration('a', '0001', { default: {} }, '/m/0001.ts')).message).toBe(
      'Migration has no default export made with defineMigration (/m/0001.ts)',
    );
    expect(covetErrorOf(() => createMigration('a', '0001', { operations: [{ kind: 'x' }] })).message).toBe(
      'Operation #1 is not an operation (a:0001)',
    );
    expect(covetErrorOf(() => createMigration('a', '0001', { operations: [], dependencies: [''] })).message).toBe(
      'dependencies must be a list of migration names (a:0001)',
    );
    expect(covetErrorOf(() => createMigration('a', '0001', { operations: [], up: 'SELECT 1' })).message).toBe('up must be a function (a:0001)');
  });
});
