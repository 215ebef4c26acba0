import { defineTable, sql, t } from '@covet/core';
import { users } from './users';

export const posts = defineTable(
  'posts',
  {
    id: t.serial().primaryKey(),
    author_id: t.integer().notNull().references(users, 'id', { onDelete: 'cascade' }),
    title: t.varchar(200).notNull(),
    slug: t.varchar(200).notNull(),
    body: t.text().notNull(),
    published_at: t.timestamp(),
    created_at: t.timestamp().notNull().default(sql`CURRENT_TIMESTAMP`),
  },
  {
    uniques: [['author_id', 'slug']],
    indexes: [{ name: 'posts_published_at_idx', columns: ['published_at'] }],
  },
);
