import { readFileSync } from 'node:fs';
import Module, { SourceMap, type SourceMapPayload } from 'node:module';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileFunction } from 'node:vm';
import { dynamicImport } from '../dynamic-import.js';
import { CovetError, isCovetError } from '../errors/covet-error.js';
import { PLAIN_PARAMETERS, plainCommonJs } from './plain-module.js';

type ModuleInternals = typeof Module & {
  _nodeModulePaths(directory: string): string[];
};
type ModuleInstance = Module & { _compile(code: string, filename: string): void; paths: string[] };

/** A file compiled without esbuild (see plain-module.ts): its function, called to evaluate it. */
type PlainModule = (...args: unknown[]) => void;

/**
 * The file compiled as plain CommonJS (see plainCommonJs), or undefined when it needs esbuild:
 * TypeScript syntax, relative imports and the rest plainCommonJs leaves out. V8's syntax error
 * only says so; esbuild then compiles the file and reports what is wrong in it.
 */
function compilePlain(file: string): PlainModule | undefined {
  const extension = extname(file);
  if (extension === '.mjs' || extension === '.mts') return undefined;
  let body: string | undefined;
  try {
    body = plainCommonJs(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
  } catch {
    return undefined;
  }
  if (body === undefined) return undefined;
  try {
    return compileFunction(body, [...PLAIN_PARAMETERS], { filename: file }) as PlainModule;
  } catch {
    return undefined;
  }
}

/**
 * Evaluates a plainly compiled file as Node would a CommonJS module of that path (its
 * `require` resolves from its folder; one per folder), and returns its exports.
 */
function evaluatePlain(file: string, compiled: PlainModule, requires: Map<string, NodeJS.Require>): unknown {
  const directory = dirname(file);
  let require = requires.get(directory);
  if (!require) requires.set(directory, (require = memoizedRequire(Module.createRequire(file))));
  const module = new Module(file) as ModuleInstance;
  module.filename = file;
  const exports = module.exports as Record<string, unknown>;
  // As esbuild marks an ES module compiled to CommonJS (default imports of it take `default`).
  Object.defineProperty(exports, '__esModule', { value: true });
  compiled.call(exports, exports, require, module, file, directory, exports);
  module.loaded = true;
  return module.exports;
}

/**
 * `require` that answers a request it has answered before without resolving it again. Node
 * caches the modules but not, for a package with an `exports` map, the resolution of its name
 * (Module._findPath returns such a path without remembering it): without this, each of 500
 * migrations importing `@covet/core` stats and reads package.json files again (≈ 25 ms).
 * Only for the files of one folder, which resolve a name alike.
 */
function memoized(require: (id: string) => unknown): (id: string) => unknown {
  const answers = new Map<string, unknown>();
  return (id: string) => {
    if (answers.has(id)) return answers.get(id);
    const value = require(id);
    answers.set(id, value);
    return value;
  };
}

/** {@link memoized} for a module's whole `require` (resolve, cache and the rest kept). */
function memoizedRequire(require: NodeJS.Require): NodeJS.Require {
  return Object.assign(memoized(require), { resolve: require.resolve, main: require.main, extensions: require.extensions, cache: require.cache }) as NodeJS.Require;
}

/** `file:line:column` of the innermost frame of `error` in `file`, if its stack has one. */
function frameIn(error: unknown, file: string): string | undefined {
  const stack = error instanceof Error ? error.stack : undefined;
  if (stack === undefined) return undefined;
  const frame = new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+):(\\d+)`).exec(stack);
  return frame ? `${file}:${frame[1]}:${frame[2]}` : undefined;
}

/**
 * Evaluates TypeScript or JavaScript `files`, returning each file's exports in order. A file
 * that is plain JavaScript but for its imports of packages and its `export default` (what
 * @covet/writer-ts writes, most configs) is compiled by V8 without esbuild (see
 * plain-module.ts). The others (and the relative files they import) are compiled into one
 * CommonJS bundle with esbuild. Packages (`@covet/core`, plugins) stay external and load
 * through Node's own resolution from the file's folder (the bundle's: `baseDirectory`), so
 * one transform serves a whole run however many files there are.
 *
 * Errors name the file at fault.
 */
export async function importModules(files: readonly string[], baseDirectory: string): Promise<unknown[]> {
  if (files.length === 0) return [];
  const jsonFiles = new Map<number, unknown>();
  files.forEach((file, index) => {
    if (extname(file) === '.json') jsonFiles.set(index, readJson(file));
  });
  const plain = new Map<number, PlainModule>();
  files.forEach((file, index) => {
    if (jsonFiles.has(index)) return;
    const compiled = compilePlain(file);
    if (compiled) plain.set(index, compiled);
  });
  const results: unknown[] = new Array(files.length);
  for (const [index, value] of jsonFiles) results[index] = value;
  const bundled = files.map((file, index) => ({ file, index })).filter(({ index }) => !jsonFiles.has(index) && !plain.has(index));
  const loaders = bundled.length > 0 ? await bundle(bundled, baseDirectory) : new Map<number, () => unknown>();
  // In the order given, as the bundle alone evaluated them.
  const requires = new Map<string, NodeJS.Require>();
  for (const [index, file] of files.entries()) {
    const compiled = plain.get(index);
    if (compiled) {
      try {
        results[index] = evaluatePlain(file, compiled, requires);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new CovetError('MODULE_INVALID', `${message.split('\n')[0]} (${frameIn(error, file) ?? file})`, {
          cause: error,
          ...(isCovetError(error) && error.hint ? { hint: error.hint } : {}),
        });
      }
    } else {
      const load = loaders.get(index);
      if (load) results[index] = await load();
    }
  }
  return results;
}

/**
 * `codeFiles` (and the relative files they import) compiled into one CommonJS bundle with
 * esbuild and evaluated: a function per file (by its index) that returns its exports, naming
 * the file:line:column of an error thrown while it loads.
 */
async function bundle(codeFiles: readonly { file: string; index: number }[], baseDirectory: string): Promise<Map<number, () => Promise<unknown>>> {

  const { build } = await dynamicImport<typeof import('esbuild')>('esbuild');
  const entry = codeFiles
    .map(({ file }, position) => `exports[${position}] = () => require(${JSON.stringify(file)});`)
    .join('\n');
  let code: string;
  const buildOptions = {
    stdin: { contents: entry, resolveDir: baseDirectory, sourcefile: 'covet-entry.js', loader: 'js' as const },
    // Error locations are relative to it, and joined to it below.
    absWorkingDir: baseDirectory,
    bundle: true,
    packages: 'external' as const,
    platform: 'node' as const,
    format: 'cjs' as const,
    target: 'node20',
    write: false,
    logLevel: 'silent' as const,
    sourcemap: false,
    supported: { 'dynamic-import': true },
  } satisfies Parameters<typeof build>[0];
  try {
    const output = await build(buildOptions);
    code = output.outputFiles[0]!.text;
  } catch (error) {
    const first = (error as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors?.[0];
    const where = first?.location ? `${join(baseDirectory, first.location.file)}:${first.location.line}` : codeFiles[0]!.file;
    throw new CovetError('MODULE_INVALID', `${first?.text ?? String(error)} (${where})`, { cause: error });
  }
  const filename = join(baseDirectory, '__covet_bundle__.cjs');
  const module = new Module(filename) as ModuleInstance;
  module.filename = filename;
  module.paths = (Module as ModuleInternals)._nodeModulePaths(baseDirectory);
  // The bundle's require (each file's imports of packages) through the same memo.
  module.require = memoized((id: string) => Module.prototype.require.call(module, id) as unknown) as NodeJS.Require;
  try {
    module._compile(code, filename);
  } catch (error) {
    throw new CovetError('MODULE_INVALID', `Could not evaluate modules: ${(error as Error).message} (${baseDirectory})`, { cause: error });
  }
  const loaders = module.exports as (() => unknown)[];
  const result = new Map<number, () => Promise<unknown>>();
  for (const [position, { file, index }] of codeFiles.entries()) {
    result.set(index, async () => {
      try {
        return loaders[position]!();
      } catch (error) {
        // Where in the user's file it went wrong (file:line:column), and the hint of a Covet error.
        const where = (await sourceLocation(error, filename, () => build({ ...buildOptions, sourcemap: 'external', outfile: filename }), baseDirectory)) ?? file;
        const message = error instanceof Error ? error.message : String(error);
        throw new CovetError('MODULE_INVALID', `${message.split('\n')[0]} (${where})`, {
          cause: error,
          ...(isCovetError(error) && error.hint ? { hint: error.hint } : {}),
        });
      }
    });
  }
  return result;
}

/**
 * The `file:line:column` in a user's source of the innermost frame of `error` in the bundle.
 * The bundle is built without a source map (it costs time on every run); after a failure the
 * same build is made again with one, so only errors pay for it. Undefined when the stack has
 * no frame in the bundle or the map has no entry for it.
 */
async function sourceLocation(
  error: unknown,
  bundleFile: string,
  rebuild: () => Promise<{ outputFiles?: { path: string; text: string }[] }>,
  baseDirectory: string,
): Promise<string | undefined> {
  const stack = error instanceof Error ? error.stack : undefined;
  const frame = stack === undefined ? null : new RegExp(`${basename(bundleFile).replace(/[.]/g, '\\.')}:(\\d+):(\\d+)`).exec(stack);
  if (!frame) return undefined;
  try {
    const output = await rebuild();
    const map = output.outputFiles?.find((outputFile) => outputFile.path.endsWith('.map'));
    if (!map) return undefined;
    const entry = new SourceMap(JSON.parse(map.text) as SourceMapPayload).findEntry(Number(frame[1]) - 1, Number(frame[2]) - 1);
    if (!('originalSource' in entry) || !entry.originalSource) return undefined;
    const source = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : resolve(baseDirectory, entry.originalSource);
    return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  } catch {
    return undefined;
  }
}

/** Imports one TypeScript, JavaScript or JSON module. */
export async function importModule(file: string): Promise<unknown> {
  const [result] = await importModules([file], dirname(file));
  return result;
}

/** The default export of a module namespace (or the namespace itself when it has none). */
export function defaultExport(namespace: unknown): unknown {
  if (typeof namespace === 'object' && namespace !== null && 'default' in namespace) {
    return (namespace as { default: unknown }).default;
  }
  return namespace;
}

function readJson(file: string): unknown {
  try {
    return { default: JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, '')) };
  } catch (error) {
    throw new CovetError('MODULE_INVALID', `Invalid JSON: ${(error as Error).message} (${file})`, { cause: error });
  }
}
