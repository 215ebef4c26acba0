/**
 * A record keyed by database names, with no prototype: `__proto__`, `constructor`, `toString`
 * and `hasOwnProperty` are ordinary keys in it, as they are ordinary names in every engine.
 * (In a `{}` literal, `record['__proto__'] = table` replaces the prototype instead of adding a
 * key, and `record['constructor']` is `Object` before anything is set.) Every record of names
 * Covet builds — a state's `tables`, an introspector's result — is one of these; read one that
 * may come from elsewhere with `Object.hasOwn`, or through `getTable`.
 *
 * @example
 * const tables = createNameRecord<TableState>();
 * tables['__proto__'] = table;             // an own key, like any other name
 */
export function createNameRecord<Value>(entries?: Iterable<readonly [string, Value]>): Record<string, Value> {
  const record = Object.create(null) as Record<string, Value>;
  if (entries) for (const [name, value] of entries) record[name] = value;
  return record;
}
