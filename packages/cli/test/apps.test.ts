// Several apps in one project: a blog table references an auth table.
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATION_FILE_NAME, TestProject, migrationSource, modelSource, removeProjects } from './helpers.js';

afterAll(removeProjects);

const APPS_CONFIG = `import { defineConfig } from '@covet/core';
export default defineConfig({
  database: { engine: 'sqlite', name: './app.db' },
  migrations: './migrations',
  apps: { auth: { models: './auth' }, blog: { models: './blog' } },
});
`;

const AUTH_MODELS = modelSource(`
export const accounts = defineTable('accounts', {
  id: t.serial().primaryKey(),
  email: t.varchar(255).notNull().unique(),
});
`);

// blog's models reference auth's table without exporting it: it is known from auth's migrations.
const BLOG_MODELS = `import { defineTable, t } from '@covet/core';
import { accounts } from '../auth/accounts';

export const articles = defineTable('articles', {
  id: t.serial().primaryKey(),
  author_id: t.integer().notNull().references(accounts, 'id', { onDelete: 'cascade' }),
  title: t.varchar(200).notNull(),
});
`;

describe('multiple apps', () => {
  it('makemigrations per app, a cross-app dependency, migrate in dependency order, showmigrations lists both', async () => {
    const project = TestProject.create('apps', {
      config: APPS_CONFIG,
      files: { 'auth/accounts.ts': AUTH_MODELS, 'blog/articles.ts': BLOG_MODELS },
    });

    const auth = await project.run('makemigrations', '--app', 'auth');
    expect(auth.code, auth.output).toBe(0);
    const [authFile] = project.migrationFiles('auth');
    expect(project.migrationFiles('auth')).toHaveLength(1);
    expect(authFile).toMatch(MIGRATION_FILE_NAME);
    const authName = authFile!.replace(/\.ts$/, '');
    expect(project.migrationFiles('blog')).toEqual([]);

    const blog = await project.run('makemigrations', '--app', 'blog');
    expect(blog.code, blog.output).toBe(0);
    const [blogFile] = project.migrationFiles('blog');
    expect(project.migrationFiles('blog')).toHaveLength(1);
    expect(blogFile).toMatch(MIGRATION_FILE_NAME);
    const blogName = blogFile!.replace(/\.ts$/, '');
    const blogSource = project.read(`migrations/blog/${blogFile}`);
    expect(blogSource).toContain(`dependencies: ['auth:${authName}']`);
    expect(blogSource).toContain("op.createTable('articles'");
    expect(blogSource).not.toContain("op.createTable('accounts'");

    for (const app of ['auth', 'blog']) {
      const again = await project.run('makemigrations', '--app', app);
      expect(again.code, again.output).toBe(0);
      expect(again.stdout).toContain('No changes detected');
    }

    const migrated = await project.run('migrate');
    expect(migrated.code, migrated.output).toBe(0);
    expect(migrated.stdout.indexOf(`Applied auth:${authName}`)).toBeGreaterThanOrEqual(0);
    expect(migrated.stdout.indexOf(`Applied auth:${authName}`)).toBeLessThan(migrated.stdout.indexOf(`Applied blog:${blogName}`));
    expect(project.applied()).toEqual([`auth:${authName}`, `blog:${blogName}`]);
    expect(project.tables()).toEqual(['accounts', 'articles', 'covet_migrations']);
    expect(project.rows("SELECT \"table\", \"from\", \"to\" FROM pragma_foreign_key_list('articles')")).toEqual([
      { table: 'accounts', from: 'author_id', to: 'id' },
    ]);

    const status = await project.run('showmigrations');
    expect(status.code, status.output).toBe(0);
    expect(status.stdout.split('\n')).toEqual(expect.arrayContaining(['auth', 'blog']));
    expect(status.stdout).toMatch(new RegExp(`\\[X\\] ${authName}`));
    expect(status.stdout).toMatch(new RegExp(`\\[X\\] ${blogName}`));
    expect(status.stdout.indexOf('auth')).toBeLessThan(status.stdout.indexOf('blog'));
    const json = JSON.parse((await project.run('showmigrations', '--json')).stdout) as { app: string; name: string; applied: boolean }[];
    expect(json.map(({ app, name, applied }) => ({ app, name, applied }))).toEqual([
      { app: 'auth', name: authName, applied: true },
      { app: 'blog', name: blogName, applied: true },
    ]);
    const onlyBlog = await project.run('showmigrations', '--app', 'blog');
    expect(onlyBlog.stdout).toContain(blogName);
    expect(onlyBlog.stdout).not.toContain(authName);
  });

  it('dependency order wins over name order across apps', async () => {
    // blog's migration sorts before auth's by name and app, but depends on it.
    const project = TestProject.create('apps-order', {
      config: APPS_CONFIG,
      files: {
        'migrations/auth/20260702000000_accounts.ts': migrationSource(["op.createTable('accounts', { id: t.serial().primaryKey() })"]),
        'migrations/blog/20260701000000_articles.ts': migrationSource(
          ["op.createTable('articles', { id: t.serial().primaryKey(), author_id: t.integer().notNull().references('accounts', 'id') })"],
          ['auth:20260702000000_accounts'],
        ),
      },
    });
    const migrated = await project.run('migrate');
    expect(migrated.code, migrated.output).toBe(0);
    expect(project.applied()).toEqual(['auth:20260702000000_accounts', 'blog:20260701000000_articles']);

    // Rolling back auth's migration alone would break blog's: rollback takes the last applied first.
    const rolled = await project.run('rollback');
    expect(rolled.code, rolled.output).toBe(0);
    expect(project.applied()).toEqual(['auth:20260702000000_accounts']);
    expect(project.tables()).toEqual(['accounts', 'covet_migrations']);

    // migrate with an app-qualified target applies it with its dependencies.
    const target = await project.run('migrate', 'blog:20260701000000_articles');
    expect(target.code, target.output).toBe(0);
    expect(project.applied()).toEqual(['auth:20260702000000_accounts', 'blog:20260701000000_articles']);
  });

  it('rollback --app rolls back only that app, and refuses what another app still depends on', async () => {
    const project = TestProject.create('apps-rollback', {
      config: APPS_CONFIG,
      files: {
        'migrations/auth/20260101000001_a1.ts': migrationSource(["op.createTable('accounts', { id: t.serial().primaryKey() })"]),
        'migrations/blog/20260101000002_b1.ts': migrationSource(
          ["op.createTable('articles', { id: t.serial().primaryKey(), author_id: t.integer().references('accounts', 'id') })"],
          ['auth:20260101000001_a1'],
        ),
        'migrations/auth/20260101000003_a2.ts': migrationSource(["op.createTable('sessions', { id: t.serial().primaryKey() })"], ['20260101000001_a1']),
      },
    });
    expect((await project.run('migrate')).code).toBe(0);
    expect(project.applied()).toEqual(['auth:20260101000001_a1', 'blog:20260101000002_b1', 'auth:20260101000003_a2']);

    const blog = await project.run('rollback', '--app', 'blog');
    expect(blog.code, blog.output).toBe(0);
    expect(blog.stdout).toContain('Rolled back blog:20260101000002_b1');
    expect(project.applied()).toEqual(['auth:20260101000001_a1', 'auth:20260101000003_a2']);

    expect((await project.run('migrate')).code).toBe(0);
    const before = project.snapshot();
    const refused = await project.run('rollback', '--app', 'auth', '--steps', '2');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('error: Cannot roll back auth:20260101000001_a1: blog:20260101000002_b1 depends on it and stays applied');
    expect(project.snapshot()).toEqual(before);
  });
});
