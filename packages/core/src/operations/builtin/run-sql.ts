import { CovetError } from '../../errors/covet-error.js';
import { createOperation, IRREVERSIBLE } from '../define-operation.js';
import { call } from '../../writer/code-tree.js';
import { defineBuiltin } from './define-builtin.js';
import { statementsCode } from './write-code.js';

/** Arguments of `runSql`: one statement or a list, and optionally what undoes them. */
export interface RunSqlArgs {
  readonly sql: string | readonly string[];
  readonly reverseSql?: string | readonly string[];
}

function statements(value: string | readonly string[]): readonly string[] {
  return typeof value === 'string' ? [value] : value;
}

function checkSql(value: unknown, what: string): void {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || list.some((s) => typeof s !== 'string' || s.trim() === '')) {
    throw new CovetError('OPERATION_INVALID', `runSql needs non-empty ${what}`);
  }
}

/**
 * Raw SQL, run as written. Without `reverseSql` it is irreversible. It does not change the
 * schema state Covet tracks, so use it for data and for objects Covet does not model.
 */
export const runSql = defineBuiltin<RunSqlArgs>()({
  kind: 'runSql',
  build: (sql: string | readonly string[], reverseSql?: string | readonly string[]): RunSqlArgs => (reverseSql === undefined ? { sql } : { sql, reverseSql }),
  write: (args) => ({
    code:
      args.reverseSql === undefined
        ? call('op.runSql', statementsCode(args.sql))
        : call('op.runSql', statementsCode(args.sql), statementsCode(args.reverseSql)),
  }),
  validate(args) {
    checkSql(args.sql, 'sql');
    if (args.reverseSql !== undefined) checkSql(args.reverseSql, 'reverseSql');
  },
  describe(args) {
    const first = statements(args.sql)[0]!.trim().replace(/\s+/g, ' ');
    return `Run SQL: ${first.length > 60 ? `${first.slice(0, 57)}...` : first}`;
  },
  applyToState: (state) => state,
  reverse: (args) =>
    args.reverseSql === undefined ? IRREVERSIBLE : [createOperation('runSql', { sql: args.reverseSql, reverseSql: args.sql })],
  sql: { default: (args) => statements(args.sql).map((sql) => ({ sql })) },
});
