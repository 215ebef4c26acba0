import { describe, expect, it } from 'vitest';
import { t } from '../../schema/column-builder.js';
import { isSafeCustomType, validateColumn } from './validate-args.js';

describe('isSafeCustomType', () => {
  it('accepts engine types, with parameters and quoted literals', () => {
    for (const type of [
      'citext',
      'double precision',
      'int unsigned AUTO_INCREMENT',
      'numeric(10,2)',
      'geometry(Point, 4326)',
      'text[]',
      'int[3]',
      "enum('G','PG','PG-13','NC-17')",
      "set('Trailers','Commentaries','Deleted Scenes')",
      "enum('it''s')",
      'timestamp on update CURRENT_TIMESTAMP',
    ]) {
      expect(isSafeCustomType(type), type).toBe(true);
      expect(t.custom(type).spec.type).toEqual({ type: 'custom', sql: type });
    }
  });

  it('refuses what could end the statement, start a comment or escape a literal', () => {
    for (const type of [
      "enum('a'); DROP TABLE x; --')",
      "enum('a\\\\'); DROP TABLE x; --')",
      "enum('a','b') -- comment",
      'int /* comment */',
      'x; DROP TABLE y',
      "'quoted'",
      "enum('unterminated)",
      'numeric(10,2',
      'numeric)10(',
      '',
      '9int',
    ]) {
      expect(isSafeCustomType(type), type).toBe(false);
      expect(() => t.custom(type), type).toThrow(/Invalid custom column type/);
    }
  });

  it('answers at once for a long hostile input', () => {
    const started = performance.now();
    expect(isSafeCustomType(`a${' a'.repeat(499)}!`)).toBe(false);
    expect(isSafeCustomType(`x(${'1 '.repeat(400)}!`)).toBe(false);
    // A guard against catastrophic backtracking (a regular expression took 55 s here), not a speed goal.
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('validateColumn: generated columns and arrays', () => {
  const fails = (column: object) => {
    try {
      validateColumn(column as never, 'lines');
    } catch (error) {
      return (error as Error).message;
    }
    return undefined;
  };
  it('refuses a generated column with a default, an identity or no expression, and an array of serials', () => {
    expect(fails({ name: 'b', type: { type: 'integer' }, nullable: true, generated: { sql: 'a + 1', stored: true }, default: { kind: 'value', value: 1 } })).toBe(
      'Generated column lines.b cannot have a default: the database computes its value',
    );
    expect(fails({ name: 'b', type: { type: 'integer' }, nullable: false, generated: { sql: 'a + 1', stored: true }, identity: 'always' })).toBe('Generated column lines.b cannot be an identity column');
    expect(fails({ name: 'b', type: { type: 'integer' }, nullable: true, generated: { sql: ' ', stored: true } })).toBe('Generated column lines.b needs a SQL expression');
    expect(fails({ name: 'b', type: { type: 'integer' }, nullable: true, generated: { sql: 'a', stored: 'yes' } })).toBe('Generated column lines.b must say whether it is stored');
    expect(fails({ name: 'b', type: { type: 'array', of: { type: 'serial' } }, nullable: true })).toBe('An array of lines.b must hold a column type other than a serial, an enum or an array');
    expect(fails({ name: 'b', type: { type: 'array', of: { type: 'text' }, dimensions: 0 }, nullable: true })).toBe('Array dimensions must be a positive integer for lines.b');
    expect(fails({ name: 'b', type: { type: 'array', of: { type: 'varchar', length: 0 } }, nullable: true })).toBe('varchar length must be a positive integer for lines.b');
    expect(fails({ name: 'b', type: { type: 'array', of: { type: 'text' }, dimensions: 2 }, nullable: true, generated: { sql: 'x', stored: false } })).toBeUndefined();
  });
});
