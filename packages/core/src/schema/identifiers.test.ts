import { describe, expect, it } from 'vitest';
import { covetErrorOf } from '../../test/helpers.js';
import { constraintName, identifierLength, identifierProblem, validateIdentifier, validateIdentifiersIn } from './identifiers.js';

const POSTGRES = { maxLength: 63, unit: 'bytes', engine: 'postgres' } as const;
const MYSQL = { maxLength: 64, unit: 'characters', engine: 'mysql' } as const;

describe('identifiers', () => {
  it('accepts every name an engine holds when quoted', () => {
    for (const name of ['order items', 'café', 'a"b', 'a`b', "it's", '[x]', 'select', '__proto__', 'constructor', '表', '👍', ' lead', '1st', 'a.b']) {
      expect(identifierProblem(name), name).toBeUndefined();
    }
  });

  it('refuses what no engine holds, naming the character, its position and the rule', () => {
    expect(identifierProblem('ab\u0000')).toBe('character U+0000 (NUL) at position 3 is not allowed: no engine accepts NUL in a name');
    expect(identifierProblem('\uDC00x')).toMatch(/^character U\+DC00 \(a lone surrogate\) at position 1 is not allowed: it has no UTF-8 form/);
    // Positions count code points: the emoji before the surrogate is one character.
    expect(identifierProblem('👍\uD800')).toMatch(/^character U\+D800 \(a lone surrogate\) at position 2/);
    expect(identifierProblem('')).toBe('a name cannot be empty');
    const error = covetErrorOf(() => validateIdentifier('a\u0000', 'users.column'));
    expect(error.code).toBe('IDENTIFIER_INVALID');
    expect(error.message).toBe('Invalid identifier "a\\u0000" for users.column: character U+0000 (NUL) at position 2 is not allowed: no engine accepts NUL in a name');
  });

  it("holds names to the dialect's limit in the dialect's unit", () => {
    expect(identifierLength('é'.repeat(10), 'bytes')).toBe(20);
    expect(identifierLength('👍é', 'characters')).toBe(2);
    expect(identifierProblem('x'.repeat(63), POSTGRES)).toBeUndefined();
    expect(identifierProblem('é'.repeat(31) + 'x', POSTGRES)).toBeUndefined();
    expect(identifierProblem('é'.repeat(32), POSTGRES)).toBe('it is 64 bytes in UTF-8, more than the postgres limit of 63 bytes');
    expect(identifierProblem('é'.repeat(64), MYSQL)).toBeUndefined();
    expect(identifierProblem('x'.repeat(65), MYSQL)).toBe('it is 65 characters, more than the mysql limit of 64 characters');
    expect(identifierProblem('x'.repeat(10_000), { maxLength: Number.POSITIVE_INFINITY })).toBeUndefined();
    const error = covetErrorOf(() => validateIdentifier('x'.repeat(64), 'table', POSTGRES));
    expect(error.code).toBe('IDENTIFIER_TOO_LONG');
    expect(error.message).toBe(`Invalid identifier "${'x'.repeat(64)}" for table: it is 64 bytes in UTF-8, more than the postgres limit of 63 bytes`);
    // A dialect's own rule comes last, after the shared ones.
    const check = (name: string) => (name.endsWith(' ') ? 'it ends with a space' : undefined);
    expect(identifierProblem('a ', { ...MYSQL, check })).toBe('it ends with a space');
  });

  it('generates names within 63 UTF-8 bytes, whole characters kept', () => {
    expect(constraintName('posts', ['author_id'], 'fkey')).toBe('posts_author_id_fkey');
    const long = constraintName('é'.repeat(40), ['x'], 'idx');
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^é+_[0-9a-f]{8}_idx$/);
    expect(constraintName('é'.repeat(40), ['x'], 'idx')).toBe(long);
    expect(constraintName('é'.repeat(40), ['y'], 'idx')).not.toBe(long);
  });

  it('checks every name in operation arguments', () => {
    const args = { table: 'posts', index: { name: 'ok', columns: ['a', 'x'.repeat(64)] } };
    const error = covetErrorOf(() => validateIdentifiersIn(args, POSTGRES, 'createIndex'));
    expect(error.message).toContain('for column of createIndex: it is 64 bytes');
    expect(() => validateIdentifiersIn(args, MYSQL, 'createIndex')).not.toThrow();
  });

  it("tells the dialect's check what each name names", () => {
    const seen: string[] = [];
    const rules = { check: (name: string, kind?: string) => void seen.push(`${name}:${kind}`) };
    const table = {
      name: 'posts',
      columns: [{ name: 'id' }, { name: 'author_id' }],
      primaryKey: { name: 'posts_pkey', columns: ['id'] },
      indexes: [{ name: 'posts_idx', columns: ['author_id'] }],
      foreignKeys: [{ name: 'posts_fkey', columns: ['author_id'], references: { table: 'authors', columns: ['id'] } }],
    };
    validateIdentifiersIn(table, rules, 'createTable');
    expect(seen).toEqual([
      'posts:table',
      'id:column',
      'author_id:column',
      'posts_pkey:constraint',
      'id:column',
      'posts_idx:index',
      'author_id:column',
      'posts_fkey:constraint',
      'author_id:column',
      'authors:table',
      'id:column',
    ]);
    const kinds = (args: object, operation: string) => {
      seen.length = 0;
      validateIdentifiersIn(args, rules, operation);
      return [...seen];
    };
    expect(kinds({ from: 'a', to: 'b' }, 'renameTable')).toEqual(['a:table', 'b:table']);
    expect(kinds({ table: 't', from: 'a', to: 'b' }, 'renameColumn')).toEqual(['t:table', 'a:column', 'b:column']);
    expect(kinds({ table: 't', column: { name: 'c' } }, 'addColumn')).toEqual(['t:table', 'c:column']);
    expect(kinds({ table: 't', column: 'c' }, 'dropColumn')).toEqual(['t:table', 'c:column']);
    expect(kinds({ table: 't', index: { name: 'i', columns: ['c'] } }, 'createIndex')).toEqual(['t:table', 'i:index', 'c:column']);
    expect(kinds({ table: 't', name: 'i' }, 'dropIndex')).toEqual(['t:table', 'i:index']);
    expect(kinds({ table: 't', name: 'f' }, 'dropForeignKey')).toEqual(['t:table', 'f:constraint']);
    expect(kinds({ name: 'v' }, 'objects.createView')).toEqual(['v:table']);
    expect(kinds({ name: 'x' }, 'objects.createTrigger')).toEqual(['x:other']);
  });
});
