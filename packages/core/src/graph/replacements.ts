import { CovetError } from '../errors/covet-error.js';
import type { GraphNode } from './migration-graph.js';

/**
 * Chooses, for each squashed migration (one with `replaces`), whether the graph uses it or
 * the migrations it replaces, by Django's rules: the squashed migration when it is applied
 * itself, or when all or none of the replaced ones are applied (a fresh database, or one that
 * applied them all); otherwise (some applied, some not) the replaced ones, so the database
 * goes on from where it is. Dependencies on the migrations left out are pointed at the one
 * kept: on a replaced migration, at the squashed one; on the squashed one, at the last
 * migration it replaces. Throws when the replaced migrations are needed and a file is gone.
 */
export function resolveReplacements<Node extends GraphNode>(nodes: readonly Node[], applied: ReadonlySet<string>): Node[] {
  const squashed = nodes.filter((node) => node.replaces !== undefined && node.replaces.length > 0);
  if (squashed.length === 0) return [...nodes];
  const present = new Set(nodes.map((node) => node.id));
  /** Left-out id -> the id that stands for it. */
  const standIn = new Map<string, string>();
  for (const node of squashed) {
    const replaced = node.replaces!;
    const appliedCount = replaced.filter((id) => applied.has(id)).length;
    if (applied.has(node.id) || appliedCount === 0 || appliedCount === replaced.length) {
      for (const id of replaced) standIn.set(id, node.id);
      continue;
    }
    const missing = replaced.filter((id) => !present.has(id));
    if (missing.length > 0) {
      throw new CovetError(
        'SQUASH_INCOMPLETE',
        `Migration ${node.id} replaces ${replaced.length} migrations of which only ${appliedCount} ${appliedCount === 1 ? 'is' : 'are'} applied, and the file${missing.length === 1 ? '' : 's'} of ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing (${node.file ?? node.id})`,
        { hint: 'Restore the replaced migration files (version control) and migrate, so the database applies the rest of them; delete them once every database has applied all of them.' },
      );
    }
    standIn.set(node.id, replaced.at(-1)!);
  }
  const follow = (id: string): string => {
    // A squash of squashed migrations: follow the chain (bounded by the number of squashes).
    let current = id;
    for (let i = 0; i <= squashed.length && standIn.has(current); i++) current = standIn.get(current)!;
    return current;
  };
  const kept: Node[] = [];
  for (const node of nodes) {
    if (standIn.has(node.id)) continue;
    const dependencies = [...new Set(node.dependencies.map(follow))].filter((id) => id !== node.id);
    const changed = dependencies.length !== node.dependencies.length || dependencies.some((id, index) => id !== node.dependencies[index]);
    kept.push(changed ? ({ ...node, dependencies } as Node) : node);
  }
  return kept;
}
