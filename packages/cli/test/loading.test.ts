// What the binary loads for each command (one chunk per command, see tsup.config.ts): a no-op
// migrate and showmigrations load neither the TypeScript compiler (esbuild), the writer, the
// prompts, nor the other commands; nor does a migrate of files such as the writer writes, or
// a covet.config.ts (compiled without esbuild: see plain-module.ts in core); a file with
// TypeScript syntax loads esbuild, and another command its own chunk. The binary runs with a
// --require module that lists, at exit, every module file it loaded.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loaderCacheFiles, migrationSource, removeProjects, TestProject } from './helpers.js';

afterAll(removeProjects);

/** Runs the binary in `project` and returns the module files it loaded (paths with forward slashes). */
async function loadedBy(project: TestProject, argv: string[]): Promise<string[]> {
  const list = project.path('loaded.json');
  const recorder = project.path('record-loaded.cjs');
  writeFileSync(
    recorder,
    `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, JSON.stringify(Object.keys(require.cache))));\n`,
  );
  rmSync(list, { force: true });
  const result = await project.spawn(argv, { env: { NODE_OPTIONS: `--require ${recorder}` } });
  expect(result.code, result.output).toBe(0);
  return (JSON.parse(readFileSync(list, 'utf8')) as string[]).map((file) => file.split('\\').join('/'));
}

const FIRST = '20260401000001_users';
const SECOND = '20260401000002_posts';

describe('modules loaded per command', () => {
  it('migrate and showmigrations load no compiler, writer, prompts or other command; a file with TypeScript syntax loads esbuild', async () => {
    const project = TestProject.create('loading', {
      files: {
        [`migrations/${FIRST}.ts`]: migrationSource(["op.createTable('users', { id: t.serial().primaryKey() })"]),
      },
    });
    const notForNoOp = /\/(esbuild|@covet\/writer-ts|writer-ts\/dist|@clack)\/|\/(makemigrations|squashmigrations|sqlmigrate|rollback|reset|resolve)-[A-Z0-9]+\.c?js$/;

    // Pending, and the config a covet.config.ts: plain JavaScript but for imports and exports,
    // evaluated without esbuild, and applied.
    expect(project.path('covet.config.ts')).toMatch(/covet\.config\.ts$/);
    const applying = await loadedBy(project, ['migrate']);
    expect(applying.filter((file) => notForNoOp.test(file))).toEqual([]);
    expect(applying.some((file) => /\/migrate-[A-Z0-9]+\.cjs$/.test(file))).toBe(true);
    expect(project.applied()).toEqual([`default:${FIRST}`]);

    // TypeScript syntax: esbuild compiles the file.
    project.write(`migrations/${SECOND}.ts`, migrationSource(["op.createTable('posts', { id: t.serial().primaryKey() } as const)"], [FIRST]));
    const compiling = await loadedBy(project, ['migrate']);
    expect(compiling.some((file) => file.includes('/esbuild/'))).toBe(true);
    expect(project.applied()).toEqual([`default:${FIRST}`, `default:${SECOND}`]);
    // Nothing to do, no cache of any kind (a fresh container): the files are hashed, not loaded.
    for (const file of loaderCacheFiles(project.dir)) rmSync(file, { force: true });
    rmSync(join(project.dir, 'node_modules'), { recursive: true, force: true });
    for (const argv of [['migrate'], ['showmigrations']]) {
      const loaded = await loadedBy(project, argv);
      expect(loaded.filter((file) => notForNoOp.test(file)), argv[0]).toEqual([]);
      expect(loaded.some((file) => file.includes('/dialect-sqlite/')), argv[0]).toBe(true);
    }

    // Another command loads its own chunk (a check that the list is what it seems).
    const sqlmigrate = await loadedBy(project, ['sqlmigrate', FIRST]);
    expect(sqlmigrate.some((file) => /\/sqlmigrate-[A-Z0-9]+\.cjs$/.test(file))).toBe(true);
  });
});
