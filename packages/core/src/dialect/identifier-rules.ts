import type { IdentifierRules } from '../schema/identifiers.js';
import type { Dialect } from './dialect.js';

/**
 * The rules a dialect holds names to, for `validateIdentifier`: its length limit in its
 * own unit (`capabilities.maxIdentifierLength`, `identifierLengthUnit`) and its own
 * `checkIdentifier`, if it has one.
 *
 * @example
 * validateIdentifier(name, 'table', identifierRulesOf(dialect));
 */
export function identifierRulesOf(dialect: Pick<Dialect, 'name' | 'capabilities' | 'checkIdentifier'>): IdentifierRules {
  const { maxIdentifierLength, identifierLengthUnit } = dialect.capabilities;
  const check = dialect.checkIdentifier?.bind(dialect);
  return {
    maxLength: maxIdentifierLength,
    unit: identifierLengthUnit ?? 'characters',
    engine: dialect.name,
    ...(check ? { check } : {}),
  };
}
