// Covet benchmark (PostgreSQL): whole processes, medians of several runs, reported as ratios
// to raw tools measured in the same run (the machine is shared and noisy).
//
//   pnpm --filter @covet/dialect-postgres build && node scripts/bench-postgres.mjs
//   node scripts/bench-postgres.mjs --migrations 500 --runs 5
//   COVET_BENCH_PG_URL=postgres://user@host:5432/postgres node scripts/bench-postgres.mjs
//
// Workloads (N generated migrations, each one table with 8 columns, an index and a foreign
// key to the previous table, written by @covet/writer-ts):
//   apply       `covet migrate` on a fresh database, next to `psql -q -1 -f` of the same SQL
//               (target <= 1.3x); with a cold and a warm migration cache
//   introspect  a node process that connects and introspects the N-table database, next to
//               `pg_dump -s` of it (target <= 2x)
//   no-op       `covet migrate` with everything applied, next to `psql` connecting and
//               reading the tracking table (target <= 3x), cold (no caches, as in a fresh
//               container) and warm; a bare node process doing the same is printed too
//   status      `covet showmigrations`, same baseline and target
//   round trips per migration, counted in-process on the dialect connection
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIN as bin, ROOT as root, benchOptions, benchProject, generateWorkload, median, ms, printNodeStart, printRatios, timeProcess } from './bench-common.mjs';

const { migrations: N, runs: RUNS } = benchOptions(5);
const serverUrl = new URL(process.env.COVET_BENCH_PG_URL ?? process.env.COVET_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const databaseName = 'covet_bench';
const databaseUrl = (() => {
  const url = new URL(serverUrl);
  url.pathname = `/${databaseName}`;
  return url.toString();
})();
const adminUrl = (() => {
  const url = new URL(serverUrl);
  url.pathname = '/postgres';
  return url.toString();
})();

// The project lives inside packages/dialect-postgres so it resolves @covet/* like an installed project.
const packageDir = join(root, 'packages', 'dialect-postgres');
const { work, require, core, writer } = await benchProject(packageDir, { engine: 'postgres', url: databaseUrl });
const postgresPackage = await import(pathToFileURL(join(packageDir, 'dist', 'index.js')).href);
const pgPath = require.resolve('pg');
const { statements: rawStatements } = await generateWorkload({ core, writer, dialectPlugin: postgresPackage, engine: 'postgres', work, count: N });
const rawSql = join(work, 'raw.sql');
writeFileSync(rawSql, `${rawStatements.join(';\n')};\n`);
writeFileSync(
  join(work, 'bare.cjs'),
  `const { Client } = require(${JSON.stringify(pgPath)});
(async () => {
  const client = new Client({ connectionString: ${JSON.stringify(databaseUrl)} });
  await client.connect();
  const { rows } = await client.query('SELECT id, app, name, applied_at, checksum FROM covet_migrations ORDER BY id');
  process.stdout.write(rows.length + '\\n');
  await client.end();
})();
`,
);
writeFileSync(
  join(work, 'introspect.mjs'),
  `import { createPostgresDialect } from ${JSON.stringify(pathToFileURL(join(packageDir, 'dist', 'index.js')).href)};
const connection = await createPostgresDialect().connect({ engine: 'postgres', url: ${JSON.stringify(databaseUrl)} });
const state = await connection.introspector.introspect();
process.stdout.write(Object.keys(state.tables).length + '\\n');
await connection.close();
`,
);

const run = (command, commandArgs) => timeProcess(command, commandArgs, { cwd: work });
const time = (command, commandArgs, prepare) => timeProcess(command, commandArgs, { cwd: work, prepare });
const freshDatabase = () => {
  run('psql', ['-X', '-q', '-d', adminUrl, '-c', `DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`, '-c', `CREATE DATABASE ${databaseName}`]);
};
const cacheDir = join(packageDir, 'node_modules', '.cache', 'covet');

const dropCaches = () => rmSync(cacheDir, { recursive: true, force: true });
const trackingQuery = 'SELECT id, app, name, applied_at, checksum FROM covet_migrations ORDER BY id';
const samples = { psql: [], cold: [], warm: [], pgDump: [], introspect: [], bare: [], psqlRead: [], noop: [], status: [], noopCold: [], statusCold: [] };
for (let runIndex = 0; runIndex < RUNS; runIndex++) {
  samples.psql.push(time('psql', ['-X', '-q', '-1', '-v', 'ON_ERROR_STOP=1', '-d', databaseUrl, '-f', rawSql], freshDatabase).elapsed);
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
  // Everything is applied now.
  samples.pgDump.push(time('pg_dump', ['-s', '-d', databaseUrl, '-f', join(work, 'dump.sql')]).elapsed);
  const introspect = time(process.execPath, [join(work, 'introspect.mjs')]);
  if (introspect.stdout.trim() !== String(N)) throw new Error(`introspection found ${introspect.stdout.trim()} tables, expected ${N}`);
  samples.introspect.push(introspect.elapsed);
  const bare = time(process.execPath, [join(work, 'bare.cjs')]);
  if (bare.stdout.trim() !== String(N)) throw new Error(`expected ${N} applied migrations, found ${bare.stdout.trim()}`);
  samples.bare.push(bare.elapsed);
  const noop = time(process.execPath, [bin, 'migrate']);
  if (!noop.stdout.includes('No migrations to apply')) throw new Error(`no-op migrate did something:\n${noop.stdout}`);
  samples.noop.push(noop.elapsed);
  samples.status.push(time(process.execPath, [bin, 'showmigrations']).elapsed);
  samples.psqlRead.push(time('psql', ['-X', '-q', '-A', '-t', '-d', databaseUrl, '-c', trackingQuery]).elapsed);
  samples.noopCold.push(time(process.execPath, [bin, 'migrate'], dropCaches).elapsed);
  samples.statusCold.push(time(process.execPath, [bin, 'showmigrations'], dropCaches).elapsed);
}

// Round trips: the same apply in-process, counted on the dialect connection.
freshDatabase();
const cli = await import(pathToFileURL(join(root, 'packages', 'cli', 'dist', 'index.js')).href);
const project = await cli.openProject({ cwd: work, env: {} });
const connection = await project.connect();
const before = connection.statistics?.roundTrips ?? 0;
const summary = await new core.MigrationRunner({
  covet: project.covet,
  dialect: project.dialect,
  connection,
  migrations: await project.migrationFiles(),
}).migrate();
const roundTrips = (connection.statistics?.roundTrips ?? 0) - before;
await project.close();
if (summary.migrations.length !== N) throw new Error(`in-process run applied ${summary.migrations.length} migrations`);
rmSync(cacheDir, { recursive: true, force: true });
run('psql', ['-X', '-q', '-d', adminUrl, '-c', `DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`]);

console.log(`Covet bench, PostgreSQL (${serverUrl.host}), ${N} migrations, median of ${RUNS} runs (whole processes)`);
printNodeStart();
console.log(`  psql -q -1 -f of the same SQL             ${ms(median(samples.psql))}`);
console.log(`  pg_dump -s of the ${N}-table database      ${ms(median(samples.pgDump))}`);
console.log(`  psqlRead: psql connecting and reading covet_migrations ${ms(median(samples.psqlRead))}`);
console.log(`  bare: node + pg reading covet_migrations  ${ms(median(samples.bare))}`);
const rows = [
  ['apply, cold cache', 'cold', 'psql', 1.3],
  ['apply, warm cache', 'warm', 'psql', 1.3],
  ['introspect', 'introspect', 'pgDump', 2],
  ['no-op migrate, warm', 'noop', 'psqlRead', 3],
  ['no-op migrate, cold', 'noopCold', 'psqlRead', 3],
  ['showmigrations, warm', 'status', 'psqlRead', 3],
  ['showmigrations, cold', 'statusCold', 'psqlRead', 3],
  ['no-op migrate, cold', 'noopCold', 'bare'],
  ['showmigrations, cold', 'statusCold', 'bare'],
];
printRatios(rows, samples);
console.log(`  round trips: ${roundTrips} for ${N} migrations (${(roundTrips / N).toFixed(2)} per migration, lock and tracking reads included)`);
