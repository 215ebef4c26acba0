import { defineTable, sql, t } from '@covet/core';

export const users = defineTable('users', {
  id: t.serial().primaryKey(),
  email: t.varchar(255).notNull().unique(),
  name: t.varchar(100).notNull(),
  bio: t.text(),
  is_admin: t.boolean().notNull().default(false),
  created_at: t.timestamp().notNull().default(sql`CURRENT_TIMESTAMP`),
});
