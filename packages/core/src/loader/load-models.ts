import { statSync } from 'node:fs';
import { dynamicImport } from '../dynamic-import.js';
import { CovetError } from '../errors/covet-error.js';
import type { CovetHooks, ModelExport } from '../hooks/hooks.js';
import type { Reporter } from '../hooks/reporter.js';
import { isModelObject, type ModelObject } from '../schema/define-model-object.js';
import { isTableDefinition, type TableDefinition } from '../schema/define-table.js';
import { withPluginObject } from '../state/plugin-state.js';
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

/** What {@link loadModels} needs of a `Covet` instance to fire `processModels`. */
export interface ModelsHookHost {
  readonly hooks: Pick<CovetHooks, 'processModels'>;
  readonly reporter: Reporter;
}

/** Options of {@link loadModels}. */
export interface LoadModelsOptions {
  /** The tables of other apps, which foreign keys of the models may reference. */
  readonly context?: SchemaState;
  /** With it, `processModels` fires with the collected state (plugins may add to it). */
  readonly covet?: ModelsHookHost;
  /** The app whose models these are (for `processModels`); default `default`. */
  readonly app?: string;
}

/**
 * Imports the model files (a file, a folder or a glob each) and returns the desired schema:
 * every exported table definition, and every exported plugin object
 * ({@link defineModelObject}) in `plugins[namespace][name]`; then, given `covet`, what the
 * `processModels` taps make of it. The same definition exported twice counts once; two
 * different tables (or plugin objects) with one name, or a foreign key to a table that is
 * neither a model nor in `context` (the tables of other apps), are errors naming the file.
 */
export async function loadModels(patterns: readonly string[], baseDirectory: string, options: LoadModelsOptions = {}): Promise<SchemaState> {
  const files = await expand(patterns);
  const namespaces = await importModules(files, baseDirectory);
  const tables = new Map<string, { definition: TableDefinition; file: string }>();
  const objects = new Map<string, { object: ModelObject; file: string }>();
  const exports: ModelExport[] = [];
  namespaces.forEach((namespace, index) => {
    const file = files[index]!;
    if (typeof namespace !== 'object' || namespace === null) return;
    for (const [name, value] of Object.entries(namespace)) {
      exports.push({ file, name, value });
      if (isModelObject(value)) {
        const key = `${value.namespace}\0${value.name}`;
        const existing = objects.get(key);
        if (existing && existing.object !== value) {
          throw new CovetError('PLUGIN_OBJECT_DUPLICATE', `${value.namespace} "${value.name}" is defined twice (${existing.file} and ${file})`);
        }
        objects.set(key, { object: value, file });
        continue;
      }
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
  let schema: SchemaState = { tables: state };
  for (const { object } of [...objects.values()].sort((a, b) => compareObjects(a.object, b.object))) {
    schema = withPluginObject(schema, object.namespace, object.name, object.definition);
  }
  if (options.covet) {
    schema = await options.covet.hooks.processModels.promise(schema, { report: options.covet.reporter, app: options.app ?? 'default', exports });
  }
  const fileOf = (name: string) => tables.get(name)?.file ?? 'a processModels tap';
  const known: SchemaState = options.context ? { tables: createNameRecord([...Object.entries(options.context.tables), ...Object.entries(schema.tables)]) } : schema;
  for (const table of Object.values(schema.tables)) {
    try {
      validateTable(table, known);
    } catch (error) {
      throw new CovetError('MODEL_INVALID', `${(error as Error).message} (${fileOf(table.name)})`, { cause: error });
    }
  }
  return schema;
}

function compareObjects(a: ModelObject, b: ModelObject): number {
  const left = `${a.namespace}\0${a.name}`;
  const right = `${b.namespace}\0${b.name}`;
  return left < right ? -1 : left > right ? 1 : 0;
}
