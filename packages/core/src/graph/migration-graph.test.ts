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

describe('MigrationGraph order at scale', () => {
  /** The order by definition: repeatedly take the smallest (name, app) migration whose dependencies are all taken. */
  function referenceOrder(nodes: readonly GraphNode[]): string[] {
    const taken = new Set<string>();
    const order: string[] = [];
    const left = [...nodes];
    while (left.length > 0) {
      const free = left.filter((candidate) => candidate.dependencies.every((dependency) => taken.has(dependency)));
      free.sort((a, b) => (a.name !== b.name ? (a.name < b.name ? -1 : 1) : a.app < b.app ? -1 : a.app > b.app ? 1 : 0));
      const next = free[0]!;
      taken.add(next.id);
      order.push(next.id);
      left.splice(left.indexOf(next), 1);
    }
    return order;
  }

  it('matches the definition on random graphs of three apps with shared names and many ready at once', () => {
    // A fixed linear congruential sequence: the same graphs on every run.
    let seed = 12345;
    const random = (below: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % below;
    };
    for (let round = 0; round < 20; round++) {
      const nodes: GraphNode[] = [];
      for (let index = 0; index < 120; index++) {
        const app = ['a', 'b', 'c'][random(3)]!;
        const id = `${app}:${String(random(40)).padStart(4, '0')}_${index}`;
        // Dependencies only on earlier nodes: no cycle.
        const dependencies = [...new Set(Array.from({ length: random(3) }, () => nodes[random(Math.max(1, nodes.length))]?.id).filter((d): d is string => d !== undefined))];
        nodes.push(node(id, dependencies));
      }
      const shuffled = [...nodes].sort(() => random(3) - 1);
      expect(ids(new MigrationGraph(shuffled).order())).toStrictEqual(referenceOrder(nodes));
    }
  });

  it('orders a chain of 50,000 migrations and walks its ancestors and descendants (no recursion)', () => {
    const nodes: GraphNode[] = [];
    for (let index = 0; index < 50_000; index++) {
      nodes.push(node(`a:${String(index).padStart(6, '0')}`, index === 0 ? [] : [`a:${String(index - 1).padStart(6, '0')}`]));
    }
    const graph = new MigrationGraph([...nodes].reverse());
    expect(ids(graph.order())).toStrictEqual(ids(nodes));
    expect(graph.ancestors('a:049999')).toHaveLength(50_000);
    expect(graph.descendants('a:000000')).toHaveLength(49_999);
    expect(graph.leaves('a').map((leaf) => leaf.id)).toStrictEqual(['a:049999']);
  });

  it('orders 20,000 migrations with no dependencies by name then app', () => {
    const nodes = Array.from({ length: 20_000 }, (_, index) => node(`${index % 2 ? 'b' : 'a'}:${String(19_999 - index).padStart(6, '0')}`));
    const order = ids(new MigrationGraph(nodes).order());
    expect(order).toStrictEqual([...order].sort((x, y) => (x.slice(2) !== y.slice(2) ? (x.slice(2) < y.slice(2) ? -1 : 1) : x < y ? -1 : 1)));
    expect(order).toHaveLength(20_000);
  });
});
