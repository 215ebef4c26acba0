/** How a rule reports: `error` stops a run (and fails `covet lint`), `warn` reports, `off` skips it. */
export type RuleLevel = 'error' | 'warn' | 'off';

/** Patterns (regular expression sources) the names an operation creates must match. */
export interface NamingOptions {
  readonly table?: string;
  readonly column?: string;
  readonly index?: string;
  readonly foreignKey?: string;
}

/** Options of the `max-statements` rule. */
export interface MaxStatementsOptions {
  /** The most SQL statements one migration may run (default 50). */
  readonly max?: number;
}

/** Options of the `max-tables` rule. */
export interface MaxTablesOptions {
  /** The most tables one migration may touch (default 5). */
  readonly max?: number;
}

/** Options of the `destructive` rule. */
export interface DestructiveOptions {
  /** Check the reverses a rollback runs as well (dropping what the migration created). Default false. */
  readonly rollback?: boolean;
}

/** Options of the `lock-timeout` rule. */
export interface LockTimeoutOptions {
  /** The longest `lock_timeout` allowed, in milliseconds; unset: any but none (`0`). */
  readonly max?: number;
}

/** Options of the `mysql-algorithm` rule. */
export interface MysqlAlgorithmOptions {
  /**
   * The server the migrations are checked for when no database is connected (`covet lint`):
   * `'mariadb 10.11'`, `'mysql 8.0.35'`, or what `SELECT VERSION()` returns
   * (`'10.11.6-MariaDB'`). Default `'mysql 8.0'`. `migrate` and `rollback` read the server's own.
   */
  readonly version?: string;
  /** The slowest algorithm allowed: `'inplace'` (default; COPY is refused) or `'instant'`. */
  readonly algorithm?: 'instant' | 'inplace';
}

/** A rule's setting: its level, or `[level, options]`. */
export type RuleSetting<Options = never> = RuleLevel | readonly [RuleLevel, Options];

/** Every rule of the plugin, by name. */
export interface PolicyRules {
  readonly destructive?: RuleSetting<DestructiveOptions>;
  readonly 'data-dependent'?: RuleSetting;
  readonly 'backward-incompatible'?: RuleSetting;
  readonly 'index-concurrently'?: RuleSetting;
  readonly naming?: RuleSetting<NamingOptions>;
  readonly 'run-sql-reverse'?: RuleSetting;
  readonly 'max-statements'?: RuleSetting<MaxStatementsOptions>;
  readonly 'max-tables'?: RuleSetting<MaxTablesOptions>;
  readonly 'identifier-length'?: RuleSetting;
  readonly 'foreign-key-index'?: RuleSetting;
  readonly 'table-rewrite'?: RuleSetting;
  readonly 'not-null-check'?: RuleSetting;
  readonly 'lock-timeout'?: RuleSetting<LockTimeoutOptions>;
  readonly 'foreign-key-not-valid'?: RuleSetting;
  readonly 'mysql-algorithm'?: RuleSetting<MysqlAlgorithmOptions>;
}

export type RuleName = keyof PolicyRules;

/** Options of `@covet/plugin-policy`. */
export interface PolicyOptions {
  readonly rules?: PolicyRules;
}

/** The level each rule has when the options do not set it. */
export const DEFAULT_LEVELS: Readonly<Record<RuleName, RuleLevel>> = Object.freeze({
  destructive: 'error',
  'data-dependent': 'warn',
  'backward-incompatible': 'warn',
  'index-concurrently': 'warn',
  naming: 'off',
  'run-sql-reverse': 'warn',
  'max-statements': 'off',
  'max-tables': 'off',
  'identifier-length': 'error',
  'foreign-key-index': 'off',
  'table-rewrite': 'warn',
  'not-null-check': 'warn',
  'lock-timeout': 'warn',
  'foreign-key-not-valid': 'warn',
  'mysql-algorithm': 'warn',
});


export const RULE_NAMES = Object.keys(DEFAULT_LEVELS) as RuleName[];

const LEVELS: readonly string[] = ['error', 'warn', 'off'];
const NAMING_KEYS: readonly (keyof NamingOptions)[] = ['table', 'column', 'index', 'foreignKey'];

/** The options, checked: every rule with its level and options. */
export interface ResolvedPolicy {
  readonly levels: Readonly<Record<RuleName, RuleLevel>>;
  readonly naming: Readonly<Partial<Record<keyof NamingOptions, RegExp>>>;
  readonly maxStatements: number;
  readonly maxTables: number;
  readonly destructiveOnRollback: boolean;
  /** `lock-timeout`'s `max` in milliseconds; undefined: any but none. */
  readonly lockTimeoutMax: number | undefined;
  /** `mysql-algorithm`'s options, checked. */
  readonly mysqlAlgorithm: { readonly version: string | undefined; readonly algorithm: 'instant' | 'inplace' };
}

function describe(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks the plugin's options; throws a one-line error naming the member at fault. */
export function resolvePolicy(options: unknown): ResolvedPolicy {
  if (options === undefined) options = {};
  if (!isPlainObject(options)) throw new Error(`options must be an object like { rules: { destructive: 'error' } }, got ${describe(options)}`);
  for (const key of Object.keys(options)) {
    if (key !== 'rules') throw new Error(`unknown option "${key}" (the only option is rules)`);
  }
  const rules = options.rules ?? {};
  if (!isPlainObject(rules)) throw new Error(`rules must be an object of rule settings, got ${describe(rules)}`);
  const levels: Record<RuleName, RuleLevel> = { ...DEFAULT_LEVELS };
  const ruleOptions: Partial<Record<RuleName, Record<string, unknown>>> = {};
  for (const [name, setting] of Object.entries(rules)) {
    if (!(RULE_NAMES as string[]).includes(name)) {
      throw new Error(`unknown rule "${name}" in rules (the rules are ${RULE_NAMES.join(', ')})`);
    }
    const rule = name as RuleName;
    const [level, extra] = Array.isArray(setting) ? [setting[0], setting[1]] : [setting, undefined];
    if (Array.isArray(setting) && setting.length !== 2) {
      throw new Error(`rules.${rule} must be a level or [level, options], got ${describe(setting)}`);
    }
    if (typeof level !== 'string' || !LEVELS.includes(level)) {
      throw new Error(`rules.${rule} must be 'error', 'warn' or 'off' (or [level, options]), got ${describe(level)}`);
    }
    if (extra !== undefined && !isPlainObject(extra)) throw new Error(`rules.${rule} options must be an object, got ${describe(extra)}`);
    levels[rule] = level as RuleLevel;
    if (extra !== undefined) ruleOptions[rule] = extra;
  }
  const naming: Partial<Record<keyof NamingOptions, RegExp>> = {};
  for (const [key, value] of Object.entries(ruleOptions.naming ?? {})) {
    if (!(NAMING_KEYS as string[]).includes(key)) throw new Error(`unknown option "${key}" of rules.naming (the options are ${NAMING_KEYS.join(', ')})`);
    if (typeof value !== 'string') throw new Error(`rules.naming.${key} must be a regular expression source (a string), got ${describe(value)}`);
    try {
      naming[key as keyof NamingOptions] = new RegExp(value, 'u');
    } catch (error) {
      throw new Error(`rules.naming.${key} is not a valid regular expression: ${(error as Error).message}`);
    }
  }
  if (levels.naming !== 'off' && Object.keys(naming).length === 0) {
    throw new Error(`rules.naming needs patterns: ['${levels.naming}', { table: '^[a-z][a-z0-9_]*$' }] (any of ${NAMING_KEYS.join(', ')})`);
  }
  const maxStatements = maxOption(ruleOptions, 'max-statements', 50);
  const maxTables = maxOption(ruleOptions, 'max-tables', 5);
  let destructiveOnRollback = false;
  for (const [key, value] of Object.entries(ruleOptions.destructive ?? {})) {
    if (key !== 'rollback') throw new Error(`unknown option "${key}" of rules.destructive (the option is rollback)`);
    if (typeof value !== 'boolean') throw new Error(`rules.destructive.rollback must be true or false, got ${describe(value)}`);
    destructiveOnRollback = value;
  }
  let lockTimeoutMax: number | undefined;
  for (const [key, value] of Object.entries(ruleOptions['lock-timeout'] ?? {})) {
    if (key !== 'max') throw new Error(`unknown option "${key}" of rules.lock-timeout (the option is max)`);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new Error(`rules.lock-timeout.max must be a positive integer (milliseconds), got ${describe(value)}`);
    }
    lockTimeoutMax = value;
  }
  const mysqlAlgorithm = { version: undefined as string | undefined, algorithm: 'inplace' as 'instant' | 'inplace' };
  for (const [key, value] of Object.entries(ruleOptions['mysql-algorithm'] ?? {})) {
    if (key === 'version') {
      if (typeof value !== 'string' || !/\d+\.\d+/.test(value)) {
        throw new Error(`rules.mysql-algorithm.version must be a server version like 'mariadb 10.11' or 'mysql 8.0.35', got ${describe(value)}`);
      }
      mysqlAlgorithm.version = value;
    } else if (key === 'algorithm') {
      if (value !== 'instant' && value !== 'inplace') throw new Error(`rules.mysql-algorithm.algorithm must be 'instant' or 'inplace', got ${describe(value)}`);
      mysqlAlgorithm.algorithm = value;
    } else {
      throw new Error(`unknown option "${key}" of rules.mysql-algorithm (the options are version, algorithm)`);
    }
  }
  for (const rule of [
    'data-dependent',
    'backward-incompatible',
    'index-concurrently',
    'run-sql-reverse',
    'identifier-length',
    'foreign-key-index',
    'table-rewrite',
    'not-null-check',
    'foreign-key-not-valid',
  ] as const) {
    const extra = ruleOptions[rule];
    if (extra !== undefined && Object.keys(extra).length > 0) throw new Error(`rules.${rule} takes no options, got ${describe(extra)}`);
  }
  return { levels, naming, maxStatements, maxTables, destructiveOnRollback, lockTimeoutMax, mysqlAlgorithm };
}

/** The `max` option of `rule` (a positive integer), or `fallback`. */
function maxOption(ruleOptions: Partial<Record<RuleName, Record<string, unknown>>>, rule: 'max-statements' | 'max-tables', fallback: number): number {
  let max = fallback;
  for (const [key, value] of Object.entries(ruleOptions[rule] ?? {})) {
    if (key !== 'max') throw new Error(`unknown option "${key}" of rules.${rule} (the option is max)`);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new Error(`rules.${rule}.max must be a positive integer, got ${describe(value)}`);
    }
    max = value;
  }
  return max;
}
