// Part of `@covet/core/testing`: the order every hook fires in, through the real `covet` binary
// on a dialect's real database — makemigrations, migrate, rollback and a failing migrate — as
// the TSDoc of `CovetHooks` and docs/plugins.md give it. A recording plugin taps every hook and
// appends a line per call to a log; each command's log is compared with the documented order.
// Where DDL is not transactional (MySQL, MariaDB), a failure undoes the operations done first
// (compensation, with the operation hooks of the reverses it runs).
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Direction } from '../hooks/hooks.js';
import { createCliProject, migrationSource, type CliHistoryOptions } from './cli-history.js';

const A = '20260101000001_one';
const B = '20260101000002_two';
const C = '20260101000003_fails';

/** The recording plugin: every hook of `CovetHooks`, one log line per call. */
function recorderSource(log: string): string {
  return `
const LOG = ${JSON.stringify(log)};
const log = (line) => appendFileSync(LOG, line + '\\n');
const op = (o, c) => \`\${c.direction} \${c.migration.name}#\${c.index} \${o.kind}\${c.compensation ? ' compensation' : ''}\`;
const recorder = definePlugin({
  name: 'recorder',
  apply(covet) {
    const h = covet.hooks;
    h.registerOperations.tap('recorder', () => log('registerOperations'));
    h.registerDialects.tap('recorder', () => log('registerDialects'));
    h.registerCommands.tap('recorder', () => log('registerCommands'));
    h.resolveDialect.tap('recorder', (engine) => { log('resolveDialect'); return undefined; });
    h.processConfig.tap('recorder', (config) => { log('processConfig'); return config; });
    h.processModels.tap('recorder', (state, c) => { log(\`processModels \${Object.keys(state.tables).join(',')}\`); return state; });
    h.processChanges.tap('recorder', (operations) => { log(\`processChanges \${operations.map((o) => o.kind).join(',')}\`); return operations; });
    h.processMigrationFile.tap('recorder', (file, c) => { log(\`processMigrationFile \${c.operations.length}\`); return file; });
    h.validateMigration.tap('recorder', (m, c) => log(\`validateMigration \${c.direction} \${m.name}\`));
    h.validateOperation.tap('recorder', (o, c) => log(\`validateOperation \${op(o, c)}\`));
    h.processSql.tap('recorder', (statements, c) => { log(\`processSql \${op(c.operation, c)}\`); return statements; });
    h.validateSql.tap('recorder', (statements, c) => log(\`validateSql \${op(c.operation, c)}\`));
    h.beforeRun.tap('recorder', (plan, c) => log(\`beforeRun \${c.direction} \${plan.migrations.map((m) => m.name).join(',')}\`));
    h.beforeMigration.tap('recorder', (m, c) => log(\`beforeMigration \${c.direction} \${m.name}\`));
    h.beforeOperation.tap('recorder', (o, c) => log(\`beforeOperation \${op(o, c)}\`));
    h.afterOperation.tap('recorder', (o, c) => log(\`afterOperation \${op(o, c)}\`));
    h.afterMigration.tap('recorder', (m, c) => log(\`afterMigration \${c.direction} \${m.name}\`));
    h.afterRun.tap('recorder', (result, c) => log(\`afterRun \${c.direction} \${result.migrations.map((r) => r.migration.name).join(',')}\`));
    h.afterFailure.tap('recorder', (error, c) => log(\`afterFailure \${c.migration?.name}#\${c.index} \${c.operation?.kind}\`));
  },
});`;
}

/** What loading fires for every command: the registries right after the plugin's apply, then the dialect and the config. */
const LOADING = ['registerOperations', 'registerDialects', 'registerCommands', 'resolveDialect', 'processConfig'];

/** An operation's SQL hooks (compiled before the run: they fire while it is validated). */
const sql = (line: string) => [`processSql ${line}`, `validateSql ${line}`];
/** Validation of one operation: `validateOperation`, then its SQL hooks. */
const validated = (line: string) => [`validateOperation ${line}`, ...sql(line)];
/** Running one operation. */
const ran = (line: string) => [`beforeOperation ${line}`, `afterOperation ${line}`];
const at = (direction: Direction, migration: string, index: number, kind: string) => `${direction} ${migration}#${index} ${kind}`;

/**
 * Registers a test of the documented hook order through the real `covet` binary on the
 * dialect's database: `makemigrations`, `migrate`, `rollback` and a failing `migrate`, with
 * `afterFailure` once, with the failing operation. The operations are ones no dialect compiles
 * from the live database (so every SQL hook fires while the run is validated).
 *
 * @example
 * // packages/dialect-foo/test/hooks.test.ts
 * import { describeCliHooks } from '@covet/core/testing';
 * describeCliHooks({ name: 'foo', dialect: createFooDialect(), bin, root: join(here, '.tmp'), createDatabase });
 */
export function describeCliHooks(options: Omit<CliHistoryOptions, 'rawDdl'>): void {
  const { dialect } = options;
  describe(`hook order through the covet binary: ${options.name}`, () => {
    const cleanup: (() => Promise<void> | void)[] = [];
    afterEach(async () => {
      for (const step of cleanup.splice(0).reverse()) await step();
    });

    it('fires every hook in the documented order for makemigrations, migrate, rollback and a failing migrate; afterFailure once', async () => {
      const database = await options.createDatabase();
      cleanup.push(() => database.drop());
      const cli = createCliProject({
        bin: options.bin,
        root: options.root,
        config: { database: database.config, migrations: './migrations' },
        files: {
          'models/one.ts': "import { defineTable, t } from '@covet/core';\nexport const one = defineTable('one', { id: t.serial().primaryKey(), label: t.text() });\n",
        },
      });
      cleanup.push(() => cli.dispose());
      const logFile = cli.path('hooks.log');
      cli.remove('covet.config.json');
      cli.write(
        'covet.config.ts',
        `import { appendFileSync } from 'node:fs';
import { defineConfig, definePlugin } from '@covet/core';
${recorderSource(logFile)}
export default defineConfig({ database: ${JSON.stringify(database.config)}, models: './models', migrations: './migrations', plugins: [recorder] });
`,
      );
      const run = (...argv: string[]) => {
        cli.remove('hooks.log');
        const result = cli.run(...argv);
        return { ...result, log: existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n') : [] };
      };

      // makemigrations: the models, the changes, the file.
      const made = run('makemigrations', '--name', 'one');
      expect(made.code, made.stderr).toBe(0);
      expect(made.log).toEqual([...LOADING, 'processModels one', 'processChanges createTable', 'processMigrationFile 1']);
      const [generated] = cli.migrationFiles();
      cli.remove(`migrations/${generated!}`);

      cli.write(`migrations/${A}.ts`, migrationSource(["op.createTable('one', { id: t.serial().primaryKey(), label: t.text() })", "op.runSql(\"INSERT INTO one (label) VALUES ('x')\", 'DELETE FROM one')"]));
      cli.write(`migrations/${B}.ts`, migrationSource(["op.createTable('two', { id: t.serial().primaryKey() })", "op.renameTable('two', 'three')"], [A]));

      // migrate: everything validated (SQL included) before anything runs, then the run.
      const migrated = run('migrate');
      expect(migrated.code, migrated.stderr).toBe(0);
      expect(migrated.log).toEqual([
        ...LOADING,
        `validateMigration up ${A}`,
        ...validated(at('up', A, 0, 'createTable')),
        ...validated(at('up', A, 1, 'runSql')),
        `validateMigration up ${B}`,
        ...validated(at('up', B, 0, 'createTable')),
        ...validated(at('up', B, 1, 'renameTable')),
        `beforeRun up ${A},${B}`,
        `beforeMigration up ${A}`,
        ...ran(at('up', A, 0, 'createTable')),
        ...ran(at('up', A, 1, 'runSql')),
        `afterMigration up ${A}`,
        `beforeMigration up ${B}`,
        ...ran(at('up', B, 0, 'createTable')),
        ...ran(at('up', B, 1, 'renameTable')),
        `afterMigration up ${B}`,
        `afterRun up ${A},${B}`,
      ]);

      // rollback: newest first, each migration's reverses last first, with the direction.
      const rolled = run('rollback', '--steps', '2');
      expect(rolled.code, rolled.stderr).toBe(0);
      expect(rolled.log).toEqual([
        ...LOADING,
        `validateMigration down ${B}`,
        ...validated(at('down', B, 1, 'renameTable')),
        ...validated(at('down', B, 0, 'dropTable')),
        `validateMigration down ${A}`,
        ...validated(at('down', A, 1, 'runSql')),
        ...validated(at('down', A, 0, 'dropTable')),
        `beforeRun down ${B},${A}`,
        `beforeMigration down ${B}`,
        ...ran(at('down', B, 1, 'renameTable')),
        ...ran(at('down', B, 0, 'dropTable')),
        `afterMigration down ${B}`,
        `beforeMigration down ${A}`,
        ...ran(at('down', A, 1, 'runSql')),
        ...ran(at('down', A, 0, 'dropTable')),
        `afterMigration down ${A}`,
        `afterRun down ${B},${A}`,
      ]);

      // A failing migrate: the second operation of C fails. Where DDL is transactional the
      // migration's transaction rolls back; elsewhere the first operation is undone by its
      // reverse (compensation: the operation hooks of what runs, not validateSql). Then
      // afterFailure, once, with the failing operation; no afterMigration, no afterRun.
      cli.write(`migrations/${C}.ts`, migrationSource(["op.addColumn('one', 'note', t.text())", "op.runSql('INSERT INTO missing_table VALUES (1)', 'SELECT 1')"], [A]));
      cli.remove(`migrations/${B}.ts`);
      const failed = run('migrate');
      expect(failed.code, failed.stderr).toBe(1);
      const compensation = dialect.capabilities.transactionalDdl
        ? []
        : [
            `beforeOperation ${at('down', C, 0, 'dropColumn')} compensation`,
            `processSql ${at('down', C, 0, 'dropColumn')} compensation`,
            `afterOperation ${at('down', C, 0, 'dropColumn')} compensation`,
          ];
      expect(failed.log).toEqual([
        ...LOADING,
        `validateMigration up ${A}`,
        ...validated(at('up', A, 0, 'createTable')),
        ...validated(at('up', A, 1, 'runSql')),
        `validateMigration up ${C}`,
        ...validated(at('up', C, 0, 'addColumn')),
        ...validated(at('up', C, 1, 'runSql')),
        `beforeRun up ${A},${C}`,
        `beforeMigration up ${A}`,
        ...ran(at('up', A, 0, 'createTable')),
        ...ran(at('up', A, 1, 'runSql')),
        `afterMigration up ${A}`,
        `beforeMigration up ${C}`,
        ...ran(at('up', C, 0, 'addColumn')),
        `beforeOperation ${at('up', C, 1, 'runSql')}`,
        ...compensation,
        `afterFailure ${C}#1 runSql`,
      ]);
      expect(failed.log.filter((line) => line.startsWith('afterFailure'))).toHaveLength(1);
    });
  });
}
