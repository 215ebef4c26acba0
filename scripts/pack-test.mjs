#!/usr/bin/env node
// The tarball install test (`pnpm test:pack`; .ci/run runs it after `pnpm test`).
//
// It checks what npm users would get, not the workspace: every public package is built and
// packed with `pnpm pack` (which replaces `workspace:` ranges with real versions), the tarballs
// are checked (metadata, files, exports targets), installed with npm into an empty folder made
// under the system temp folder, outside the repository, with an npm cache of its own, and then
// the root README's tour is run there on SQLite, block by block, as the README writes it: the
// model and config files are taken from the README's code blocks and its `npx covet` lines are
// run in order. The README and this test therefore cannot drift apart: a command the README
// shows is run, and a command this test expects must be in the README. Then the packed plugins
// run in small projects beside it: @covet/plugin-policy (`covet lint`, a refused `migrate`),
// @covet/plugin-objects (a view on SQLite, created and rolled back) and @covet/dialect-pglite
// (a data directory migrated and rolled back, with a materialized view).
//
// Nothing is read from the workspace's node_modules (the repository's bin folders are taken off
// PATH, and pnpm's npm_config_* variables are not passed on). Each step has a time limit; any
// failure prints the step, the command, its exit code and output, and exits 1. The temp folders
// are removed at the end (kept with COVET_PACK_KEEP=1).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MINUTE = 60_000;
const started = Date.now();

/**
 * What each README command must print (ANSI codes stripped). Every command listed here must
 * appear in the README's tour, in this order; README commands not listed here are run too
 * and must exit 0.
 */
const EXPECTED = [
  {
    command: 'npx covet makemigrations --name initial',
    output: [/Create table users/, /Create table posts/, /wrote .*[/\\]migrations[/\\]\d{14}_initial\.ts/],
    after: (project) => expectMigrationFiles(project, ['initial']),
  },
  {
    command: 'npx covet migrate',
    output: [/Applied default:\d{14}_initial\b/],
    after: (project) => expectColumns(project, 'users', { has: ['id', 'email', 'bio', 'created_at'], lacks: ['nickname'] }),
  },
  { command: 'npx covet showmigrations', output: [/\[X\] \d{14}_initial\b/] },
  {
    command: 'npx covet makemigrations --name add_nickname',
    output: [/Add column users\.nickname/, /Create index users_nickname_idx/, /wrote .*\d{14}_add_nickname\.ts/],
    after: (project) => expectMigrationFiles(project, ['initial', 'add_nickname']),
  },
  {
    command: 'npx covet migrate',
    output: [/Applied default:\d{14}_add_nickname\b/],
    refuse: [/_initial\b/],
    after: (project) => expectColumns(project, 'users', { has: ['nickname'], lacks: [] }),
  },
  {
    command: 'npx covet rollback',
    output: [/Rolled back default:\d{14}_add_nickname\b/],
    after: (project) => expectColumns(project, 'users', { has: ['email'], lacks: ['nickname'] }),
  },
  { command: 'npx covet showmigrations', output: [/\[X\] \d{14}_initial\b/, /\[ \] \d{14}_add_nickname\b/] },
];

class StepFailure extends Error {}

function log(message) {
  const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  console.log(`pack-test [${seconds}s] ${message}`);
}

function fail(step, message, details = '') {
  throw new StepFailure(`step "${step}" failed: ${message}${details ? `\n${details}` : ''}`);
}

const stripAnsi = (text) => text.replace(/\x1b\[[0-9;]*m/g, '');

function tail(text, lines = 60) {
  const all = text.trimEnd().split('\n');
  return (all.length > lines ? [`... (${all.length - lines} lines above)`] : []).concat(all.slice(-lines)).join('\n');
}

/**
 * The environment for commands run in the project: without pnpm's npm_config_* settings and
 * without the repository's node_modules/.bin folders on PATH, so nothing resolves into the
 * workspace; colours off, so output is plain text whatever the caller's terminal.
 */
function cleanEnvironment(npmCache) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_|PNPM_|NODE_PATH$|NODE_OPTIONS$|FORCE_COLOR$|INIT_CWD$)/i.test(key)) continue;
    env[key] = value;
  }
  env.PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((entry) => entry !== '' && !(resolve(entry) + sep).startsWith(ROOT + sep))
    .join(delimiter);
  env.NO_COLOR = '1';
  env.npm_config_cache = npmCache;
  env.npm_config_audit = 'false';
  env.npm_config_fund = 'false';
  env.npm_config_update_notifier = 'false';
  return env;
}

function run(step, command, args, { cwd, env, timeout, input, expectCode = 0 } = {}) {
  const result = spawnSync(command, args, { cwd, env, timeout, input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const output = stripAnsi(`${result.stdout ?? ''}${result.stderr ?? ''}`);
  const shown = `$ ${[command, ...args].join(' ')}   (in ${cwd ?? process.cwd()})`;
  if (result.error?.code === 'ETIMEDOUT' || result.signal === 'SIGTERM') {
    fail(step, `timed out after ${Math.round(timeout / 1000)} s`, `${shown}\n${tail(output)}`);
  }
  if (result.error) fail(step, result.error.message, shown);
  if (result.status !== expectCode) {
    fail(step, `exit code ${result.status ?? result.signal}${expectCode === 0 ? '' : `, expected ${expectCode}`}`, `${shown}\n${tail(output)}`);
  }
  return { stdout: stripAnsi(result.stdout ?? ''), stderr: stripAnsi(result.stderr ?? ''), output };
}

/** The public packages of the workspace (packages/*, plugins/*), by folder. */
function publicPackages() {
  const found = [];
  for (const group of ['packages', 'plugins']) {
    const base = join(ROOT, group);
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base, { withFileTypes: true })) {
      const file = join(base, entry.name, 'package.json');
      if (!entry.isDirectory() || !existsSync(file)) continue;
      const manifest = JSON.parse(readFileSync(file, 'utf8'));
      if (manifest.private) continue;
      found.push({ dir: join(base, entry.name), relativeDir: `${group}/${entry.name}`, manifest });
    }
  }
  return found.sort((a, b) => a.relativeDir.localeCompare(b.relativeDir));
}

/** What a published package must carry; returns the problems found. */
function metadataProblems({ relativeDir, manifest, dir }) {
  const problems = [];
  const need = (condition, what) => condition || problems.push(`${relativeDir}/package.json: ${what}`);
  need(/^\d+\.\d+\.\d+/.test(manifest.version ?? '') && manifest.version !== '0.0.0', `"version" is ${JSON.stringify(manifest.version)}: run \`pnpm changeset version\``);
  need(manifest.license === 'MIT', '"license" must be "MIT"');
  need(manifest.repository?.directory === relativeDir, `"repository.directory" must be "${relativeDir}"`);
  need(typeof manifest.repository?.url === 'string', '"repository.url" is missing');
  need(typeof manifest.homepage === 'string', '"homepage" is missing');
  need(typeof manifest.bugs?.url === 'string', '"bugs.url" is missing');
  need(Array.isArray(manifest.keywords) && manifest.keywords.length > 0, '"keywords" is missing');
  need(manifest.publishConfig?.access === 'public', '"publishConfig.access" must be "public"');
  need(manifest.engines?.node === '>=20.19', '"engines.node" must be ">=20.19"');
  need(typeof manifest.description === 'string' && manifest.description !== '', '"description" is missing');
  need(manifest.exports !== undefined && manifest.types !== undefined, '"exports" and "types" are needed');
  for (const file of ['README.md', 'LICENSE']) {
    need(existsSync(join(dir, file)), `${file} is missing next to it`);
    need(manifest.files?.includes(file), `"files" must list ${file}`);
  }
  if (existsSync(join(dir, 'THIRD-PARTY-LICENSES.md'))) {
    need(manifest.files?.includes('THIRD-PARTY-LICENSES.md'), '"files" must list THIRD-PARTY-LICENSES.md');
  }
  return problems;
}

/** Every file an `exports` map (or bin) points at, as paths inside the package. */
function entryFiles(manifest) {
  const files = new Set();
  const walk = (value) => {
    if (typeof value === 'string') files.add(value.replace(/^\.\//, ''));
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(manifest.exports);
  walk(manifest.bin);
  for (const key of ['main', 'module', 'types']) if (manifest[key]) walk(manifest[key]);
  return [...files];
}

/** Checks one tarball: its manifest has no workspace: range and its files are all there. */
function checkTarball(step, tarball, versions) {
  const listing = run(step, 'tar', ['-tzf', tarball]).stdout.split('\n').filter(Boolean).map((line) => line.replace(/^package\//, ''));
  const manifest = JSON.parse(run(step, 'tar', ['-xzOf', tarball, 'package/package.json']).stdout);
  const problems = [];
  const name = `${manifest.name}@${manifest.version}`;
  for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dependency, range] of Object.entries(manifest[field] ?? {})) {
      if (String(range).startsWith('workspace:')) problems.push(`${name}: ${field}.${dependency} is still "${range}"`);
      if (versions.has(dependency) && range !== `^${versions.get(dependency)}` && range !== versions.get(dependency)) {
        problems.push(`${name}: ${field}.${dependency} is "${range}", not the packed version ${versions.get(dependency)}`);
      }
    }
  }
  for (const file of ['package.json', 'README.md', 'LICENSE', ...entryFiles(manifest)]) {
    if (!listing.includes(file)) problems.push(`${name}: the tarball has no ${file}`);
  }
  const stray = listing.filter((file) => /^(src|test)\//.test(file) || /\.test\.|tsconfig|tsup\.config/.test(file));
  if (stray.length > 0) problems.push(`${name}: the tarball holds files users do not need: ${stray.slice(0, 5).join(', ')}`);
  if (problems.length > 0) fail(step, `${problems.length} problem(s) in ${tarball}`, problems.join('\n'));
  return manifest;
}

/**
 * The README's tour: its fenced blocks, in order, from "## A five-minute tour" to the next
 * heading (the reference subsections after it, "### Commands" and on, are not part of it).
 */
function tourBlocks() {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## A five-minute tour');
  if (start < 0) fail('read README', 'README.md has no "## A five-minute tour" section');
  const next = /\n#{2,3} /g;
  next.lastIndex = start + 1;
  const end = next.exec(readme)?.index;
  const section = readme.slice(start, end);
  const blocks = [];
  for (const match of section.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)) blocks.push({ lang: match[1], text: match[2] });
  return blocks;
}

function expectMigrationFiles(project, labels) {
  const files = readdirSync(join(project, 'migrations')).sort();
  const pattern = new RegExp(`^\\d{14}_(${labels.join('|')})\\.ts$`);
  if (files.length !== labels.length || !files.every((file) => pattern.test(file))) {
    throw new Error(`migrations/ holds ${JSON.stringify(files)}, expected one file for each of ${JSON.stringify(labels)}`);
  }
}

let checkEnvironment;
function expectColumns(project, table, { has, lacks }) {
  // Read with the project's own better-sqlite3 (installed from the registry with the tarballs).
  const script = `const db = new (require('better-sqlite3'))('app.db', { readonly: true });
    console.log(JSON.stringify(db.prepare("SELECT name FROM pragma_table_info('${table}')").all().map((c) => c.name)));`;
  const columns = JSON.parse(run('inspect app.db', process.execPath, ['-e', script], { cwd: project, env: checkEnvironment, timeout: MINUTE }).stdout);
  const missing = has.filter((column) => !columns.includes(column));
  const extra = lacks.filter((column) => columns.includes(column));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(`table ${table} in app.db has columns ${JSON.stringify(columns)} (missing ${JSON.stringify(missing)}, unexpected ${JSON.stringify(extra)})`);
  }
}

/** Replaces `export const <name> = defineTable(...);` in `source` with `replacement`. */
function replaceTable(source, replacement) {
  const name = /export const (\w+) = defineTable\(/.exec(replacement)?.[1];
  if (name === undefined) fail('change the model', 'the README\'s changed model declares no `export const <table> = defineTable(`');
  const start = source.indexOf(`export const ${name} = defineTable(`);
  const end = source.indexOf('\n});', start);
  if (start < 0 || end < 0) fail('change the model', `models/blog.ts has no table "${name}" to change`);
  return source.slice(0, start) + replacement.trimEnd() + source.slice(end + '\n});'.length);
}

/**
 * The README's tour as steps to run: install (the `npm install -D @covet/...` line), write a
 * file (a block starting `// models/blog.ts` or `// covet.config.ts`), change a model (a block
 * starting `// models/blog.ts (..., changed)`), run an `npx covet` line. Checks it all first:
 * a line it cannot run, a package that is not in the workspace, or a command of EXPECTED that
 * the tour no longer runs (in order) fails here, before anything is built or installed.
 */
function planTour(blocks, packageNames) {
  const plan = [];
  let expected = 0;
  for (const block of blocks) {
    const firstLine = block.text.split('\n')[0].trim();
    if (block.lang === 'sh') {
      for (const rawLine of block.text.split('\n')) {
        const line = rawLine.replace(/\s+#.*$/, '').trim();
        if (line === '') continue;
        const install = /^npm install -D ((?:@covet\/[\w-]+\s*)+)$/.exec(line);
        if (install) {
          const named = install[1].trim().split(/\s+/);
          const unknown = named.filter((name) => !packageNames.has(name));
          if (unknown.length > 0) fail('read README', `the tour installs ${unknown.join(', ')}, which no workspace package is`);
          plan.push({ kind: 'install', named });
          continue;
        }
        if (!line.startsWith('npx covet ')) fail('read README', `the tour runs "${line}", which this test does not know how to run`);
        if (!plan.some((step) => step.kind === 'install')) fail('read README', `the tour runs "${line}" before installing anything`);
        const expectation = EXPECTED[expected]?.command === line ? EXPECTED[expected++] : undefined;
        plan.push({ kind: 'run', line, expectation });
      }
    } else if (block.lang === 'ts' && /^\/\/ models\/blog\.ts \(.*changed\)$/.test(firstLine)) {
      plan.push({ kind: 'change', file: 'models/blog.ts', text: block.text.split('\n').slice(1).join('\n') });
    } else if (block.lang === 'ts' && (firstLine === '// models/blog.ts' || firstLine === '// covet.config.ts')) {
      plan.push({ kind: 'write', file: firstLine.slice(3), text: block.text });
    }
  }
  if (!plan.some((step) => step.kind === 'install')) fail('read README', 'the tour has no `npm install -D @covet/...` line');
  if (expected < EXPECTED.length) {
    const commands = plan.filter((step) => step.kind === 'run').map((step) => `  ${step.line}`);
    fail('read README', `the tour no longer runs "${EXPECTED[expected].command}" (command ${expected + 1} of those this test expects, in order)`,
      `the tour's commands:\n${commands.join('\n')}\nupdate the README, or EXPECTED in scripts/pack-test.mjs`);
  }
  return plan;
}

function main() {
  const keep = process.env.COVET_PACK_KEEP === '1';
  const work = mkdtempSync(join(tmpdir(), 'covet-pack-work-'));
  const project = mkdtempSync(join(tmpdir(), 'covet-pack-project-'));
  const env = cleanEnvironment(join(work, 'npm-cache'));
  checkEnvironment = env;
  try {
    // The README is read first, so a tour this test cannot run fails in seconds, not after the install.
    const packages = publicPackages();
    const plan = planTour(tourBlocks(), new Set(packages.map(({ manifest }) => manifest.name)));
    log(`the README's tour: ${plan.length} steps, ${plan.filter((step) => step.kind === 'run').length} commands`);

    log(`building (pnpm build) in ${ROOT}`);
    run('build', 'pnpm', ['build'], { cwd: ROOT, timeout: 20 * MINUTE });

    const problems = packages.flatMap(metadataProblems);
    if (problems.length > 0) fail('package metadata', `${problems.length} problem(s)`, problems.join('\n'));
    const versions = new Map(packages.map(({ manifest }) => [manifest.name, manifest.version]));
    log(`packing ${packages.length} packages: ${[...versions].map(([n, v]) => `${n}@${v}`).join(', ')}`);

    const tarballDir = join(work, 'tarballs');
    mkdirSync(tarballDir);
    const tarballs = new Map();
    for (const { dir, manifest } of packages) {
      const before = new Set(readdirSync(tarballDir));
      run(`pnpm pack ${manifest.name}`, 'pnpm', ['pack', '--pack-destination', tarballDir], { cwd: dir, timeout: 5 * MINUTE });
      const made = readdirSync(tarballDir).filter((file) => !before.has(file));
      if (made.length !== 1) fail(`pnpm pack ${manifest.name}`, `expected one new tarball, found ${JSON.stringify(made)}`);
      const tarball = join(tarballDir, made[0]);
      checkTarball(`check ${made[0]}`, tarball, versions);
      tarballs.set(manifest.name, tarball);
    }

    // The project: an empty folder of its own, as after `npm init`. better-sqlite3 builds its
    // native module in an install script, which npm 11 runs only when allowScripts lists it.
    writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'covet-tour', version: '1.0.0', private: true, allowScripts: { 'better-sqlite3': true } }, null, 2)}\n`);
    log(`project folder: ${project}`);

    for (const step of plan) {
      if (step.kind === 'install') {
        // The README's packages come from the registry; here they come from the tarballs, so
        // every tarball is given (a package's @covet dependencies are not in the registry).
        log(`npm install -D ${step.named.join(' ')} (from the tarballs, with ${tarballs.size - step.named.length} more tarballs they need or to check): better-sqlite3 builds from source, this takes minutes`);
        run('npm install', 'npm', ['install', '-D', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs.values()], { cwd: project, env, timeout: 30 * MINUTE });
        checkInstall(project, env, tarballs);
      } else if (step.kind === 'write') {
        mkdirSync(dirname(join(project, step.file)), { recursive: true });
        writeFileSync(join(project, step.file), step.text);
        log(`wrote ${step.file} from the README`);
      } else if (step.kind === 'change') {
        const file = join(project, step.file);
        writeFileSync(file, replaceTable(readFileSync(file, 'utf8'), step.text));
        log(`changed ${step.file} as the README shows`);
      } else {
        const { line, expectation } = step;
        log(`$ ${line}`);
        const [, ...args] = line.split(/\s+/);
        const result = run(line, 'npx', ['--no-install', ...args], { cwd: project, env, timeout: 3 * MINUTE });
        for (const pattern of expectation?.output ?? []) {
          if (!pattern.test(result.output)) fail(line, `its output does not match ${pattern}`, tail(result.output));
        }
        for (const pattern of expectation?.refuse ?? []) {
          if (pattern.test(result.stdout)) fail(line, `its output should not match ${pattern}`, tail(result.output));
        }
        try {
          expectation?.after?.(project);
        } catch (error) {
          fail(line, error.message, tail(result.output));
        }
        for (const outputLine of result.output.trimEnd().split('\n')) console.log(`    ${outputLine}`);
      }
    }
    const pluginCommands = pluginTour(project, env);
    log(`passed: ${tarballs.size} tarballs installed outside the workspace, ${plan.filter((step) => step.kind === 'run').length} README commands run, ${pluginCommands} plugin commands run`);
  } finally {
    if (keep) {
      log(`kept ${work} and ${project} (COVET_PACK_KEEP=1)`);
    } else {
      rmSync(work, { recursive: true, force: true });
      rmSync(project, { recursive: true, force: true });
    }
  }
}

/** A file of the plugin tour: `relative` inside `folder`. */
function writeFiles(folder, files) {
  for (const [relative, text] of Object.entries(files)) {
    mkdirSync(dirname(join(folder, relative)), { recursive: true });
    writeFileSync(join(folder, relative), text);
  }
}

/**
 * The packed plugins, in small projects beside the tour (folders of the project, so they use
 * the packages installed there), each as its README shows it: @covet/plugin-policy's rules and
 * `covet lint`, @covet/plugin-objects' views on SQLite, and @covet/dialect-pglite migrating a
 * data directory, with a materialized view of @covet/plugin-objects (PGlite gets the
 * operations' `sql.postgres` through its dialect family). Returns how many commands it ran.
 */
function pluginTour(project, env) {
  let commands = 0;
  const covet = (folder, line, { expectCode = 0, output = [], refuse = [] } = {}) => {
    log(`$ npx covet ${line}   (in ${folder.slice(project.length + 1)})`);
    const result = run(`covet ${line} in ${folder}`, 'npx', ['--no-install', 'covet', ...line.split(/\s+/)], { cwd: folder, env, timeout: 3 * MINUTE, expectCode });
    for (const pattern of output) if (!pattern.test(result.output)) fail(`covet ${line}`, `its output does not match ${pattern}`, tail(result.output));
    for (const pattern of refuse) if (pattern.test(result.output)) fail(`covet ${line}`, `its output should not match ${pattern}`, tail(result.output));
    for (const outputLine of result.output.trimEnd().split('\n')) console.log(`    ${outputLine}`);
    commands++;
    return result;
  };
  const config = (database, plugins) =>
    `import { defineConfig } from '@covet/core';\n\nexport default defineConfig({\n  database: ${database},\n  models: './models',\n  migrations: './migrations',\n  plugins: ${plugins},\n});\n`;
  const migration = (operations, dependencies = [], extra = '') =>
    `import { defineMigration, op, t } from '@covet/core';\n\nexport default defineMigration({\n  dependencies: ${JSON.stringify(dependencies)},\n  operations: [${operations.join(', ')}],${extra}\n});\n`;

  // @covet/plugin-policy: a drop is an error for `covet lint` and stops `migrate` before any SQL.
  const policy = join(project, 'plugin-policy');
  writeFiles(policy, {
    'covet.config.ts': config("{ engine: 'sqlite', name: './app.db' }", "[['@covet/plugin-policy', { rules: { destructive: 'error', naming: ['error', { table: '^[a-z][a-z0-9_]*$' }] } }]]"),
    'migrations/0001_initial.ts': migration(["op.createTable('users', { id: t.serial().primaryKey(), email: t.varchar(100) })"]),
  });
  mkdirSync(join(policy, 'models'), { recursive: true });
  covet(policy, 'lint', { output: [/1 migration\(s\) checked for sqlite: 0 error\(s\)/] });
  writeFiles(policy, { 'migrations/0002_drop.ts': migration(["op.dropColumn('users', 'email')"], ['0001_initial']) });
  const lint = covet(policy, 'lint --json', { expectCode: 1 });
  const report = JSON.parse(lint.stdout);
  const findings = report.findings.map((finding) => `${finding.rule} ${finding.level} ${finding.migration}`);
  if (JSON.stringify(findings) !== JSON.stringify(['destructive error default:0002_drop'])) {
    fail('covet lint --json', `findings ${JSON.stringify(findings)}, expected one destructive error in default:0002_drop`, lint.stdout);
  }
  covet(policy, 'migrate', {
    expectCode: 1,
    output: [/error: \[destructive\] drops column "users\.email" .*\(plugin "@covet\/plugin-policy", hook validateOperation, migration default:0002_drop, operation #1 \(dropColumn\)\)/],
  });
  covet(policy, 'showmigrations', { output: [/\[ \] 0001_initial/, /\[ \] 0002_drop/] });
  writeFiles(policy, { 'migrations/0002_drop.ts': migration(["op.dropColumn('users', 'email')"], ['0001_initial'], "\n  meta: { allowDestructive: ['users.email'] },") });
  covet(policy, 'migrate', { output: [/Applied default:0001_initial/, /Applied default:0002_drop/] });

  // @covet/plugin-objects on SQLite: a view declared in a model file, created, then rolled back.
  const objects = join(project, 'plugin-objects');
  writeFiles(objects, {
    'covet.config.ts': config("{ engine: 'sqlite', name: './app.db' }", "['@covet/plugin-objects']"),
    'models/app.ts': `import { defineTable, t } from '@covet/core';
import { defineView } from '@covet/plugin-objects';

export const users = defineTable('users', {
  id: t.serial().primaryKey(),
  active: t.boolean().notNull().default(true),
});

export const activeUsers = defineView('active_users', 'SELECT id FROM users WHERE active');
`,
  });
  covet(objects, 'makemigrations --name initial', { output: [/Create table users/, /Create view active_users/] });
  covet(objects, 'migrate', { output: [/Applied default:\d{14}_initial/] });
  const views = () => {
    const script = `const db = new (require('better-sqlite3'))('app.db', { readonly: true });
      console.log(JSON.stringify(db.prepare("SELECT name FROM sqlite_master WHERE type = 'view'").all().map((row) => row.name)));`;
    return JSON.parse(run('inspect app.db', process.execPath, ['-e', script], { cwd: objects, env, timeout: MINUTE }).stdout);
  };
  if (JSON.stringify(views()) !== '["active_users"]') fail('plugin-objects migrate', `views in app.db: ${JSON.stringify(views())}, expected ["active_users"]`);
  covet(objects, 'rollback', { output: [/Rolled back default:\d{14}_initial/] });
  if (views().length !== 0) fail('plugin-objects rollback', `views left in app.db: ${JSON.stringify(views())}`);

  // @covet/dialect-pglite: PostgreSQL in WebAssembly on a data directory, with a materialized view.
  const pglite = join(project, 'dialect-pglite');
  writeFiles(pglite, {
    'covet.config.ts': config("{ engine: 'pglite', name: './.pglite' }", "['@covet/plugin-objects']"),
    'models/app.ts': `import { defineTable, t } from '@covet/core';
import { defineView } from '@covet/plugin-objects';

export const posts = defineTable('posts', {
  id: t.serial().primaryKey(),
  author_id: t.integer().notNull(),
});

export const postCounts = defineView('post_counts', 'SELECT author_id, count(*) AS n FROM posts GROUP BY author_id', { materialized: true });
`,
  });
  covet(pglite, 'makemigrations --name initial', { output: [/Create table posts/, /Create materialized view post_counts/] });
  covet(pglite, 'migrate', { output: [/Applied default:\d{14}_initial/] });
  covet(pglite, 'showmigrations', { output: [/\[X\] \d{14}_initial/] });
  covet(pglite, 'makemigrations --check', { output: [/No changes detected/] });
  covet(pglite, 'rollback', { output: [/Rolled back default:\d{14}_initial/] });
  covet(pglite, 'showmigrations', { output: [/\[ \] \d{14}_initial/] });
  return commands;
}

/**
 * After the install: every package resolves inside the project (not the workspace), the `covet`
 * bin is linked there, and every entry point loads from CommonJS and from an ES module.
 */
function checkInstall(project, env, tarballs) {
  const names = [...tarballs.keys()];
  const script = `
    const { join, sep } = require('node:path');
    const { readFileSync } = require('node:fs');
    const project = process.cwd() + sep;
    const specifiers = [];
    for (const name of ${JSON.stringify(names)}) {
      const manifest = JSON.parse(readFileSync(join('node_modules', name, 'package.json'), 'utf8'));
      for (const key of Object.keys(manifest.exports ?? { '.': null })) {
        if (key === './package.json') continue;
        // @covet/core/testing registers vitest suites; vitest is its optional peer, not installed here.
        if (name === '@covet/core' && key === './testing') continue;
        specifiers.push(name + key.slice(1));
      }
    }
    for (const specifier of specifiers) {
      const path = require.resolve(specifier);
      if (!path.startsWith(project)) throw new Error(specifier + ' resolves outside the project: ' + path);
      require(specifier);
    }
    (async () => {
      for (const specifier of specifiers) await import(specifier);
      console.log(specifiers.join(' '));
    })().catch((error) => { console.error(error); process.exit(1); });`;
  const loaded = run('load the installed packages', process.execPath, ['-e', script], { cwd: project, env, timeout: 2 * MINUTE }).stdout.trim();
  log(`loaded from CommonJS and ES modules: ${loaded}`);
  if (!existsSync(join(project, 'node_modules', '.bin', 'covet'))) fail('npm install', 'node_modules/.bin/covet was not linked');
  const version = run('covet --version', 'npx', ['--no-install', 'covet', '--version'], { cwd: project, env, timeout: MINUTE }).stdout.trim();
  const cli = JSON.parse(readFileSync(join(project, 'node_modules/@covet/cli/package.json'), 'utf8'));
  if (!version.startsWith(`covet/${cli.version} `)) fail('covet --version', `printed "${version}", expected covet/${cli.version}`);
  log(`covet --version: ${version}`);
}

try {
  main();
} catch (error) {
  if (!(error instanceof StepFailure)) throw error;
  console.error(`\npack-test FAILED after ${((Date.now() - started) / 1000).toFixed(0)} s: ${error.message}`);
  console.error('(rerun with `pnpm test:pack`; COVET_PACK_KEEP=1 keeps the temp folders)');
  process.exitCode = 1;
}
