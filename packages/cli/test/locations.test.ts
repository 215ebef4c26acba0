// Errors from user code point at user code: file:line:column of the model or migration (from
// the bundle's source map), and the closest name for a misspelt type, option or operation.
import { afterAll, describe, expect, it } from 'vitest';
import { TestProject, failureShape, migrationSource, removeProjects } from './helpers.js';

afterAll(removeProjects);

const model = (line: string, options = '') =>
  `import { defineTable, t } from '@covet/core';\n\nexport const users = defineTable('users', {\n  id: t.serial().primaryKey(),\n${line}\n}${options});\n`;

describe('error locations in user code', () => {
  const cases: [string, string, string, string][] = [
    ['an unknown column type', model('  bio: t.txet(),'), 'Unknown column type "txet" (t.txet): did you mean "text"?', ':5:10'],
    ['an unknown column option', model('  bio: t.text().notNul(),'), 'Unknown column option "notNul" (.notNul()): did you mean "notNull"?', ':5:'],
    ['a bad varchar length', model('  bio: t.varchar(-1),'), 'varchar length must be a positive integer, got -1', ':5:'],
    ['an unknown references option', model("  boss: t.integer().references('users', 'id', { onDelte: 'cascade' }),"), 'Unknown option "onDelte" in references(users.id): did you mean "onDelete"?', ':5:'],
    ['an unknown table option', model('  bio: t.text(),', ", { indexs: [] }"), 'Unknown table option "indexs" (table users): did you mean "indexes"?', ':3:'],
  ];
  for (const [label, source, message, position] of cases) {
    it(`${label}: the model file, line and column, with a suggestion; nothing written`, async () => {
      const project = TestProject.create('locations-model', { files: { 'models/users.ts': source } });
      const result = await project.run('makemigrations');
      expect(result.code, result.output).toBe(1);
      const [error] = result.stderr.split('\n');
      expect(error).toContain(`error: ${message} (${project.path('models/users.ts')}${position}`);
      expect(error).toMatch(/:\d+:\d+\)$/);
      expect(failureShape(result)).toEqual({ errorLines: 1, stackLines: 0 });
      expect(project.migrationFiles()).toEqual([]);
    });
  }

  it('a misspelt operation in a migration: the migration file, line and column; nothing applied', async () => {
    const project = TestProject.create('locations-migration', {
      files: {
        'migrations/20260101000000_initial.ts': migrationSource(["op.createTable('a', { id: t.serial().primaryKey() })"]),
        'migrations/20260101000001_second.ts': migrationSource(["op.createTable('b', { id: t.serial().primaryKey() })", "op.addColum('a', 'x', t.text())"], ['20260101000000_initial']),
      },
    });
    const result = await project.run('migrate');
    expect(result.code, result.output).toBe(1);
    expect(result.stderr.split('\n')[0]).toBe(
      `error: Unknown operation "addColum" (op.addColum): did you mean "addColumn"? (${project.path('migrations/20260101000001_second.ts')}:7:8)`,
    );
    expect(result.stderr).toContain('hint: Operations: createTable');
    expect(project.schema()).toEqual([]);
    expect(project.tracking()).toEqual([]);
  });
});
