import { CovetError } from '../errors/covet-error.js';

/**
 * A tiny expression tree for the code a migration file holds. An operation definition's
 * `write` may return one (the built-in kinds all do): `@covet/writer-ts` prints it
 * (`printCode`) and evaluates it (`evaluateCode`), so the writer can check, before anything is
 * written, that the printed code rebuilds exactly the operation it came from. Build trees with
 * the functions of `codeTree` (`codeTree.call('views.createView', codeTree.literal('v'))`).
 */
export type Code =
  | { readonly kind: 'literal'; readonly value: Literal; readonly multiline?: boolean }
  | { readonly kind: 'array'; readonly items: readonly Code[]; readonly expand?: boolean }
  | { readonly kind: 'object'; readonly entries: readonly (readonly [string, Code])[]; readonly expand?: boolean }
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'member'; readonly object: Code; readonly property: string }
  | { readonly kind: 'call'; readonly callee: Code; readonly args: readonly Code[] }
  | { readonly kind: 'sql'; readonly text: string }
  | { readonly kind: 'raw'; readonly code: string }
  | { readonly kind: 'commented'; readonly comment: string; readonly code: Code };

/** A primitive a literal can hold. */
export type Literal = string | number | boolean | null | undefined | bigint;

/** A literal; `multiline` strings containing a newline print as a template literal. */
export function literal(value: Literal, options: { multiline?: boolean } = {}): Code {
  return options.multiline ? { kind: 'literal', value, multiline: true } : { kind: 'literal', value };
}

/** An array literal; `expand` always puts one item per line. */
export function array(items: readonly Code[], expand = false): Code {
  return { kind: 'array', items, expand };
}

/** An object literal; `expand` always puts one member per line. */
export function object(entries: readonly (readonly [string, Code] | undefined)[], expand = false): Code {
  return { kind: 'object', entries: entries.filter((entry): entry is readonly [string, Code] => entry !== undefined), expand };
}

/** A call of a dotted path: `call('t.varchar', literal(255))`. */
export function call(path: string, ...args: Code[]): Code {
  const [first, ...rest] = path.split('.');
  let callee: Code = { kind: 'name', name: first! };
  for (const property of rest) callee = { kind: 'member', object: callee, property };
  return { kind: 'call', callee, args };
}

/** A method call on another expression: `method(call('t.text'), 'notNull')`. */
export function method(target: Code, name: string, ...args: Code[]): Code {
  return { kind: 'call', callee: { kind: 'member', object: target, property: name }, args };
}

/** A SQL expression written with the `sql` tag. */
export function sqlTag(text: string): Code {
  return { kind: 'sql', text };
}

/** Code given as text (a plugin's `write`); printed as is and never evaluated. */
export function raw(code: string): Code {
  return { kind: 'raw', code };
}

/** `code` preceded by a line comment (only inside arrays printed one item per line). */
export function commented(comment: string, code: Code): Code {
  return { kind: 'commented', comment, code };
}

/**
 * The code of a data value (what `op.custom` receives): primitives, arrays and plain objects.
 * Anything else cannot be written as a literal and is a one-line error naming `where`.
 */
export function valueCode(value: unknown, where: string): Code {
  if (value === null || value === undefined || ['string', 'number', 'boolean', 'bigint'].includes(typeof value)) {
    return literal(value as Literal);
  }
  if (Array.isArray(value)) return array(Array.from(value, (item) => valueCode(item, where)));
  if (typeof value === 'object' && isPlainObject(value)) {
    return object(
      Object.keys(value)
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .map((key) => [key, valueCode((value as Record<string, unknown>)[key], where)] as const),
    );
  }
  throw new CovetError('OPERATION_UNWRITABLE', `Cannot write a ${describeType(value)} as a literal (${where})`, {
    hint: 'Operation arguments must be plain data: strings, numbers, booleans, null, arrays and plain objects.',
  });
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return (prototype === Object.prototype || prototype === null) && Object.getOwnPropertySymbols(value).length === 0;
}

function describeType(value: unknown): string {
  if (typeof value !== 'object' || value === null) return typeof value;
  return (value as object).constructor?.name ?? 'object';
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/**
 * Evaluates a tree with the given free names (`op`, `t`, `sql`), as the migration file would.
 * Throws for `raw` code, which only the file itself can run.
 */
export function evaluateCode(code: Code, scope: Readonly<Record<string, unknown>>): unknown {
  switch (code.kind) {
    case 'literal':
      return code.value;
    case 'array':
      return code.items.map((item) => evaluateCode(item, scope));
    case 'object': {
      const result: Record<string, unknown> = {};
      for (const [key, value] of code.entries) {
        // defineProperty, like a computed key in the printed literal, so `__proto__` stays data.
        Object.defineProperty(result, key, { value: evaluateCode(value, scope), enumerable: true, writable: true, configurable: true });
      }
      return result;
    }
    case 'name':
      if (!Object.prototype.hasOwnProperty.call(scope, code.name)) throw new Error(`${code.name} is not defined`);
      return scope[code.name];
    case 'member':
      return (evaluateCode(code.object, scope) as Record<string, unknown>)[code.property];
    case 'call': {
      const args = code.args.map((arg) => evaluateCode(arg, scope));
      if (code.callee.kind === 'member') {
        const target = evaluateCode(code.callee.object, scope) as Record<string, (...values: unknown[]) => unknown>;
        return target[code.callee.property]!(...args);
      }
      return (evaluateCode(code.callee, scope) as (...values: unknown[]) => unknown)(...args);
    }
    case 'sql':
      return (scope.sql as (text: string) => unknown)(code.text);
    case 'raw':
      throw new Error('raw code cannot be evaluated');
    case 'commented':
      return evaluateCode(code.code, scope);
  }
}

/**
 * Structural equality of two data values: primitives by `Object.is` (so `-0` is not `0`),
 * arrays item by item, objects member by member where a missing member equals `undefined`.
 */
export function sameData(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((item, index) => sameData(item, other[index]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  for (const key of keys) {
    if (!sameData(left[key], right[key])) return false;
  }
  return true;
}
