// @covet/cli as a library: run the command line in-process, or drive a project from code.
export { runCli } from './cli.js';
export type { RunCliOptions } from './cli.js';
export { openProject, Project, importPlugin, dialectPackageName } from './project.js';
export { makeMigrations } from './commands/makemigrations.js';
export type { MakeMigrationsOptions, MakeMigrationsResult } from './commands/makemigrations.js';
export { migrate } from './commands/migrate.js';
export type { MigrateCommandOptions } from './commands/migrate.js';
export { rollback } from './commands/rollback.js';
export type { RollbackCommandOptions } from './commands/rollback.js';
export { showMigrations } from './commands/showmigrations.js';
export { resolve } from './commands/resolve.js';
export type { ResolveOptions } from './commands/resolve.js';
export type { ShowMigrationsOptions } from './commands/showmigrations.js';
export { createOutput, reportError, formatDuration } from './output.js';
export type { Output } from './output.js';
export { VERSION } from './version.js';
