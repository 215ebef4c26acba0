import { defineTable, t } from '@covet/core';
import { posts } from './posts';

export const tags = defineTable('tags', {
  id: t.serial().primaryKey(),
  name: t.varchar(50).notNull().unique(),
});

/** The many-to-many join between posts and tags. */
export const postTags = defineTable(
  'post_tags',
  {
    post_id: t.integer().notNull().references(posts, 'id', { onDelete: 'cascade' }),
    tag_id: t.integer().notNull().references(tags, 'id', { onDelete: 'cascade' }),
  },
  { primaryKey: ['post_id', 'tag_id'], indexes: [{ name: 'post_tags_tag_id_idx', columns: ['tag_id'] }] },
);
