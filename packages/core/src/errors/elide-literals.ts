/** Options of {@link elideLiterals}. */
export interface ElideLiteralsOptions {
  /**
   * The dialect's identifier quote (`"` or `` ` ``, the first character of
   * `dialect.quoteIdentifier('x')`). Text in it is a name and is kept; a `"` that is not the
   * identifier quote (MySQL) delimits a string and is elided. Default `"`.
   */
  readonly identifierQuote?: string;
}

const ELIDED = "'…'";

/**
 * A SQL statement with every string literal replaced by `'…'`, for error messages and logs:
 * a failing `INSERT ... VALUES ('AKIA...')` must not print the secret it carries. Elided are
 * single-quoted strings (with their `E`/`N`/`X` prefixes kept outside), double-quoted strings
 * where `"` is not the identifier quote, and PostgreSQL dollar-quoted bodies (`$$...$$`,
 * `$tag$...$tag$`). Whether a backslash escapes a quote depends on the engine and its settings
 * (MySQL yes, PostgreSQL's standard strings no), so both readings are taken and everything
 * either calls a literal is elided: the result may hide more than one literal, never less.
 * Identifiers, keywords and numbers stay. Every Covet output path that shows SQL from a
 * failure goes through this function; `--verbose` shows the statement as it was.
 *
 * @example
 * elideLiterals("INSERT INTO \"keys\" VALUES ('AKIA1234', 'it''s')") // INSERT INTO "keys" VALUES ('…', '…')
 */
export function elideLiterals(sql: string, options: ElideLiteralsOptions = {}): string {
  if (!/['"$]/.test(sql)) return sql;
  const identifierQuote = options.identifierQuote ?? '"';
  const hidden = new Uint8Array(sql.length);
  for (const backslashEscapes of [false, true]) mark(sql, hidden, identifierQuote, backslashEscapes);
  let result = '';
  for (let i = 0; i < sql.length; ) {
    if (hidden[i] === 0) {
      result += sql[i];
      i++;
      continue;
    }
    while (i < sql.length && hidden[i] === 1) i++;
    result += ELIDED;
  }
  return result;
}

/** Marks in `hidden` the characters of every literal of `sql` under one reading of backslashes. */
function mark(sql: string, hidden: Uint8Array, identifierQuote: string, backslashEscapes: boolean): void {
  const length = sql.length;
  let i = 0;
  while (i < length) {
    const c = sql[i]!;
    // (MySQL, the reading with backslash escapes, needs a space after `--`: `1--'x'` is arithmetic.)
    if (c === '-' && sql[i + 1] === '-' && (!backslashEscapes || /\s/.test(sql[i + 2] ?? ' '))) {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? length : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? length : end + 2;
    } else if (c === identifierQuote) {
      // A quoted name: kept whole (an embedded quote is doubled).
      let j = i + 1;
      while (j < length && !(sql[j] === c && sql[j + 1] !== c)) j += sql[j] === c ? 2 : 1;
      i = j + 1;
    } else if (c === "'" || c === '"') {
      let j = i + 1;
      for (; j < length; j++) {
        if (backslashEscapes && sql[j] === '\\') {
          j++;
          continue;
        }
        if (sql[j] === c) {
          if (sql[j + 1] === c) {
            j++;
            continue;
          }
          break;
        }
      }
      const end = Math.min(j + 1, length);
      hidden.fill(1, i, end);
      i = end;
    } else if (c === '$' && (i === 0 || !/[\p{L}\p{N}_$]/u.test(sql[i - 1]!))) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
      const close = tag ? sql.indexOf(tag[0], i + tag[0].length) : -1;
      if (!tag || close === -1) {
        i++;
        continue;
      }
      const end = close + tag[0].length;
      hidden.fill(1, i, end);
      i = end;
    } else {
      i++;
    }
  }
}
