'use strict';
// Resolving a package name by its `exports` map without Node's ES module resolver. Node's
// CommonJS loader resolves `require('@covet/core')` through `exports` with the ES module
// resolver (lib/internal/modules/esm/resolve.js: four more internal modules to compile, and a
// first call that compiles its regular expressions), and does not remember the answer
// (Module._findPath caches every resolution but those). That was 5% of a no-op `covet migrate`
// in a fresh container; a bare node process that requires a file by its path pays none of it.
//
// The hook below answers the simple, common case itself: a package folder found in one of the
// `node_modules` folders Node would search, whose `exports` maps the requested subpath exactly
// (no `*` pattern) to a relative file, directly or through conditions Node matches for
// `require` (`require`, `node`, `node-addons`, `default`, in the map's order). The file is
// given as Node gives it (its real path), and remembered in Node's own path cache. Anything
// else (no package.json, no `exports`, a pattern, an array, a target outside the package, a
// file that is missing, `--conditions`, `--preserve-symlinks`) is left to Node, which then
// resolves (or reports) it as always. test/package-resolve.test.ts compares its answers with
// Node's.
const Module = require('node:module');
const { readFileSync, realpathSync, statSync } = require('node:fs');
const { isAbsolute, join, resolve, sep } = require('node:path');

const CONDITIONS = new Set(['require', 'node', 'node-addons', 'default']);
// The package name and the subpath of a request, as Node's EXPORTS_PATTERN splits them.
const EXPORTS_PATTERN = /^((?:@[^/\\%]+\/)?[^./\\%][^/\\%]*)(\/.*)?$/;
// A target this answers: `./` then plain path segments (no `%`, `*`, backslash or empty
// segment), none of them `.`, `..` or `node_modules`, which Node refuses.
const PLAIN_TARGET = /^\.\/[\w@$+~-][\w.@$+~-]*(?:\/[\w@$+~-][\w.@$+~-]*)*$/;
const REFUSED_SEGMENT = /(?:^|\/)(?:\.\.?|node_modules)(?:\/|$)/i;

/** Whether `path` is an existing file, folder, or neither (`'file'`, `'dir'`, undefined). */
function kind(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat === undefined ? undefined : stat.isDirectory() ? 'dir' : 'file';
}

/** The target of an `exports` entry under the require conditions; undefined when this does not decide it. */
function conditionTarget(entry) {
  if (typeof entry === 'string') return entry;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return undefined;
  for (const key of Object.keys(entry)) {
    // A subpath key where a condition belongs is an error Node reports: left to Node.
    if (key.startsWith('.') || /^\d+$/.test(key)) return undefined;
    if (!CONDITIONS.has(key)) continue;
    const value = entry[key];
    // A null target, or a nested object whose conditions all miss, makes Node go on to the
    // next key or fail: left to Node either way.
    return typeof value === 'string' ? value : typeof value === 'object' && value !== null && !Array.isArray(value) ? conditionTarget(value) : undefined;
  }
  return undefined;
}

/** The relative target `exports` gives `subpath` (`.` or `./x`), or undefined when Node must decide. */
function exportTarget(exports, subpath) {
  if (typeof exports === 'string' || Array.isArray(exports)) return subpath === '.' ? conditionTarget(exports) : undefined;
  if (typeof exports !== 'object' || exports === null) return undefined;
  const keys = Object.keys(exports);
  const subpaths = keys.filter((key) => key.startsWith('.'));
  if (subpaths.length === 0) return subpath === '.' ? conditionTarget(exports) : undefined;
  if (subpaths.length !== keys.length || !Object.hasOwn(exports, subpath)) return undefined;
  return conditionTarget(exports[subpath]);
}

/**
 * The file Node's `Module._findPath(request, paths)` gives a bare `request` whose package maps
 * it through `exports`, or undefined when this cannot tell with certainty (Node then decides).
 */
function resolvePackageExport(request, paths) {
  const match = EXPORTS_PATTERN.exec(request);
  if (match === null) return undefined;
  const name = match[1];
  const subpath = `.${match[2] ?? ''}`;
  for (const folder of paths) {
    // Node skips a node_modules folder that does not exist.
    if (kind(folder) === undefined) continue;
    const packageDir = resolve(folder, name);
    let manifest;
    try {
      manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
    } catch (error) {
      // Nothing of that name here at all (not a folder, nor name.js, .json or .node): Node goes on too.
      if (error.code === 'ENOENT' && kind(packageDir) === undefined && ['.js', '.json', '.node'].every((extension) => kind(packageDir + extension) === undefined)) continue;
      return undefined;
    }
    if (typeof manifest !== 'object' || manifest === null || manifest.exports === undefined || manifest.exports === null) return undefined;
    const target = exportTarget(manifest.exports, subpath);
    if (typeof target !== 'string' || !PLAIN_TARGET.test(target) || REFUSED_SEGMENT.test(target.slice(2))) return undefined;
    const file = resolve(packageDir, target);
    if (!file.startsWith(packageDir + sep) || kind(file) !== 'file') return undefined;
    return realpathSync(file);
  }
  return undefined;
}

/**
 * Installs the hook on Module._findPath (see the header comment). Returns false, leaving Node
 * alone, where Node resolves differently: `--conditions`/`-C`, `--preserve-symlinks`, policies.
 */
function installPackageResolve() {
  const flags = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
  if (/(^|\s)(--conditions|-C|--preserve-symlinks|--experimental-policy|--experimental-permission|--experimental-default-type)/.test(flags)) return false;
  const findPath = Module._findPath;
  if (typeof findPath !== 'function' || typeof Module._pathCache !== 'object') return false;
  Module._findPath = function findPackagePath(request, paths, isMain) {
    if (!isMain && Array.isArray(paths) && paths.length > 0 && typeof request === 'string' && request[0] !== '.' && !isAbsolute(request) && !request.startsWith('node:')) {
      const key = `${request}\x00${paths.join('\x00')}`;
      const known = Module._pathCache[key];
      if (known) return known;
      let file;
      try {
        file = resolvePackageExport(request, paths);
      } catch {
        file = undefined;
      }
      if (file !== undefined) {
        Module._pathCache[key] = file;
        return file;
      }
    }
    return findPath.call(this, request, paths, isMain);
  };
  return true;
}

module.exports = { installPackageResolve, resolvePackageExport };
