import { CovetError, EXIT_CHECKSUM_MISMATCH } from '../errors/covet-error.js';
import type { Dialect, DialectConnection } from '../dialect/dialect.js';
import type { MigrationGraph } from '../graph/migration-graph.js';
import type { Direction, RunHookContext } from '../hooks/hooks.js';
import type { KnownMigration, MigrationEntry, MigrationFiles } from '../loader/migration-loader.js';
import type { Migration } from '../migration/define-migration.js';
import type { Covet } from '../plugin/covet.js';
import { conflictError, findConflicts, missingFilesError } from '../graph/history.js';
import { findMigration } from '../graph/find-migration.js';
import type { PlanCache } from './plan-cache.js';
import type { TrackingReadOptions, TrackingRow } from './tracking-table.js';
import { partialState, type PartialState } from './intent-record.js';
import { MigrationPlanner } from './migration-planner.js';
import { MigrationExecutor, type RunEvent, type RunSummary } from './migration-executor.js';
import { TrackingStore } from './tracking-store.js';
import { compareChecksums } from '../migration/checksum-scheme.js';

export type { RunEvent, RunSummary } from './migration-executor.js';

/** Options of {@link MigrationRunner}. */
export interface MigrationRunnerOptions {
  readonly covet: Covet;
  readonly dialect: Dialect;
  readonly connection: DialectConnection;
  /**
   * The migrations: a graph, or the files as found (`findMigrationFiles`), evaluated only as
   * far as the tracking table leaves necessary: a file whose text is unchanged since its
   * migration was applied is not evaluated by `migrate` or `status`.
   */
  readonly migrations: MigrationGraph<MigrationEntry> | MigrationFiles;
  /** How long to wait for the migration lock (ms). Default 60 s. */
  readonly lockTimeoutMs?: number;
  /**
   * Where to keep the SQL compiled for migrations, to apply them to another database without
   * replaying and compiling them again (used when the dialect has a `cacheKey`). The CLI
   * passes `PlanCache.forProject(rootDir, dialect)`; without it, nothing is cached.
   */
  readonly planCache?: PlanCache;
  readonly onEvent?: (event: RunEvent) => void;
  /**
   * Stops the run at the next safe point once aborted (the CLI aborts it on SIGINT/SIGTERM):
   * where DDL is transactional, the current migration is rolled back; elsewhere the current
   * operation finishes and the migration is recorded as part-way. The error thrown is a
   * CovetError with code `INTERRUPTED`, the exit code of `signal.reason` when that is a
   * CovetError, and a message saying what was applied and what was not.
   */
  readonly signal?: AbortSignal;
  /**
   * Show the string literals of a failing statement in errors (the CLI's `--verbose`). By
   * default they are elided (`'…'`, see `elideLiterals`): a failing `INSERT ... VALUES
   * ('AKIA...')` must not print the secret it carries.
   */
  readonly showLiterals?: boolean;
}

/** One line of `showmigrations`. */
export interface MigrationStatus {
  readonly app: string;
  readonly name: string;
  readonly applied: boolean;
  readonly appliedAt: string | null;
  /** True when the file changed since the migration was applied. */
  readonly edited: boolean;
  /** True when the migration is recorded as applied but its file is gone. */
  readonly missingFile: boolean;
  /**
   * Set when an edit of the applied migration was accepted (`covet resolve --accept-edit`):
   * when (ISO 8601 UTC) and by which command.
   */
  readonly editAccepted?: { readonly at: string | null; readonly by: string };
  /**
   * Set when the migration is part-way (databases without transactional DDL): its run was
   * interrupted (process killed, connection lost: `interrupted`, or still running), stopped by
   * a signal between two operations (`stopped`), or failed and could not be undone (`failed`).
   * `operations` are the done ones (1-based); `error` says where it stopped or why it failed.
   */
  readonly failed?: { readonly direction: Direction; readonly operations: readonly number[]; readonly error: string; readonly state: PartialState };
}

/** Options of {@link MigrationRunner.migrate}. */
export interface MigrateOptions {
  /** Apply only up to this migration (`name` of the default app, or `app:name`), with its dependencies. */
  readonly target?: string;
  /** Record migrations as applied without running them. */
  readonly fake?: boolean;
  /** Print the SQL (as `sql` events) instead of running it. */
  readonly dryRun?: boolean;
  /** The app a bare `target` name belongs to (default `default`). */
  readonly defaultApp?: string;
  /** Only this app's migrations (and the migrations of other apps they depend on). */
  readonly app?: string;
}

/** Options of {@link MigrationRunner.rollback}. Without `steps` or `to`, the last migration. */
export interface RollbackOptions {
  /** Roll back the last N applied migrations. */
  readonly steps?: number;
  /** Roll back every migration applied after this one (which stays applied). */
  readonly to?: string;
  readonly dryRun?: boolean;
  readonly fake?: boolean;
  /** The app a bare `to` name belongs to (default `default`). */
  readonly defaultApp?: string;
  /** Only this app's migrations: `steps` counts them, `to` names one of them. */
  readonly app?: string;
}

/**
 * Applies and rolls back migrations. Every run holds the dialect's migration lock and reads
 * the tracking table only once it holds it, so concurrent runs never apply a migration
 * twice. Each migration runs in one transaction together with its tracking row (where the
 * dialect has transactional DDL). Everything is checked before the first statement: edited
 * migrations, unknown operations, policies (`validateMigration` / `validateOperation`),
 * operations a dialect has no SQL for, and irreversible rollbacks.
 *
 * It joins the three parts of a run: the {@link MigrationPlanner} (load, replay, validate,
 * compile, plan cache), the {@link MigrationExecutor} (batches, transactions, compensation,
 * lock, signals) and the {@link TrackingStore} (Covet's own tables). Here: which migrations a
 * command means, read against the tracking rows.
 */
export class MigrationRunner {
  readonly #options: MigrationRunnerOptions;
  readonly #store: TrackingStore;
  readonly #planner: MigrationPlanner;
  readonly #executor: MigrationExecutor;

  /** The graph as the last tracking read chose it: squashed migrations or the ones they replace (see #read). */
  #graph!: MigrationGraph<MigrationEntry>;

  constructor(options: MigrationRunnerOptions) {
    this.#options = options;
    if (!isMigrationFiles(options.migrations)) this.#graph = options.migrations;
    this.#store = new TrackingStore(options.connection);
    this.#planner = new MigrationPlanner({ covet: options.covet, dialect: options.dialect, planCache: options.planCache });
    this.#executor = new MigrationExecutor({
      covet: options.covet,
      dialect: options.dialect,
      connection: options.connection,
      planner: this.#planner,
      store: this.#store,
      entryOf: (id) => this.#graph.get(id),
      lockTimeoutMs: options.lockTimeoutMs,
      onEvent: options.onEvent,
      signal: options.signal,
      showLiterals: options.showLiterals,
    });
  }

  #emit(event: RunEvent): void {
    this.#options.onEvent?.(event);
  }

  /**
   * Reads the tracking rows and chooses the graph for them (MigrationGraph.forApplied: a
   * squashed migration, or the migrations it replaces). A squashed migration in use whose
   * replaced migrations are all applied counts as applied: the rows of those migrations are
   * read as one row of it, at the place of the last of them.
   */
  async #read(options: TrackingReadOptions = {}): Promise<TrackingRow[]> {
    const rows = await this.#store.read(options);
    const applied = new Set(rows.map((row) => `${row.app}:${row.name}`));
    this.#graph = (await this.#fullGraph(rows)).forApplied(applied);
    const squashedBy = new Map<string, MigrationEntry>();
    for (const entry of this.#graph.order()) for (const id of entry.replaces ?? []) squashedBy.set(id, entry);
    if (squashedBy.size === 0) return rows;
    const last = new Map<string, TrackingRow>();
    for (const row of rows) {
      const squashed = squashedBy.get(`${row.app}:${row.name}`);
      if (squashed) last.set(squashed.id, row);
    }
    return rows.flatMap((row) => {
      const squashed = squashedBy.get(`${row.app}:${row.name}`);
      if (!squashed) return [row];
      if (applied.has(squashed.id) || last.get(squashed.id) !== row) return [];
      // What the row recorded of the replaced file's text says nothing about the squashed one's.
      return [{ ...row, app: squashed.app, name: squashed.name, checksum: squashed.checksum, sourceHash: null, dependencies: null }];
    });
  }

  /**
   * The graph of every migration file for the rows just read: given, or built from the files
   * found, taking a file whose text hash matches its row from the row without evaluating it.
   */
  async #fullGraph(rows: readonly TrackingRow[]): Promise<MigrationGraph<MigrationEntry>> {
    const { migrations } = this.#options;
    if (!isMigrationFiles(migrations)) return migrations;
    return migrations.graph(new Map<string, KnownMigration>(rows.map((row) => [`${row.app}:${row.name}`, row])));
  }

  /** Every migration of every app with whether (and when) it is applied, in graph order. */
  async status(): Promise<MigrationStatus[]> {
    const rows = await this.#read();
    const partial = new Map((await this.#store.readPartial(rows)).map((row) => [`${row.app}:${row.name}`, row]));
    const applied = new Map(rows.map((row) => [`${row.app}:${row.name}`, row]));
    const result: MigrationStatus[] = this.#graph.order().map((entry) => {
      const row = applied.get(entry.id);
      const failed = partial.get(entry.id);
      return {
        app: entry.app,
        name: entry.name,
        applied: row !== undefined,
        appliedAt: row?.appliedAt ?? null,
        edited: row !== undefined && compareChecksums(row, entry) === 'edited',
        missingFile: false,
        ...(row?.editAcceptedBy ? { editAccepted: { at: row.editAcceptedAt, by: row.editAcceptedBy } } : {}),
        ...(failed ? { failed: { direction: failed.direction, operations: failed.operations, error: failed.error, state: partialState(failed) } } : {}),
      };
    });
    for (const row of rows) {
      if (!this.#graph.has(`${row.app}:${row.name}`)) {
        result.push({ app: row.app, name: row.name, applied: true, appliedAt: row.appliedAt, edited: false, missingFile: true });
      }
    }
    return result;
  }

  /** Applies pending migrations (all, or up to `target`). */
  async migrate(options: MigrateOptions = {}): Promise<RunSummary> {
    if (options.dryRun) return this.#migrate(await this.#read(), options);
    let failure: unknown;
    const summary = await this.#executor.lock(async () => {
      const rows = await this.#read({ upgrade: true });
      await this.#store.refusePartial(rows);
      const done: Migration[] = [];
      try {
        return await this.#migrate(rows, options, done);
      } catch (error) {
        // With nothing applied, rethrow so the lock's transaction (if the dialect holds one)
        // rolls back too. Otherwise the migrations applied before the failure stay committed:
        // only the failed one is undone.
        if (done.length === 0) throw error;
        failure = error;
        return undefined;
      }
    });
    if (failure !== undefined) throw failure;
    return summary!;
  }

  async #migrate(rows: TrackingRow[], options: MigrateOptions, done: Migration[] = []): Promise<RunSummary> {
    const graph = this.#graph;
    this.#checkApplied(rows, 'refuse');
    // Branched history: which branch goes first would be left to chance (see findConflicts).
    // After the edit check: an edited dependency list can make a branch, and the edit is the news.
    const conflicts = findConflicts(graph);
    if (conflicts.length > 0) throw conflictError(conflicts);
    if (!options.dryRun) await this.#store.recordSources(rows, (id) => graph.get(id));
    const applied = new Set(rows.map((row) => `${row.app}:${row.name}`));
    let candidates = graph.order();
    if (options.target !== undefined) {
      const target = this.#resolve(options.target, options.defaultApp ?? options.app);
      candidates = graph.ancestors(target.id);
    } else if (options.app !== undefined) {
      const wanted = new Set(graph.leaves(options.app).flatMap((leaf) => graph.ancestors(leaf.id).map((entry) => entry.id)));
      candidates = candidates.filter((entry) => wanted.has(entry.id));
    }
    const pending = candidates.filter((entry) => !applied.has(entry.id));
    const context = this.#runContext('up', options);
    if (pending.length === 0) return { direction: 'up', migrations: [] };

    const wanted = new Set(pending.map((entry) => entry.id));
    // The migrations replayed to plan: the applied ones and the pending ones, in graph order.
    const chain = graph.order().filter((entry) => applied.has(entry.id) || wanted.has(entry.id));
    const keys = this.#planner.planKeys(chain);
    const compiled = await this.#planner.compiledPlans(chain, keys, wanted, context);
    if (compiled) {
      return this.#executor.runCompiled(compiled, context, done);
    }

    const planned = (await this.#planner.replay(chain, wanted)).filter((plan) => wanted.has(plan.migration.id));
    await this.#planner.validate(planned, context);
    if (keys) await this.#planner.keepPlans(chain, keys, planned);
    return this.#executor.run(planned, context, done);
  }

  /** Rolls back the last migration, the last `steps`, or everything after `to`. */
  async rollback(options: RollbackOptions = {}): Promise<RunSummary> {
    if (options.steps !== undefined && (!Number.isInteger(options.steps) || options.steps < 1)) {
      throw new CovetError('ROLLBACK_INVALID', `--steps must be a positive integer, got ${String(options.steps)}`);
    }
    if (options.dryRun) return this.#rollback(await this.#read(), options);
    let failure: unknown;
    const summary = await this.#executor.lock(async () => {
      const rows = await this.#read({ upgrade: true });
      await this.#store.refusePartial(rows);
      try {
        return await this.#rollback(rows, options);
      } catch (error) {
        failure = error;
        return undefined;
      }
    });
    if (failure !== undefined) throw failure;
    return summary!;
  }

  async #rollback(rows: TrackingRow[], options: RollbackOptions): Promise<RunSummary> {
    const graph = this.#graph;
    let chosen: TrackingRow[];
    const candidates = options.app === undefined ? rows : rows.filter((row) => row.app === options.app);
    if (options.to !== undefined) {
      const target = this.#resolve(options.to, options.app ?? options.defaultApp);
      const at = candidates.findIndex((row) => `${row.app}:${row.name}` === target.id);
      if (at === -1) throw new CovetError('ROLLBACK_INVALID', `Migration ${target.id} is not applied (--to)`);
      chosen = candidates.slice(at + 1).reverse();
    } else {
      chosen = candidates.slice(-(options.steps ?? 1)).reverse();
    }
    if (chosen.length === 0) return { direction: 'down', migrations: [] };
    this.#checkDependents(chosen, rows);
    for (const row of chosen) {
      const id = `${row.app}:${row.name}`;
      if (!graph.has(id)) {
        throw new CovetError('MIGRATION_FILE_MISSING', `Cannot roll back ${id}: its migration file is missing`, {
          hint: 'Restore the file from version control.',
        });
      }
    }
    // Rolling back what has files stays possible (it is how one gets out of a mess).
    this.#checkApplied(rows, 'warn');
    const context = this.#runContext('down', options);
    const planned = await this.#planner.planDown(graph, chosen, rows);
    await this.#planner.validate(planned, context);
    return this.#executor.run(planned, context);
  }

  /**
   * Settles a migration left part-way: `applied` records it as applied (someone finished it by
   * hand), `rolled-back` as not applied (someone undid it). Never guesses: the person says which.
   */
  async resolve(name: string, outcome: 'applied' | 'rolled-back', options: { defaultApp?: string } = {}): Promise<Migration | undefined> {
    return this.#executor.lock(async () => {
      const id = name.includes(':') ? name : `${options.defaultApp ?? 'default'}:${name}`;
      const rows = await this.#read({ upgrade: true });
      const partial = (await this.#store.readPartial(rows, true)).find((row) => `${row.app}:${row.name}` === id || `${row.app}:${row.name}`.startsWith(id));
      if (!partial) throw new CovetError('RESOLVE_INVALID', `Migration ${id} is not recorded as part-way`, { hint: 'covet showmigrations marks such a migration [!].' });
      const entry = this.#graph.get(`${partial.app}:${partial.name}`);
      if (!entry) throw new CovetError('MIGRATION_FILE_MISSING', `Cannot resolve ${partial.app}:${partial.name}: its migration file is missing`);
      const isApplied = rows.some((row) => row.app === partial.app && row.name === partial.name);
      if (outcome === 'applied' && !isApplied) {
        await this.#store.record(entry, entry);
      }
      if (outcome === 'rolled-back' && isApplied) await this.#store.forget(entry.app, entry.name);
      await this.#store.deletePartial(partial.app, partial.name);
      return entry.load();
    });
  }

  /**
   * Forgets an applied migration whose file is gone on purpose: deletes its tracking row, and
   * nothing else (its changes stay in the schema, or were undone by hand). Refused for a
   * migration that still has its file: that one is rolled back (`rollback --fake` to forget it).
   */
  async forget(name: string, options: { defaultApp?: string } = {}): Promise<{ readonly app: string; readonly name: string }> {
    return this.#executor.lock(async () => {
      const rows = await this.#store.read({ upgrade: true });
      const row = appliedRow(rows, name, options.defaultApp, 'resolve --forget');
      // A replaced migration of a squash is not in the graph chosen for this database, but its file is there.
      const graph = (await this.#fullGraph(rows)).forApplied(new Set(rows.map((applied) => `${applied.app}:${applied.name}`)));
      const rowId = `${row.app}:${row.name}`;
      const entry = graph.get(rowId) ?? graph.order().find((node) => node.replaces?.includes(rowId));
      if (entry) {
        throw new CovetError('RESOLVE_INVALID', `Migration ${rowId} still has its file; --forget is for a migration whose file is gone (${entry.file})`, {
          hint: `To undo it: covet rollback --to <the migration before it>; to only unrecord it: covet rollback --fake.`,
        });
      }
      await this.#store.forget(row.app, row.name);
      return { app: row.app, name: row.name };
    });
  }

  /**
   * Accepts an intended edit of an applied migration (Flyway's `repair`): its tracking row gets
   * the edited file's checksum, text hash and dependencies, with the time and the command `by`
   * that accepted it. Nothing else changes: the schema is the person's to have brought in line.
   * Refused for a migration that is not applied, has no file, is left part-way, or was not
   * edited.
   */
  async acceptEdit(name: string, options: { defaultApp?: string; by: string }): Promise<{ readonly app: string; readonly name: string; readonly checksum: string }> {
    const flag = 'resolve --accept-edit';
    return this.#executor.lock(async () => {
      const rows = await this.#read({ upgrade: true });
      const row = appliedRow(rows, name, options.defaultApp, flag, this.#graph);
      const id = `${row.app}:${row.name}`;
      const entry = this.#graph.get(id);
      if (!entry) {
        throw new CovetError('RESOLVE_INVALID', `Migration ${id} is applied but its file is missing: there is no edit to accept (${flag})`, {
          hint: `Restore the file, or forget the migration: covet resolve ${id} --forget`,
        });
      }
      if ((await this.#store.readPartial(rows, true)).some((partial) => `${partial.app}:${partial.name}` === id)) {
        throw new CovetError('RESOLVE_INVALID', `Migration ${id} is left part-way: settle it first with covet resolve ${id} --applied or --rolled-back (${flag})`);
      }
      if (compareChecksums(row, entry) !== 'edited') {
        throw new CovetError('RESOLVE_INVALID', `Migration ${id} was not edited since it was applied: there is nothing to accept (${entry.file})`);
      }
      await this.#store.acceptEdit(entry, options.by);
      return { app: row.app, name: row.name, checksum: entry.checksum };
    });
  }

  /** Refuses to roll back a migration that a migration staying applied depends on. */
  #checkDependents(chosen: readonly TrackingRow[], rows: readonly TrackingRow[]): void {
    const graph = this.#graph;
    const leaving = new Set(chosen.map((row) => `${row.app}:${row.name}`));
    for (const row of rows) {
      const id = `${row.app}:${row.name}`;
      if (leaving.has(id)) continue;
      const dependency = graph.get(id)?.dependencies.find((d) => leaving.has(d) || graph.ancestors(d).some((a) => leaving.has(a.id)));
      if (dependency === undefined) continue;
      const rolledBack = leaving.has(dependency) ? dependency : graph.ancestors(dependency).find((a) => leaving.has(a.id))!.id;
      throw new CovetError('ROLLBACK_INVALID', `Cannot roll back ${rolledBack}: ${id} depends on it and stays applied`, {
        hint: `Roll back ${id} first, or leave out --app.`,
      });
    }
  }

  #runContext(direction: Direction, options: { dryRun?: boolean; fake?: boolean }): RunHookContext {
    return {
      report: this.#options.covet.reporter,
      direction,
      dialect: this.#options.dialect,
      ...(options.dryRun ? {} : { connection: this.#options.connection }),
      dryRun: options.dryRun === true,
      fake: options.fake === true,
    };
  }

  #resolve(name: string, app: string | undefined): MigrationEntry {
    return findMigration(this.#graph, name, app ?? 'default');
  }

  /**
   * Refuses to go on when an applied migration was edited; an applied migration whose file is
   * missing is refused too (`missing: 'refuse'`, what migrate does) or a warning.
   */
  #checkApplied(rows: TrackingRow[], missing: 'refuse' | 'warn'): void {
    const graph = this.#graph;
    const edited = rows.filter((row) => {
      const entry = graph.get(`${row.app}:${row.name}`);
      return entry !== undefined && compareChecksums(row, entry) === 'edited';
    });
    if (edited.length > 0) {
      const first = graph.get(`${edited[0]!.app}:${edited[0]!.name}`)!;
      const others = edited.length > 1 ? ` and ${edited.length - 1} more` : '';
      throw new CovetError(
        'CHECKSUM_MISMATCH',
        `Applied migration ${first.id} was edited after it was applied${others} (${first.file})`,
        {
          hint: `Restore the file as it was applied (git checkout) and put the change in a new migration; or, if the edit is intended and the schema already matches it, accept it: covet resolve ${first.id} --accept-edit`,
          exitCode: EXIT_CHECKSUM_MISMATCH,
        },
      );
    }
    const gone = rows.map((row) => `${row.app}:${row.name}`).filter((id) => !graph.has(id));
    if (gone.length > 0 && missing === 'refuse') throw missingFilesError(gone);
    for (const id of gone) this.#emit({ type: 'warning', message: `Migration ${id} is applied but its file is missing` });
  }
}

/**
 * The applied migration `name` names (`app:name`, or a name or unique prefix in `defaultApp`)
 * among `rows`, for `covet <command>`. When none is applied, `graph` (if given) tells a pending
 * migration from an unknown name.
 */
function appliedRow(rows: readonly TrackingRow[], name: string, defaultApp: string | undefined, command: string, graph?: MigrationGraph<MigrationEntry>): TrackingRow {
  const id = name.includes(':') ? name : `${defaultApp ?? 'default'}:${name}`;
  const exact = rows.filter((row) => `${row.app}:${row.name}` === id);
  const matches = exact.length > 0 ? exact : rows.filter((row) => `${row.app}:${row.name}`.startsWith(id));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw new CovetError('RESOLVE_INVALID', `${id} matches ${matches.length} applied migrations: ${matches.map((row) => row.name).join(', ')} (${command})`);
  const pending = graph?.order().find((entry) => entry.id === id || entry.id.startsWith(id));
  throw new CovetError(
    'RESOLVE_INVALID',
    pending ? `Migration ${pending.id} is not applied: there is nothing recorded to change (${command})` : `Migration ${id} is not recorded as applied (${command})`,
  );
}

/** Whether the runner was given the files (to evaluate as the tracking rows require) rather than a graph. */
function isMigrationFiles(migrations: MigrationGraph<MigrationEntry> | MigrationFiles): migrations is MigrationFiles {
  return typeof (migrations as { graph?: unknown }).graph === 'function';
}
