import { describe, expect, it } from 'vitest';
import { covetErrorOf } from '../../test/helpers.js';
import { MigrationGraph, type GraphNode } from './migration-graph.js';

/** A node from `app:name`, depending on `app:name` ids. */
function node(id: string, dependencies: string[] = [], file?: string): GraphNode {
  const [app, name] = id.split(':') as [string, string];
  return { id, app, name, dependencies, ...(file === undefined ? {} : { file }) };
}

const ids = (nodes: readonly GraphNode[]) => nodes.map((n) => n.id);

describe('MigrationGraph', () => {
  it('orders dependencies first, across apps, breaking ties by name then app', () => {
    const graph = new MigrationGraph([
      node('shop:0003_orders', ['shop:0002_products', 'auth:0002_profiles']),
      node('auth:0002_profiles', ['auth:0001_users']),
      node('shop:0002_products', ['shop:0001_initial']),
      node('shop:0001_initial'),
      node('auth:0001_users'),
      node('blog:0001_initial'),
      node('auth:0003_sessions', ['auth:0002_profiles']),
    ]);
    // Among migrations free to go, the name decides (timestamps sort in creation order), then the app.
    expect(ids(graph.order())).toStrictEqual([
      'blog:0001_initial',
      'shop:0001_initial',
      'auth:0001_users',
      'shop:0002_products',
      'auth:0002_profiles',
      'shop:0003_orders',
      'auth:0003_sessions',
    ]);
  });

  it('gives the same order whatever order the nodes come in', () => {
    const nodes = [
      node('a:0001', []),
      node('b:0001', []),
      node('a:0002', ['a:0001']),
      node('b:0002', ['b:0001', 'a:0001']),
      node('a:0003', ['a:0002', 'b:0002']),
    ];
    const expected = ['a:0001', 'b:0001', 'a:0002', 'b:0002', 'a:0003'];
    expect(ids(new MigrationGraph(nodes).order())).toStrictEqual(expected);
    expect(ids(new MigrationGraph([...nodes].reverse()).order())).toStrictEqual(expected);
    expect(ids(new MigrationGraph([nodes[3]!, nodes[0]!, nodes[4]!, nodes[2]!, nodes[1]!]).order())).toStrictEqual(expected);
  });

  it('a migration that becomes ready later still goes before a later name', () => {
    // 0002 waits for 0001; once that is done it still sorts before 0003 (ready since the start).
    const graph = new MigrationGraph([node('a:0002', ['a:0001']), node('a:0001'), node('a:0003')]);
    expect(ids(graph.order())).toStrictEqual(['a:0001', 'a:0002', 'a:0003']);
  });

  it('names the cycle, and the file', () => {
    const error = covetErrorOf(
      () => new MigrationGraph([node('a:1', ['a:2'], 'migrations/1.ts'), node('a:2', ['a:1'], 'migrations/2.ts')]),
    );
    expect(error.code).toBe('DEPENDENCY_CYCLE');
    expect(error.message).toBe('Dependency cycle: a:1 -> a:2 -> a:1 (migrations/1.ts)');
  });

  it('names only the migrations of the cycle, across apps, in dependency order', () => {
    const error = covetErrorOf(
      () =>
        new MigrationGraph([
          node('a:0000_first'),
          node('x:0000_downstream', ['b:2']),
          node('a:1', ['a:0000_first', 'c:3']),
          node('b:2', ['a:1']),
          node('c:3', ['b:2']),
        ]),
    );
    expect(error.message).toBe('Dependency cycle: b:2 -> c:3 -> a:1 -> b:2');
  });

  it('names a self-dependency', () => {
    expect(covetErrorOf(() => new MigrationGraph([node('a:1', ['a:1'], 'm/1.ts')])).message).toBe('Dependency cycle: a:1 -> a:1 (m/1.ts)');
  });

  it('names a missing dependency, the migration and its file', () => {
    const error = covetErrorOf(() => new MigrationGraph([node('a:1'), node('a:2', ['a:1', 'auth:0009_gone'], '/app/migrations/2.ts')]));
    expect(error.code).toBe('DEPENDENCY_MISSING');
    expect(error.message).toBe('Migration a:2 depends on auth:0009_gone, which does not exist (/app/migrations/2.ts)');
  });

  it('refuses a duplicate id, naming both files', () => {
    const error = covetErrorOf(() => new MigrationGraph([node('a:1', [], 'm/1.ts'), node('a:1', [], 'm/1.js')]));
    expect(error.code).toBe('MIGRATION_DUPLICATE');
    expect(error.message).toBe('Migration a:1 is defined twice (m/1.ts and m/1.js)');
  });

  const graph = new MigrationGraph([
    node('a:1'),
    node('a:2', ['a:1']),
    node('a:3a', ['a:2']),
    node('a:3b', ['a:2']),
    node('b:1', ['a:2']),
    node('b:2', ['b:1', 'a:3a']),
  ]);

  it('leaves(app): migrations no other migration of the same app depends on', () => {
    expect(ids(graph.leaves('a'))).toStrictEqual(['a:3a', 'a:3b']);
    expect(ids(graph.leaves('b'))).toStrictEqual(['b:2']);
    expect(graph.leaves('nope')).toStrictEqual([]);
  });

  it('ancestors(id): itself and everything it needs, in graph order', () => {
    expect(ids(graph.order())).toStrictEqual(['a:1', 'a:2', 'b:1', 'a:3a', 'b:2', 'a:3b']);
    expect(ids(graph.ancestors('b:2'))).toStrictEqual(['a:1', 'a:2', 'b:1', 'a:3a', 'b:2']);
    expect(ids(graph.ancestors('a:1'))).toStrictEqual(['a:1']);
  });

  it('descendants(id): everything that needs it, not itself, in graph order', () => {
    expect(ids(graph.descendants('a:2'))).toStrictEqual(['b:1', 'a:3a', 'b:2', 'a:3b']);
    expect(ids(graph.descendants('b:1'))).toStrictEqual(['b:2']);
    expect(ids(graph.descendants('a:3a'))).toStrictEqual(['b:2']);
    expect(graph.descendants('b:2')).toStrictEqual([]);
  });

  it('get, has and size', () => {
    expect(graph.size).toBe(6);
    expect(graph.has('b:1')).toBe(true);
    expect(graph.has('b:9')).toBe(false);
    expect(graph.get('a:3b')).toStrictEqual(node('a:3b', ['a:2']));
    expect(new MigrationGraph([]).order()).toStrictEqual([]);
  });
});
