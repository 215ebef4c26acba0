import { defineMigration, op, t } from '@covet/core';
export default defineMigration({
  dependencies: ['20260101000001_t1'],
  operations: [
    op.createTable('t2', { id: t.serial().primaryKey(), name: t.varchar(100).notNull() }),
    op.createIndex('t2', { name: 't2_name_idx', columns: ['name'] }),
  ],
});
