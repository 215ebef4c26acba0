// Commands are imported when they run: `covet migrate` never loads the writer, for instance.
import { cac } from 'cac';
import { basename } from 'node:path';
import { CovetError, isCovetError, redactSecrets, type CommandDefinition, type ConfigOverrides, type Operation } from '@covet/core';
import { JsonReport } from './json-report.js';
import { createOutput, reportError, type Output } from './output.js';
import { migrationFileProblems, permissionProblems } from './permissions.js';
import { openProject, type Project } from './project.js';
import { VERSION } from './version.js';

const BUILTIN_COMMANDS = new Set(['makemigrations', 'migrate', 'rollback', 'showmigrations', 'resolve', 'sqlmigrate', 'squashmigrations', 'reset', 'inspectdb']);

/** Commands that print one JSON document with `--json` (docs/json-output.md). */
const JSON_COMMANDS = new Set(['makemigrations', 'migrate', 'rollback', 'showmigrations', 'sqlmigrate', 'squashmigrations', 'reset']);

/** Options of {@link runCli}. */
export interface RunCliOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
}

interface GlobalOptions {
  config?: string;
  databaseUrl?: string;
  migrationsDir?: string;
  app?: string;
  verbose?: boolean;
  strict?: boolean;
}

function overridesOf(options: GlobalOptions): ConfigOverrides {
  return {
    ...(options.config ? { config: String(options.config) } : {}),
    ...(options.databaseUrl ? { databaseUrl: String(options.databaseUrl) } : {}),
    ...(options.migrationsDir ? { migrationsDir: String(options.migrationsDir) } : {}),
    ...(options.app ? { app: String(options.app) } : {}),
  };
}

/** Finds the value of a global option in raw arguments (`--config x` or `--config=x`). */
function rawOption(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i]!;
    if (argument === name) return argv[i + 1];
    if (argument.startsWith(`${name}=`)) return argument.slice(name.length + 1);
  }
  return undefined;
}

/**
 * `--steps -1` as one option with its value: otherwise the parser reads `-1` as a short flag
 * and reports an unknown option instead of the bad value.
 */
function joinNegativeValues(argv: readonly string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i]!;
    const next = argv[i + 1];
    if (argument.startsWith('--') && !argument.includes('=') && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${argument}=${next}`);
      i++;
    } else {
      joined.push(argument);
    }
  }
  return joined;
}

/** `--steps N`: a whole number ≥ 1, checked before anything connects. */
export function parseSteps(value: unknown): number {
  const text = value === true || value === undefined ? '' : String(value);
  if (!/^[1-9]\d*$/.test(text)) {
    throw new CovetError('OPTION_INVALID', `--steps must be a whole number of migrations (1 or more), got ${text === '' ? 'nothing' : JSON.stringify(text)}`, {
      hint: 'Example: covet rollback --steps 2',
    });
  }
  return Number(text);
}

/**
 * Runs the `covet` command line with `argv` (without the node and script paths) and returns
 * the exit code: 0 on success, non-zero with a one-line `error:` on failure.
 */
export async function runCli(rawArgv: readonly string[], options: RunCliOptions = {}): Promise<number> {
  const argv = joinNegativeValues(rawArgv);
  const verbose = argv.includes('--verbose');
  const baseOutput = createOutput({
    verbose,
    ...(options.env ? { env: options.env } : {}),
    ...(options.stdout ? { stdout: options.stdout } : {}),
    ...(options.stderr ? { stderr: options.stderr } : {}),
  });
  const commandName = argv.find((argument, index) => !argument.startsWith('-') && (index === 0 || !['--config', '--database-url', '--migrations-dir', '--app'].includes(argv[index - 1]!)));
  // --json: the command's lines are dropped and one document goes to stdout, also on failure.
  const report = argv.includes('--json') && commandName !== undefined && JSON_COMMANDS.has(commandName) ? new JsonReport(commandName) : undefined;
  const output = report ? report.wrap(baseOutput) : baseOutput;
  let project: Project | undefined;
  // `databaseOptional`: the command never connects (makemigrations --dry-run or --check).
  const open = async (global: GlobalOptions, databaseOptional = false): Promise<Project> => {
    if (project) return project;
    const opened = await openProject({
      ...(options.cwd ? { cwd: options.cwd } : {}),
      ...(options.env ? { env: options.env } : {}),
      overrides: overridesOf(global),
      databaseOptional,
    });
    project = opened;
    if (!reportsShown) {
      reportsShown = true;
      opened.covet.onReport((line) => {
        report?.push('reports', { level: line.level, plugin: line.plugin, hook: line.hook, message: redactSecrets(line.message) });
        const text = `${line.message} (plugin "${line.plugin}")`;
        // A warning goes where warnings go (collected in `warnings` under --json too); info to stdout.
        if (line.level === 'warn') output.error(`${output.colors.yellow('warning:')} ${text}`);
        else output.line(`${output.colors.cyan('info:')} ${text}`);
      });
    }
    output.debug(`database: ${opened.describeDatabase()}`);
    const strict = global.strict === true || argv.includes('--strict');
    const reportProblems = (problems: readonly string[]) => {
      if (problems.length > 0 && strict) {
        throw new CovetError('PERMISSIONS_UNSAFE', problems[0]!, {
          hint: problems.length > 1 ? `And ${problems.length - 1} more such problem(s). Nothing was run.` : 'Nothing was run (--strict).',
        });
      }
      for (const problem of problems) output.error(`${output.colors.yellow('warning:')} ${problem}`);
    };
    const problems = permissionProblems(opened.config);
    // Refused now: the migration files' own problems are counted in the refusal too.
    reportProblems(problems.length > 0 && strict ? permissionProblems(opened.config, { files: true }) : problems);
    // Each migration file is checked when it is about to be evaluated: a run that evaluates
    // none (nothing pending, every applied file unchanged) stats none of them.
    opened.beforeEvaluate = (files, found) => reportProblems(migrationFileProblems(files, found));
    return opened;
  };
  let reportsShown = false;
  try {
    const cli = cac('covet');
    cli
      .option('--config <path>', 'Config file (default: covet.config.ts, .js, .mjs or .json in the current folder or the nearest parent, up to the repository root)')
      .option('--database-url <url>', 'Database URL, overriding the config (postgres://, mysql://, sqlite:)')
      .option('--migrations-dir <dir>', 'Migrations folder, overriding the config')
      .option('--app <name>', 'App to work on (default: the config\'s app)')
      .option('--verbose', 'Print debugging details and stacks')
      .option('--strict', 'Refuse to run when file permissions are unsafe (a config file readable by all holding a password, migrations writable by all)');

    cli
      .command('makemigrations', 'Compare the models with the migrations and write a new migration file')
      .option('--name <label>', 'Label of the migration name (default: derived from the changes)')
      .option('--empty', 'Write an empty migration to fill in by hand')
      .option('--dry-run', 'Print the detected operations without writing a file')
      .option('--from <source>', 'Compare with "migrations" (default) or the live "database"', { default: 'migrations' })
      .option('--rename <mapping>', 'Confirm a rename instead of a drop and an add: table.old=new (column) or old=new (table); repeatable')
      .option('--not-renamed <mapping>', 'Answer a possible rename with no: drop the old and add the new (its data is lost): table.old[=new] or old[=new]; repeatable')
      .option('--check', 'Write nothing; exit 1 if the models have changes without a migration (for CI)')
      .option('--merge', 'Join branches (more than one latest migration) with a migration that depends on each')
      .option('--json', 'Print one JSON document (docs/json-output.md); never asks')
      .action(async (flags: GlobalOptions & { name?: string; empty?: boolean; dryRun?: boolean; from?: string; rename?: string | string[]; notRenamed?: string | string[]; check?: boolean; merge?: boolean; json?: boolean }) => {
        if (flags.from !== 'migrations' && flags.from !== 'database') {
          throw new CovetError('OPTION_INVALID', `--from must be "migrations" or "database", got "${String(flags.from)}"`);
        }
        const { makeMigrations } = await import('./commands/makemigrations.js');
        const opened = await open(flags, flags.dryRun === true || flags.check === true);
        if (report) {
          report.app = flags.app ? String(flags.app) : opened.config.app;
          report.set('dryRun', flags.dryRun === true);
          report.set('name', null);
          report.set('file', null);
          report.set('operations', []);
        }
        const made = await makeMigrations(
          opened,
          {
            ...(flags.name !== undefined ? { name: String(flags.name) } : {}),
            empty: flags.empty === true,
            dryRun: flags.dryRun === true,
            check: flags.check === true,
            merge: flags.merge === true,
            from: flags.from,
            renames: flags.rename === undefined ? [] : (Array.isArray(flags.rename) ? flags.rename : [flags.rename]).map(String),
            notRenamed: flags.notRenamed === undefined ? [] : (Array.isArray(flags.notRenamed) ? flags.notRenamed : [flags.notRenamed]).map(String),
            ...(flags.app ? { app: String(flags.app) } : {}),
            ...(report ? { interactive: false } : {}),
          },
          output,
        );
        if (report) {
          report.set('name', made.file ? basename(made.file).replace(/\.[cm]?[jt]s$/, '') : null);
          report.set('file', made.file ?? null);
          report.set('operations', made.operations.map((operation) => describeOperation(opened, operation)));
        }
      });

    cli
      .command('migrate [target]', 'Apply pending migrations, or go to TARGET forwards or backwards ("zero": roll back the whole app)')
      .option('--fake', 'Record migrations as applied (or rolled back) without running them')
      .option('--fake-initial', 'Record initial migrations whose tables already exist as applied without running them')
      .option('--dry-run', 'Print the SQL that would run, without running it')
      .option('--json', 'Print one JSON document (docs/json-output.md)')
      .action(async (target: string | undefined, flags: GlobalOptions & { fake?: boolean; fakeInitial?: boolean; dryRun?: boolean }) => {
        const { migrate } = await import('./commands/migrate.js');
        await migrate(
          await open(flags),
          {
            ...(target ? { target: String(target) } : {}),
            fake: flags.fake === true,
            fakeInitial: flags.fakeInitial === true,
            dryRun: flags.dryRun === true,
            ...(flags.app ? { app: String(flags.app) } : {}),
            ...(report ? { report } : {}),
          },
          output,
        );
      });

    cli
      .command('rollback', 'Roll back the last migration, the last N, or down to a named one')
      .option('--steps <n>', 'Roll back the last N applied migrations')
      .option('--to <name>', 'Roll back every migration applied after NAME (NAME stays applied)')
      .option('--dry-run', 'Print the SQL that would run, without running it')
      .option('--fake', 'Forget migrations without running their reverse')
      .option('--json', 'Print one JSON document (docs/json-output.md)')
      .action(async (flags: GlobalOptions & { steps?: string; to?: string; dryRun?: boolean; fake?: boolean }) => {
        if (flags.steps !== undefined) parseSteps(flags.steps);
        const { rollback } = await import('./commands/rollback.js');
        await rollback(
          await open(flags),
          {
            ...(flags.steps !== undefined ? { steps: flags.steps } : {}),
            ...(flags.to !== undefined ? { to: String(flags.to) } : {}),
            dryRun: flags.dryRun === true,
            fake: flags.fake === true,
            ...(flags.app ? { app: String(flags.app) } : {}),
            ...(report ? { report } : {}),
          },
          output,
        );
      });

    cli
      .command('showmigrations', 'List the migrations of each app: [X] applied, [ ] pending')
      .option('--json', 'Print JSON: [{ app, name, applied, appliedAt }] (docs/json-output.md)')
      .action(async (flags: GlobalOptions & { json?: boolean }) => {
        const { showMigrations } = await import('./commands/showmigrations.js');
        // Its --json stays the documented array; only a failure prints the common document.
        await showMigrations(await open(flags), { json: flags.json === true, ...(flags.app ? { app: String(flags.app) } : {}) }, baseOutput);
        if (report) report.printedOwn = true;
      });

    cli
      .command(
        'resolve <migration>',
        'Settle a migration that failed part-way (no transactional DDL), forget an applied one whose file is gone, or accept an intended edit of an applied one',
      )
      .option('--applied', 'It is now fully applied (you finished it by hand): record it as applied')
      .option('--rolled-back', 'It is now fully undone (you reverted it by hand): record it as not applied')
      .option('--forget', 'Its file is gone on purpose: delete its tracking row and nothing else')
      .option('--accept-edit', 'Its file was edited on purpose after it was applied: record the new checksum (the schema is not touched)')
      .action(async (migration: string, flags: GlobalOptions & { applied?: boolean; rolledBack?: boolean; forget?: boolean; acceptEdit?: boolean }) => {
        const { resolve } = await import('./commands/resolve.js');
        await resolve(
          await open(flags),
          String(migration),
          {
            applied: flags.applied === true,
            rolledBack: flags.rolledBack === true,
            forget: flags.forget === true,
            acceptEdit: flags.acceptEdit === true,
            ...(flags.app ? { app: String(flags.app) } : {}),
          },
          output,
        );
      });

    cli
      .command('inspectdb', 'Write model files from the live database, one per table (then makemigrations and migrate --fake-initial)')
      .option('--out <dir>', "Folder to write the models to (default: the app's models folder, else models)")
      .option('--force', 'Overwrite model files that exist')
      .option('--dry-run', 'Print the files that would be written, without writing them')
      .action(async (flags: GlobalOptions & { out?: string; force?: boolean; dryRun?: boolean }) => {
        const { inspectDb } = await import('./commands/inspectdb.js');
        await inspectDb(
          await open(flags),
          {
            ...(flags.out !== undefined ? { out: String(flags.out) } : {}),
            force: flags.force === true,
            dryRun: flags.dryRun === true,
            ...(flags.app ? { app: String(flags.app) } : {}),
          },
          output,
        );
      });

    cli
      .command('sqlmigrate <migration>', "Print a migration's SQL for the configured database (no connection needed)")
      .option('--backwards', 'The SQL that rolls it back')
      .option('--json', 'Print one JSON document (docs/json-output.md)')
      .action(async (migration: string, flags: GlobalOptions & { backwards?: boolean }) => {
        const { sqlMigrate } = await import('./commands/sqlmigrate.js');
        // Compiled from the migrations alone: no database settings needed.
        await sqlMigrate(
          await open(flags, true),
          String(migration),
          { backwards: flags.backwards === true, ...(flags.app ? { app: String(flags.app) } : {}), ...(report ? { report } : {}) },
          output,
        );
      });

    cli
      .command('squashmigrations <from> <to>', 'Write one migration that replaces the migrations of an app from FROM to TO (both included)')
      .option('--name <label>', 'Label of the squashed migration (default: squashed_<TO timestamp>)')
      .option('--dry-run', 'Print what would be written, without writing it')
      .option('--no-optimize', 'Keep every operation as it is (no merging)')
      .option('--json', 'Print one JSON document (docs/json-output.md)')
      .action(async (from: string, to: string, flags: GlobalOptions & { name?: string; dryRun?: boolean; optimize?: boolean }) => {
        const { squashMigrations } = await import('./commands/squashmigrations.js');
        await squashMigrations(
          await open(flags),
          String(from),
          String(to),
          {
            ...(flags.name !== undefined ? { name: String(flags.name) } : {}),
            dryRun: flags.dryRun === true,
            noOptimize: flags.optimize === false,
            ...(flags.app ? { app: String(flags.app) } : {}),
            ...(report ? { report } : {}),
          },
          output,
        );
      });

    cli
      .command('reset', 'Development databases: roll back every migration and apply them all again (needs --yes; refused on CI and in production)')
      .option('--yes', 'Confirm: the data in the tables the migrations created is lost')
      .option('--json', 'Print one JSON document (docs/json-output.md)')
      .action(async (flags: GlobalOptions & { yes?: boolean }) => {
        const { reset, refuseReset } = await import('./commands/reset.js');
        const env = options.env ?? process.env;
        // Refused before the project is opened: nothing is read or connected to.
        refuseReset({ yes: flags.yes === true, env, ...(flags.app ? { app: String(flags.app) } : {}) });
        await reset(await open(flags), { yes: true, env, ...(flags.app ? { app: String(flags.app) } : {}), ...(report ? { report } : {}) }, output);
      });

    if (commandName !== undefined && !BUILTIN_COMMANDS.has(commandName)) {
      // Not a built-in: it may be a plugin's command, so load the project to see them.
      const opened = await open(globalOptions(argv));
      for (const command of opened.covet.commands.list()) registerPluginCommand(cli, command, output);
      if (!opened.covet.commands.list().some((command) => command.name.split(' ')[0] === commandName)) {
        throw new CovetError('COMMAND_UNKNOWN', `Unknown command "${commandName}"`, { hint: 'Run covet --help to list the commands.' });
      }
    }

    if (commandName === undefined && !argv.includes('--version') && !argv.includes('-v')) {
      // The command list (`covet`, `covet --help`) includes the plugins' commands when the
      // project loads; without a project, the built-in ones.
      try {
        const opened = await open(globalOptions(argv), true);
        for (const command of opened.covet.commands.list()) registerPluginCommand(cli, command, output);
      } catch (error) {
        if (!isCovetError(error) || error.code !== 'CONFIG_MISSING') {
          output.error(`${output.colors.yellow('note:')} plugin commands are not listed: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`);
        }
      }
    }

    cli.help();
    cli.version(VERSION);
    // cac prints help and the version with console.info: send them where runCli writes.
    const parsed = withConsoleInfo(output, () => {
      cli.parse(['node', 'covet', ...argv], { run: false });
      if (!cli.matchedCommand && !cli.options.help && !cli.options.version) {
        cli.outputHelp();
        return false;
      }
      return true;
    });
    if (!parsed) return commandName === undefined ? 0 : 1;
    await cli.runMatchedCommand();
    if (report && !report.printedOwn) baseOutput.line(report.render());
    return 0;
  } catch (error) {
    if (report) {
      baseOutput.line(report.render(error));
      // --verbose also prints the usual error lines and the stack, on stderr.
      const code = baseOutput.verbose ? reportError(baseOutput, error) : 1;
      return isCovetError(error) ? error.exitCode : code;
    }
    return reportError(output, error);
  } finally {
    await project?.close().catch(() => undefined);
  }
}

/** The global options in raw arguments, before cac parses them. */
function globalOptions(argv: readonly string[]): GlobalOptions {
  const global: GlobalOptions = {};
  for (const [flag, key] of [['--config', 'config'], ['--database-url', 'databaseUrl'], ['--migrations-dir', 'migrationsDir'], ['--app', 'app']] as const) {
    const value = rawOption(argv, flag);
    if (value !== undefined) global[key] = value;
  }
  return global;
}

/**
 * Reports a promise that failed with nobody waiting for it (`process.on('unhandledRejection')`
 * in the binary): one `error:` line like any other failure, and the command fails.
 */
export function reportUnhandled(reason: unknown): void {
  const output = createOutput({ verbose: process.argv.includes('--verbose') });
  const code = reportError(output, isCovetError(reason) ? reason : new CovetError('UNHANDLED_REJECTION', `A promise nobody waited for failed: ${reason instanceof Error ? reason.message : String(reason)}`, {
    hint: 'Custom migration code must await every query() and execute() it starts.',
    cause: reason,
  }));
  process.exitCode = code === 0 ? 1 : code;
}

function withConsoleInfo<T>(output: Output, fn: () => T): T {
  const original = console.info;
  console.info = (...parts: unknown[]) => output.line(parts.map(String).join(' '));
  try {
    return fn();
  } finally {
    console.info = original;
  }
}

function registerPluginCommand(cli: ReturnType<typeof cac>, command: CommandDefinition, output: Output): void {
  const registered = cli.command(command.name, command.description);
  for (const option of command.options ?? []) {
    registered.option(option.flags, option.description, option.default === undefined ? undefined : { default: option.default });
  }
  registered.action(async (...args: unknown[]) => {
    const flags = args.pop() as Record<string, unknown>;
    await command.action(args.map(String), flags, { print: (line) => output.line(line) });
  });
}

/** An operation as `--json` lists it: its kind, the line `makemigrations` prints, and whether it may lose data. */
function describeOperation(project: Project, operation: Operation): { kind: string; description: string; destructive: boolean } {
  const definition = project.covet.operations.get(operation.kind);
  const destructive = typeof definition.destructive === 'function' ? definition.destructive(operation.args) : definition.destructive === true;
  return { kind: operation.kind, description: definition.describe(operation.args), destructive };
}
