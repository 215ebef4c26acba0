// User errors: one line naming the setting at fault, a hint, no stack, no secrets; help for
// every command.
import { afterAll, describe, expect, it } from 'vitest';
import { TestProject, configSource, failureShape, migrationSource, removeProjects } from './helpers.js';

afterAll(removeProjects);

const SECRET = 's3cretPW';
const URL = `postgres://app:${SECRET}@127.0.0.1:1/x`;

describe('errors and secrets', () => {
  // `oracle`: no such dialect package exists anywhere in the workspace (pnpm puts the workspace's
  // packages on NODE_PATH for scripts, so a first-party engine would resolve here).
  it('an engine whose dialect package is not installed: one line naming the package', async () => {
    for (const config of [
      configSource().replace("engine: 'sqlite', name: './app.db'", "engine: 'oracle', host: '127.0.0.1', name: 'app'"),
      { database: { engine: 'oracle', host: '127.0.0.1', name: 'app' }, models: './models', migrations: './migrations' },
    ]) {
      const project = TestProject.create('errors-oracle', { config });
      for (const argv of [['migrate'], ['showmigrations'], ['makemigrations', '--empty']]) {
        const result = await project.run(...argv);
        expect(result.code, result.output).toBe(1);
        expect(result.stdout).toBe('');
        const [error, hint] = result.stderr.split('\n');
        expect(error).toBe('error: No dialect for engine "oracle": package @covet/dialect-oracle is not installed');
        expect(hint).toBe(
          "hint: Install it: npm install @covet/dialect-oracle. For a third-party dialect, install its package and list it in the config's plugins: plugins: ['covet-dialect-oracle'] (docs/writing-a-dialect.md).",
        );
        expect(failureShape(result)).toEqual({ errorLines: 1, stackLines: 0 });
        expect(project.migrationFiles()).toEqual([]);
      }
    }
  });

  it(`--database-url with a password: "${SECRET}" appears nowhere, with or without --verbose`, async () => {
    const project = TestProject.create('errors-secret');
    // The environment is below the config file: this project's config has no database.
    const envProject = TestProject.create('errors-secret-env', { config: { migrations: './migrations' } });
    const commands = [['migrate'], ['migrate', '--json'], ['rollback'], ['showmigrations', '--json'], ['makemigrations', '--from', 'database'], ['frobnicate']];
    for (const argv of commands) {
      for (const verbose of [[], ['--verbose']]) {
        const result = await project.run(...argv, '--database-url', URL, ...verbose);
        expect(result.code, result.output).not.toBe(0);
        expect(result.output).not.toContain(SECRET);
        // With --json the error is a JSON document (and, with --verbose, also the usual lines on stderr).
        expect(result.output).toMatch(argv.includes('--json') && verbose.length === 0 ? /"ok": false/ : /error: /);
      }
      const fromEnv = await envProject.runWith({ env: { DATABASE_URL: URL } }, ...argv, '--verbose');
      expect(fromEnv.code).not.toBe(0);
      expect(fromEnv.output).not.toContain(SECRET);
    }
    const verbose = await project.run('migrate', '--database-url', URL, '--verbose');
    expect(verbose.stderr).toMatch(/^\s+at /m); // --verbose does print the stack...
    expect(verbose.stderr).not.toContain(SECRET); // ...redacted.

    for (const verboseFlag of [[], ['--verbose']]) {
      const spawned = await project.spawn(['migrate', '--database-url', URL, ...verboseFlag]);
      expect(spawned.code).toBe(1);
      expect(spawned.output).not.toContain(SECRET);
      // Either the dialect is missing or the connection is refused: whichever, one error line.
      expect(spawned.stderr).toMatch(/^error: (No dialect for engine "postgres"|Cannot connect)/m);
    }
  });

  it('a dialect whose connection error carries the URL: redacted in the message, the hint, the stack and the causes', async () => {
    const config = configSource(
      '  plugins: [fakePostgres],',
      `import { definePlugin, DIALECT_SPECIFICATION_VERSION, CovetError } from '@covet/core';
const dialect = {
  name: 'postgres',
  specificationVersion: DIALECT_SPECIFICATION_VERSION,
  capabilities: { transactionalDdl: true, alterColumn: 'native', maxIdentifierLength: 63 },
  describeDatabase: (config) => \`postgres \${config.host}:\${config.port}/\${config.name}\`,
  async connect(config) {
    const cause = new Error(\`connect ECONNREFUSED for \${config.url}\`);
    throw new CovetError('CONNECTION_FAILED', \`password authentication failed (\${config.url})\`, { cause, hint: \`Check \${config.url}\` });
  },
};
const fakePostgres = definePlugin({
  name: 'fake-postgres',
  apply(covet) { covet.hooks.registerDialects.tap('fake-postgres', (registry) => registry.register(dialect)); },
});`,
    );
    const project = TestProject.create('errors-secret-dialect', { config, files: { 'migrations/20260501000001_a.ts': migrationSource(["op.runSql('SELECT 1')"]) } });
    for (const verbose of [[], ['--verbose']]) {
      const result = await project.run('migrate', '--database-url', URL, ...verbose);
      expect(result.code, result.output).toBe(1);
      expect(result.stderr).toContain('password authentication failed (postgres://app:***@127.0.0.1:1/x)');
      expect(result.output).not.toContain(SECRET);
      if (verbose.length > 0) expect(result.stderr).toContain('caused by:');
    }
  });

  it("a failing statement's string literals are elided from the error unless --verbose", async () => {
    const project = TestProject.create('errors-literals', {
      files: { 'migrations/20260501000001_keys.ts': migrationSource([`op.runSql("INSERT INTO missing_table VALUES ('AKIAIOSFODNN7EXAMPLE')")`]) },
    });
    const plain = await project.run('migrate');
    expect(plain.code).not.toBe(0);
    expect(plain.output).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(plain.stderr).toContain("hint: SQL: INSERT INTO missing_table VALUES ('…')");
    // --json follows the same rule.
    const json = await project.run('migrate', '--json');
    expect(json.code).not.toBe(0);
    expect(json.output).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect((JSON.parse(json.stdout) as { error: { hint: string } }).error.hint).toContain("INSERT INTO missing_table VALUES ('…')");
    const verbose = await project.run('migrate', '--verbose');
    expect(verbose.code).not.toBe(0);
    expect(verbose.stderr).toContain("hint: SQL: INSERT INTO missing_table VALUES ('AKIAIOSFODNN7EXAMPLE')");
  });

  it('a malformed config: one line naming the file and the key', async () => {
    const cases: { label: string; config: string | Record<string, unknown>; file: string; key: RegExp }[] = [
      { label: 'unknown key (ts)', config: configSource('  databse: {},'), file: 'covet.config.ts', key: /Unknown key "databse"/ },
      { label: 'unknown key (json)', config: { database: { engine: 'sqlite', name: './app.db' }, modles: './models' }, file: 'covet.config.json', key: /Unknown key "modles"/ },
      { label: 'unknown database key', config: { database: { engine: 'sqlite', file: './app.db' } }, file: 'covet.config.json', key: /"database\.file"/ },
      { label: 'wrong type', config: { database: { engine: 'sqlite', name: './app.db' }, migrations: 42 }, file: 'covet.config.json', key: /"migrations" must be/ },
      { label: 'wrong port type', config: { database: { engine: 'sqlite', name: './app.db', port: '5432' } }, file: 'covet.config.json', key: /"database\.port" must be/ },
      { label: 'wrong lockTimeoutMs type', config: configSource("  lockTimeoutMs: 'soon',"), file: 'covet.config.ts', key: /"lockTimeoutMs" must be/ },
    ];
    for (const { label, config, file, key } of cases) {
      const project = TestProject.create('errors-config', { config });
      const result = await project.run('migrate');
      expect(result.code, `${label}: ${result.output}`).toBe(1);
      const [error] = result.stderr.split('\n');
      expect(error, label).toMatch(key);
      expect(error, label).toContain(project.path(file));
      expect(failureShape(result), label).toEqual({ errorLines: 1, stackLines: 0 });
      expect(project.schema(), label).toEqual([]);
    }

    const broken = TestProject.create('errors-config-json', { config: null });
    broken.write('covet.config.json', '{ "database": { "engine": "sqlite", }');
    const result = await broken.run('migrate');
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')[0]).toContain(broken.path('covet.config.json'));
    expect(failureShape(result)).toEqual({ errorLines: 1, stackLines: 0 });
  });

  it('an unknown command or option: non-zero with a hint, nothing done', async () => {
    const project = TestProject.create('errors-unknown', {
      files: { 'migrations/20260501000001_a.ts': migrationSource(["op.createTable('a', { id: t.integer() })"]) },
    });
    const unknown = await project.run('migrat');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('error: Unknown command "migrat"');
    expect(unknown.stderr).toContain('hint: Run covet --help');
    expect(failureShape(unknown)).toEqual({ errorLines: 1, stackLines: 0 });
    expect(project.schema()).toEqual([]);

    expect((await project.run('migrate')).code).toBe(0);
    const before = project.snapshot();
    for (const argv of [['rollback', '--stpes', '2'], ['rollback', '--steps', 'two'], ['rollback', '--steps', '0'], ['rollback', '--steps', '1', '--to', '20260501000001_a'], ['makemigrations', '--from', 'db']]) {
      const result = await project.run(...argv);
      expect(result.code, `${argv.join(' ')}: ${result.output}`).not.toBe(0);
      expect(failureShape(result), argv.join(' ')).toEqual({ errorLines: 1, stackLines: 0 });
      expect(project.snapshot(), argv.join(' ')).toEqual(before);
    }
  });

  it('--help of every command exits 0 and lists its options', async () => {
    const project = TestProject.create('errors-help');
    const global = ['--config', '--database-url', '--migrations-dir', '--app', '--verbose'];
    const commands: Record<string, string[]> = {
      makemigrations: ['--name', '--empty', '--dry-run', '--from'],
      migrate: ['--fake', '--dry-run'],
      rollback: ['--steps', '--to', '--dry-run', '--fake'],
      showmigrations: ['--json'],
    };
    const results = await Promise.all([
      ...Object.keys(commands).map((command) => project.spawn([command, '--help'])),
      project.spawn(['--help']),
      project.spawn(['--version']),
    ]);
    Object.entries(commands).forEach(([command, options], index) => {
      const result = results[index]!;
      expect(result.code, `${command}: ${result.output}`).toBe(0);
      expect(result.stdout).toContain(`$ covet ${command}`);
      for (const option of [...options, ...global]) expect(result.stdout, `${command} ${option}`).toContain(option);
      expect(result.stderr).toBe('');
    });
    const help = results[4]!;
    expect(help.code).toBe(0);
    for (const command of Object.keys(commands)) expect(help.stdout).toContain(command);
    const version = results[5]!;
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^covet\/\d+\.\d+\.\d+/);
    expect(project.schema()).toEqual([]);
  });

  it('runCli writes help and the version through its stdout option', async () => {
    const project = TestProject.create('errors-help-inprocess');
    const help = await project.run('migrate', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('$ covet migrate');
    expect(help.stdout).toContain('--dry-run');
    const version = await project.run('--version');
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^covet\/\d+\.\d+\.\d+/);
  });
});
