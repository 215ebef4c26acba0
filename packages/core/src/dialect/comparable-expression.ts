/**
 * A SQL expression reduced to the form two spellings of it share, for comparing what a model
 * says with what a database reports back (a generated column's expression): outside string
 * literals, letters are lowered, whitespace and identifier quotes (`"` and `` ` ``) removed,
 * casts (`::text`, `::numeric(10,2)`), character-set introducers (`_utf8mb4'x'`) and grouping
 * parentheses dropped; function-call parentheses and literals are kept as written.
 *
 * Databases re-spell an expression when they store it (PostgreSQL's `pg_get_expr` writes
 * `a + b` as `(a + b)` and casts its literals; MariaDB quotes every column), so text equality
 * would see a change that is none. Grouping parentheses are dropped because engines add them
 * freely: the price is that a change that only moves parentheses (`(a + b) * c` to
 * `a + b * c`) is not seen as a change; edit the expression in another way too, or write
 * that migration by hand.
 *
 * @example
 * comparableExpression('(price * (quantity)::numeric)') === comparableExpression('price * quantity') // true
 */
export function comparableExpression(sql: string): string {
  // Split into code and string literals ('...' with '' or \' inside), so literals stay as written.
  const parts: { code: boolean; text: string }[] = [];
  let index = 0;
  while (index < sql.length) {
    const start = sql.indexOf("'", index);
    if (start < 0) {
      parts.push({ code: true, text: sql.slice(index) });
      break;
    }
    parts.push({ code: true, text: sql.slice(index, start) });
    let end = start + 1;
    while (end < sql.length) {
      if (sql[end] === '\\') end += 2;
      else if (sql[end] === "'" && sql[end + 1] === "'") end += 2;
      else if (sql[end] === "'") break;
      else end++;
    }
    parts.push({ code: false, text: sql.slice(start, end + 1) });
    index = end + 1;
  }
  const text = parts
    .map((part) => {
      if (!part.code) return part.text;
      return part.text
        .replace(CAST, '')
        .replace(/_[a-z0-9]+$/i, (introducer) => (/^_(utf8mb[34]|utf8|latin1|binary|ascii)$/i.test(introducer) ? '' : introducer))
        .replace(/["`]/g, '')
        .replace(/\s+/g, '')
        .toLowerCase();
    })
    .join('');
  return dropGroupingParentheses(text);
}

const CAST =
  /::\s*(?:"[^"]*"|character varying|double precision|(?:timestamp|time) with(?:out)? time zone|[a-z_][a-z0-9_]*)(?:\s*\(\s*\d+(?:\s*,\s*\d+)?\s*\))?(?:\s*\[\s*\])*/gi;

/** Removes parentheses not directly after a name (a function call's), skipping string literals. */
function dropGroupingParentheses(text: string): string {
  const out: string[] = [];
  const grouping: boolean[] = [];
  for (let i = 0; i < text.length; i++) {
    const character = text[i]!;
    if (character === "'") {
      let end = i + 1;
      while (end < text.length) {
        if (text[end] === '\\') end += 2;
        else if (text[end] === "'" && text[end + 1] === "'") end += 2;
        else if (text[end] === "'") break;
        else end++;
      }
      out.push(text.slice(i, end + 1));
      i = end;
    } else if (character === '(') {
      const isGrouping = !/[a-z0-9_$]/.test(text[i - 1] ?? '');
      grouping.push(isGrouping);
      if (!isGrouping) out.push(character);
    } else if (character === ')') {
      if (!(grouping.pop() ?? false)) out.push(character);
    } else {
      out.push(character);
    }
  }
  return out.join('');
}
