// Covet benchmark (MySQL/MariaDB): whole processes, medians of several runs, reported as ratios
// to the mariadb client measured in the same run (the machine is shared and noisy).
//
//   pnpm turbo run build --filter=@covet/dialect-mysql... && node scripts/bench-mysql.mjs
//   node scripts/bench-mysql.mjs --migrations 500 --runs 5
//   COVET_TEST_MYSQL_URL=mysql://root@127.0.0.1:3306/test node scripts/bench-mysql.mjs
//
// Workloads (N generated migrations, each one table with 8 columns, an index and a foreign key
// to the previous table, as in scripts/bench.mjs):
//   apply       `covet migrate` on a fresh database, next to the mariadb client running the
//               same SQL (compiled by the dialect) from one file (target <= 1.3x)
//   introspect  a node process that connects and introspects the N-table database, next to
//               `mariadb-dump --no-data` of it (target <= 2x); plus the query count and the
//               in-process introspection time
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
const SERVER_URL = process.env.COVET_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

// The project lives inside packages/dialect-mysql, so it resolves @covet/* (and the dialect
// itself, by self-reference) like an installed project.
const packageDir = join(root, 'packages', 'dialect-mysql');
const work = join(packageDir, '.bench');
const require = createRequire(join(packageDir, 'package.json'));
const importPackage = (name) => import(pathToFileURL(require.resolve(name)).href);
const core = await importPackage('@covet/core');
const writer = await importPackage('@covet/writer-ts');
const mysqlPackage = await import(pathToFileURL(join(packageDir, 'dist', 'index.js')).href);
const mysql = (await import(pathToFileURL(require.resolve('mysql2/promise')).href)).default;
const { op, t, sql } = core;
const bin = join(root, 'packages', 'cli', 'dist', 'bin.js');

const server = new URL(SERVER_URL);
const database = `covet_bench_${process.pid}`;
const databaseUrl = new URL(SERVER_URL);
databaseUrl.pathname = `/${database}`;
const clientArgs = [`-h${server.hostname}`, `-P${server.port || 3306}`, `-u${decodeURIComponent(server.username || 'root')}`];
const clientEnv = { ...process.env, ...(server.password ? { MYSQL_PWD: decodeURIComponent(server.password) } : {}) };
const client = ['mariadb', 'mysql'].find((name) => spawnSync(name, ['--version']).status === 0);
const dump = ['mariadb-dump', 'mysqldump'].find((name) => spawnSync(name, ['--version']).status === 0);
if (!client || !dump) throw new Error('The bench needs the mariadb (or mysql) client and mariadb-dump (or mysqldump) on PATH');

function admin(statement) {
  const result = spawnSync(client, [...clientArgs, '-e', statement], { env: clientEnv, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${statement} failed: ${result.stderr}`);
}
const freshDatabase = () => admin(`DROP DATABASE IF EXISTS \`${database}\`; CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4`);

rmSync(work, { recursive: true, force: true });
mkdirSync(join(work, 'migrations'), { recursive: true });
writeFileSync(
  join(work, 'covet.config.json'),
  JSON.stringify({ database: { engine: 'mysql', url: databaseUrl.href }, migrations: './migrations', app: 'bench' }, null, 2),
);

// Generate the migrations with the real writer, and the raw SQL with the real compiler.
const covet = core.createCovet({ plugins: [mysqlPackage.default] });
const dialect = covet.dialects.get('mysql');
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
const rawSql = `${rawStatements.join(';\n')};\n`;

function time(command, commandArgs, options = {}) {
  options.prepare?.();
  const started = performance.now();
  const result = spawnSync(command, commandArgs, { cwd: work, encoding: 'utf8', env: clientEnv, input: options.input, maxBuffer: 256 * 1024 * 1024 });
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

writeFileSync(
  join(work, 'introspect.mjs'),
  `const { createMysqlDialect } = await import(${JSON.stringify(pathToFileURL(join(packageDir, 'dist', 'index.js')).href)});
const connection = await createMysqlDialect().connect({ engine: 'mysql', url: ${JSON.stringify(databaseUrl.href)} });
const state = await connection.introspector.introspect();
process.stdout.write(Object.keys(state.tables).length + '\\n');
await connection.close();
`,
);

const samples = { raw: [], covet: [], dump: [], introspect: [] };
try {
  for (let run = 0; run < RUNS; run++) {
    samples.raw.push(time(client, [...clientArgs, database], { input: rawSql, prepare: freshDatabase }).elapsed);
    samples.covet.push(time(process.execPath, [bin, 'migrate'], { prepare: freshDatabase }).elapsed);
    // Everything is applied now: N tables (+ covet_migrations).
    samples.dump.push(time(dump, [...clientArgs, '--no-data', database]).elapsed);
    const introspect = time(process.execPath, [join(work, 'introspect.mjs')]);
    if (introspect.stdout.trim() !== String(N)) throw new Error(`expected ${N} tables, introspected ${introspect.stdout.trim()}`);
    samples.introspect.push(introspect.elapsed);
  }

  // In-process introspection: query count and time without process start-up.
  const connection = await dialect.connect({ engine: 'mysql', url: databaseUrl.href });
  let queries = 0;
  const counting = new mysqlPackage.MysqlIntrospector(
    (text, params) => {
      queries++;
      return connection.query(text, params);
    },
    { schema: () => connection.database, mariadb: () => connection.isMariaDb },
  );
  const inProcess = [];
  for (let run = 0; run < RUNS; run++) {
    queries = 0;
    const started = performance.now();
    await counting.introspect();
    inProcess.push(performance.now() - started);
  }
  const version = connection.serverVersion;
  await connection.close();

  const ms = (value) => `${value.toFixed(0).padStart(6)} ms`;
  console.log(`Covet bench, ${version}, ${N} migrations, median of ${RUNS} runs (whole processes)`);
  console.log(`  raw: ${client} running the same SQL file ${ms(median(samples.raw))}`);
  console.log(`  dump: ${dump} --no-data of the ${N}-table database ${ms(median(samples.dump))}`);
  for (const [label, key, baseline, target] of [
    ['apply (covet migrate)', 'covet', 'raw', 1.3],
    ['introspect (process)', 'introspect', 'dump', 2],
  ]) {
    const ratio = median(samples[key]) / median(samples[baseline]);
    const verdict = ratio <= target ? 'ok' : 'OVER TARGET';
    console.log(`  ${label.padEnd(22)} ${ms(median(samples[key]))}  ${ratio.toFixed(2)}x ${baseline} (target <= ${target}x) ${verdict}`);
  }
  console.log(`  introspect in-process  ${ms(median(inProcess))}  ${queries} queries for ${N} tables`);
} finally {
  admin(`DROP DATABASE IF EXISTS \`${database}\``);
  rmSync(work, { recursive: true, force: true });
}
