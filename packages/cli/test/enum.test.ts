// Enum columns on SQLite through the covet binary, as the usual emulation: a text column with
// CHECK (column IN (...)). Built, refusing other values, read back as the same enum
// (makemigrations and --from database find nothing, inspectdb writes t.enum), a value added (the
// table is rebuilt with the new CHECK, rows kept), rolled back.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { modelSource, removeProjects, TestProject } from './helpers.js';

afterAll(removeProjects);

const MODELS = "export const posts = defineTable('posts', { id: t.integer().primaryKey(), status: t.enum(['draft', \"it's out\"]).notNull().default('draft') });";

describe('enums on SQLite', () => {
  it('a CHECK (column IN (...)): built, read back as the enum, a value added, rolled back', { timeout: 120_000 }, async () => {
    const project = TestProject.create('enum', { files: { 'models/posts.ts': modelSource(MODELS) } });
    const ok = (...argv: string[]) => project.ok(...argv);
    const unchanged = () => project.expectUnchanged();
    const insert = (id: number, status: string) => {
      const db = project.open();
      try {
        db.prepare('INSERT INTO posts (id, status) VALUES (?, ?)').run(id, status);
      } finally {
        db.close();
      }
    };
    await ok('makemigrations', '--name', 'initial');
    await ok('migrate');
    expect(String(project.rows("SELECT sql FROM sqlite_master WHERE name = 'posts'")[0]!.sql)).toContain(
      `"status" text CHECK ("status" IN ('draft', 'it''s out')) NOT NULL DEFAULT 'draft'`,
    );
    insert(1, "it's out");
    insert(2, 'draft');
    expect(() => insert(3, 'archived')).toThrow(/CHECK constraint failed/);
    await unchanged();
    await ok('inspectdb', '--out', project.path('inspected'));
    expect(readFileSync(project.path('inspected', 'posts.ts'), 'utf8')).toContain(`status: t.enum(['draft', "it's out"]).notNull().default('draft'),`);

    project.write('models/posts.ts', modelSource(MODELS.replace(`"it's out"]`, `"it's out", 'archived']`)));
    await ok('makemigrations', '--name', 'archived');
    await ok('migrate');
    insert(3, 'archived');
    expect(project.rows('SELECT id, status FROM posts ORDER BY id')).toEqual([
      { id: 1, status: "it's out" },
      { id: 2, status: 'draft' },
      { id: 3, status: 'archived' },
    ]);
    await unchanged();

    // Back to two values: the rows must hold them (SQLite checks the copy).
    const db = project.open();
    try {
      db.prepare('DELETE FROM posts WHERE id = 3').run();
    } finally {
      db.close();
    }
    await ok('rollback');
    expect(() => insert(3, 'archived')).toThrow(/CHECK constraint failed/);
    project.write('models/posts.ts', modelSource(MODELS));
    expect((await ok('makemigrations', '--from', 'database', '--dry-run')).stdout).toContain('No changes detected');
    await ok('migrate', 'zero');
    expect(project.tables()).toEqual(['covet_migrations']);
  });
});
