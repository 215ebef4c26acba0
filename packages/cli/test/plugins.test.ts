// Plugins from covet.config.ts: the order the hooks fire in, a policy that stops the run before
// any SQL, SQL rewriting, and a plugin's own command.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { TestProject, configSource, pluginConfig, failureShape, migrationSource, modelSource, removeProjects } from './helpers.js';

afterAll(removeProjects);

const A = '20260301000001_a';
const B = '20260301000002_b';

const twoByTwo = {
  [`migrations/${A}.ts`]: migrationSource([
    "op.createTable('one', { id: t.serial().primaryKey() })",
    "op.addColumn('one', 'label', t.text())",
  ]),
  [`migrations/${B}.ts`]: migrationSource(
    ["op.createTable('two', { id: t.serial().primaryKey() })", "op.createIndex('two', { name: 'two_id_idx', columns: ['id'] })"],
    [A],
  ),
};

/** A config whose `recorder` plugin appends every hook it sees to `hooks.log`. */
function recorderConfig(project: TestProject): string {
  return pluginConfig('recorder', 'recorder', `
    const h = covet.hooks;
    h.processConfig.tap('recorder', (config) => { log('processConfig'); return config; });
    h.validateMigration.tap('recorder', (m, c) => log(\`validateMigration \${c.direction} \${m.name}\`));
    h.validateOperation.tap('recorder', (o, c) => log(\`validateOperation \${c.direction} \${c.migration.name}#\${c.index} \${o.kind}\`));
    h.beforeRun.tap('recorder', (plan, c) => log(\`beforeRun \${c.direction} \${plan.migrations.map((m) => m.name).join(',')}\`));
    h.beforeMigration.tap('recorder', (m, c) => log(\`beforeMigration \${c.direction} \${m.name}\`));
    h.beforeOperation.tap('recorder', (o, c) => log(\`beforeOperation \${c.direction} \${c.migration.name}#\${c.index} \${o.kind}\`));
    h.processSql.tap('recorder', (statements, c) => { log(\`processSql \${c.direction} \${c.migration.name}#\${c.index} \${c.operation.kind}\`); return statements; });
    h.validateSql.tap('recorder', (statements, c) => log(\`validateSql \${c.direction} \${c.migration.name}#\${c.index} \${c.operation.kind} \${statements.length}\`));
    h.afterOperation.tap('recorder', (o, c) => log(\`afterOperation \${c.direction} \${c.migration.name}#\${c.index} \${o.kind}\`));
    h.afterMigration.tap('recorder', (m, c) => log(\`afterMigration \${c.direction} \${m.name}\`));
    h.afterRun.tap('recorder', (result, c) => log(\`afterRun \${c.direction} \${result.migrations.map((r) => r.migration.name).join(',')}\`));
    h.afterFailure.tap('recorder', (error, c) => log(\`afterFailure \${c.migration?.name}#\${c.index} \${c.operation?.kind} \${error.message.split(' (')[0]}\`));
    h.processModels.tap('recorder', (state, c) => { log(\`processModels \${c.app} \${Object.keys(state.tables).join(',')}\`); return state; });
    h.processChanges.tap('recorder', (operations, c) => { log(\`processChanges \${c.app} \${operations.map((o) => o.kind).join(',')}\`); return operations; });
    h.processMigrationFile.tap('recorder', (file, c) => { log(\`processMigrationFile \${c.app} \${c.operations.length}\`); return file; });`, `import { appendFileSync } from 'node:fs';
const LOG = ${JSON.stringify(project.path('hooks.log'))};
const log = (line) => appendFileSync(LOG, line + '\\n');
`);
}

function readLog(project: TestProject): string[] {
  const file = project.path('hooks.log');
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
}

/** The SQL hooks of one operation: its statements, then the policy on them (one statement each here). */
function sqlHooks(direction: 'up' | 'down', migration: string, index: number, kind: string): string[] {
  return [`processSql ${direction} ${migration}#${index} ${kind}`, `validateSql ${direction} ${migration}#${index} ${kind} 1`];
}

/** What validation fires for an operation: its SQL hooks too, unless it is compiled late (`late`: it reads the live database). */
function validated(direction: 'up' | 'down', migration: string, index: number, kind: string, late = false): string[] {
  return [`validateOperation ${direction} ${migration}#${index} ${kind}`, ...(late ? [] : sqlHooks(direction, migration, index, kind))];
}

/** What running an operation fires: its SQL hooks only when it is compiled late, just before its statements are sent. */
function operationHooks(direction: 'up' | 'down', migration: string, index: number, kind: string, late = false): string[] {
  return [
    `beforeOperation ${direction} ${migration}#${index} ${kind}`,
    ...(late ? sqlHooks(direction, migration, index, kind) : []),
    `afterOperation ${direction} ${migration}#${index} ${kind}`,
  ];
}

describe('plugins', () => {
  it('hooks fire in the runner order for a run of two migrations with two operations each', async () => {
    const project = TestProject.create('plugins-order', { files: twoByTwo });
    project.write('covet.config.ts', recorderConfig(project));

    const migrated = await project.run('migrate');
    expect(migrated.code, migrated.output).toBe(0);
    expect(readLog(project)).toEqual([
      'processConfig',
      // Everything is validated, its SQL included, before anything runs.
      `validateMigration up ${A}`,
      ...validated('up', A, 0, 'createTable'),
      ...validated('up', A, 1, 'addColumn'),
      `validateMigration up ${B}`,
      ...validated('up', B, 0, 'createTable'),
      ...validated('up', B, 1, 'createIndex'),
      `beforeRun up ${A},${B}`,
      `beforeMigration up ${A}`,
      ...operationHooks('up', A, 0, 'createTable'),
      ...operationHooks('up', A, 1, 'addColumn'),
      `afterMigration up ${A}`,
      `beforeMigration up ${B}`,
      ...operationHooks('up', B, 0, 'createTable'),
      ...operationHooks('up', B, 1, 'createIndex'),
      `afterMigration up ${B}`,
      `afterRun up ${A},${B}`,
    ]);
    expect(project.applied()).toEqual([`default:${A}`, `default:${B}`]);

    // Rolling both back: newest first, each migration's operations reversed, last first. The
    // SQL hooks get the reverse that runs and the direction. SQLite's dropIndex and dropColumn
    // read the live database (a UNIQUE constraint, a column in an index or a trigger), so they
    // are compiled when they run, and their SQL hooks fire then.
    project.remove('hooks.log');
    const rolled = await project.run('rollback', '--steps', '2');
    expect(rolled.code, rolled.output).toBe(0);
    expect(readLog(project)).toEqual([
      'processConfig',
      `validateMigration down ${B}`,
      ...validated('down', B, 1, 'dropIndex', true),
      ...validated('down', B, 0, 'dropTable'),
      `validateMigration down ${A}`,
      ...validated('down', A, 1, 'dropColumn', true),
      ...validated('down', A, 0, 'dropTable'),
      `beforeRun down ${B},${A}`,
      `beforeMigration down ${B}`,
      ...operationHooks('down', B, 1, 'dropIndex', true),
      ...operationHooks('down', B, 0, 'dropTable'),
      `afterMigration down ${B}`,
      `beforeMigration down ${A}`,
      ...operationHooks('down', A, 1, 'dropColumn', true),
      ...operationHooks('down', A, 0, 'dropTable'),
      `afterMigration down ${A}`,
      `afterRun down ${B},${A}`,
    ]);
    expect(project.tables()).toEqual(['covet_migrations']);
  });

  it('hooks fire in the documented order for makemigrations and a failing migrate; afterFailure once, with the operation', async () => {
    const project = TestProject.create('plugins-order-failing', {
      files: {
        'models/blog.ts': modelSource("export const posts = defineTable('posts', { id: t.serial().primaryKey(), title: t.text() });"),
      },
    });
    project.write('covet.config.ts', recorderConfig(project));
    const made = await project.run('makemigrations', '--name', 'posts');
    expect(made.code, made.output).toBe(0);
    expect(readLog(project)).toEqual(['processConfig', 'processModels default posts', 'processChanges default createTable', 'processMigrationFile default 1']);
    const [file] = project.migrationFiles();
    const name = file!.replace(/\.ts$/, '');

    project.remove('hooks.log');
    project.write(
      `migrations/${B}.ts`,
      migrationSource(["op.addColumn('posts', 'body', t.text())", "op.runSql('INSERT INTO missing_table VALUES (1)', 'SELECT 1')"], [name]),
    );
    const failed = await project.run('migrate');
    expect(failed.code, failed.output).toBe(1);
    expect(readLog(project)).toEqual([
      'processConfig',
      `validateMigration up ${name}`,
      ...validated('up', name, 0, 'createTable'),
      `validateMigration up ${B}`,
      ...validated('up', B, 0, 'addColumn'),
      ...validated('up', B, 1, 'runSql'),
      `beforeRun up ${name},${B}`,
      `beforeMigration up ${name}`,
      ...operationHooks('up', name, 0, 'createTable'),
      `afterMigration up ${name}`,
      `beforeMigration up ${B}`,
      ...operationHooks('up', B, 0, 'addColumn'),
      `beforeOperation up ${B}#1 runSql`,
      // Once, after the migration's transaction rolled back, with the failing operation.
      `afterFailure ${B}#1 runSql Migration default:${B} failed at operation #2`,
    ]);
    expect(project.applied()).toEqual([`default:${name}`]);
  });

  it('a validateOperation policy that throws stops the run before any SQL', async () => {
    const config = pluginConfig('noDrops', 'no-drops', `
    covet.hooks.validateOperation.tap('no-drops', (operation, { migration }) => {
      if (operation.kind === 'dropTable') throw new Error(\`\${migration.id} drops a table: get a DBA review first\`);
    });`);
    const project = TestProject.create('plugins-policy', {
      config,
      files: {
        [`migrations/${A}.ts`]: migrationSource(["op.createTable('one', { id: t.serial().primaryKey() })"]),
        [`migrations/${B}.ts`]: migrationSource(["op.createTable('two', { id: t.serial().primaryKey() })", "op.dropTable('one')"], [A]),
      },
    });

    const result = await project.run('migrate');
    expect(result.code, result.output).toBe(1);
    const [error] = result.stderr.split('\n');
    expect(error).toBe(
      `error: default:${B} drops a table: get a DBA review first (plugin "no-drops", hook validateOperation, migration default:${B}, operation #2 (dropTable))`,
    );
    expect(failureShape(result)).toEqual({ errorLines: 1, stackLines: 0 });
    // Not even the tracking table, and not the first (allowed) migration either.
    expect(project.schema()).toEqual([]);
    expect(result.stdout).not.toContain('Applied');

    // On a database that already has migrations: exactly as before.
    project.remove(`migrations/${B}.ts`);
    expect((await project.run('migrate')).code).toBe(0);
    const before = project.snapshot();
    project.write(`migrations/${B}.ts`, migrationSource(["op.createTable('two', { id: t.serial().primaryKey() })", "op.dropTable('one')"], [A]));
    const again = await project.run('migrate');
    expect(again.code, again.output).toBe(1);
    expect(again.stderr).toContain('(plugin "no-drops", hook validateOperation, migration');
    expect(project.snapshot()).toEqual(before);
  });

  it('a validateSql policy stops a run before its first statement, and a rollback too: nothing executed', async () => {
    const policyConfig = (log: string) => pluginConfig('policy', 'sql-policy', `
    let count = 0;
    covet.hooks.beforeRun.tap('sql-policy', (plan, c) => appendFileSync(LOG, \`beforeRun \${c.direction}\\n\`));
    covet.hooks.validateSql.tap('sql-policy', (statements, c) => {
      appendFileSync(LOG, \`validateSql \${c.direction} #\${c.index} \${c.operation.kind} \${statements.length}\\n\`);
      if (statements.some((s) => /^\\s*DROP\\s+TABLE\\b/i.test(s.sql))) throw new Error('DROP TABLE needs a DBA review');
      count += statements.length;
      if (c.direction === 'up' && count > 3) throw new Error(\`more than 3 statements in one run (\${count})\`);
    });`, `import { appendFileSync } from 'node:fs';
const LOG = ${JSON.stringify(log)};
`);
    const project = TestProject.create('plugins-validate-sql', {
      files: {
        [`migrations/${A}.ts`]: migrationSource(["op.createTable('one', { id: t.serial().primaryKey() })", "op.addColumn('one', 'label', t.text())"]),
        [`migrations/${B}.ts`]: migrationSource(
          [
            "op.createTable('two', { id: t.serial().primaryKey() })",
            "op.createIndex('two', { name: 'two_id_idx', columns: ['id'] })",
            "op.runSql('INSERT INTO two (id) VALUES (1)', 'DELETE FROM two')",
          ],
          [A],
        ),
      },
    });
    project.write('covet.config.ts', policyConfig(project.path('hooks.log')));
    const refused = await project.run('migrate');
    expect(refused.code, refused.output).toBe(1);
    expect(refused.stderr.split('\n')[0]).toBe(
      `error: more than 3 statements in one run (4) (plugin "sql-policy", hook validateSql, migration default:${B}, operation #2 (createIndex))`,
    );
    expect(failureShape(refused)).toEqual({ errorLines: 1, stackLines: 0 });
    expect(project.read('hooks.log').trim().split('\n')).toEqual([
      'validateSql up #0 createTable 1',
      'validateSql up #1 addColumn 1',
      'validateSql up #0 createTable 1',
      'validateSql up #1 createIndex 1',
    ]);
    // Not the first migration either, nor the tracking table.
    expect(project.schema()).toEqual([]);

    // A rollback whose reverses drop a table: refused with the reverse named, nothing rolled back.
    project.remove(`migrations/${B}.ts`);
    expect((await project.run('migrate')).code).toBe(0);
    const before = project.snapshot();
    project.remove('hooks.log');
    const rollback = await project.run('rollback');
    expect(rollback.code, rollback.output).toBe(1);
    expect(rollback.stderr.split('\n')[0]).toBe(
      `error: DROP TABLE needs a DBA review (plugin "sql-policy", hook validateSql, migration default:${A}, operation #1 (dropTable))`,
    );
    // dropColumn reads the live database on SQLite: compiled (and offered) only when it runs.
    expect(project.read('hooks.log').trim().split('\n')).toEqual(['validateSql down #0 dropTable 1']);
    expect(project.snapshot()).toEqual(before);
  });

  it('a processSql tap that rewrites SQL takes effect', async () => {
    const config = pluginConfig('rewriter', 'rewriter', `
    covet.hooks.processSql.tap('rewriter', (statements, context) =>
      statements.map((statement) => ({ ...statement, sql: statement.sql.replace('VALUES (1)', 'VALUES (42)') })).concat(
        context.operation.kind === 'createTable'
          ? [{ sql: 'CREATE TABLE audit_created (note text)' }]
          : [],
      ),
    );`);
    const project = TestProject.create('plugins-sql', {
      config,
      files: {
        [`migrations/${A}.ts`]: migrationSource([
          "op.createTable('counter', { v: t.integer() })",
          "op.runSql('INSERT INTO counter (v) VALUES (1)', 'DELETE FROM counter')",
        ]),
      },
    });
    const dry = await project.run('migrate', '--dry-run');
    expect(dry.code, dry.output).toBe(0);
    expect(dry.stdout).toContain('INSERT INTO counter (v) VALUES (42);');
    expect(dry.stdout).toContain('CREATE TABLE audit_created (note text);');
    expect(project.schema()).toEqual([]);

    const result = await project.run('migrate');
    expect(result.code, result.output).toBe(0);
    expect(project.rows('SELECT v FROM counter')).toEqual([{ v: 42 }]);
    expect(project.tables()).toContain('audit_created');
  });

  it('plugins named by package load in the binary: CommonJS, ES module only, and ES module with top-level await', async () => {
    const project = TestProject.create('plugins-packages', {
      config: configSource("  plugins: ['covet-plugin-cjs', 'covet-plugin-esm', 'covet-plugin-tla'],"),
      files: { [`migrations/${A}.ts`]: migrationSource(["op.createTable('one', { id: t.serial().primaryKey() })"]) },
    });
    const log = JSON.stringify(project.path('plugins.log'));
    const plugin = (name: string) => `{ name: '${name}', apply(covet) { covet.hooks.beforeRun.tap('${name}', () => { appendFileSync(${log}, '${name}\\n'); }); } }`;
    project.write('node_modules/covet-plugin-cjs/package.json', JSON.stringify({ name: 'covet-plugin-cjs', main: 'index.js' }));
    project.write('node_modules/covet-plugin-cjs/index.js', `const { appendFileSync } = require('node:fs');\nmodule.exports = ${plugin('cjs')};\n`);
    project.write('node_modules/covet-plugin-esm/package.json', JSON.stringify({ name: 'covet-plugin-esm', type: 'module', exports: { '.': { import: './index.js' } } }));
    project.write('node_modules/covet-plugin-esm/index.js', `import { appendFileSync } from 'node:fs';\nexport default ${plugin('esm')};\n`);
    project.write('node_modules/covet-plugin-tla/package.json', JSON.stringify({ name: 'covet-plugin-tla', type: 'module', main: 'index.js' }));
    project.write('node_modules/covet-plugin-tla/index.js', `import { appendFileSync } from 'node:fs';\nawait Promise.resolve();\nexport default ${plugin('tla')};\n`);

    const result = await project.spawn(['migrate']);
    expect(result.code, result.output).toBe(0);
    expect(project.read('plugins.log').trim().split('\n')).toEqual(['cjs', 'esm', 'tla']);

    // The same through the ES module build (runCli in this process).
    project.remove('app.db');
    project.remove('plugins.log');
    const inProcess = await project.run('migrate');
    expect(inProcess.code, inProcess.output).toBe(0);
    expect(project.read('plugins.log').trim().split('\n')).toEqual(['cjs', 'esm', 'tla']);
  });

  it('a command registered through registerCommands runs as covet <name>', async () => {
    const config = pluginConfig('greeter', 'greeter', `
    covet.hooks.registerCommands.tap('greeter', (registry) => {
      registry.register({
        name: 'greet [who]',
        description: 'Say hello',
        options: [{ flags: '--shout', description: 'Loudly' }],
        action(args, options, context) {
          const text = \`hello \${args[0] ?? 'nobody'}\`;
          context.print(options.shout ? text.toUpperCase() : text);
        },
      });
      registry.register({
        name: 'explode',
        description: 'Fail',
        action() { throw new Error('boom from the plugin command'); },
      });
    });`);
    const project = TestProject.create('plugins-command', { config });

    const plain = await project.run('greet', 'world');
    expect({ code: plain.code, stdout: plain.stdout, stderr: plain.stderr }).toEqual({ code: 0, stdout: 'hello world\n', stderr: '' });
    const loud = await project.run('greet', 'world', '--shout');
    expect({ code: loud.code, stdout: loud.stdout }).toEqual({ code: 0, stdout: 'HELLO WORLD\n' });

    const failing = await project.run('explode');
    expect(failing.code).toBe(1);
    expect(failing.stderr).toContain('error: boom from the plugin command');
    expect(failureShape(failing)).toEqual({ errorLines: 1, stackLines: 0 });

    // The same through the real binary.
    const spawned = await project.spawn(['greet', 'bin']);
    expect({ code: spawned.code, stdout: spawned.stdout, stderr: spawned.stderr }).toEqual({ code: 0, stdout: 'hello bin\n', stderr: '' });
    const unknown = await project.run('gret');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('Unknown command "gret"');
  });

  describe('options, presets and duplicate names', () => {
    /** Writes an installed package of the test project. */
    function writePackage(project: TestProject, name: string, source: string, type: 'commonjs' | 'module' = 'commonjs'): void {
      project.write(`node_modules/${name}/package.json`, JSON.stringify({ name, type, main: 'index.js' }));
      project.write(`node_modules/${name}/index.js`, source);
    }

    /** A CommonJS policy package: a factory of { maxTables }, logging its options when applied. */
    const policySource = (log: string) => `const { appendFileSync } = require('node:fs');
const { definePlugin } = require('@covet/core');
module.exports = definePlugin((options = {}) => {
  if (options.maxTables !== undefined && !Number.isInteger(options.maxTables)) {
    throw new Error('maxTables must be an integer, got ' + JSON.stringify(options.maxTables));
  }
  const max = options.maxTables ?? 10;
  return {
    name: 'acme-policy',
    apply(covet) {
      covet.hooks.registerCommands.tap('acme-policy', () => appendFileSync(${JSON.stringify(log)}, 'policy registered max=' + max + '\\n'));
      covet.hooks.beforeRun.tap('acme-policy', (plan) => {
        const tables = plan.migrations.flatMap((m) => m.operations).filter((o) => o.kind === 'createTable').length;
        if (tables > max) throw new Error(tables + ' tables created, the limit is ' + max);
      });
    },
  };
});
`;

    function optionsProject(label: string, plugins: string): TestProject {
      const project = TestProject.create(label, {
        config: configSource(`  plugins: ${plugins},`),
        files: {
          [`migrations/${A}.ts`]: migrationSource([
            "op.createTable('one', { id: t.serial().primaryKey() })",
            "op.createTable('two', { id: t.serial().primaryKey() })",
          ]),
        },
      });
      writePackage(project, '@acme/covet-policy', policySource(project.path('plugins.log')));
      return project;
    }

    it('a package plugin takes options as [name, options]; bad options get a one-line error naming the plugin and the config', async () => {
      const project = optionsProject('plugins-options', "[['@acme/covet-policy', { maxTables: 1 }]]");
            const refused = await project.run('migrate');
      expect(refused.code, refused.output).toBe(1);
      expect(refused.stderr.split('\n')[0]).toBe('error: 2 tables created, the limit is 1 (plugin "acme-policy", hook beforeRun)');
      expect(project.schema()).toEqual([]);
      expect(project.read('plugins.log')).toBe('policy registered max=1\n');

      project.write('covet.config.ts', configSource("  plugins: [['@acme/covet-policy', { maxTables: 2 }]],"));
      const applied = await project.run('migrate');
      expect(applied.code, applied.output).toBe(0);
      expect(project.applied()).toEqual([`default:${A}`]);

      project.write('covet.config.ts', configSource("  plugins: [['@acme/covet-policy', { maxTables: 'many' }]],"));
      const invalid = await project.run('showmigrations');
      expect(invalid.code).toBe(1);
      expect(invalid.stderr.split('\n')[0]).toBe(
        'error: Invalid options for plugin @acme/covet-policy: maxTables must be an integer, got "many" (covet.config.ts plugins[0])',
      );
      expect(failureShape(invalid)).toEqual({ errorLines: 1, stackLines: 0 });

      // The same through the binary (CommonJS build), listed by name alone: the defaults.
      project.write('covet.config.ts', configSource("  plugins: ['@acme/covet-policy'],"));
      const spawned = await project.spawn(['showmigrations']);
      expect(spawned.code, spawned.output).toBe(0);
      expect(project.read('plugins.log').trim().split('\n').at(-1)).toBe('policy registered max=10');
    });

    it('a preset package includes another plugin, which the project may also list: it is applied once', async () => {
      const project = optionsProject('plugins-preset', "['@acme/covet-org', ['@acme/covet-policy', { maxTables: 5 }]]");
      writePackage(
        project,
        '@acme/covet-org',
        `import { appendFileSync } from 'node:fs';
import { definePreset } from '@covet/core';
const LOG = ${JSON.stringify(project.path('plugins.log'))};
import policy from '@acme/covet-policy';
export default definePreset({
  name: 'acme-org',
  plugins: [[policy, { maxTables: 5 }]],
  apply(covet) {
    covet.hooks.afterMigration.tap('acme-org', (migration) => appendFileSync(LOG, 'org saw ' + migration.name + '\\n'));
  },
});
`,
        'module',
      );
            for (const run of [() => project.run('migrate'), () => project.spawn(['migrate'])]) {
        project.remove('app.db');
        project.remove('plugins.log');
        const result = await run();
        expect(result.code, result.output).toBe(0);
        expect(project.read('plugins.log').trim().split('\n')).toEqual(['policy registered max=5', `org saw ${A}`]);
      }
    });

    it('two different plugins with one name are refused, both sources named', async () => {
      const project = optionsProject('plugins-duplicate', "[['@acme/covet-policy', { maxTables: 5 }], ['@acme/covet-policy', { maxTables: 6 }]]");
      const result = await project.run('migrate');
      expect(result.code, result.output).toBe(1);
      expect(result.stderr.split('\n')[0]).toBe(
        'error: Two different plugins are named "acme-policy": one from package @acme/covet-policy in covet.config.ts plugins[0], one from package @acme/covet-policy in covet.config.ts plugins[1]',
      );
      expect(failureShape(result)).toEqual({ errorLines: 1, stackLines: 0 });
      expect(project.schema()).toEqual([]);
    });
  });

  it('lines a plugin reports are printed with its name, and --json lists them in reports', async () => {
    const config = pluginConfig('reviewer', 'acme-review', `
    covet.hooks.validateOperation.tap('rule:drops', (operation, context) => {
      if (operation.kind === 'dropTable') context.report.warn(\`\${context.migration.id} drops table \${operation.args.name}\`);
    });
    covet.hooks.afterRun.tap('summary', (result, context) => context.report.info(\`\${result.migrations.length} migration(s) reviewed\`));
    covet.hooks.processChanges.tap('rule:changes', (operations, context) => {
      context.report.info(\`\${operations.length} change(s) in \${context.app}\`);
      return operations;
    });`);
    const project = TestProject.create('plugins-report', {
      config,
      files: {
        [`migrations/${A}.ts`]: migrationSource(["op.createTable('one', { id: t.serial().primaryKey() })"]),
        [`migrations/${B}.ts`]: migrationSource(["op.dropTable('one')"], [A]),
      },
    });
    const result = await project.run('migrate', A);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain('info: 1 migration(s) reviewed (plugin "acme-review")\n');
    expect(result.stderr).toBe('');

    const json = await project.run('migrate', '--json');
    expect(json.code, json.output).toBe(0);
    const document = JSON.parse(json.stdout) as { reports: unknown[]; warnings: string[] };
    expect(document.reports).toEqual([
      { level: 'warn', plugin: 'acme-review', hook: 'validateOperation', message: `default:${B} drops table one` },
      { level: 'info', plugin: 'acme-review', hook: 'afterRun', message: '1 migration(s) reviewed' },
    ]);
    expect(document.warnings).toEqual([`default:${B} drops table one (plugin "acme-review")`]);
    expect(json.stderr).toBe('');

    project.write('models/one.ts', modelSource("export const one = defineTable('one', { id: t.serial().primaryKey(), label: t.text() });"));
    const made = await project.run('makemigrations', '--dry-run');
    expect(made.code, made.output).toBe(0);
    expect(made.stdout).toContain('info: 1 change(s) in default (plugin "acme-review")');

    // Rolled back: the same report from afterRun.
    const rolled = await project.run('rollback');
    expect(rolled.code, rolled.output).toBe(0);
    expect(rolled.stdout).toContain('info: 1 migration(s) reviewed (plugin "acme-review")');
  });

  it('plugin commands appear in covet --help', async () => {
    const config = pluginConfig('linter', 'linter', `
    covet.hooks.registerCommands.tap('linter', (registry) => {
      registry.register({ name: 'lint [migration]', description: 'Check migrations against the rules', action() {} });
    });`);
    const project = TestProject.create('plugins-help', { config });
    for (const run of [() => project.run('--help'), () => project.spawn(['--help']), () => project.run()]) {
      const help = await run();
      expect(help.code, help.output).toBe(0);
      expect(help.stdout).toMatch(/lint \[migration\]\s+Check migrations against the rules/);
      expect(help.stdout).toContain('migrate [target]');
      expect(help.stderr).toBe('');
    }
    // A project whose config fails still gets the built-in help, and says why plugins are missing.
    project.write('covet.config.ts', configSource("  plugins: ['covet-plugin-not-installed'],"));
    const broken = await project.run('--help');
    expect(broken.code).toBe(0);
    expect(broken.stdout).toContain('migrate [target]');
    expect(broken.stderr).toBe('note: plugin commands are not listed: Plugin package covet-plugin-not-installed is not installed (covet.config.ts plugins[0])\n');
  });
});
