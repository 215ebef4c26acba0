import { defineTable, sql, t } from '@covet/core';
import { posts } from './posts';
import { users } from './users';

export const comments = defineTable(
  'comments',
  {
    id: t.serial().primaryKey(),
    post_id: t.integer().notNull().references(posts, 'id', { onDelete: 'cascade' }),
    author_id: t.integer().references(users, 'id', { onDelete: 'set null' }),
    body: t.text().notNull(),
    created_at: t.timestamp().notNull().default(sql`CURRENT_TIMESTAMP`),
  },
  { indexes: [{ name: 'comments_post_id_idx', columns: ['post_id'] }] },
);
