import { join } from 'node:path';
import {
  canonicalJson,
  createOperation,
  CovetError,
  findMigration,
  isBuiltinOperationKind,
  replayMigrations,
  type Migration,
  type MigrationEntry,
  type Operation,
  type TableState,
} from '@covet/core';
import { migrationName, renderMigration, writeMigrationFile } from '@covet/writer-ts';
import type { JsonReport } from '../json-report.js';
import type { Output } from '../output.js';
import type { Project } from '../project.js';

/** Options of `covet squashmigrations`. */
export interface SquashMigrationsOptions {
  readonly app?: string;
  /** Label of the squashed migration's name (default `squashed_<TO's timestamp>`). */
  readonly name?: string;
  /** Print what would be written, write nothing. */
  readonly dryRun?: boolean;
  /** Keep the operations as they are, one after the other (no merging). */
  readonly noOptimize?: boolean;
  readonly report?: JsonReport;
}

/** What `squashmigrations` wrote. */
export interface SquashMigrationsResult {
  readonly name: string;
  readonly file?: string;
  readonly source: string;
  /** Ids of the migrations replaced, in order. */
  readonly replaces: readonly string[];
  readonly operations: readonly Operation[];
  /** How many operations the replaced migrations had together. */
  readonly operationsBefore: number;
}

/**
 * Writes one migration that replaces the migrations of an app from FROM to TO (both
 * included; Django's `squashmigrations`): their operations in order, with `createTable`
 * followed by `addColumn` / `createIndex` on the same table merged, and a table created and
 * dropped within the range left out, where nothing in between looks at the table. The
 * result is checked by replaying it: it must give the same schema as the originals, or the
 * operations are written unmerged. The new file says `replaces: [...]`: a database that
 * applied all the originals counts it as applied, one that applied some of them goes on
 * with the originals, and a fresh database applies it alone. The originals can be deleted
 * once every database has applied them all (or the squashed one).
 */
export async function squashMigrations(
  project: Project,
  from: string,
  to: string,
  options: SquashMigrationsOptions,
  output: Output,
): Promise<SquashMigrationsResult> {
  const c = output.colors;
  const appName = options.app ?? project.config.app;
  const app = project.config.apps.find((candidate) => candidate.name === appName);
  if (!app) throw new CovetError('APP_UNKNOWN', `Unknown app "${appName}" (--app)`);
  const where = `squashmigrations ${from} ${to}`;
  // A bad --name is refused before any work.
  if (options.name !== undefined) migrationName(options.name);
  const graph = await project.migrations();
  const first = findMigration(graph, from, app.name, where);
  const last = findMigration(graph, to, app.name, where);
  if (first.app !== app.name || last.app !== app.name) {
    throw new CovetError('SQUASH_INVALID', `FROM and TO must be migrations of app ${app.name} (${where})`, { hint: 'Name the app with --app.' });
  }
  const own = graph.order().filter((entry) => entry.app === app.name);
  const start = own.indexOf(first);
  const end = own.indexOf(last);
  if (start > end) throw new CovetError('SQUASH_INVALID', `${first.id} comes after ${last.id}: give the earlier migration first (${where})`);
  const range = own.slice(start, end + 1);
  if (range.length < 2) throw new CovetError('SQUASH_INVALID', `Nothing to squash: ${first.id} to ${last.id} is one migration (${where})`);
  const inRange = new Set(range.map((entry) => entry.id));
  const migrations = await Promise.all(range.map((entry) => entry.load()));
  refuseUnsquashable(graph, range, migrations, inRange, where);

  // Dependencies of the squashed migration: those of the range that point outside it.
  const external = [...new Set(range.flatMap((entry) => entry.dependencies).filter((id) => !inRange.has(id)))];
  const dependencies = external.map((id) => (id.startsWith(`${app.name}:`) ? id.slice(app.name.length + 1) : id));
  const original = migrations.flatMap((migration) => migration.operations);
  // What the range is applied on top of: every dependency of its migrations, outside it.
  const underneath = new Set(range.flatMap((entry) => graph.ancestors(entry.id)).map((entry) => entry.id));
  const before = graph.order().filter((entry) => underneath.has(entry.id) && !inRange.has(entry.id));
  const baseline = await Promise.all(before.map((entry) => entry.load()));
  const expected = stateOf(project, [...baseline, ...migrations]);
  let operations = options.noOptimize ? original : optimize(original);
  if (operations !== original && stateOf(project, [...baseline, pseudo(app.name, operations)]) !== expected) {
    output.error(`${c.yellow('warning:')} the merged operations did not replay to the same schema: writing them unmerged`);
    operations = original;
  }

  const timestamp = /^\d{14}/.exec(first.name)?.[0];
  const label = options.name ?? `squashed_${/^\d{14}/.exec(last.name)?.[0] ?? last.name}`;
  const name = timestamp ? `${timestamp}_${migrationName(label).slice(15)}` : migrationName(label);
  if (graph.has(`${app.name}:${name}`)) {
    throw new CovetError('SQUASH_INVALID', `A migration named ${name} exists already (${where})`, { hint: 'Choose another label with --name.' });
  }
  const replaces = range.map((entry) => entry.name);
  const source = renderMigration({ operations, dependencies, replaces, registry: project.covet.operations });
  const file = await project.covet.hooks.processMigrationFile.promise({ path: join(app.migrationsDir, `${name}.ts`), source }, { report: project.covet.reporter, app: app.name, name, operations });

  output.line(`${c.bold(`Squashed ${range.length} migrations of ${app.name}`)} (${original.length} operations into ${operations.length}):`);
  output.line(`  ${c.cyan(name)} replaces ${range[0]!.name} .. ${range.at(-1)!.name}`);
  let written: string | undefined;
  if (options.dryRun) {
    output.line(c.dim('(dry run: nothing written)'));
  } else {
    written = await writeMigrationFile({ directory: app.migrationsDir, name, source: file.source });
    output.line(`  ${c.green('wrote')} ${written}`);
    output.line(
      c.dim(
        '  Keep the replaced files until every database has applied them all or the squashed migration (covet showmigrations); then delete them, and drop replaces if you like.',
      ),
    );
  }
  if (options.report) {
    options.report.app = app.name;
    options.report.set('dryRun', options.dryRun === true);
    options.report.set('name', name);
    options.report.set('file', written ?? null);
    options.report.set('replaces', range.map((entry) => entry.id));
    options.report.set('operations', { before: original.length, after: operations.length });
  }
  return { name, ...(written ? { file: written } : {}), source: file.source, replaces: range.map((entry) => entry.id), operations, operationsBefore: original.length };
}

/** Refuses what a squash cannot keep working: custom code, mixed atomicity, squashes of squashes, branches and cycles. */
function refuseUnsquashable(
  graph: Awaited<ReturnType<Project['migrations']>>,
  range: readonly MigrationEntry[],
  migrations: readonly Migration[],
  inRange: ReadonlySet<string>,
  where: string,
): void {
  for (const migration of migrations) {
    const file = migration.file ?? migration.id;
    if (migration.up || migration.down) {
      throw new CovetError('SQUASH_UNSUPPORTED', `${migration.id} has custom up/down code, which cannot be copied into a squashed migration (${file})`, {
        hint: 'Squash the migrations before it and after it separately.',
      });
    }
    if (migration.replaces) {
      throw new CovetError('SQUASH_UNSUPPORTED', `${migration.id} is itself a squashed migration (${file})`, {
        hint: 'Delete the migrations it replaces first (once every database has applied it), then squash again.',
      });
    }
  }
  if (new Set(migrations.map((migration) => migration.atomic)).size > 1) {
    const outside = migrations.find((migration) => !migration.atomic)!;
    throw new CovetError('SQUASH_UNSUPPORTED', `${outside.id} runs outside a transaction (atomic: false) and the others do not (${outside.file ?? outside.id})`, {
      hint: 'Squash the migrations before it and after it separately.',
    });
  }
  const app = range[0]!.app;
  const first = range[0]!;
  const afterFirst = new Set(graph.descendants(first.id).map((entry) => entry.id));
  for (const entry of range) {
    for (const dependency of entry.dependencies) {
      if (inRange.has(dependency)) continue;
      // A migration of the app between FROM and TO that is not in the range: a branch.
      if (dependency.startsWith(`${app}:`) && afterFirst.has(dependency)) {
        throw new CovetError('SQUASH_INVALID', `${entry.id} depends on ${dependency}, which is not in the range (${where})`);
      }
      // Something outside that depends on the range itself: the squashed migration would depend on its dependent.
      const loop = graph.ancestors(dependency).find((ancestor) => inRange.has(ancestor.id));
      if (loop) {
        throw new CovetError('SQUASH_INVALID', `${entry.id} depends on ${dependency}, which depends on ${loop.id} in the range: the squashed migration would depend on itself (${where})`, {
          hint: 'Squash a range that ends before it.',
        });
      }
    }
  }
}

/** A migration of `operations`, to replay. */
function pseudo(app: string, operations: readonly Operation[]): Migration {
  return { app, name: 'squashed', id: `${app}:squashed`, dependencies: [], operations, atomic: true, checksum: '' };
}

/** The schema `migrations` replay to, as canonical JSON (to compare). */
function stateOf(project: Project, migrations: readonly Migration[]): string {
  return canonicalJson(replayMigrations(migrations, project.covet.operations).state);
}

/** Table names an operation names anywhere in its arguments (conservatively: any string equal to the name). */
function mentions(operation: Operation, table: string): boolean {
  const quoted = JSON.stringify(table);
  return JSON.stringify(operation.args).includes(quoted);
}

/**
 * Merges what is safe to merge, in one pass per created table: `addColumn` and
 * `createIndex` on a table created earlier in the range move into its `createTable` when no
 * operation in between names the table and only built-in operations lie in between (a
 * `runSql` may read or write the table as it was); a `dropTable` of a table created in the
 * range removes both when nothing in between names it. Anything else stays in place.
 */
function optimize(operations: readonly Operation[]): readonly Operation[] {
  const result: (Operation | undefined)[] = [...operations];
  for (let i = 0; i < result.length; i++) {
    const created = result[i];
    if (created?.kind !== 'createTable') continue;
    let table = created.args as TableState;
    for (let j = i + 1; j < result.length; j++) {
      const operation = result[j];
      if (operation === undefined) continue;
      if (!isBuiltinOperationKind(operation.kind) || operation.kind === 'runSql') break;
      if (!mentions(operation, table.name)) continue;
      const args = operation.args as { table?: string; name?: string; column?: { name: string }; index?: { name: string; columns: readonly string[] } };
      const between = result.slice(i + 1, j).filter((other): other is Operation => other !== undefined);
      if (between.some((other) => mentions(other, table.name))) break;
      if (operation.kind === 'addColumn' && args.table === table.name && args.column) {
        if (table.columns.some((column) => column.name === args.column!.name)) break;
        table = { ...table, columns: [...table.columns, args.column as TableState['columns'][number]] };
      } else if (operation.kind === 'createIndex' && args.table === table.name && args.index) {
        const index = args.index;
        if (!index.columns.every((column) => table.columns.some((candidate) => candidate.name === column))) break;
        if (table.indexes.some((existing) => existing.name === index.name)) break;
        table = { ...table, indexes: [...table.indexes, index as TableState['indexes'][number]] };
      } else if (operation.kind === 'dropTable' && args.name === table.name) {
        result[i] = undefined;
        result[j] = undefined;
        break;
      } else {
        break;
      }
      result[i] = createOperation('createTable', table);
      result[j] = undefined;
    }
  }
  return result.filter((operation): operation is Operation => operation !== undefined);
}
