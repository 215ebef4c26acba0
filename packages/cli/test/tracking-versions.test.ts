// Covet's own tables carry the version of their shape: a tracking table made by an earlier
// Covet is upgraded by the next run that takes the lock, keeping its rows; one of a shape
// Covet does not know stops every command, naming the table and its columns, changing nothing.
// (The same on PostgreSQL and MariaDB: the dialect conformance suite, "Covet's own tables".)
import { createOperation, EMPTY_STATE, withTable } from '@covet/core';
import { BOOKKEEPING_TABLES, shapesOf } from '@covet/core/testing';
import { createSqliteDialect } from '@covet/dialect-sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { failureShape, migrationSource, removeProjects, TestProject } from './helpers.js';

afterAll(removeProjects);

const FIRST = '20260201000001_users';
const SECOND = '20260201000002_nickname';
const THIRD = '20260201000003_age';

const first = migrationSource(["op.createTable('users', { id: t.serial().primaryKey(), email: t.varchar(255).notNull() })"]);
const second = migrationSource(["op.addColumn('users', 'nickname', t.varchar(50))"], [FIRST]);
const third = migrationSource(["op.addColumn('users', 'age', t.integer())"], [SECOND]);

/**
 * The CREATE TABLE statements of Covet's tables at a version of the tracking table's shape
 * (the first: as Covet made them before its tables had versions).
 */
async function shapeSql(trackingVersion = 1): Promise<string[]> {
  const dialect = createSqliteDialect();
  const sql: string[] = [];
  for (const table of BOOKKEEPING_TABLES) {
    const state = shapesOf(table)[table.name === 'covet_migrations' ? trackingVersion - 1 : 0]!;
    const statements = await dialect.compileOperation(createOperation('createTable', state), {
      dialect,
      stateBefore: EMPTY_STATE,
      stateAfter: withTable(EMPTY_STATE, state),
    });
    sql.push(...(statements ?? []).map((statement) => statement.sql));
  }
  return sql;
}

/** The tracking table's columns at its latest version (3). */
const LATEST_COLUMNS = ['id', 'name', 'app', 'applied_at', 'checksum', 'source_hash', 'dependencies', 'edit_accepted_at', 'edit_accepted_by'];

function columns(project: TestProject, table: string): string[] {
  return project.rows(`SELECT name FROM pragma_table_info('${table}') ORDER BY cid`).map((row) => String(row.name));
}

describe('tracking table versions', () => {
  it('a tracking table of the first shape is read as it is by showmigrations, and upgraded by migrate keeping its rows', async () => {
    const project = TestProject.create('versions-upgrade', { files: { [`migrations/${FIRST}.ts`]: first, [`migrations/${SECOND}.ts`]: second } });
    expect((await project.run('migrate')).code).toBe(0);
    const applied = project.rows('SELECT id, name, app, applied_at, checksum FROM covet_migrations ORDER BY id');
    expect(applied).toHaveLength(2);

    // The database as the Covet before versions left it: its tables in their first shape, the same rows.
    const db = project.open();
    db.exec('DROP TABLE covet_migrations; DROP TABLE covet_table_versions;');
    for (const sql of await shapeSql()) db.exec(sql);
    const insert = db.prepare('INSERT INTO covet_migrations (id, name, app, applied_at, checksum) VALUES (?, ?, ?, ?, ?)');
    // That Covet's checksums had no scheme: the bare SHA-256 hex of scheme v1.
    for (const row of applied) insert.run(row.id, row.name, row.app, row.applied_at, String(row.checksum).replace(/^v1:/, ''));
    db.close();
    expect(columns(project, 'covet_migrations')).toEqual(['id', 'name', 'app', 'applied_at', 'checksum']);
    const legacy = project.snapshot();

    const status = await project.run('showmigrations');
    expect(status.code, status.output).toBe(0);
    expect(status.stdout).toContain(`[X] ${FIRST}`);
    expect(status.stdout).toContain(`[X] ${SECOND}`);
    expect(status.output).not.toContain('edited');
    // Reading upgrades nothing.
    expect(project.snapshot()).toEqual(legacy);
    expect(project.rows("SELECT name FROM sqlite_master WHERE name = 'covet_table_versions'")).toEqual([]);

    project.write(`migrations/${THIRD}.ts`, third);
    const migrated = await project.run('migrate');
    expect(migrated.code, migrated.output).toBe(0);
    expect(migrated.stdout).toContain(`Applied default:${THIRD}`);
    expect(columns(project, 'covet_migrations')).toEqual(LATEST_COLUMNS);
    expect(project.rows('SELECT table_name, version FROM covet_table_versions ORDER BY table_name')).toEqual([
      { table_name: 'covet_migrations', version: 3 },
      { table_name: 'covet_migrations_partial', version: 1 },
    ]);
    const rows = project.rows('SELECT id, name, app, applied_at, checksum, source_hash, dependencies FROM covet_migrations ORDER BY id');
    // The same rows, their checksums now with their scheme.
    expect(rows.slice(0, 2).map(({ id, name, app, applied_at, checksum }) => ({ id, name, app, applied_at, checksum }))).toEqual(applied);
    expect(applied.every((row) => /^v1:[0-9a-f]{64}$/.test(String(row.checksum)))).toBe(true);
    expect(rows[2]).toMatchObject({ name: THIRD, source_hash: expect.stringMatching(/^[0-9a-f]{64}$/), dependencies: JSON.stringify([`default:${SECOND}`]) });
    // The rows of the earlier Covet were verified by evaluating their files, and their text hashes filled.
    expect(rows.slice(0, 2).map((row) => [row.source_hash, row.dependencies])).toEqual([
      [expect.stringMatching(/^[0-9a-f]{64}$/), '[]'],
      [expect.stringMatching(/^[0-9a-f]{64}$/), JSON.stringify([`default:${FIRST}`])],
    ]);

    // Rolling back works on the upgraded table, and nothing is edited.
    const rolledBack = await project.run('rollback');
    expect(rolledBack.code, rolledBack.output).toBe(0);
    expect(project.applied()).toEqual([`default:${FIRST}`, `default:${SECOND}`]);
  });

  it('a tracking table of version 2 (bare checksums) is read as it is, and upgraded to version 3 by migrate: checksums get their scheme, nothing else changes', async () => {
    const project = TestProject.create('versions-2', { files: { [`migrations/${FIRST}.ts`]: first, [`migrations/${SECOND}.ts`]: second } });
    expect((await project.run('migrate')).code).toBe(0);
    const applied = project.rows('SELECT id, name, app, applied_at, checksum, source_hash, dependencies FROM covet_migrations ORDER BY id');

    // As the Covet of version 2 left it: the same rows, bare hex checksums.
    const db = project.open();
    db.exec('DROP TABLE covet_migrations; DROP TABLE IF EXISTS covet_migrations_partial; DROP TABLE covet_table_versions;');
    for (const sql of await shapeSql(2)) db.exec(sql);
    db.exec("CREATE TABLE covet_table_versions (table_name varchar(255) NOT NULL PRIMARY KEY, version integer NOT NULL)");
    db.exec("INSERT INTO covet_table_versions VALUES ('covet_migrations', 2), ('covet_migrations_partial', 1)");
    const insert = db.prepare('INSERT INTO covet_migrations (id, name, app, applied_at, checksum, source_hash, dependencies) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (const row of applied) insert.run(row.id, row.name, row.app, row.applied_at, String(row.checksum).replace(/^v1:/, ''), row.source_hash, row.dependencies);
    db.close();
    expect(columns(project, 'covet_migrations')).toEqual(LATEST_COLUMNS.slice(0, 7));
    const legacy = project.snapshot();

    const status = await project.run('showmigrations', '--json');
    expect(status.code, status.output).toBe(0);
    expect((JSON.parse(status.stdout) as { name: string; applied: boolean; edited?: boolean }[]).map(({ name, applied, edited }) => ({ name, applied, edited }))).toEqual([
      { name: FIRST, applied: true, edited: undefined },
      { name: SECOND, applied: true, edited: undefined },
    ]);
    expect(project.snapshot()).toEqual(legacy);

    const migrated = await project.run('migrate');
    expect(migrated.code, migrated.output).toBe(0);
    expect(migrated.stdout).toContain('No migrations to apply.');
    expect(columns(project, 'covet_migrations')).toEqual(LATEST_COLUMNS);
    expect(project.rows("SELECT version FROM covet_table_versions WHERE table_name = 'covet_migrations'")).toEqual([{ version: 3 }]);
    expect(project.rows('SELECT id, name, app, applied_at, checksum, source_hash, dependencies FROM covet_migrations ORDER BY id')).toEqual(applied);
    expect(project.rows('SELECT edit_accepted_at, edit_accepted_by FROM covet_migrations')).toEqual([
      { edit_accepted_at: null, edit_accepted_by: null },
      { edit_accepted_at: null, edit_accepted_by: null },
    ]);
    const own = (schema: readonly { tbl_name: string }[]) => schema.filter((entry) => !entry.tbl_name.startsWith('covet_'));
    expect(own(project.snapshot().schema)).toEqual(own(legacy.schema));
    expect((await project.run('rollback')).code).toBe(0);
    expect(project.applied()).toEqual([`default:${FIRST}`]);
  });

  it('a tracking table of a foreign shape stops migrate, showmigrations and rollback with one line naming it, and nothing changes', async () => {
    const project = TestProject.create('versions-foreign', { files: { [`migrations/${FIRST}.ts`]: first } });
    const db = project.open();
    db.exec('CREATE TABLE covet_migrations (id INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL, app VARCHAR(255) NOT NULL, applied_at TIMESTAMP)');
    db.exec("INSERT INTO covet_migrations (name, app) VALUES ('0001_theirs', 'default')");
    db.close();
    const before = project.snapshot();

    for (const argv of [['migrate'], ['showmigrations'], ['rollback'], ['migrate', '--dry-run']]) {
      const result = await project.run(...argv);
      expect(result.code, `${argv.join(' ')}: ${result.output}`).toBe(1);
      const [error, hint] = result.stderr.split('\n');
      expect(error).toBe(
        `error: Table covet_migrations has columns Covet does not know: found id, name, app, applied_at; expected ${LATEST_COLUMNS.join(', ')} (sqlite)`,
      );
      expect(hint).toMatch(/^hint: Nothing was changed\. If another tool owns covet_migrations/);
      expect(failureShape(result)).toEqual({ errorLines: 1, stackLines: 0 });
      expect(project.snapshot()).toEqual(before);
    }
    expect(project.rows("SELECT name FROM sqlite_master WHERE name LIKE 'covet_%' ORDER BY name")).toEqual([{ name: 'covet_migrations' }]);
  });
});
