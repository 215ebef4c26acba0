/**
 * A small reader for the `CREATE TABLE` text SQLite keeps in `sqlite_master`.
 *
 * SQLite cannot ALTER most of a table, so the rebuild re-creates it from its own SQL with the
 * change applied (https://www.sqlite.org/lang_altertable.html#otheralter). Editing that text
 * (instead of rendering the table again from Covet's state) keeps what the state does not model:
 * CHECK constraints, COLLATE clauses, generated columns, `WITHOUT ROWID`, `STRICT`, comments.
 * The introspector uses the same reader for what the pragmas do not report (constraint names,
 * AUTOINCREMENT).
 */

/** One token of SQLite SQL. `value` is the unquoted identifier or string value. */
export interface SqlToken {
  readonly kind: 'word' | 'identifier' | 'string' | 'number' | 'punctuation' | 'blob';
  readonly text: string;
  readonly value: string;
  readonly start: number;
  readonly end: number;
}

/**
 * Splits SQL into tokens, skipping whitespace and comments. Identifiers may be quoted with
 * `"..."`, `[...]` or `` `...` `` (SQLite accepts all three: https://www.sqlite.org/lang_keywords.html).
 */
export function tokenize(sql: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  let i = 0;
  const length = sql.length;
  while (i < length) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? length : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? length : end + 2;
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      let value = '';
      for (;;) {
        if (j >= length) break;
        if (sql[j] === c) {
          if (sql[j + 1] === c) {
            value += c;
            j += 2;
            continue;
          }
          break;
        }
        value += sql[j];
        j++;
      }
      const end = Math.min(j + 1, length);
      const isBlob = c === "'" && tokens.length > 0 && /^[xX]$/.test(tokens[tokens.length - 1]!.text) && tokens[tokens.length - 1]!.end === i;
      if (isBlob) tokens.pop();
      tokens.push({
        kind: isBlob ? 'blob' : c === "'" ? 'string' : 'identifier',
        text: sql.slice(isBlob ? i - 1 : i, end),
        value,
        start: isBlob ? i - 1 : i,
        end,
      });
      i = end;
    } else if (c === '[') {
      const close = sql.indexOf(']', i + 1);
      const end = close === -1 ? length : close + 1;
      tokens.push({ kind: 'identifier', text: sql.slice(i, end), value: sql.slice(i + 1, end - 1), start: i, end });
      i = end;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      let j = i + 1;
      while (j < length && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[j]!)) j++;
      tokens.push({ kind: 'word', text: sql.slice(i, j), value: sql.slice(i, j), start: i, end: j });
      i = j;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const match = /^(0x[0-9a-fA-F]+|[0-9]*\.?[0-9]*(?:[eE][+-]?[0-9]+)?)/.exec(sql.slice(i))!;
      const end = i + Math.max(match[0].length, 1);
      tokens.push({ kind: 'number', text: sql.slice(i, end), value: sql.slice(i, end), start: i, end });
      i = end;
    } else {
      const two = sql.slice(i, i + 2);
      const text = ['||', '<=', '>=', '<>', '!=', '==', '<<', '>>', '->'].includes(two) ? (sql.slice(i, i + 3) === '->>' ? '->>' : two) : c;
      tokens.push({ kind: 'punctuation', text, value: text, start: i, end: i + text.length });
      i += text.length;
    }
  }
  return tokens;
}

/** True when `token` is the keyword `word` (case-insensitive; quoted identifiers never are). */
export function isKeyword(token: SqlToken | undefined, word: string): boolean {
  return token !== undefined && token.kind === 'word' && token.value.toUpperCase() === word;
}

/** Splits tokens at commas outside parentheses. */
export function splitTopLevel(tokens: readonly SqlToken[]): SqlToken[][] {
  const parts: SqlToken[][] = [[]];
  let depth = 0;
  for (const token of tokens) {
    if (token.text === '(') depth++;
    if (token.text === ')') depth--;
    if (token.text === ',' && depth === 0) {
      parts.push([]);
      continue;
    }
    parts[parts.length - 1]!.push(token);
  }
  return parts.filter((part) => part.length > 0);
}

/** Index of the `)` closing the `(` at `open`. */
export function closingParenthesis(tokens: readonly SqlToken[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i]!.text === '(') depth++;
    if (tokens[i]!.text === ')' && --depth === 0) return i;
  }
  return tokens.length - 1;
}

/** The unquoted names in a parenthesised list such as `("a", [b] COLLATE nocase, c DESC)`. */
export function columnNamesIn(tokens: readonly SqlToken[]): string[] {
  return splitTopLevel(tokens).map((part) => part[0]?.value ?? '');
}

/** Keywords that start a column constraint (https://www.sqlite.org/syntax/column-constraint.html). */
const COLUMN_CONSTRAINT_START = new Set(['CONSTRAINT', 'PRIMARY', 'NOT', 'NULL', 'UNIQUE', 'CHECK', 'DEFAULT', 'COLLATE', 'REFERENCES', 'GENERATED', 'AS']);

/** One constraint of a column definition, with its optional `CONSTRAINT name`. */
export interface ColumnConstraint {
  /** `PRIMARY`, `NOT` (NOT NULL), `NULL`, `UNIQUE`, `CHECK`, `DEFAULT`, `COLLATE`, `REFERENCES`, `GENERATED`. */
  readonly kind: string;
  readonly name?: string;
  readonly text: string;
  readonly tokens: readonly SqlToken[];
}

/** A column definition of a CREATE TABLE. */
export interface ColumnDefinition {
  readonly kind: 'column';
  readonly name: string;
  /** The declared type as written, e.g. `NVARCHAR(120)`; empty when none. */
  readonly type: string;
  readonly constraints: readonly ColumnConstraint[];
  readonly text: string;
  readonly tokens: readonly SqlToken[];
}

/** A table constraint of a CREATE TABLE. */
export interface TableConstraint {
  readonly kind: 'constraint';
  /** `PRIMARY`, `UNIQUE`, `CHECK` or `FOREIGN`. */
  readonly type: string;
  readonly name?: string;
  /** The constrained columns (PRIMARY KEY, UNIQUE, FOREIGN KEY); empty for CHECK. */
  readonly columns: readonly string[];
  readonly text: string;
  readonly tokens: readonly SqlToken[];
}

/** A CREATE TABLE statement split into its definitions. */
export interface ParsedTable {
  /** The text up to and including the `(` that opens the definitions. */
  readonly head: string;
  /** The text from the closing `)` on (`WITHOUT ROWID`, `STRICT`). */
  readonly tail: string;
  readonly definitions: readonly (ColumnDefinition | TableConstraint)[];
}

function textOf(sql: string, tokens: readonly SqlToken[]): string {
  return tokens.length === 0 ? '' : sql.slice(tokens[0]!.start, tokens[tokens.length - 1]!.end);
}

function parseColumnConstraints(sql: string, tokens: readonly SqlToken[]): ColumnConstraint[] {
  const constraints: ColumnConstraint[] = [];
  let current: { name?: string; tokens: SqlToken[] } | undefined;
  let pendingName: { name: string; tokens: SqlToken[] } | undefined;
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const previous = current?.tokens[current.tokens.length - 1];
    const startsConstraint =
      depth === 0 &&
      token.kind === 'word' &&
      COLUMN_CONSTRAINT_START.has(token.value.toUpperCase()) &&
      // Keywords that continue the clause before them: NOT DEFERRABLE, NOT NULL, DEFAULT NULL,
      // ON DELETE SET NULL / SET DEFAULT, GENERATED ALWAYS AS.
      !(isKeyword(token, 'NOT') && isKeyword(tokens[i + 1], 'DEFERRABLE')) &&
      !(isKeyword(previous, 'NOT') || isKeyword(previous, 'SET') || isKeyword(previous, 'DEFAULT')) &&
      !(isKeyword(token, 'AS') && current !== undefined && current.tokens.some((t) => isKeyword(t, 'GENERATED')));
    if (startsConstraint) {
      if (current && !pendingName) constraints.push(finish(current));
      current = undefined;
      if (isKeyword(token, 'CONSTRAINT')) {
        pendingName = { name: tokens[i + 1]?.value ?? '', tokens: [token, ...(tokens[i + 1] ? [tokens[i + 1]!] : [])] };
        i++;
        continue;
      }
      current = { tokens: [...(pendingName?.tokens ?? []), token], ...(pendingName ? { name: pendingName.name } : {}) };
      pendingName = undefined;
    } else if (current) {
      current.tokens.push(token);
    }
    if (token.text === '(') depth++;
    if (token.text === ')') depth--;
  }
  if (current) constraints.push(finish(current));
  return constraints;

  function finish(constraint: { name?: string; tokens: SqlToken[] }): ColumnConstraint {
    const keyword = constraint.tokens.find((t, index) => !(constraint.name !== undefined && index < 2))!;
    const kind = keyword.value.toUpperCase() === 'AS' ? 'GENERATED' : keyword.value.toUpperCase();
    return {
      kind,
      ...(constraint.name !== undefined ? { name: constraint.name } : {}),
      text: textOf(sql, constraint.tokens),
      tokens: constraint.tokens,
    };
  }
}

function parseDefinition(sql: string, tokens: SqlToken[]): ColumnDefinition | TableConstraint {
  let i = 0;
  let name: string | undefined;
  if (isKeyword(tokens[0], 'CONSTRAINT')) {
    name = tokens[1]?.value;
    i = 2;
  }
  const keyword = tokens[i];
  const type = keyword?.kind === 'word' ? keyword.value.toUpperCase() : '';
  if (name !== undefined || ['PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN'].includes(type)) {
    const open = tokens.findIndex((t, index) => index > i && t.text === '(');
    const columns = type === 'CHECK' || open === -1 ? [] : columnNamesIn(tokens.slice(open + 1, closingParenthesis(tokens, open)));
    return { kind: 'constraint', type, ...(name !== undefined ? { name } : {}), columns, text: textOf(sql, tokens), tokens };
  }
  const rest = tokens.slice(1);
  const firstConstraint = rest.findIndex((t) => t.kind === 'word' && COLUMN_CONSTRAINT_START.has(t.value.toUpperCase()));
  const typeTokens = firstConstraint === -1 ? rest : rest.slice(0, firstConstraint);
  return {
    kind: 'column',
    name: tokens[0]!.value,
    type: textOf(sql, typeTokens),
    constraints: parseColumnConstraints(sql, firstConstraint === -1 ? [] : rest.slice(firstConstraint)),
    text: textOf(sql, tokens),
    tokens,
  };
}

/** Parses a `CREATE TABLE name (...)` statement; `undefined` for `CREATE TABLE ... AS SELECT`. */
export function parseCreateTable(sql: string): ParsedTable | undefined {
  const tokens = tokenize(sql);
  const open = tokens.findIndex((t) => t.text === '(');
  if (open === -1) return undefined;
  const close = closingParenthesis(tokens, open);
  const inner = tokens.slice(open + 1, close);
  return {
    head: sql.slice(0, tokens[open]!.end),
    tail: sql.slice(tokens[close]!.start),
    definitions: splitTopLevel(inner).map((part) => parseDefinition(sql, part)),
  };
}

/** The tokens of a FOREIGN KEY / REFERENCES clause: referenced table and columns. */
export function referencedTableOf(tokens: readonly SqlToken[]): { table: string; columns: string[] } | undefined {
  const at = tokens.findIndex((t) => isKeyword(t, 'REFERENCES'));
  if (at === -1) return undefined;
  const table = tokens[at + 1]?.value ?? '';
  const columns = tokens[at + 2]?.text === '(' ? columnNamesIn(tokens.slice(at + 3, closingParenthesis(tokens, at + 2))) : [];
  return { table, columns };
}

/** True when any identifier or word among `tokens` is `name` (case-insensitive, as SQLite compares). */
export function mentions(tokens: readonly SqlToken[], name: string): boolean {
  const lower = name.toLowerCase();
  return tokens.some((t) => (t.kind === 'word' || t.kind === 'identifier') && t.value.toLowerCase() === lower);
}

/** A foreign key or unique constraint found in a table's SQL, with the name Covet gives it. */
export interface NamedConstraint {
  readonly type: 'FOREIGN' | 'UNIQUE' | 'PRIMARY';
  /** The `CONSTRAINT name`, or the deterministic name Covet derives for an unnamed one. */
  readonly name: string;
  readonly explicitName: boolean;
  readonly columns: readonly string[];
  /** The column definition that holds it, for column constraints. */
  readonly column?: string;
  readonly tokens: readonly SqlToken[];
}

/**
 * The foreign keys, unique constraints and primary key written in a table's SQL, table-level
 * and column-level. SQLite's pragmas do not report constraint names, so they come from here;
 * unnamed ones get `constraintName(table, columns, 'fkey' | 'key')`.
 */
export function namedConstraints(
  parsed: ParsedTable,
  table: string,
  nameFor: (table: string, columns: readonly string[], suffix: 'fkey' | 'key' | 'pkey') => string,
): NamedConstraint[] {
  const found: NamedConstraint[] = [];
  const suffix = { FOREIGN: 'fkey', UNIQUE: 'key', PRIMARY: 'pkey' } as const;
  for (const definition of parsed.definitions) {
    if (definition.kind === 'constraint') {
      if (definition.type !== 'FOREIGN' && definition.type !== 'UNIQUE' && definition.type !== 'PRIMARY') continue;
      const type = definition.type;
      found.push({
        type,
        name: definition.name ?? nameFor(table, definition.columns, suffix[type]),
        explicitName: definition.name !== undefined,
        columns: definition.columns,
        tokens: definition.tokens,
      });
      continue;
    }
    for (const constraint of definition.constraints) {
      const type = constraint.kind === 'REFERENCES' ? 'FOREIGN' : constraint.kind;
      if (type !== 'FOREIGN' && type !== 'UNIQUE' && type !== 'PRIMARY') continue;
      found.push({
        type,
        name: constraint.name ?? nameFor(table, [definition.name], suffix[type]),
        explicitName: constraint.name !== undefined,
        columns: [definition.name],
        column: definition.name,
        tokens: constraint.tokens,
      });
    }
  }
  return found;
}
