// @covet/dialect-pglite: Covet on PGlite, PostgreSQL in WebAssembly with no server.
import type { CovetPlugin } from '@covet/core';
import { createPGliteDialect } from './pglite-dialect.js';

export { createPGliteDialect, PGliteDialect, pgliteDirectory } from './pglite-dialect.js';
export { PGliteConnection, MEMORY } from './pglite-connection.js';
export { lockDataDirectory, directoryLockPath, DEFAULT_OPEN_TIMEOUT_MS } from './directory-lock.js';

/** The plugin's name, used for its hook taps. */
export const PLUGIN_NAME = '@covet/dialect-pglite';

/**
 * The plugin that registers the PGlite dialect. The CLI adds it for `engine: 'pglite'`; list it
 * in `plugins` only to use the dialect programmatically.
 *
 * @example
 * import pglite from '@covet/dialect-pglite';
 * const covet = createCovet({ plugins: [pglite] });
 * covet.dialects.get('pglite');
 */
const pglitePlugin: CovetPlugin = {
  name: PLUGIN_NAME,
  apply(covet) {
    covet.hooks.registerDialects.tap(PLUGIN_NAME, (registry) => {
      registry.register(createPGliteDialect());
    });
  },
};

export default pglitePlugin;
