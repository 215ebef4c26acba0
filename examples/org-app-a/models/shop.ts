import { defineTable, sql, t } from '@covet/core';

export const customers = defineTable('customers', {
  id: t.serial().primaryKey(),
  email: t.varchar(255).notNull().unique(),
  name: t.text(),
  is_vip: t.boolean().notNull().default(false),
});

export const orders = defineTable('orders', {
  id: t.serial().primaryKey(),
  customer_id: t.integer().notNull().references(customers, 'id', { onDelete: 'cascade' }),
  total_cents: t.integer().notNull(),
  created_at: t.timestamp().notNull().default(sql`CURRENT_TIMESTAMP`),
}, {
  indexes: [{ name: 'orders_customer_id_idx', columns: ['customer_id'] }],
});
