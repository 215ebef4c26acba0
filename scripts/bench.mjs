// Covet benchmark (SQLite): whole processes, medians of several runs, reported as ratios to
// raw SQL measured in the same run (the machine is shared and noisy).
//
//   pnpm bench                 # build, then run with the defaults
//   node scripts/bench.mjs --migrations 500 --runs 7
//
// Workloads (N generated migrations, each one table with 8 columns, an index and a foreign
// key to the previous table):
//   apply      `covet migrate` on a fresh database, next to one better-sqlite3 exec of the
//              same SQL in one transaction (target <= 1.5x); with a cold and a warm cache
//   no-op      `covet migrate` with everything applied, next to a bare node process that
//              opens the database and reads the tracking table (target <= 2x)
//   status     `covet showmigrations` with everything applied, same baseline (target <= 2x)
//   in-process the apply again inside one Node process: Covet's runner next to the raw exec
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const N = option('migrations', 500);
const RUNS = option('runs', 7);

// The project lives inside packages/cli so it resolves @covet/* like an installed project.
const cliDir = join(root, 'packages', 'cli');
const work = join(cliDir, '.bench');
const require = createRequire(join(cliDir, 'package.json'));
const importPackage = (name) => import(pathToFileURL(require.resolve(name)).href);
const core = await importPackage('@covet/core');
const writer = await importPackage('@covet/writer-ts');
const sqlitePackage = await importPackage('@covet/dialect-sqlite');
const { op, t, sql } = core;
const bin = join(cliDir, 'dist', 'bin.js');
const database = join(work, 'bench.db');

rmSync(work, { recursive: true, force: true });
mkdirSync(join(work, 'migrations'), { recursive: true });
writeFileSync(
  join(work, 'covet.config.json'),
  JSON.stringify({ database: { engine: 'sqlite', name: './bench.db' }, migrations: './migrations', app: 'bench' }, null, 2),
);

// Generate the migrations with the real writer, and the raw SQL with the real compiler.
const sqlitePlugin = sqlitePackage.default?.apply ? sqlitePackage.default : sqlitePackage.default.default;
const covet = core.createCovet({ plugins: [sqlitePlugin] });
const dialect = covet.dialects.get('sqlite');
let state = core.EMPTY_STATE;
const rawStatements = [];
let previous;
for (let i = 1; i <= N; i++) {
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
    const definition = covet.operations.get(operation.kind);
    const after = definition.applyToState(state, operation.args);
    const statements = await dialect.compileOperation(operation, { dialect, stateBefore: state, stateAfter: after });
    rawStatements.push(...statements.map((statement) => statement.sql));
    state = after;
  }
  const name = `${String(20260101000000 + i)}_create_${table}`;
  writeFileSync(
    join(work, 'migrations', `${name}.ts`),
    writer.renderMigration({ operations, dependencies: previous ? [previous] : [], registry: covet.operations }),
  );
  previous = name;
}
const rawSql = join(work, 'raw.sql');
writeFileSync(rawSql, `${rawStatements.join(';\n')};\n`);
const betterSqlite = require.resolve('better-sqlite3');
writeFileSync(
  join(work, 'raw.cjs'),
  `const Database = require(${JSON.stringify(betterSqlite)});
const sql = require('node:fs').readFileSync(${JSON.stringify(rawSql)}, 'utf8');
const db = new Database(${JSON.stringify(database)});
db.exec('BEGIN;' + sql + 'COMMIT;');
db.close();
`,
);
writeFileSync(
  join(work, 'bare.cjs'),
  `const Database = require(${JSON.stringify(betterSqlite)});
const db = new Database(${JSON.stringify(database)});
const rows = db.prepare('SELECT id, app, name, applied_at, checksum FROM covet_migrations ORDER BY id').all();
process.stdout.write(rows.length + '\\n');
db.close();
`,
);

const cacheDir = join(cliDir, 'node_modules', '.cache', 'covet');
const freshDatabase = () => {
  for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(database + suffix, { force: true });
};
function time(command, commandArgs, prepare) {
  prepare?.();
  const started = performance.now();
  const result = spawnSync(command, commandArgs, { cwd: work, encoding: 'utf8' });
  const elapsed = performance.now() - started;
  if (result.status !== 0) {
    throw new Error(`${command} ${commandArgs.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return { elapsed, stdout: result.stdout };
}
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

const samples = { raw: [], cold: [], warm: [], bare: [], noop: [], status: [] };
for (let run = 0; run < RUNS; run++) {
  samples.raw.push(time(process.execPath, [join(work, 'raw.cjs')], freshDatabase).elapsed);
  samples.cold.push(
    time(process.execPath, [bin, 'migrate'], () => {
      freshDatabase();
      rmSync(cacheDir, { recursive: true, force: true });
    }).elapsed,
  );
  samples.warm.push(time(process.execPath, [bin, 'migrate'], freshDatabase).elapsed);
  // Everything is applied now.
  const bare = time(process.execPath, [join(work, 'bare.cjs')]);
  if (bare.stdout.trim() !== String(N)) throw new Error(`expected ${N} applied migrations, found ${bare.stdout.trim()}`);
  samples.bare.push(bare.elapsed);
  const noop = time(process.execPath, [bin, 'migrate']);
  if (!noop.stdout.includes('No migrations to apply')) throw new Error(`no-op migrate did something:\n${noop.stdout}`);
  samples.noop.push(noop.elapsed);
  samples.status.push(time(process.execPath, [bin, 'showmigrations']).elapsed);
}

// The same apply measured inside one process, without process start-up on either side:
// Covet's runner (cached migrations loaded, planned, validated, applied with tracking rows)
// next to better-sqlite3 executing the compiled SQL in one transaction.
const cli = await importPackage('@covet/cli');
const Database = require('better-sqlite3');
const sqlText = `BEGIN;${rawStatements.join(';\n')};COMMIT;`;
samples.inRaw = [];
samples.inCovet = [];
for (let run = 0; run < RUNS; run++) {
  freshDatabase();
  let started = performance.now();
  const db = new Database(database);
  db.exec(sqlText);
  db.close();
  samples.inRaw.push(performance.now() - started);
  freshDatabase();
  started = performance.now();
  const project = await cli.openProject({ cwd: work, env: {} });
  const { MigrationRunner } = core;
  const runner = new MigrationRunner({
    covet: project.covet,
    dialect: project.dialect,
    connection: await project.connect(),
    migrations: await project.migrations(),
  });
  const summary = await runner.migrate();
  await project.close();
  samples.inCovet.push(performance.now() - started);
  if (summary.migrations.length !== N) throw new Error(`in-process run applied ${summary.migrations.length} migrations`);
}

const ms = (value) => `${value.toFixed(0).padStart(6)} ms`;
const rows = [
  ['apply, cold cache', 'cold', 'raw', 1.5],
  ['apply, warm cache', 'warm', 'raw', 1.5],
  ['no-op migrate', 'noop', 'bare', 2],
  ['showmigrations', 'status', 'bare', 2],
];
console.log(`Covet bench, SQLite, ${N} migrations, median of ${RUNS} runs (whole processes)`);
console.log(`  raw: one better-sqlite3 exec in one transaction ${ms(median(samples.raw))}`);
console.log(`  bare: node opening the database and reading covet_migrations ${ms(median(samples.bare))}`);
rows.push(['apply, in-process', 'inCovet', 'inRaw', 1.5]);
console.log(`  raw in-process: better-sqlite3 exec of the same SQL ${ms(median(samples.inRaw))}`);
for (const [label, key, baseline, target] of rows) {
  const ratio = median(samples[key]) / median(samples[baseline]);
  const verdict = ratio <= target ? 'ok' : 'OVER TARGET';
  console.log(`  ${label.padEnd(20)} ${ms(median(samples[key]))}  ${ratio.toFixed(2)}x ${baseline} (target <= ${target}x) ${verdict}`);
}
