/**
 * PostgreSQL array literals (`{a,"b c",NULL}`, PostgreSQL docs 8.15.2 "Array Value Input"),
 * which clients send as parameter text and users write as `'{1,2}'::int[]`; DuckDB only
 * understands its own `[…]` spelling, so both the translator and parameter binding use this.
 */

/**
 * The elements of a one-dimensional array literal: double-quoted elements with backslash
 * escapes, unquoted `NULL` as null. Null for anything else (multi-dimensional arrays or
 * malformed text), which callers pass through for the engine to judge.
 */
export function parsePgArray(text: string): (string | null)[] | null {
  const s = text.trim();
  if (!s.startsWith('{') || !s.endsWith('}')) return null;
  const out: (string | null)[] = [];
  const end = s.length - 1;
  let i = 1;
  const skipSpace = (): void => {
    while (i < end && /\s/.test(s[i]!)) i++;
  };
  skipSpace();
  if (i === end) return out;
  for (;;) {
    skipSpace();
    if (s[i] === '{') return null;
    let item = '';
    const quoted = s[i] === '"';
    if (quoted) i++;
    while (i < end && (quoted ? s[i] !== '"' : s[i] !== ',')) {
      if (s[i] === '\\') i++;
      item += s[i] ?? '';
      i++;
    }
    if (quoted) i++;
    else item = item.trim();
    out.push(!quoted && item.toUpperCase() === 'NULL' ? null : item);
    skipSpace();
    if (i >= end) return out;
    if (s[i] !== ',') return null;
    i++;
  }
}
