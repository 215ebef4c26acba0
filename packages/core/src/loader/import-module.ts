import { readFileSync } from 'node:fs';
import Module, { SourceMap, type SourceMapPayload } from 'node:module';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dynamicImport } from '../dynamic-import.js';
import { CovetError, isCovetError } from '../errors/covet-error.js';

type ModuleInternals = typeof Module & {
  _nodeModulePaths(directory: string): string[];
};
type ModuleInstance = Module & { _compile(code: string, filename: string): void; paths: string[] };

/**
 * Compiles TypeScript or JavaScript `files` (and the relative files they import) into one
 * CommonJS bundle with esbuild and evaluates it, returning each file's exports in order.
 * Packages (`@covet/core`, plugins) stay external and load through Node's own resolution
 * from `baseDirectory`, so one transform serves a whole run however many files there are.
 *
 * Errors name the file at fault.
 */
export async function importModules(files: readonly string[], baseDirectory: string): Promise<unknown[]> {
  if (files.length === 0) return [];
  const jsonFiles = new Map<number, unknown>();
  files.forEach((file, index) => {
    if (extname(file) === '.json') jsonFiles.set(index, readJson(file));
  });
  const codeFiles = files.map((file, index) => ({ file, index })).filter(({ index }) => !jsonFiles.has(index));
  const results: unknown[] = new Array(files.length);
  for (const [index, value] of jsonFiles) results[index] = value;
  if (codeFiles.length === 0) return results;

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
  try {
    module._compile(code, filename);
  } catch (error) {
    throw new CovetError('MODULE_INVALID', `Could not evaluate modules: ${(error as Error).message} (${baseDirectory})`, { cause: error });
  }
  const loaders = module.exports as (() => unknown)[];
  for (const [position, { file, index }] of codeFiles.entries()) {
    try {
      results[index] = loaders[position]!();
    } catch (error) {
      // Where in the user's file it went wrong (file:line:column), and the hint of a Covet error.
      const where = (await sourceLocation(error, filename, () => build({ ...buildOptions, sourcemap: 'external', outfile: filename }), baseDirectory)) ?? file;
      const message = error instanceof Error ? error.message : String(error);
      throw new CovetError('MODULE_INVALID', `${message.split('\n')[0]} (${where})`, {
        cause: error,
        ...(isCovetError(error) && error.hint ? { hint: error.hint } : {}),
      });
    }
  }
  return results;
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
