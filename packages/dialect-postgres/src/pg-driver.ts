// The `pg` driver, loaded the first time a connection is opened: importing the dialect (to
// compile SQL for `sqlmigrate`, or only to register it) does not load it.
import type pg from 'pg';

let driver: typeof pg | undefined;

/**
 * `pg`, loaded once. On Node 20, whose global scope has no `navigator`, pg's lib/stream.js
 * tells a Cloudflare Worker from Node at load by constructing a `Response`, and the first use
 * of that global loads Node's whole fetch implementation (undici: some 65 internal modules,
 * about a third of what loading pg costs, for an answer that is always no here). A `navigator`
 * that names Node answers the same question at once; it is defined only while pg loads and
 * only where none exists (Node 21+ has its own).
 */
export function loadPg(): typeof pg {
  if (driver) return driver;
  const defined = 'navigator' in globalThis;
  if (!defined) Object.defineProperty(globalThis, 'navigator', { value: { userAgent: `Node.js/${process.versions.node}` }, configurable: true, writable: true });
  try {
    // (The ES module build defines `require` in a banner: see tsup.config.ts.)
    const loaded = require('pg') as typeof pg & { default?: typeof pg };
    driver = loaded.default ?? loaded;
  } finally {
    if (!defined) delete (globalThis as { navigator?: unknown }).navigator;
  }
  return driver;
}
