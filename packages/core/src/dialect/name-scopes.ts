import { CovetError } from '../errors/covet-error.js';
import type { SchemaState, TableState } from '../schema/types.js';
import { indexOwner, tablesOf } from '../state/schema-state.js';
import type { DialectCapabilities, NamedObjectKind, NameScope } from './dialect.js';

/**
 * The namespaces a dialect declares (`capabilities.nameScopes`), or, for one that does not,
 * the rules Covet always applied: index names in the schema (or per table when
 * `indexNameScope` says so), and the index and foreign key names of one table all different.
 */
export function nameScopesOf(capabilities: DialectCapabilities | undefined): readonly NameScope[] {
  if (capabilities?.nameScopes) return capabilities.nameScopes;
  return [
    { kinds: ['index'], scope: capabilities?.indexNameScope ?? 'schema' },
    { kinds: ['index', 'foreignKey'], scope: 'table' },
  ];
}

const LABEL: Readonly<Record<NamedObjectKind, string>> = { index: 'index', foreignKey: 'foreign key' };

function namesOf(table: TableState, kind: NamedObjectKind): readonly { name: string }[] {
  return (kind === 'index' ? table.indexes : table.foreignKeys) ?? [];
}

/**
 * What already holds `name`, given to a new object of `kind` on `table`, in a namespace of the
 * dialect, or undefined when it is free. `table` is the table as it will be (with the new
 * object among its own), so objects of the same table are looked up there, and those of
 * other tables in `state`. `self` is the new object, skipped.
 */
function clashOf(
  state: SchemaState,
  table: TableState,
  kind: NamedObjectKind,
  name: string,
  self: object,
  scopes: readonly NameScope[],
): { kind: NamedObjectKind; table: string } | undefined {
  for (const scope of scopes) {
    if (!scope.kinds.includes(kind)) continue;
    for (const other of scope.kinds) {
      if (namesOf(table, other).some((item) => item.name === name && item !== self)) return { kind: other, table: table.name };
      if (scope.scope !== 'schema') continue;
      if (other === 'index') {
        // Index names are kept in buckets by the state, so this stays cheap on large schemas.
        const owner = indexOwner(state, name);
        if (owner !== undefined && owner !== table.name) return { kind: other, table: owner };
        continue;
      }
      for (const candidate of tablesOf(state)) {
        if (candidate.name !== table.name && candidate.foreignKeys.some((item) => item.name === name)) return { kind: other, table: candidate.name };
      }
    }
  }
  return undefined;
}

/**
 * Refuses names the dialect's namespaces do not allow (see `capabilities.nameScopes`) for the
 * indexes and foreign keys of `table` listed in `added` (all of them for a new table), as
 * validation does before any SQL runs. `where` names the operation in the message.
 */
export function checkNameScopes(
  state: SchemaState,
  table: TableState,
  added: { readonly indexes?: readonly object[]; readonly foreignKeys?: readonly object[] },
  capabilities: DialectCapabilities | undefined,
  where: string,
): void {
  // Two indexes, or two foreign keys, of one table never share a name: Covet knows them by name.
  const scopes: readonly NameScope[] = [...nameScopesOf(capabilities), { kinds: ['index'], scope: 'table' }, { kinds: ['foreignKey'], scope: 'table' }];
  for (const kind of ['index', 'foreignKey'] as const) {
    for (const item of (kind === 'index' ? added.indexes : added.foreignKeys) ?? []) {
      const name = (item as { name: string }).name;
      const clash = clashOf(state, table, kind, name, item, scopes);
      if (clash === undefined) continue;
      const label = LABEL[kind];
      const message =
        clash.kind === kind
          ? `${label[0]!.toUpperCase()}${label.slice(1)} "${name}" already exists on ${clash.table} (${where})`
          : `The name "${name}" of a new ${label} on ${table.name} is taken by ${LABEL[clash.kind]} ${name} of ${clash.table}, and this database keeps both in one namespace (${where})`;
      throw new CovetError(kind === 'index' ? 'INDEX_EXISTS' : 'FOREIGN_KEY_EXISTS', message);
    }
  }
}
