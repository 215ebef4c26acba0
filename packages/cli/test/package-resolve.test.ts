// bin/package-resolve.cjs answers `require('name')` through the package's `exports` without
// Node's ES module resolver, only where it is certain; every answer it gives must be Node's.
import { mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TMP_ROOT } from './helpers.js';

const require = createRequire(import.meta.url);
const { resolvePackageExport } = require('../bin/package-resolve.cjs') as {
  resolvePackageExport(request: string, paths: readonly string[]): string | undefined;
};
const nodeFindPath = (Module as unknown as { _findPath(request: string, paths: readonly string[], isMain: boolean): string | false })._findPath;
const nodeModulePaths = (Module as unknown as { _nodeModulePaths(from: string): string[] })._nodeModulePaths;

const root = join(TMP_ROOT, `package-resolve-${process.pid}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

function pkg(name: string, manifest: Record<string, unknown>, files: readonly string[], under = join(root, 'node_modules')): string {
  const dir = join(under, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', ...manifest }));
  for (const file of files) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), 'module.exports = 1;\n');
  }
  return dir;
}

/** What Node's own Module._findPath gives, or the error code it throws. */
function node(request: string, paths: readonly string[]): string | false {
  try {
    return nodeFindPath(request, paths, false);
  } catch (error) {
    return `error ${(error as NodeJS.ErrnoException).code}` as unknown as string;
  }
}

describe('package-resolve (bin)', () => {
  mkdirSync(join(root, 'app', 'src'), { recursive: true });
  pkg('plain-string', { exports: './lib/main.cjs' }, ['lib/main.cjs']);
  pkg('conditions', { exports: { '.': { types: './x.d.ts', import: './esm/index.js', require: './cjs/index.cjs', default: './esm/index.js' }, './sub': { node: './node/sub.cjs', default: './sub.js' }, './package.json': './package.json' } }, ['esm/index.js', 'cjs/index.cjs', 'node/sub.cjs', 'sub.js']);
  pkg('@scope/lib', { exports: { '.': { default: { require: './r.cjs', default: './d.js' } }, './dialect': './dialect.cjs' } }, ['r.cjs', 'd.js', 'dialect.cjs']);
  pkg('sugar', { exports: { require: './s.cjs', import: './s.mjs' } }, ['s.cjs', 's.mjs']);
  pkg('no-exports', { main: './main.js' }, ['main.js']);
  pkg('pattern', { exports: { './*': './lib/*.js' } }, ['lib/a.js']);
  pkg('array', { exports: ['./a.cjs'] }, ['a.cjs']);
  pkg('import-only', { exports: { '.': { import: './i.mjs' } } }, ['i.mjs']);
  pkg('outside', { exports: { '.': './../plain-string/lib/main.cjs' } }, []);
  pkg('missing-file', { exports: './gone.cjs' }, []);
  pkg('null-target', { exports: { '.': { require: null, default: './d.cjs' } } }, ['d.cjs']);
  // A package linked from elsewhere (pnpm, a workspace): Node gives the real path.
  const real = pkg('linked-real', { exports: { '.': './index.cjs' } }, ['index.cjs'], join(root, 'store'));
  symlinkSync(real, join(root, 'node_modules', 'linked'), 'dir');
  // Nearer node_modules folders that do not have the package, and one that has another version.
  mkdirSync(join(root, 'app', 'node_modules'), { recursive: true });
  pkg('conditions', { exports: { '.': './nearer.cjs' } }, ['nearer.cjs'], join(root, 'app', 'src', 'node_modules'));

  const paths = nodeModulePaths(join(root, 'app', 'src'));
  const requests = [
    'plain-string',
    'conditions',
    'conditions/sub',
    'conditions/package.json',
    'conditions/nope',
    '@scope/lib',
    '@scope/lib/dialect',
    'sugar',
    'sugar/x',
    'no-exports',
    'pattern/a',
    'array',
    'import-only',
    'outside',
    'missing-file',
    'null-target',
    'linked',
    'not-installed',
  ];

  it.each(requests)('%s: the same file as Node, or left to Node', (request) => {
    const answer = resolvePackageExport(request, paths);
    if (answer !== undefined) expect(answer).toBe(node(request, paths));
  });

  it('answers the plain cases itself (else it saves nothing), and leaves the rest to Node', () => {
    const answered = requests.filter((request) => resolvePackageExport(request, paths) !== undefined);
    expect(answered).toEqual(['plain-string', 'conditions', '@scope/lib', '@scope/lib/dialect', 'sugar', 'linked']);
    expect(resolvePackageExport('conditions', paths)).toBe(realpathSync(join(root, 'app', 'src', 'node_modules', 'conditions', 'nearer.cjs')));
    expect(resolvePackageExport('linked', paths)).toBe(realpathSync(join(real, 'index.cjs')));
    // From a folder without the nearer copy, the `require` condition of the other.
    const outer = nodeModulePaths(join(root, 'app'));
    expect(resolvePackageExport('conditions', outer)).toBe(join(realpathSync(root), 'node_modules', 'conditions', 'cjs', 'index.cjs'));
    expect(resolvePackageExport('conditions/sub', outer)).toBe(node('conditions/sub', outer));
    expect(resolvePackageExport('conditions/package.json', outer)).toBe(node('conditions/package.json', outer));
  });

  it('the binary resolves @covet/core and the dialect through it, to the files Node would load', () => {
    const cliPaths = nodeModulePaths(join(import.meta.dirname, '..', 'dist'));
    for (const request of ['@covet/core', '@covet/core/dialect', '@covet/dialect-sqlite']) {
      const answer = resolvePackageExport(request, cliPaths);
      expect(answer, request).toBeDefined();
      expect(answer).toBe(node(request, cliPaths));
    }
  });
});
