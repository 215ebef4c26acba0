import { op, t } from '@covet/core';
import { describe, expect, it } from 'vitest';
import { migrationName, snakeCaseLabel, suggestLabel } from './migration-name.js';

const DATE = new Date(Date.UTC(2026, 10, 24, 12, 5, 9));

describe('migrationName', () => {
  it('is the UTC timestamp and the snake_case label', () => {
    expect(migrationName('add users nickname', DATE)).toBe('20261124120509_add_users_nickname');
    expect(migrationName('addUsersNickname', DATE)).toBe('20261124120509_add_users_nickname');
    expect(migrationName('Add-HTMLParser  v2', DATE)).toBe('20261124120509_add_html_parser_v2');
    expect(migrationName('__initial__', DATE)).toBe('20261124120509_initial');
  });

  it('sorts in creation order', () => {
    const earlier = migrationName('b', new Date(Date.UTC(2026, 0, 2, 3, 4, 5)));
    const later = migrationName('a', new Date(Date.UTC(2026, 0, 2, 3, 4, 6)));
    expect([later, earlier].sort()).toEqual([earlier, later]);
  });

  it.each(['../x', 'a/b', 'a\\b', '', '   ', '---', 'x.ts', 'line\nbreak', 'naïve', '/etc/passwd', 'C:evil'])(
    'refuses %j with a one-line error naming it',
    (label) => {
      let error: unknown;
      try {
        migrationName(label, DATE);
      } catch (caught) {
        error = caught;
      }
      expect(error).toMatchObject({ name: 'CovetError', code: 'MIGRATION_NAME_INVALID' });
      const message = (error as Error).message;
      expect(message).not.toContain('\n');
      expect(message).toContain(JSON.stringify(label));
    },
  );

  it('refuses a label too long for a file name and an invalid date', () => {
    expect(() => snakeCaseLabel('a'.repeat(101))).toThrow(/more than 100/);
    expect(() => migrationName('ok', new Date(Number.NaN))).toThrow(/Invalid date/);
  });
});

describe('suggestLabel', () => {
  it('describes one operation', () => {
    expect(suggestLabel([op.createTable('users', { id: t.serial().primaryKey() })])).toBe('create_users');
    expect(suggestLabel([op.addColumn('users', 'nickname', t.text())])).toBe('add_users_nickname');
    expect(suggestLabel([op.dropColumn('users', 'nickname')])).toBe('remove_users_nickname');
    expect(suggestLabel([op.renameTable('user', 'users')])).toBe('rename_user_to_users');
    expect(suggestLabel([op.createIndex('users', { columns: ['email'] })])).toBe('create_users_email_idx');
    expect(suggestLabel([op.runSql('SELECT 1')])).toBe('run_sql');
    expect(suggestLabel([op.custom('views.createView', {})])).toBe('views_create_view');
    expect(suggestLabel([op.dropTable('userProfiles$old')])).toBe('drop_user_profiles_old');
  });

  it('joins a few, says auto for many and empty for none', () => {
    expect(suggestLabel([op.dropTable('a'), op.dropTable('b')])).toBe('drop_a_drop_b');
    expect(suggestLabel(['a', 'b', 'c', 'd'].map((name) => op.dropTable(name)))).toBe('auto');
    expect(suggestLabel([op.dropTable('a'.repeat(40)), op.dropTable('b'.repeat(40))])).toBe('auto');
    expect(suggestLabel([])).toBe('empty');
  });

  it('always gives a label migrationName accepts', () => {
    expect(() => migrationName(suggestLabel([op.dropTable('x'.repeat(63))]), DATE)).not.toThrow();
  });
});
