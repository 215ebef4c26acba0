/** Edit distance (insertions, deletions, substitutions, adjacent swaps) between two short words. */
function distance(a: string, b: string): number {
  const rows = a.length + 1;
  const columns = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: columns }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < columns; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known name closest to `name` (case-insensitive), if it is close enough to be a typo: at
 * most a third of the name's length in edits (at least one), e.g. `txet` → `text`,
 * `notNul` → `notNull`, `indexs` → `indexes`.
 *
 * @example
 * suggestName('txet', ['integer', 'text']) // 'text'
 */
export function suggestName(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: { candidate: string; score: number } | undefined;
  for (const candidate of known) {
    const score = distance(lower, candidate.toLowerCase());
    if (best === undefined || score < best.score) best = { candidate, score };
  }
  return best !== undefined && best.score <= Math.max(1, Math.floor(name.length / 3)) ? best.candidate : undefined;
}

/** ` Did you mean "x"?` for a message, or an empty string when nothing is close. */
export function didYouMean(name: string, known: readonly string[]): string {
  const suggestion = suggestName(name, known);
  return suggestion === undefined ? '' : `: did you mean "${suggestion}"?`;
}

/**
 * Names a program may probe on any object (promises, JSON, test matchers, inspectors): never
 * reported as a typo.
 */
const PROBED = new Set(['then', 'toJSON', 'inspect', 'asymmetricMatch', 'nodeType', 'tagName', 'constructor']);

/**
 * `target` behind a proxy that turns a read of an unknown, identifier-like member (a misspelt
 * `t.txet`, `.notNul`, `op.addColum`) into the error `unknown` makes, instead of the engine's
 * "is not a function" with a name from the bundle. Known members, symbols and names programs
 * probe (`then`, `toJSON`) read as usual.
 */
export function withTypoCheck<Target extends object>(target: Target, unknown: (name: string) => Error): Target {
  return new Proxy(target, {
    get(object, key, receiver) {
      if (typeof key === 'symbol' || key in object || PROBED.has(key) || !/^[a-z][A-Za-z0-9]*$/.test(key)) return Reflect.get(object, key, receiver);
      throw unknown(key);
    },
  });
}
