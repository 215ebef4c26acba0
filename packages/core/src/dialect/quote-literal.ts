import { CovetError } from '../errors/covet-error.js';
import type { Dialect, SqlLiteral } from './dialect.js';

/**
 * `dialect.quoteLiteral(value)`, or a one-line error naming the dialect when it has none (a
 * third-party dialect written before `quoteLiteral` existed). For plugin SQL that must embed a
 * value in a statement that takes no bound values (DDL).
 *
 * @example
 * sql: {
 *   default: (args, { dialect }) => [
 *     { sql: `COMMENT ON TABLE ${dialect.quoteIdentifier(args.table)} IS ${quoteLiteral(dialect, args.comment)}` },
 *   ],
 * }
 */
export function quoteLiteral(dialect: Dialect, value: SqlLiteral): string {
  if (typeof dialect.quoteLiteral !== 'function') {
    throw new CovetError('LITERAL_UNSUPPORTED', `Dialect ${dialect.name} cannot write SQL literals (it has no quoteLiteral)`, {
      hint: 'Use a newer version of the dialect, or pass the value as a bound parameter where the statement takes one.',
    });
  }
  return dialect.quoteLiteral(value);
}
