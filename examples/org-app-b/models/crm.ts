import { defineTable, t } from '@covet/core';

export const contacts = defineTable('contacts', {
  id: t.serial().primaryKey(),
  email: t.varchar(255).notNull(),
  phone: t.varchar(32),
  has_consent: t.boolean().notNull().default(false),
}, {
  indexes: [{ name: 'contacts_email_idx', columns: ['email'] }],
});

export const notes = defineTable('notes', {
  id: t.serial().primaryKey(),
  contact_id: t.integer().notNull().references(contacts, 'id', { onDelete: 'cascade' }),
  body: t.text().notNull(),
}, {
  indexes: [{ name: 'notes_contact_id_idx', columns: ['contact_id'] }],
});
