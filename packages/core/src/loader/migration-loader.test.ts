import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { covetRejectionOf, makeTempDir, removeTempDir } from '../../test/helpers.js';
import { canonicalJson } from '../migration/canonical-json.js';
import { computeChecksum } from '../migration/define-migration.js';
import { op } from '../operations/op.js';
import { createCovet, definePlugin } from '../plugin/covet.js';
import { t } from '../schema/column-builder.js';
import { withPluginObject } from '../state/plugin-state.js';
import { sql } from '../schema/sql-tag.js';
import { importModules } from './import-module.js';
import { loadModels } from './load-models.js';
import { MigrationCache } from './migration-cache.js';
import { loadMigrations } from './migration-loader.js';

const operations = createCovet().operations;
const fingerprint = operations.kinds().join(',');

const INITIAL = `import { defineMigration, op, t, sql } from '@covet/core';

// A comment, and formatting a writer would not produce.
export default defineMigration({
  operations: [
    op.createTable('users', {
      id: t.serial().primaryKey(),
      email: t.varchar(255).notNull().unique(),
      created_at: t.timestamp().notNull().default(sql\`CURRENT_TIMESTAMP\`),
    }),
    op.runSql(\`UPDATE users
SET email = lower(email)\`, 'SELECT 1'),
  ],
});
`;

/** The operations INITIAL declares, built here: the checksum must not depend on the file. */
const INITIAL_OPERATIONS = [
  op.createTable('users', {
    id: t.serial().primaryKey(),
    email: t.varchar(255).notNull().unique(),
    created_at: t.timestamp().notNull().default(sql`CURRENT_TIMESTAMP`),
  }),
  op.runSql('UPDATE users\nSET email = lower(email)', 'SELECT 1'),
];

const SECOND = `import { defineMigration, op, t } from '@covet/core';
(globalThis as { __covetLoaderCount?: number }).__covetLoaderCount = ((globalThis as { __covetLoaderCount?: number }).__covetLoaderCount ?? 0) + 1;
export default defineMigration({
  dependencies: ['0001_initial'],
  operations: [op.addColumn('users', 'nickname', t.varchar(50))],
});
`;

const globals = globalThis as { __covetLoaderCount?: number };

let root: string;
const directories: string[] = [];

/** A fresh migrations folder with `files`; its cache file is removed after the test. */
function migrationsDir(files: Record<string, string>): string {
  const directory = join(root, `m${directories.length}`);
  mkdirSync(directory);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(directory, name), text);
  directories.push(directory);
  return directory;
}

beforeEach(() => {
  root = makeTempDir('loader');
  globals.__covetLoaderCount = 0;
});

afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(MigrationCache.forDirectory(directory, `default\0${fingerprint}`).file, { force: true });
  removeTempDir(root);
});

afterAll(() => {
  delete globals.__covetLoaderCount;
});

describe('loadMigrations', () => {
  it('loads TypeScript migrations in order, with a checksum computed from the operations', async () => {
    const directory = migrationsDir({ '0001_initial.ts': INITIAL, '0002_nickname.ts': SECOND, 'README.md': '# not a migration', 'types.d.ts': '' });
    const graph = await loadMigrations({ sources: [{ app: 'default', directory }], operations, cache: false });
    expect(graph.order().map((entry) => [entry.id, entry.file, entry.dependencies])).toStrictEqual([
      ['default:0001_initial', join(directory, '0001_initial.ts'), []],
      ['default:0002_nickname', join(directory, '0002_nickname.ts'), ['default:0001_initial']],
    ]);
    const [first] = graph.order();
    expect(first!.checksum).toBe(computeChecksum({ operations: INITIAL_OPERATIONS }, 'default'));
    const migration = await first!.load();
    expect(canonicalJson(migration.operations)).toBe(canonicalJson(INITIAL_OPERATIONS));
  });

  it('gives a file with CRLF line endings and a BOM the same checksum as the LF version', async () => {
    const lf = migrationsDir({ '0001_initial.ts': INITIAL });
    const crlf = migrationsDir({ '0001_initial.ts': `\uFEFF${INITIAL.replace(/\n/g, '\r\n')}` });
    const [a] = (await loadMigrations({ sources: [{ app: 'default', directory: lf }], operations, cache: false })).order();
    const [b] = (await loadMigrations({ sources: [{ app: 'default', directory: crlf }], operations, cache: false })).order();
    expect(b!.checksum).toBe(a!.checksum);
    expect(canonicalJson((await b!.load()).operations)).toBe(canonicalJson((await a!.load()).operations));
  });

  it('names the file with a syntax error', async () => {
    const directory = migrationsDir({ '0001_initial.ts': INITIAL, '0002_broken.ts': 'export default defineMigration({ operations: [ ;\n' });
    const error = await covetRejectionOf(loadMigrations({ sources: [{ app: 'default', directory }], operations, cache: false }));
    expect(error.code).toBe('MODULE_INVALID');
    expect(error.message).toBe(`Unexpected ";" (${join(directory, '0002_broken.ts')}:1)`);
  });

  it('names the file that throws while it loads', async () => {
    const directory = migrationsDir({ '0001_boom.ts': "throw new Error('boom\\nsecond line');\n" });
    const error = await covetRejectionOf(loadMigrations({ sources: [{ app: 'default', directory }], operations, cache: false }));
    // file:line:column of the throw (from the bundle's source map).
    expect(error.message).toBe(`boom (${join(directory, '0001_boom.ts')}:1:7)`);
  });

  it('refuses two files for one migration, naming both', async () => {
    const directory = migrationsDir({ '0001_a.ts': INITIAL, '0001_a.js': INITIAL });
    const error = await covetRejectionOf(loadMigrations({ sources: [{ app: 'default', directory }], operations }));
    expect(error.code).toBe('MIGRATION_DUPLICATE');
    expect(error.message).toBe(`Two files define migration default:0001_a (${join(directory, '0001_a.js')} and ${join(directory, '0001_a.ts')})`);
  });

  it('refuses an unknown operation kind, naming the file', async () => {
    const directory = migrationsDir({
      '0001_view.ts': `import { defineMigration, op } from '@covet/core';\nexport default defineMigration({ operations: [op.custom('views.createView', { name: 'v' })] });\n`,
    });
    const error = await covetRejectionOf(loadMigrations({ sources: [{ app: 'default', directory }], operations }));
    expect(error.code).toBe('OPERATION_UNKNOWN');
    expect(error.message).toBe(`Unknown operation kind "views.createView" (operation #1 of ${join(directory, '0001_view.ts')})`);
  });

  it('refuses a file without a migration, naming it', async () => {
    const directory = migrationsDir({ '0001_empty.ts': 'export const x = 1;\n' });
    const error = await covetRejectionOf(loadMigrations({ sources: [{ app: 'default', directory }], operations }));
    expect(error.message).toBe(`Migration has no default export made with defineMigration (${join(directory, '0001_empty.ts')})`);
  });

  it('refuses a missing dependency, naming the file', async () => {
    const directory = migrationsDir({ '0002_nickname.ts': SECOND });
    const error = await covetRejectionOf(loadMigrations({ sources: [{ app: 'default', directory }], operations }));
    expect(error.message).toBe(
      `Migration default:0002_nickname depends on default:0001_initial, which does not exist (${join(directory, '0002_nickname.ts')})`,
    );
  });

  it('resolves cross-app dependencies between sources', async () => {
    const auth = migrationsDir({ '0001_initial.ts': INITIAL });
    const blog = migrationsDir({
      '0001_posts.ts': `import { defineMigration, op, t } from '@covet/core';\nexport default defineMigration({ dependencies: ['auth:0001_initial'], operations: [op.createTable('posts', { id: t.serial().primaryKey() })] });\n`,
    });
    const graph = await loadMigrations({ sources: [{ app: 'blog', directory: blog }, { app: 'auth', directory: auth }], operations, cache: false });
    expect(graph.order().map((entry) => entry.id)).toStrictEqual(['auth:0001_initial', 'blog:0001_posts']);
  });

  it('a missing folder is an app without migrations', async () => {
    const graph = await loadMigrations({ sources: [{ app: 'default', directory: join(root, 'nope') }], operations });
    expect(graph.size).toBe(0);
  });

  describe('the source-hash cache', () => {
    it('does not import unchanged files again, yet gives the same checksum and operations', async () => {
      const directory = migrationsDir({ '0001_initial.ts': INITIAL, '0002_nickname.ts': SECOND });
      const sources = [{ app: 'default', directory }];
      const first = await loadMigrations({ sources, operations });
      expect(globals.__covetLoaderCount).toBe(1);
      expect(existsSync(MigrationCache.forDirectory(directory, `default\0${fingerprint}`).file)).toBe(true);

      const second = await loadMigrations({ sources, operations });
      expect(globals.__covetLoaderCount).toBe(1);
      const pairs = first.order().map((entry, index) => [entry, second.order()[index]!] as const);
      for (const [before, after] of pairs) {
        expect(after.id).toBe(before.id);
        expect(after.checksum).toBe(before.checksum);
        expect(after.dependencies).toStrictEqual(before.dependencies);
        const [a, b] = [await before.load(), await after.load()];
        expect(b.operations).toStrictEqual(a.operations);
        expect(b.checksum).toBe(a.checksum);
      }
      // entry.load() of a cached migration does not import the file either.
      expect(globals.__covetLoaderCount).toBe(1);
    });

    it('keeps apart the same folder loaded as two different apps', async () => {
      const directory = migrationsDir({ '0001_initial.ts': INITIAL, '0002_nickname.ts': SECOND });
      const asDefault = await loadMigrations({ sources: [{ app: 'default', directory }], operations });
      const asBlog = await loadMigrations({ sources: [{ app: 'blog', directory }], operations });
      rmSync(MigrationCache.forDirectory(directory, `blog\0${fingerprint}`).file, { force: true });
      expect(asBlog.get('blog:0002_nickname')!.dependencies).toStrictEqual(['blog:0001_initial']);
      expect(asDefault.get('default:0002_nickname')!.dependencies).toStrictEqual(['default:0001_initial']);
    });

    it('a changed file is imported again and gets a new checksum', async () => {
      const directory = migrationsDir({ '0001_initial.ts': INITIAL, '0002_nickname.ts': SECOND });
      const sources = [{ app: 'default', directory }];
      const before = (await loadMigrations({ sources, operations })).get('default:0002_nickname')!;
      writeFileSync(join(directory, '0002_nickname.ts'), SECOND.replace('t.varchar(50)', 't.varchar(80)'));
      const after = (await loadMigrations({ sources, operations })).get('default:0002_nickname')!;
      expect(globals.__covetLoaderCount).toBe(2);
      expect(after.checksum).not.toBe(before.checksum);
      expect(after.checksum).toBe(
        computeChecksum({ dependencies: ['0001_initial'], operations: [op.addColumn('users', 'nickname', t.varchar(80))] }, 'default'),
      );
    });

    it('a file with relative imports is always imported', async () => {
      const directory = migrationsDir({
        '0001_initial.ts': `import { defineMigration } from '@covet/core';\nimport { shared } from './shared/ops';\nexport default defineMigration({ operations: shared });\n`,
      });
      mkdirSync(join(directory, 'shared'));
      writeFileSync(
        join(directory, 'shared', 'ops.ts'),
        `import { op } from '@covet/core';\n(globalThis as { __covetLoaderCount?: number }).__covetLoaderCount! += 1;\nexport const shared = [op.runSql('SELECT 1')];\n`,
      );
      const sources = [{ app: 'default', directory }];
      await loadMigrations({ sources, operations });
      const [entry] = (await loadMigrations({ sources, operations })).order();
      expect(globals.__covetLoaderCount).toBe(2);
      expect(entry!.checksum).toBe(computeChecksum({ operations: [op.runSql('SELECT 1')] }, 'default'));
    });

    it('a corrupt cache file is an empty cache', async () => {
      const directory = migrationsDir({ '0001_initial.ts': INITIAL, '0002_nickname.ts': SECOND });
      const sources = [{ app: 'default', directory }];
      const before = await loadMigrations({ sources, operations });
      writeFileSync(MigrationCache.forDirectory(directory, `default\0${fingerprint}`).file, '{ not json');
      const after = await loadMigrations({ sources, operations });
      expect(globals.__covetLoaderCount).toBe(2);
      expect(after.order().map((entry) => entry.checksum)).toStrictEqual(before.order().map((entry) => entry.checksum));
    });
  });
});

describe('importModules', () => {
  it('imports TypeScript, JavaScript and JSON modules in one go, in order', async () => {
    const directory = makeTempDir('import');
    try {
      writeFileSync(join(directory, 'a.ts'), 'export const value: number = 1;\n');
      writeFileSync(join(directory, 'b.mjs'), 'export default "b";\n');
      writeFileSync(join(directory, 'c.json'), '\uFEFF{ "c": true }');
      const [a, b, c] = await importModules([join(directory, 'a.ts'), join(directory, 'b.mjs'), join(directory, 'c.json')], directory);
      expect({ ...(a as object) }).toStrictEqual({ value: 1 });
      expect((b as { default: string }).default).toBe('b');
      expect(c).toStrictEqual({ default: { c: true } });
    } finally {
      removeTempDir(directory);
    }
  });

  it('names a broken JSON file', async () => {
    const directory = makeTempDir('import');
    try {
      writeFileSync(join(directory, 'bad.json'), '{ "a": ');
      const error = await covetRejectionOf(importModules([join(directory, 'bad.json')], directory));
      expect(error.code).toBe('MODULE_INVALID');
      expect(error.message).toMatch(new RegExp(`^Invalid JSON: .* \\(${join(directory, 'bad.json').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)$`));
    } finally {
      removeTempDir(directory);
    }
  });
});

describe('loadModels', () => {
  it('collects every exported table of a folder, once, sorted by name', async () => {
    const directory = makeTempDir('models');
    try {
      writeFileSync(
        join(directory, 'users.ts'),
        `import { defineTable, t } from '@covet/core';\nexport const users = defineTable('users', { id: t.serial().primaryKey() });\nexport default users;\n`,
      );
      writeFileSync(
        join(directory, 'posts.ts'),
        `import { defineTable, t } from '@covet/core';\nimport { users } from './users';\nexport const posts = defineTable('posts', { id: t.serial().primaryKey(), author_id: t.integer().references(users, 'id') });\nexport const notATable = 42;\n`,
      );
      writeFileSync(join(directory, 'posts.test.ts'), 'throw new Error("tests are not models");\n');
      const state = await loadModels([directory], process.cwd());
      expect(Object.keys(state.tables)).toStrictEqual(['posts', 'users']);
      expect(state.tables.posts!.foreignKeys.map((fk) => fk.name)).toStrictEqual(['posts_author_id_fkey']);
    } finally {
      removeTempDir(directory);
    }
  });

  it('refuses two different tables with one name, and a foreign key to a table that is not a model, naming the files', async () => {
    const directory = makeTempDir('models');
    try {
      const a = join(directory, 'a.ts');
      const b = join(directory, 'b.ts');
      writeFileSync(a, `import { defineTable, t } from '@covet/core';\nexport const users = defineTable('users', { id: t.integer() });\n`);
      writeFileSync(b, `import { defineTable, t } from '@covet/core';\nexport const users = defineTable('users', { id: t.bigint() });\n`);
      const duplicate = await covetRejectionOf(loadModels([directory], process.cwd()));
      expect(duplicate.message).toBe(`Table "users" is defined twice (${a} and ${b})`);

      writeFileSync(b, `import { defineTable, t } from '@covet/core';\nexport const posts = defineTable('posts', { user_id: t.integer().references('accounts', 'id') });\n`);
      const dangling = await covetRejectionOf(loadModels([directory], process.cwd()));
      expect(dangling.code).toBe('MODEL_INVALID');
      expect(dangling.message).toBe(`Table "accounts" referenced by foreign key posts_user_id_fkey on posts does not exist (${b})`);

      const none = await covetRejectionOf(loadModels([join(directory, '*.nothing')], process.cwd()));
      expect(none.message).toBe(`No model files match "${join(directory, '*.nothing')}" (models)`);
    } finally {
      removeTempDir(directory);
    }
  });

  it('collects exported plugin objects into the plugin state, and lets processModels taps see every export and add to it', async () => {
    const directory = makeTempDir('models');
    try {
      const views = join(directory, 'views.ts');
      writeFileSync(
        join(directory, 'users.ts'),
        `import { defineTable, t } from '@covet/core';\nexport const users = defineTable('users', { id: t.serial().primaryKey(), active: t.boolean() });\n`,
      );
      writeFileSync(
        views,
        [
          `import { defineModelObject } from '@covet/core';`,
          `export const active = defineModelObject('views', 'active_users', { sql: 'SELECT id FROM users WHERE active' });`,
          `export default active;`,
          `export const audited = { audit: ['users'] };`,
          '',
        ].join('\n'),
      );
      const seen: string[] = [];
      const covet = createCovet({
        plugins: [
          definePlugin({
            name: 'audit',
            apply(covet) {
              covet.hooks.processModels.tap('audit', (state, { app, exports }) => {
                seen.push(app, ...exports.map((entry) => `${entry.name}@${entry.file === views ? 'views' : 'users'}`));
                const tables = exports.flatMap((entry) => (entry.name === 'audited' ? (entry.value as { audit: string[] }).audit : []));
                return tables.reduce((result, table) => withPluginObject(result, 'audit', table, { trigger: `${table}_audit` }), state);
              });
            },
          }),
        ],
      });
      const state = await loadModels([directory], process.cwd(), { covet, app: 'shop' });
      expect(Object.keys(state.tables)).toStrictEqual(['users']);
      expect(JSON.parse(JSON.stringify(state.plugins))).toStrictEqual({
        audit: { users: { trigger: 'users_audit' } },
        views: { active_users: { sql: 'SELECT id FROM users WHERE active' } },
      });
      expect(Object.getPrototypeOf(state.plugins!.views)).toBeNull();
      expect(seen).toStrictEqual(['shop', 'users@users', 'active@views', 'audited@views', 'default@views']);
      // Without covet, no hook: only the declared objects.
      expect(Object.keys((await loadModels([directory], process.cwd())).plugins!)).toStrictEqual(['views']);
    } finally {
      removeTempDir(directory);
    }
  });

  it('refuses two different plugin objects with one name, and a definition that is not JSON, naming the files', async () => {
    const directory = makeTempDir('models');
    try {
      const a = join(directory, 'a.ts');
      const b = join(directory, 'b.ts');
      writeFileSync(a, `import { defineModelObject } from '@covet/core';\nexport const v = defineModelObject('views', 'v', { sql: 'SELECT 1' });\n`);
      writeFileSync(b, `import { defineModelObject } from '@covet/core';\nexport const v = defineModelObject('views', 'v', { sql: 'SELECT 2' });\n`);
      const duplicate = await covetRejectionOf(loadModels([directory], process.cwd()));
      expect(duplicate.code).toBe('PLUGIN_OBJECT_DUPLICATE');
      expect(duplicate.message).toBe(`views "v" is defined twice (${a} and ${b})`);

      writeFileSync(b, `import { defineModelObject } from '@covet/core';\nexport const w = defineModelObject('views', 'w', { at: new Date(0) });\n`);
      const notJson = await covetRejectionOf(loadModels([b], process.cwd()));
      expect(notJson.message).toBe(`views "w".at is not JSON: a Date object (${b}:2:18)`);
    } finally {
      removeTempDir(directory);
    }
  });
});
