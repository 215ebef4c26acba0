// A migration that fails half-way leaves nothing behind; migrations before it in the same run
// stay applied (MigrationRunner.migrate: "Migrations applied before the failure stay
// committed: only the failed one is undone").
import { afterAll, describe, expect, it } from 'vitest';
import { TestProject, failureShape, migrationSource, removeProjects } from './helpers.js';

afterAll(removeProjects);

const BASE = '20260101000001_base';
const VALID = '20260101000002_valid';
const BROKEN = '20260101000003_broken';

const baseMigration = migrationSource(["op.createTable('base', { id: t.serial().primaryKey(), label: t.text() })"]);
const validMigration = migrationSource(
  ["op.createTable('good', { id: t.serial().primaryKey(), label: t.text() })", "op.runSql(\"INSERT INTO good (label) VALUES ('kept')\", 'DELETE FROM good')"],
  [BASE],
);
const brokenMigration = (dependency: string) =>
  migrationSource(
    [
      "op.createTable('fail_a', { id: t.serial().primaryKey() })",
      "op.addColumn('base', 'extra', t.integer())",
      "op.runSql('INSERT INTO missing_table VALUES (1)')",
    ],
    [dependency],
  );

function expectBrokenReported(project: TestProject, result: { code: number; stderr: string; output: string }): void {
  expect(result.code, result.output).not.toBe(0);
  const [error] = result.stderr.split('\n');
  expect(error).toContain(`default:${BROKEN}`);
  expect(error).toContain('operation #3');
  expect(error).toContain(project.path('migrations', `${BROKEN}.ts`));
  expect(error).toContain('missing_table');
  expect(result.stderr).toContain('hint: SQL: INSERT INTO missing_table VALUES (1)');
  expect(failureShape(result as never)).toEqual({ errorLines: 1, stackLines: 0 });
}

describe('a migration whose third operation fails', () => {
  it('changes nothing: schema and tracking table exactly as before', async () => {
    const project = TestProject.create('atomic-alone', { files: { [`migrations/${BASE}.ts`]: baseMigration, [`migrations/${VALID}.ts`]: validMigration } });
    expect((await project.run('migrate')).code).toBe(0);
    const db = project.open();
    db.exec("INSERT INTO base (label) VALUES ('row')");
    db.close();
    const before = project.snapshot();
    expect(before.tracking).toHaveLength(2);

    project.write(`migrations/${BROKEN}.ts`, brokenMigration(VALID));
    const result = await project.run('migrate');
    expectBrokenReported(project, result);
    expect(project.snapshot()).toEqual(before);
    expect(project.rows('SELECT label FROM base')).toEqual([{ label: 'row' }]);
    expect(project.columns('base').map((c) => c.name)).toEqual(['id', 'label']);

    // Still pending, and the same failure again on the next run.
    const again = await project.run('migrate');
    expectBrokenReported(project, again);
    expect(project.snapshot()).toEqual(before);
  });

  it('on a new database, a failing first migration leaves no table behind, not even covet_migrations', async () => {
    const project = TestProject.create('atomic-first', {
      files: {
        [`migrations/${BASE}.ts`]: migrationSource([
          "op.createTable('a', { id: t.serial().primaryKey() })",
          "op.runSql('INSERT INTO missing_table VALUES (1)')",
        ]),
      },
    });
    const result = await project.run('migrate');
    expect(result.code, result.output).toBe(1);
    expect(result.stderr).toContain(`default:${BASE} failed at operation #2`);
    expect(project.schema()).toEqual([]);
  });

  it('a valid migration before it in the same run is applied and committed; the failed one is not', async () => {
    const project = TestProject.create('atomic-run', { files: { [`migrations/${BASE}.ts`]: baseMigration } });
    expect((await project.run('migrate')).code).toBe(0);
    const before = project.snapshot();

    project.write(`migrations/${VALID}.ts`, validMigration);
    project.write(`migrations/${BROKEN}.ts`, brokenMigration(VALID));
    const result = await project.run('migrate');
    expectBrokenReported(project, result);
    expect(result.stdout).toContain(`Applied default:${VALID}`);
    expect(result.stdout).not.toContain(`Applied default:${BROKEN}`);

    const after = project.snapshot();
    // Tracking: the rows that were there, unchanged, plus the valid migration's.
    expect(after.tracking.slice(0, before.tracking.length)).toEqual(before.tracking);
    expect(after.tracking.slice(before.tracking.length).map((row) => `${String(row.app)}:${String(row.name)}`)).toEqual([`default:${VALID}`]);
    // Schema: what was there plus the table of the valid migration, nothing of the broken one.
    const added = after.schema.filter((entry) => !before.schema.some((old) => JSON.stringify(old) === JSON.stringify(entry)));
    expect(added.map((entry) => `${entry.type}:${entry.name}`)).toEqual(['table:good']);
    expect(after.schema.filter((entry) => before.schema.some((old) => JSON.stringify(old) === JSON.stringify(entry)))).toEqual(before.schema);
    expect(project.rows('SELECT label FROM good')).toEqual([{ label: 'kept' }]);
    expect(project.tables()).not.toContain('fail_a');
    expect(project.columns('base').map((c) => c.name)).toEqual(['id', 'label']);

    // A new process sees the same committed state.
    const status = await project.run('showmigrations', '--json');
    expect(JSON.parse(status.stdout).map((row: { name: string; applied: boolean }) => [row.name, row.applied])).toEqual([
      [BASE, true],
      [VALID, true],
      [BROKEN, false],
    ]);

    // Fixing the broken migration lets it apply.
    project.write(
      `migrations/${BROKEN}.ts`,
      brokenMigration(VALID).replace('INSERT INTO missing_table VALUES (1)', 'INSERT INTO base (label) VALUES (NULL)'),
    );
    const fixed = await project.run('migrate');
    expect(fixed.code, fixed.output).toBe(0);
    expect(project.applied()).toEqual([`default:${BASE}`, `default:${VALID}`, `default:${BROKEN}`]);
    expect(project.tables()).toContain('fail_a');
  });
});
