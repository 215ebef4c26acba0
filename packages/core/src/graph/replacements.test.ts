import { describe, expect, it } from 'vitest';
import { MigrationGraph, type GraphNode } from './migration-graph.js';

const node = (name: string, dependencies: string[] = [], replaces?: string[]): GraphNode => ({
  id: `a:${name}`,
  app: 'a',
  name,
  dependencies: dependencies.map((d) => `a:${d}`),
  ...(replaces ? { replaces: replaces.map((r) => `a:${r}`) } : {}),
});

// 1 <- 2 <- 3 <- 4, and s replaces 1..3 (depends on what 1 depended on: nothing).
const NODES = [node('1'), node('2', ['1']), node('3', ['2']), node('4', ['3']), node('s', [], ['1', '2', '3'])];
const ids = (graph: MigrationGraph) => graph.order().map((n) => n.name);

describe('squashed migrations in the graph (Django rules)', () => {
  it('uses the squashed migration when none of the replaced ones are applied; dependents point at it', () => {
    const graph = new MigrationGraph(NODES);
    expect(ids(graph)).toEqual(['s', '4']);
    expect(graph.get('a:4')!.dependencies).toEqual(['a:s']);
    expect(graph.leaves('a').map((n) => n.name)).toEqual(['4']);
  });

  it('uses the squashed migration when all replaced ones are applied, or itself is', () => {
    expect(ids(new MigrationGraph(NODES).forApplied(new Set(['a:1', 'a:2', 'a:3'])))).toEqual(['s', '4']);
    expect(ids(new MigrationGraph(NODES).forApplied(new Set(['a:s'])))).toEqual(['s', '4']);
  });

  it('uses the replaced migrations when only some are applied; dependents of the squashed one point at the last', () => {
    const withDependent = [...NODES, node('5', ['s'])];
    const graph = new MigrationGraph(withDependent).forApplied(new Set(['a:1']));
    expect(ids(graph)).toEqual(['1', '2', '3', '4', '5']);
    expect(graph.get('a:5')!.dependencies).toEqual(['a:3']);
  });

  it('works once the replaced files are gone, and refuses a partly applied range without them', () => {
    const squashedOnly = [node('s', [], ['1', '2', '3']), node('4', ['3'])];
    expect(ids(new MigrationGraph(squashedOnly))).toEqual(['s', '4']);
    expect(ids(new MigrationGraph(squashedOnly).forApplied(new Set(['a:1', 'a:2', 'a:3'])))).toEqual(['s', '4']);
    expect(() => new MigrationGraph(squashedOnly).forApplied(new Set(['a:1']))).toThrow(
      'Migration a:s replaces 3 migrations of which only 1 is applied, and the files of a:1, a:2, a:3 are missing (a:s)',
    );
  });

  it('is the same graph when nothing is squashed', () => {
    const graph = new MigrationGraph([node('1'), node('2', ['1'])]);
    expect(graph.forApplied(new Set(['a:1']))).toBe(graph);
  });
});
