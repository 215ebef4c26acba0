import { CovetError } from '../errors/covet-error.js';
import { didYouMean, withTypoCheck } from '../errors/suggest.js';
import {
  BUILTIN_OPERATION_KINDS,
  builtinDefinition,
  type BuiltinBuilderParams,
  type BuiltinOperationKind,
} from './builtin/index.js';
import { createOperation, type BuiltinOperation, type Operation } from './define-operation.js';

/** One builder per built-in kind, named after it, taking its definition's `build` parameters. */
type BuiltinBuilders = { readonly [Kind in BuiltinOperationKind]: (...params: BuiltinBuilderParams[Kind]) => BuiltinOperation<Kind> };

/** The `op` builders, before the typo check (see {@link op}): derived from the built-in definitions. */
const OPERATION_BUILDERS: BuiltinBuilders & {
  /** Any registered kind, by name: `op.custom('views.createView', { ... })`. */
  readonly custom: <Args extends object>(kind: string, args: Args) => Operation<Args>;
} = Object.freeze({
  ...(Object.fromEntries(
    BUILTIN_OPERATION_KINDS.map((kind) => {
      const { build } = builtinDefinition(kind) as { build: (...params: unknown[]) => unknown };
      return [kind, (...params: unknown[]) => createOperation(kind, build(...params))];
    }),
  ) as BuiltinBuilders),
  custom: <Args extends object>(kind: string, args: Args): Operation<Args> => createOperation(kind, args),
});

/**
 * Builders for the built-in operations, for migration files written by hand or by
 * `@covet/writer-ts`: `op.<kind>(...)` is `{ kind, args: build(...) }` of the kind's definition
 * (so a new built-in kind has its builder from its definition alone). Each returns plain, frozen
 * operation data. A misspelt builder (`op.addColum`) is an error that names it and suggests the
 * closest.
 *
 * @example
 * op.addColumn('users', 'nickname', t.varchar(50))
 */
export const op: typeof OPERATION_BUILDERS = withTypoCheck(OPERATION_BUILDERS, (name) => {
  const known = Object.keys(OPERATION_BUILDERS);
  return new CovetError('OPERATION_UNKNOWN', `Unknown operation "${name}" (op.${name})${didYouMean(name, known)}`, {
    hint: `Operations: ${known.join(', ')}; op.custom(kind, args) for a plugin's.`,
  });
});
