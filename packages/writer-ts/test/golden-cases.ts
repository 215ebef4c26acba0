import { op, sql, t, type Operation } from '@covet/core';

/** One golden migration: what is rendered into `test/golden/<kind>.ts`. */
export interface GoldenCase {
  readonly operations: readonly Operation[];
  readonly dependencies?: readonly string[];
  readonly atomic?: boolean;
}

const DEPENDENCIES = ['20261124120000_initial'];

/** A golden case per built-in operation kind, covering the arguments each can take. */
export const GOLDEN_CASES: Readonly<Record<string, GoldenCase>> = {
  createTable: {
    operations: [
      op.createTable(
        'users',
        {
          id: t.serial().primaryKey(),
          email: t.varchar(255).notNull().unique(),
          handle: t.varchar(40).notNull().unique('users_handle_uq'),
          bio: t.text(),
          deleted_at: t.timestamp({ withTimeZone: true }),
          created_at: t.timestamp().notNull().default(sql`CURRENT_TIMESTAMP`),
        },
        {
          indexes: [
            { name: 'users_bio_idx', columns: ['bio'] },
            { columns: ['email'], where: 'deleted_at IS NULL' },
            { name: 'users_live_handle', columns: ['handle', 'deleted_at'], unique: true, where: "handle <> ''" },
          ],
        },
      ),
      op.createTable('posts', {
        id: t.bigserial().primaryKey(),
        author_id: t.integer().notNull().references('users', 'id', { onDelete: 'cascade' }),
        editor_id: t.integer().references('users', 'id', { onDelete: 'set null', onUpdate: 'restrict', name: 'posts_editor' }),
        reviewer_id: t.integer().references('users', 'id', { onDelete: 'no action' }),
        title: t.varchar(200).notNull(),
      }, { uniques: [['author_id', 'title'], { name: 'posts_editor_title_key_named', columns: ['editor_id', 'title'] }] }),
      op.createTable(
        'memberships',
        {
          org_id: t.integer(),
          user_id: t.integer(),
          team: t.smallint(),
          role: t.char(2).notNull().default('me'),
        },
        {
          primaryKey: ['org_id', 'user_id'],
          foreignKeys: [
            { columns: ['org_id', 'team'], references: { table: 'teams', columns: ['org_id', 'id'] }, onDelete: 'restrict', onUpdate: 'cascade' },
            { name: 'memberships_user', columns: ['user_id'], references: { table: 'users', columns: ['id'] }, onDelete: 'set default' },
          ],
        },
      ),
      op.createTable('teams', { org_id: t.integer(), id: t.integer() }, { primaryKey: { name: 'teams_pk', columns: ['org_id', 'id'] } }),
      op.createTable('everything', {
        small_id: t.smallserial().primaryKey(),
        counter: t.bigint().notNull().default(0),
        ratio: t.real().default(-0.25),
        score: t.double().default(1e21),
        price: t.decimal(10, 2).notNull().default('0.00'),
        amount: t.decimal(8),
        free: t.decimal(),
        active: t.boolean().notNull().default(true),
        hidden: t.boolean().default(false),
        note: t.text().default(null),
        quoted: t.text().default("it's a \\ back`tick` and ${braces}\nnew line"),
        starts_on: t.date().default(sql`CURRENT_DATE`),
        opens_at: t.time({ withTimeZone: true }),
        closes_at: t.time(),
        payload: t.json().default(sql`'{}'`),
        tag: t.custom('citext'),
        token: t.uuid(),
        data: t.blob(),
        code: t.varchar(8).default(sql`upper(\`x\`) || '\${y}'`),
        later: t.serial().nullable(),
      }),
    ],
  },
  dropTable: { dependencies: DEPENDENCIES, operations: [op.dropTable('legacy_sessions')] },
  renameTable: { dependencies: DEPENDENCIES, operations: [op.renameTable('user', 'users')] },
  addColumn: {
    dependencies: DEPENDENCIES,
    operations: [
      op.addColumn('users', 'nickname', t.varchar(50)),
      op.addColumn('users', 'karma', t.integer().notNull().default(0)),
      op.addColumn('users', 'joined_at', t.timestamp({ withTimeZone: true }).notNull().default(sql`now()`)),
      op.addColumn('users', 'login', t.custom('citext').notNull().default('')),
      op.addColumn('users', 'seq', t.bigserial()),
    ],
  },
  dropColumn: { dependencies: DEPENDENCIES, operations: [op.dropColumn('users', 'nickname')] },
  alterColumn: {
    dependencies: DEPENDENCIES,
    operations: [
      op.alterColumn('users', 'email', t.varchar(320).notNull()),
      op.alterColumn('users', 'balance', t.decimal(12, 4).default(sql`0`)),
      op.alterColumn('users', 'seen_at', t.timestamp({ withTimeZone: true })),
    ],
  },
  renameColumn: { dependencies: DEPENDENCIES, operations: [op.renameColumn('users', 'name', 'full_name')] },
  createIndex: {
    dependencies: DEPENDENCIES,
    operations: [
      op.createIndex('users', { columns: ['nickname'] }),
      op.createIndex('users', { name: 'users_email_lower_key', columns: ['email'], unique: true }),
      op.createIndex('posts', { columns: ['author_id', 'created_at'] }),
      op.createIndex('posts', { name: 'posts_published_idx', columns: ['published_at'], where: 'published_at IS NOT NULL' }),
    ],
  },
  dropIndex: { dependencies: DEPENDENCIES, operations: [op.dropIndex('users', 'users_nickname_idx')] },
  renameIndex: { dependencies: DEPENDENCIES, operations: [op.renameIndex('users', 'users_nickname_idx', 'users_handle_idx')] },
  addForeignKey: {
    dependencies: DEPENDENCIES,
    operations: [
      op.addForeignKey('posts', { columns: ['author_id'], references: { table: 'users', columns: ['id'] } }),
      op.addForeignKey('memberships', {
        name: 'memberships_team_fk',
        columns: ['org_id', 'team_id'],
        references: { table: 'teams', columns: ['org_id', 'id'] },
        onDelete: 'cascade',
        onUpdate: 'set null',
      }),
    ],
  },
  dropForeignKey: { dependencies: DEPENDENCIES, operations: [op.dropForeignKey('posts', 'posts_author_id_fkey')] },
  runSql: {
    dependencies: ['20261124120000_initial', 'billing:20261120090000_invoices'],
    atomic: false,
    operations: [
      op.runSql("UPDATE users SET nickname = 'anon' WHERE nickname IS NULL"),
      op.runSql('CREATE EXTENSION IF NOT EXISTS citext', 'DROP EXTENSION citext'),
      op.runSql(['INSERT INTO flags (name) VALUES (\'a\')', 'INSERT INTO flags (name) VALUES (\'b\')'], ["DELETE FROM flags WHERE name IN ('a', 'b')"]),
      op.runSql('CREATE FUNCTION touch() RETURNS trigger AS $$\nBEGIN\n  NEW.updated_at = now();\n  RETURN NEW;\nEND;\n$$ LANGUAGE plpgsql', 'DROP FUNCTION touch()'),
      op.runSql('CREATE INDEX CONCURRENTLY users_created_at_idx ON users (created_at) -- backslash \\ and `${template}`\n'),
    ],
  },
};
