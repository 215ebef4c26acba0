import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDialectConformance } from '@covet/core/testing';
import objects from '@covet/plugin-objects';
import { createPGliteDialect } from '../src/index.js';

// Each test gets a fresh in-memory cluster (a copy of one initialised once per process).
runDialectConformance({
  name: 'pglite',
  dialect: createPGliteDialect(),
  // Every kind of @covet/plugin-objects (views, materialized views) must have SQL on PGlite.
  plugins: [objects],
  async createDatabase() {
    return { config: { engine: 'pglite', name: ':memory:' }, drop: async () => undefined };
  },
  // The migration-lock tests open two connections on one database: a data directory, which a
  // second connection waits to open (up to openTimeout) while the first has it.
  async createSharedDatabase() {
    const folder = mkdtempSync(join(tmpdir(), 'covet-pglite-lock-'));
    return {
      config: { engine: 'pglite', name: join(folder, 'data'), options: { openTimeout: 3000 } },
      drop: async () => rmSync(folder, { recursive: true, force: true }),
    };
  },
});
