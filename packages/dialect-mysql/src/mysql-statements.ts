import { CovetError } from '@covet/core/dialect';

/**
 * Splits a SQL script into statements at top-level semicolons, skipping semicolons inside
 * strings ('...', "..."), quoted identifiers (`...`) and comments (`-- `, `#`, `/* *\/`).
 *
 * Covet never enables mysql2's `multipleStatements` (it would let a value that escaped its
 * quoting run a second statement), so a `runSql` holding several statements is sent one
 * statement at a time. Two things cannot be split safely and are refused with a clear error:
 * `DELIMITER` (a command of the `mysql` client, not of the server) and a stored program
 * (`CREATE PROCEDURE/FUNCTION/TRIGGER/EVENT` with a `BEGIN ... END` body, whose inner
 * semicolons belong to it) in the same string as other statements. A stored program alone in
 * its string is sent whole, as one statement, which the server accepts.
 *
 * Backslash escapes inside strings are honoured, as in the default `sql_mode`.
 */
export function splitStatements(script: string): string[] {
  // One statement without a semicolon (what Covet compiles for every built-in operation):
  // nothing to split or refuse.
  if (!script.includes(';') && !/delimiter/i.test(script)) return [script.trim()];
  if (/^\s*DELIMITER\s/im.test(stripComments(script))) {
    throw new CovetError('SQL_UNSUPPORTED', 'DELIMITER is a command of the mysql client, not SQL the server understands (runSql)', {
      hint: 'Remove the DELIMITER lines and put each stored program in its own runSql statement.',
    });
  }
  // A stored program's body holds semicolons: a string that starts with one is sent whole.
  if (isStoredProgram(script)) return [script.trim().replace(/;\s*$/, '')];
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  const push = (end: number) => {
    const text = script.slice(start, end).trim();
    if (stripComments(text).trim() !== '') statements.push(text);
  };
  while (i < script.length) {
    const char = script[i]!;
    const next = script[i + 1];
    if (char === "'" || char === '"' || char === '`') {
      i++;
      while (i < script.length) {
        if (script[i] === '\\' && char !== '`') i += 2;
        else if (script[i] === char) {
          if (script[i + 1] === char) i += 2;
          else break;
        } else i++;
      }
      i++;
    } else if ((char === '-' && next === '-' && /[\s]/.test(script[i + 2] ?? ' ')) || char === '#') {
      while (i < script.length && script[i] !== '\n') i++;
    } else if (char === '/' && next === '*') {
      const end = script.indexOf('*/', i + 2);
      i = end === -1 ? script.length : end + 2;
    } else if (char === ';') {
      push(i);
      start = ++i;
    } else i++;
  }
  push(script.length);
  if (statements.length > 1 && statements.some((statement) => isStoredProgram(statement))) {
    throw new CovetError('SQL_UNSUPPORTED', 'A stored program (CREATE PROCEDURE/FUNCTION/TRIGGER/EVENT) must come first and alone in its runSql string', {
      hint: 'Its body contains semicolons, so Covet cannot split it from the other statements: give it its own runSql (or its own entry in the sql array).',
    });
  }
  if (statements.length === 0) return [script.trim()];
  return statements;
}

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(--\s|#)[^\n]*/g, ' ');
}

function isStoredProgram(statement: string): boolean {
  return /^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:DEFINER\s*=\s*\S+\s+)?(?:AGGREGATE\s+)?(?:PROCEDURE|FUNCTION|TRIGGER|EVENT|PACKAGE)\b/i.test(stripComments(statement));
}

/**
 * True for a statement that MySQL commits implicitly (with whatever the transaction did
 * before it): DDL, and a few others
 * (https://dev.mysql.com/doc/refman/8.0/en/implicit-commit.html).
 */
export function causesImplicitCommit(sql: string): boolean {
  const text = stripComments(sql).trimStart();
  if (/^CREATE\s+TEMPORARY\s/i.test(text) || /^DROP\s+TEMPORARY\s/i.test(text)) return false;
  return /^(CREATE|ALTER|DROP|RENAME|TRUNCATE|LOCK\s+TABLES|UNLOCK\s+TABLES|GRANT|REVOKE|ANALYZE|OPTIMIZE|REPAIR|INSTALL|UNINSTALL)\b/i.test(text);
}
