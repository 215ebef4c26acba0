import { describe, expect, it } from 'vitest';
import { op } from '../operations/op.js';
import { BUILTIN_OPERATIONS } from '../operations/builtin/index.js';
import type { Operation } from '../operations/define-operation.js';
import { t } from '../schema/column-builder.js';
import type { SchemaState } from '../schema/types.js';
import { EMPTY_STATE } from '../state/schema-state.js';
import { EXIT_MIGRATION_CONFLICT, EXIT_MIGRATION_FILE_MISSING } from '../errors/covet-error.js';
import { branchesOf, changedObjects, conflictError, findConflicts, missingFilesError, overlappingChanges } from './history.js';
import { MigrationGraph, type GraphNode } from './migration-graph.js';

function node(id: string, dependencies: string[] = []): GraphNode {
  const [app, name] = id.split(':') as [string, string];
  return { id, app, name, dependencies };
}
const ids = (nodes: readonly GraphNode[]) => nodes.map((n) => n.id);

function apply(state: SchemaState, operations: readonly Operation[]): SchemaState {
  return operations.reduce((current, operation) => BUILTIN_OPERATIONS.find((d) => d.kind === operation.kind)!.applyToState(current, operation.args as never), state);
}

describe('history integrity', () => {
  const branched = new MigrationGraph([
    node('a:0001'),
    node('a:0002_x', ['a:0001']),
    node('a:0002_y', ['a:0001']),
    node('a:0003_y', ['a:0002_y', 'b:0001']),
    node('b:0001'),
    node('c:0001'),
    node('c:0002', ['c:0001']),
  ]);

  it('finds apps with more than one leaf, and only those', () => {
    expect(findConflicts(branched).map((conflict) => [conflict.app, ids(conflict.leaves)])).toStrictEqual([['a', ['a:0002_x', 'a:0003_y']]]);
    expect(findConflicts(branched, ['c'])).toStrictEqual([]);
    const merged = new MigrationGraph([...branched.order(), node('a:0004_merge', ['a:0002_x', 'a:0003_y'])]);
    expect(findConflicts(merged)).toStrictEqual([]);
  });

  it('splits the branches at what the leaves share', () => {
    const { base, branches } = branchesOf(branched, 'a');
    expect(ids(base)).toStrictEqual(['a:0001']);
    expect(branches.map((branch) => [branch.leaf.id, ids(branch.migrations)])).toStrictEqual([
      ['a:0002_x', ['a:0002_x']],
      ['a:0003_y', ['b:0001', 'a:0002_y', 'a:0003_y']],
    ]);
  });

  it('errors name the migrations, the way out, and have their own exit codes', () => {
    const conflict = conflictError(findConflicts(branched));
    expect(conflict.code).toBe('MIGRATION_CONFLICT');
    expect(conflict.exitCode).toBe(EXIT_MIGRATION_CONFLICT);
    expect(conflict.message).toBe('Conflicting migrations: more than one latest migration (app a: 0002_x, 0003_y)');
    expect(conflict.hint).toBe('Join the branches with covet makemigrations --merge --app a, then migrate.');
    const missing = missingFilesError(['a:0001', 'a:0002']);
    expect(missing.code).toBe('MIGRATION_FILE_MISSING');
    expect(missing.exitCode).toBe(EXIT_MIGRATION_FILE_MISSING);
    expect(missing.message).toBe('Applied migration(s) with no file: a:0001, a:0002 (tracking table)');
    expect(missing.hint).toContain('covet resolve a:0001 --forget');
    expect(missingFilesError(['1', '2', '3', '4', '5', '6', '7']).message).toBe('Applied migration(s) with no file: 1, 2, 3, 4, 5 and 2 more (tracking table)');
  });

  it('changed objects: tables, columns, indexes, keys', () => {
    const base = apply(EMPTY_STATE, [op.createTable('users', { id: t.serial().primaryKey(), name: t.text() }), op.createTable('posts', { id: t.serial().primaryKey() })]);
    const after = apply(base, [
      op.alterColumn('users', 'name', t.varchar(10)),
      op.createIndex('users', { name: 'users_name_idx', columns: ['name'] }),
      op.dropTable('posts'),
      op.createTable('tags', { id: t.serial().primaryKey() }),
    ]);
    expect([...changedObjects(base, after)].sort()).toStrictEqual(['posts', 'tags', 'users index users_name_idx', 'users.name']);
    expect([...changedObjects(base, base)]).toStrictEqual([]);
    const renamed = apply(base, [op.renameColumn('users', 'name', 'full_name')]);
    expect([...changedObjects(base, renamed)].sort()).toStrictEqual(['users.full_name', 'users.name']);
  });

  it('overlapping changes: the same object, or a whole table against a part of it', () => {
    expect(
      overlappingChanges(
        new Map([
          ['x', new Set(['users.name', 'posts'])],
          ['y', new Set(['users.name', 'posts.title'])],
          ['z', new Set(['tags', 'users.email'])],
        ]),
      ),
    ).toStrictEqual([
      { object: 'posts', branches: ['x', 'y'] },
      { object: 'users.name', branches: ['x', 'y'] },
    ]);
    expect(overlappingChanges(new Map([['x', new Set(['users.a'])], ['y', new Set(['users.b', 'users index i'])]]))).toStrictEqual([]);
  });
});
