/**
 * `import()`, from a module of its own. The covet binary compiles CommonJS modules with V8's
 * code cache, which a module calling `import()` cannot use on Node 20 (see
 * packages/cli/bin/compile-cache.cjs), so core's larger modules import through this one (not a public export).
 * A bare specifier resolves from @covet/core's folder, as it would in the caller.
 */
export function dynamicImport<T>(specifier: string): Promise<T> {
  return import(specifier) as Promise<T>;
}
