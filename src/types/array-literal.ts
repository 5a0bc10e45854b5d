/**
 * PostgreSQL array literals (`{a,"b c",NULL}`, PostgreSQL docs 8.15.2 "Array Value Input"),
 * which clients send as parameter text and users write as `'{1,2}'::int[]`; DuckDB only
 * understands its own `[…]` spelling, so both the translator and parameter binding use this.
 */
import { SqlError } from '../errors/index.js';

/** An array literal's value: its elements (text or null), or its sub-arrays. */
export type PgArrayValue = (string | null)[] | PgArrayValue[];

/**
 * The elements of a one-dimensional array literal: double-quoted elements with backslash
 * escapes, unquoted `NULL` as null. Null for a multi-dimensional literal (parsePgArrayTree
 * reads those) or text that does not start with `{` (callers leave those to the engine).
 */
export function parsePgArray(text: string): (string | null)[] | null {
  const t = parsePgArrayTree(text);
  return t === null || t.depth > 1 ? null : (t.value as (string | null)[]);
}

/**
 * Any array literal, with its number of dimensions. Text that starts as an array literal
 * but is not one is PostgreSQL's 22P02 `malformed array literal`, never a guess: `'{}{}'`,
 * `'{a}b}'`, `'{null, {1}}'` and `'{{1},{1,2}}'` are errors, as in PostgreSQL and
 * Materialize.
 */
export function parsePgArrayTree(text: string): { value: PgArrayValue; depth: number } | null {
  const s = text.trim();
  if (!s.startsWith('{')) return null;
  const malformed = (detail: string): SqlError =>
    new SqlError('22P02', `malformed array literal: "${text}"`, { detail });
  let i = 0;
  const skipSpace = (): void => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  const scalar = (): string | null => {
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
      return item;
    }
    while (i < s.length && s[i] !== ',' && s[i] !== '}') {
      const c = s[i]!;
      if (c === '{' || c === '"') throw malformed(`Unexpected "${c}" character.`);
      if (c === '\\') i++;
      item += s[i] ?? '';
      i++;
    }
    item = item.trim();
    if (item === '') throw malformed(`Unexpected "${s[i] ?? ''}" character.`);
    return item.toUpperCase() === 'NULL' ? null : item;
  };
  // One level from its `{` to its `}`: all scalars or all sub-arrays of one shape.
  const level = (): { value: PgArrayValue; shape: number[] } => {
    i++;
    skipSpace();
    if (s[i] === '}') {
      i++;
      return { value: [], shape: [0] };
    }
    const scalars: (string | null)[] = [];
    const subs: { value: PgArrayValue; shape: number[] }[] = [];
    for (;;) {
      skipSpace();
      if (i >= s.length) throw malformed('Unexpected end of input.');
      if (s[i] === '{') {
        if (scalars.length > 0) throw malformed('Unexpected "{" character.');
        subs.push(level());
      } else {
        if (subs.length > 0) throw malformed('Unexpected array element.');
        scalars.push(scalar());
      }
      skipSpace();
      if (i >= s.length) throw malformed('Unexpected end of input.');
      if (s[i] === '}') {
        i++;
        break;
      }
      if (s[i] !== ',') throw malformed(`Unexpected "${s[i]}" character.`);
      i++;
    }
    if (subs.length === 0) return { value: scalars, shape: [scalars.length] };
    const shape = subs[0]!.shape.join(',');
    if (subs.some((x) => x.shape.join(',') !== shape))
      throw malformed('Multidimensional arrays must have sub-arrays with matching dimensions.');
    return { value: subs.map<PgArrayValue>((x) => x.value), shape: [subs.length, ...subs[0]!.shape] };
  };
  const top = level();
  skipSpace();
  if (i < s.length) throw malformed('Junk after closing right brace.');
  return { value: top.value, depth: top.shape.length };
}
