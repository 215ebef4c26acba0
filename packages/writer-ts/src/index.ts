// @covet/writer-ts: operations -> formatted TypeScript migration files.
export { renderMigration } from './render-migration.js';
export type { RenderMigrationInput } from './render-migration.js';
export { migrationName, snakeCaseLabel, suggestLabel, MAX_LABEL_LENGTH } from './migration-name.js';
export { writeMigrationFile } from './write-migration-file.js';
export type { WriteMigrationFileInput } from './write-migration-file.js';
export { quoteString, formatValue } from './code-tree.js';
export { renderModels, modelIdentifier } from './render-models.js';
export type { RenderedModel } from './render-models.js';
