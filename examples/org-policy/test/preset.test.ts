// The organization's preset shared by two projects, as npm would lay them out: a scratch folder
// with node_modules/@acme/covet-preset (a copy of this package, which the test may change and
// rebuild, as the organization would release a new version) and the two example projects, each
// listing '@acme/covet-preset' by name. Each command runs the covet binary in a process of its
// own, so a rebuilt preset is loaded afresh.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LintReport } from '@covet/plugin-policy';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PACKAGE = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLES = dirname(PACKAGE);
const require = createRequire(join(PACKAGE, 'package.json'));
const COVET_BIN = join(dirname(require.resolve('@covet/cli/package.json')), 'bin', 'covet.cjs');

interface App {
  readonly folder: string;
  readonly app: string;
  readonly modelFile: string;
  readonly table: string;
  /** The model line the test removes: a column, so `makemigrations` writes a drop. */
  readonly dropped: string;
  readonly droppedColumn: string;
}

const APPS: readonly App[] = [
  { folder: 'org-app-a', app: 'shop', modelFile: 'models/shop.ts', table: 'customers', dropped: '  name: t.text(),\n', droppedColumn: 'name' },
  { folder: 'org-app-b', app: 'crm', modelFile: 'models/crm.ts', table: 'contacts', dropped: '  phone: t.varchar(32),\n', droppedColumn: 'phone' },
];

let root = '';
const presetDir = () => join(root, 'node_modules', '@acme', 'covet-preset');

/** A link in the scratch node_modules to the package the example projects install. */
function linkPackage(name: string, from: string): void {
  const target = realpathSync(dirname(createRequire(join(from, 'package.json')).resolve(`${name}/package.json`)));
  const link = join(root, 'node_modules', name);
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(target, link, 'dir');
}

beforeAll(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'covet-org-preset-')));
  // The preset, copied (its own dependencies stay those installed for it).
  mkdirSync(presetDir(), { recursive: true });
  for (const entry of ['package.json', 'src', 'dist']) cpSync(join(PACKAGE, entry), join(presetDir(), entry), { recursive: true });
  symlinkSync(join(PACKAGE, 'node_modules'), join(presetDir(), 'node_modules'), 'dir');
  // What each project installs besides the preset.
  for (const name of ['@covet/cli', '@covet/core', '@covet/dialect-sqlite']) linkPackage(name, join(EXAMPLES, 'org-app-a'));
  linkPackage('@covet/plugin-policy', PACKAGE);
  for (const app of APPS) {
    for (const entry of ['package.json', 'covet.config.ts', 'models', 'migrations']) {
      cpSync(join(EXAMPLES, app.folder, entry), join(root, app.folder, entry), { recursive: true });
    }
  }
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function covet(app: App, ...argv: string[]): Run {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key !== 'DATABASE_URL' && !key.startsWith('DB_') && key !== 'FORCE_COLOR') env[key] = value;
  }
  const result = spawnSync(process.execPath, [COVET_BIN, ...argv], {
    cwd: join(root, app.folder),
    env: { ...env, NO_COLOR: '1' },
    encoding: 'utf8',
  });
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

function lint(app: App): { code: number; report: LintReport } {
  const result = covet(app, 'lint', '--json');
  return { code: result.code, report: JSON.parse(result.stdout) as LintReport };
}

function applied(app: App): boolean[] {
  const result = covet(app, 'showmigrations', '--json');
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { applied: boolean }[]).map((row) => row.applied);
}

/** Replaces `from` by `to` in a file of the scratch folder, failing when `from` is not there. */
function edit(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  expect(text, `${file} should hold ${JSON.stringify(from)}`).toContain(from);
  writeFileSync(file, text.replace(from, to));
}

/** The organization releases a new version of its preset: the changed source, built again. */
async function rebuildPreset(): Promise<void> {
  await build({
    entry: [join(presetDir(), 'src', 'index.ts')],
    outDir: join(presetDir(), 'dist'),
    format: ['esm', 'cjs'],
    target: 'node20',
    external: ['@covet/core', '@covet/plugin-policy'],
    dts: false,
    config: false,
    silent: true,
  });
}

describe('@acme/covet-preset, listed by name in two projects', () => {
  it('both projects get its rules, and a change of its options changes the result in both', async () => {
    for (const app of APPS) {
      // The committed migrations follow the rules.
      const clean = lint(app);
      expect(clean.code).toBe(0);
      expect(clean.report).toMatchObject({ dialect: 'sqlite', errors: 0, warnings: 0 });

      // A change that breaks a policy rule (a dropped column) and the naming plugin (a boolean not called is_...).
      const models = join(root, app.folder, app.modelFile);
      edit(models, app.dropped, '');
      edit(models, '  email: t.varchar(255).notNull()', '  archived: t.boolean().notNull().default(false),\n  email: t.varchar(255).notNull()');
      const made = covet(app, 'makemigrations', '--name', 'cleanup');
      expect(made.code, made.stderr).toBe(0);
      expect(made.stderr).toContain(`[destructive] ${app.app}:`);
      expect(made.stderr).toContain(`drops column "${app.table}.${app.droppedColumn}"`);
      expect(made.stderr).toContain(`[acme-naming] boolean column "${app.table}.archived" does not start with is_ or has_. Fix: call it "is_archived" (plugin "acme-naming")`);

      const broken = lint(app);
      expect(broken.code).toBe(1);
      expect(broken.report.findings.map((finding) => `${finding.rule} ${finding.level} ${finding.kind}`)).toEqual(['destructive error dropColumn']);

      // migrate refuses before any SQL: nothing applied, not even the first migration.
      const refused = covet(app, 'migrate');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^error: \[(destructive|acme-naming)\] .*\(plugin "(@covet\/plugin-policy|acme-naming)", hook validateOperation, migration /m);
      expect(applied(app)).toEqual([false, false]);
    }

    // The organization relaxes both rules to warnings and releases the preset again.
    const rules = join(presetDir(), 'src', 'rules.ts');
    edit(rules, "destructive: 'error'", "destructive: 'warn'");
    edit(rules, "level: 'error'", "level: 'warn'");
    await rebuildPreset();

    for (const app of APPS) {
      const relaxed = lint(app);
      expect(relaxed.code).toBe(0);
      expect(relaxed.report.findings.map((finding) => `${finding.rule} ${finding.level} ${finding.kind}`)).toEqual(['destructive warn dropColumn']);

      const migrated = covet(app, 'migrate');
      expect(migrated.code, migrated.stderr).toBe(0);
      expect(migrated.stderr).toContain(`warning: [destructive] ${app.app}:`);
      expect(migrated.stderr).toContain(`warning: [acme-naming] ${app.app}:`);
      expect(applied(app)).toEqual([true, true]);
    }
  });

  it('a project that lists the policy plugin too, with the preset\'s options, gets it once; with others, Covet names both', () => {
    const app = APPS[0]!;
    const config = join(root, app.folder, 'covet.config.ts');
    const original = readFileSync(config, 'utf8');
    const options = JSON.parse(
      covetEval(`JSON.stringify(require('@acme/covet-preset').POLICY_OPTIONS)`, app),
    ) as unknown;
    try {
      writeFileSync(config, original);
      const presetAlone = lint(app).report.findings;
      expect(presetAlone).toHaveLength(1);
      writeFileSync(config, original.replace("plugins: ['@acme/covet-preset']", `plugins: ['@acme/covet-preset', ['@covet/plugin-policy', ${JSON.stringify(options)}]]`));
      const once = lint(app);
      expect(once.code).toBe(0);
      expect(once.report.findings).toEqual(presetAlone);

      writeFileSync(config, original.replace("plugins: ['@acme/covet-preset']", `plugins: ['@acme/covet-preset', ['@covet/plugin-policy', { rules: { destructive: 'off' } }]]`));
      const twice = covet(app, 'lint');
      expect(twice.code).toBe(1);
      expect(twice.stderr).toContain('error: Two different plugins are named "@covet/plugin-policy": one from preset "@acme/covet-preset"');
    } finally {
      writeFileSync(config, original);
    }
  });
});

/** Evaluates `expression` with Node in the project's folder (to read what the installed preset exports). */
function covetEval(expression: string, app: App): string {
  const result = spawnSync(process.execPath, ['-p', expression], { cwd: join(root, app.folder), encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.trim();
}
