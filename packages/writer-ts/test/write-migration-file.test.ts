import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeMigrationFile } from '../src/index.js';
import { scratchDirectory, removeScratchDirectories } from './load-migration.js';

afterAll(removeScratchDirectories);

describe('writeMigrationFile', () => {
  it('creates the directory and writes <name>.ts', async () => {
    const root = await scratchDirectory('write');
    const directory = join(root, 'migrations', 'default');
    const path = await writeMigrationFile({ directory, name: '20261124120000_initial', source: 'export default 1;\n' });
    expect(path).toBe(join(directory, '20261124120000_initial.ts'));
    expect(await readFile(path, 'utf8')).toBe('export default 1;\n');
  });

  it('refuses to overwrite an existing file and leaves it as it was', async () => {
    const directory = await scratchDirectory('overwrite');
    await writeFile(join(directory, 'm.ts'), 'original');
    await expect(writeMigrationFile({ directory, name: 'm', source: 'new' })).rejects.toMatchObject({
      code: 'MIGRATION_FILE_EXISTS',
      message: expect.stringMatching(/^Migration file already exists \(.*m\.ts\)$/),
    });
    expect(await readFile(join(directory, 'm.ts'), 'utf8')).toBe('original');
  });

  it.each(['../escape', 'a/b', '..', '.', '', 'x.ts', '/tmp/abs', 'a\\b', 'a\nb'])('refuses the name %j and writes nothing', async (name) => {
    const root = await scratchDirectory('escape');
    const directory = join(root, 'migrations');
    await mkdir(directory);
    await expect(writeMigrationFile({ directory, name, source: 'x' })).rejects.toMatchObject({ code: 'MIGRATION_NAME_INVALID' });
    expect(await readdir(root)).toEqual(['migrations']);
    expect(await readdir(directory)).toEqual([]);
  });
});
