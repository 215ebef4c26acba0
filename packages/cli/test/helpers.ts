// Shared setup of the CLI integration tests: a throw-away project folder per test (below
// test/.tmp so `@covet/core` and `@covet/dialect-sqlite` resolve from packages/cli/node_modules),
// the CLI run in-process (`runCli`) or as the real binary (`bin/covet.cjs`), and direct looks
// at the SQLite file with better-sqlite3.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PlanCache } from '@covet/core';
import { expect } from 'vitest';
import { runCli } from '../src/cli.js';

/** packages/cli */
export const CLI_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Scratch folder of the tests (git-ignored). */
export const TMP_ROOT = join(CLI_ROOT, 'test', '.tmp');
/** The real `covet` binary, as package managers link it (build first: `pnpm --filter @covet/cli build`). */
export const BIN = join(CLI_ROOT, 'bin', 'covet.cjs');

// ---------------------------------------------------------------------------------------------
// better-sqlite3, typed just enough (the CLI package has no @types/better-sqlite3).

export interface SqliteStatement {
  all(...params: unknown[]): Record<string, unknown>[];
  get(...params: unknown[]): Record<string, unknown> | undefined;
  run(...params: unknown[]): unknown;
}
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  close(): void;
  readonly inTransaction: boolean;
}
type SqliteConstructor = new (file: string, options?: Record<string, unknown>) => SqliteDatabase;
export const Database = createRequire(import.meta.url)('better-sqlite3') as SqliteConstructor;

// ---------------------------------------------------------------------------------------------

/** What one run of the command line did. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr together. */
  readonly output: string;
  readonly durationMs: number;
}

/** One row of `sqlite_master`. */
export interface SchemaEntry {
  readonly type: string;
  readonly name: string;
  readonly tbl_name: string;
  readonly sql: string | null;
}

/** Everything a failed command must leave as it was. */
export interface Snapshot {
  readonly schema: SchemaEntry[];
  readonly tracking: Record<string, unknown>[];
}

export const MIGRATION_FILE_NAME = /^\d{14}_[a-z0-9_]+\.ts$/;

/** The default config of a test project, as a `covet.config.ts` source. */
export function configSource(extra = '', imports = ''): string {
  return [
    "import { defineConfig } from '@covet/core';",
    imports,
    'export default defineConfig({',
    "  database: { engine: 'sqlite', name: './app.db' },",
    "  models: './models',",
    "  migrations: './migrations',",
    extra,
    '});',
    '',
  ]
    .filter((line) => line !== '')
    .join('\n');
}

/**
 * The source of a plugin object written inline: `{ name, apply(covet) { <apply> } }`, where
 * `apply` is the body's source (it sees `covet`).
 */
export function inlinePlugin(name: string, apply: string): string {
  return `{\n  name: ${JSON.stringify(name)},\n  apply(covet) {${apply.startsWith('\n') ? '' : '\n'}${apply}\n  },\n}`;
}

/**
 * A `covet.config.ts` ({@link configSource}) that lists one plugin written in the file:
 * `const <variable> = definePlugin(<inlinePlugin(name, apply)>)`, after `preamble` (the imports
 * and constants the body uses).
 */
export function pluginConfig(variable: string, name: string, apply: string, preamble = ''): string {
  return configSource(`  plugins: [${variable}],`, `${preamble}import { definePlugin } from '@covet/core';\nconst ${variable} = definePlugin(${inlinePlugin(name, apply)});`);
}

/** A hand-written migration file. `operations` are `op.*` expressions as source text. */
export function migrationSource(operations: readonly string[], dependencies: readonly string[] = [], extra = ''): string {
  return [
    "import { defineMigration, op, t } from '@covet/core';",
    '',
    'export default defineMigration({',
    `  dependencies: ${JSON.stringify(dependencies)},`,
    '  operations: [',
    ...operations.map((operation) => `    ${operation},`),
    '  ],',
    extra,
    '});',
    '',
  ].join('\n');
}

/** A model file source (imports `defineTable`, `t` and `sql`). */
export function modelSource(body: string): string {
  return `import { defineTable, sql, t } from '@covet/core';\n\n${body.trim()}\n`;
}

const created: string[] = [];

/** An environment without the database variables of the machine running the tests. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'DATABASE_URL' || key.startsWith('DB_') || key === 'FORCE_COLOR' || key === 'NO_COLOR') continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

export interface ProjectOptions {
  /** `covet.config.ts` source (default: {@link configSource}), or an object written as `covet.config.json`. */
  readonly config?: string | Record<string, unknown> | null;
  /** Files to write, relative to the project folder. */
  readonly files?: Readonly<Record<string, string>>;
}

/** A throw-away Covet project on a SQLite file. */
export class TestProject {
  readonly dir: string;
  readonly dbPath: string;

  private constructor(dir: string) {
    this.dir = dir;
    this.dbPath = join(dir, 'app.db');
  }

  static create(label: string, options: ProjectOptions = {}): TestProject {
    mkdirSync(TMP_ROOT, { recursive: true });
    const dir = mkdtempSync(join(TMP_ROOT, `${label.replace(/[^a-z0-9]+/gi, '-')}-`));
    created.push(dir);
    const project = new TestProject(dir);
    if (options.config === undefined) project.write('covet.config.ts', configSource());
    else if (typeof options.config === 'string') project.write('covet.config.ts', options.config);
    else if (options.config !== null) project.write('covet.config.json', JSON.stringify(options.config, null, 2));
    for (const [path, content] of Object.entries(options.files ?? {})) project.write(path, content);
    return project;
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  write(relative: string, content: string | Buffer): void {
    const file = this.path(relative);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }

  read(relative: string): string {
    return readFileSync(this.path(relative), 'utf8');
  }

  remove(relative: string): void {
    rmSync(this.path(relative), { force: true, recursive: true });
  }

  /** Runs `covet ...argv` in-process with this folder as the working directory. */
  run(...argv: string[]): Promise<RunResult> {
    return this.runWith({}, ...argv);
  }

  /** {@link run}, expecting exit 0 (the command and its output in the failure). */
  async ok(...argv: string[]): Promise<RunResult> {
    const run = await this.run(...argv);
    expect(run.code, `${argv.join(' ')}: ${run.output}`).toBe(0);
    return run;
  }

  /** Neither the models nor the database show a change: `makemigrations` from both finds nothing. */
  async expectUnchanged(): Promise<void> {
    for (const argv of [['makemigrations', '--dry-run'], ['makemigrations', '--from', 'database', '--dry-run']]) {
      expect((await this.ok(...argv)).stdout, argv.join(' ')).toContain('No changes detected');
    }
  }

  /** {@link run} with extra environment variables, or from a subfolder (`cwd`, relative to the project). */
  async runWith(options: { env?: Record<string, string>; cwd?: string }, ...argv: string[]): Promise<RunResult> {
    let stdout = '';
    let stderr = '';
    let output = '';
    const started = performance.now();
    const code = await runCli(argv, {
      cwd: options.cwd === undefined ? this.dir : this.path(options.cwd),
      env: cleanEnv(options.env),
      stdout: (text) => {
        stdout += text;
        output += text;
      },
      stderr: (text) => {
        stderr += text;
        output += text;
      },
    });
    return { code, stdout, stderr, output, durationMs: performance.now() - started };
  }

  /**
   * Runs the real binary (`node bin/covet.cjs ...argv`) with piped output; `onOutput` sees
   * stdout and stderr so far after each chunk (to act when the process reaches a point).
   */
  spawn(argv: readonly string[], options: { env?: Record<string, string>; onOutput?: (output: string) => void } = {}): Promise<RunResult> {
    return spawnBin(argv, this.dir, options.env, options.onOutput);
  }

  /** Names of the migration files (sorted) of the default app, or of `app` below `migrations/`. */
  migrationFiles(app?: string): string[] {
    const directory = app === undefined ? this.path('migrations') : this.path('migrations', app);
    if (!existsSync(directory)) return [];
    return readdirSync(directory).filter((name) => !name.startsWith('.')).sort();
  }

  /** Migration names (file names without `.ts`). */
  migrationNames(app?: string): string[] {
    return this.migrationFiles(app).map((file) => file.replace(/\.[cm]?[jt]s$/, ''));
  }

  /** Opens the database (read-write); the caller closes it. */
  open(): SqliteDatabase {
    return new Database(this.dbPath);
  }

  /** Runs `fn` on a read-only connection, or returns `fallback` when the file does not exist. */
  private look<T>(fn: (db: SqliteDatabase) => T, fallback: T): T {
    if (!existsSync(this.dbPath)) return fallback;
    const db = new Database(this.dbPath, { readonly: true, fileMustExist: true });
    try {
      return fn(db);
    } finally {
      db.close();
    }
  }

  /** `sqlite_master` (type, name, tbl_name, sql), sorted. */
  schema(): SchemaEntry[] {
    return this.look(
      (db) => db.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name').all() as unknown as SchemaEntry[],
      [],
    );
  }

  /** Table names (without SQLite's own `sqlite_*`). */
  tables(): string[] {
    // Covet's table of shape versions is left out (tracking-versions.test.ts looks at it).
    return this.schema()
      .filter((entry) => entry.type === 'table' && !entry.name.startsWith('sqlite_') && entry.name !== 'covet_table_versions')
      .map((entry) => entry.name);
  }

  /** Index names (without SQLite's automatic ones). */
  indexes(table?: string): string[] {
    return this.schema()
      .filter((entry) => entry.type === 'index' && entry.sql !== null && (table === undefined || entry.tbl_name === table))
      .map((entry) => entry.name);
  }

  /** `PRAGMA table_info` of a table. */
  columns(table: string): { name: string; type: string; notnull: number; pk: number; dflt_value: unknown }[] {
    return this.look(
      (db) => db.prepare(`PRAGMA table_info("${table.replace(/"/g, '""')}")`).all() as never,
      [],
    );
  }

  /** The rows of `covet_migrations`, in id order; empty when the table does not exist. */
  tracking(): Record<string, unknown>[] {
    return this.look((db) => {
      const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'covet_migrations'").get();
      return exists ? db.prepare('SELECT * FROM covet_migrations ORDER BY id').all() : [];
    }, []);
  }

  /** Names recorded in `covet_migrations` (`app:name`), in id order. */
  applied(): string[] {
    return this.tracking().map((row) => `${String(row.app)}:${String(row.name)}`);
  }

  /** Rows of any table. */
  rows(sql: string): Record<string, unknown>[] {
    return this.look((db) => db.prepare(sql).all(), []);
  }

  snapshot(): Snapshot {
    return { schema: this.schema(), tracking: this.tracking() };
  }
}

/** Runs `node bin/covet.cjs ...argv` in `cwd`, output piped; resolves when the process exits. */
export function spawnBin(argv: readonly string[], cwd: string, env: Record<string, string> = {}, onOutput?: (output: string) => void): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, ...argv], { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      output += chunk;
      onOutput?.(output);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      output += chunk;
      onOutput?.(output);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolvePromise({ code: code ?? (signal ? 128 : 1), stdout, stderr, output, durationMs: performance.now() - started });
    });
  });
}

/** The lines of a text, without the empty last one. */
export function lines(text: string): string[] {
  return text.split('\n').filter((line, index, all) => !(line === '' && index === all.length - 1));
}

/** The `error:` lines of a stderr. */
export function errorLines(stderr: string): string[] {
  return lines(stderr).filter((line) => line.startsWith('error:'));
}

/** Asserts-friendly view of a failure: exactly one `error:` line, no stack. */
export function failureShape(result: RunResult): { errorLines: number; stackLines: number } {
  return {
    errorLines: errorLines(result.stderr).length,
    stackLines: lines(result.output).filter((line) => /^\s+at\s/.test(line)).length,
  };
}

/** Every file below `root` (relative paths), skipping node_modules. */
export function listFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (directory: string, prefix: string) => {
    if (!existsSync(directory)) return;
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      if (entry.name === 'node_modules') continue;
      const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(join(directory, entry.name), relative);
      else found.push(relative);
    }
  };
  walk(root, '');
  return found.sort();
}

/** The loader's cache folder of the test projects (see MigrationCache.forDirectory). */
const CACHE_ROOT = join(CLI_ROOT, 'node_modules', '.cache', 'covet');

/**
 * The migration-cache files that hold entries for the migration files below `dir`. Found by
 * content (entries are keyed by the SHA-256 of the normalised source) rather than by
 * recomputing the cache file's name, which is the loader's business.
 */
export function loaderCacheFiles(dir: string): string[] {
  const hashes = new Set(
    listFiles(join(dir, 'migrations')).map((file) =>
      createHash('sha256')
        .update(readFileSync(join(dir, 'migrations', file), 'utf8').replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n'))
        .digest('hex'),
    ),
  );
  if (hashes.size === 0 || !existsSync(CACHE_ROOT)) return [];
  return readdirSync(CACHE_ROOT)
    .filter((name) => name.endsWith('.json'))
    .map((name) => join(CACHE_ROOT, name))
    .filter((file) => {
      try {
        const entries = (JSON.parse(readFileSync(file, 'utf8')) as { entries?: Record<string, unknown> }).entries ?? {};
        return Object.keys(entries).some((hash) => hashes.has(hash));
      } catch {
        return false;
      }
    });
}

/** Removes the project folders made by this test file (and the loader and plan cache files of their migrations). */
export function removeProjects(): void {
  if (process.env.COVET_KEEP_TMP) return;
  for (const dir of created.splice(0)) {
    for (const file of loaderCacheFiles(dir)) rmSync(file, { force: true });
    rmSync(PlanCache.forProject(dir, 'sqlite').file, { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}
