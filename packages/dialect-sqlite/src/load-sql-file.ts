import { promises as fs } from 'node:fs';
import Database from 'better-sqlite3';

/**
 * Runs a SQL script (a dump such as Chinook's) against a SQLite file, creating it if needed;
 * for tests and fixtures. Foreign keys are off while it loads, as dumps insert children before
 * parents; `PRAGMA foreign_key_check` must be clean afterwards or it throws.
 *
 * @example
 * await loadSqlFile('./test.db', './fixtures/chinook.sql');
 */
export async function loadSqlFile(databaseFile: string, sqlFile: string): Promise<void> {
  // fs.promises is loaded on first use: importing node:fs/promises would load it (and its
  // dependencies) with the dialect, in every covet run.
  const sql = await fs.readFile(sqlFile, 'utf8');
  const database = new Database(databaseFile);
  try {
    database.pragma('foreign_keys = OFF');
    database.exec('BEGIN');
    database.exec(sql);
    database.exec('COMMIT');
    const violation = database.prepare('PRAGMA foreign_key_check').get() as { table: string; rowid: number } | undefined;
    if (violation) throw new Error(`${sqlFile} leaves a foreign key violation: row ${violation.rowid} of ${violation.table}`);
  } finally {
    if (database.inTransaction) database.exec('ROLLBACK');
    database.close();
  }
}
