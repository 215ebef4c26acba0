// The fast way to evaluate a module that needs no compiler: a migration or config file that is
// JavaScript apart from its import and export statements (what @covet/writer-ts writes, and
// most hand-written files) is rewritten into a CommonJS function body and compiled by V8,
// without starting esbuild. Anything this cannot rewrite with certainty is left to the esbuild
// bundle (see importModules): TypeScript syntax (V8 then reports a syntax error), relative
// imports (they may name TypeScript files), a dynamic import, import.meta, and, to be safe,
// any `<` (a generic call such as `f<T>(x)` is valid JavaScript of another meaning) or regular
// expression literal (the scanner below does not tell them from a division).

/** The name the rewritten `export default` assigns to: as long as `export default`, so columns stay where they were. */
export const PLAIN_EXPORTS = '_$cx_';

/** The parameters of the function a rewritten module is compiled into, in the order it is called with. */
export const PLAIN_PARAMETERS: readonly string[] = Object.freeze(['exports', 'require', 'module', '__filename', '__dirname', PLAIN_EXPORTS]);

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
// (`import\b` before the group: the covet binary leaves a module whose text has "import" and a
// parenthesis to Node, out of the code cache; see bin/compile-cache.cjs in @covet/cli.)
const FROM_IMPORT = /import\b(?:\s+([A-Za-z_$][\w$]*)|\s*\*\s*as\s+([A-Za-z_$][\w$]*)|\s*\{([^}]*)\})\s*from\s*(['"])([^'"\n\\]+)\4[ \t]*;?/y;
const BARE_IMPORT = /import\s*(['"])([^'"\n\\]+)\1[ \t]*;?/y;
const EXPORT_DEFAULT = /export[ \t]+default\b/y;

/**
 * The positions, in `source`, of the lines that start in code (not inside a string, template
 * literal or comment), or undefined when the source has something the scan cannot follow with
 * certainty (a regular expression literal) or that this path does not take (a `<`).
 */
function codeLineStarts(source: string): number[] | undefined {
  const starts: number[] = [];
  // Brace depths of the template literals whose ${...} the scan is in.
  const templates: number[] = [];
  let braces = 0;
  let lineStart = true;
  for (let at = 0; at < source.length; at++) {
    const char = source[at]!;
    if (lineStart) starts.push(at);
    lineStart = false;
    if (char === '\n') {
      lineStart = true;
    } else if (char === '/' && source[at + 1] === '/') {
      const end = source.indexOf('\n', at);
      if (end === -1) break;
      at = end - 1;
    } else if (char === '/' && source[at + 1] === '*') {
      const end = source.indexOf('*/', at + 2);
      if (end === -1) return undefined;
      at = end + 1;
    } else if (char === '/' || char === '<') {
      return undefined;
    } else if (char === "'" || char === '"') {
      for (at++; at < source.length && source[at] !== char; at++) {
        if (source[at] === '\\') at++;
        else if (source[at] === '\n') return undefined;
      }
    } else if (char === '`' || (char === '}' && templates.length > 0 && templates.at(-1) === braces)) {
      // A template literal from its start (or from the end of a ${...} in it) to its end or next ${.
      if (char === '}') templates.pop();
      for (at++; at < source.length; at++) {
        if (source[at] === '\\') at++;
        else if (source[at] === '`') break;
        else if (source[at] === '$' && source[at + 1] === '{') {
          templates.push(braces);
          at++;
          break;
        }
      }
      if (at >= source.length) return undefined;
    } else if (char === '{') {
      braces++;
    } else if (char === '}') {
      braces--;
    }
  }
  return templates.length === 0 ? starts : undefined;
}

/** `a, b as c` of a named import as the pattern `{ a, b: c }`, or undefined for anything else (`type x`). */
function bindingPattern(names: string): string | undefined {
  const parts: string[] = [];
  for (const part of names.split(',')) {
    const words = part.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) continue;
    if (words.length === 1 && IDENTIFIER.test(words[0]!)) parts.push(words[0]!);
    else if (words.length === 3 && words[1] === 'as' && IDENTIFIER.test(words[0]!) && IDENTIFIER.test(words[2]!)) parts.push(`${words[0]}: ${words[2]}`);
    else return undefined;
  }
  return `{ ${parts.join(', ')} }`;
}

/**
 * `source` (an ES module, TypeScript or JavaScript) as the body of a CommonJS function taking
 * {@link PLAIN_PARAMETERS}, with the same lines (a rewritten import spanning several lines is
 * followed by as many line breaks), or undefined when it is not plain enough (see the header).
 * Imports of packages become `require` calls (a default import takes `default` from a module
 * marked `__esModule`, as esbuild's interop does); `export default` assigns to the exports.
 * Whether the result compiles is for V8 to say: TypeScript syntax makes it fail, and the
 * caller then compiles the file with esbuild.
 */
export function plainCommonJs(source: string): string | undefined {
  if (/\bimport\s*\(/.test(source) || source.includes('import.meta') || /\brequire\s*\(\s*['"`][./]/.test(source)) return undefined;
  const starts = codeLineStarts(source);
  if (!starts) return undefined;
  let output = '';
  let copied = 0;
  let exported = false;
  for (const start of starts) {
    let at = start;
    while (source[at] === ' ' || source[at] === '\t') at++;
    if (at < copied) continue;
    if (source.startsWith('import', at)) {
      FROM_IMPORT.lastIndex = at;
      BARE_IMPORT.lastIndex = at;
      const from = FROM_IMPORT.exec(source);
      const bare = from ? null : BARE_IMPORT.exec(source);
      const match = from ?? bare;
      if (!match) continue;
      const specifier = from ? from[5]! : bare![2]!;
      if (specifier.startsWith('.') || specifier.startsWith('/') || /^[A-Za-z]:/.test(specifier)) return undefined;
      const required = `require(${JSON.stringify(specifier)})`;
      let statement: string;
      if (bare) statement = `${required};`;
      else if (from![1] !== undefined) statement = `const ${from![1]} = ((m) => m && m.__esModule ? m.default : m)(${required});`;
      else if (from![2] !== undefined) statement = `const ${from![2]} = ${required};`;
      else {
        const pattern = bindingPattern(from![3]!);
        if (pattern === undefined) return undefined;
        statement = `const ${pattern} = ${required};`;
      }
      output += source.slice(copied, at) + statement + '\n'.repeat(match[0].split('\n').length - 1);
      copied = at + match[0].length;
    } else if (source.startsWith('export', at)) {
      EXPORT_DEFAULT.lastIndex = at;
      const match = EXPORT_DEFAULT.exec(source);
      // Other exports are left as they are: V8 refuses them, and esbuild takes the file.
      if (!match || exported) continue;
      exported = true;
      // `_$cx_.default=` has the length of `export default`: the columns after it stay.
      output += source.slice(copied, at) + `${PLAIN_EXPORTS}.default=`.padEnd(match[0].length, ' ');
      copied = at + match[0].length;
    }
  }
  return output + source.slice(copied);
}
