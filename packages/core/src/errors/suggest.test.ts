import { describe, expect, it } from 'vitest';
import { covetErrorOf } from '../../test/helpers.js';
import { op } from '../operations/op.js';
import { t } from '../schema/column-builder.js';
import { suggestName } from './suggest.js';

describe('typos in the DSL are named, with the closest name', () => {
  it('suggests within a third of the length', () => {
    expect(suggestName('txet', ['integer', 'text'])).toBe('text');
    expect(suggestName('notNul', ['notNull', 'nullable'])).toBe('notNull');
    expect(suggestName('VARCHAR', ['varchar'])).toBe('varchar');
    expect(suggestName('indexs', ['indexes', 'uniques'])).toBe('indexes');
    expect(suggestName('zzzz', ['text', 'json'])).toBeUndefined();
  });

  it('t, column options and op', () => {
    const type = covetErrorOf(() => (t as unknown as Record<string, () => unknown>).txet!());
    expect(type.code).toBe('COLUMN_TYPE_UNKNOWN');
    expect(type.message).toBe('Unknown column type "txet" (t.txet): did you mean "text"?');
    expect(type.hint).toContain("t.custom('sql type')");
    const option = covetErrorOf(() => (t.text() as unknown as Record<string, () => unknown>).notNul!());
    expect(option.message).toBe('Unknown column option "notNul" (.notNul()): did you mean "notNull"?');
    const operation = covetErrorOf(() => (op as unknown as Record<string, () => unknown>).addColum!());
    expect(operation.message).toBe('Unknown operation "addColum" (op.addColum): did you mean "addColumn"?');
    const reference = covetErrorOf(() => t.integer().references('users', 'id', { onDelte: 'cascade' } as never));
    expect(reference.message).toBe('Unknown option "onDelte" in references(users.id): did you mean "onDelete"?');
  });

  it('what programs probe still reads as usual', async () => {
    expect((t as unknown as Record<string, unknown>).then).toBeUndefined();
    expect(await Promise.resolve(t)).toBe(t);
    expect(JSON.stringify({ type: t.text().spec.type })).toBe('{"type":{"type":"text"}}');
    expect(Object.keys(op)).toContain('runSql');
    expect(t.varchar(5).notNull().spec).toStrictEqual({ type: { type: 'varchar', length: 5 }, nullable: false, primaryKey: false, unique: false });
  });
});
