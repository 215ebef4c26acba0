'use strict';
// V8's code cache for the CommonJS modules the covet binary loads (@covet/*, dialects, their
// drivers), so a command does not parse and compile them again on every start. Node 22.1+
// has this built in (module.enableCompileCache), and that is used where it exists; on Node 20
// this file does the same for CommonJS files, the way Node itself compiled modules before
// vm.compileFunction: the module wrapper as a vm.Script, given the cached data.
//
// The cached data of a module is taken when the process exits, so it holds the functions the
// command ran (compiled lazily) as well as the top level. Taking it costs more than the cache
// saves a single run (about a sixth of a first run's time), so the first run in a place only
// creates the cache's folder, and the data is written by a later run there: a fresh container
// that runs covet once pays nothing for a cache it would never read. It is written once per module file
// and used while the file is unchanged: its size, modification time, change time, inode and
// device must all match (a bigint stat, as git's index does). V8 checks its own version and
// flags and rejects data it cannot use; the module is then compiled as usual and the data
// written again. Any failure here leaves Node's own loading in place.
const Module = require('node:module');
const { Script } = require('node:vm');
const { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { basename, dirname, join, sep } = require('node:path');

const FORMAT = 'covet-v8-1';
/**
 * Which files are cached: installed packages (under node_modules) and the packages beside
 * @covet/cli (a workspace checkout of Covet). A project's own files are left to Node: a
 * require hook (a transpiler) may compile different text from an unchanged file.
 */
const NODE_MODULES = `${sep}node_modules${sep}`;
const PACKAGES = dirname(dirname(__dirname)) + sep;
const defaultInclude = (filename) => filename.includes(NODE_MODULES) || filename.startsWith(PACKAGES);

/** An import() call, or text that could be one (a comment, a string): such files are not cached. */
const DYNAMIC_IMPORT = /\bimport\s*\(/;

/** The nearest `node_modules/.cache/covet` above `start` (as Covet's other caches), else the temp folder. */
function cacheRoot(start) {
  let directory = start;
  for (;;) {
    if (existsSync(join(directory, 'node_modules'))) return join(directory, 'node_modules', '.cache', 'covet');
    const parent = dirname(directory);
    if (parent === directory) return join(require('node:os').tmpdir(), 'covet-cache');
    directory = parent;
  }
}

/** What identifies a file's content without reading it (see the header comment). */
function signature(file) {
  const stat = statSync(file, { bigint: true });
  return `${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}:${stat.ino}:${stat.dev}`;
}

/** FNV-1a of a path, for a short file name; the full path is checked in the data file's header. */
function pathKey(text) {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36);
}

/** `{ file, signature }` as one JSON line, then V8's data. */
function readEntry(entryFile, file, fileSignature) {
  let bytes;
  try {
    bytes = readFileSync(entryFile);
  } catch {
    return undefined;
  }
  const end = bytes.indexOf(0x0a);
  if (end === -1) return undefined;
  try {
    const header = JSON.parse(bytes.toString('utf8', 0, end));
    if (header.format !== FORMAT || header.file !== file || header.signature !== fileSignature) return undefined;
  } catch {
    return undefined;
  }
  return bytes.subarray(end + 1);
}

/** The `require` Node gives a module (lib/internal/modules/helpers.js makeRequireFunction). */
function makeRequire(module) {
  const require = (id) => module.require(id);
  require.resolve = (request, options) => Module._resolveFilename(request, module, false, options);
  require.resolve.paths = (request) => Module._resolveLookupPaths(request, module);
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}

/**
 * Compiles the CommonJS modules loaded from now on with V8's code cache kept in `directory`
 * (default: `<cache root>/v8-<node version>-<arch>`): Node's own where it has one, else the
 * hook below. `COVET_COMPILE_CACHE=0` turns it off. True when a cache is in use.
 */
function enableCompileCache(options = {}) {
  if (process.env.COVET_COMPILE_CACHE === '0') return false;
  const directory = options.directory ?? join(cacheRoot(process.cwd()), `v8-${process.version}-${process.arch}`);
  if (typeof Module.enableCompileCache === 'function') {
    Module.enableCompileCache(directory);
    return true;
  }
  return installCompileCacheHook({ directory }) !== undefined;
}

/**
 * The hook: compiles CommonJS `.js`/`.cjs` files (those `include` accepts) through a vm.Script
 * with the cached data of their last compile, and writes the data of those compiled afresh
 * when the process exits.
 * Returns what it did so far (`cached`: files taken from the cache, `compiled`: compiled
 * afresh), or undefined where Node's own compile does more than compile (a debugger waiting
 * on the first line, source maps, policies, permissions) and stays in charge.
 */
function installCompileCacheHook({ directory, include = defaultInclude }) {
  const flags = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
  if (process.sourceMapsEnabled || /--inspect|--debug|--experimental-policy|--enable-source-maps|--experimental-permission/.test(flags)) return undefined;

  const compile = Module.prototype._compile;
  const stats = { cached: [], compiled: [] };
  // No folder yet: the first run here (see the header comment) writes no data, only the folder.
  const writeData = existsSync(directory);
  const fresh = [];
  Module.prototype._compile = function compileWithCache(content, filename) {
    // import() needs the loader hook Node gives the modules it compiles itself; a vm.Script
    // only gets one behind --experimental-vm-modules. Such modules (few: the big ones keep
    // their import() calls in a file of their own) are left to Node.
    if (!(filename.endsWith('.js') || filename.endsWith('.cjs')) || !include(filename) || DYNAMIC_IMPORT.test(content)) {
      return compile.call(this, content, filename);
    }
    let script;
    try {
      const fileSignature = signature(filename);
      const file = join(directory, `${pathKey(filename)}-${basename(filename)}.bin`);
      const cachedData = readEntry(file, filename, fileSignature);
      // Module.wrap: the wrapper Node used before vm.compileFunction (line numbers are kept).
      script = new Script(Module.wrap(content.startsWith('#!') ? `//${content}` : content), {
        filename,
        ...(cachedData ? { cachedData } : {}),
      });
      if (cachedData && !script.cachedDataRejected) {
        stats.cached.push(filename);
      } else {
        stats.compiled.push(filename);
        fresh.push({ file, filename, fileSignature, script });
      }
    } catch {
      // Unreadable, or not a script (a syntax error): Node compiles it, and reports.
      return compile.call(this, content, filename);
    }
    const wrapper = script.runInThisContext({ displayErrors: true });
    return wrapper.call(this.exports, this.exports, makeRequire(this), this, filename, dirname(filename));
  };
  process.once('exit', () => {
    if (fresh.length === 0) return;
    try {
      mkdirSync(directory, { recursive: true });
      if (!writeData) return;
      for (const { file, filename, fileSignature, script } of fresh) {
        const header = Buffer.from(`${JSON.stringify({ format: FORMAT, file: filename, signature: fileSignature })}\n`);
        const temporary = `${file}.${process.pid}.tmp`;
        writeFileSync(temporary, Buffer.concat([header, script.createCachedData()]));
        renameSync(temporary, file);
      }
    } catch {
      // A folder that cannot be written: the next start compiles again.
    }
  });
  return stats;
}

module.exports = { enableCompileCache, installCompileCacheHook };
