import { CovetError } from '../errors/covet-error.js';

const SQL_EXPRESSION_BRAND = Symbol.for('covet.sqlExpression');

/** A raw SQL expression, for column defaults and partial-index predicates. */
export interface SqlExpression {
  readonly [SQL_EXPRESSION_BRAND]: true;
  readonly sql: string;
}

/**
 * Marks text as a SQL expression rather than a literal value.
 * Interpolation is refused: an expression is fixed text, values belong in parameters.
 *
 * @example
 * t.timestamp().notNull().default(sql`CURRENT_TIMESTAMP`)
 */
export function sql(strings: TemplateStringsArray | string, ...values: unknown[]): SqlExpression {
  if (values.length > 0) {
    throw new CovetError(
      'SQL_INTERPOLATION',
      'The sql tag does not interpolate values (write the expression as fixed text)',
    );
  }
  const text = typeof strings === 'string' ? strings : strings.join('');
  return Object.freeze({ [SQL_EXPRESSION_BRAND]: true as const, sql: text.replace(/\r\n?/g, '\n') });
}

/** True for a value made with the `sql` tag. */
export function isSqlExpression(value: unknown): value is SqlExpression {
  return typeof value === 'object' && value !== null && SQL_EXPRESSION_BRAND in value;
}
