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
    if (level !== 'off') findings.push({ rule, level, migration: site.migration, index: site.index, kind: operation.kind, problem, fix });
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
    if (isOperation(operation, 'createIndex') && existing(operation.args.table)) {
      const { table, index } = operation.args;
      const columns = index.columns.map(q).join(', ');
      add(
        'index-concurrently',
        `creates index ${q(index.name)} on existing table ${table} without CONCURRENTLY: writes to ${table} wait while it is built`,
        `op.createIndex has no CONCURRENTLY: write it in a migration of its own with atomic: false as op.runSql('CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY ${q(index.name)} ON ${q(table)} (${columns})', 'DROP INDEX CONCURRENTLY ${q(index.name)}')`,
      );
    } else if (isOperation(operation, 'dropIndex') && existing(operation.args.table)) {
      add(
        'index-concurrently',
        `drops index ${q(operation.args.name)} on existing table ${operation.args.table} without CONCURRENTLY: queries on ${operation.args.table} wait for the lock`,
        `write it in a migration of its own with atomic: false as op.runSql('DROP INDEX CONCURRENTLY ${q(operation.args.name)}', <the CREATE INDEX>)`,
      );
    }
  }

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
    level,
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
        level: levels['max-tables'],
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
          level: levels['foreign-key-index'],
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
