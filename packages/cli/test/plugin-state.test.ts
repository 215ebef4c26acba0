// Plugin state end to end on SQLite: a views plugin (fixtures/plugins/covet-plugin-test-views,
// public exports only, listed by package name) declares a view in a model file; makemigrations
// detects it, changes and drops it with reverses that carry the old definition, and rollback
// restores it. The same loop runs on PostgreSQL and MariaDB in their dialect packages.
import { afterAll, describe, expect, it } from 'vitest';
import { FIRST, SECOND, installViewsPlugin, viewModels as models } from '../../../fixtures/plugins/test-views-project.cjs';
import { TestProject, configSource, removeProjects } from './helpers.js';

afterAll(removeProjects);


function viewsProject(label: string): TestProject {
  const project = TestProject.create(label, {
    config: configSource("  plugins: ['covet-plugin-test-views'],"),
    files: { 'models/app.ts': models(FIRST) },
  });
  installViewsPlugin(project.dir);
  return project;
}

/** The SQL SQLite keeps for the view, or undefined when there is none. */
const viewSql = (project: TestProject) => project.schema().find((entry) => entry.type === 'view' && entry.name === 'active_users')?.sql ?? undefined;

describe('plugin state (a views plugin) on SQLite', () => {
  it('creates, replaces and drops a model view; rollback restores each old definition', async () => {
    const project = viewsProject('plugin-state-views');
    const run = async (...argv: string[]) => {
      const result = await project.run(...argv);
      expect(result.code, `${argv.join(' ')}: ${result.output}`).toBe(0);
      return result;
    };

    const created = await run('makemigrations', '--name', 'initial');
    expect(created.stdout).toContain('Create view active_users');
    const [initial] = project.migrationNames();
    const initialSource = project.read(`migrations/${initial}.ts`);
    expect(initialSource).toContain("import { views } from 'covet-plugin-test-views';");
    expect(initialSource).toContain(`views.createView("active_users", ${JSON.stringify(FIRST)})`);
    // The view comes after the table it reads.
    expect(initialSource.indexOf('op.createTable')).toBeLessThan(initialSource.indexOf('views.createView'));
    await run('migrate');
    expect(viewSql(project)).toBe(`CREATE VIEW "active_users" AS ${FIRST}`);
    expect((await run('makemigrations')).stdout.trim()).toBe('No changes detected.');
    // Against the live tables, with the plugin state of the migrations (introspectors read tables only).
    expect((await run('makemigrations', '--from', 'database')).stdout.trim()).toBe('No changes detected.');

    // A changed definition: a replace, whose reverse is the old definition.
    project.write('models/app.ts', models(SECOND));
    expect((await run('makemigrations', '--name', 'second')).stdout).toContain('Replace view active_users');
    const second = project.migrationNames()[1]!;
    expect(project.read(`migrations/${second}.ts`)).toContain(`views.replaceView("active_users", ${JSON.stringify(SECOND)})`);
    await run('migrate');
    expect(viewSql(project)).toBe(`CREATE VIEW "active_users" AS ${SECOND}`);

    // Removed from the models: a drop; its reverse, from the state before it, re-creates the old view.
    project.write('models/app.ts', models());
    expect((await run('makemigrations', '--name', 'drop_view')).stdout).toContain('Drop view active_users');
    const dropped = project.migrationNames()[2]!;
    expect(project.read(`migrations/${dropped}.ts`)).toContain('views.dropView("active_users")');
    const backwards = await run('sqlmigrate', dropped, '--backwards');
    expect(backwards.stdout).toContain(`CREATE VIEW "active_users" AS ${SECOND}`);
    await run('migrate');
    expect(viewSql(project)).toBeUndefined();

    await run('rollback');
    expect(viewSql(project)).toBe(`CREATE VIEW "active_users" AS ${SECOND}`);
    expect(project.applied()).toEqual([`default:${initial}`, `default:${second}`]);
    // The drop is still a migration file: the models and the migrations agree.
    expect((await run('makemigrations')).stdout.trim()).toBe('No changes detected.');

    await run('rollback');
    expect(viewSql(project)).toBe(`CREATE VIEW "active_users" AS ${FIRST}`);
    await run('migrate');
    expect(viewSql(project)).toBeUndefined();
    expect(project.migrationNames()).toHaveLength(3);
  });

  it('stops makemigrations naming a model view no listed plugin handles, writing nothing', async () => {
    const project = viewsProject('plugin-state-unlisted');
    project.write('covet.config.ts', configSource());
    const result = await project.run('makemigrations');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: The detected changes do not reach the models: views "active_users" is not created');
    expect(result.stderr).toContain('hint: Operations for plugin objects come from the plugin that declares namespace "views"');
    expect(project.migrationNames()).toEqual([]);
  });
});
