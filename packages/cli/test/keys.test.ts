// On SQLite through the covet binary: a serial primary key becomes an identity column and back
// (both are INTEGER PRIMARY KEY AUTOINCREMENT; the table is rebuilt and keeps its rows and its
// numbering, sqlite_sequence included), no change left either way, rolled back.
import { afterAll, describe, expect, it } from 'vitest';
import { modelSource, removeProjects, TestProject } from './helpers.js';

afterAll(removeProjects);

const SERIAL = "export const notes = defineTable('notes', { id: t.serial().primaryKey(), body: t.text() });";

describe('serial and identity on SQLite', () => {
  it('a serial primary key becomes an identity and a serial again, numbering on; rolled back', { timeout: 120_000 }, async () => {
    const project = TestProject.create('serial-identity', { files: { 'models/notes.ts': modelSource(SERIAL) } });
    const ok = (...argv: string[]) => project.ok(...argv);
    const unchanged = () => project.expectUnchanged();
    const insert = (body: string) => {
      const db = project.open();
      try {
        return Number((db.prepare('INSERT INTO notes (body) VALUES (?)').run(body) as { lastInsertRowid: number | bigint }).lastInsertRowid);
      } finally {
        db.close();
      }
    };
    await ok('makemigrations', '--name', 'initial');
    await ok('migrate');
    expect([insert('a'), insert('b')]).toEqual([1, 2]);
    // A deleted last row: AUTOINCREMENT never gives its number again, across the rebuilds too.
    const db = project.open();
    try {
      db.prepare('DELETE FROM notes WHERE id = 2').run();
    } finally {
      db.close();
    }
    project.write('models/notes.ts', modelSource(SERIAL.replace('t.serial().primaryKey()', 't.integer().identity().primaryKey()')));
    await ok('makemigrations', '--name', 'identity');
    await ok('migrate');
    expect(insert('c')).toBe(3);
    await unchanged();
    project.write('models/notes.ts', modelSource(SERIAL));
    await ok('makemigrations', '--name', 'serial');
    await ok('migrate');
    expect(insert('d')).toBe(4);
    await unchanged();
    await ok('rollback');
    await ok('rollback');
    expect(insert('e')).toBe(5);
    expect((await ok('makemigrations', '--from', 'database', '--dry-run')).stdout).toContain('No changes detected');
    expect(project.rows('SELECT id, body FROM notes ORDER BY id')).toEqual([
      { id: 1, body: 'a' },
      { id: 3, body: 'c' },
      { id: 4, body: 'd' },
      { id: 5, body: 'e' },
    ]);
  });
});
