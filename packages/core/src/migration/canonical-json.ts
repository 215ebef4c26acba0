/**
 * Serialises a value to JSON with sorted object keys, `undefined` members dropped and line
 * endings normalised to `\n`: equal data always gives the same text, whatever the key order
 * or the line endings of the file it came from.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonicalize(value));
}

function canonicalize(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/\r\n?/g, '\n');
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : canonicalize(item)));
  if (typeof value === 'object' && value !== null) {
    // No prototype: a key named `__proto__` (a table name) is data, not the prototype.
    const result = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(value).sort()) {
      const member = (value as Record<string, unknown>)[key];
      if (member !== undefined && typeof member !== 'function') result[key] = canonicalize(member);
    }
    return result;
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}
