// The plugin's operations without a database: validation errors, state, reverses from the state
// before, SQL per dialect, and the code the writer writes.
import { EMPTY_STATE, IRREVERSIBLE, compileOperationSql, op, t, getPluginObject, type Operation, type OperationDefinition, type SchemaState } from '@covet/core';
import type { Dialect } from '@covet/core/dialect';
import { createMysqlDialect } from '@covet/dialect-mysql';
import { PostgresDialect, createPostgresDialect } from '@covet/dialect-postgres';
import { createSqliteDialect } from '@covet/dialect-sqlite';
import { describe, expect, it } from 'vitest';
import plugin, { OPERATIONS, defineView, objects, orderViewChanges } from '../src/index.js';

const definition = (kind: string) => OPERATIONS.find((candidate) => candidate.kind === kind)! as OperationDefinition<unknown>;
const apply = (state: SchemaState, operation: Operation): SchemaState => {
  const kind = definition(operation.kind);
  kind.validate(operation.args, state);
  return kind.applyToState(state, operation.args);
};
/** The statements' SQL for `dialect`, where core takes it from (the operation's sql for the name, the family, or default). */
async function sqlOf(operation: Operation, stateBefore: SchemaState, dialect: Dialect): Promise<string[]> {
  const kind = definition(operation.kind);
  const statements = await compileOperationSql(kind, operation, { dialect, stateBefore, stateAfter: kind.applyToState(stateBefore, operation.args) });
  if (!statements) throw new Error(`${operation.kind} has no SQL for ${dialect.name}`);
  return statements.map((statement) => statement.sql);
}

/** A third-party dialect of the PostgreSQL family (as PGlite is): it gets the operations' sql.postgres. */
class PostgresCompatibleDialect extends PostgresDialect {
  override readonly name = 'pgcompat';
  readonly family = 'postgres';
}

const withCounts = apply(EMPTY_STATE, objects.createView('counts', 'SELECT 1 AS n', { materialized: true }));

describe('@covet/plugin-objects operations', () => {
  it('is a plugin named after its package', () => {
    expect(plugin.name).toBe('@covet/plugin-objects');
  });

  it('keeps a view in the objects namespace of the state, materialized or not', () => {
    expect(getPluginObject(withCounts, 'objects', 'counts')).toEqual({ type: 'view', sql: 'SELECT 1 AS n', materialized: true });
    const plain = apply(withCounts, objects.replaceView('counts', 'SELECT 2 AS n'));
    expect(getPluginObject(plain, 'objects', 'counts')).toEqual({ type: 'view', sql: 'SELECT 2 AS n' });
    expect(getPluginObject(apply(plain, objects.dropView('counts')), 'objects', 'counts')).toBeUndefined();
  });

  it('refuses bad input with one line naming the view', () => {
    expect(() => defineView('bad\u0000name', 'SELECT 1')).toThrow(/view/);
    expect(() => defineView('empty', '  ')).toThrow('View "empty" needs its SELECT as a non-empty string, got "  "');
    expect(() => defineView('flag', 'SELECT 1', { materialized: 'yes' as unknown as boolean })).toThrow('View "flag": materialized must be true or false, got "yes"');
    expect(() => apply(withCounts, objects.createView('counts', 'SELECT 3'))).toThrow('Cannot create view "counts": a view or table of that name exists');
    expect(() => apply(EMPTY_STATE, objects.replaceView('nope', 'SELECT 3'))).toThrow('View "nope" does not exist (no migration before this one creates it)');
    expect(() => apply(EMPTY_STATE, objects.dropView('nope'))).toThrow('View "nope" does not exist');
  });

  it('reverses a drop and a replace with the definition the state held before', () => {
    expect(definition('objects.dropView').reverse({ name: 'counts' }, withCounts)).toEqual([objects.createView('counts', 'SELECT 1 AS n', { materialized: true })]);
    expect(definition('objects.replaceView').reverse({ name: 'counts', sql: 'SELECT 2 AS n' }, withCounts)).toEqual([
      objects.replaceView('counts', 'SELECT 1 AS n', { materialized: true }),
    ]);
    expect(definition('objects.createView').reverse({ name: 'counts', sql: 'SELECT 1' }, EMPTY_STATE)).toEqual([objects.dropView('counts')]);
    expect(definition('objects.dropView').reverse({ name: 'counts' }, EMPTY_STATE)).toBe(IRREVERSIBLE);
  });

  it('renders quoted SQL per dialect, dropping the old kind on a replace', async () => {
    const postgres = createPostgresDialect();
    expect(await sqlOf(objects.createView('counts', 'SELECT 1 AS n', { materialized: true }), EMPTY_STATE, postgres)).toEqual(['CREATE MATERIALIZED VIEW "counts" AS SELECT 1 AS n']);
    expect(await sqlOf(objects.replaceView('counts', 'SELECT 2 AS n'), withCounts, postgres)).toEqual(['DROP MATERIALIZED VIEW "counts"', 'CREATE VIEW "counts" AS SELECT 2 AS n']);
    expect(await sqlOf(objects.dropView('counts'), withCounts, postgres)).toEqual(['DROP MATERIALIZED VIEW "counts"']);
    expect(await sqlOf(objects.createView('v', 'SELECT 1'), EMPTY_STATE, createMysqlDialect())).toEqual(['CREATE VIEW `v` AS SELECT 1']);
    expect(await sqlOf(objects.createView('v', 'SELECT 1'), EMPTY_STATE, createSqliteDialect())).toEqual(['CREATE VIEW "v" AS SELECT 1']);
    await expect(sqlOf(objects.createView('counts', 'SELECT 1', { materialized: true }), EMPTY_STATE, createMysqlDialect())).rejects.toThrow(
      'Materialized view "counts" needs PostgreSQL: engine "mysql" has no materialized views',
    );
  });

  it("serves every dialect of the PostgreSQL family from sql.postgres: materialized views, with no list of engine names", async () => {
    const compatible = new PostgresCompatibleDialect();
    expect(await sqlOf(objects.createView('counts', 'SELECT 1 AS n', { materialized: true }), EMPTY_STATE, compatible)).toEqual(['CREATE MATERIALIZED VIEW "counts" AS SELECT 1 AS n']);
    expect(await sqlOf(objects.replaceView('counts', 'SELECT 2 AS n', { materialized: true }), withCounts, compatible)).toEqual([
      'DROP MATERIALIZED VIEW "counts"',
      'CREATE MATERIALIZED VIEW "counts" AS SELECT 2 AS n',
    ]);
    expect(await sqlOf(objects.refreshView('counts'), withCounts, compatible)).toEqual(['REFRESH MATERIALIZED VIEW "counts"']);
    await expect(sqlOf(objects.refreshView('counts'), withCounts, createSqliteDialect())).rejects.toThrow(
      'Materialized view "counts" needs PostgreSQL: engine "sqlite" has no materialized views',
    );
  });

  it('refreshes a materialized view only, changing no state and reversed by nothing', async () => {
    expect(apply(withCounts, objects.refreshView('counts'))).toBe(withCounts);
    expect(definition('objects.refreshView').reverse({ name: 'counts' }, withCounts)).toEqual([]);
    const plain = apply(EMPTY_STATE, objects.createView('plain', 'SELECT 1'));
    expect(() => apply(plain, objects.refreshView('plain'))).toThrow('Cannot refresh view "plain": it is not a materialized view');
    expect(() => apply(EMPTY_STATE, objects.refreshView('nope'))).toThrow('View "nope" does not exist');
    const postgres = createPostgresDialect();
    expect(await sqlOf(objects.refreshView('counts', { concurrently: true }), withCounts, postgres)).toEqual(['REFRESH MATERIALIZED VIEW CONCURRENTLY "counts"']);
    expect(definition('objects.refreshView').transactional).toBeInstanceOf(Function);
    const transactional = definition('objects.refreshView').transactional as (args: unknown) => boolean;
    expect([transactional({ name: 'counts' }), transactional({ name: 'counts', concurrently: true })]).toEqual([true, false]);
  });

  it('puts drops before the table changes, creations after, and takes a kept view that reads a changed table around them', () => {
    let from = apply(EMPTY_STATE, objects.createView('old_view', 'SELECT 1'));
    from = apply(from, objects.createView('names', 'SELECT name FROM "users"'));
    from = apply(from, objects.createView('posts_view', 'SELECT id FROM posts'));
    from = apply(from, objects.createView('users_archive_view', 'SELECT id FROM users_archive'));
    let to = apply(from, objects.dropView('old_view'));
    to = apply(to, objects.replaceView('names', 'SELECT upper(name) AS name FROM "users"'));
    to = apply(to, objects.createView('fresh', 'SELECT 2'));
    const alter = op.alterColumn('users', 'name', t.text());
    expect(orderViewChanges([alter], from, to)).toEqual([
      objects.dropView('old_view'),
      objects.dropView('names'),
      alter,
      objects.createView('fresh', 'SELECT 2'),
      objects.createView('names', 'SELECT upper(name) AS name FROM "users"'),
    ]);
    const add = op.addColumn('users', 'bio', t.text());
    expect(orderViewChanges([add], from, to)).toEqual([
      objects.dropView('old_view'),
      add,
      objects.replaceView('names', 'SELECT upper(name) AS name FROM "users"'),
      objects.createView('fresh', 'SELECT 2'),
    ]);
  });

  it('is written with its own builders and import', () => {
    const imports = [{ from: '@covet/plugin-objects', names: ['objects'] }];
    expect(definition('objects.createView').write!({ name: 'counts', sql: "SELECT 'a' AS x", materialized: true })).toEqual({
      code: 'objects.createView("counts", "SELECT \'a\' AS x", { materialized: true })',
      imports,
    });
    expect(definition('objects.dropView').write!({ name: 'counts' })).toEqual({ code: 'objects.dropView("counts")', imports });
    expect(definition('objects.refreshView').write!({ name: 'counts', concurrently: true })).toEqual({ code: 'objects.refreshView("counts", { concurrently: true })', imports });
  });
});
