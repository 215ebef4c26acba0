// The Sakila sample schema (fixtures/corpus/sakila/mysql-sakila-schema.sql) as Covet models, as
// MariaDB reports it. Written as a person would: the foreign keys leave ON DELETE at its default
// (NO ACTION), where the DDL says RESTRICT, which InnoDB treats as the same action. Views,
// triggers, routines and the FULLTEXT index are not tables Covet manages.
import { defineTable, sql, t } from '@covet/core';

export const actor = defineTable('actor', {
  actor_id: t.custom('int unsigned AUTO_INCREMENT').primaryKey(),
  first_name: t.varchar(45).notNull(),
  last_name: t.varchar(45).notNull(),
  last_update: t.custom('timestamp ON UPDATE CURRENT_TIMESTAMP').notNull().default(
    sql`CURRENT_TIMESTAMP`,
  ),
}, {
  indexes: [{ name: 'idx_actor_last_name', columns: ['last_name'] }],
});

export const address = defineTable('address', {
  address_id: t.custom('int unsigned AUTO_INCREMENT').primaryKey(),
  address: t.varchar(50).notNull(),
  address2: t.varchar(50),
  district: t.varchar(20).notNull(),
  city_id: t.custom('int unsigned').notNull().references('city', 'city_id', {
    onUpdate: 'cascade',
    name: 'fk_address_city',
  }),
  postal_code: t.varchar(10),
  phone: t.varchar(20).notNull(),
  last_update: t.custom('timestamp ON UPDATE CURRENT_TIMESTAMP').notNull().default(
    sql`CURRENT_TIMESTAMP`,
  ),
}, {
  indexes: [{ name: 'idx_fk_city_id', columns: ['city_id'] }],
});

export const category = defineTable('category', {
  category_id: t.custom('int unsigned AUTO_INCREMENT').primaryKey(),
  name: t.varchar(25).notNull(),
  last_update: t.custom('timestamp ON UPDATE CURRENT_TIMESTAMP').notNull().default(
    sql`CURRENT_TIMESTAMP`,
  ),
});

export const city = defineTable('city', {
  city_id: t.custom('int unsigned AUTO_INCREMENT').primaryKey(),
  city: t.varchar(50).notNull(),
  country_id: t.custom('int unsigned').notNull().references('country', 'country_id', {
    onUpdate: 'cascade',
    name: 'fk_city_country',
  }),
  last_update: t.custom('timestamp ON UPDATE CURRENT_TIMESTAMP').notNull().default(
    sql`CURRENT_TIMESTAMP`,
  ),
}, {
  indexes: [{ name: 'idx_fk_country_id', columns: ['country_id'] }],
});

export const country = defineTable('country', {
  country_id: t.custom('int unsigned AUTO_INCREMENT').primaryKey(),
  country: t.varchar(50).notNull(),
  last_update: t.custom('timestamp ON UPDATE CURRENT_TIMESTAMP').notNull().default(
    sql`CURRENT_TIMESTAMP`,
  ),
});

export const customer = defineTable('customer', {
  customer_id: t.custom('int unsigned AUTO_INCREMENT').primaryKey(),
  store_id: t.custom('int unsigned').notNull().references('store', 'store_id', {
    onUpdate: 'cascade',
    name: 'fk_customer_store',
  }),
  first_name: t.varchar(45).notNull(),
  last_name: t.varchar(45).notNull(),
  email: t.varchar(50),
  address_id: t.custom('int unsigned').notNull().references('address', 'address_id', {
    onUpdate: 'cascade',
    name: 'fk_customer_address',
  }),
  active: t.boolean().notNull().default(true),
  create_date: t.timestamp().notNull(),
  last_update: t.custom('timestamp ON UPDATE CURRENT_TIMESTAMP').default(
    sql`CURRENT_TIMESTAMP`,
  ),
}, {
  indexes: [
    { name: 'idx_fk_address_id', columns: ['address_id'] },
    { name: 'idx_fk_store_id', columns: ['store_id'] },
    { name: 'idx_last_name', columns: ['last_name'] },
  ],
});

export const film = defineTable('film', {
  film_id: t.custom('int unsigned AUTO_INCREMENT').primaryKey(),
  title: t.varchar(255).notNull(),
  description: t.text(),
  release_year: t.custom('year'),
  language_id: t.custom('int unsigned').notNull().references('language', 'language_id', {
    onUpdate: 'cascade',
    name: 'fk_film_language',
  }),
  original_language_id: t.custom('int unsigned').references('language', 'language_id', {
    onUpdate: 'cascade',
    name: 'fk_film_language_original',
  }),
  rental_duration: t.custom('tinyint unsigned').notNull().default(3),
  rental_rate: t.decimal(4, 2).notNull().default(4.99),
  length: t.custom('smallint unsigned'),
  replacement_cost: t.decimal(5, 2).notNull().default(19.99),
  rating: t.custom("enum('G','PG','PG-13','R','NC-17')").default('G'),
  special_features: t.custom(
    "set('Trailers','Commentaries','Deleted Scenes','Behind the Scenes')",
  ),
  last_update: t.custom('timestamp ON UPDATE CURRENT_TIMESTAMP').notNull().default(
    sql`CURRENT_TIMESTAMP`,
  ),
}, {
  indexes: [
    { name: 'idx_fk_language_id', columns: ['language_id'] },
    { name: 'idx_fk_original_language_id', columns: ['original_language_id'] },
    { name: 'idx_title', columns: ['title'] },
  ],
});

export const film_actor = defineTable('film_actor', {
  actor_id: t.custom('int unsigned').notNull().references('actor', 'actor_id', {
    onUpdate: 'cascade',
    name: 'fk_film_actor_actor',
  }),
  film_id: t.custom('int unsigned').notNull().references('film', 'film_id', {
    onUpdate: 'cascade',
    name: 'fk_film_actor_film',
  }),
  last_update: t.custom('timestamp ON UPDATE CURRENT_TIMESTAMP').notNull().default(
    sql`CURRENT_TIMESTAMP`,
  ),
}, {
  primaryKey: ['actor_id', 'film_id'],
  indexes: [{ name: 'idx_fk_film_id', columns: ['film_id'] }],
});

export const film_category = defineTable('film_category', {
  film_id: t.custom('int unsigned').notNull().references('film', 'film_id', {
    onUpdate: 'cascade',
    name: 'fk_film_category_film',
  }),
  category_id: t.custom('int unsigned').notNull().references('category', 'category_id', {
    onUpdate: 'cascade',
    name: 'fk_film_category_category',
  }),
  last_update: t.custom('timestamp ON UPDATE CURRENT_TIMESTAMP').notNull().default(
    sql`CURRENT_TIMESTAMP`,
  ),
}, {
  primaryKey: ['film_id', 'category_id'],
});

export const film_text = defineTable('film_text', {
  film_id: t.integer().primaryKey(),
  title: t.varchar(255).notNull(),
  description: t.text(),
});

export const inventory = defineTable('inventory', {
  inventory_id: t.custom('int unsigned AUTO_INCREMENT').primaryKey(),
  film_id: t.custom('int unsigned').notNull().references('film', 'film_id', {
    onUpdate: 'cascade',
    name: 'fk_inventory_film',
  }),
  store_id: t.custom('int unsigned').notNull().references('store', 'store_id', {
    onUpdate: 'cascade',
    name: 'fk_inventory_store',
  }),
  last_update: t.custom('timestamp ON UPDATE CURRENT_TIMESTAMP').notNull().default(
    sql`CURRENT_TIMESTAMP`,
  ),
}, {
  indexes: [
    { name: 'idx_fk_film_id', columns: ['film_id'] },
    { name: 'idx_store_id_film_id', columns: ['store_id', 'film_id'] },
  ],
});

export const language = defineTable('language', {
  language_id: t.custom('int unsigned AUTO_INCREMENT').primaryKey(),
  name: t.char(20).notNull(),
  last_update: t.custom('timestamp ON UPDATE CURRENT_TIMESTAMP').notNull().default(
    sql`CURRENT_TIMESTAMP`,
  ),
});

export const payment = defineTable('payment', {
  payment_id: t.custom('int unsigned AUTO_INCREMENT').primaryKey(),
  customer_id: t.custom('int unsigned').notNull().references('customer', 'customer_id', {
    onUpdate: 'cascade',
    name: 'fk_payment_customer',
  }),
  staff_id: t.custom('int unsigned').notNull().references('staff', 'staff_id', {
    onUpdate: 'cascade',
    name: 'fk_payment_staff',
  }),
  rental_id: t.integer().references('rental', 'rental_id', {
    onDelete: 'set null',
    onUpdate: 'cascade',
    name: 'fk_payment_rental',
  }),
  amount: t.decimal(5, 2).notNull(),
  payment_date: t.timestamp().notNull(),
  last_update: t.custom('timestamp ON UPDATE CURRENT_TIMESTAMP').default(
    sql`CURRENT_TIMESTAMP`,
  ),
}, {
  indexes: [
    { name: 'idx_fk_customer_id', columns: ['customer_id'] },
    { name: 'idx_fk_staff_id', columns: ['staff_id'] },
  ],
});

export const rental = defineTable('rental', {
  rental_id: t.serial().primaryKey(),
  rental_date: t.timestamp().notNull(),
  inventory_id: t.custom('int unsigned').notNull().references('inventory', 'inventory_id', {
    onUpdate: 'cascade',
    name: 'fk_rental_inventory',
  }),
  customer_id: t.custom('int unsigned').notNull().references('customer', 'customer_id', {
    onUpdate: 'cascade',
    name: 'fk_rental_customer',
  }),
  return_date: t.timestamp(),
  staff_id: t.custom('int unsigned').notNull().references('staff', 'staff_id', {
    onUpdate: 'cascade',
    name: 'fk_rental_staff',
  }),
  last_update: t.custom('timestamp ON UPDATE CURRENT_TIMESTAMP').notNull().default(
    sql`CURRENT_TIMESTAMP`,
  ),
}, {
  uniques: [{ name: 'rental_date', columns: ['rental_date', 'inventory_id', 'customer_id'] }],
  indexes: [
    { name: 'idx_fk_customer_id', columns: ['customer_id'] },
    { name: 'idx_fk_inventory_id', columns: ['inventory_id'] },
    { name: 'idx_fk_staff_id', columns: ['staff_id'] },
  ],
});

export const staff = defineTable('staff', {
  staff_id: t.custom('int unsigned AUTO_INCREMENT').primaryKey(),
  first_name: t.varchar(45).notNull(),
  last_name: t.varchar(45).notNull(),
  address_id: t.custom('int unsigned').notNull().references('address', 'address_id', {
    onUpdate: 'cascade',
    name: 'fk_staff_address',
  }),
  picture: t.custom('mediumblob'),
  email: t.varchar(50),
  store_id: t.custom('int unsigned').notNull().references('store', 'store_id', {
    onUpdate: 'cascade',
    name: 'fk_staff_store',
  }),
  active: t.boolean().notNull().default(true),
  username: t.varchar(16).notNull(),
  password: t.varchar(40).collate('utf8mb3_bin'),
  last_update: t.custom('timestamp ON UPDATE CURRENT_TIMESTAMP').notNull().default(
    sql`CURRENT_TIMESTAMP`,
  ),
}, {
  indexes: [
    { name: 'idx_fk_address_id', columns: ['address_id'] },
    { name: 'idx_fk_store_id', columns: ['store_id'] },
  ],
});

export const store = defineTable('store', {
  store_id: t.custom('int unsigned AUTO_INCREMENT').primaryKey(),
  manager_staff_id: t.custom('int unsigned').notNull().unique('idx_unique_manager').references('staff', 'staff_id', {
    onUpdate: 'cascade',
    name: 'fk_store_staff',
  }),
  address_id: t.custom('int unsigned').notNull().references('address', 'address_id', {
    onUpdate: 'cascade',
    name: 'fk_store_address',
  }),
  last_update: t.custom('timestamp ON UPDATE CURRENT_TIMESTAMP').notNull().default(
    sql`CURRENT_TIMESTAMP`,
  ),
}, {
  indexes: [{ name: 'idx_fk_address_id', columns: ['address_id'] }],
});
