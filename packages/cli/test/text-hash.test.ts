// Trusting what the database knows: an applied migration whose file text is unchanged (the
// SHA-256 of its normalised text equals the one recorded with its tracking row) is not
// evaluated by migrate or showmigrations, with or without Covet's caches. A changed text, or
// a file whose meaning can change without its text (a relative import), is evaluated and
// still detected as edited (exit 3).
import { rmSync } from 'node:fs';
import { createSqliteDialect } from '@covet/dialect-sqlite';
import { createCovet, findMigrationFiles, MigrationRunner, PlanCache, type DialectConnection } from '@covet/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loaderCacheFiles, migrationSource, removeProjects, TestProject } from './helpers.js';

afterAll(removeProjects);

declare global {
  // Set by a test: the guarded migration below throws when it is imported.
  var covetThrowOnImport: boolean | undefined;
}

afterEach(() => {
  globalThis.covetThrowOnImport = undefined;
});

const FIRST = '20260301000001_users';
const SECOND = '20260301000002_guarded';

const first = migrationSource(["op.createTable('users', { id: t.serial().primaryKey(), email: t.varchar(255).notNull() })"]);
/** A migration that throws when imported while the test says so (in-process or in a spawned binary). */
const guarded = [
  "import { defineMigration, op, t } from '@covet/core';",
  '',
  "if (globalThis.covetThrowOnImport || process.env.COVET_THROW_ON_IMPORT) throw new Error('imported although its text is unchanged');",
  '',
  'export default defineMigration({',
  `  dependencies: ['${FIRST}'],`,
  "  operations: [op.addColumn('users', 'nickname', t.varchar(50))],",
  '});',
  '',
].join('\n');

/** Forgets every cache: the loader's and the compiled plans. */
function dropCaches(project: TestProject): void {
  for (const file of loaderCacheFiles(project.dir)) rmSync(file, { force: true });
  rmSync(PlanCache.forProject(project.dir, 'sqlite').file, { force: true });
}

async function appliedProject(label: string, files: Record<string, string> = {}): Promise<TestProject> {
  const project = TestProject.create(label, { files: { [`migrations/${FIRST}.ts`]: first, [`migrations/${SECOND}.ts`]: guarded, ...files } });
  const result = await project.run('migrate');
  expect(result.code, result.output).toBe(0);
  expect(project.applied()).toEqual([`default:${FIRST}`, `default:${SECOND}`]);
  return project;
}

describe('text hashes of applied migrations', () => {
  for (const caches of ['with caches', 'without caches'] as const) {
    it(`a file whose text is unchanged is never imported by migrate or showmigrations (${caches})`, async () => {
      const project = await appliedProject(`hash-noop-${caches.replace(' ', '-')}`);
      const rows = project.rows('SELECT name, source_hash, dependencies FROM covet_migrations ORDER BY id');
      expect(rows.map((row) => row.source_hash)).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/), expect.stringMatching(/^[0-9a-f]{64}$/)]);
      expect(rows[1]!.dependencies).toBe(JSON.stringify([`default:${FIRST}`]));
      if (caches === 'without caches') dropCaches(project);
      const before = project.snapshot();

      globalThis.covetThrowOnImport = true;
      const migrated = await project.run('migrate');
      expect(migrated.code, migrated.output).toBe(0);
      expect(migrated.stdout).toContain('No migrations to apply.');
      const status = await project.run('showmigrations');
      expect(status.code, status.output).toBe(0);
      expect(status.stdout).toMatch(new RegExp(`\\[X\\] ${SECOND}`));
      expect(status.output).not.toContain('edited');
      expect(project.snapshot()).toEqual(before);

      // The real binary in a fresh process, as on a deploy.
      if (caches === 'without caches') dropCaches(project);
      const spawned = await project.spawn(['migrate'], { env: { COVET_THROW_ON_IMPORT: '1' } });
      expect(spawned.code, spawned.output).toBe(0);
      expect(spawned.stdout).toContain('No migrations to apply.');

      // A changed text is evaluated: here the import throws, naming the file.
      project.write(`migrations/${SECOND}.ts`, `${guarded}// reviewed\n`);
      const changed = await project.run('migrate');
      expect(changed.code, changed.output).toBe(1);
      expect(changed.stderr).toContain('imported although its text is unchanged');
      expect(changed.stderr).toContain(`${SECOND}.ts`);
      expect(project.snapshot()).toEqual(before);
    });
  }

  it('a CRLF and BOM re-save is not evaluated and not an edit', async () => {
    const project = await appliedProject('hash-crlf');
    dropCaches(project);
    const before = project.snapshot();
    project.write(`migrations/${SECOND}.ts`, Buffer.from(`\uFEFF${guarded.replace(/\n/g, '\r\n')}`, 'utf8'));
    globalThis.covetThrowOnImport = true;
    for (const argv of [['migrate'], ['showmigrations']]) {
      const result = await project.run(...argv);
      expect(result.code, result.output).toBe(0);
      expect(result.output).not.toContain('edited');
    }
    expect(project.snapshot()).toEqual(before);
  });

  it('an edited text is detected (exit 3) with or without caches; a reformatted one is verified once, then trusted', async () => {
    const project = await appliedProject('hash-edited');
    globalThis.covetThrowOnImport = false;
    const recorded = project.rows('SELECT source_hash FROM covet_migrations ORDER BY id');
    for (const dropped of [false, true]) {
      if (dropped) dropCaches(project);
      project.write(`migrations/${SECOND}.ts`, guarded.replace('t.varchar(50)', 't.varchar(80)'));
      const before = project.snapshot();
      const result = await project.run('migrate');
      expect(result.code, result.output).toBe(3);
      expect(result.stderr.split('\n')[0]).toContain(`Applied migration default:${SECOND} was edited`);
      expect(project.snapshot()).toEqual(before);
    }

    // Same operations, new formatting: evaluated, found unchanged, and its new hash recorded.
    project.write(`migrations/${SECOND}.ts`, guarded.replace("op.addColumn('users', 'nickname', t.varchar(50))", "op.addColumn(\n    'users',\n    'nickname',\n    t.varchar(50),\n  )"));
    const reformatted = await project.run('migrate');
    expect(reformatted.code, reformatted.output).toBe(0);
    const updated = project.rows('SELECT source_hash FROM covet_migrations ORDER BY id');
    expect(updated[0]).toEqual(recorded[0]);
    expect(updated[1]!.source_hash).not.toEqual(recorded[1]!.source_hash);
    dropCaches(project);
    globalThis.covetThrowOnImport = true;
    const trusted = await project.run('migrate');
    expect(trusted.code, trusted.output).toBe(0);
  });

  for (const caches of ['with caches', 'without caches'] as const) {
    it(`operations changed through a relative import are detected (exit 3) though the file's text is unchanged (${caches})`, async () => {
      const withImport = [
        "import { defineMigration, op } from '@covet/core';",
        "import { nickname } from './shared/columns';",
        '',
        'export default defineMigration({',
        `  dependencies: ['${FIRST}'],`,
        "  operations: [op.addColumn('users', 'nickname', nickname)],",
        '});',
        '',
      ].join('\n');
      const columns = (length: number) => `import { t } from '@covet/core';\n\nexport const nickname = t.varchar(${length});\n`;
      const project = await appliedProject(`hash-import-${caches.replace(' ', '-')}`, {
        [`migrations/${SECOND}.ts`]: withImport,
        'migrations/shared/columns.ts': columns(50),
      });
      // The text hash is not recorded for such a file: it cannot vouch for it.
      expect(project.rows('SELECT source_hash FROM covet_migrations ORDER BY id')[1]!.source_hash).toBeNull();

      project.write('migrations/shared/columns.ts', columns(80));
      if (caches === 'without caches') dropCaches(project);
      const before = project.snapshot();
      for (const argv of [['migrate'], ['rollback']]) {
        const result = await project.run(...argv);
        expect(result.code, result.output).toBe(3);
        expect(result.stderr.split('\n')[0]).toContain(`Applied migration default:${SECOND} was edited`);
      }
      const status = await project.run('showmigrations');
      expect(status.stdout.split('\n').find((line) => line.includes(SECOND))).toContain('edited since applied');
      expect(project.snapshot()).toEqual(before);
    });
  }

  it('rows written before text hashes were recorded are filled by the next migrate, then trusted', async () => {
    const project = await appliedProject('hash-fill');
    const db = project.open();
    db.exec('UPDATE covet_migrations SET source_hash = NULL, dependencies = NULL');
    db.close();
    const migrated = await project.run('migrate');
    expect(migrated.code, migrated.output).toBe(0);
    const rows = project.rows('SELECT source_hash, dependencies FROM covet_migrations ORDER BY id');
    expect(rows).toEqual([
      { source_hash: expect.stringMatching(/^[0-9a-f]{64}$/), dependencies: '[]' },
      { source_hash: expect.stringMatching(/^[0-9a-f]{64}$/), dependencies: JSON.stringify([`default:${FIRST}`]) },
    ]);
    dropCaches(project);
    globalThis.covetThrowOnImport = true;
    expect((await project.run('migrate')).code).toBe(0);
  });

  it('a no-op migrate reads the tracking table with one query', async () => {
    const project = await appliedProject('hash-queries');
    dropCaches(project);
    globalThis.covetThrowOnImport = true;
    const dialect = createSqliteDialect();
    const connection = await dialect.connect({ engine: 'sqlite', name: project.dbPath });
    const calls: string[] = [];
    const counted = new Proxy(connection, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (['query', 'execute', 'executeAll', 'tableExists', 'tableColumns', 'transaction'].includes(String(property))) calls.push(String(property));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as DialectConnection;
    const covet = createCovet({ plugins: [] });
    try {
      const runner = new MigrationRunner({
        covet,
        dialect,
        connection: counted,
        migrations: findMigrationFiles({ sources: [{ app: 'default', directory: project.path('migrations') }], operations: covet.operations }),
      });
      const summary = await runner.migrate();
      expect(summary.migrations).toEqual([]);
      expect(calls).toEqual(['query']);
    } finally {
      await connection.close();
    }
  });
});

describe('migration file names', () => {
  it('a file that looks like a migration but breaks the naming rule stops every command, naming the file and the rule', async () => {
    const project = await appliedProject('names-misnamed');
    const before = project.snapshot();
    project.write('migrations/20260301000003_add-age.ts', migrationSource(["op.addColumn('users', 'age', t.integer())"], [SECOND]));
    // Helpers the migrations may import are not migrations.
    project.write('migrations/_helpers.ts', 'export const x = 1;\n');
    for (const argv of [['migrate'], ['showmigrations'], ['rollback']]) {
      const result = await project.run(...argv);
      expect(result.code, `${argv.join(' ')}: ${result.output}`).toBe(1);
      const [error, hint] = result.stderr.split('\n');
      expect(error).toBe(
        `error: Migration file 20260301000003_add-age.ts does not match the naming rule: letters, digits and underscores, starting with a letter or digit, as in 20261124120000_add_users.ts (${project.path('migrations', '20260301000003_add-age.ts')})`,
      );
      expect(hint).toContain('Rename it');
      expect(project.snapshot()).toEqual(before);
    }
    project.remove('migrations/20260301000003_add-age.ts');
    project.write('migrations/20260301000003_add_age.ts', migrationSource(["op.addColumn('users', 'age', t.integer())"], [SECOND]));
    const migrated = await project.run('migrate');
    expect(migrated.code, migrated.output).toBe(0);
    expect(project.applied()).toEqual([`default:${FIRST}`, `default:${SECOND}`, 'default:20260301000003_add_age']);
  });
});
