import { statSync } from 'node:fs';
import { dynamicImport } from '../dynamic-import.js';
import { CovetError } from '../errors/covet-error.js';
import { isTableDefinition, type TableDefinition } from '../schema/define-table.js';
import { createNameRecord } from '../schema/name-record.js';
import type { SchemaState, TableState } from '../schema/types.js';
import { validateTable } from '../operations/builtin/validate-args.js';
import { importModules } from './import-module.js';

const MODEL_EXTENSIONS = '{ts,mts,cts,js,mjs,cjs}';

async function expand(patterns: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const pattern of patterns) {
    let isDirectory = false;
    let exists = false;
    try {
      const stats = statSync(pattern);
      exists = true;
      isDirectory = stats.isDirectory();
    } catch {
      // Not a file or folder: a glob.
    }
    if (exists && !isDirectory) {
      files.push(pattern);
      continue;
    }
    // Imported here: only makemigrations needs it, and it costs start-up time.
    const { glob } = await dynamicImport<typeof import('tinyglobby')>('tinyglobby');
    const matches = await glob(isDirectory ? `**/*.${MODEL_EXTENSIONS}` : pattern, {
      cwd: isDirectory ? pattern : undefined,
      absolute: true,
      ignore: ['**/*.d.ts', '**/*.test.*', '**/node_modules/**'],
    });
    if (matches.length === 0) {
      throw new CovetError('MODELS_NOT_FOUND', `No model files match "${pattern}" (models)`);
    }
    files.push(...matches.sort());
  }
  return [...new Set(files)];
}

/**
 * Imports the model files (a file, a folder or a glob each) and returns the desired schema:
 * every exported table definition. The same definition exported twice counts once; two
 * different tables with one name, or a foreign key to a table that is neither a model nor in
 * `context` (the tables of other apps), are errors naming the file.
 */
export async function loadModels(
  patterns: readonly string[],
  baseDirectory: string,
  options: { context?: SchemaState } = {},
): Promise<SchemaState> {
  const files = await expand(patterns);
  const namespaces = await importModules(files, baseDirectory);
  const tables = new Map<string, { definition: TableDefinition; file: string }>();
  namespaces.forEach((namespace, index) => {
    const file = files[index]!;
    if (typeof namespace !== 'object' || namespace === null) return;
    for (const value of Object.values(namespace)) {
      if (!isTableDefinition(value)) continue;
      const existing = tables.get(value.name);
      if (existing && existing.definition !== value) {
        throw new CovetError('TABLE_DUPLICATE', `Table "${value.name}" is defined twice (${existing.file} and ${file})`);
      }
      tables.set(value.name, { definition: value, file });
    }
  });
  const state = createNameRecord<TableState>();
  for (const [name, { definition }] of [...tables].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    state[name] = definition.state;
  }
  const schema: SchemaState = { tables: state };
  const known: SchemaState = options.context ? { tables: createNameRecord([...Object.entries(options.context.tables), ...Object.entries(state)]) } : schema;
  for (const { definition, file } of tables.values()) {
    try {
      validateTable(definition.state, known);
    } catch (error) {
      throw new CovetError('MODEL_INVALID', `${(error as Error).message} (${file})`, { cause: error });
    }
  }
  return schema;
}
