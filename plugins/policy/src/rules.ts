import {
  getTable,
  identifierLength,
  isOperation,
  isWideningType,
  type ColumnState,
  type ColumnType,
  type Direction,
  type IdentifierRules,
  type MigrationMeta,
  type Operation,
  type SchemaState,
} from '@covet/core';
import {
  MYSQL_ALGORITHMS,
  formatMs,
  isSlowerThan,
  lockTimeoutSetIn,
  parseServerVersion,
  postgresAddRewrites,
  postgresRewriteReason,
  serverLabel,
  type EngineFacts,
} from './engine-facts.js';
import type { ResolvedPolicy, RuleName } from './options.js';

/** One rule broken by one operation (or, for `max-statements`, by a migration). */
export interface Finding {
  readonly rule: RuleName;
  readonly level: 'error' | 'warn';
  /** The migration's id (`app:name`), or the name of the file `makemigrations` is about to write. */
  readonly migration: string;
  /** The operation's position in its migration (0-based); absent for a rule on the whole migration. */
  readonly index?: number;
  readonly kind?: string;
  /** What is wrong, and the data at stake. */
  readonly problem: string;
  /** How to fix it. */
  readonly fix: string;
}

/** Where an operation is checked. */
export interface OperationSite {
  readonly migration: string;
  readonly meta?: MigrationMeta | undefined;
  readonly index: number;
  /** The schema before this operation. */
  readonly stateBefore: SchemaState;
  /** Tables the same migration created before this operation: they hold no rows yet. */
  readonly createdTables: ReadonlySet<string>;
  /** The dialect the migrations are checked for (`postgres`, `mysql`, `sqlite`, ...). */
  readonly engine: string;
  readonly direction: Direction;
  /** The dialect's identifier rules (`identifierRulesOf(dialect)`), for `identifier-length`; absent: not checked. */
  readonly identifierRules?: IdentifierRules | undefined;
  /** The migration's operations (for the rules that look at what comes before `index`). */
  readonly operations?: readonly Operation[] | undefined;
  /** Whether the migration runs in one transaction (default true). */
  readonly atomic?: boolean | undefined;
  /** SQL run before this operation, oldest first: earlier migrations' (in `covet lint`) and this one's. */
  readonly sqlBefore?: readonly string[] | undefined;
  /** What is known of the database beyond the schema (lock_timeout, server version, live checks). */
  readonly facts?: EngineFacts | undefined;
}

/**
 * The SQL an operation stands for, as far as the lock rules read it: a `runSql`'s text, and
 * `VALIDATE CONSTRAINT` for `validateConstraint`. Empty for the rest.
 */
export function sqlTextOf(operation: Operation): string[] {
  if (isOperation(operation, 'runSql')) return [operation.args.sql].flat();
  if (operation.kind === 'validateConstraint') {
    const args = operation.args as { table?: unknown; name?: unknown };
    return [`ALTER TABLE ${q(String(args.table))} VALIDATE CONSTRAINT ${q(String(args.name))}`];
  }
  return [];
}

const ident = (name: string) => `(?:"${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/"/g, '""')}"|${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})`;

/**
 * Whether `sql` (the statements before) adds a `CHECK (column IS NOT NULL)` on `table` and
 * validates it: added without NOT VALID, or with NOT VALID and then `VALIDATE CONSTRAINT`.
 * Returns `'validated'`, `'not-valid'` (added, never validated) or undefined.
 */
export function notNullCheckIn(sql: readonly string[], table: string, column: string): 'validated' | 'not-valid' | undefined {
  const all = sql.join(';\n');
  const add = new RegExp(
    `ALTER\\s+TABLE\\s+(?:ONLY\\s+)?(?:\\S+\\.)?${ident(table)}\\s+ADD\\s+CONSTRAINT\\s+("(?:[^"]|"")+"|\\w+)\\s+CHECK\\s*\\(\\s*\\(?\\s*${ident(column)}\\s+IS\\s+NOT\\s+NULL\\s*\\)?\\s*\\)(\\s+NOT\\s+VALID)?`,
    'gi',
  );
  let found: 'validated' | 'not-valid' | undefined;
  for (const match of all.matchAll(add)) {
    if (!match[2]) return 'validated';
    const name = match[1]!.startsWith('"') ? match[1]!.slice(1, -1).replace(/""/g, '"') : match[1]!;
    const validate = new RegExp(`VALIDATE\\s+CONSTRAINT\\s+${ident(name)}`, 'i');
    if (validate.test(all.slice(match.index! + match[0].length))) return 'validated';
    found = 'not-valid';
  }
  return found;
}

/** Whether the operation takes a lock on an existing table that blocks reads or writes (PostgreSQL). */
function takesLock(operation: Operation): boolean {
  if (isOperation(operation, 'runSql')) {
    return [operation.args.sql]
      .flat()
      .some((sql) => /^\s*(ALTER\s+TABLE|DROP\s+(TABLE|INDEX(?!\s+CONCURRENTLY))|CREATE\s+(UNIQUE\s+)?INDEX(?!\s+CONCURRENTLY)|LOCK\s|TRUNCATE|REINDEX(?!.*CONCURRENTLY)|VACUUM\s+FULL|CLUSTER)/im.test(sql));
  }
  if (operation.kind === 'createIndex' || operation.kind === 'dropIndex') return (operation.args as { concurrently?: unknown }).concurrently !== true;
  return ['dropTable', 'renameTable', 'addColumn', 'dropColumn', 'alterColumn', 'renameColumn', 'addForeignKey', 'dropForeignKey'].includes(operation.kind);
}

/** The table an operation locks. */
function lockedTable(operation: Operation): string | undefined {
  if (isOperation(operation, 'runSql')) {
    const match = /\b(?:ALTER\s+TABLE|DROP\s+TABLE|LOCK(?:\s+TABLE)?|TRUNCATE(?:\s+TABLE)?|INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?\S+\s+ON)\s+(?:ONLY\s+)?(?:IF\s+EXISTS\s+)?(?:\S+\.)?("(?:[^"]|"")+"|\w+)/i.exec([operation.args.sql].flat().join(';'));
    if (!match) return undefined;
    return match[1]!.startsWith('"') ? match[1]!.slice(1, -1).replace(/""/g, '"') : match[1]!;
  }
  if (isOperation(operation, 'dropTable')) return operation.args.name;
  if (isOperation(operation, 'renameTable')) return operation.args.from;
  const args = operation.args as { table?: unknown };
  return typeof args.table === 'string' ? args.table : undefined;
}

type NameKind = 'table' | 'column' | 'index' | 'foreignKey';
const LABELS: Readonly<Record<NameKind, string>> = { table: 'table', column: 'column', index: 'index', foreignKey: 'foreign key' };

/** The names an operation creates: a table (and its columns, indexes, keys), a column, an index, a foreign key. */
function createdNames(operation: Operation): { what: NameKind; name: string }[] {
  if (isOperation(operation, 'createTable')) {
    return [
      { what: 'table', name: operation.args.name },
      ...operation.args.columns.map((c) => ({ what: 'column' as const, name: c.name })),
      ...(operation.args.indexes ?? []).map((index) => ({ what: 'index' as const, name: index.name })),
      ...(operation.args.foreignKeys ?? []).map((key) => ({ what: 'foreignKey' as const, name: key.name })),
    ];
  }
  if (isOperation(operation, 'renameTable')) return [{ what: 'table', name: operation.args.to }];
  if (isOperation(operation, 'addColumn')) return [{ what: 'column', name: operation.args.column.name }];
  if (isOperation(operation, 'renameColumn')) return [{ what: 'column', name: operation.args.to }];
  if (isOperation(operation, 'createIndex')) return [{ what: 'index', name: operation.args.index.name }];
  if (isOperation(operation, 'addForeignKey')) return [{ what: 'foreignKey', name: operation.args.foreignKey.name }];
  return [];
}

/** The level a finding is reported at. */
export function reportedLevel(level: 'error' | 'warn'): 'error' | 'warn' {
  return level;
}

/** `[rule] app:name, operation #2 (dropTable): problem. Fix: fix` — the line every place prints. */
export function formatFinding(finding: Finding, withLocation = true): string {
  const where = finding.index === undefined ? finding.migration : `${finding.migration}, operation #${finding.index + 1} (${finding.kind})`;
  return `[${finding.rule}] ${withLocation ? `${where}: ` : ''}${finding.problem}. Fix: ${finding.fix}`;
}

const q = (name: string) => JSON.stringify(name);

function typeLabel(type: ColumnType): string {
  if (type.type === 'custom') return type.sql;
  if ('length' in type) return `${type.type}(${type.length})`;
  if (type.type === 'decimal' && type.precision !== undefined) return `decimal(${type.precision}${type.scale === undefined ? '' : `, ${type.scale}`})`;
  return type.type;
}

/** True when `meta.allowDestructive` is `true` or lists `name`. */
function allowsDestructive(meta: MigrationMeta | undefined, name: string): boolean {
  const allowed = meta?.allowDestructive;
  return allowed === true || (Array.isArray(allowed) && allowed.includes(name));
}

function column(state: SchemaState, table: string, name: string): ColumnState | undefined {
  return getTable(state, table)?.columns.find((candidate) => candidate.name === name);
}

/** The rules that look at one operation, in their order. */
export function checkOperation(operation: Operation, site: OperationSite, policy: ResolvedPolicy): Finding[] {
  const findings: Finding[] = [];
  const { levels } = policy;
  const add = (rule: RuleName, problem: string, fix: string) => {
    const level = levels[rule];
    if (level !== 'off') findings.push({ rule, level: reportedLevel(level), migration: site.migration, index: site.index, kind: operation.kind, problem, fix });
  };
  const existing = (table: string) => getTable(site.stateBefore, table) !== undefined && !site.createdTables.has(table);
  const up = site.direction === 'up';
  const allowHint = (name: string) =>
    up
      ? `keep it, or once the data is saved or no longer needed allow it in the migration: meta: { allowDestructive: [${q(name)}] }`
      : `roll back only where the data may go, with rules.destructive set to ['warn', { rollback: true }] or off for that run`;

  // destructive
  if (levels.destructive !== 'off' && (up || policy.destructiveOnRollback)) {
    if (isOperation(operation, 'dropTable')) {
      const table = getTable(site.stateBefore, operation.args.name);
      const columns = table ? ` (columns ${table.columns.map((c) => c.name).join(', ')})` : '';
      if (!allowsDestructive(site.meta, operation.args.name)) {
        add('destructive', `drops table ${q(operation.args.name)} and every row in it${columns}`, allowHint(operation.args.name));
      }
    } else if (isOperation(operation, 'dropColumn')) {
      const name = `${operation.args.table}.${operation.args.column}`;
      const old = column(site.stateBefore, operation.args.table, operation.args.column);
      if (!allowsDestructive(site.meta, name)) {
        add('destructive', `drops column ${q(name)}${old ? ` (${typeLabel(old.type)})` : ''} and its value in every row of ${operation.args.table}`, allowHint(name));
      }
    } else if (isOperation(operation, 'dropIndex')) {
      const index = getTable(site.stateBefore, operation.args.table)?.indexes.find((candidate) => candidate.name === operation.args.name);
      const detail = index ? ` on ${operation.args.table} (${index.columns.join(', ')})` : ` on ${operation.args.table}`;
      const stake = index?.unique ? 'the uniqueness it guarantees is no longer enforced and queries using it slow down' : 'queries using it slow down';
      if (!allowsDestructive(site.meta, operation.args.name)) {
        add('destructive', `drops ${index?.unique ? 'unique ' : ''}index ${q(operation.args.name)}${detail}: ${stake}`, allowHint(operation.args.name));
      }
    } else if (isOperation(operation, 'dropForeignKey')) {
      const key = getTable(site.stateBefore, operation.args.table)?.foreignKeys.find((candidate) => candidate.name === operation.args.name);
      const detail = key ? ` on ${operation.args.table} (${key.columns.join(', ')}) -> ${key.references.table}` : ` on ${operation.args.table}`;
      if (!allowsDestructive(site.meta, operation.args.name)) {
        add('destructive', `drops foreign key ${q(operation.args.name)}${detail}: the database no longer checks those references`, allowHint(operation.args.name));
      }
    } else if (isOperation(operation, 'alterColumn')) {
      const old = column(site.stateBefore, operation.args.table, operation.args.column.name);
      const name = `${operation.args.table}.${operation.args.column.name}`;
      if (old && !isWideningType(old.type, operation.args.column.type) && !allowsDestructive(site.meta, name)) {
        add(
          'destructive',
          `changes column ${q(name)} from ${typeLabel(old.type)} to ${typeLabel(operation.args.column.type)}, which may not hold every value it has`,
          allowHint(name),
        );
      }
    }
  }

  // data-dependent
  if (isOperation(operation, 'addColumn')) {
    const { table, column: added } = operation.args;
    if (!added.nullable && added.default === undefined && added.identity === undefined && existing(table)) {
      add(
        'data-dependent',
        `adds NOT NULL column ${q(`${table}.${added.name}`)} without a default to existing table ${table}: it fails if the table has rows`,
        'give it a default, or add it nullable, fill it, and make it NOT NULL in a later migration',
      );
    }
  } else if (isOperation(operation, 'alterColumn')) {
    const old = column(site.stateBefore, operation.args.table, operation.args.column.name);
    if (old?.nullable && !operation.args.column.nullable && existing(operation.args.table)) {
      add(
        'data-dependent',
        `makes column ${q(`${operation.args.table}.${operation.args.column.name}`)} NOT NULL: it fails if a row holds NULL there`,
        'fill the NULLs first (an UPDATE in an earlier migration), or keep the column nullable',
      );
    }
  } else if (isOperation(operation, 'createIndex') && operation.args.index.unique && existing(operation.args.table)) {
    add(
      'data-dependent',
      `adds unique index ${q(operation.args.index.name)} on existing table ${operation.args.table} (${operation.args.index.columns.join(', ')}): it fails if duplicates exist`,
      'remove the duplicates first (an earlier migration), or make the index not unique',
    );
  }

  // backward-incompatible
  if (isOperation(operation, 'renameTable')) {
    add(
      'backward-incompatible',
      `renames table ${q(operation.args.from)} to ${q(operation.args.to)}: code still running that uses ${operation.args.from} fails until it is deployed`,
      'create the new table, copy and write to both, switch the code, then drop the old one; or deploy the code first where it can use both names',
    );
  } else if (isOperation(operation, 'renameColumn')) {
    const { table, from, to } = operation.args;
    add(
      'backward-incompatible',
      `renames column ${q(`${table}.${from}`)} to ${q(to)}: code still running that uses ${from} fails until it is deployed`,
      'add the new column, write to both and backfill, switch the code, then drop the old one',
    );
  }

  // index-concurrently (PostgreSQL)
  if (site.engine === 'postgres') {
    const concurrently = (operation.args as { concurrently?: unknown }).concurrently === true;
    if (isOperation(operation, 'createIndex') && existing(operation.args.table) && !concurrently) {
      const { table, index } = operation.args;
      const columns = index.columns.map(q).join(', ');
      add(
        'index-concurrently',
        `creates index ${q(index.name)} on existing table ${table} without CONCURRENTLY: writes to ${table} wait while it is built`,
        `op.createIndex has no CONCURRENTLY: write it in a migration of its own with atomic: false as op.runSql('CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY ${q(index.name)} ON ${q(table)} (${columns})', 'DROP INDEX CONCURRENTLY ${q(index.name)}')`,
      );
    } else if (isOperation(operation, 'dropIndex') && existing(operation.args.table) && !concurrently) {
      add(
        'index-concurrently',
        `drops index ${q(operation.args.name)} on existing table ${operation.args.table} without CONCURRENTLY: queries on ${operation.args.table} wait for the lock`,
        `write it in a migration of its own with atomic: false as op.runSql('DROP INDEX CONCURRENTLY ${q(operation.args.name)}', <the CREATE INDEX>)`,
      );
    }
  }

  if (site.engine === 'postgres') checkPostgresLocks(operation, site, policy, existing, add);
  if (site.engine === 'mysql' && levels['mysql-algorithm'] !== 'off' && up) checkMysqlAlgorithm(operation, site, policy, existing, add);

  // naming and identifier-length: the names the operation creates
  const names = createdNames(operation);
  if (levels.naming !== 'off') {
    for (const { what, name } of names) {
      const pattern = policy.naming[what];
      if (pattern && !pattern.test(name)) {
        const label = LABELS[what];
        add('naming', `${label} name ${q(name)} does not match ${pattern.source}`, `rename the ${label} to match ${pattern.source}`);
      }
    }
  }
  if (site.identifierRules) {
    const { maxLength, unit = 'characters', engine = site.engine } = site.identifierRules;
    for (const { what, name } of names) {
      if (maxLength !== undefined && Number.isFinite(maxLength) && identifierLength(name, unit) > maxLength) {
        add(
          'identifier-length',
          `${LABELS[what]} name ${q(name)} is ${identifierLength(name, unit)} ${unit} long, more than the ${maxLength} ${engine} allows`,
          `shorten it to ${maxLength} ${unit} or fewer`,
        );
      }
    }
  }

  // run-sql-reverse
  if (up && isOperation(operation, 'runSql') && operation.args.reverseSql === undefined) {
    add('run-sql-reverse', 'runs SQL with no reverse: the migration cannot be rolled back', "give the reverse as the second argument: op.runSql(sql, reverseSql)");
  }
  return findings;
}

/** The `max-statements` rule: one finding when a migration runs more statements than allowed. */
export function checkStatementCount(migration: string, count: number, policy: ResolvedPolicy): Finding | undefined {
  const level = policy.levels['max-statements'];
  if (level === 'off' || count <= policy.maxStatements) return undefined;
  return {
    rule: 'max-statements',
    level: reportedLevel(level),
    migration,
    problem: `runs ${count} SQL statements, more than the ${policy.maxStatements} allowed`,
    fix: 'split it into smaller migrations',
  };
}

/** The tables an operation names (the one it changes, and for a foreign key the one it points to). */
function tablesOf(operation: Operation): string[] {
  if (isOperation(operation, 'createTable') || isOperation(operation, 'dropTable')) return [operation.args.name];
  if (isOperation(operation, 'renameTable')) return [operation.args.from];
  const args = operation.args as { table?: unknown };
  return typeof args.table === 'string' ? [args.table] : [];
}

/**
 * The rules on a whole migration (run forwards from `stateBefore` to `stateAfter`): `max-tables`,
 * and `foreign-key-index` (a foreign key the migration adds whose columns no index or primary
 * key of the table starts with, once the migration is done).
 */
export function checkWholeMigration(
  migration: { readonly id: string; readonly operations: readonly Operation[] },
  stateAfter: SchemaState,
  policy: ResolvedPolicy,
  engine: string,
): Finding[] {
  const findings: Finding[] = [];
  const { levels } = policy;
  if (levels['max-tables'] !== 'off') {
    const touched = [...new Set(migration.operations.flatMap(tablesOf))];
    if (touched.length > policy.maxTables) {
      findings.push({
        rule: 'max-tables',
        level: reportedLevel(levels['max-tables']),
        migration: migration.id,
        problem: `touches ${touched.length} tables (${touched.join(', ')}), more than the ${policy.maxTables} allowed`,
        fix: 'split it into smaller migrations',
      });
    }
  }
  // MySQL and MariaDB index a foreign key's columns themselves.
  if (levels['foreign-key-index'] !== 'off' && engine !== 'mysql') {
    for (const [index, operation] of migration.operations.entries()) {
      const added = isOperation(operation, 'createTable')
        ? (operation.args.foreignKeys ?? []).map((key) => ({ table: operation.args.name, key }))
        : isOperation(operation, 'addForeignKey')
          ? [{ table: operation.args.table, key: operation.args.foreignKey }]
          : [];
      for (const { table, key } of added) {
        const state = getTable(stateAfter, table);
        if (!state || !state.foreignKeys.some((candidate) => candidate.name === key.name)) continue;
        const leads = (columns: readonly string[]) => key.columns.every((column, position) => columns[position] === column);
        if (leads(state.primaryKey?.columns ?? []) || state.indexes.some((candidate) => leads(candidate.columns))) continue;
        findings.push({
          rule: 'foreign-key-index',
          level: reportedLevel(levels['foreign-key-index']),
          migration: migration.id,
          index,
          kind: operation.kind,
          problem: `foreign key ${q(key.name)} on ${table} (${key.columns.join(', ')}) has no index starting with its columns: deletes in ${key.references.table} scan ${table}`,
          fix: `add op.createIndex(${q(table)}, { columns: [${key.columns.map(q).join(', ')}] }) in the same migration`,
        });
      }
    }
  }
  return findings;
}

/** The server `mysql-algorithm` assumes when it knows none (no connection, no `version` option). */
export const DEFAULT_MYSQL_VERSION = 'mysql 8.0';

type Add = (rule: RuleName, problem: string, fix: string) => void;

/** `table-rewrite`, `not-null-check`, `foreign-key-not-valid` and `lock-timeout` (PostgreSQL). */
function checkPostgresLocks(operation: Operation, site: OperationSite, policy: ResolvedPolicy, existing: (table: string) => boolean, add: Add): void {
  const { levels } = policy;
  const sqlBefore = [...(site.sqlBefore ?? [])];
  const atomic = site.atomic !== false;

  // table-rewrite
  if (isOperation(operation, 'alterColumn') && existing(operation.args.table)) {
    const old = column(site.stateBefore, operation.args.table, operation.args.column.name);
    const reason = old ? postgresRewriteReason(old.type, operation.args.column.type) : undefined;
    if (old && reason) {
      const name = `${operation.args.table}.${operation.args.column.name}`;
      add(
        'table-rewrite',
        `changes column ${q(name)} from ${typeLabel(old.type)} to ${typeLabel(operation.args.column.type)}: ${reason}, with ${operation.args.table} locked against reads and writes (ACCESS EXCLUSIVE) until it is done`,
        `add a new column of the new type, backfill it in batches and switch the code to it, then drop the old one; or keep a change PostgreSQL makes without a rewrite (a longer varchar, varchar to text, more numeric precision)`,
      );
    }
  } else if (isOperation(operation, 'addColumn') && existing(operation.args.table)) {
    const reason = postgresAddRewrites(operation.args.column);
    if (reason) {
      add(
        'table-rewrite',
        `adds column ${q(`${operation.args.table}.${operation.args.column.name}`)} to existing table ${operation.args.table}: ${reason}, rewriting the table under an ACCESS EXCLUSIVE lock`,
        'add it nullable without that default, backfill it in batches, then set the default (and NOT NULL) in a later migration',
      );
    }
  }

  // not-null-check
  if (isOperation(operation, 'alterColumn') && existing(operation.args.table)) {
    const { table } = operation.args;
    const name = operation.args.column.name;
    const old = column(site.stateBefore, table, name);
    if (old?.nullable && !operation.args.column.nullable) {
      const check = notNullCheckIn(sqlBefore, table, name);
      const live = site.facts?.validatedNotNull?.has(`${table}.${name}`) === true;
      const constraint = `${table}_${name}_not_null`;
      const steps = `op.runSql('ALTER TABLE ${q(table)} ADD CONSTRAINT ${q(constraint)} CHECK (${q(name)} IS NOT NULL) NOT VALID', 'ALTER TABLE ${q(table)} DROP CONSTRAINT ${q(constraint)}'), op.runSql('ALTER TABLE ${q(table)} VALIDATE CONSTRAINT ${q(constraint)}', 'SELECT 1'), then this alterColumn, in a migration with atomic: false (or the check in an earlier migration)`;
      if (!live && check === undefined) {
        add(
          'not-null-check',
          `sets column ${q(`${table}.${name}`)} NOT NULL with no validated CHECK (${name} IS NOT NULL) first: PostgreSQL scans all of ${table} to prove it while holding an ACCESS EXCLUSIVE lock`,
          `add the check NOT VALID, validate it (a scan that lets reads and writes go on), and only then set NOT NULL (PostgreSQL 12+ then skips the scan): ${steps}`,
        );
      } else if (!live && check === 'not-valid') {
        add(
          'not-null-check',
          `sets column ${q(`${table}.${name}`)} NOT NULL after a CHECK (${name} IS NOT NULL) added NOT VALID and never validated: PostgreSQL still scans ${table} under an ACCESS EXCLUSIVE lock`,
          `validate the check first: op.runSql('ALTER TABLE ${q(table)} VALIDATE CONSTRAINT <the check>', 'SELECT 1') before this operation, in another transaction`,
        );
      } else if (!live && atomic && addedInThisMigration(site, (text) => /\bCHECK\b/i.test(text) && /\bNOT\s+VALID\b/i.test(text))) {
        add(
          'not-null-check',
          `sets column ${q(`${table}.${name}`)} NOT NULL after adding and validating its CHECK in the same transaction: the ACCESS EXCLUSIVE lock of ADD CONSTRAINT is held through the validation scan`,
          'give the migration atomic: false, so each step commits on its own (or add the check in an earlier migration)',
        );
      }
    }
  }

  // foreign-key-not-valid
  if (isOperation(operation, 'addForeignKey') && existing(operation.args.table)) {
    const { table, foreignKey } = operation.args;
    const notValid = (operation.args as { notValid?: unknown }).notValid === true;
    if (!notValid) {
      add(
        'foreign-key-not-valid',
        `adds foreign key ${q(foreignKey.name)} on existing table ${table} (${foreignKey.columns.join(', ')}) -> ${foreignKey.references.table} without NOT VALID: every row of ${table} is checked while writes to ${table} and ${foreignKey.references.table} wait (SHARE ROW EXCLUSIVE)`,
        `add it NOT VALID (checks new rows only, at once), then validate it apart (a scan that lets writes go on): ALTER TABLE ${q(table)} ADD CONSTRAINT ${q(foreignKey.name)} ... NOT VALID, then ALTER TABLE ${q(table)} VALIDATE CONSTRAINT ${q(foreignKey.name)} in another transaction (a migration with atomic: false, or the next migration)`,
      );
    }
  } else if (operation.kind === 'validateConstraint' && site.atomic !== false) {
    const args = operation.args as { table: string; name: string };
    const addedHere = (site.operations ?? [])
      .slice(0, site.index)
      .some((earlier) => (earlier.kind === 'addForeignKey' && (earlier.args as { foreignKey: { name: string } }).foreignKey.name === args.name) || sqlTextOf(earlier).some((text) => text.includes(args.name) && /\bNOT\s+VALID\b/i.test(text)));
    if (addedHere && existing(args.table)) {
      const rule: RuleName = (site.operations ?? []).some((earlier) => earlier.kind === 'addForeignKey' && (earlier.args as { foreignKey: { name: string } }).foreignKey.name === args.name) ? 'foreign-key-not-valid' : 'not-null-check';
      add(
        rule,
        `validates constraint ${q(args.name)} in the same transaction that added it NOT VALID: the lock taken to add it is held through the validation scan`,
        'give the migration atomic: false, so the constraint is added and committed before it is validated (or validate it in the next migration)',
      );
    }
  }

  // lock-timeout: once per migration, at its first lock-taking operation on an existing table
  if (levels['lock-timeout'] !== 'off' && site.direction === 'up' && takesLock(operation)) {
    const table = lockedTable(operation);
    const operations = site.operations ?? [];
    const first = operations.slice(0, site.index).every((earlier) => !takesLock(earlier) || !existingTable(site, lockedTable(earlier)));
    if (first && (table === undefined || existing(table))) {
      const ownSql = operations.slice(0, site.index).flatMap(sqlTextOf);
      let timeout: number | undefined;
      for (const text of ownSql) timeout = lockTimeoutSetIn(text) ?? timeout;
      const source = timeout !== undefined ? 'a SET lock_timeout earlier in the migration' : (site.facts?.lockTimeoutSource ?? 'the connection');
      timeout ??= site.facts?.lockTimeoutMs;
      const max = policy.lockTimeoutMax;
      if (timeout !== undefined && (timeout === 0 || (max !== undefined && timeout > max))) {
        add(
          'lock-timeout',
          timeout === 0
            ? `takes a lock on ${table ?? 'a table'} with no lock_timeout (${source} sets none): queued behind a long transaction, it blocks every query on the table until it gets the lock`
            : `takes a lock on ${table ?? 'a table'} with lock_timeout ${formatMs(timeout)} (${source}), more than the ${formatMs(max!)} allowed: every query on the table waits behind it that long`,
          `set one: database.options.lockTimeout (milliseconds${max === undefined ? '' : `, at most ${max}`}) in the config, or op.runSql("SET lock_timeout = '${formatMs(max ?? 5000)}'", "RESET lock_timeout") first in the migration, and retry when it times out`,
        );
      }
    }
  }
}

function existingTable(site: OperationSite, table: string | undefined): boolean {
  return table === undefined || (getTable(site.stateBefore, table) !== undefined && !site.createdTables.has(table));
}

function addedInThisMigration(site: OperationSite, test: (sql: string) => boolean): boolean {
  return (site.operations ?? []).slice(0, site.index).some((earlier) => sqlTextOf(earlier).some(test));
}

/** `mysql-algorithm`: a change InnoDB makes slower than the algorithm allowed, on the server's version. */
function checkMysqlAlgorithm(operation: Operation, site: OperationSite, policy: ResolvedPolicy, existing: (table: string) => boolean, add: Add): void {
  const server = site.facts?.server ?? parseServerVersion(policy.mysqlAlgorithm.version ?? DEFAULT_MYSQL_VERSION)!;
  const assumed = site.facts?.server === undefined && policy.mysqlAlgorithm.version === undefined ? ` (assumed: give rules["mysql-algorithm"] a version)` : '';
  let found: { algorithm: 'instant' | 'inplace' | 'copy'; why: string } | undefined;
  let table: string | undefined;
  if (isOperation(operation, 'addColumn')) {
    table = operation.args.table;
    found = MYSQL_ALGORITHMS.addColumn(server, operation.args.column);
  } else if (isOperation(operation, 'dropColumn')) {
    table = operation.args.table;
    found = MYSQL_ALGORITHMS.dropColumn(server);
  } else if (isOperation(operation, 'renameColumn')) {
    table = operation.args.table;
    found = MYSQL_ALGORITHMS.renameColumn(server);
  } else if (isOperation(operation, 'alterColumn')) {
    table = operation.args.table;
    const old = column(site.stateBefore, table, operation.args.column.name);
    if (old) found = MYSQL_ALGORITHMS.alterColumn(server, old, operation.args.column);
  } else if (isOperation(operation, 'createIndex')) {
    table = operation.args.table;
    found = MYSQL_ALGORITHMS.createIndex();
  } else if (isOperation(operation, 'dropIndex')) {
    table = operation.args.table;
    found = MYSQL_ALGORITHMS.dropIndex(server);
  } else if (isOperation(operation, 'addForeignKey')) {
    table = operation.args.table;
    found = MYSQL_ALGORITHMS.addForeignKey();
  } else if (isOperation(operation, 'dropForeignKey')) {
    table = operation.args.table;
    found = MYSQL_ALGORITHMS.dropForeignKey(server);
  } else if (isOperation(operation, 'renameTable')) {
    table = operation.args.from;
    found = MYSQL_ALGORITHMS.renameTable(server);
  }
  if (!found || !table || !existing(table)) return;
  const allowed = policy.mysqlAlgorithm.algorithm;
  if (!isSlowerThan(found.algorithm, allowed)) return;
  const cost =
    found.algorithm === 'copy'
      ? `ALGORITHM=COPY: ${table} is copied row by row while writes to it wait`
      : `ALGORITHM=INPLACE, not INSTANT: ${table} is rebuilt or scanned (writes go on, but it takes time and space)`;
  add(
    'mysql-algorithm',
    `${found.why} on existing table ${table} runs with ${cost} on ${serverLabel(server)}${assumed}`,
    found.algorithm === 'copy'
      ? 'run it with an online schema-change tool (gh-ost, pt-online-schema-change) in a quiet window, or split it into changes InnoDB makes in place (a new column, backfill, swap)'
      : `accept INPLACE (rules["mysql-algorithm"] algorithm: 'inplace') or run it in a quiet window`,
  );
}
