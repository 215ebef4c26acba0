import { describe, expect, it } from 'vitest';
import type { MigrationEntry } from '../loader/migration-loader.js';
import { findMigration } from './find-migration.js';
import { MigrationGraph } from './migration-graph.js';

const entry = (app: string, name: string, dependencies: string[] = []) =>
  ({ id: `${app}:${name}`, app, name, dependencies }) as unknown as MigrationEntry;

const GRAPH = new MigrationGraph<MigrationEntry>([
  entry('blog', '20260101000000_initial'),
  entry('blog', '20260102000000_tags', ['blog:20260101000000_initial']),
  entry('blog', '20260102000001_slugs', ['blog:20260102000000_tags']),
  entry('shop', '20260101000000_initial'),
]);

describe('findMigration', () => {
  it('finds a name of the app, an app:name, and a unique prefix', () => {
    expect(findMigration(GRAPH, '20260101000000_initial', 'blog').id).toBe('blog:20260101000000_initial');
    expect(findMigration(GRAPH, 'shop:20260101000000_initial', 'blog').id).toBe('shop:20260101000000_initial');
    expect(findMigration(GRAPH, '20260102000001', 'blog').id).toBe('blog:20260102000001_slugs');
  });

  it('refuses an unknown or ambiguous name, naming where it was given', () => {
    expect(() => findMigration(GRAPH, 'nope', 'blog', 'migrate nope')).toThrow('No migration named blog:nope (migrate nope)');
    expect(() => findMigration(GRAPH, '20260102', 'blog')).toThrow(
      'blog:20260102 matches 2 migrations: 20260102000000_tags, 20260102000001_slugs',
    );
  });
});
