import {
  CovetError,
  EMPTY_STATE,
  findMigration,
  loadMigrations,
  type CommandDefinition,
  type Covet,
  type ResolvedConfig,
} from '@covet/core';
import { checkMigration } from './check.js';
import { configFacts } from './facts.js';
import type { ResolvedPolicy } from './options.js';
import { formatFinding, sqlTextOf, type Finding } from './rules.js';

/** `covet lint`'s JSON document (`--json`). */
export interface LintReport {
  readonly dialect: string;
  /** Ids of the migrations checked, in order. */
  readonly migrations: readonly string[];
  readonly errors: number;
  readonly warnings: number;
  readonly findings: readonly (Finding & { readonly message: string })[];
}

/**
 * `covet lint [--since <migration>] [--json]`: every rule on the migrations (all, or those
 * after `--since`) for the configured dialect, with no database connection. Fails (exit 1)
 * when an error-level rule is broken.
 */
export function lintCommand(covet: Covet, policy: ResolvedPolicy, config: () => ResolvedConfig | undefined): CommandDefinition {
  return {
    name: 'lint',
    description: 'Check the migrations against the policy rules, with no database (exit 1 on errors)',
    options: [
      { flags: '--since <migration>', description: 'Check only the migrations after this one (app:name or name)' },
      { flags: '--json', description: 'Print one JSON document: { dialect, migrations, errors, warnings, findings }' },
    ],
    async action(_args, options, { print }) {
      const resolved = config();
      if (!resolved) throw new CovetError('POLICY_NO_CONFIG', 'covet lint needs the project configuration, and none was loaded');
      const engine = resolved.database.engine;
      const dialect = covet.dialects.get(engine);
      const graph = await loadMigrations({
        sources: resolved.apps.map((app) => ({ app: app.name, directory: app.migrationsDir })),
        operations: covet.operations,
      });
      const order = graph.order();
      let start = 0;
      if (options.since !== undefined) {
        if (typeof options.since !== 'string' || options.since === '') throw new CovetError('POLICY_OPTION_INVALID', '--since needs a migration name');
        const since = findMigration(graph, options.since, resolved.app, '--since');
        start = order.indexOf(since) + 1;
      }
      let state = EMPTY_STATE;
      const facts = configFacts(engine, resolved.database.options);
      const sqlBefore: string[] = [];
      const findings: Finding[] = [];
      const checked: string[] = [];
      for (const [position, entry] of order.entries()) {
        const migration = await entry.load();
        if (position < start) {
          // Before --since: only replayed, to know the schema the checked ones start from.
          for (const operation of migration.operations) {
            state = covet.operations.get(operation.kind).applyToState(state, operation.args);
            sqlBefore.push(...sqlTextOf(operation));
          }
          continue;
        }
        const result = await checkMigration(migration, state, covet.operations, policy, engine, dialect, { sqlBefore, facts });
        sqlBefore.push(...result.sql);
        findings.push(...result.findings);
        checked.push(migration.id);
        state = result.stateAfter;
      }
      const errors = findings.filter((finding) => finding.level === 'error').length;
      const warnings = findings.length - errors;
      if (options.json === true) {
        const report: LintReport = {
          dialect: engine,
          migrations: checked,
          errors,
          warnings,
          findings: findings.map((finding) => ({ ...finding, message: formatFinding(finding) })),
        };
        print(JSON.stringify(report, null, 2));
      } else {
        for (const finding of findings) print(`${finding.level === 'error' ? 'error' : 'warning'}: ${formatFinding(finding)}`);
        print(`${checked.length} migration(s) checked for ${engine}: ${errors} error(s), ${warnings} warning(s)`);
      }
      if (errors > 0) {
        throw new CovetError('POLICY_VIOLATION', `covet lint: ${errors} error-level finding(s) in the migrations`, {
          hint: 'Fix each as its line says, or allow it in the migration (meta) or in the rule settings.',
        });
      }
    },
  };
}
