// Covet benchmark (MySQL/MariaDB): whole processes, medians of several runs, reported as ratios
// to the mariadb client measured in the same run (the machine is shared and noisy).
//
//   pnpm turbo run build --filter=@covet/dialect-mysql... && node scripts/bench-mysql.mjs
//   node scripts/bench-mysql.mjs --migrations 500 --runs 9
//   COVET_TEST_MYSQL_URL=mysql://root@127.0.0.1:3306/test node scripts/bench-mysql.mjs
//
// Workloads (N generated migrations, each one table with 8 columns, an index and a foreign key
// to the previous table, as in scripts/bench.mjs):
//   apply       `covet migrate` on a fresh database, next to the mariadb client running the
//               same SQL (compiled by the dialect) from one file, the two in alternating
//               order (target <= 1.3x)
//   introspect  a node process that connects and introspects the N-table database, next to
//               `mariadb-dump --no-data` of it (target <= 2x); plus the query count and the
//               in-process introspection time
//   no-op       `covet migrate` with everything applied, next to a bare node process that
//               connects with mysql2 and reads the tracking table (target <= 1.5x), cold (no
//               caches, as in a fresh container) and warm
//   status      `covet showmigrations`, same baseline and target
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIN as bin, CHILD_ENV, ROOT as root, benchOptions, benchProject, generateWorkload, median, ms, printNodeStart, printRatios, timeProcess } from './bench-common.mjs';

const { migrations: N, runs: RUNS } = benchOptions(9);
const SERVER_URL = process.env.COVET_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

const server = new URL(SERVER_URL);
const database = `covet_bench_${process.pid}`;
const databaseUrl = new URL(SERVER_URL);
databaseUrl.pathname = `/${database}`;
const clientArgs = [`-h${server.hostname}`, `-P${server.port || 3306}`, `-u${decodeURIComponent(server.username || 'root')}`];
const clientEnv = { ...CHILD_ENV, ...(server.password ? { MYSQL_PWD: decodeURIComponent(server.password) } : {}) };
const client = ['mariadb', 'mysql'].find((name) => spawnSync(name, ['--version']).status === 0);
const dump = ['mariadb-dump', 'mysqldump'].find((name) => spawnSync(name, ['--version']).status === 0);
if (!client || !dump) throw new Error('The bench needs the mariadb (or mysql) client and mariadb-dump (or mysqldump) on PATH');

function admin(statement) {
  const result = spawnSync(client, [...clientArgs, '-e', statement], { env: clientEnv, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${statement} failed: ${result.stderr}`);
}
const freshDatabase = () => admin(`DROP DATABASE IF EXISTS \`${database}\`; CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4`);

// The project lives inside packages/dialect-mysql, so it resolves @covet/* (and the dialect
// itself, by self-reference) like an installed project.
const packageDir = join(root, 'packages', 'dialect-mysql');
const { work, core, writer } = await benchProject(packageDir, { engine: 'mysql', url: databaseUrl.href });
const mysqlPackage = await import(pathToFileURL(join(packageDir, 'dist', 'index.js')).href);
const { statements: rawStatements, dialect } = await generateWorkload({ core, writer, dialectPlugin: mysqlPackage, engine: 'mysql', work, count: N });
const rawSql = `${rawStatements.join(';\n')};\n`;

const time = (command, commandArgs, options = {}) => timeProcess(command, commandArgs, { cwd: work, env: clientEnv, ...options });

writeFileSync(
  join(work, 'introspect.mjs'),
  `const { createMysqlDialect } = await import(${JSON.stringify(pathToFileURL(join(packageDir, 'dist', 'index.js')).href)});
const connection = await createMysqlDialect().connect({ engine: 'mysql', url: ${JSON.stringify(databaseUrl.href)} });
const state = await connection.introspector.introspect();
process.stdout.write(Object.keys(state.tables).length + '\\n');
await connection.close();
`,
);

const mysql2Path = createRequire(join(packageDir, 'package.json')).resolve('mysql2/promise');
writeFileSync(
  join(work, 'bare.cjs'),
  `const mysql = require(${JSON.stringify(mysql2Path)});
(async () => {
  const connection = await mysql.createConnection(${JSON.stringify(databaseUrl.href)});
  const [rows] = await connection.query('SELECT id, app, name, applied_at, checksum FROM covet_migrations ORDER BY id');
  process.stdout.write(rows.length + '\\n');
  await connection.end();
})();
`,
);
const cacheDir = join(packageDir, 'node_modules', '.cache', 'covet');
const dropCaches = () => rmSync(cacheDir, { recursive: true, force: true });

const samples = { raw: [], covet: [], covetCold: [], dump: [], introspect: [], bare: [], noop: [], status: [], noopCold: [], statusCold: [] };
try {
  for (let run = 0; run < RUNS; run++) {
    // Warm: the caches of earlier runs (the cold runs below dropped them, and the run after a
    // cold one writes V8's code cache: bin/compile-cache.cjs), from an untimed apply.
    time(process.execPath, [bin, 'migrate'], { prepare: freshDatabase });
    time(process.execPath, [bin, 'migrate'], { prepare: freshDatabase });
    // The two applies take turns going first: right after 500 tables were created and
    // dropped, the server is still writing them out in the background and whichever runs
    // next is slower (by up to a half here), so a fixed order would count that against one.
    const raw = () => samples.raw.push(time(client, [...clientArgs, database], { input: rawSql, prepare: freshDatabase }).elapsed);
    const covet = () => samples.covet.push(time(process.execPath, [bin, 'migrate'], { prepare: freshDatabase }).elapsed);
    if (run % 2 === 0) {
      raw();
      covet();
    } else {
      covet();
      raw();
    }
    // Cold: no cache of any kind (after the two above, so it runs in the same shadow as the
    // second of them; compare it with the warm row for what the caches save).
    samples.covetCold.push(
      time(process.execPath, [bin, 'migrate'], {
        prepare: () => {
          freshDatabase();
          dropCaches();
        },
      }).elapsed,
    );
    // (The cold apply dropped the caches: this untimed run writes V8's code cache again.)
    time(process.execPath, [bin, 'migrate']);
    const bare = time(process.execPath, [join(work, 'bare.cjs')]);
    if (bare.stdout.trim() !== String(N)) throw new Error(`expected ${N} applied migrations, found ${bare.stdout.trim()}`);
    samples.bare.push(bare.elapsed);
    const noop = time(process.execPath, [bin, 'migrate']);
    if (!noop.stdout.includes('No migrations to apply')) throw new Error(`no-op migrate did something:\n${noop.stdout}`);
    samples.noop.push(noop.elapsed);
    samples.status.push(time(process.execPath, [bin, 'showmigrations']).elapsed);
    samples.noopCold.push(time(process.execPath, [bin, 'migrate'], { prepare: dropCaches }).elapsed);
    samples.statusCold.push(time(process.execPath, [bin, 'showmigrations'], { prepare: dropCaches }).elapsed);
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

  console.log(`Covet bench, ${version}, ${N} migrations, median of ${RUNS} runs (whole processes)`);
  printNodeStart();
  console.log(`  raw: ${client} running the same SQL file ${ms(median(samples.raw))}`);
  console.log(`  dump: ${dump} --no-data of the ${N}-table database ${ms(median(samples.dump))}`);
  console.log(`  bare: node + mysql2 reading covet_migrations ${ms(median(samples.bare))}`);
  printRatios(
    [
      ['apply, warm cache', 'covet', 'raw', 1.3],
      ['apply, cold cache', 'covetCold', 'raw'],
      ['introspect (process)', 'introspect', 'dump', 2],
      ['no-op migrate, warm', 'noop', 'bare', 1.5],
      ['no-op migrate, cold', 'noopCold', 'bare', 1.5],
      ['showmigrations, warm', 'status', 'bare', 1.5],
      ['showmigrations, cold', 'statusCold', 'bare', 1.5],
    ],
    samples,
  );
  console.log(`  introspect in-process  ${ms(median(inProcess))}  ${queries} queries for ${N} tables`);
} finally {
  admin(`DROP DATABASE IF EXISTS \`${database}\``);
  rmSync(work, { recursive: true, force: true });
}
