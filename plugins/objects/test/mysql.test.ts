// The objects plugin on MariaDB / MySQL through the real binary: a model view created, replaced,
// dropped and rolled back (read back from information_schema.VIEWS).
import mysql from 'mysql2/promise';
import { afterEach, describe, expect, it } from 'vitest';
import { UNAVAILABLE, createTestDatabase, reportSkipped, type TestDatabase } from '../../../packages/dialect-mysql/test/helpers.js';
import { keptViewAroundAlter, models, objectsProject, viewsLoop } from './project.js';

const TITLE = '@covet/plugin-objects on MariaDB';

async function viewDefinition(database: TestDatabase, name: string): Promise<string | undefined> {
  const connection = await mysql.createConnection(database.url);
  try {
    const [rows] = await connection.query('SELECT VIEW_DEFINITION AS definition FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [database.name, name]);
    return (rows as { definition: string }[])[0]?.definition;
  } finally {
    await connection.end();
  }
}

if (UNAVAILABLE) reportSkipped(TITLE);
else
  describe(TITLE, () => {
    const cleanup: (() => Promise<void> | void)[] = [];
    afterEach(async () => {
      for (const step of cleanup.splice(0).reverse()) await step();
    });

    it('creates, replaces and drops a model view; each rollback restores the old definition', async () => {
      const database = await createTestDatabase();
      cleanup.push(() => database.drop());
      const project = await viewsLoop({
        database: database.config,
        view: (_project, name) => viewDefinition(database, name),
        first: /'first' AS `version`/,
        second: /'second' AS `version`/,
      });
      cleanup.push(() => project.dispose());
    });

    it('drops a kept view before a column change of a table it reads and creates it after', async () => {
      const database = await createTestDatabase();
      cleanup.push(() => database.drop());
      const project = await keptViewAroundAlter(database.config, (_project, name) => viewDefinition(database, name));
      cleanup.push(() => project.dispose());
    });

    it('stops makemigrations on a materialized view with one line naming the engine, writing nothing', async () => {
      const database = await createTestDatabase();
      cleanup.push(() => database.drop());
      const project = objectsProject(database.config, { 'models/app.ts': models([['user_counts', 'SELECT count(*) AS n FROM users', { materialized: true }]]) });
      cleanup.push(() => project.dispose());
      const result = project.run('makemigrations');
      expect(result.code).toBe(1);
      expect(result.stderr.split('\n')[0]).toBe(
        'error: Materialized view "user_counts" (models/app.ts, export view0) needs PostgreSQL: engine "mysql" has no materialized views (plugin "@covet/plugin-objects", hook processModels)',
      );
      expect(project.migrationFiles()).toEqual([]);
    });
  });
