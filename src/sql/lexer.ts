/**
 * A SQL tokenizer that understands exactly what is needed to split statements and to find
 * keywords, identifiers and literals safely: PostgreSQL string forms ('…', E'…' with
 * backslash escapes, $tag$…$tag$), quoted identifiers, comments (nested block comments as
 * in PostgreSQL), numbers, `$n` parameters and operators. Every token keeps its source
 * offsets so that rewrites can splice the original text and error positions are exact.
 */
import { SqlError } from '../errors/index.js';

export type TokenKind = 'word' | 'qident' | 'string' | 'number' | 'param' | 'op' | 'punct' | 'semicolon';

export interface Token {
  kind: TokenKind;
  /** Source text of the token. */
  text: string;
  /** For words: lower-cased text; for quoted identifiers and strings: the decoded value. */
  value: string;
  start: number;
  end: number;
}

/** Longest identifier, in UTF-8 bytes (Materialize's limit; `max_identifier_length`). */
export const MAX_IDENTIFIER_BYTES = 255;
const NUMBER = /(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/y;

function checkIdentifier(value: string, at: number): void {
  // Cheap first: a string of at most 63 UTF-16 units is at most 255 UTF-8 bytes.
  if (value.length > 63 && Buffer.byteLength(value, 'utf8') > MAX_IDENTIFIER_BYTES)
    throw new SqlError('42622', `identifier length exceeds ${MAX_IDENTIFIER_BYTES} bytes`, { position: at + 1 });
}

const OP_CHARS = new Set('+-*/<>=~!@#%^&|`?:'.split(''));
const PUNCT = new Set('(),[].{}'.split(''));

function isIdentStart(c: string): boolean {
  return /[A-Za-z_\u0080-\uffff]/.test(c);
}
function isIdentPart(c: string): boolean {
  return /[A-Za-z0-9_$\u0080-\uffff]/.test(c);
}

export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  const fail = (msg: string, at: number): never => {
    throw new SqlError('42601', msg, { position: at + 1 });
  };
  while (i < n) {
    const c = sql[i]!;
    // Whitespace and comments.
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      // PostgreSQL's scanner ends a `--` comment at either line break (scan.l: non_newline).
      while (i < n && sql[i] !== '\n' && sql[i] !== '\r') i++;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const start = i;
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
        } else i++;
      }
      if (depth > 0) fail('unterminated /* comment', start);
      continue;
    }
    const start = i;
    // Strings: '…', E'…', X'…', B'…', N'…'.
    if (
      c === "'" ||
      ((c === 'E' || c === 'e' || c === 'X' || c === 'x' || c === 'B' || c === 'b' || c === 'N' || c === 'n') &&
        sql[i + 1] === "'")
    ) {
      const escapes = c === 'E' || c === 'e';
      i += c === "'" ? 1 : 2;
      let value = '';
      for (;;) {
        if (i >= n) fail('unterminated quoted string', start);
        const ch = sql[i]!;
        if (ch === "'") {
          if (sql[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (escapes && ch === '\\' && i + 1 < n) {
          const e = sql[i + 1]!;
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };
          value += map[e] ?? e;
          i += 2;
          continue;
        }
        value += ch;
        i++;
      }
      out.push({ kind: 'string', text: sql.slice(start, i), value, start, end: i });
      continue;
    }
    // Dollar-quoted strings and $n parameters.
    if (c === '$') {
      const m = /^\$([0-9]+)/.exec(sql.slice(i, i + 12));
      if (m) {
        i += m[0].length;
        out.push({ kind: 'param', text: m[0], value: m[1]!, start, end: i });
        continue;
      }
      const t = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
      if (t) {
        const tag = t[0];
        const close = sql.indexOf(tag, i + tag.length);
        if (close === -1) fail('unterminated dollar-quoted string', start);
        const value = sql.slice(i + tag.length, close);
        i = close + tag.length;
        out.push({ kind: 'string', text: sql.slice(start, i), value, start, end: i });
        continue;
      }
    }
    if (c === '"') {
      i++;
      let value = '';
      for (;;) {
        if (i >= n) fail('unterminated quoted identifier', start);
        const ch = sql[i]!;
        if (ch === '"') {
          if (sql[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += ch;
        i++;
      }
      if (value === '') fail('zero-length delimited identifier', start);
      checkIdentifier(value, start);
      out.push({ kind: 'qident', text: sql.slice(start, i), value, start, end: i });
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      NUMBER.lastIndex = i; // sticky: matches at i without copying the rest of the input
      const m = NUMBER.exec(sql);
      i += m![0].length;
      out.push({ kind: 'number', text: m![0], value: m![0], start, end: i });
      continue;
    }
    if (isIdentStart(c)) {
      i++;
      while (i < n && isIdentPart(sql[i]!)) i++;
      const text = sql.slice(start, i);
      checkIdentifier(text, start);
      out.push({ kind: 'word', text, value: text.toLowerCase(), start, end: i });
      continue;
    }
    if (c === ';') {
      i++;
      out.push({ kind: 'semicolon', text: ';', value: ';', start, end: i });
      continue;
    }
    if (PUNCT.has(c)) {
      i++;
      out.push({ kind: 'punct', text: c, value: c, start, end: i });
      continue;
    }
    if (OP_CHARS.has(c)) {
      i++;
      while (
        i < n &&
        OP_CHARS.has(sql[i]!) &&
        !(sql[i] === '-' && sql[i + 1] === '-') &&
        !(sql[i] === '/' && sql[i + 1] === '*')
      )
        i++;
      out.push({ kind: 'op', text: sql.slice(start, i), value: sql.slice(start, i), start, end: i });
      continue;
    }
    fail(`syntax error at or near "${c}"`, start);
  }
  return out;
}

/** A statement of a multi-statement string: its text (without the `;`) and tokens. */
export interface StatementText {
  sql: string;
  tokens: Token[];
  /** Offset of the statement within the original string (for error positions). */
  offset: number;
}

/** Splits a query string at top-level semicolons; empty statements are dropped. */
export function splitStatements(sql: string): StatementText[] {
  const tokens = tokenize(sql);
  const out: StatementText[] = [];
  let cur: Token[] = [];
  const flush = (): void => {
    if (cur.length === 0) return;
    const first = cur[0]!;
    const last = cur[cur.length - 1]!;
    const offset = first.start;
    out.push({
      sql: sql.slice(offset, last.end),
      tokens: cur.map((t) => ({ ...t, start: t.start - offset, end: t.end - offset })),
      offset,
    });
    cur = [];
  };
  // `BEGIN ATOMIC … END` bodies do not occur in the dialect Ferry accepts, so every
  // top-level semicolon ends a statement.
  for (const t of tokens) {
    if (t.kind === 'semicolon') flush();
    else cur.push(t);
  }
  flush();
  return out;
}
