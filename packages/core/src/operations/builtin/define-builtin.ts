import { defineOperation, type OperationDefinition, type WrittenOperation } from '../define-operation.js';

/**
 * A built-in operation definition: an {@link OperationDefinition} that also carries its `op`
 * builder (`build`: `op.<kind>(...params)` is `{ kind, args: build(...params) }`) and its writer
 * (`write`: the code tree of the `op.<kind>(...)` call that rebuilds the arguments). Everything
 * about a built-in kind is in its definition; `op`, the writers of `@covet/writer-ts` and the
 * dialect compilers' required methods are derived from the one list of definitions.
 */
export type BuiltinDefinition<Args, Params extends readonly unknown[] = never[]> = OperationDefinition<Args> & {
  /** The arguments `op.<kind>(...params)` gives its operation; throws a one-line CovetError for bad input. */
  build(...params: Params): Args;
  /** The code of the `op.<kind>(...)` call that rebuilds `args` (a tree from `codeTree`). */
  write(args: Args): WrittenOperation;
};

/**
 * Declares a built-in kind: `defineBuiltin<Args>()({ kind, validate, ..., build, write })`,
 * typed with the definition as written (its `build` parameters, its `sql.default` if any).
 */
export function defineBuiltin<Args>() {
  return <Definition extends BuiltinDefinition<Args, never[]>>(definition: Definition): Definition =>
    defineOperation(definition as OperationDefinition<Args>) as Definition;
}
