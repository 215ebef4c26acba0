// quoteLiteral on a real PostgreSQL: DDL such as COMMENT ON takes no bound values ($1 there is a
// syntax error), so a plugin writes the value as a literal. It must mean the value whatever
// standard_conforming_strings says.
import { quoteLiteral } from '@covet/core/dialect';
import { afterEach, describe, expect, it } from 'vitest';
import { createPostgresDialect } from '../src/index.js';
import { createTestDatabase, describeWithPostgres, withClient, type TestDatabase } from './helpers.js';

const dialect = createPostgresDialect();

describe('PostgresDialect.quoteLiteral (offline)', () => {
  it('doubles quotes, writes an escape string for a backslash, and refuses what no literal holds', () => {
    expect(dialect.quoteLiteral("it's")).toBe("'it''s'");
    expect(dialect.quoteLiteral('a\\b')).toBe("E'a\\\\b'");
    expect(dialect.quoteLiteral("\\'")).toBe("E'\\\\'''");
    expect([dialect.quoteLiteral(42), dialect.quoteLiteral(-1.5), dialect.quoteLiteral(12n), dialect.quoteLiteral(true), dialect.quoteLiteral(null)]).toEqual([
      '42',
      '-1.5',
      '12',
      'TRUE',
      'NULL',
    ]);
    expect(() => dialect.quoteLiteral('a\0b')).toThrow('A string with a NUL character cannot be an SQL literal (quoteLiteral of postgres)');
    expect(() => dialect.quoteLiteral(Number.POSITIVE_INFINITY)).toThrow('Infinity cannot be an SQL literal (quoteLiteral of postgres)');
    expect(() => dialect.quoteLiteral({} as never)).toThrow('A value of type object cannot be an SQL literal (quoteLiteral of postgres)');
    expect(quoteLiteral(dialect, 'x')).toBe("'x'");
    expect(() => quoteLiteral({ ...dialect, name: 'old', quoteLiteral: undefined } as never, 'x')).toThrow(
      'Dialect old cannot write SQL literals (it has no quoteLiteral)',
    );
  });
});

describeWithPostgres('PostgresDialect.quoteLiteral on a real database', () => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.drop();
    database = undefined;
  });

  const comments = ["O'Brien's table", 'C:\\data\\new', "\\' both '\\", 'line\nbreak', 'é 😀', "'; DROP TABLE t; --"];

  for (const setting of ['on', 'off']) {
    it(`COMMENT ON TABLE ... IS <literal> stores the text exactly (standard_conforming_strings = ${setting})`, async () => {
      database = await createTestDatabase();
      await withClient(database.url, async (client) => {
        await client.query(`SET standard_conforming_strings = ${setting}`);
        // With the setting off, a plain '...' holding a backslash would be read as an escape.
        await client.query('SET escape_string_warning = off');
        await client.query('CREATE TABLE commented (id integer)');
        for (const comment of comments) {
          await client.query(`COMMENT ON TABLE ${dialect.quoteIdentifier('commented')} IS ${dialect.quoteLiteral(comment)}`);
          const { rows } = await client.query<{ comment: string }>("SELECT obj_description('commented'::regclass, 'pg_class') AS comment");
          expect(rows[0]!.comment).toBe(comment);
        }
      });
    });
  }
});
