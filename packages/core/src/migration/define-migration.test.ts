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

  it('is the SHA-256 of the canonical content, with dependencies resolved', () => {
    const checksum = computeChecksum({ dependencies: ['0001_initial'], operations }, 'blog');
    expect(checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum).toBe(sha256(canonicalJson({ dependencies: ['blog:0001_initial'], operations })));
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
