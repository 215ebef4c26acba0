import { runDialectConformance } from '@covet/core/testing';
import { createPostgresDialect } from '../src/index.js';
import { createTestDatabase, describeWithPostgres } from './helpers.js';

describeWithPostgres('postgres', () => {
  runDialectConformance({
    name: 'postgres',
    dialect: createPostgresDialect(),
    async createDatabase() {
      const database = await createTestDatabase();
      return { config: { engine: 'postgres', url: database.url }, drop: () => database.drop() };
    },
  });
});
