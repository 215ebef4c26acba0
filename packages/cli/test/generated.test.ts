// Generated (computed) columns on SQLite through the covet binary: stored and virtual, built,
// read back equal (makemigrations and --from database find nothing, inspectdb writes them back),
// changed (a new expression or storage rebuilds the table; a virtual column is added by ALTER
// TABLE, a stored one by a rebuild; a generated column that becomes plain keeps its values),
// rolled back to the start. Arrays are PostgreSQL's: SQLite refuses them before anything runs.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { errorLines, modelSource, removeProjects, TestProject } from './helpers.js';

afterAll(removeProjects);

const MODELS = `
export const lines = defineTable('lines', {
  id: t.integer().primaryKey(),
  price: t.integer().notNull(),
  quantity: t.integer().notNull(),
  total: t.integer().generated(sql\`price * quantity\`, { stored: true }),
  label: t.text().generated(sql\`'#' || id\`),
});
`;

describe('generated columns on SQLite', () => {
  it('stored and virtual: created, equal to the models, changed, rolled back', { timeout: 120_000 }, async () => {
    const project = TestProject.create('generated', { files: { 'models/lines.ts': modelSource(MODELS) } });
    const ok = (...argv: string[]) => project.ok(...argv);
    const unchanged = () => project.expectUnchanged();
    await ok('makemigrations', '--name', 'initial');
    expect(readFileSync(project.path('migrations', project.migrationNames()[0]! + '.ts'), 'utf8')).toContain(
      "total: t.integer().generated(sql`price * quantity`, { stored: true }),",
    );
    await ok('migrate');
    const created = String(project.rows("SELECT sql FROM sqlite_master WHERE name = 'lines'")[0]!.sql);
    expect(created).toContain('"total" integer GENERATED ALWAYS AS (price * quantity) STORED');
    expect(created).toContain(`"label" text GENERATED ALWAYS AS ('#' || id) VIRTUAL`);
    const db = project.open();
    try {
      db.prepare('INSERT INTO lines (id, price, quantity) VALUES (1, 3, 4), (2, 5, 6)').run();
    } finally {
      db.close();
    }
    expect(project.rows('SELECT id, total, label FROM lines ORDER BY id')).toEqual([
      { id: 1, total: 12, label: '#1' },
      { id: 2, total: 30, label: '#2' },
    ]);
    await unchanged();

    // inspectdb writes the columns back as the models say them (on a copy without the tracking table).
    const inspected = TestProject.create('generated-inspect');
    const copy = project.open();
    try {
      copy.exec(`VACUUM INTO '${inspected.dbPath.replace(/'/g, "''")}'`);
    } finally {
      copy.close();
    }
    const target = inspected.open();
    try {
      for (const { name } of target.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'covet%'").all() as { name: string }[]) {
        target.exec(`DROP TABLE "${name}"`);
      }
    } finally {
      target.close();
    }
    await inspected.run('inspectdb').then((run) => expect(run.code, run.output).toBe(0));
    const written = readFileSync(inspected.path('models', 'lines.ts'), 'utf8');
    expect(written).toContain('total: t.integer().generated(sql`price * quantity`, { stored: true }),');
    expect(written).toContain("label: t.text().generated(sql`'#' || id`),");
    const fromInspected = await inspected.run('makemigrations', '--from', 'database', '--dry-run');
    expect(fromInspected.stdout, fromInspected.output).toContain('No changes detected');

    // A new expression and a virtual column made stored (rebuilds), a virtual column added by ALTER
    // TABLE and a stored one (a rebuild), all computed for the rows there are.
    project.write(
      'models/lines.ts',
      modelSource(
        MODELS.replace('sql`price * quantity`', 'sql`price * quantity * 2`')
          .replace("sql`'#' || id`)", "sql`'#' || id`, { stored: true })")
          .replace('});', "  doubled: t.integer().generated(sql`price * 2`),\n  tripled: t.integer().generated(sql`price * 3`, { stored: true }),\n});"),
      ),
    );
    await ok('makemigrations', '--name', 'change');
    await ok('migrate');
    expect(project.rows('SELECT id, total, label, doubled, tripled FROM lines ORDER BY id')).toEqual([
      { id: 1, total: 24, label: '#1', doubled: 6, tripled: 9 },
      { id: 2, total: 60, label: '#2', doubled: 10, tripled: 15 },
    ]);
    await unchanged();

    // A generated column that becomes a plain one keeps the values it had, and takes new ones.
    project.write('models/lines.ts', modelSource(MODELS.replace("t.integer().generated(sql`price * quantity`, { stored: true })", 't.integer()')));
    await ok('makemigrations', '--name', 'plain');
    await ok('migrate');
    expect(project.rows('SELECT id, total FROM lines ORDER BY id')).toEqual([{ id: 1, total: 24 }, { id: 2, total: 60 }]);
    expect(project.rows("SELECT name, hidden FROM pragma_table_xinfo('lines')")).toEqual([
      { name: 'id', hidden: 0 },
      { name: 'price', hidden: 0 },
      { name: 'quantity', hidden: 0 },
      { name: 'total', hidden: 0 },
      { name: 'label', hidden: 2 },
    ]);
    await unchanged();

    await ok('rollback');
    await ok('rollback');
    expect(project.rows('SELECT id, total, label FROM lines ORDER BY id')).toEqual([
      { id: 1, total: 12, label: '#1' },
      { id: 2, total: 30, label: '#2' },
    ]);
    // The database is the first migration's again: what the first models say.
    project.write('models/lines.ts', modelSource(MODELS));
    expect((await ok('makemigrations', '--from', 'database', '--dry-run')).stdout).toContain('No changes detected');
    await ok('migrate', 'zero');
    expect(project.tables()).toEqual(['covet_migrations']);
  });

  it('a default on a generated column is refused at makemigrations, in one line', async () => {
    const project = TestProject.create('generated-default', {
      files: { 'models/lines.ts': modelSource("export const lines = defineTable('lines', { a: t.integer(), b: t.integer().generated(sql`a + 1`).default(0) });") },
    });
    const run = await project.run('makemigrations');
    expect(run.code).not.toBe(0);
    expect(errorLines(run.stderr)[0]).toContain('Generated column lines.b cannot have a default');
    expect(project.migrationNames()).toEqual([]);
  });

  it('an array column is refused in one line naming it; nothing runs', async () => {
    const project = TestProject.create('array', {
      files: { 'models/posts.ts': modelSource("export const posts = defineTable('posts', { id: t.integer().primaryKey(), tags: t.text().array() });") },
    });
    expect((await project.run('makemigrations', '--name', 'initial')).code).toBe(0);
    const run = await project.run('migrate');
    expect(run.code).not.toBe(0);
    expect(errorLines(run.stderr)[0]).toBe('error: SQLite has no array columns: posts.tags is an array of text');
    expect(project.tables()).toEqual([]);
  });
});
