// An intended edit of an applied migration is accepted with `covet resolve NAME --accept-edit`
// (Flyway's `repair`): the row gets the file's new checksum, with when and by which command,
// and the schema is not touched. Checksums carry their scheme: a row of another scheme whose
// file text is the one applied is recomputed, not reported as an edit.
// (The same on PostgreSQL and MariaDB: the dialects' commands tests.)
import { afterAll, describe, expect, it } from 'vitest';
import { TestProject, failureShape, migrationSource, removeProjects } from './helpers.js';

afterAll(removeProjects);

const FIRST = '20260201000001_users';
const SECOND = '20260201000002_nickname';
const THIRD = '20260201000003_age';

const first = migrationSource(["op.createTable('users', { id: t.serial().primaryKey(), email: t.varchar(255).notNull() })"]);
const second = migrationSource(["op.addColumn('users', 'nickname', t.varchar(50))"], [FIRST]);
const third = migrationSource(["op.addColumn('users', 'age', t.integer())"], [SECOND]);

async function appliedProject(label: string): Promise<TestProject> {
  const project = TestProject.create(label, { files: { [`migrations/${FIRST}.ts`]: first, [`migrations/${SECOND}.ts`]: second } });
  const result = await project.run('migrate');
  expect(result.code, result.output).toBe(0);
  return project;
}

/** The one `error:` line of a refused command, which changed nothing. */
async function refused(project: TestProject, ...argv: string[]): Promise<string> {
  const before = project.snapshot();
  const result = await project.run(...argv);
  expect(result.code, result.output).toBe(1);
  expect(failureShape(result)).toEqual({ errorLines: 1, stackLines: 0 });
  expect(project.snapshot()).toEqual(before);
  return result.stderr.split('\n')[0]!;
}

describe('resolve --accept-edit', () => {
  it('an edited applied migration (exit 3) is accepted: the row gets the new checksum, when and by which command; migrate is clean; the schema untouched', async () => {
    const project = await appliedProject('accept-edit');
    const before = project.snapshot();
    // The intended edit (on SQLite the schema already matches: it keeps no varchar length).
    project.write(`migrations/${SECOND}.ts`, second.replace('t.varchar(50)', 't.varchar(80)'));
    const schema = project.snapshot().schema;

    const blocked = await project.run('migrate');
    expect(blocked.code, blocked.output).toBe(3);
    const edited = JSON.parse((await project.run('showmigrations', '--json')).stdout) as Record<string, unknown>[];
    expect(edited.map((entry) => entry.edited)).toEqual([undefined, true]);
    expect(blocked.stderr).toContain(`hint: Restore the file as it was applied (git checkout) and put the change in a new migration; or, if the edit is intended and the schema already matches it, accept it: covet resolve default:${SECOND} --accept-edit`);

    const accepted = await project.run('resolve', SECOND, '--accept-edit');
    expect(accepted.code, accepted.output).toBe(0);
    expect(accepted.stdout.trim()).toBe(`Accepted the edit of default:${SECOND}: its checksum is now the file's (the schema was not touched)`);
    expect(project.snapshot().schema).toEqual(schema);
    const [firstRow, secondRow] = project.tracking();
    expect(firstRow).toEqual(before.tracking[0]);
    expect(secondRow).toMatchObject({ id: before.tracking[1]!.id, applied_at: before.tracking[1]!.applied_at, edit_accepted_by: `covet resolve ${SECOND} --accept-edit` });
    expect(secondRow!.checksum).toMatch(/^v1:[0-9a-f]{64}$/);
    expect(secondRow!.checksum).not.toBe(before.tracking[1]!.checksum);
    expect(secondRow!.source_hash).not.toBe(before.tracking[1]!.source_hash);
    expect(String(secondRow!.edit_accepted_at)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);

    const migrated = await project.run('migrate');
    expect(migrated.code, migrated.output).toBe(0);
    expect(migrated.stdout).toContain('No migrations to apply.');

    const status = await project.run('showmigrations');
    expect(status.code, status.output).toBe(0);
    const line = status.stdout.split('\n').find((text) => text.includes(SECOND))!;
    expect(line).toMatch(new RegExp(`\\[X\\] ${SECOND}  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ  edit accepted \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ by covet resolve ${SECOND} --accept-edit$`));
    expect(status.stdout.split('\n').find((text) => text.includes(FIRST))).not.toContain('accepted');
    const json = await project.run('showmigrations', '--json');
    const entries = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(entries[0]).toEqual({ app: 'default', name: FIRST, applied: true, appliedAt: expect.any(String) });
    expect(entries[1]).toEqual({
      app: 'default',
      name: SECOND,
      applied: true,
      appliedAt: expect.any(String),
      editAccepted: { at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), by: `covet resolve ${SECOND} --accept-edit` },
    });

    // Accepted once: a second time there is nothing to accept.
    expect(await refused(project, 'resolve', SECOND, '--accept-edit')).toBe(
      `error: Migration default:${SECOND} was not edited since it was applied: there is nothing to accept (${project.path('migrations', `${SECOND}.ts`)})`,
    );
    // Rolled back with what the file says now.
    const rolledBack = await project.run('rollback');
    expect(rolledBack.code, rolledBack.output).toBe(0);
    expect(project.applied()).toEqual([`default:${FIRST}`]);
  });

  it('is refused, changing nothing, for a migration not applied, not edited, unknown, or whose file is missing', async () => {
    const project = await appliedProject('accept-edit-refused');
    project.write(`migrations/${THIRD}.ts`, third);
    expect(await refused(project, 'resolve', THIRD, '--accept-edit')).toBe(
      `error: Migration default:${THIRD} is not applied: there is nothing recorded to change (resolve --accept-edit)`,
    );
    expect(await refused(project, 'resolve', FIRST, '--accept-edit')).toBe(
      `error: Migration default:${FIRST} was not edited since it was applied: there is nothing to accept (${project.path('migrations', `${FIRST}.ts`)})`,
    );
    expect(await refused(project, 'resolve', '20990101000000_nothing', '--accept-edit')).toBe(
      'error: Migration default:20990101000000_nothing is not recorded as applied (resolve --accept-edit)',
    );
    expect((await project.run('migrate')).code).toBe(0);
    project.remove(`migrations/${THIRD}.ts`);
    const listing = JSON.parse((await project.run('showmigrations', '--json')).stdout) as Record<string, unknown>[];
    expect(listing.at(-1)).toEqual({ app: 'default', name: THIRD, applied: true, appliedAt: expect.any(String), missingFile: true });
    expect(await refused(project, 'resolve', THIRD, '--accept-edit')).toBe(
      `error: Migration default:${THIRD} is applied but its file is missing: there is no edit to accept (resolve --accept-edit)`,
    );
    expect((await project.run('resolve', THIRD, '--accept-edit', '--forget')).stderr.split('\n')[0]).toBe(
      'error: Say one of: --applied or --rolled-back (a migration left part-way), --forget (an applied migration whose file is gone), --accept-edit (an applied migration edited on purpose)',
    );
  });
});

describe('checksum schemes', () => {
  it('a row whose checksum is of another scheme, for the very text applied, is recomputed by migrate and not reported as an edit', async () => {
    const project = await appliedProject('checksum-scheme');
    const before = project.snapshot();
    const current = String(before.tracking[1]!.checksum);
    // As a Covet with another scheme would have written it.
    const db = project.open();
    db.prepare('UPDATE covet_migrations SET checksum = ? WHERE name = ?').run(`v0:${'0'.repeat(40)}`, SECOND);
    db.close();

    const status = await project.run('showmigrations', '--json');
    expect(status.code, status.output).toBe(0);
    expect((JSON.parse(status.stdout) as { edited?: boolean }[]).map((entry) => entry.edited)).toEqual([undefined, undefined]);

    const migrated = await project.run('migrate');
    expect(migrated.code, migrated.output).toBe(0);
    expect(migrated.stdout).toContain('No migrations to apply.');
    expect(project.snapshot()).toEqual(before);
    expect(project.tracking()[1]!.checksum).toBe(current);
  });

  it('a row of another scheme whose file text changed since cannot be compared: it is an edit (exit 3), and --accept-edit settles it', async () => {
    const project = await appliedProject('checksum-scheme-edited');
    const db = project.open();
    db.prepare('UPDATE covet_migrations SET checksum = ? WHERE name = ?').run(`v0:${'0'.repeat(40)}`, SECOND);
    db.close();
    project.write(`migrations/${SECOND}.ts`, `// reviewed\n${second}`);
    const before = project.snapshot();

    const blocked = await project.run('migrate');
    expect(blocked.code, blocked.output).toBe(3);
    expect(blocked.stderr.split('\n')[0]).toContain(`Applied migration default:${SECOND} was edited after it was applied`);
    expect(project.snapshot()).toEqual(before);

    expect((await project.run('resolve', SECOND, '--accept-edit')).code).toBe(0);
    expect(project.tracking()[1]!.checksum).toMatch(/^v1:[0-9a-f]{64}$/);
    expect((await project.run('migrate')).code).toBe(0);
  });
});
