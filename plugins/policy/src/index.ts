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
  ResolvedPolicy,
} from './options.js';
export { checkOperation, checkStatementCount, checkWholeMigration, formatFinding } from './rules.js';
export type { Finding, OperationSite } from './rules.js';
export { checkMigration } from './check.js';
export type { MigrationToCheck } from './check.js';
export type { LintReport } from './lint.js';

export default policy;
