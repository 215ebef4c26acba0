// `covet inspectdb` on MariaDB with the real binary: Sakila and Chinook loaded from their raw
// DDL become model files that --from database finds equal to the database; the baseline flow
// (inspect, write the initial migration, migrate --fake-initial) records it without running
// it; the same migration builds a fresh database that introspects the same.
import { cpSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SchemaState } from '@covet/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createMysqlDialect, type MysqlConnection } from '../src/index.js';
import { CHINOOK_SQL, cliProject, createTestDatabase, loadDump, reportSkipped, runCovet as covet, SAKILA_SQL, UNAVAILABLE, type TestDatabase } from './helpers.js';

const dialect = createMysqlDialect();

/** A state as MySQL tells it apart: normalised columns, indexes and keys; unmanaged objects by kind and name. */
function comparable(state: SchemaState): unknown {
  return Object.fromEntries(
    Object.keys(state.tables)
      .sort()
      .map((name) => {
        const table = dialect.normalizeTable(state.tables[name]!);
        return [name, JSON.parse(JSON.stringify({ ...table, columns: table.columns.map((column) => dialect.normalizeColumn(column)) }))];
      }),
  );
}

describe.runIf(!UNAVAILABLE)('covet inspectdb on MySQL/MariaDB', () => {
  const databases: TestDatabase[] = [];
  const connections: MysqlConnection[] = [];
  const folders: string[] = [];
  const fresh = async () => {
    const database = await createTestDatabase();
    databases.push(database);
    return database;
  };
  const open = async (database: TestDatabase) => {
    const connection = (await dialect.connect(database.config)) as MysqlConnection;
    connections.push(connection);
    return connection;
  };
  afterEach(async () => {
    for (const connection of connections.splice(0)) await connection.close();
    for (const database of databases.splice(0)) await database.drop();
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });

  for (const [label, dump, tables] of [
    ['Sakila', SAKILA_SQL, 16],
    ['Chinook', CHINOOK_SQL, 11],
  ] as const) {
    it(`round-trips ${label}: inspectdb, no changes from the database, the baseline flow, a fresh copy introspected equal`, async () => {
      const source = await fresh();
      loadDump(source, dump);
      const folder = cliProject(`inspect-${label}`, source);
      folders.push(folder);

      let run = covet(folder, 'inspectdb');
      expect(run.status, run.stderr).toBe(0);
      const files = readdirSync(join(folder, 'models')).sort();
      expect(files).toHaveLength(tables);
      expect(run.stdout).not.toContain('nearest the model DSL can say');
      if (label === 'Sakila') {
        expect(run.stdout).toContain('Not in the models (Covet does not manage them): ');
        expect(run.stdout).toContain('view film_list');
        expect(readFileSync(join(folder, 'models', 'film.ts'), 'utf8')).toContain("rating: t.enum(['G', 'PG', 'PG-13', 'R', 'NC-17']).default('G'),");
      }
      // Written again only when asked.
      run = covet(folder, 'inspectdb');
      expect(run.status).not.toBe(0);
      expect(run.stderr.split('\n')[0]).toMatch(/^error: \d+ model file\(s\) exist already, e\.g\. .*\.ts \(inspectdb\)$/);

      run = covet(folder, 'makemigrations', '--from', 'database', '--dry-run');
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain('No changes detected');

      // The baseline: the initial migration, recorded as applied where the tables exist.
      run = covet(folder, 'makemigrations', '--name', 'initial');
      expect(run.status, run.stderr).toBe(0);
      run = covet(folder, 'migrate', '--fake-initial');
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain('its tables exist already (--fake-initial)');
      const status = JSON.parse(covet(folder, 'showmigrations', '--json').stdout) as { applied: boolean }[];
      expect(status.map((row) => row.applied)).toEqual([true]);
      for (const argv of [['makemigrations', '--dry-run'], ['makemigrations', '--from', 'database', '--dry-run']]) {
        run = covet(folder, ...argv);
        expect(run.status, run.stderr).toBe(0);
        expect(run.stdout, argv.join(' ')).toContain('No changes detected');
      }

      // The same models and migration build a fresh database equal to the original.
      const target = await fresh();
      const copy = cliProject(`inspect-${label}-copy`, target);
      folders.push(copy);
      cpSync(join(folder, 'models'), join(copy, 'models'), { recursive: true });
      cpSync(join(folder, 'migrations'), join(copy, 'migrations'), { recursive: true });
      run = covet(copy, 'migrate');
      expect(run.status, run.stderr).toBe(0);
      const original = await (await open(source)).introspector.introspect();
      const built = await (await open(target)).introspector.introspect();
      expect(Object.keys(built.tables)).toHaveLength(tables);
      expect(comparable(built)).toEqual(comparable(original));
      run = covet(copy, 'migrate', 'zero');
      expect(run.status, run.stderr).toBe(0);
      expect(Object.keys((await (await open(target)).introspector.introspect()).tables)).toEqual([]);
    }, 300_000);
  }

  it('with nothing in the database says so and writes nothing', async () => {
    const database = await fresh();
    const folder = cliProject('inspect-empty', database);
    folders.push(folder);
    rmSync(join(folder, 'models'), { recursive: true, force: true });
    const run = covet(folder, 'inspectdb');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('No tables found in the database.');
    expect(existsSync(join(folder, 'models'))).toBe(false);
  }, 60_000);
});

if (UNAVAILABLE) reportSkipped('covet inspectdb on MySQL/MariaDB');
