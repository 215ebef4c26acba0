import { CovetError } from '../errors/covet-error.js';
import { resolveReplacements } from './replacements.js';

/** What the graph needs to know of a migration. */
export interface GraphNode {
  readonly id: string;
  readonly app: string;
  readonly name: string;
  readonly dependencies: readonly string[];
  /** Ids of the migrations a squashed migration replaces (see {@link MigrationGraph}). */
  readonly replaces?: readonly string[];
  readonly file?: string;
}

function compareNodes(a: GraphNode, b: GraphNode): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.app < b.app ? -1 : a.app > b.app ? 1 : 0;
}

/**
 * The dependency graph of all migrations of all apps. Its order is topological and, among
 * migrations free to go next, by name (timestamps sort in creation order) then app, so the
 * order is the same on every machine.
 */
export class MigrationGraph<Node extends GraphNode = GraphNode> {
  readonly #nodes = new Map<string, Node>();
  readonly #order: Node[];
  /** Every node given, squashed and replaced migrations alike, to choose again for another database. */
  readonly #given: readonly Node[];

  /**
   * Builds the graph; throws a one-line error naming a missing dependency (and the file
   * that needs it) or the migrations of a cycle. Of a squashed migration (`replaces`) and
   * the migrations it replaces, the graph holds one side, chosen by Django's rules for the
   * migrations `applied` (default none: the squashed one); see {@link forApplied}.
   */
  constructor(nodes: Iterable<Node>, options: { readonly applied?: ReadonlySet<string> } = {}) {
    this.#given = [...nodes];
    for (const node of resolveReplacements(this.#given, options.applied ?? new Set())) {
      const existing = this.#nodes.get(node.id);
      if (existing) {
        throw new CovetError(
          'MIGRATION_DUPLICATE',
          `Migration ${node.id} is defined twice (${existing.file ?? '?'} and ${node.file ?? '?'})`,
        );
      }
      this.#nodes.set(node.id, node);
    }
    for (const node of this.#nodes.values()) {
      for (const dependency of node.dependencies) {
        if (!this.#nodes.has(dependency)) {
          throw new CovetError(
            'DEPENDENCY_MISSING',
            `Migration ${node.id} depends on ${dependency}, which does not exist (${node.file ?? node.id})`,
          );
        }
      }
    }
    this.#order = this.#sort();
  }

  /**
   * Kahn's algorithm with the ready migrations in a binary heap ordered by name then app:
   * O(n log r) for n migrations of which at most r are ready at once (1 in a straight chain),
   * where inserting into a sorted array was quadratic.
   */
  #sort(): Node[] {
    const remaining = new Map<string, number>();
    const dependents = new Map<string, Node[]>();
    const ready = new NodeHeap<Node>();
    for (const node of this.#nodes.values()) {
      const dependencies = new Set(node.dependencies);
      remaining.set(node.id, dependencies.size);
      if (dependencies.size === 0) ready.push(node);
      for (const dependency of dependencies) {
        const list = dependents.get(dependency);
        if (list) list.push(node);
        else dependents.set(dependency, [node]);
      }
    }
    const order: Node[] = [];
    for (let node = ready.pop(); node !== undefined; node = ready.pop()) {
      order.push(node);
      for (const dependent of dependents.get(node.id) ?? []) {
        const left = remaining.get(dependent.id)! - 1;
        remaining.set(dependent.id, left);
        if (left === 0) ready.push(dependent);
      }
    }
    if (order.length !== this.#nodes.size) throw this.#cycleError(remaining);
    return order;
  }

  #cycleError(remaining: Map<string, number>): CovetError {
    // Walk dependencies among the unsorted nodes until one repeats: that loop is a cycle.
    const stuck = [...this.#nodes.values()].filter((node) => remaining.get(node.id)! > 0).sort(compareNodes);
    const path: string[] = [];
    let current: Node | undefined = stuck[0];
    while (current && !path.includes(current.id)) {
      path.push(current.id);
      const next: string | undefined = current.dependencies.find((d) => remaining.get(d)! > 0);
      current = next === undefined ? undefined : this.#nodes.get(next);
    }
    const cycle = current ? [...path.slice(path.indexOf(current.id)), current.id].reverse() : path;
    const file = current?.file ?? stuck[0]?.file;
    return new CovetError('DEPENDENCY_CYCLE', `Dependency cycle: ${cycle.join(' -> ')}${file ? ` (${file})` : ''}`);
  }

  /**
   * The graph for a database that applied `applied` (ids): a squashed migration is used when
   * it is applied, or when all or none of the migrations it replaces are; otherwise those
   * migrations are. The same graph when no migration is squashed.
   */
  forApplied(applied: ReadonlySet<string>): MigrationGraph<Node> {
    if (!this.#given.some((node) => node.replaces !== undefined && node.replaces.length > 0)) return this;
    return new MigrationGraph(this.#given, { applied });
  }

  /** Every migration, dependencies first. */
  order(): readonly Node[] {
    return this.#order;
  }

  get(id: string): Node | undefined {
    return this.#nodes.get(id);
  }

  has(id: string): boolean {
    return this.#nodes.has(id);
  }

  get size(): number {
    return this.#nodes.size;
  }

  /** Migrations of `app` that no other migration of the same app depends on. */
  leaves(app: string): Node[] {
    const depended = new Set<string>();
    for (const node of this.#nodes.values()) {
      if (node.app === app) for (const dependency of node.dependencies) depended.add(dependency);
    }
    return this.#order.filter((node) => node.app === app && !depended.has(node.id));
  }

  /** `id` and everything it depends on, transitively, in graph order. */
  ancestors(id: string): Node[] {
    const wanted = new Set<string>([id]);
    // A stack, not recursion: a chain of thousands of migrations is as deep.
    const stack = [id];
    for (let current = stack.pop(); current !== undefined; current = stack.pop()) {
      for (const dependency of this.#nodes.get(current)?.dependencies ?? []) {
        if (!wanted.has(dependency)) {
          wanted.add(dependency);
          stack.push(dependency);
        }
      }
    }
    return this.#order.filter((node) => wanted.has(node.id));
  }

  /** Everything that depends on `id`, transitively (not `id` itself), in graph order. */
  descendants(id: string): Node[] {
    const found = new Set<string>([id]);
    for (const node of this.#order) {
      if (node.dependencies.some((dependency) => found.has(dependency))) found.add(node.id);
    }
    found.delete(id);
    return this.#order.filter((node) => found.has(node.id));
  }
}

/** A binary min-heap of graph nodes by {@link compareNodes}. */
class NodeHeap<Node extends GraphNode> {
  readonly #items: Node[] = [];

  push(node: Node): void {
    const items = this.#items;
    let at = items.push(node) - 1;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (compareNodes(items[parent]!, node) <= 0) break;
      items[at] = items[parent]!;
      at = parent;
    }
    items[at] = node;
  }

  pop(): Node | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    let at = 0;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && compareNodes(items[right]!, items[left]!) < 0 ? right : left;
      if (compareNodes(last, items[child]!) <= 0) break;
      items[at] = items[child]!;
      at = child;
    }
    items[at] = last;
    return top;
  }
}
