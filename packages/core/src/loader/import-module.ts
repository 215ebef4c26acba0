import { readFileSync } from 'node:fs';
import Module from 'node:module';
import { dirname, extname, join } from 'node:path';
import { dynamicImport } from '../dynamic-import.js';
import { CovetError } from '../errors/covet-error.js';

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
  try {
    const output = await build({
      stdin: { contents: entry, resolveDir: baseDirectory, sourcefile: 'covet-entry.js', loader: 'js' },
      // Error locations are relative to it, and joined to it below.
      absWorkingDir: baseDirectory,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      write: false,
      logLevel: 'silent',
      sourcemap: false,
      supported: { 'dynamic-import': true },
    });
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
  codeFiles.forEach(({ file, index }, position) => {
    try {
      results[index] = loaders[position]!();
    } catch (error) {
      throw new CovetError('MODULE_INVALID', `${(error as Error).message.split('\n')[0]} (${file})`, { cause: error });
    }
  });
  return results;
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
