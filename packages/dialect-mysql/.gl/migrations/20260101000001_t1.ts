import { defineMigration, op, t } from '@covet/core';
export default defineMigration({
  dependencies: [],
  operations: [
    op.createTable('t1', { id: t.serial().primaryKey(), name: t.varchar(100).notNull() }),
    op.createIndex('t1', { name: 't1_name_idx', columns: ['name'] }),
  ],
});
