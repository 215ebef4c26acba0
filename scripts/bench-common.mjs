// What the three bench scripts share: options, the generated workload, whole-process timing,
// medians and the report lines. Each script adds its own baseline (better-sqlite3, psql,
// the mariadb client) and figures.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The `covet` binary (as package managers link it) every bench runs as a whole process. */
export const BIN = join(ROOT, 'packages', 'cli', 'bin', 'covet.cjs');

/**
 * The environment of every process a bench starts. `--clean-env` leaves out
 * NODE_EXTRA_CA_CERTS: Node reads and parses that file at every start, before any script runs
 * (a whole system bundle of ~150 certificates costs a bare `node -e 0` some 50 ms of CPU),
 * which a deploy container seldom sets; it weighs on every Node process alike, so it narrows
 * the ratios to a bare node process and widens those to psql.
 */
export const CHILD_ENV = (() => {
  const env = { ...process.env };
  if (process.argv.includes('--clean-env')) delete env.NODE_EXTRA_CA_CERTS;
  return env;
})();

/**
 * Prints what starting Node costs here (`node -e 0`, median of `runs`) with the children's
 * environment, and with and without NODE_EXTRA_CA_CERTS when it is set: the floor under every
 * figure of a Node process.
 */
export function printNodeStart(runs = 5) {
  const startup = (env) => median(Array.from({ length: runs }, () => timeProcess(process.execPath, ['-e', '0'], { env }).elapsed));
  const env = { ...CHILD_ENV };
  delete env.NODE_EXTRA_CA_CERTS;
  if (process.env.NODE_EXTRA_CA_CERTS === undefined) {
    console.log(`  node -e 0 (Node's start-up, under every Node figure) ${ms(startup(CHILD_ENV))}`);
  } else {
    const kept = CHILD_ENV.NODE_EXTRA_CA_CERTS !== undefined;
    console.log(
      `  node -e 0 ${ms(startup({ ...env, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS }))} with NODE_EXTRA_CA_CERTS, ${ms(startup(env))} without; the processes below run ${kept ? 'with it' : 'without it (--clean-env)'}`,
    );
  }
}

/** `--migrations N` (default 500) and `--runs N`. */
export function benchOptions(defaultRuns) {
  const args = process.argv.slice(2);
  const option = (name, fallback) => {
    const at = args.indexOf(`--${name}`);
    return at === -1 ? fallback : Number(args[at + 1]);
  };
  return { migrations: option('migrations', 500), runs: option('runs', defaultRuns) };
}

/**
 * A scratch project in `<packageDir>/.bench` (inside a package, so `@covet/*` resolve as they
 * would for an installed project) with a `covet.config.json` for `database`, and the packages
 * the bench needs, imported as that project would import them.
 */
export async function benchProject(packageDir, database) {
  const work = join(packageDir, '.bench');
  const require = createRequire(join(packageDir, 'package.json'));
  const importPackage = (name) => import(pathToFileURL(require.resolve(name)).href);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'migrations'), { recursive: true });
  writeFileSync(join(work, 'covet.config.json'), JSON.stringify({ database, migrations: './migrations', app: 'bench' }, null, 2));
  return {
    work,
    require,
    importPackage,
    core: await importPackage('@covet/core'),
    writer: await importPackage('@covet/writer-ts'),
  };
}

/**
 * Writes `count` migrations with the real writer (each: one table with 8 columns, an index
 * and a foreign key to the previous table) and returns the SQL the dialect compiles for them.
 */
export async function generateWorkload({ core, writer, dialectPlugin, engine, work, count }) {
  const { op, t, sql } = core;
  // A module namespace, possibly of a CommonJS build (default of default): unwrap to the plugin.
  let plugin = dialectPlugin;
  while (plugin && typeof plugin.apply !== 'function' && 'default' in plugin) plugin = plugin.default;
  const covet = core.createCovet({ plugins: [plugin] });
  const dialect = covet.dialects.get(engine);
  let state = core.EMPTY_STATE;
  const statements = [];
  let previous;
  for (let i = 1; i <= count; i++) {
    const table = `table_${String(i).padStart(4, '0')}`;
    const parent = i > 1 ? `table_${String(i - 1).padStart(4, '0')}` : undefined;
    const columns = {
      id: t.serial().primaryKey(),
      name: t.varchar(100).notNull(),
      email: t.varchar(255),
      score: t.integer().notNull().default(0),
      active: t.boolean().notNull().default(true),
      notes: t.text(),
      created_at: t.timestamp().notNull().default(sql`CURRENT_TIMESTAMP`),
      parent_id: parent ? t.integer().references(parent, 'id', { onDelete: 'cascade' }) : t.integer(),
    };
    const operations = [op.createTable(table, columns), op.createIndex(table, { name: `${table}_name_idx`, columns: ['name'] })];
    for (const operation of operations) {
      const after = covet.operations.get(operation.kind).applyToState(state, operation.args);
      const compiled = await dialect.compileOperation(operation, { dialect, stateBefore: state, stateAfter: after });
      statements.push(...compiled.map((statement) => statement.sql));
      state = after;
    }
    const name = `${String(20260101000000 + i)}_create_${table}`;
    writeFileSync(
      join(work, 'migrations', `${name}.ts`),
      writer.renderMigration({ operations, dependencies: previous ? [previous] : [], registry: covet.operations }),
    );
    previous = name;
  }
  return { statements, dialect };
}

/** Runs a whole process (after `prepare`) and returns its wall time; a failure stops the bench. */
export function timeProcess(command, args, { cwd, env, input, prepare } = {}) {
  prepare?.();
  const started = performance.now();
  const result = spawnSync(command, args, { cwd, env: env ?? CHILD_ENV, input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const elapsed = performance.now() - started;
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return { elapsed, stdout: result.stdout };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export const ms = (value) => `${value.toFixed(0).padStart(6)} ms`;

/**
 * Prints `label  time  ratio x baseline (target <= n x) ok|OVER TARGET` (a row without a
 * target is printed for information). Both figures of a row
 * are measured in turn within each run, so the ratio is taken run by run (pairs) and its
 * median reported, with the range: this holds when the machine's speed drifts during the
 * bench. The ratio of the two medians follows for comparison.
 */
export function printRatios(rows, samples) {
  for (const [label, key, baseline, target] of rows) {
    const pairs = samples[key].map((value, run) => value / samples[baseline][run]);
    const ratio = median(pairs);
    const verdict = target === undefined ? '(for information)' : `(target <= ${target}x) ${ratio <= target ? 'ok' : 'OVER TARGET'}`;
    const range = `${Math.min(...pairs).toFixed(2)}-${Math.max(...pairs).toFixed(2)}`;
    const ofMedians = (median(samples[key]) / median(samples[baseline])).toFixed(2);
    console.log(
      `  ${label.padEnd(22)} ${ms(median(samples[key]))}  ${ratio.toFixed(2)}x ${baseline} (runs ${range}; medians ${ofMedians}x) ${verdict}`,
    );
  }
}
