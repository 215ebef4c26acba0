import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { viewsPlugin, VIEW_OPERATIONS } from '../../test/views-plugin.js';
import { defineOperation, operationsCacheKey } from '../operations/define-operation.js';
import { createCovet, definePlugin } from '../plugin/covet.js';
import { PlanCache, type CompiledStep } from './plan-cache.js';

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function cacheFile(): string {
  const folder = mkdtempSync(join(tmpdir(), 'covet-plans-'));
  folders.push(folder);
  return join(folder, 'plans.json');
}

const chain = [
  { id: 'app:0001_a', checksum: 'a'.repeat(64) },
  { id: 'app:0002_b', checksum: 'b'.repeat(64) },
  { id: 'app:0003_c', checksum: 'c'.repeat(64) },
];
const steps: CompiledStep[] = [
  { index: 0, kind: 'createTable', statements: [{ sql: 'CREATE TABLE "a" ("id" integer)' }] },
  { index: 1, kind: 'runSql', statements: [{ sql: 'INSERT INTO "a" VALUES (?)', params: [1, 'two', null, true] }] },
];

describe('PlanCache.chainKeys', () => {
  it('gives each migration a key of everything up to it: a change before it changes it, a change after it does not', () => {
    const keys = PlanCache.chainKeys(chain, 'core\0dialect');
    expect(new Set(keys).size).toBe(3);
    expect(PlanCache.chainKeys(chain, 'core\0dialect')).toEqual(keys);

    const editedSecond = PlanCache.chainKeys([chain[0]!, { ...chain[1]!, checksum: 'd'.repeat(64) }, chain[2]!], 'core\0dialect');
    expect(editedSecond[0]).toBe(keys[0]);
    expect(editedSecond[1]).not.toBe(keys[1]);
    expect(editedSecond[2]).not.toBe(keys[2]);

    const reordered = PlanCache.chainKeys([chain[1]!, chain[0]!, chain[2]!], 'core\0dialect');
    expect(reordered[2]).not.toBe(keys[2]);
    const withoutFirst = PlanCache.chainKeys(chain.slice(1), 'core\0dialect');
    expect(withoutFirst).not.toContain(keys[1]);
    expect(withoutFirst).not.toContain(keys[2]);
  });

  it('depends on the fingerprint (the builds of core and the dialect)', () => {
    const keys = PlanCache.chainKeys(chain, 'core-1\0dialect-1');
    expect(PlanCache.chainKeys(chain, 'core-2\0dialect-1')).not.toContain(keys[0]);
    expect(PlanCache.chainKeys(chain, 'core-1\0dialect-2')).not.toContain(keys[0]);
  });
});

describe('operationsCacheKey (plugin kinds in the plan and loader cache keys)', () => {
  it('is empty for the built-ins and for plugin kinds without a cacheKey, so those keys stay as they were', () => {
    expect(operationsCacheKey(createCovet().operations)).toBe('');
    expect(operationsCacheKey(createCovet({ plugins: [viewsPlugin] }).operations)).toBe('');
  });

  it('names each plugin kind with a cacheKey and its version, so a new version gives new plan keys', () => {
    const versioned = (version: string) =>
      definePlugin({
        name: `views-${version}`,
        apply(covet) {
          covet.hooks.registerOperations.tap('views', (registry) => {
            for (const definition of VIEW_OPERATIONS) registry.register(defineOperation({ ...definition, cacheKey: `views@${version}` }));
          });
        },
      });
    const one = operationsCacheKey(createCovet({ plugins: [versioned('1')] }).operations);
    expect(one).toBe('views.createView@views@1,views.dropView@views@1,views.replaceView@views@1');
    const two = operationsCacheKey(createCovet({ plugins: [versioned('2')] }).operations);
    expect(PlanCache.chainKeys(chain, `core\0dialect\0${one}`)).not.toEqual(PlanCache.chainKeys(chain, `core\0dialect\0${two}`));
  });
});

describe('PlanCache', () => {
  it('keeps compiled steps across instances, with their bound values', () => {
    const file = cacheFile();
    const keys = PlanCache.chainKeys(chain, 'f');
    const cache = new PlanCache(file);
    expect(cache.get(keys[0]!)).toBeUndefined();
    expect(cache.set(keys[0]!, steps)).toBe(true);
    cache.save(new Set(keys));

    expect(new PlanCache(file).get(keys[0]!)).toEqual(steps);
    expect(new PlanCache(file).get(keys[1]!)).toBeUndefined();
  });

  it('refuses a bound value JSON would not keep as it is', () => {
    const cache = new PlanCache(cacheFile());
    for (const value of [new Date(0), 10n, Buffer.from('x'), Number.NaN, undefined, { a: 1 }]) {
      expect(cache.set('key', [{ index: 0, kind: 'runSql', statements: [{ sql: 'SELECT ?', params: [value] }] }])).toBe(false);
    }
    expect(cache.get('key')).toBeUndefined();
  });

  it('drops plans whose key is no longer in the chain when it saves', () => {
    const file = cacheFile();
    const cache = new PlanCache(file);
    cache.set('old', steps);
    cache.set('current', steps);
    cache.save(new Set(['current']));
    const reread = new PlanCache(file);
    expect(reread.get('old')).toBeUndefined();
    expect(reread.get('current')).toEqual(steps);
  });

  it('reads a missing, corrupt or other-format file as empty', () => {
    const file = cacheFile();
    expect(new PlanCache(file).get('x')).toBeUndefined();
    writeFileSync(file, '{ not json');
    expect(new PlanCache(file).get('x')).toBeUndefined();
    writeFileSync(file, JSON.stringify({ format: 999, entries: { x: steps } }));
    expect(new PlanCache(file).get('x')).toBeUndefined();
    const cache = new PlanCache(file);
    cache.set('x', steps);
    cache.save(new Set(['x']));
    expect(JSON.parse(readFileSync(file, 'utf8')).entries.x).toEqual(steps);
  });

  it('lives beside the migration cache, one file per project folder and dialect', () => {
    const a = PlanCache.forProject('/work/app', 'sqlite').file;
    expect(a).toMatch(/plans-[0-9a-f]{16}\.json$/);
    expect(PlanCache.forProject('/work/app', 'postgres').file).not.toBe(a);
    expect(PlanCache.forProject('/work/other', 'sqlite').file).not.toBe(a);
  });
});
