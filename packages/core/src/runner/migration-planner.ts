import { CovetError } from '../errors/covet-error.js';
import type { Dialect, DialectConnection } from '../dialect/dialect.js';
import { identifierRulesOf } from '../dialect/identifier-rules.js';
import type { MigrationGraph } from '../graph/migration-graph.js';
import { isTapped, type MigrationHookContext, type OperationHookContext, type RunHookContext } from '../hooks/hooks.js';
import type { MigrationEntry } from '../loader/migration-loader.js';
import type { Migration } from '../migration/define-migration.js';
import { BUILTIN_OPERATIONS } from '../operations/builtin/index.js';
import { IRREVERSIBLE, operationsCacheKey, type CompileContext, type Operation } from '../operations/define-operation.js';
import { compileOperationSql, missingSqlError } from '../operations/operation-sql.js';
import type { Covet } from '../plugin/covet.js';
import { validateIdentifiersIn, type IdentifierRules } from '../schema/identifiers.js';
import type { SchemaState, SqlStatement } from '../schema/types.js';
import { EMPTY_STATE } from '../state/schema-state.js';
import { operationError } from './run-errors.js';
import { CORE_BUILD_ID, PlanCache, type CompiledStep } from './plan-cache.js';
import type { TrackingRow } from './tracking-table.js';

/** One operation of a planned migration, with the schema around it. */
export interface PlannedStep {
  readonly operation: Operation;
  /** Its position in the migration (0-based); the reverses of one operation share its index. */
  readonly index: number;
  readonly stateBefore: SchemaState;
  readonly stateAfter: SchemaState;
}

/** A migration replayed from the migrations before it: what the executor runs. */
export interface PlannedMigration {
  readonly migration: Migration;
  readonly stateBefore: SchemaState;
  readonly steps: readonly PlannedStep[];
}

/** A migration and its SQL from the plan cache. */
export interface CompiledMigration {
  readonly migration: Migration;
  readonly steps: readonly CompiledStep[];
  /** Its full plan (operations and states), replayed only to undo a failure where DDL commits. */
  readonly plan: () => Promise<PlannedMigration>;
}

/** What the planner works with. */
export interface MigrationPlannerOptions {
  readonly covet: Covet;
  readonly dialect: Dialect;
  readonly planCache?: PlanCache | undefined;
}

/** The built-in definitions by kind: only these can be cached (see keepPlans). */
const BUILTIN_DEFINITIONS = new Map(BUILTIN_OPERATIONS.map((definition) => [definition.kind, definition]));

/** Thrown by the probing `query` of {@link MigrationPlanner.validate}: the renderer needs the live database. */
const NEEDS_LIVE_DATABASE = Symbol('covet.needsLiveDatabase');

/**
 * The first part of a run: loads migrations, replays them from an empty schema (the states
 * before and after every operation), plans a rollback's reverses, validates everything (the
 * operations, the dialect's identifier rules, the policy hooks), compiles the SQL of every
 * operation that does not read the live database, and keeps or finds compiled plans in the
 * plan cache. Nothing here writes to the database.
 */
export class MigrationPlanner {
  readonly #options: MigrationPlannerOptions;
  /** Statements compiled while validating, for steps that do not read the live database. */
  readonly #compiled = new WeakMap<PlannedStep, readonly SqlStatement[]>();
  /** The same after `processSql` and `validateSql`, where a plugin taps either: what the run sends. */
  readonly #prepared = new WeakMap<PlannedStep, readonly SqlStatement[]>();
  /** The dialect's rules for names, built once. */
  #identifierRules: IdentifierRules | undefined;

  constructor(options: MigrationPlannerOptions) {
    this.#options = options;
  }

  /**
   * The statements the run sends for `step`, known before the run: compiled, then through
   * `processSql` and `validateSql` (see {@link MigrationPlanner.validate}). Undefined when its
   * renderer reads the live database: the executor compiles it then, and passes the
   * statements to {@link MigrationPlanner.prepareSql}.
   */
  sqlOf(step: PlannedStep): readonly SqlStatement[] | undefined {
    return this.#prepared.get(step) ?? this.#compiled.get(step);
  }

  /** Whether a plugin taps `processSql` or `validateSql` (a step's SQL then needs its context). */
  processesSql(): boolean {
    const { processSql, validateSql } = this.#options.covet.hooks;
    return isTapped(processSql) || isTapped(validateSql);
  }

  /**
   * The statements of one operation as the run sends them: through `processSql` (rewritten)
   * then `validateSql` (a policy may refuse them: its error goes up and the run stops), each
   * only when tapped. `context` is needed only then.
   */
  async prepareSql(statements: readonly SqlStatement[], context: OperationHookContext | undefined): Promise<readonly SqlStatement[]> {
    if (!context) return statements;
    const { processSql, validateSql } = this.#options.covet.hooks;
    const processed = isTapped(processSql) ? await processSql.promise(statements, context) : statements;
    if (isTapped(validateSql)) await validateSql.promise(processed, context);
    return processed;
  }

  /**
   * Loads `entries` (graph order) and replays them from an empty schema, recording the state
   * before and after every step; the operations of migrations in `validate` are validated
   * against the state before them. Errors name the migration, the operation and the file.
   */
  async replay(entries: readonly MigrationEntry[], validate: ReadonlySet<string>): Promise<PlannedMigration[]> {
    const registry = this.#options.covet.operations;
    const capabilities = this.#options.dialect.capabilities;
    const migrations = await Promise.all(entries.map((entry) => entry.load()));
    const replayed: PlannedMigration[] = [];
    let state = EMPTY_STATE;
    for (const migration of migrations) {
      const stateBefore = state;
      const steps: PlannedStep[] = [];
      migration.operations.forEach((operation, index) => {
        const definition = registry.get(operation.kind, `operation #${index + 1} of ${migration.file ?? migration.id}`);
        const before = state;
        if (validate.has(migration.id)) {
          try {
            definition.validate(operation.args, before, { capabilities });
          } catch (error) {
            throw operationError(migration, index, operation, error, 'is invalid');
          }
        }
        try {
          state = definition.applyToState(before, operation.args);
        } catch (error) {
          throw operationError(migration, index, operation, error, 'cannot be replayed');
        }
        steps.push({ operation, index, stateBefore: before, stateAfter: state });
      });
      replayed.push({ migration, stateBefore, steps });
    }
    return replayed;
  }

  /**
   * Computes the reverse steps of `chosen` (latest first) from the applied migrations of
   * `graph`, refusing irreversible ones up front.
   */
  async planDown(graph: MigrationGraph<MigrationEntry>, chosen: readonly TrackingRow[], rows: readonly TrackingRow[]): Promise<PlannedMigration[]> {
    const applied = new Set(rows.map((row) => `${row.app}:${row.name}`));
    const entries = graph.order().filter((entry) => applied.has(entry.id));
    const forwards = new Map((await this.replay(entries, new Set())).map((plan) => [plan.migration.id, plan]));
    return chosen.map((row) => this.reverse(forwards.get(`${row.app}:${row.name}`)!));
  }

  /**
   * The rollback of one replayed migration: the reverses of its operations, last first, each
   * with the schema around it; an irreversible operation (or custom up code without down) is a
   * one-line error naming it.
   */
  reverse(forward: PlannedMigration): PlannedMigration {
    const registry = this.#options.covet.operations;
    const { migration } = forward;
    const id = migration.id;
    if (migration.up && !migration.down) {
      throw new CovetError('IRREVERSIBLE', `Cannot roll back ${id}: it has custom up code and no down (${migration.file ?? id})`);
    }
    const stateAfterMigration = forward.steps.at(-1)?.stateAfter ?? forward.stateBefore;
    let current = stateAfterMigration;
    const steps: PlannedStep[] = [];
    for (const step of [...forward.steps].reverse()) {
      const definition = registry.get(step.operation.kind);
      const reverse = definition.reverse(step.operation.args, step.stateBefore);
      if (reverse === IRREVERSIBLE) {
        throw new CovetError(
          'IRREVERSIBLE',
          `Cannot roll back ${id}: operation #${step.index + 1} (${definition.describe(step.operation.args)}) is irreversible (${migration.file ?? id})`,
          { hint: 'Nothing was rolled back. Give the operation a reverse (e.g. runSql with reverseSql), or write a new migration.' },
        );
      }
      for (const operation of reverse) {
        const reverseDefinition = registry.get(operation.kind);
        const before = current;
        current = reverseDefinition.applyToState(before, operation.args);
        steps.push({ operation, index: step.index, stateBefore: before, stateAfter: current });
      }
    }
    return { migration, stateBefore: stateAfterMigration, steps };
  }

  /**
   * Validates every migration of a run before anything runs: `validateMigration`, each
   * operation (a rollback's reverses against the state before them), the dialect's identifier
   * rules, `validateOperation`, and that the dialect has SQL for it (compiling it: see #probe).
   * The SQL of every operation that does not read the live database then goes through
   * `processSql` and `validateSql` (not in a fake run, which sends none), so a policy on SQL
   * stops the run before its first statement.
   */
  async validate(planned: readonly PlannedMigration[], context: RunHookContext): Promise<void> {
    const { covet, dialect } = this.#options;
    const processes = !context.fake && this.processesSql();
    const hooked = processes || isTapped(covet.hooks.validateOperation);
    for (const plan of planned) {
      const migrationContext: MigrationHookContext = { ...context, stateBefore: plan.stateBefore };
      if (isTapped(covet.hooks.validateMigration)) await covet.hooks.validateMigration.promise(plan.migration, migrationContext);
      for (const step of plan.steps) {
        try {
          if (context.direction === 'down') {
            covet.operations.get(step.operation.kind).validate(step.operation.args, step.stateBefore, { capabilities: dialect.capabilities });
          }
          this.#checkIdentifiers(step.operation);
        } catch (error) {
          throw operationError(plan.migration, step.index, step.operation, error, 'is invalid');
        }
        const hookContext = hooked ? operationContext(plan, step, migrationContext) : undefined;
        if (hookContext && isTapped(covet.hooks.validateOperation)) await covet.hooks.validateOperation.promise(step.operation, hookContext);
        const statements = await this.#probe(step);
        if (statements === undefined) {
          throw missingSqlError(step.operation.kind, dialect, `operation #${step.index + 1} of ${plan.migration.file ?? plan.migration.id}`);
        }
        if (statements !== 'live' && processes) this.#prepared.set(step, await this.prepareSql(statements, hookContext));
      }
    }
  }

  #checkIdentifiers(operation: Operation): void {
    // The dialect's own limits (length in its unit, its character rules) are checked here,
    // before any SQL is sent; operations' validation holds names only to what every engine shares.
    if (operation.kind === 'runSql') return;
    this.#identifierRules ??= identifierRulesOf(this.#options.dialect);
    validateIdentifiersIn(operation.args, this.#identifierRules, operation.kind);
  }

  /**
   * Compiles a step before anything runs, to know it has SQL. The statements are kept for the
   * run unless the renderer reads the live database (which must happen at run time, after the
   * earlier steps): that is detected by a `query` that refuses to run and marks the step.
   */
  async #probe(step: PlannedStep): Promise<readonly SqlStatement[] | 'live' | undefined> {
    let readsLive = false;
    const query = async (): Promise<never> => {
      readsLive = true;
      throw NEEDS_LIVE_DATABASE;
    };
    try {
      const statements = await this.compile(step, query);
      if (statements !== undefined && !readsLive) this.#compiled.set(step, statements);
      return readsLive ? 'live' : statements;
    } catch (error) {
      if (error === NEEDS_LIVE_DATABASE) return 'live';
      throw error;
    }
  }

  /**
   * The SQL of one step: the operation definition's own for this dialect, else the dialect's,
   * else the definition's default; undefined when none has any. `query` reads the live
   * database for renderers that need it (a connection, or nothing when compiling offline).
   */
  async compile(step: PlannedStep, query: CompileContext['query'] | DialectConnection | undefined): Promise<readonly SqlStatement[] | undefined> {
    const { covet, dialect } = this.#options;
    const definition = covet.operations.get(step.operation.kind);
    const reader = typeof query === 'object' ? (sql: string, params?: readonly unknown[]) => query.query(sql, params) : query;
    const context: CompileContext = {
      dialect,
      stateBefore: step.stateBefore,
      stateAfter: step.stateAfter,
      ...(reader ? { query: reader as CompileContext['query'] } : {}),
    };
    return compileOperationSql(definition, step.operation, context);
  }

  /** A tap on one of these hooks needs the schema states or the single operations: the full plan. */
  needsFullPlan(): boolean {
    const { validateMigration, validateOperation, beforeMigration, afterMigration, beforeOperation, afterOperation, processSql, validateSql } =
      this.#options.covet.hooks;
    return [validateMigration, validateOperation, beforeMigration, afterMigration, beforeOperation, afterOperation, processSql, validateSql].some(isTapped);
  }

  /**
   * The plan-cache key of each migration of `chain`; undefined when plans are not cached (no
   * cache, a dialect without `cacheKey`, or core run from its sources).
   */
  planKeys(chain: readonly MigrationEntry[]): string[] | undefined {
    const { planCache, dialect } = this.#options;
    if (!planCache || !dialect.cacheKey || !CORE_BUILD_ID) return undefined;
    // Plugin kinds with a cacheKey may be kept (see keepPlans): their versions are in the key.
    const operations = operationsCacheKey(this.#options.covet.operations);
    return PlanCache.chainKeys(chain, `${CORE_BUILD_ID}\0${dialect.cacheKey}${operations === '' ? '' : `\0${operations}`}`);
  }

  /**
   * The pending migrations as compiled by an earlier run, when all of them are in the plan
   * cache and the run needs nothing but their SQL: not a dry or fake run, and no plugin
   * looking at schema states or single operations. Otherwise undefined, and the run plans
   * everything.
   */
  async compiledPlans(
    chain: readonly MigrationEntry[],
    keys: readonly string[] | undefined,
    wanted: ReadonlySet<string>,
    context: RunHookContext,
  ): Promise<CompiledMigration[] | undefined> {
    const { planCache } = this.#options;
    if (!keys || !planCache || context.dryRun || context.fake || this.needsFullPlan()) return undefined;
    const found: { entry: MigrationEntry; steps: readonly CompiledStep[] }[] = [];
    for (let position = 0; position < chain.length; position++) {
      const entry = chain[position]!;
      if (!wanted.has(entry.id)) continue;
      const steps = planCache.get(keys[position]!);
      if (!steps) return undefined;
      found.push({ entry, steps });
    }
    const migrations = await Promise.all(found.map(({ entry }) => entry.load()));
    if (migrations.some((migration) => !migration.atomic || migration.up || migration.down)) return undefined;
    let replayed: Promise<PlannedMigration[]> | undefined;
    const plan = async (id: string) => (await (replayed ??= this.replay(chain, new Set()))).find((planned) => planned.migration.id === id)!;
    return migrations.map((migration, position) => ({ migration, steps: found[position]!.steps, plan: () => plan(migration.id) }));
  }

  /**
   * Keeps the compiled SQL of the pending migrations that can be applied again from it: atomic,
   * no custom code, every statement known before the run, and only built-in operations, or
   * plugin operations with a `cacheKey` (which is part of the key), in them and in every
   * migration before them (the code of a plugin operation without one is not in the key).
   */
  async keepPlans(chain: readonly MigrationEntry[], keys: readonly string[], planned: readonly PlannedMigration[]): Promise<void> {
    const { planCache, covet } = this.#options;
    const byId = new Map(planned.map((plan) => [plan.migration.id, plan]));
    for (let position = 0; position < chain.length; position++) {
      const migration = await chain[position]!.load();
      if (!migration.operations.every((operation) => isBuiltin(covet, operation.kind) || covet.operations.get(operation.kind).cacheKey !== undefined)) break;
      const plan = byId.get(migration.id);
      if (!plan || !migration.atomic || migration.up || migration.down) continue;
      const steps: CompiledStep[] = [];
      for (const step of plan.steps) {
        const statements = this.#compiled.get(step);
        if (!statements) break;
        steps.push({ index: step.index, kind: step.operation.kind, statements });
      }
      if (steps.length === plan.steps.length) planCache!.set(keys[position]!, steps);
    }
    planCache!.save(new Set(keys));
  }
}

/** Whether `kind` is a built-in operation as core defines it (not replaced by a plugin). */
export function isBuiltin(covet: Covet, kind: string): boolean {
  return BUILTIN_DEFINITIONS.get(kind) === covet.operations.get(kind);
}

/** The context of the operation hooks for one step of a planned migration. */
export function operationContext(plan: PlannedMigration, step: PlannedStep, context: MigrationHookContext): OperationHookContext {
  return { ...context, migration: plan.migration, operation: step.operation, index: step.index, stateBefore: step.stateBefore, stateAfter: step.stateAfter };
}
