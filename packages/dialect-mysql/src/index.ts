// @covet/dialect-mysql: the MySQL and MariaDB dialect of Covet, on mysql2.
import type { CovetPlugin } from '@covet/core';
import { createMysqlDialect } from './mysql-dialect.js';

export { createMysqlDialect, MysqlDialect } from './mysql-dialect.js';
export { MysqlConnection, MysqlQueryError, poolOptions, lockWaitTimeoutSetting, statementTable, DEFAULT_LOCK_WAIT_TIMEOUT } from './mysql-connection.js';
export { MysqlIntrospector } from './mysql-introspector.js';
export type { MysqlQuery } from './mysql-introspector.js';
export { MysqlCompiler, INDEX_PREFIX_LENGTH } from './mysql-compiler.js';
export { migrationLockName } from './mysql-lock.js';
export { splitStatements } from './mysql-statements.js';

/** The plugin's name, used for its hook taps. */
export const PLUGIN_NAME = '@covet/dialect-mysql';

/**
 * The plugin that registers the MySQL dialect (engine `mysql`, also for MariaDB). The CLI adds
 * it for `engine: 'mysql'`; list it in `plugins` only to use the dialect programmatically.
 *
 * @example
 * import mysql from '@covet/dialect-mysql';
 * const covet = createCovet({ plugins: [mysql] });
 * covet.dialects.get('mysql');
 */
const mysqlPlugin: CovetPlugin = {
  name: PLUGIN_NAME,
  apply(covet) {
    covet.hooks.registerDialects.tap(PLUGIN_NAME, (registry) => {
      registry.register(createMysqlDialect());
    });
  },
};

export default mysqlPlugin;
