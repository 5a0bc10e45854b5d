/**
 * The Materialize spellings PostgreSQL's grammar lacks, rewritten into spellings it has
 * before the statement is parsed (docs/compat.md, "How Ferry reads a statement"):
 *
 * | Materialize                      | parsed as                                  |
 * |----------------------------------|--------------------------------------------|
 * | `T list`                         | `T[]` (the engine stores both as a LIST)   |
 * | `LIST[a, b]`                     | `ARRAY[a, b]`                              |
 * | `map[K=>V]` (a type)             | a placeholder type name, printed as `MAP(K, V)` |
 * | `IN CLUSTER c`                   | removed: one engine runs all work          |
 * | `OPTIONS (AGGREGATE INPUT GROUP SIZE = n, …)` after a query's clauses | removed: hints to Materialize's planner |
 * | `CREATE OR REPLACE MATERIALIZED VIEW` | `CREATE MATERIALIZED VIEW`, with `replace` kept |
 *
 * The pass works on tokens (src/sql/lexer.ts), so it never looks inside strings, quoted
 * identifiers or comments, and it is linear in the input.
 */
import { randomBytes } from 'node:crypto';
import { SqlError } from '../errors/index.js';
import { type Token, tokenize } from './lexer.js';

export const TYPE_PLACEHOLDER_PREFIX = '__ferry_type_';
/**
 * Part of every placeholder name, unknown to users: the printed SQL's placeholders are
 * replaced by text substitution, which must never find one inside a user's literal.
 */
const nonce = randomBytes(8).toString('hex');

export interface Prepassed {
  sql: string;
  /**
   * Placeholder type name → the map type it stands for, its key and value types in
   * PostgreSQL's spelling (which may name further placeholders of this map). The front end
   * prints them with its own type rules.
   */
  types: Map<string, { key: string; value: string }>;
  /** `CREATE OR REPLACE MATERIALIZED VIEW` was written. */
  replaceMaterializedView: boolean;
}

const TYPE_WORD =
  /^(int[248]?|integer|bigint|smallint|text|varchar|char|character|boolean|bool|double|precision|real|float[48]?|date|time|timestamp|timestamptz|interval|uuid|numeric|decimal|list|uint[248]|jsonb?|bytea|string|oid|record|__ferry_type_\w+)$/;

export function prepass(sql: string, types = new Map<string, { key: string; value: string }>()): Prepassed {
  const toks = tokenize(sql);
  let out = '';
  let last = 0;
  let replaceMaterializedView = false;
  const splice = (from: number, to: number, text: string): void => {
    out += sql.slice(last, from) + text;
    last = to;
  };
  const word = (t: Token | undefined, v: string): boolean => t !== undefined && t.kind === 'word' && t.value === v;
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k]!;
    if (t.kind !== 'word') continue;
    const prev = toks[k - 1];
    const next = toks[k + 1];
    if (t.value === 'create' && word(next, 'or') && word(toks[k + 2], 'replace') && word(toks[k + 3], 'materialized')) {
      splice(next!.start, toks[k + 2]!.end, '');
      replaceMaterializedView = true;
      k += 2;
      continue;
    }
    if (t.value === 'in' && word(next, 'cluster') && toks[k + 2] && ['word', 'qident'].includes(toks[k + 2]!.kind)) {
      splice(t.start, toks[k + 2]!.end, '');
      k += 2;
      continue;
    }
    if (t.value === 'options' && next?.text === '(' && QUERY_HINT_START.has(toks[k + 2]?.value ?? '')) {
      const end = matchingParen(toks, k + 1);
      checkQueryHints(sql.slice(next.end, toks[end]!.start), t.start);
      splice(t.start, toks[end]!.end, '');
      k = end;
      continue;
    }
    if (t.value === 'list' && next?.text === '[' && prev?.text !== '.') {
      splice(t.start, t.end, 'ARRAY');
      continue;
    }
    if (t.value === 'list' && prev && next?.text !== '(' && next?.text !== '.') {
      const typeBefore = prev.text === ')' || prev.text === ']' || (prev.kind === 'word' && TYPE_WORD.test(prev.value));
      // `T list`, `CAST(x AS T list)`, and `T list list` (the first `list` is already `[]`).
      if (typeBefore) {
        splice(t.start, t.end, '[]');
        continue;
      }
    }
    if (t.value === 'map' && next?.text === '[' && prev?.text !== '.' && !isTypePosition(toks, k)) {
      // MAP[k => v, …]: the engine's map(keys, values).
      const end = matchingBracket(toks, k + 1);
      const keys: string[] = [];
      const values: string[] = [];
      let depth = 0;
      let from = k + 2;
      let arrow = -1;
      for (let j = k + 2; j <= end; j++) {
        const x = toks[j]!;
        if (x.text === '(' || x.text === '[') depth++;
        else if ((x.text === ')' || x.text === ']') && j !== end) depth--;
        else if (depth === 0 && x.text === '=>') arrow = j;
        if (depth === 0 && (x.text === ',' || j === end) && j > from) {
          if (arrow === -1) throw new SqlError('42601', 'expected => in MAP[…]', { position: x.start + 1 });
          keys.push(prepass(sql.slice(toks[from]!.start, toks[arrow - 1]!.end), types).sql);
          values.push(prepass(sql.slice(toks[arrow + 1]!.start, toks[j - 1]!.end), types).sql);
          from = j + 1;
          arrow = -1;
        }
      }
      splice(t.start, toks[end]!.end, `__ferry_map(ARRAY[${keys.join(', ')}], ARRAY[${values.join(', ')}])`);
      k = end;
      continue;
    }
    if (t.value === 'map' && next?.text === '[' && prev?.text !== '.' && isTypePosition(toks, k)) {
      const end = matchingBracket(toks, k + 1);
      const inner = sql.slice(toks[k + 2]!.start, toks[end - 1]!.end);
      const arrow = inner.indexOf('=>');
      if (arrow === -1) throw new SqlError('42601', 'invalid map type: expected map[K=>V]', { position: t.start + 1 });
      // Nested maps share this statement's placeholders.
      const key = typeSpelling(inner.slice(0, arrow), types);
      const value = typeSpelling(inner.slice(arrow + 2), types);
      const name = `${TYPE_PLACEHOLDER_PREFIX}${nonce}_${types.size}`;
      types.set(name, { key, value });
      splice(t.start, toks[end]!.end, name);
      k = end;
      continue;
    }
  }
  return { sql: out + sql.slice(last), types, replaceMaterializedView };
}

/** `map` stands where a type does: after `::`, in a column definition, or in `CAST(… AS`. */
function isTypePosition(toks: Token[], k: number): boolean {
  const prev = toks[k - 1];
  if (!prev) return false;
  if (prev.text === '::') return true;
  if (prev.kind === 'word' && prev.value === 'as') return true;
  if (prev.kind === 'word' || prev.kind === 'qident')
    return !['select', 'from', 'where', 'by', 'and', 'or'].includes(prev.value);
  return false;
}

/** A standalone type (a map's key or value type, which may itself be a map) in PostgreSQL's spelling. */
function typeSpelling(text: string, types: Prepassed['types']): string {
  const wrapped = prepass(`CAST(NULL AS ${text.trim()})`, types).sql;
  return wrapped.slice('CAST(NULL AS '.length, -1);
}

/** The first words of Materialize's query hints (`SELECT … OPTIONS (…)`). */
const QUERY_HINT_START = new Set(['aggregate', 'distinct', 'limit', 'expected']);
const QUERY_HINT =
  /^\s*(aggregate\s+input\s+group\s+size|distinct\s+on\s+input\s+group\s+size|limit\s+input\s+group\s+size|expected\s+group\s+size)\s*=?\s*(\S*?)\s*$/i;

/**
 * Materialize's planner hints name the expected size of a query's groups; Ferry's engine
 * plans for itself, so they have no effect, but each must still be one Materialize takes,
 * with a whole number.
 */
function checkQueryHints(body: string, start: number): void {
  for (const part of body.split(',')) {
    const m = QUERY_HINT.exec(part);
    if (!m) throw new SqlError('42601', `unknown query hint: ${part.trim()}`, { position: start + 1 });
    if (!/^\d+$/.test(m[2]!))
      throw new SqlError(
        '22023',
        `invalid ${m[1]!.toUpperCase().replace(/\s+/g, ' ')}: expected a whole number, got "${m[2]}"`,
        {
          position: start + 1,
        },
      );
  }
}

/** The token that closes the bracket or parenthesis opened at `open`. */
function matching(toks: Token[], open: number, opener: '(' | '[', closer: ')' | ']'): number {
  let depth = 0;
  for (let j = open; j < toks.length; j++) {
    if (toks[j]!.text === opener) depth++;
    else if (toks[j]!.text === closer && --depth === 0) return j;
  }
  throw new SqlError('42601', `syntax error at end of input: unclosed ${opener}`);
}

const matchingParen = (toks: Token[], open: number): number => matching(toks, open, '(', ')');
const matchingBracket = (toks: Token[], open: number): number => matching(toks, open, '[', ']');
