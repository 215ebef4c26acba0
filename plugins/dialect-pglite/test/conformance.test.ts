import { runDialectConformance } from '@covet/core/testing';
import { createPGliteDialect } from '../src/index.js';

// Each test gets a fresh in-memory cluster (a copy of one initialised once per process).
runDialectConformance({
  name: 'pglite',
  dialect: createPGliteDialect(),
  async createDatabase() {
    return { config: { engine: 'pglite', name: ':memory:' }, drop: async () => undefined };
  },
});
