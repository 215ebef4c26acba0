import { pathToFileURL } from 'node:url';

// The CLI's import() calls, in a module of their own: the covet binary compiles CommonJS
// modules with V8's code cache, which a module calling import() cannot use on Node 20 (see
// bin/compile-cache.cjs), so the bundles import through this one.

/** Imports a file as an ES module (a plugin with only an `import` entry, or top-level await). */
export function importFile(file: string): Promise<unknown> {
  return import(pathToFileURL(file).href);
}

/** @clack/prompts (an ES module), for makemigrations' questions. */
export function importPrompts(): Promise<typeof import('@clack/prompts')> {
  return import('@clack/prompts');
}
