import { describe, expect, it } from 'vitest';
import { elideLiterals } from './elide-literals.js';

describe('elideLiterals', () => {
  it('replaces every string literal with an ellipsis and keeps names, numbers and keywords', () => {
    expect(elideLiterals(`INSERT INTO "keys" ("id", "secret") VALUES (1, 'AKIAIOSFODNN7EXAMPLE')`)).toBe(`INSERT INTO "keys" ("id", "secret") VALUES (1, '…')`);
    expect(elideLiterals("SELECT 'it''s', N'x' FROM \"it's\"")).toBe("SELECT '…', N'…' FROM \"it's\"");
    expect(elideLiterals("SELECT E'a\\'b'")).toBe("SELECT E'…'");
    expect(elideLiterals('SELECT 1')).toBe('SELECT 1');
  });

  it('elides what either reading of backslashes calls a literal, so nothing leaks', () => {
    // MySQL reads \' as an escaped quote; PostgreSQL's standard strings end at it.
    expect(elideLiterals("VALUES ('it\\'s secret')")).not.toContain('secret');
    expect(elideLiterals("VALUES ('C:\\', 'secret')")).not.toContain('secret');
  });

  it('elides double-quoted strings where " is not the identifier quote (MySQL)', () => {
    expect(elideLiterals('INSERT INTO `t` VALUES ("AKIA123")', { identifierQuote: '`' })).toBe("INSERT INTO `t` VALUES ('…')");
    expect(elideLiterals('INSERT INTO `it\'s` VALUES (1)', { identifierQuote: '`' })).toBe("INSERT INTO `it's` VALUES (1)");
  });

  it('elides dollar-quoted bodies and leaves comments and names with dollars alone', () => {
    expect(elideLiterals("DO $$ BEGIN PERFORM 'x'; END $$")).toBe("DO '…'");
    expect(elideLiterals('SELECT $tag$secret$tag$, a$b$ FROM t')).toBe("SELECT '…', a$b$ FROM t");
    expect(elideLiterals("SELECT 1 -- it's fine\n, 'x'")).toBe("SELECT 1 -- it's fine\n, '…'");
  });

  it('elides an unterminated literal to the end', () => {
    expect(elideLiterals("SELECT 'AKIA")).toBe("SELECT '…'");
  });
});
