import { STAGE_LATE, definePlugin, identifierRulesOf, type Covet, type Reporter, type ResolvedConfig, type SchemaState } from '@covet/core';
import { checkMigration, tablesCreatedBefore } from './check.js';
import type { EngineFacts } from './engine-facts.js';
import { configFacts, liveFacts } from './facts.js';
import { lintCommand } from './lint.js';
import { resolvePolicy, type PolicyOptions, type ResolvedPolicy } from './options.js';
import { checkOperation, checkStatementCount, checkWholeMigration, formatFinding, sqlTextOf, type Finding } from './rules.js';

/** The plugin's name, as reports and errors show it. */
export const PLUGIN_NAME = '@covet/plugin-policy';

function refusal(findings: readonly Finding[]): Error {
  return new Error(findings.map((finding) => formatFinding(finding, false)).join('; '));
}

/** Reports the warnings, then refuses the run when any finding is an error. */
function enforce(findings: readonly Finding[], report: Reporter): void {
  for (const finding of findings) if (finding.level === 'warn') report.warn(formatFinding(finding));
  const errors = findings.filter((finding) => finding.level === 'error');
  if (errors.length > 0) throw refusal(errors);
}

function apply(covet: Covet, policy: ResolvedPolicy): void {
  let config: ResolvedConfig | undefined;
  covet.hooks.processConfig.tap(PLUGIN_NAME, (resolved) => {
    config = resolved;
    return resolved;
  });
  covet.hooks.registerCommands.tap(PLUGIN_NAME, (registry) => {
    registry.register(lintCommand(covet, policy, () => config));
  });

  // makemigrations: the state the migrations leave (per app), then the file about to be written.
  const statesBefore = new Map<string, SchemaState>();
  covet.hooks.processChanges.tap({ name: PLUGIN_NAME, stage: STAGE_LATE }, (operations, { app, from }) => {
    statesBefore.set(app, from);
    return operations;
  });
  covet.hooks.processMigrationFile.tapPromise(PLUGIN_NAME, async (file, { app, name, operations, report }) => {
    const stateBefore = statesBefore.get(app);
    if (!stateBefore) return file;
    statesBefore.delete(app);
    const engine = config?.database.engine ?? '';
    const { findings } = await checkMigration({ id: `${app}:${name}`, operations }, stateBefore, covet.operations, policy, engine, config ? covet.dialects.get(engine) : undefined, {
      facts: configFacts(engine, config?.database.options),
    });
    for (const finding of findings) {
      report.warn(`${formatFinding(finding)}${finding.level === 'error' ? ' (an error: migrate and covet lint will refuse this migration)' : ''}`);
    }
    return file;
  });

  // migrate / rollback: what the live database says of itself (lock_timeout, server version,
  // validated checks), read once before the first migration is validated; the configuration's
  // when nothing is connected (--dry-run).
  let facts: EngineFacts | undefined;
  // SQL of the operations validated so far in this run (a check added by an earlier migration).
  const sqlBefore: string[] = [];
  covet.hooks.validateMigration.tapPromise(PLUGIN_NAME, async (_migration, context) => {
    facts ??= context.connection ? await liveFacts(context.dialect.name, context.connection) : configFacts(context.dialect.name, config?.database.options);
  });

  // migrate: the rules on a whole migration, before any SQL.
  covet.hooks.validateMigration.tap(PLUGIN_NAME, (migration, context) => {
    if (context.direction !== 'up') return;
    let state = context.stateBefore;
    for (const operation of migration.operations) state = covet.operations.get(operation.kind).applyToState(state, operation.args);
    enforce(checkWholeMigration(migration, state, policy, context.dialect.name), context.report);
  });

  // migrate / rollback: every operation that will run (a rollback's reverses), before any SQL.
  covet.hooks.validateOperation.tap(PLUGIN_NAME, (operation, context) => {
    const findings = checkOperation(
      operation,
      {
        migration: context.migration.id,
        meta: context.migration.meta,
        index: context.index,
        stateBefore: context.stateBefore,
        createdTables: context.direction === 'up' ? tablesCreatedBefore(context.migration.operations, context.index) : new Set(),
        engine: context.dialect.name,
        direction: context.direction,
        identifierRules: identifierRulesOf(context.dialect),
        operations: context.direction === 'up' ? context.migration.operations : undefined,
        atomic: context.migration.atomic,
        sqlBefore: [...sqlBefore],
        facts,
      },
      policy,
    );
    if (context.direction === 'up') sqlBefore.push(...sqlTextOf(operation));
    enforce(findings, context.report);
  });

  if (policy.levels['max-statements'] !== 'off') {
    const counts = new Map<string, number>();
    const reported = new Set<string>();
    // A migration's count starts when the run validates it (a second run in one process starts again).
    covet.hooks.validateMigration.tap(PLUGIN_NAME, (migration, { direction }) => {
      counts.delete(`${direction} ${migration.id}`);
      reported.delete(`${direction} ${migration.id}`);
    });
    covet.hooks.validateSql.tap(PLUGIN_NAME, (statements, context) => {
      const key = `${context.direction} ${context.migration.id}`;
      const count = (counts.get(key) ?? 0) + statements.length;
      counts.set(key, count);
      const finding = checkStatementCount(context.migration.id, count, policy);
      if (!finding || reported.has(key)) return;
      if (finding.level === 'error') throw refusal([finding]);
      reported.add(key);
      context.report.warn(formatFinding(finding));
    });
  }
}

/**
 * `@covet/plugin-policy`: list it in the config's plugins, with options or without
 * (`['@covet/plugin-policy', { rules: { destructive: 'error', naming: ['warn', { table: '^[a-z_]+$' }] } }]`).
 * Bad options are refused with a one-line error naming the member.
 */
export const policy = definePlugin((options?: PolicyOptions) => {
  const resolved = resolvePolicy(options);
  return { name: PLUGIN_NAME, apply: (covet) => apply(covet, resolved) };
});
