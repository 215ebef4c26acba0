// @covet/dialect-sqlite: the SQLite dialect of Covet, on better-sqlite3.
import type { CovetPlugin } from '@covet/core';
import { createSqliteDialect } from './sqlite-dialect.js';

export { createSqliteDialect, SqliteDialect, databaseFile } from './sqlite-dialect.js';
export { SqliteConnection } from './sqlite-connection.js';
export { SqliteIntrospector } from './sqlite-introspector.js';
export type { SqliteQuery } from './sqlite-introspector.js';
export { SqliteCompiler } from './sqlite-compiler.js';
export { loadSqlFile } from './load-sql-file.js';

/** The plugin's name, used for its hook taps. */
export const PLUGIN_NAME = '@covet/dialect-sqlite';

/**
 * The plugin that registers the SQLite dialect. The CLI adds it for `engine: 'sqlite'`; list it
 * in `plugins` only to use the dialect programmatically.
 *
 * @example
 * import sqlite from '@covet/dialect-sqlite';
 * const covet = createCovet({ plugins: [sqlite] });
 * covet.dialects.get('sqlite');
 */
const sqlitePlugin: CovetPlugin = {
  name: PLUGIN_NAME,
  apply(covet) {
    covet.hooks.registerDialects.tap(PLUGIN_NAME, (registry) => {
      registry.register(createSqliteDialect());
    });
  },
};

export default sqlitePlugin;
