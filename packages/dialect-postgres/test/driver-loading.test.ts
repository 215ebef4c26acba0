// The pg driver is loaded when the first connection opens, not when the dialect is imported,
// and loading it does not pull in Node's fetch implementation (undici) on Node 20: the built
// package in a fresh process, as the covet binary loads it.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createTestDatabase, describeWithPostgres, repositoryRoot, type TestDatabase } from './helpers.js';

const ENTRY = join(repositoryRoot(), 'packages', 'dialect-postgres', 'dist', 'index.cjs');

let database: TestDatabase | undefined;
afterEach(async () => {
  await database?.drop();
  database = undefined;
});

describeWithPostgres('loading the pg driver', () => {
  it('importing the dialect loads no driver; the first connection loads pg once, without undici, and leaves the global scope as it was', async () => {
    database = await createTestDatabase();
    const script = `
const loaded = () => Object.keys(require.cache).filter((file) => /[\\\\/]node_modules[\\\\/]pg[\\\\/]/.test(file)).length;
const { createPostgresDialect } = require(${JSON.stringify(ENTRY)});
const dialect = createPostgresDialect();
const before = { pg: loaded(), navigator: typeof navigator };
(async () => {
  const first = await dialect.connect({ engine: 'postgres', url: ${JSON.stringify(database.url)} });
  const second = await dialect.connect({ engine: 'postgres', url: ${JSON.stringify(database.url)} });
  const rows = await first.query('SELECT 1 AS one');
  await first.close();
  await second.close();
  process.stdout.write(JSON.stringify({
    before,
    pgFiles: loaded() > 0,
    rows,
    navigator: typeof navigator,
    undici: process.moduleLoadList.some((name) => name.includes('undici')),
  }));
})();
`;
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    const hasNavigator = 'navigator' in globalThis;
    expect(report).toEqual({
      before: { pg: 0, navigator: hasNavigator ? 'object' : 'undefined' },
      pgFiles: true,
      rows: [{ one: 1 }],
      navigator: hasNavigator ? 'object' : 'undefined',
      // Node 21+ has a navigator of its own, and pg never constructs a Response there either.
      undici: false,
    });
  });
});
