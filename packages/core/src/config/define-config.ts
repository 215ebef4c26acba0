import type { DatabaseConfig } from '../dialect/dialect.js';

/** Database settings in a config file: an engine and its settings, or a URL. */
export type DatabaseConfigInput = Partial<DatabaseConfig>;

/** Settings of one app when a project has several. */
export interface AppConfigInput {
  /** Models of this app: a file, a folder or a glob (relative to the config file). */
  readonly models?: string | readonly string[];
}

/** The shape of `covet.config.ts` (and `.js`, `.mjs`, `.json`). Every key is optional. */
export interface CovetConfigInput {
  readonly database?: DatabaseConfigInput;
  /** Models: a file, a folder or a glob, relative to the config file. */
  readonly models?: string | readonly string[];
  /** The migrations folder; with `apps`, one folder per app below it. Default `migrations`. */
  readonly migrations?: string;
  /** The app name recorded in `covet_migrations`. Default `default`. */
  readonly app?: string;
  /** Several apps, each with its own models and migrations folder. */
  readonly apps?: Readonly<Record<string, AppConfigInput>>;
  /** Plugin objects, or names of packages whose default export is one. */
  readonly plugins?: readonly unknown[];
  /** How long `migrate` and `rollback` wait for the migration lock (ms). Default 60000. */
  readonly lockTimeoutMs?: number;
}

/**
 * Types a Covet configuration; the default export of `covet.config.ts`.
 *
 * @example
 * export default defineConfig({
 *   database: { engine: 'sqlite', name: './app.db' },
 *   models: './models',
 *   migrations: './migrations',
 * });
 */
export function defineConfig(config: CovetConfigInput): CovetConfigInput {
  return config;
}
