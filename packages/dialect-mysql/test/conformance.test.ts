import { runDialectConformance } from '@covet/core/testing';
import { createMysqlDialect } from '../src/index.js';
import { createTestDatabase, reportSkipped, UNAVAILABLE } from './helpers.js';

if (UNAVAILABLE) {
  reportSkipped('dialect conformance: mysql');
} else {
  runDialectConformance({ name: 'mysql', dialect: createMysqlDialect(), createDatabase: createTestDatabase });
}
