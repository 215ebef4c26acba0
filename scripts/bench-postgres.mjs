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
//   no-op       `covet migrate` with everything applied, next to a bare node process that
//               connects and reads the tracking table (target <= 4x)
//   status      `covet showmigrations`, same baseline
//   round trips per migration, counted in-process on the dialect connection
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
const RUNS = option('runs', 5);
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
const work = join(packageDir, '.bench');
const require = createRequire(join(packageDir, 'package.json'));
const importPackage = (name) => import(pathToFileURL(require.resolve(name)).href);
const core = await importPackage('@covet/core');
const writer = await importPackage('@covet/writer-ts');
const postgresPackage = await import(pathToFileURL(join(packageDir, 'dist', 'index.js')).href);
const { op, t, sql } = core;
const bin = join(root, 'packages', 'cli', 'dist', 'bin.js');
const pgPath = require.resolve('pg');

rmSync(work, { recursive: true, force: true });
mkdirSync(join(work, 'migrations'), { recursive: true });
writeFileSync(
  join(work, 'covet.config.json'),
  JSON.stringify({ database: { engine: 'postgres', url: databaseUrl }, migrations: './migrations', app: 'bench' }, null, 2),
);

// Generate the migrations with the real writer, and the raw SQL with the real compiler.
const covet = core.createCovet({ plugins: [postgresPackage.default] });
const dialect = covet.dialects.get('postgres');
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

function run(command, commandArgs, options = {}) {
  const result = spawnSync(command, commandArgs, { cwd: work, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...options });
  if (result.status !== 0) {
    throw new Error(`${command} ${commandArgs.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}
function time(command, commandArgs, prepare) {
  prepare?.();
  const started = performance.now();
  const result = run(command, commandArgs);
  return { elapsed: performance.now() - started, stdout: result.stdout };
}
const freshDatabase = () => {
  run('psql', ['-X', '-q', '-d', adminUrl, '-c', `DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`, '-c', `CREATE DATABASE ${databaseName}`]);
};
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const cacheDir = join(packageDir, 'node_modules', '.cache', 'covet');

const samples = { psql: [], cold: [], warm: [], pgDump: [], introspect: [], bare: [], noop: [], status: [] };
for (let runIndex = 0; runIndex < RUNS; runIndex++) {
  samples.psql.push(time('psql', ['-X', '-q', '-1', '-v', 'ON_ERROR_STOP=1', '-d', databaseUrl, '-f', rawSql], freshDatabase).elapsed);
  samples.cold.push(
    time(process.execPath, [bin, 'migrate'], () => {
      freshDatabase();
      rmSync(cacheDir, { recursive: true, force: true });
    }).elapsed,
  );
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
  migrations: await project.migrations(),
}).migrate();
const roundTrips = (connection.statistics?.roundTrips ?? 0) - before;
await project.close();
if (summary.migrations.length !== N) throw new Error(`in-process run applied ${summary.migrations.length} migrations`);
rmSync(cacheDir, { recursive: true, force: true });
run('psql', ['-X', '-q', '-d', adminUrl, '-c', `DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`]);

const ms = (value) => `${value.toFixed(0).padStart(6)} ms`;
console.log(`Covet bench, PostgreSQL (${serverUrl.host}), ${N} migrations, median of ${RUNS} runs (whole processes)`);
console.log(`  psql -q -1 -f of the same SQL             ${ms(median(samples.psql))}`);
console.log(`  pg_dump -s of the ${N}-table database      ${ms(median(samples.pgDump))}`);
console.log(`  bare: node + pg reading covet_migrations  ${ms(median(samples.bare))}`);
const rows = [
  ['apply, cold cache', 'cold', 'psql', 1.3],
  ['apply, warm cache', 'warm', 'psql', 1.3],
  ['introspect', 'introspect', 'pgDump', 2],
  ['no-op migrate', 'noop', 'bare', 4],
  ['showmigrations', 'status', 'bare', 4],
];
for (const [label, key, baseline, target] of rows) {
  const ratio = median(samples[key]) / median(samples[baseline]);
  const verdict = ratio <= target ? 'ok' : 'OVER TARGET';
  console.log(`  ${label.padEnd(20)} ${ms(median(samples[key]))}  ${ratio.toFixed(2)}x ${baseline} (target <= ${target}x) ${verdict}`);
}
console.log(`  round trips: ${roundTrips} for ${N} migrations (${(roundTrips / N).toFixed(2)} per migration, lock and tracking reads included)`);
