// An applied migration edited afterwards blocks migrate (exit 3); line endings, a BOM and
// formatting are not edits.
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { TestProject, failureShape, pluginConfig, loaderCacheFiles, migrationSource, removeProjects } from './helpers.js';

afterAll(removeProjects);

const FIRST = '20260201000001_users';
const SECOND = '20260201000002_nickname';

const first = migrationSource(["op.createTable('users', { id: t.serial().primaryKey(), email: t.varchar(255).notNull() })"]);
const second = migrationSource(["op.addColumn('users', 'nickname', t.varchar(50))"], [FIRST]);

/**
 * Forgets what the loader cached, so the next run imports every file it does not trust by its
 * recorded text hash. (A run that trusted every file by its text hash wrote no cache.)
 */
function dropLoaderCache(project: TestProject): void {
  for (const file of loaderCacheFiles(project.dir)) rmSync(file, { force: true });
  expect(loaderCacheFiles(project.dir)).toEqual([]);
}

async function appliedProject(label: string): Promise<TestProject> {
  const project = TestProject.create(label, { files: { [`migrations/${FIRST}.ts`]: first, [`migrations/${SECOND}.ts`]: second } });
  const result = await project.run('migrate');
  expect(result.code, result.output).toBe(0);
  expect(project.applied()).toEqual([`default:${FIRST}`, `default:${SECOND}`]);
  return project;
}

describe('edited applied migrations', () => {
  it('an edited operation blocks migrate and rollback with exit code 3 naming the migration and file', async () => {
    const project = await appliedProject('checksum-edited');
    const before = project.snapshot();
    project.write(`migrations/${SECOND}.ts`, second.replace('t.varchar(50)', 't.varchar(80)'));
    // A new pending migration must not be applied either.
    project.write('migrations/20260201000003_more.ts', migrationSource(["op.addColumn('users', 'age', t.integer())"], [SECOND]));

    for (const argv of [['migrate'], ['rollback']]) {
      const result = await project.run(...argv);
      expect(result.code, result.output).toBe(3);
      const [error] = result.stderr.split('\n');
      expect(error).toContain(`default:${SECOND}`);
      expect(error).toContain(project.path('migrations', `${SECOND}.ts`));
      expect(error).toContain('edited');
      expect(failureShape(result)).toEqual({ errorLines: 1, stackLines: 0 });
      expect(project.snapshot()).toEqual(before);
    }

    const status = await project.run('showmigrations');
    expect(status.code, status.output).toBe(0);
    const line = status.stdout.split('\n').find((text) => text.includes(SECOND))!;
    expect(line).toMatch(/\[X\]/);
    expect(line).toContain('edited since applied');
    const untouched = status.stdout.split('\n').find((text) => text.includes(FIRST))!;
    expect(untouched).not.toContain('edited');

    // Putting the file back unblocks it.
    project.write(`migrations/${SECOND}.ts`, second);
    const restored = await project.run('migrate');
    expect(restored.code, restored.output).toBe(0);
    expect(project.applied()).toEqual([`default:${FIRST}`, `default:${SECOND}`, 'default:20260201000003_more']);
  });

  it('an edited dependency list counts as an edit too', async () => {
    const project = await appliedProject('checksum-deps');
    const before = project.snapshot();
    project.write(`migrations/${SECOND}.ts`, migrationSource(["op.addColumn('users', 'nickname', t.varchar(50))"]));
    const result = await project.run('migrate');
    expect(result.code, result.output).toBe(3);
    expect(result.stderr).toContain(`default:${SECOND}`);
    expect(project.snapshot()).toEqual(before);
  });

  for (const cache of ['with the loader cache', 'without the loader cache'] as const) {
    it(`CRLF line endings, a BOM and new formatting are not edits (${cache})`, async () => {
      const project = await appliedProject('checksum-crlf');
      const before = project.snapshot();
      const crlf = `\uFEFF${second.replace(/\n/g, '\r\n')}`;
      project.write(`migrations/${SECOND}.ts`, Buffer.from(crlf, 'utf8'));
      expect(project.read(`migrations/${SECOND}.ts`).startsWith('\uFEFF')).toBe(true);
      if (cache === 'without the loader cache') dropLoaderCache(project);

      const migrated = await project.run('migrate');
      expect(migrated.code, migrated.output).toBe(0);
      expect(migrated.stdout).toContain('No migrations to apply.');
      expect(project.snapshot()).toEqual(before);
      const status = await project.run('showmigrations');
      expect(status.stdout).not.toContain('edited');

      // Re-indented on one line, with a comment: the same operations, the same checksum.
      project.write(
        `migrations/${SECOND}.ts`,
        `// reformatted\r\nimport { defineMigration, op, t } from "@covet/core";\r\nexport default defineMigration({ dependencies: ["${FIRST}"], operations: [op.addColumn("users", "nickname", t.varchar(50))] });`,
      );
      if (cache === 'without the loader cache') dropLoaderCache(project);
      const again = await project.run('migrate');
      expect(again.code, again.output).toBe(0);
      // Unchanged but for the text hash of the reformatted file, recorded once it was verified.
      const withoutHashes = (snapshot: ReturnType<TestProject['snapshot']>) => ({
        ...snapshot,
        tracking: snapshot.tracking.map(({ source_hash: _, ...row }) => row),
      });
      expect(withoutHashes(project.snapshot())).toEqual(withoutHashes(before));
      expect(project.tracking()[1]!.source_hash).not.toBe(before.tracking[1]!.source_hash);
      expect(project.tracking()[0]!.source_hash).toBe(before.tracking[0]!.source_hash);
      const rolled = await project.run('rollback');
      expect(rolled.code, rolled.output).toBe(0);
      expect(project.applied()).toEqual([`default:${FIRST}`]);
    });
  }
});

describe('migration meta', () => {
  const withMeta = (meta: string) => migrationSource(["op.addColumn('users', 'nickname', t.varchar(50))"], [FIRST], `  meta: ${meta},`);

  for (const cache of ['with the loader cache', 'without the loader cache'] as const) {
    it(`an edit to meta is an edit (exit 3), and a plugin sees meta (${cache})`, async () => {
      const project = TestProject.create('checksum-meta', {
        files: { [`migrations/${FIRST}.ts`]: first, [`migrations/${SECOND}.ts`]: withMeta("{ reviewedBy: 'ana' }") },
      });
      const config = pluginConfig('metaLog', 'meta-log', `
    covet.hooks.validateMigration.tap('meta-log', (migration) => {
      appendFileSync(${JSON.stringify(project.path('meta.log'))}, migration.name + ' ' + JSON.stringify(migration.meta ?? null) + '\\n');
    });`, `import { appendFileSync } from 'node:fs';
`);
      project.write('covet.config.ts', config);
      const migrated = await project.run('migrate');
      expect(migrated.code, migrated.output).toBe(0);
      expect(project.read('meta.log').trim().split('\n')).toEqual([`${FIRST} null`, `${SECOND} {"reviewedBy":"ana"}`]);
      const before = project.snapshot();

      // With the cache, the file is unchanged and its meta comes from the cache; without, the
      // same meta written differently is not an edit.
      if (cache === 'without the loader cache') {
        project.write(`migrations/${SECOND}.ts`, withMeta('{ "reviewedBy": "ana" }'));
        dropLoaderCache(project);
      }
      project.remove('meta.log');
      const rolledBack = await project.run('rollback');
      expect(rolledBack.code, rolledBack.output).toBe(0);
      expect(project.read('meta.log').trim()).toBe(`${SECOND} {"reviewedBy":"ana"}`);
      expect((await project.run('migrate')).code).toBe(0);
      expect(project.snapshot().schema).toEqual(before.schema);
      const applied = project.snapshot();

      for (const edited of ["{ reviewedBy: 'bob' }", "{ reviewedBy: 'ana', allowDrop: true }"]) {
        project.write(`migrations/${SECOND}.ts`, withMeta(edited));
        if (cache === 'without the loader cache') dropLoaderCache(project);
        const result = await project.run('migrate');
        expect(result.code, result.output).toBe(3);
        expect(result.stderr.split('\n')[0]).toContain(`Applied migration default:${SECOND} was edited after it was applied`);
        expect(project.snapshot()).toEqual(applied);
      }
      // Removing meta is an edit as well.
      project.write(`migrations/${SECOND}.ts`, second);
      expect((await project.run('migrate')).code).toBe(3);
    });
  }

  it('meta that is not JSON is refused with the member and the file named, before any SQL', async () => {
    const project = TestProject.create('checksum-meta-invalid', {
      files: { [`migrations/${FIRST}.ts`]: first, [`migrations/${SECOND}.ts`]: withMeta('{ reviewedAt: new Date(0) }') },
    });
    const result = await project.run('migrate');
    expect(result.code, result.output).toBe(1);
    expect(result.stderr.split('\n')[0]).toBe(`error: meta.reviewedAt is not JSON: a Date object (${project.path('migrations', `${SECOND}.ts`)})`);
    expect(failureShape(result)).toEqual({ errorLines: 1, stackLines: 0 });
    expect(project.schema()).toEqual([]);
  });
});
