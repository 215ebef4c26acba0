import { describe, expect, it } from 'vitest';
import { comparableExpression } from './comparable-expression.js';

describe('comparableExpression', () => {
  it('reads PostgreSQL, MariaDB and hand-written spellings of one expression alike', () => {
    const forms = ['price * quantity', '(price * (quantity)::numeric)', '`price` * `quantity`', '("price"*"quantity")', 'PRICE*Quantity'];
    expect(new Set(forms.map(comparableExpression))).toEqual(new Set(['price*quantity']));
    expect(comparableExpression("((first || ' '::text) || last)")).toBe(comparableExpression("first || ' ' || last"));
    expect(comparableExpression("concat(`first`,_utf8mb4' ',`last`)")).toBe("concat(first,' ',last)");
    expect(comparableExpression('(amount)::numeric(10,2) * 2')).toBe('amount*2');
    expect(comparableExpression('(ts)::timestamp without time zone')).toBe('ts');
  });

  it('keeps literals, function calls and different expressions apart', () => {
    expect(comparableExpression("lower('A B')")).toBe("lower('A B')");
    expect(comparableExpression("'it''s (x)'")).toBe("'it''s (x)'");
    expect(comparableExpression('a + b')).not.toBe(comparableExpression('a - b'));
    expect(comparableExpression('length(name)')).not.toBe(comparableExpression('length(title)'));
  });
});
