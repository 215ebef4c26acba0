// @covet/dialect-postgres: the PostgreSQL dialect of Covet, on pg.
import type { CovetPlugin } from '@covet/core';
import { createPostgresDialect } from './postgres-dialect.js';

export { createPostgresDialect, PostgresDialect } from './postgres-dialect.js';
export { PostgresConnection, DEFAULT_LOCK_TIMEOUT, lockTimeoutSetting, poolConfig, schemaOf, driverErrorLine, withStatementIndex, TABLE_EXISTS_SQL, TABLE_COLUMNS_SQL } from './postgres-connection.js';
export type { PostgresConnectionStatistics } from './postgres-connection.js';
export { PostgresIntrospector, INTROSPECTION_SQL } from './postgres-introspector.js';
export type { PostgresBatchQuery } from './postgres-introspector.js';
export { PostgresCompiler } from './postgres-compiler.js';
export { acquireMigrationLock, releaseMigrationLock, migrationLockKey, LOCK_POLL_MS } from './postgres-lock.js';
export { normalizePostgresColumn, parseType, renderType, parseDefault, renderDefault } from './postgres-types.js';

/** The plugin's name, used for its hook taps. */
export const PLUGIN_NAME = '@covet/dialect-postgres';

/**
 * The plugin that registers the PostgreSQL dialect. The CLI adds it for `engine: 'postgres'`;
 * list it in `plugins` only to use the dialect programmatically.
 *
 * @example
 * import postgres from '@covet/dialect-postgres';
 * const covet = createCovet({ plugins: [postgres] });
 * covet.dialects.get('postgres');
 */
const postgresPlugin: CovetPlugin = {
  name: PLUGIN_NAME,
  apply(covet) {
    covet.hooks.registerDialects.tap(PLUGIN_NAME, (registry) => {
      registry.register(createPostgresDialect());
    });
  },
};

export default postgresPlugin;
