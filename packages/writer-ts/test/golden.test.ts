import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILTIN_OPERATIONS, computeChecksum } from '@covet/core';
import { describe, expect, it } from 'vitest';
import { renderMigration } from '../src/index.js';
import { GOLDEN_CASES } from './golden-cases.js';
import { loadMigrationSource } from './load-migration.js';

const GOLDEN_DIRECTORY = join(dirname(fileURLToPath(import.meta.url)), 'golden');
// `UPDATE_GOLDEN=1 pnpm test` rewrites the golden files; review the diff before committing.
const UPDATE = process.env.UPDATE_GOLDEN === '1';

describe('golden files', () => {
  it('has a case for every built-in operation kind', () => {
    expect(Object.keys(GOLDEN_CASES).sort()).toEqual(BUILTIN_OPERATIONS.map((definition) => definition.kind).sort());
  });

  for (const [kind, golden] of Object.entries(GOLDEN_CASES)) {
    it(`writes ${kind} exactly as test/golden/${kind}.ts`, () => {
      const source = renderMigration(golden);
      const file = join(GOLDEN_DIRECTORY, `${kind}.ts`);
      if (UPDATE) writeFileSync(file, source);
      expect(source).toBe(readFileSync(file, 'utf8'));
    });

    it(`loads test/golden/${kind}.ts back to the same operations and checksum`, async () => {
      const migration = await loadMigrationSource(readFileSync(join(GOLDEN_DIRECTORY, `${kind}.ts`), 'utf8'));
      expect(migration.operations).toEqual(golden.operations);
      expect(migration.atomic).toBe(golden.atomic !== false);
      expect(migration.checksum).toBe(computeChecksum(golden, 'default'));
    });
  }
});
