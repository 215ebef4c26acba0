import { join } from 'node:path';
import { createOperation, isCovetError } from '@covet/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteDialect, loadSqlFile, type SqliteConnection } from '../src/index.js';
import { applyOperations, CHINOOK_SQL, rowCounts, temporaryFolder } from './helpers.js';

const dialect = createSqliteDialect();

// Chinook has no CHECK, COLLATE, AUTOINCREMENT, trigger or view: add some that a rebuild must keep.
const EXTRAS = `
CREATE TABLE "Review" (
  "ReviewId" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  "TrackId" INTEGER NOT NULL REFERENCES "Track" ("TrackId") ON DELETE CASCADE,
  "Rating" INTEGER NOT NULL CHECK ("Rating" BETWEEN 1 AND 5),
  "Author" TEXT COLLATE NOCASE, -- a comment, with a comma
  "Code" TEXT,
  "Note" TEXT,
  CONSTRAINT "Review_code_unique" UNIQUE ("Code"),
  CHECK (length("Note") < 100)
);
CREATE INDEX "Review_rating_idx" ON "Review" ("Rating") WHERE "Rating" > 3;
CREATE TABLE "ArtistLog" ("Id" INTEGER PRIMARY KEY, "ArtistId" INTEGER, "Event" TEXT);
CREATE TRIGGER "Artist_rename_log" AFTER UPDATE OF "Name" ON "Artist"
  BEGIN INSERT INTO "ArtistLog" ("ArtistId", "Event") VALUES (NEW."ArtistId", 'renamed'); END;
CREATE TRIGGER "Review_touch" AFTER INSERT ON "Review"
  BEGIN UPDATE "Review" SET "Note" = coalesce(NEW."Note", 'new') WHERE "ReviewId" = NEW."ReviewId"; END;
CREATE VIEW "ArtistAlbums" AS SELECT a."Name" AS "Artist", b."Title" FROM "Artist" a JOIN "Album" b ON b."ArtistId" = a."ArtistId";
INSERT INTO "Review" ("TrackId", "Rating", "Author", "Code") VALUES (1, 5, 'ann', 'A'), (2, 3, 'Bob', 'B'), (3, 4, 'cy', 'C');
DELETE FROM "Review" WHERE "ReviewId" = 3;
`;

describe('table rebuild on Chinook', () => {
  let folder: ReturnType<typeof temporaryFolder>;
  let connection: SqliteConnection;

  beforeEach(async () => {
    folder = temporaryFolder();
    const file = join(folder.path, 'chinook.db');
    await loadSqlFile(file, CHINOOK_SQL);
    connection = (await dialect.connect({ engine: 'sqlite', name: file })) as SqliteConnection;
    await connection.execute({ sql: EXTRAS });
  });
  afterEach(async () => {
    await connection.close();
    folder.remove();
  });

  async function expectIntact(counts: Record<string, number>): Promise<void> {
    expect(await rowCounts(connection)).toEqual(counts);
    expect(await connection.query('PRAGMA foreign_key_check')).toEqual([]);
    expect(await connection.query('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    expect(await connection.query("SELECT name FROM sqlite_master WHERE name LIKE '\\_\\_covet%' ESCAPE '\\'")).toEqual([]);
    expect(connection.database.pragma('foreign_keys', { simple: true })).toBe(1);
  }

  async function objectNames(): Promise<string[]> {
    const rows = await connection.query<{ type: string; name: string }>("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_autoindex%' ORDER BY type, name");
    return rows.map((r) => `${r.type} ${r.name}`);
  }

  it('alters a parent column (Artist.Name) without touching its children', async () => {
    const counts = await rowCounts(connection);
    const objects = await objectNames();
    const albumSql = (await connection.query<{ sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'Album'"))[0]!.sql;

    const expected = await applyOperations(connection, [
      createOperation('alterColumn', { table: 'Artist', column: { name: 'Name', type: { type: 'varchar', length: 200 }, nullable: false, default: { kind: 'value', value: 'Unknown' } } }),
    ]);

    await expectIntact(counts);
    expect(await objectNames()).toEqual(objects);
    const state = await connection.introspector.introspect();
    expect(state.tables.Artist).toEqual(expected.tables.Artist);
    expect(state.tables.Artist!.columns[1]).toEqual({ name: 'Name', type: { type: 'varchar', length: 200 }, nullable: false, default: { kind: 'value', value: 'Unknown' } });
    // The child still names the real parent, and its rows are all there.
    expect((await connection.query<{ sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'Album'"))[0]!.sql).toBe(albumSql);
    expect(await connection.query('SELECT "table" FROM pragma_foreign_key_list(\'Album\')')).toEqual([{ table: 'Artist' }]);
    // The trigger on Artist and the view over it still work.
    await connection.execute({ sql: `UPDATE "Artist" SET "Name" = 'AC-DC' WHERE "ArtistId" = 1` });
    expect(await connection.query('SELECT COUNT(*) AS n FROM "ArtistLog"')).toEqual([{ n: 1 }]);
    expect(await connection.query(`SELECT COUNT(*) AS n FROM "ArtistAlbums" WHERE "Artist" = 'AC-DC'`)).toEqual([{ n: 2 }]);
  });

  it('alters a child column (Track.Composer) that is also a parent of other tables', async () => {
    const counts = await rowCounts(connection);
    const objects = await objectNames();
    const before = await connection.introspector.introspect();
    expect(Number((await connection.query<{ n: number }>('SELECT COUNT(*) AS n FROM "Track" WHERE "Composer" IS NULL'))[0]!.n)).toBeGreaterThan(0);

    await applyOperations(connection, [
      createOperation('alterColumn', { table: 'Track', column: { name: 'Composer', type: { type: 'text' }, nullable: false, default: { kind: 'value', value: '' } } }),
    ]);

    await expectIntact(counts);
    expect(await objectNames()).toEqual(objects);
    const after = await connection.introspector.introspect();
    expect(after.tables.Track!.foreignKeys).toEqual(before.tables.Track!.foreignKeys);
    expect(after.tables.Track!.indexes).toEqual(before.tables.Track!.indexes);
    expect(after.tables.InvoiceLine).toEqual(before.tables.InvoiceLine);
    expect(await connection.query('SELECT COUNT(*) AS n FROM "Track" WHERE "Composer" IS NULL')).toEqual([{ n: 0 }]);
  });

  it('keeps CHECK, COLLATE, partial indexes, triggers and the AUTOINCREMENT sequence', async () => {
    const counts = await rowCounts(connection);
    const objects = await objectNames();
    await applyOperations(connection, [
      createOperation('alterColumn', { table: 'Review', column: { name: 'Code', type: { type: 'varchar', length: 10 }, nullable: true } }),
    ]);
    await expectIntact(counts);
    expect(await objectNames()).toEqual(objects);
    const sql = (await connection.query<{ sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'Review'"))[0]!.sql;
    expect(sql).toContain('COLLATE NOCASE');
    expect(sql).toContain('CHECK ("Rating" BETWEEN 1 AND 5)');
    expect(sql).toContain('CHECK (length("Note") < 100)');
    expect(sql).toContain('AUTOINCREMENT');
    await expect(connection.execute({ sql: `INSERT INTO "Review" ("TrackId", "Rating") VALUES (1, 9)` })).rejects.toThrow(/CHECK/);
    await expect(connection.execute({ sql: `INSERT INTO "Review" ("TrackId", "Rating", "Code") VALUES (1, 2, 'A')` })).rejects.toThrow(/UNIQUE/);
    // Row 3 was deleted before the rebuild: AUTOINCREMENT must not hand its id out again.
    await connection.execute({ sql: `INSERT INTO "Review" ("TrackId", "Rating") VALUES (1, 2)` });
    expect(await connection.query('SELECT max("ReviewId") AS id, max("Note") AS note FROM "Review"')).toEqual([{ id: 4, note: 'new' }]);
    expect(await connection.query(`SELECT COUNT(*) AS n FROM "Review" WHERE "Author" = 'ANN'`)).toEqual([{ n: 1 }]);
    const state = await connection.introspector.introspect();
    expect(state.tables.Review!.columns[0]).toEqual({ name: 'ReviewId', type: { type: 'serial' }, nullable: false });
    expect(state.tables.Review!.indexes).toEqual([
      { name: 'Review_code_unique', columns: ['Code'], unique: true },
      { name: 'Review_rating_idx', columns: ['Rating'], unique: false, where: '"Rating" > 3' },
    ]);
  });

  it('adds and drops foreign keys, including an unnamed one from the dump', async () => {
    const counts = await rowCounts(connection);
    await applyOperations(connection, [
      createOperation('addColumn', { table: 'Album', column: { name: 'FeaturedTrackId', type: { type: 'integer' }, nullable: true } }),
      createOperation('addForeignKey', {
        table: 'Album',
        foreignKey: { name: 'Album_featured_fk', columns: ['FeaturedTrackId'], references: { table: 'Track', columns: ['TrackId'] }, onDelete: 'set null', onUpdate: 'cascade' },
      }),
      createOperation('dropForeignKey', { table: 'Album', name: 'Album_ArtistId_fkey' }),
    ]);
    await expectIntact(counts);
    const state = await connection.introspector.introspect();
    expect(state.tables.Album!.foreignKeys).toEqual([
      { name: 'Album_featured_fk', columns: ['FeaturedTrackId'], references: { table: 'Track', columns: ['TrackId'] }, onDelete: 'set null', onUpdate: 'cascade' },
    ]);
    expect(state.tables.Album!.indexes.map((i) => i.name)).toEqual(['IFK_AlbumArtistId']);
    expect(state.tables.Album!.primaryKey).toEqual({ name: 'PK_Album', columns: ['AlbumId'] });
    // The children of Album (Track) still point at it.
    expect(await connection.query('SELECT DISTINCT "table" FROM pragma_foreign_key_list(\'Track\') ORDER BY 1')).toEqual([
      { table: 'Album' }, { table: 'Genre' }, { table: 'MediaType' },
    ]);
  });

  it('drops a column under a CHECK and an inline UNIQUE constraint with a rebuild', async () => {
    const counts = await rowCounts(connection);
    await applyOperations(connection, [
      createOperation('dropColumn', { table: 'Review', column: 'Note' }),
      createOperation('dropIndex', { table: 'Review', name: 'Review_code_unique' }),
    ]);
    await expectIntact(counts);
    const sql = (await connection.query<{ sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'Review'"))[0]!.sql;
    expect(sql).not.toContain('Note');
    expect(sql).not.toContain('UNIQUE');
    expect(sql).toContain('CHECK ("Rating" BETWEEN 1 AND 5)');
  });

  it('rolls back a rebuild that would leave a foreign key violation, naming the table and row', async () => {
    const before = await connection.introspector.introspect();
    const counts = await rowCounts(connection);
    const error = await applyOperations(connection, [
      createOperation('addForeignKey', {
        table: 'Track',
        foreignKey: { name: 'Track_bytes_fk', columns: ['Bytes'], references: { table: 'Genre', columns: ['GenreId'] }, onDelete: 'no action', onUpdate: 'no action' },
      }),
    ]).catch((caught: unknown) => caught);
    expect(isCovetError(error)).toBe(true);
    expect((error as Error).message).toMatch(/^Row 1 of table "Track" references a missing row of "Genre"/);
    expect(await connection.introspector.introspect()).toEqual(before);
    await expectIntact(counts);
  });
});
