import { codeTree, type Code, type CodeLiteral as Literal } from '@covet/core';

// The tree's constructors, its evaluation and comparison live in @covet/core (`codeTree`), where
// the operation definitions' writers build trees; printing it is the writer's.
export type { Code, Literal };
export const { literal, array, object, call, method, sqlTag, raw, commented, valueCode, evaluateCode, sameData } = codeTree;

/** The longest line the printer aims for. */
export const LINE_WIDTH = 100;

const INDENT = '  ';

/** The free names a tree uses. */
export function namesUsed(code: Code, found: Set<string> = new Set()): Set<string> {
  switch (code.kind) {
    case 'name':
      found.add(code.name);
      break;
    case 'sql':
      found.add('sql');
      break;
    case 'array':
      for (const item of code.items) namesUsed(item, found);
      break;
    case 'object':
      for (const [, value] of code.entries) namesUsed(value, found);
      break;
    case 'member':
      namesUsed(code.object, found);
      break;
    case 'call':
      namesUsed(code.callee, found);
      for (const arg of code.args) namesUsed(arg, found);
      break;
    case 'commented':
      namesUsed(code.code, found);
      break;
    default:
      break;
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Printing

/**
 * Prints a tree as formatted TypeScript: 2-space indent, single quotes, trailing commas,
 * everything on one line when it fits in {@link LINE_WIDTH} columns and nothing inside must
 * break, otherwise objects and arrays one member per line.
 *
 * @param indent the indentation of the line the code starts on
 * @param column the column the code starts at
 * @param trailing how many characters follow the code on its last line (`,`, `);`)
 */
export function printCode(code: Code, indent = '', column = indent.length, trailing = 0): string {
  switch (code.kind) {
    case 'literal':
    case 'name':
    case 'sql':
    case 'member':
      return flat(code);
    case 'raw':
      return code.code.replace(/\n(?!\n|$)/g, `\n${indent}`);
    case 'commented':
      return `// ${code.comment}\n${indent}${printCode(code.code, indent, indent.length, trailing)}`;
    case 'array': {
      if (code.items.length === 0) return '[]';
      const single = flat(code);
      if (!mustBreak(code) && fits(single, column, trailing)) return single;
      const inner = indent + INDENT;
      const lines = code.items.map((item) => `${inner}${printCode(item, inner, inner.length, 1)},`);
      return `[\n${lines.join('\n')}\n${indent}]`;
    }
    case 'object': {
      if (code.entries.length === 0) return '{}';
      const single = flat(code);
      if (!mustBreak(code) && fits(single, column, trailing)) return single;
      const inner = indent + INDENT;
      const lines = code.entries.map(([key, value]) => {
        const prefix = `${inner}${propertyKey(key)}: `;
        return `${prefix}${printCode(value, inner, prefix.length, 1)},`;
      });
      return `{\n${lines.join('\n')}\n${indent}}`;
    }
    case 'call': {
      const single = flat(code);
      const multiline = code.args.length > 1 && code.args.some((arg) => flat(arg).includes('\n'));
      if (code.args.length === 0 || (!multiline && !mustBreak(code) && fits(single, column, trailing))) return single;
      const callee = `${flat(code.callee)}(`;
      // Several arguments with a multi-line template: one per line, so each starts visibly.
      const huggable = (arg: Code) => arg.kind === 'object' || arg.kind === 'array';
      const lastHuggable = huggable(code.args[code.args.length - 1]!);
      // Hug only the last argument (and always-expanded ones, like createTable's columns);
      // otherwise one argument per line, as Prettier does.
      const hug = lastHuggable && code.args.slice(0, -1).every((arg) => !huggable(arg) || (arg as { expand?: boolean }).expand === true);
      if (!multiline && hug) {
        // Hug: `op.createTable('users', {` ... `}, {` ... `})`, as people write builder calls.
        let text = callee;
        let at = column + callee.length;
        code.args.forEach((arg, index) => {
          const last = index === code.args.length - 1;
          const printed = printCode(arg, indent, at, last ? trailing + 1 : 2);
          text += printed + (last ? '' : ', ');
          const newline = printed.lastIndexOf('\n');
          at = (newline === -1 ? at + printed.length : printed.length - newline - 1) + (last ? 0 : 2);
        });
        return `${text})`;
      }
      const inner = indent + INDENT;
      const lines = code.args.map((arg) => `${inner}${printCode(arg, inner, inner.length, 1)},`);
      return `${callee}\n${lines.join('\n')}\n${indent})`;
    }
  }
}

function fits(text: string, column: number, trailing: number): boolean {
  const newline = text.indexOf('\n');
  // A multi-line template literal cannot be reflowed: only its first line counts.
  return newline === -1 ? column + text.length + trailing <= LINE_WIDTH : column + newline <= LINE_WIDTH;
}

function mustBreak(code: Code): boolean {
  switch (code.kind) {
    case 'array':
      return code.expand === true || code.items.some(mustBreak);
    case 'object':
      return code.expand === true || code.entries.some(([, value]) => mustBreak(value));
    case 'call':
      return mustBreak(code.callee) || code.args.some(mustBreak);
    case 'member':
      return mustBreak(code.object);
    case 'commented':
      return true;
    case 'raw':
      return code.code.includes('\n');
    default:
      return false;
  }
}

function flat(code: Code): string {
  switch (code.kind) {
    case 'literal':
      return literalText(code.value, code.multiline === true);
    case 'array':
      return `[${code.items.map(flat).join(', ')}]`;
    case 'object':
      return code.entries.length === 0
        ? '{}'
        : `{ ${code.entries.map(([key, value]) => `${propertyKey(key)}: ${flat(value)}`).join(', ')} }`;
    case 'name':
      return code.name;
    case 'member':
      return `${flat(code.object)}.${code.property}`;
    case 'call':
      return `${flat(code.callee)}(${code.args.map(flat).join(', ')})`;
    case 'sql':
      return `sql\`${templateText(code.text, false)}\``;
    case 'raw':
      return code.code;
    case 'commented':
      return `/* ${code.comment} */ ${flat(code.code)}`;
  }
}

const IDENTIFIER_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** An object key as written: bare when it can be, quoted otherwise, computed for `__proto__`. */
export function propertyKey(key: string): string {
  // `__proto__: x` (bare or quoted) would set the prototype; a computed key makes a property.
  if (key === '__proto__') return `['__proto__']`;
  return IDENTIFIER_NAME.test(key) ? key : quoteString(key);
}

function literalText(value: Literal, multiline: boolean): string {
  if (typeof value === 'string') {
    return multiline && value.includes('\n') ? `\`${templateText(value, true)}\`` : quoteString(value);
  }
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'bigint') return `${value}n`;
  return String(value);
}

const LONE_SURROGATE = '[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]';
const SINGLE_QUOTED_SPECIALS = new RegExp(`[\\\\'\\u0000-\\u001F\\u007F-\\u009F\\u2028\\u2029\\uFEFF]|${LONE_SURROGATE}`, 'g');
const DOUBLE_QUOTED_SPECIALS = new RegExp(`[\\\\"\\u0000-\\u001F\\u007F-\\u009F\\u2028\\u2029\\uFEFF]|${LONE_SURROGATE}`, 'g');
const TEMPLATE_SPECIALS = new RegExp(
  `[\\\\\`\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\u2028\\u2029\\uFEFF]|\\$\\{|${LONE_SURROGATE}`,
  'g',
);
const TEMPLATE_SPECIALS_ONE_LINE = new RegExp(
  `[\\\\\`\\u0000-\\u0008\\u000A-\\u001F\\u007F-\\u009F\\u2028\\u2029\\uFEFF]|\\$\\{|${LONE_SURROGATE}`,
  'g',
);
const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', "'": "\\'", '"': '\\"', '`': '\\`', '${': '\\${', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeCharacter(match: string): string {
  return SHORT_ESCAPES[match] ?? `\\u${match.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * A string as a TypeScript literal that evaluates to exactly `value`, whatever it holds:
 * quotes, backslashes, line breaks, control characters, lone surrogates. Single-quoted, unless
 * the text holds more single quotes than double ones (SQL often does): then double-quoted,
 * so `'anon'` inside stays readable.
 *
 * @example
 * quoteString('users') // "'users'"
 * quoteString("nickname = 'anon'") // `"nickname = 'anon'"`
 */
export function quoteString(value: string): string {
  const singles = value.split("'").length - 1;
  const doubles = value.split('"').length - 1;
  return singles > doubles
    ? `"${value.replace(DOUBLE_QUOTED_SPECIALS, escapeCharacter)}"`
    : `'${value.replace(SINGLE_QUOTED_SPECIALS, escapeCharacter)}'`;
}

/**
 * The body of a template literal whose cooked value is exactly `value`: backticks, `${` and
 * backslashes escaped; carriage returns always escaped (a template turns a raw CR into LF).
 */
export function templateText(value: string, rawNewlines: boolean): string {
  return value.replace(rawNewlines ? TEMPLATE_SPECIALS : TEMPLATE_SPECIALS_ONE_LINE, escapeCharacter);
}

/**
 * Plain data (strings, numbers, booleans, null, arrays, plain objects) as formatted
 * TypeScript, for a plugin operation's `write` to embed its arguments.
 *
 * @example
 * formatValue({ name: 'active_users', columns: ['id'] }) // "{ name: 'active_users', columns: ['id'] }"
 */
export function formatValue(value: unknown): string {
  return printCode(valueCode(value, 'formatValue'));
}
