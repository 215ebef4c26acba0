import { join } from 'node:path';
import { runDialectConformance } from '@covet/core/testing';
import { createSqliteDialect } from '../src/index.js';
import { temporaryFolder } from './helpers.js';

runDialectConformance({
  name: 'sqlite',
  dialect: createSqliteDialect(),
  async createDatabase() {
    const folder = temporaryFolder();
    return { config: { engine: 'sqlite', name: join(folder.path, 'test.db') }, drop: async () => folder.remove() };
  },
});
