// Covet benchmark (SQLite): whole processes, medians of several runs, reported as ratios to
// raw SQL measured in the same run (the machine is shared and noisy).
//
//   pnpm bench                 # build, then run with the defaults
//   node scripts/bench.mjs --migrations 500 --runs 7
//   node scripts/bench.mjs --clean-env      # children without NODE_EXTRA_CA_CERTS (see bench-common)
//
// Workloads (N generated migrations, each one table with 8 columns, an index and a foreign
// key to the previous table):
//   apply      `covet migrate` on a fresh database, next to one better-sqlite3 exec of the
//              same SQL in one transaction (target <= 1.5x): cold (no caches), warm (the
//              loader's cache and the compiled plans of an earlier run), and with the loader's
//              cache but no compiled plans
//              (cold target <= 2x)
//   no-op      `covet migrate` with everything applied, next to a bare node process that
//              opens the database and reads the tracking table (target <= 1.5x), cold (no
//              caches, as in a fresh container) and warm
//   status     `covet showmigrations` with everything applied, same baseline and target
//   growth     the cold no-op migrate at N next to the same at N/5 (100 for 500; <= 1.2x)
//   in-process the apply again inside one Node process: Covet's runner next to the raw exec
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN as bin, ROOT as root, benchOptions, benchProject, generateWorkload, median, ms, printNodeStart, printRatios, timeProcess } from './bench-common.mjs';

const { migrations: N, runs: RUNS } = benchOptions(9);
// The project lives inside packages/cli so it resolves @covet/* like an installed project.
const cliDir = join(root, 'packages', 'cli');
const { work, require, importPackage, core, writer } = await benchProject(cliDir, { engine: 'sqlite', name: './bench.db' });
const database = join(work, 'bench.db');
const { statements: rawStatements } = await generateWorkload({
  core,
  writer,
  dialectPlugin: await importPackage('@covet/dialect-sqlite'),
  engine: 'sqlite',
  work,
  count: N,
});
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
const time = (command, commandArgs, prepare) => timeProcess(command, commandArgs, { cwd: work, prepare });

// The growth workload: the first N/5 migrations in a project of their own, applied once.
const small = Math.max(1, Math.round(N / 5));
const smallWork = join(cliDir, '.bench-small');
rmSync(smallWork, { recursive: true, force: true });
mkdirSync(join(smallWork, 'migrations'), { recursive: true });
writeFileSync(join(smallWork, 'covet.config.json'), JSON.stringify({ database: { engine: 'sqlite', name: './bench.db' }, migrations: './migrations', app: 'bench' }, null, 2));
for (const file of readdirSync(join(work, 'migrations')).sort().slice(0, small)) cpSync(join(work, 'migrations', file), join(smallWork, 'migrations', file));
timeProcess(process.execPath, [bin, 'migrate'], { cwd: smallWork });
const dropCaches = () => rmSync(cacheDir, { recursive: true, force: true });

const samples = { raw: [], cold: [], warm: [], noplan: [], bare: [], noop: [], status: [], noopCold: [], statusCold: [], noopSmall: [] };
// Where `covet migrate` keeps compiled plans for this project (see PlanCache).
const planCache = core.PlanCache.forProject(work, 'sqlite');
for (let run = 0; run < RUNS; run++) {
  samples.raw.push(time(process.execPath, [join(work, 'raw.cjs')], freshDatabase).elapsed);
  samples.cold.push(
    time(process.execPath, [bin, 'migrate'], () => {
      freshDatabase();
      rmSync(cacheDir, { recursive: true, force: true });
    }).elapsed,
  );
  // The run after a cold one writes V8's code cache (bin/compile-cache.cjs: the first run in a
  // place writes none), so an untimed apply comes first: warm means the caches of earlier runs.
  time(process.execPath, [bin, 'migrate'], freshDatabase);
  samples.warm.push(time(process.execPath, [bin, 'migrate'], freshDatabase).elapsed);
  // The loader cache without compiled plans: every operation replayed, validated, compiled.
  samples.noplan.push(
    time(process.execPath, [bin, 'migrate'], () => {
      freshDatabase();
      rmSync(planCache.file, { force: true });
    }).elapsed,
  );
  // Everything is applied now.
  const bare = time(process.execPath, [join(work, 'bare.cjs')]);
  if (bare.stdout.trim() !== String(N)) throw new Error(`expected ${N} applied migrations, found ${bare.stdout.trim()}`);
  samples.bare.push(bare.elapsed);
  const noop = time(process.execPath, [bin, 'migrate']);
  if (!noop.stdout.includes('No migrations to apply')) throw new Error(`no-op migrate did something:\n${noop.stdout}`);
  samples.noop.push(noop.elapsed);
  samples.status.push(time(process.execPath, [bin, 'showmigrations']).elapsed);
  // Cold: no cache of any kind, as in a freshly built container or CI job.
  samples.noopCold.push(time(process.execPath, [bin, 'migrate'], dropCaches).elapsed);
  samples.statusCold.push(time(process.execPath, [bin, 'showmigrations'], dropCaches).elapsed);
  samples.noopSmall.push(timeProcess(process.execPath, [bin, 'migrate'], { cwd: smallWork, prepare: dropCaches }).elapsed);
}
rmSync(smallWork, { recursive: true, force: true });

// The same apply measured inside one process, without process start-up on either side:
// Covet's runner (cached migrations, compiled plans, applied with tracking rows) next to
// better-sqlite3 executing the compiled SQL in one transaction.
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
    migrations: await project.migrationFiles(),
    planCache,
  });
  const summary = await runner.migrate();
  await project.close();
  samples.inCovet.push(performance.now() - started);
  if (summary.migrations.length !== N) throw new Error(`in-process run applied ${summary.migrations.length} migrations`);
}

// The target is the apply as it runs again and again on fresh databases (the caches of the
// earlier runs in place); the first run with no cache at all, and a run with the loader's
// cache only, are printed for information.
const rows = [
  ['apply, warm cache', 'warm', 'raw', 1.5],
  ['apply, no plan cache', 'noplan', 'raw'],
  ['apply, cold cache', 'cold', 'raw', 2],
  ['no-op migrate, warm', 'noop', 'bare', 1.5],
  ['no-op migrate, cold', 'noopCold', 'bare', 1.5],
  ['showmigrations, warm', 'status', 'bare', 1.5],
  ['showmigrations, cold', 'statusCold', 'bare', 1.5],
  [`no-op growth ${small}->${N}`, 'noopCold', 'noopSmall', 1.2],
];
console.log(`Covet bench, SQLite, ${N} migrations, median of ${RUNS} runs (whole processes)`);
printNodeStart();
console.log(`  raw: one better-sqlite3 exec in one transaction ${ms(median(samples.raw))}`);
console.log(`  bare: node opening the database and reading covet_migrations ${ms(median(samples.bare))}`);
rows.push(['apply, in-process', 'inCovet', 'inRaw']);
console.log(`  raw in-process: better-sqlite3 exec of the same SQL ${ms(median(samples.inRaw))}`);
printRatios(rows, samples);
