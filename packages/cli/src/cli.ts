// Commands are imported when they run: `covet migrate` never loads the writer, for instance.
import { cac } from 'cac';
import { CovetError, type CommandDefinition, type ConfigOverrides } from '@covet/core';
import { createOutput, reportError, type Output } from './output.js';
import { openProject, type Project } from './project.js';
import { VERSION } from './version.js';

const BUILTIN_COMMANDS = new Set(['makemigrations', 'migrate', 'rollback', 'showmigrations', 'resolve']);

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
  const output = createOutput({
    verbose,
    ...(options.env ? { env: options.env } : {}),
    ...(options.stdout ? { stdout: options.stdout } : {}),
    ...(options.stderr ? { stderr: options.stderr } : {}),
  });
  let project: Project | undefined;
  // `databaseOptional`: the command never connects (makemigrations --dry-run or --check).
  const open = async (global: GlobalOptions, databaseOptional = false): Promise<Project> => {
    project ??= await openProject({
      ...(options.cwd ? { cwd: options.cwd } : {}),
      ...(options.env ? { env: options.env } : {}),
      overrides: overridesOf(global),
      databaseOptional,
    });
    output.debug(`database: ${project.describeDatabase()}`);
    return project;
  };
  try {
    const cli = cac('covet');
    cli
      .option('--config <path>', 'Config file (default: covet.config.ts, .js, .mjs or .json in the current folder or the nearest parent, up to the repository root)')
      .option('--database-url <url>', 'Database URL, overriding the config (postgres://, mysql://, sqlite:)')
      .option('--migrations-dir <dir>', 'Migrations folder, overriding the config')
      .option('--app <name>', 'App to work on (default: the config\'s app)')
      .option('--verbose', 'Print debugging details and stacks');

    cli
      .command('makemigrations', 'Compare the models with the migrations and write a new migration file')
      .option('--name <label>', 'Label of the migration name (default: derived from the changes)')
      .option('--empty', 'Write an empty migration to fill in by hand')
      .option('--dry-run', 'Print the detected operations without writing a file')
      .option('--from <source>', 'Compare with "migrations" (default) or the live "database"', { default: 'migrations' })
      .option('--rename <mapping>', 'Confirm a rename instead of a drop and an add: table.old=new (column) or old=new (table); repeatable')
      .option('--check', 'Write nothing; exit 1 if the models have changes without a migration (for CI)')
      .action(async (flags: GlobalOptions & { name?: string; empty?: boolean; dryRun?: boolean; from?: string; rename?: string | string[]; check?: boolean }) => {
        if (flags.from !== 'migrations' && flags.from !== 'database') {
          throw new CovetError('OPTION_INVALID', `--from must be "migrations" or "database", got "${String(flags.from)}"`);
        }
        const { makeMigrations } = await import('./commands/makemigrations.js');
        await makeMigrations(
          await open(flags, flags.dryRun === true || flags.check === true),
          {
            ...(flags.name !== undefined ? { name: String(flags.name) } : {}),
            empty: flags.empty === true,
            dryRun: flags.dryRun === true,
            check: flags.check === true,
            from: flags.from,
            renames: flags.rename === undefined ? [] : (Array.isArray(flags.rename) ? flags.rename : [flags.rename]).map(String),
            ...(flags.app ? { app: String(flags.app) } : {}),
          },
          output,
        );
      });

    cli
      .command('migrate [target]', 'Apply pending migrations (all, or up to TARGET with its dependencies)')
      .option('--fake', 'Record migrations as applied without running them')
      .option('--dry-run', 'Print the SQL that would run, without running it')
      .action(async (target: string | undefined, flags: GlobalOptions & { fake?: boolean; dryRun?: boolean }) => {
        const { migrate } = await import('./commands/migrate.js');
        await migrate(
          await open(flags),
          { ...(target ? { target: String(target) } : {}), fake: flags.fake === true, dryRun: flags.dryRun === true, ...(flags.app ? { app: String(flags.app) } : {}) },
          output,
        );
      });

    cli
      .command('rollback', 'Roll back the last migration, the last N, or down to a named one')
      .option('--steps <n>', 'Roll back the last N applied migrations')
      .option('--to <name>', 'Roll back every migration applied after NAME (NAME stays applied)')
      .option('--dry-run', 'Print the SQL that would run, without running it')
      .option('--fake', 'Forget migrations without running their reverse')
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
          },
          output,
        );
      });

    cli
      .command('showmigrations', 'List the migrations of each app: [X] applied, [ ] pending')
      .option('--json', 'Print JSON: [{ app, name, applied, appliedAt }]')
      .action(async (flags: GlobalOptions & { json?: boolean }) => {
        const { showMigrations } = await import('./commands/showmigrations.js');
        await showMigrations(await open(flags), { json: flags.json === true, ...(flags.app ? { app: String(flags.app) } : {}) }, output);
      });

    cli
      .command('resolve <migration>', 'Settle a migration that failed part-way and could not be undone (no transactional DDL)')
      .option('--applied', 'It is now fully applied (you finished it by hand): record it as applied')
      .option('--rolled-back', 'It is now fully undone (you reverted it by hand): record it as not applied')
      .action(async (migration: string, flags: GlobalOptions & { applied?: boolean; rolledBack?: boolean }) => {
        const { resolve } = await import('./commands/resolve.js');
        await resolve(
          await open(flags),
          String(migration),
          { applied: flags.applied === true, rolledBack: flags.rolledBack === true, ...(flags.app ? { app: String(flags.app) } : {}) },
          output,
        );
      });

    const commandName = argv.find((argument, index) => !argument.startsWith('-') && (index === 0 || !['--config', '--database-url', '--migrations-dir', '--app'].includes(argv[index - 1]!)));
    if (commandName !== undefined && !BUILTIN_COMMANDS.has(commandName)) {
      // Not a built-in: it may be a plugin's command, so load the project to see them.
      const global: GlobalOptions = {};
      for (const [flag, key] of [['--config', 'config'], ['--database-url', 'databaseUrl'], ['--migrations-dir', 'migrationsDir'], ['--app', 'app']] as const) {
        const value = rawOption(argv, flag);
        if (value !== undefined) global[key] = value;
      }
      const opened = await open(global);
      for (const command of opened.covet.commands.list()) registerPluginCommand(cli, command, output);
      if (!opened.covet.commands.list().some((command) => command.name.split(' ')[0] === commandName)) {
        throw new CovetError('COMMAND_UNKNOWN', `Unknown command "${commandName}"`, { hint: 'Run covet --help to list the commands.' });
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
    return 0;
  } catch (error) {
    return reportError(output, error);
  } finally {
    await project?.close().catch(() => undefined);
  }
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
