import {
  CovetError,
  definePlugin,
  getTable,
  isOperation,
  type ColumnState,
  type Covet,
  type Operation,
  type SchemaState,
} from '@covet/core';

/** The plugin's name: in its messages, and in Covet's when it refuses a run. */
export const NAMING_PLUGIN_NAME = 'acme-naming';

/** Options of {@link acmeNaming}. */
export interface AcmeNamingOptions {
  /** `error` refuses `migrate` before any SQL, `warn` reports, `off` checks nothing. Default `error`. */
  readonly level?: 'error' | 'warn' | 'off';
  /** A boolean column's name starts with one of these (default `is_`, `has_`). */
  readonly booleanPrefixes?: readonly string[];
  /** A foreign key's columns end with this (default `_id`). */
  readonly foreignKeySuffix?: string;
}

interface ResolvedNaming {
  readonly level: 'error' | 'warn' | 'off';
  readonly booleanPrefixes: readonly string[];
  readonly foreignKeySuffix: string;
}

function resolveOptions(options: AcmeNamingOptions = {}): ResolvedNaming {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new Error(`options must be an object, got ${JSON.stringify(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!['level', 'booleanPrefixes', 'foreignKeySuffix'].includes(key)) {
      throw new Error(`unknown option "${key}" (the options are level, booleanPrefixes, foreignKeySuffix)`);
    }
  }
  const level = options.level ?? 'error';
  if (!['error', 'warn', 'off'].includes(level)) throw new Error(`level must be "error", "warn" or "off", got ${JSON.stringify(level)}`);
  const booleanPrefixes = options.booleanPrefixes ?? ['is_', 'has_'];
  if (!Array.isArray(booleanPrefixes) || booleanPrefixes.some((prefix) => typeof prefix !== 'string' || prefix === '')) {
    throw new Error(`booleanPrefixes must be a list of non-empty strings, got ${JSON.stringify(booleanPrefixes)}`);
  }
  const foreignKeySuffix = options.foreignKeySuffix ?? '_id';
  if (typeof foreignKeySuffix !== 'string') throw new Error(`foreignKeySuffix must be a string, got ${JSON.stringify(foreignKeySuffix)}`);
  return { level, booleanPrefixes, foreignKeySuffix };
}

/** The problems of one operation with Acme's naming conventions, given the schema before it. */
function problemsOf(operation: Operation, state: SchemaState, naming: ResolvedNaming): string[] {
  const problems: string[] = [];
  const column = (table: string, definition: ColumnState) => {
    if (definition.type.type === 'boolean' && !naming.booleanPrefixes.some((prefix) => definition.name.startsWith(prefix))) {
      problems.push(
        `boolean column "${table}.${definition.name}" does not start with ${naming.booleanPrefixes.join(' or ')}. ` +
          `Fix: call it "${naming.booleanPrefixes[0]}${definition.name}"`,
      );
    }
  };
  const foreignKey = (table: string, name: string, columns: readonly string[]) => {
    for (const each of columns.filter((candidate) => !candidate.endsWith(naming.foreignKeySuffix))) {
      problems.push(`foreign key "${name}" uses column "${table}.${each}", which does not end with ${naming.foreignKeySuffix}. Fix: call it "${each}${naming.foreignKeySuffix}"`);
    }
  };
  if (isOperation(operation, 'createTable')) {
    for (const definition of operation.args.columns) column(operation.args.name, definition);
    for (const key of operation.args.foreignKeys) foreignKey(operation.args.name, key.name, key.columns);
  } else if (isOperation(operation, 'addColumn') || isOperation(operation, 'alterColumn')) {
    column(operation.args.table, operation.args.column);
  } else if (isOperation(operation, 'renameColumn')) {
    const before = getTable(state, operation.args.table)?.columns.find((each) => each.name === operation.args.from);
    if (before) column(operation.args.table, { ...before, name: operation.args.to });
  } else if (isOperation(operation, 'addForeignKey')) {
    foreignKey(operation.args.table, operation.args.foreignKey.name, operation.args.foreignKey.columns);
  }
  return problems;
}

/**
 * Acme's naming conventions, which `@covet/plugin-policy`'s patterns cannot say: a boolean
 * column starts with `is_` or `has_`, a foreign key's columns end with `_id`. `makemigrations`
 * warns before it writes the file; `migrate` refuses (level `error`) or warns (`warn`) before
 * any SQL. Rollbacks are not checked: they restore what was there.
 */
export const acmeNaming = definePlugin((options?: AcmeNamingOptions) => {
  const naming = resolveOptions(options);
  return {
    name: NAMING_PLUGIN_NAME,
    apply(covet: Covet) {
      if (naming.level === 'off') return;
      covet.hooks.processChanges.tap(NAMING_PLUGIN_NAME, (operations, { from, report }) => {
        let state = from;
        for (const operation of operations) {
          for (const problem of problemsOf(operation, state, naming)) report.warn(`[acme-naming] ${problem}`);
          state = covet.operations.get(operation.kind).applyToState(state, operation.args);
        }
        return operations;
      });
      covet.hooks.validateOperation.tap(NAMING_PLUGIN_NAME, (operation, context) => {
        if (context.direction !== 'up') return;
        for (const problem of problemsOf(operation, context.stateBefore, naming)) {
          if (naming.level === 'error') throw new CovetError('ACME_NAMING', `[acme-naming] ${problem}`);
          context.report.warn(`[acme-naming] ${context.migration.id}, operation #${context.index + 1} (${operation.kind}): ${problem}`);
        }
      });
    },
  };
});
