// @covet/plugin-policy: migration policy rules, checked at makemigrations, before migrate and
// rollback, and by `covet lint`. Built on the public API of @covet/core only.
import { policy } from './plugin.js';

export { policy, PLUGIN_NAME } from './plugin.js';
export { resolvePolicy, DEFAULT_LEVELS, RULE_NAMES } from './options.js';
export type {
  PolicyOptions,
  PolicyRules,
  RuleLevel,
  RuleName,
  RuleSetting,
  NamingOptions,
  MaxStatementsOptions,
  MaxTablesOptions,
  DestructiveOptions,
  LockTimeoutOptions,
  MysqlAlgorithmOptions,
  ResolvedPolicy,
} from './options.js';
export { checkOperation, checkStatementCount, checkWholeMigration, formatFinding, notNullCheckIn, sqlTextOf, DEFAULT_MYSQL_VERSION } from './rules.js';
export { MYSQL_ALGORITHMS, lockTimeoutMs, parseServerVersion, postgresRewriteReason, postgresAddRewrites } from './engine-facts.js';
export type { Algorithm, EngineFacts, ServerVersion } from './engine-facts.js';
export type { Finding, OperationSite } from './rules.js';
export { checkMigration } from './check.js';
export type { MigrationToCheck, CheckContext } from './check.js';
export type { LintReport } from './lint.js';

export default policy;
