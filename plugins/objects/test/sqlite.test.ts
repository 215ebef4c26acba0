// The objects plugin on SQLite through the real binary: a model view created, replaced, dropped
// and rolled back (read back from sqlite_master), and a materialized view refused with one line
// before anything is written or run.
import { createRequire } from 'node:module';
import type { CliProject } from '@covet/core/testing';
import { TRACKING_TABLE } from '@covet/core';
import { afterEach, describe, expect, it } from 'vitest';
import { FIRST, SECOND, keptViewAroundAlter, models, objectsProject, runOk, viewsLoop } from './project.js';

interface SqliteDatabase {
  prepare(sql: string): { get(...params: unknown[]): unknown; all(...params: unknown[]): unknown[] };
  close(): void;
}
const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string, options?: { readonly?: boolean }) => SqliteDatabase;

function read<T>(project: CliProject, fn: (db: SqliteDatabase) => T): T {
  const db = new Database(project.path('app.db'), { readonly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}
const viewSql = (project: CliProject, name: string) =>
  read(project, (db) => (db.prepare("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?").get(name) as { sql: string } | undefined)?.sql);

const DATABASE = { engine: 'sqlite', name: './app.db' } as const;

describe('@covet/plugin-objects on SQLite', () => {
  const projects: CliProject[] = [];
  afterEach(() => {
    for (const project of projects.splice(0)) project.dispose();
  });

  it('creates, replaces and drops a model view; each rollback restores the old definition', async () => {
    const exactly = (sql: string) => new RegExp(`^${`CREATE VIEW "active_users" AS ${sql}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    projects.push(await viewsLoop({ database: DATABASE, view: async (project, name) => viewSql(project, name), first: exactly(FIRST), second: exactly(SECOND) }));
  });

  it('drops a kept view before a column change of a table it reads (a rebuild here) and creates it after', async () => {
    projects.push(await keptViewAroundAlter(DATABASE, async (project, name) => viewSql(project, name)));
  });

  it('stops makemigrations on a materialized view with one line naming the view, the engine and the export, writing nothing', () => {
    const project = objectsProject(DATABASE, { 'models/app.ts': models([['user_counts', 'SELECT count(*) AS n FROM users', { materialized: true }]]) });
    projects.push(project);
    const result = project.run('makemigrations');
    expect(result.code).toBe(1);
    const [error] = result.stderr.split('\n');
    expect(error).toBe('error: Materialized view "user_counts" (models/app.ts, export view0) needs PostgreSQL: engine "sqlite" has no materialized views (plugin "@covet/plugin-objects", hook processModels)');
    expect(result.stderr).toContain('hint: Declare it without { materialized: true }');
    expect(project.migrationFiles()).toEqual([]);
  });

  it('refuses a hand-written materialized view before any SQL runs, leaving the database as it was', () => {
    const project = objectsProject(DATABASE, { 'models/app.ts': models() });
    projects.push(project);
    runOk(project, 'makemigrations', '--name', 'initial');
    runOk(project, 'migrate');
    const before = read(project, (db) => db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all());
    const tracked = () => read(project, (db) => db.prepare(`SELECT * FROM "${TRACKING_TABLE}"`).all());
    const trackedBefore = tracked();
    expect(trackedBefore).toHaveLength(1);
    project.write(
      'migrations/20990101000000_counts.ts',
      [
        "import { defineMigration } from '@covet/core';",
        "import { objects } from '@covet/plugin-objects';",
        `export default defineMigration({ dependencies: [${JSON.stringify(project.migrationFiles()[0]!.replace(/\.ts$/, ''))}], operations: [objects.createView('user_counts', 'SELECT count(*) AS n FROM users', { materialized: true })] });`,
        '',
      ].join('\n'),
    );
    const result = project.run('migrate');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Materialized view "user_counts" needs PostgreSQL: engine "sqlite" has no materialized views');
    expect(read(project, (db) => db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY name').all())).toEqual(before);
    expect(tracked()).toEqual(trackedBefore);
  });
});
