import type { AnyOperationDefinition } from '../operations/define-operation.js';
import type { ColumnState, ColumnType, SchemaState } from '../schema/types.js';

/** Decimal digits an integer type holds, for a decimal wide enough to take every value. */
const INTEGER_DIGITS: Readonly<Record<string, number>> = { smallint: 5, smallserial: 5, integer: 10, serial: 10, bigint: 19, bigserial: 19 };
/** Bits of each integer type, to order them. */
const INTEGER_BITS: Readonly<Record<string, number>> = { smallint: 16, smallserial: 16, integer: 32, serial: 32, bigint: 64, bigserial: 64 };
/** Integer bits a floating type holds exactly (its mantissa). */
const FLOAT_EXACT_BITS: Readonly<Record<string, number>> = { real: 24, double: 53 };

/**
 * Whether every value of type `from` fits type `to` unchanged, so changing a column from one to
 * the other can neither fail nor truncate: an integer to a wider integer, a longer varchar or
 * char, text, a decimal with at least as many digits on each side of the point, a float that
 * holds it exactly; real to double; date to timestamp; a timestamp to one with a time zone;
 * anything but a custom type to text. Anything unknown (custom types) is not widening.
 */
export function isWideningType(from: ColumnType, to: ColumnType): boolean {
  if (from.type === 'custom' || to.type === 'custom') {
    return from.type === 'custom' && to.type === 'custom' && from.sql.trim().toLowerCase() === to.sql.trim().toLowerCase();
  }
  if (sameType(from, to)) return true;
  const fromBits = INTEGER_BITS[from.type];
  if (fromBits !== undefined) {
    const toBits = INTEGER_BITS[to.type];
    if (toBits !== undefined) return toBits >= fromBits;
    if (to.type === 'decimal') return to.precision === undefined || to.precision - (to.scale ?? 0) >= INTEGER_DIGITS[from.type]!;
    const exact = FLOAT_EXACT_BITS[to.type];
    if (exact !== undefined) return exact >= fromBits - 1;
    return to.type === 'text';
  }
  switch (from.type) {
    case 'varchar':
      return (to.type === 'varchar' && to.length >= from.length) || to.type === 'text';
    case 'char':
      // char → varchar or text drops the padding on some engines (PostgreSQL): only a longer char.
      return to.type === 'char' && to.length >= from.length;
    case 'decimal':
      if (to.type === 'text') return true;
      if (to.type !== 'decimal') return false;
      if (to.precision === undefined) return true;
      if (from.precision === undefined) return false;
      return (to.scale ?? 0) >= (from.scale ?? 0) && to.precision - (to.scale ?? 0) >= from.precision - (from.scale ?? 0);
    case 'real':
      return to.type === 'double' || to.type === 'text';
    case 'date':
      return to.type === 'timestamp' || to.type === 'text';
    case 'timestamp':
      return (to.type === 'timestamp' && to.withTimeZone === true) || to.type === 'text';
    default:
      // boolean, double, time, json, uuid, text, blob: only to text (text itself and blob to nothing else).
      return to.type === 'text' && from.type !== 'blob';
  }
}

function sameType(a: ColumnType, b: ColumnType): boolean {
  if (a.type !== b.type) return false;
  switch (a.type) {
    case 'varchar':
    case 'char':
      return a.length === (b as typeof a).length;
    case 'decimal':
      return a.precision === (b as typeof a).precision && (a.scale ?? 0) === ((b as typeof a).scale ?? 0);
    case 'time':
    case 'timestamp':
      return (a.withTimeZone ?? false) === ((b as typeof a).withTimeZone ?? false);
    default:
      return true;
  }
}

/**
 * Whether changing a column from `before` to `after` can lose data or fail on existing rows:
 * a type change that is not widening ({@link isWideningType}), or a nullable column made NOT
 * NULL (fails on a NULL). A new default, a dropped NOT NULL or a widening is safe.
 */
export function columnChangeLosesData(before: ColumnState, after: ColumnState): boolean {
  if (!isWideningType(before.type, after.type)) return true;
  return before.nullable && !after.nullable;
}

/**
 * Whether an operation may lose data, asking its definition's `destructive` (a flag, or a
 * function of the arguments and the schema before the operation).
 */
export function isDestructive(definition: Pick<AnyOperationDefinition, 'destructive'>, args: unknown, stateBefore?: SchemaState): boolean {
  const { destructive } = definition;
  return typeof destructive === 'function' ? (destructive as (args: unknown, stateBefore?: SchemaState) => boolean)(args, stateBefore) : destructive === true;
}
