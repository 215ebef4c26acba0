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
});
