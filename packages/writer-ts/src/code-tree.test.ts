import { describe, expect, it } from 'vitest';
import { array, call, formatValue, literal, object, printCode, propertyKey, quoteString, templateText } from './code-tree.js';

// Evaluates a JavaScript expression the way a migration file would (no TypeScript syntax used).
const evaluate = (expression: string): unknown => new Function(`return (${expression});`)();

describe('quoteString', () => {
  const samples = [
    '',
    'plain',
    "it's",
    'say "hi"',
    `both ' and "`,
    'back\\slash',
    'line\nbreak\r\nand\rcarriage',
    'tab\tand \0 nul and \u0007 bell',
    '${not a template} and `backticks`',
    'separators \u2028 \u2029 and bom \uFEFF',
    'lone \uD800 high and \uDC00 low and pair \uD83D\uDE00',
    'non-ASCII: café, 東京',
  ];

  it.each(samples)('evaluates back to the same text: %j', (sample) => {
    const quoted = quoteString(sample);
    expect(quoted).not.toMatch(/[\n\r\u2028\u2029]/);
    expect(evaluate(quoted)).toBe(sample);
  });

  it('prefers single quotes, and double quotes for text full of single quotes', () => {
    expect(quoteString('users')).toBe("'users'");
    expect(quoteString("name = 'anon'")).toBe(`"name = 'anon'"`);
    expect(quoteString('it\'s "x"')).toBe(`'it\\'s "x"'`);
  });

  it('keeps readable non-ASCII text as is', () => {
    expect(quoteString('café')).toBe("'café'");
  });
});

describe('templateText', () => {
  it.each(['a\nb', 'x ${y} `z` \\ \r\n', '$ {} $', 'end with $', 'lone \uD800'])('cooks back to the same text: %j', (sample) => {
    expect(evaluate(`\`${templateText(sample, true)}\``)).toBe(sample);
    const oneLine = templateText(sample, false);
    expect(oneLine).not.toContain('\n');
    expect(evaluate(`\`${oneLine}\``)).toBe(sample);
  });
});

describe('propertyKey', () => {
  it('writes identifiers bare, others quoted and __proto__ computed', () => {
    expect(propertyKey('email')).toBe('email');
    expect(propertyKey('$ref')).toBe('$ref');
    expect(propertyKey('a-b')).toBe("'a-b'");
    expect(propertyKey('')).toBe("''");
    expect(propertyKey('__proto__')).toBe("['__proto__']");
    const value = evaluate(`{ ${propertyKey('__proto__')}: 1 }`) as object;
    expect(Object.keys(value)).toEqual(['__proto__']);
  });
});

describe('printCode', () => {
  it('keeps short code on one line', () => {
    expect(printCode(call('op.dropTable', literal('users')))).toBe("op.dropTable('users')");
  });

  it('breaks expanded objects one member per line and hugs them in calls', () => {
    const code = call('op.createTable', literal('users'), object([['id', call('t.serial')]], true));
    expect(printCode(code)).toBe("op.createTable('users', {\n  id: t.serial(),\n})");
  });

  it('breaks long arrays one item per line with trailing commas', () => {
    const items = Array.from({ length: 12 }, (_, index) => literal(`column_${index}`));
    const printed = printCode(array(items));
    expect(printed.split('\n')).toHaveLength(14);
    expect(printed).toContain("  'column_11',\n]");
  });

  it('writes numbers exactly, including -0, and bigint', () => {
    expect(formatValue([-0, 0, 1.5, -2, 1e21, 10n])).toBe('[-0, 0, 1.5, -2, 1e+21, 10n]');
  });
});

describe('formatValue', () => {
  it('writes plain data that evaluates back to equal data', () => {
    const value = { name: 'v', 'odd-key': [1, null, true, { nested: "it's" }], __proto__x: 'a', '': '' };
    expect(evaluate(formatValue(value))).toEqual(value);
  });

  it('refuses what is not plain data', () => {
    expect(() => formatValue({ when: new Date(0) })).toThrow(/Cannot write a Date as a literal/);
    expect(() => formatValue({ run: () => 1 })).toThrow(/Cannot write a function/);
  });
});
