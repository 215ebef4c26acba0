// The covet binary compiles CommonJS modules with V8's code cache (bin/compile-cache.cjs).
// These tests run the hook in child processes on small modules: taken from the cache while
// a file is unchanged, compiled again when it changes (even to the same size and time), a
// module calling import() left to Node, a corrupt cache file ignored, and the binary itself
// printing the same with and without the cache.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, CLI_ROOT, TMP_ROOT, cleanEnv } from './helpers.js';

const HOOK = join(CLI_ROOT, 'bin', 'compile-cache.cjs');
const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function scratch(name: string): string {
  const folder = join(TMP_ROOT, `compile-cache-${name}-${process.pid}`);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  folders.push(folder);
  return folder;
}

interface HookRun {
  readonly value: unknown;
  readonly cached: string[];
  readonly compiled: string[];
}

/** Runs main.cjs of `folder` in a child process: the hook on, then `require('./mod.cjs')`. */
function runHook(folder: string, env: Record<string, string> = {}): HookRun {
  writeFileSync(
    join(folder, 'main.cjs'),
    `const stats = require(${JSON.stringify(HOOK)}).installCompileCacheHook({ directory: ${JSON.stringify(join(folder, 'cache'))} });
Promise.resolve(require('./mod.cjs')).then((value) => {
  const names = (files) => files.map((file) => require('node:path').basename(file));
  process.stdout.write(JSON.stringify({ value, cached: names(stats.cached), compiled: names(stats.compiled) }));
});
`,
  );
  const result = spawnSync(process.execPath, [join(folder, 'main.cjs')], { cwd: folder, env: cleanEnv(env), encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as HookRun;
}

describe('compile cache (bin/compile-cache.cjs)', () => {
  it('takes an unchanged module from the cache, and compiles a changed one again even at the same size and time', () => {
    const folder = scratch('change');
    const module = join(folder, 'mod.cjs');
    writeFileSync(module, "module.exports = require('./lib.cjs').word + ' one';\n");
    writeFileSync(join(folder, 'lib.cjs'), "exports.word = 'module';\n");

    // The first run in a place writes no data (a fresh container may never run again), only the folder.
    expect(runHook(folder)).toEqual({ value: 'module one', cached: [], compiled: ['mod.cjs', 'lib.cjs'] });
    expect(readdirSync(join(folder, 'cache'))).toEqual([]);
    expect(runHook(folder)).toEqual({ value: 'module one', cached: [], compiled: ['mod.cjs', 'lib.cjs'] });
    const entries = readdirSync(join(folder, 'cache'));
    expect(entries).toHaveLength(2);
    expect(entries).toEqual(expect.arrayContaining([expect.stringMatching(/-lib\.cjs\.bin$/), expect.stringMatching(/-mod\.cjs\.bin$/)]));
    expect(runHook(folder)).toEqual({ value: 'module one', cached: ['mod.cjs', 'lib.cjs'], compiled: [] });

    // Same length, and the old modification time put back to the nanosecond (touch -r): the
    // change time still differs.
    const reference = join(folder, 'reference');
    writeFileSync(reference, '');
    expect(spawnSync('touch', ['-r', module, reference]).status).toBe(0);
    writeFileSync(module, "module.exports = require('./lib.cjs').word + ' two';\n");
    expect(spawnSync('touch', ['-r', reference, module]).status).toBe(0);
    expect(statSync(module, { bigint: true }).mtimeNs).toBe(statSync(reference, { bigint: true }).mtimeNs);
    expect(runHook(folder)).toEqual({ value: 'module two', cached: ['lib.cjs'], compiled: ['mod.cjs'] });
    expect(runHook(folder)).toEqual({ value: 'module two', cached: ['mod.cjs', 'lib.cjs'], compiled: [] });
  });

  it('leaves a module that calls import() to Node, and its import works', () => {
    const folder = scratch('import');
    writeFileSync(join(folder, 'esm.mjs'), "export default 'from an ES module';\n");
    writeFileSync(join(folder, 'mod.cjs'), "module.exports = import('./esm.mjs').then((namespace) => namespace.default);\n");
    for (let run = 0; run < 2; run++) {
      expect(runHook(folder)).toEqual({ value: 'from an ES module', cached: [], compiled: [] });
    }
  });

  it("leaves a project's own files (outside node_modules and Covet's packages) to Node", () => {
    const folder = mkdtempSync(join(tmpdir(), 'covet-compile-cache-'));
    folders.push(folder);
    writeFileSync(join(folder, 'mod.cjs'), "module.exports = 'own file';\n");
    expect(runHook(folder)).toEqual({ value: 'own file', cached: [], compiled: [] });
    expect(existsSync(join(folder, 'cache'))).toBe(false);
  });

  it('ignores a corrupt or foreign cache file and writes it again', () => {
    const folder = scratch('corrupt');
    writeFileSync(join(folder, 'mod.cjs'), 'module.exports = 42;\n');
    runHook(folder);
    runHook(folder);
    const [entry] = readdirSync(join(folder, 'cache'));
    for (const junk of ['not a header', `${JSON.stringify({ format: 'covet-v8-1', file: join(folder, 'mod.cjs'), signature: 'other' })}\ngarbage`, '{"format":"covet-v8-1"}\n\u0000\u0001']) {
      writeFileSync(join(folder, 'cache', entry!), junk);
      expect(runHook(folder)).toEqual({ value: 42, cached: [], compiled: ['mod.cjs'] });
      expect(runHook(folder)).toEqual({ value: 42, cached: ['mod.cjs'], compiled: [] });
    }
  });

  it('the covet binary prints the same from the cache, and COVET_COMPILE_CACHE=0 turns it off', () => {
    const folder = scratch('binary');
    // The cache goes to the nearest node_modules/.cache/covet.
    mkdirSync(join(folder, 'node_modules'));
    const cache = join(folder, 'node_modules', '.cache', 'covet', `v8-${process.version}-${process.arch}`);
    const run = (env: Record<string, string> = {}) => spawnSync(process.execPath, [BIN, 'migrate', '--help'], { cwd: folder, env: cleanEnv(env), encoding: 'utf8' });

    const off = run({ COVET_COMPILE_CACHE: '0' });
    expect(off.status, off.stderr).toBe(0);
    expect(existsSync(cache)).toBe(false);
    const first = run();
    expect(first.stdout).toBe(off.stdout);
    expect(readdirSync(cache)).toEqual([]);
    expect(run().stdout).toBe(off.stdout);
    const written = readdirSync(cache);
    expect(written).toEqual(expect.arrayContaining([expect.stringMatching(/-bin\.cjs\.bin$/), expect.stringMatching(/-index\.cjs\.bin$/)]));
    const times = written.map((name) => statSync(join(cache, name)).mtimeMs);
    const second = run();
    expect(second.stdout).toBe(off.stdout);
    expect(second.stderr).toBe(off.stderr);
    // Everything came from the cache: nothing was written again.
    expect(readdirSync(cache)).toEqual(written);
    expect(written.map((name) => statSync(join(cache, name)).mtimeMs)).toEqual(times);
  });
});
