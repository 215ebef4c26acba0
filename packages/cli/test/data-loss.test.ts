// Data-loss labels in makemigrations: only where data can be lost (a drop, a narrowing, a
// change that can fail), never on a widening.
import { afterAll, describe, expect, it } from 'vitest';
import { TestProject, modelSource, removeProjects } from './helpers.js';

afterAll(removeProjects);

const MODELS = (id: string, code: string, note = 'note: t.text(),') =>
  modelSource(`export const items = defineTable('items', { id: ${id}.primaryKey(), code: ${code}, ${note} });`);

describe('data-loss labels', () => {
  it('widening is not labelled; narrowing, NOT NULL and drops are, and listed on stdout', async () => {
    const project = TestProject.create('labels', { files: { 'models/items.ts': MODELS('t.integer()', 't.varchar(14)') } });
    expect((await project.run('makemigrations', '--name', 'initial')).code).toBe(0);

    project.write('models/items.ts', MODELS('t.bigint()', 't.varchar(64)'));
    const widened = await project.run('makemigrations', '--name', 'widen');
    expect(widened.code, widened.output).toBe(0);
    expect(widened.stdout).toContain('    - Alter column items.id\n');
    expect(widened.stdout).toContain('    - Alter column items.code\n');
    expect(widened.stdout).not.toContain('may lose data');

    project.write('models/items.ts', MODELS('t.bigint()', 't.varchar(10).notNull()', ''));
    const narrowed = await project.run('makemigrations', '--name', 'narrow');
    expect(narrowed.code, narrowed.output).toBe(0);
    expect(narrowed.stdout).toContain('    - Alter column items.code (may lose data)\n');
    expect(narrowed.stdout).toContain('    - Drop column items.note (may lose data)\n');
    expect(narrowed.stdout).toContain('  2 operation(s) may lose data: ');
  });
});
