// Part of `@covet/core/testing`: the history commands driven through the real `covet` binary on
// a dialect's real database, for every dialect alike: an applied migration whose file is gone
// (exit 5, `resolve --forget`), two latest migrations (exit 6, `makemigrations --merge`), an
// intended edit of an applied migration (exit 3, `resolve --accept-edit`) with checksums of
// another scheme, `migrate --fake-initial` on tables made outside Covet, and
// `squashmigrations` on a database that applied the originals and on a fresh one. Every refusal asserts that the schema and the tracking table did not change,
// read through the dialect's own introspector.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DatabaseConfig, Dialect, DialectConnection } from '../dialect/dialect.js';
import { createOperation } from '../operations/define-operation.js';
import { PlanCache } from '../runner/plan-cache.js';
import { TRACKING_TABLE } from '../runner/tracking-table.js';
import type { ColumnState } from '../schema/types.js';
import { EMPTY_STATE, getTable, withTable } from '../state/schema-state.js';

/** What one run of the `covet` binary did. */
export interface CliRunResult {
  /** The exit code (null when a signal ended it). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link createCliProject}. */
export interface CliProjectOptions {
  /** The `covet` binary: `bin/covet.cjs` of `@covet/cli`. */
  readonly bin: string;
  /**
   * The folder the project is made in, below the package under test, so that `@covet/core`
   * and the dialect resolve from it as in an installed project (e.g. `<package>/test/.tmp`).
   */
  readonly root: string;
  /** Written as `covet.config.json`. */
  readonly config: Readonly<Record<string, unknown>>;
  /** Files to write, by path relative to the project. */
  readonly files?: Readonly<Record<string, string>>;
}

/** A throw-away project folder and the `covet` binary run in it. */
export interface CliProject {
  readonly dir: string;
  path(...parts: string[]): string;
  write(relative: string, content: string): void;
  remove(relative: string): void;
  /** Runs `node <bin> ...argv` in the project, without the machine's database settings in the environment. */
  run(...argv: string[]): CliRunResult;
  /** The migration file names of the default app, sorted. */
  migrationFiles(): string[];
  /** Removes the folder and the plan cache it made (unless `COVET_KEEP_TMP` is set). */
  dispose(): void;
}

/** An environment without the machine's database settings (and colour forced on). */
function cleanEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'DATABASE_URL' || key.startsWith('DB_') || key.startsWith('PG') || key === 'FORCE_COLOR') continue;
    env[key] = value;
  }
  return env;
}

/**
 * Makes a project folder below `options.root` with `covet.config.json` and `files`, to run the
 * real `covet` binary in (one process per command, as a user would).
 *
 * @example
 * const project = createCliProject({ bin, root: join(here, '.tmp'), config: { database: { engine: 'foo', url }, migrations: './migrations' } });
 * expect(project.run('migrate').code).toBe(0);
 */
export function createCliProject(options: CliProjectOptions): CliProject {
  mkdirSync(options.root, { recursive: true });
  const dir = mkdtempSync(join(options.root, 'project-'));
  const path = (...parts: string[]) => join(dir, ...parts);
  const write = (relative: string, content: string) => {
    mkdirSync(dirname(path(relative)), { recursive: true });
    writeFileSync(path(relative), content);
  };
  write('covet.config.json', JSON.stringify(options.config, null, 2));
  mkdirSync(path('migrations'), { recursive: true });
  for (const [relative, content] of Object.entries(options.files ?? {})) write(relative, content);
  const engine = (options.config.database as { engine?: unknown } | undefined)?.engine;
  return {
    dir,
    path,
    write,
    remove: (relative) => rmSync(path(relative), { recursive: true, force: true }),
    run(...argv) {
      const result = spawnSync(process.execPath, [options.bin, ...argv], { cwd: dir, encoding: 'utf8', env: cleanEnvironment() });
      return { code: result.status, stdout: result.stdout, stderr: result.stderr };
    },
    migrationFiles: () => readdirSync(path('migrations')).filter((name) => !name.startsWith('.')).sort(),
    dispose() {
      if (process.env.COVET_KEEP_TMP) return;
      rmSync(dir, { recursive: true, force: true });
      if (typeof engine === 'string') rmSync(PlanCache.forProject(dir, engine).file, { force: true });
    },
  };
}

/** The source of a hand-written migration file: `operations` are `op.*` expressions as source text. */
export function migrationSource(operations: readonly string[], dependencies: readonly string[] = [], extra = ''): string {
  return [
    "import { defineMigration, op, t } from '@covet/core';",
    'export default defineMigration({',
    `  dependencies: ${JSON.stringify(dependencies)},`,
    `  operations: [${operations.join(', ')}],`,
    ...(extra ? [extra] : []),
    '});',
    '',
  ].join('\n');
}

/** A database made for one test: its settings (written into `covet.config.json`) and how to remove it. */
export interface CliDatabase {
  readonly config: DatabaseConfig;
  drop(): Promise<void>;
}

/** Options of {@link describeCliHistory}. */
export interface CliHistoryOptions {
  /** The suite's name in the test report, e.g. `postgres`. */
  readonly name: string;
  readonly dialect: Dialect;
  /** The `covet` binary: `bin/covet.cjs` of `@covet/cli`. */
  readonly bin: string;
  /** Where projects are made (see {@link CliProjectOptions.root}). */
  readonly root: string;
  createDatabase(): Promise<CliDatabase>;
  /**
   * The engine's own DDL for what Covet's tests create outside Covet (`--fake-initial` adopts
   * such tables): `serialId` is the column `id`, an auto-incremented integer primary key
   * (PostgreSQL `id serial PRIMARY KEY`, MySQL `id int AUTO_INCREMENT PRIMARY KEY`).
   */
  readonly rawDdl: { readonly serialId: string };
}

const INITIAL = '20260101000000_initial';
const SECOND = '20260101000001_add_bio';
const THIRD = '20260101000002_posts';
const FOURTH = '20260101000003_title';
const USERS = "op.createTable('users', { id: t.serial().primaryKey(), name: t.varchar(50) })";
const modelSource = (body: string) => `import { defineTable, t } from '@covet/core';\n${body}\n`;
const usersModel = (name = 't.varchar(50)', extra = '') =>
  `export const users = defineTable('users', { id: t.serial().primaryKey(), name: ${name}, ${extra} });`;

/**
 * Registers the tests of the history commands through the real `covet` binary on the dialect's
 * database: `resolve --forget`, `makemigrations --merge`, `resolve --accept-edit`, checksums
 * of another scheme, `migrate --fake-initial` and `squashmigrations`.
 *
 * @example
 * // packages/dialect-foo/test/history.test.ts
 * import { describeCliHistory } from '@covet/core/testing';
 * describeCliHistory({ name: 'foo', dialect: createFooDialect(), bin, root: join(here, '.tmp'), createDatabase, rawDdl: { serialId: 'id integer PRIMARY KEY' } });
 */
export function describeCliHistory(options: CliHistoryOptions): void {
  const { dialect } = options;
  const q = (name: string) => dialect.quoteIdentifier(name);

  describe(`history commands through the covet binary: ${options.name}`, () => {
    const cleanup: (() => Promise<void> | void)[] = [];
    afterEach(async () => {
      for (const step of cleanup.splice(0).reverse()) await step();
    });

    /** A project on a fresh database, with `models/users.ts` and `files`. */
    async function project(files: Record<string, string>, models = modelSource(usersModel())) {
      const database = await options.createDatabase();
      cleanup.push(() => database.drop());
      const cli = createCliProject({
        bin: options.bin,
        root: options.root,
        config: { database: database.config, models: './models', migrations: './migrations' },
        files: { 'models/users.ts': models, [`migrations/${INITIAL}.ts`]: migrationSource([USERS]), ...files },
      });
      cleanup.push(() => cli.dispose());
      /** Runs `fn` on a connection of Covet's own dialect to the project's database. */
      const withConnection = async <T>(fn: (connection: DialectConnection) => Promise<T>): Promise<T> => {
        const connection = await dialect.connect(database.config);
        try {
          return await fn(connection);
        } finally {
          await connection.close();
        }
      };
      /** The schema as introspected (Covet's tables left out) and the tracking rows. */
      const snapshot = () =>
        withConnection(async (connection) => ({
          schema: await connection.introspector.introspect(),
          tracking: (await connection.tableExists(TRACKING_TABLE))
            ? await connection.query<Record<string, unknown>>(`SELECT ${['name', 'app', 'checksum', 'source_hash', 'dependencies'].map(q).join(', ')} FROM ${q(TRACKING_TABLE)} ORDER BY ${q('id')}`)
            : [],
        }));
      const applied = async () => (await snapshot()).tracking.map((row) => String(row.name));
      /** Runs a command expected to fail with `code`, with one `error:` line, changing nothing; returns that line. */
      const refused = async (code: number, ...argv: string[]): Promise<string> => (await refusal(code, ...argv)).error;
      /** {@link refused}, with the whole of stderr. */
      const refusal = async (code: number, ...argv: string[]): Promise<{ error: string; stderr: string }> => {
        const before = await snapshot();
        const files = cli.migrationFiles();
        const result = cli.run(...argv);
        expect(result.code, `${argv.join(' ')}: ${result.stderr}`).toBe(code);
        const errors = result.stderr.split('\n').filter((line) => line.startsWith('error:'));
        expect(errors, result.stderr).toHaveLength(1);
        expect(result.stderr).not.toMatch(/^\s+at\s/m);
        expect(await snapshot()).toEqual(before);
        expect(cli.migrationFiles()).toEqual(files);
        return { error: errors[0]!, stderr: result.stderr };
      };
      return { cli, withConnection, snapshot, applied, refused, refusal };
    }

    it('--fake-initial adopts tables made outside Covet, and refuses a partial match changing nothing', async () => {
      const second = { [`migrations/${SECOND}.ts`]: migrationSource(["op.addColumn('users', 'bio', t.text())"], [INITIAL]) };
      const p = await project(second);
      await p.withConnection((connection) => connection.execute({ sql: `CREATE TABLE ${q('users')} (${options.rawDdl.serialId}, ${q('name')} varchar(50))` }));
      const adopted = p.cli.run('migrate', '--fake-initial');
      expect(adopted.code, adopted.stderr).toBe(0);
      expect(adopted.stdout).toContain(`Faked default:${INITIAL}`);
      expect(adopted.stdout).toContain(`Applied default:${SECOND}`);
      expect(await p.applied()).toEqual([INITIAL, SECOND]);
      expect(getTable((await p.snapshot()).schema, 'users')!.columns.map((column) => column.name)).toEqual(['id', 'name', 'bio']);

      const other = await project(second);
      await other.withConnection((connection) => connection.execute({ sql: `CREATE TABLE ${q('users')} (${options.rawDdl.serialId}, ${q('mail')} text)` }));
      expect(await other.refused(1, 'migrate', '--fake-initial')).toContain(
        `error: Cannot fake default:${INITIAL}: the columns differ (users lacks name; users has mail the migrations do not create)`,
      );
    });

    it('squashmigrations keeps working on a database that applied the originals and on a fresh one', async () => {
      const files = {
        [`migrations/${SECOND}.ts`]: migrationSource(["op.addColumn('users', 'bio', t.text())", "op.createIndex('users', { name: 'users_name_idx', columns: ['name'] })"], [INITIAL]),
        [`migrations/${THIRD}.ts`]: migrationSource(["op.createTable('posts', { id: t.serial().primaryKey(), author_id: t.integer().notNull().references('users', 'id') })"], [SECOND]),
        [`migrations/${FOURTH}.ts`]: migrationSource(["op.addColumn('posts', 'title', t.text())"], [THIRD]),
      };
      const applied = await project(files);
      expect(applied.cli.run('migrate').code).toBe(0);
      const { schema } = await applied.snapshot();
      const squashed = applied.cli.run('squashmigrations', INITIAL, THIRD);
      expect(squashed.code, squashed.stderr).toBe(0);
      const file = applied.cli.migrationFiles().find((name) => name.includes('squashed'))!;
      const name = file.replace(/\.ts$/, '');
      for (const original of [INITIAL, SECOND, THIRD]) applied.cli.remove(`migrations/${original}.ts`);
      const nothing = applied.cli.run('migrate');
      expect(nothing.code, nothing.stderr).toBe(0);
      expect(nothing.stdout).toContain('No migrations to apply.');
      expect((await applied.snapshot()).schema).toEqual(schema);

      const fresh = await project(files);
      fresh.cli.write(`migrations/${file}`, readFileSync(applied.cli.path('migrations', file), 'utf8'));
      for (const original of [INITIAL, SECOND, THIRD]) fresh.cli.remove(`migrations/${original}.ts`);
      const migrated = fresh.cli.run('migrate');
      expect(migrated.code, migrated.stderr).toBe(0);
      expect(await fresh.applied()).toEqual([name, FOURTH]);
      expect((await fresh.snapshot()).schema).toEqual(schema);

      // Rolled back whole, the squashed migration forgets the rows of the originals too.
      const zero = applied.cli.run('migrate', 'zero');
      expect(zero.code, zero.stderr).toBe(0);
      const after = await applied.snapshot();
      expect(Object.keys(after.schema.tables)).toEqual([]);
      expect(after.tracking).toEqual([]);
    });

    it('an applied migration whose file is gone stops migrate and makemigrations (exit 5); resolve --forget deletes its row and nothing else', async () => {
      const second = migrationSource(["op.addColumn('users', 'bio', t.text())"], [INITIAL]);
      const p = await project({ [`migrations/${SECOND}.ts`]: second }, modelSource(usersModel('t.varchar(50)', 'bio: t.text(),')));
      const migrated = p.cli.run('migrate');
      expect(migrated.code, migrated.stderr).toBe(0);
      p.cli.remove(`migrations/${SECOND}.ts`);
      const schema = (await p.snapshot()).schema;

      for (const argv of [['migrate'], ['makemigrations'], ['migrate', '--dry-run']]) {
        expect(await p.refused(5, ...argv)).toBe(`error: Applied migration(s) with no file: default:${SECOND} (tracking table)`);
      }
      expect(await p.refused(1, 'resolve', INITIAL, '--forget')).toContain(`error: Migration default:${INITIAL} still has its file; --forget is for a migration whose file is gone`);

      const forgot = p.cli.run('resolve', SECOND, '--forget');
      expect(forgot.code, forgot.stderr).toBe(0);
      expect(forgot.stdout).toContain(`Forgot default:${SECOND}: no longer recorded as applied (the schema was not touched)`);
      expect(await p.applied()).toEqual([INITIAL]);
      expect((await p.snapshot()).schema).toEqual(schema);
      const again = p.cli.run('migrate');
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain('No migrations to apply.');
    });

    it('two latest migrations stop migrate and makemigrations (exit 6); makemigrations --merge joins them; then everything applies', async () => {
      const A = '20260102000000_add_bio';
      const B = '20260102000001_add_posts';
      const models = modelSource(`${usersModel('t.varchar(50)', 'bio: t.text(),')}\nexport const posts = defineTable('posts', { id: t.serial().primaryKey() });`);
      const p = await project({}, models);
      expect(p.cli.run('migrate').code).toBe(0);
      // Two branches made from the same parent (two git branches, then merged).
      p.cli.write(`migrations/${A}.ts`, migrationSource(["op.addColumn('users', 'bio', t.text())"], [INITIAL]));
      p.cli.write(`migrations/${B}.ts`, migrationSource(["op.createTable('posts', { id: t.serial().primaryKey() })"], [INITIAL]));
      for (const argv of [['migrate'], ['makemigrations']]) {
        expect(await p.refused(6, ...argv)).toBe(`error: Conflicting migrations: more than one latest migration (app default: ${A}, ${B})`);
      }

      const merged = p.cli.run('makemigrations', '--merge');
      expect(merged.code, merged.stderr).toBe(0);
      expect(merged.stdout).toContain(`  Branch ${A}:\n    - ${A}: Add column users.bio\n`);
      expect(merged.stdout).toContain(`  Branch ${B}:\n    - ${B}: Create table posts\n`);
      const merge = p.cli.migrationFiles().find((file) => file.endsWith('_merge.ts'))!.replace(/\.ts$/, '');
      const migrated = p.cli.run('migrate');
      expect(migrated.code, migrated.stderr).toBe(0);
      expect(await p.applied()).toEqual([INITIAL, A, B, merge]);
      expect(Object.keys((await p.snapshot()).schema.tables).sort()).toEqual(['posts', 'users']);
      expect(p.cli.run('makemigrations').stdout).toContain('No changes detected');
      expect(p.cli.run('makemigrations', '--merge').stdout).toContain('No branches to merge in app default.');
    });

    it('an intended edit of an applied migration: exit 3; resolve --accept-edit records it (when, by which command), the schema untouched; migrate is clean', async () => {
      const p = await project({});
      expect(p.cli.run('migrate').code).toBe(0);
      const applied = (await p.snapshot()).tracking;
      expect(String(applied[0]!.checksum)).toMatch(/^v1:[0-9a-f]{64}$/);

      // users.name widened by hand, and the migration and the model now say so.
      await p.withConnection(async (connection) => {
        const before = await connection.introspector.introspect();
        const table = getTable(before, 'users')!;
        const column: ColumnState = { ...table.columns.find((candidate) => candidate.name === 'name')!, type: { type: 'varchar', length: 80 } };
        const after = withTable(EMPTY_STATE, { ...table, columns: table.columns.map((candidate) => (candidate.name === 'name' ? column : candidate)) });
        const context = { dialect, stateBefore: withTable(EMPTY_STATE, table), stateAfter: after, query: connection.query.bind(connection) };
        for (const statement of (await dialect.compileOperation(createOperation('alterColumn', { table: 'users', column }), context)) ?? []) await connection.execute(statement);
      });
      p.cli.write(`migrations/${INITIAL}.ts`, migrationSource([USERS.replace('t.varchar(50)', 't.varchar(80)')]));
      p.cli.write('models/users.ts', modelSource(usersModel('t.varchar(80)')));
      const blocked = await p.refusal(3, 'migrate');
      expect(blocked.error).toContain(`error: Applied migration default:${INITIAL} was edited after it was applied`);
      expect(blocked.stderr).toContain(`covet resolve default:${INITIAL} --accept-edit`);
      const before = await p.snapshot();

      const accepted = p.cli.run('resolve', INITIAL, '--accept-edit');
      expect(accepted.code, accepted.stderr).toBe(0);
      expect(accepted.stdout).toContain(`Accepted the edit of default:${INITIAL}: its checksum is now the file's (the schema was not touched)`);
      const after = await p.snapshot();
      expect(after.schema).toEqual(before.schema);
      expect(after.tracking[0]!.checksum).not.toBe(applied[0]!.checksum);
      expect(after.tracking[0]!.source_hash).not.toBe(applied[0]!.source_hash);
      const clean = p.cli.run('migrate');
      expect(clean.code, clean.stderr).toBe(0);
      expect(clean.stdout).toContain('No migrations to apply.');
      expect(p.cli.run('makemigrations').stdout).toContain('No changes detected');

      const by = `covet resolve ${INITIAL} --accept-edit`;
      const listing = p.cli.run('showmigrations').stdout;
      expect(listing.split('\n').find((line) => line.includes(INITIAL))).toMatch(new RegExp(`edit accepted \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ by ${by}$`));
      const [entry] = JSON.parse(p.cli.run('showmigrations', '--json').stdout) as { editAccepted?: { at: string; by: string } }[];
      expect(entry!.editAccepted?.by).toBe(by);
      // Recorded in UTC, as applied_at is: within minutes of now.
      expect(Math.abs(Date.parse(entry!.editAccepted!.at) - Date.now())).toBeLessThan(10 * 60_000);

      // Refused, changing nothing: nothing to accept any more; a pending migration; an unknown one.
      expect(await p.refused(1, 'resolve', INITIAL, '--accept-edit')).toContain(`error: Migration default:${INITIAL} was not edited since it was applied`);
      p.cli.write(`migrations/${SECOND}.ts`, migrationSource(["op.addColumn('users', 'bio', t.text())"], [INITIAL]));
      expect(await p.refused(1, 'resolve', SECOND, '--accept-edit')).toBe(`error: Migration default:${SECOND} is not applied: there is nothing recorded to change (resolve --accept-edit)`);
      // Its file gone: there is nothing to accept.
      p.cli.write('models/users.ts', modelSource(usersModel('t.varchar(80)', 'bio: t.text(),')));
      expect(p.cli.run('migrate').code).toBe(0);
      p.cli.remove(`migrations/${SECOND}.ts`);
      expect(await p.refused(1, 'resolve', SECOND, '--accept-edit')).toBe(
        `error: Migration default:${SECOND} is applied but its file is missing: there is no edit to accept (resolve --accept-edit)`,
      );
    });

    it('a tracking row whose checksum is of another scheme is recomputed when the file text is the one applied, and an edit when it is not', async () => {
      const p = await project({ [`migrations/${SECOND}.ts`]: migrationSource(["op.addColumn('users', 'bio', t.text())"], [INITIAL]) }, modelSource(usersModel('t.varchar(50)', 'bio: t.text(),')));
      expect(p.cli.run('migrate').code).toBe(0);
      const applied = await p.snapshot();
      // As a Covet with another scheme would have written them.
      await p.withConnection((connection) =>
        connection.execute({
          sql: `UPDATE ${q(TRACKING_TABLE)} SET ${q('checksum')} = ${dialect.placeholder(1)}`,
          params: [`v0:${'0'.repeat(40)}`],
        }),
      );
      const status = JSON.parse(p.cli.run('showmigrations', '--json').stdout) as { edited?: boolean }[];
      expect(status.map((entry) => entry.edited ?? false)).toEqual([false, false]);
      // The second file's text changed since (a comment): it cannot be compared, so it is an edit.
      p.cli.write(`migrations/${SECOND}.ts`, `// reviewed\n${migrationSource(["op.addColumn('users', 'bio', t.text())"], [INITIAL])}`);
      expect(await p.refused(3, 'migrate')).toContain(`error: Applied migration default:${SECOND} was edited after it was applied`);
      const accepted = p.cli.run('resolve', SECOND, '--accept-edit');
      expect(accepted.code, accepted.stderr).toBe(0);
      const migrated = p.cli.run('migrate');
      expect(migrated.code, migrated.stderr).toBe(0);
      expect(migrated.stdout).toContain('No migrations to apply.');
      // The first row is recomputed: the same checksum as applied, of the current scheme.
      const after = await p.snapshot();
      expect(after.tracking[0]).toEqual(applied.tracking[0]);
      expect(String(after.tracking[1]!.checksum)).toBe(String(applied.tracking[1]!.checksum));
      expect(after.schema).toEqual(applied.schema);
    });
  });
}
