/**
 * PostgreSQL array literals (`{a,"b c",NULL}`, PostgreSQL docs 8.15.2 "Array Value Input"),
 * which clients send as parameter text and users write as `'{1,2}'::int[]`; DuckDB only
 * understands its own `[…]` spelling, so both the translator and parameter binding use this.
 */
import { SqlError } from '../errors/index.js';

/**
 * The elements of a one-dimensional array literal: double-quoted elements with backslash
 * escapes, unquoted `NULL` as null. Null for a multi-dimensional literal or text that does
 * not start with `{` (callers leave those to the engine). Text that starts as an array
 * literal but is not one is PostgreSQL's 22P02 `malformed array literal`, never a
 * one-element guess: `'{}{}'` and `'{a}b}'` are errors, as in PostgreSQL and Materialize.
 */
export function parsePgArray(text: string): (string | null)[] | null {
  const s = text.trim();
  if (!s.startsWith('{')) return null;
  const malformed = (detail: string): SqlError =>
    new SqlError('22P02', `malformed array literal: "${text}"`, { detail });
  const out: (string | null)[] = [];
  let i = 1;
  const skipSpace = (): void => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  const closed = (): (string | null)[] => {
    i++;
    skipSpace();
    if (i < s.length) throw malformed('Junk after closing right brace.');
    return out;
  };
  skipSpace();
  if (s[i] === '}') return closed();
  for (;;) {
    skipSpace();
    if (i >= s.length) throw malformed('Unexpected end of input.');
    if (s[i] === '{') {
      // A nested array: well-formed ones are the engine's (multi-dimensional) business.
      return null;
    }
    let item = '';
    const quoted = s[i] === '"';
    if (quoted) {
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\') i++;
        item += s[i] ?? '';
        i++;
      }
      if (i >= s.length) throw malformed('Unexpected end of input.');
      i++;
    } else {
      while (i < s.length && s[i] !== ',' && s[i] !== '}') {
        const c = s[i]!;
        if (c === '{' || c === '"') throw malformed(`Unexpected "${c}" character.`);
        if (c === '\\') i++;
        item += s[i] ?? '';
        i++;
      }
      item = item.trim();
      if (item === '') throw malformed(`Unexpected "${s[i] ?? ''}" character.`);
    }
    out.push(!quoted && item.toUpperCase() === 'NULL' ? null : item);
    skipSpace();
    if (i >= s.length) throw malformed('Unexpected end of input.');
    if (s[i] === '}') return closed();
    if (s[i] !== ',') throw malformed(`Unexpected "${s[i]}" character.`);
    i++;
  }
}
