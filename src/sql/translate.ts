/**
 * Dialect translation: Materialize / PostgreSQL spellings that DuckDB does not share are
 * rewritten token by token, so the engine receives SQL with the same meaning. Every
 * difference that cannot be translated is listed in docs/compat.md.
 *
 * | Materialize            | DuckDB                 | why                                   |
 * |------------------------|------------------------|---------------------------------------|
 * | uint2 / uint4 / uint8  | USMALLINT/UINTEGER/UBIGINT | DuckDB's UINT8 is one byte        |
 * | numeric / decimal      | DECIMAL(38,10)         | DuckDB's bare DECIMAL is (18,3)       |
 * | jsonb                  | JSON                   |                                       |
 * | T list                 | T[]                    | DuckDB LIST                           |
 * | map[text=>T]           | MAP(VARCHAR, T)        |                                       |
 * | current_user, …        | the session's role     | DuckDB answers 'duckdb'               |
 */
import { SqlError } from '../errors/index.js';
import { type Token, tokenize } from './lexer.js';

/** Unconstrained `numeric` is stored as DECIMAL(38,10); see docs/compat.md. */
export const UNCONSTRAINED_NUMERIC = 'DECIMAL(38,10)';

const SIMPLE_TYPES: Record<string, string> = {
  uint2: 'USMALLINT',
  uint4: 'UINTEGER',
  uint8: 'UBIGINT',
  jsonb: 'JSON',
  json: 'JSON',
  bytea: 'BLOB',
  float: 'DOUBLE',
  string: 'VARCHAR',
  mz_timestamp: 'UBIGINT',
  oid: 'UINTEGER',
  regclass: 'UINTEGER',
  regtype: 'UINTEGER',
  regproc: 'UINTEGER',
};

/** Words after which an identifier-position word is a column name, not a type. */
const TYPE_FOLLOWERS = new Set([',', ')', '[', 'not', 'null', 'default', 'primary', 'references', 'unique', 'check', 'constraint', 'list', 'collate', 'generated']);

export interface TranslateContext {
  /** The session's role, for current_user / current_role / session_user. */
  user: string;
}

function quoteLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** True when the word at `k` stands where a type name stands. */
function inTypePosition(toks: Token[], k: number): boolean {
  const prev = toks[k - 1];
  if (!prev) return false;
  if (prev.kind === 'op' && prev.text === '::') return true;
  if (prev.kind === 'word' && prev.value === 'as') {
    // CAST(x AS type) vs `SELECT x AS alias`: a type is followed by `)`, `[` or `list`.
    const next = toks[k + 1];
    return next !== undefined && (next.text === ')' || next.text === '[' || next.value === 'list' || next.text === '(');
  }
  if (prev.kind === 'word' || prev.kind === 'qident') {
    const next = toks[k + 1];
    if (['select', 'from', 'where', 'and', 'or', 'on', 'by', 'table', 'into', 'join', 'when', 'then', 'else', 'set', 'returning', 'view', 'exists'].includes(prev.value)) return false;
    return next === undefined || TYPE_FOLLOWERS.has(next.value) || (next.kind === 'punct' && next.text === '(');
  }
  return false;
}

/** Parses `map[` … `]` starting at index k (the `map` word); returns the DuckDB text and end index. */
function translateMap(sql: string, toks: Token[], k: number): { text: string; next: number } {
  // map[K=>V] where V may itself be a map or a list type.
  let depth = 0;
  let j = k + 1;
  let arrow = -1;
  for (; j < toks.length; j++) {
    const t = toks[j]!;
    if (t.text === '[') depth++;
    else if (t.text === ']') {
      depth--;
      if (depth === 0) break;
    } else if (depth === 1 && t.kind === 'op' && t.text === '=>') arrow = j;
  }
  if (j >= toks.length || arrow === -1) throw new SqlError('42601', 'invalid map type: expected map[K=>V]');
  const keyText = sql.slice(toks[k + 2]!.start, toks[arrow - 1]!.end);
  const valText = sql.slice(toks[arrow + 1]!.start, toks[j - 1]!.end);
  const key = translateTypeText(keyText);
  if (!/^(VARCHAR|text|TEXT|varchar)$/i.test(key.trim())) {
    throw new SqlError('0A000', 'map key type other than text not yet supported');
  }
  return { text: `MAP(VARCHAR, ${translateTypeText(valText)})`, next: j + 1 };
}

/** Translates a standalone type expression (used for map value types). */
function translateTypeText(text: string): string {
  const toks = tokenize(text);
  return rewrite(text, toks, { user: '' }, true);
}

function rewrite(sql: string, toks: Token[], ctx: TranslateContext, typeOnly: boolean): string {
  let out = '';
  let last = 0;
  const splice = (from: number, to: number, text: string): void => {
    out += sql.slice(last, from) + text;
    last = to;
  };
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k]!;
    // '\x…'::bytea is PostgreSQL's hex format; DuckDB reads `\xNN` escapes one byte at a time.
    if (t.kind === 'string' && /^\\x([0-9a-fA-F]{2})*$/.test(t.value) && toks[k + 1]?.text === '::' && toks[k + 2]?.value === 'bytea') {
      splice(t.start, toks[k + 2]!.end, `unhex('${t.value.slice(2)}')`);
      k += 2;
      continue;
    }
    if (t.kind !== 'word') continue;
    const typePos = typeOnly ? k === 0 || toks[k - 1]?.value === 'list' : inTypePosition(toks, k);
    if (typePos || (typeOnly && k === 0)) {
      if (t.value === 'map' && toks[k + 1]?.text === '[') {
        const m = translateMap(sql, toks, k);
        splice(t.start, toks[m.next - 1]!.end, m.text);
        k = m.next - 1;
        continue;
      }
      const simple = SIMPLE_TYPES[t.value];
      if (simple) {
        splice(t.start, t.end, simple);
        continue;
      }
      if (t.value === 'numeric' || t.value === 'decimal') {
        if (toks[k + 1]?.text === '(') {
          const p = Number(toks[k + 2]?.text);
          if (Number.isFinite(p) && p > 38) {
            throw new SqlError('0A000', `numeric precision ${p} not yet supported`, {
              detail: 'The engine stores numeric values with at most 38 digits of precision.',
            });
          }
          splice(t.start, t.end, 'DECIMAL');
        } else splice(t.start, t.end, UNCONSTRAINED_NUMERIC);
        continue;
      }
    }
    // `T list` → `T[]` (the word `list` after a type).
    if (t.value === 'list' && k > 0 && (toks[k - 1]!.kind === 'word' || toks[k - 1]!.text === ')' || toks[k - 1]!.text === ']')) {
      const prev = toks[k - 1]!;
      const prevIsType = prev.kind !== 'word' || inTypePosition(toks, k - 1) || SIMPLE_TYPES[prev.value] !== undefined || /^(int[248]?|integer|bigint|smallint|text|varchar|boolean|bool|double|real|float[48]|date|time|timestamp|timestamptz|interval|uuid|numeric|decimal|list)$/.test(prev.value);
      if (prevIsType) {
        splice(t.start, t.end, '[]');
        continue;
      }
    }
    if (!typeOnly && t.value === 'to_char' && toks[k + 1]?.text === '(') {
      const call = toCharCall(sql, toks, k);
      if (call) {
        splice(t.start, call.end, call.text);
        k = call.next - 1;
        continue;
      }
    }
    if (!typeOnly && ['current_user', 'current_role', 'session_user', 'user'].includes(t.value)) {
      const prev = toks[k - 1];
      const next = toks[k + 1];
      const bare = prev?.text !== '.' && !(prev?.kind === 'op' && prev.text === '::') && (next === undefined || next.text !== '.');
      if (bare && (t.value !== 'user' || prev?.value === 'select' || prev?.text === ',' || prev?.text === '(' || prev?.text === '=')) {
        const call = next?.text === '(' && toks[k + 2]?.text === ')';
        splice(t.start, call ? toks[k + 2]!.end : t.end, quoteLiteral(ctx.user));
        if (call) k += 2;
        continue;
      }
    }
  }
  return out + sql.slice(last);
}

/**
 * PostgreSQL template patterns of to_char and their strftime equivalents, longest first so
 * that `HH24` wins over `HH` and `YYYY` over `YY`.
 */
const TO_CHAR_PATTERNS: [string, string][] = [
  ['YYYY', '%Y'], ['HH24', '%H'], ['HH12', '%I'], ['HH', '%I'], ['MI', '%M'], ['SS', '%S'], ['MS', '%g'], ['US', '%f'],
  ['Month', '%B'], ['Mon', '%b'], ['MM', '%m'], ['DD', '%d'], ['Day', '%A'], ['Dy', '%a'], ['YY', '%y'], ['AM', '%p'], ['PM', '%p'],
];

/** to_char(x, 'pattern') with a literal pattern → strftime(x, '<format>'). */
function toCharCall(sql: string, toks: Token[], k: number): { text: string; end: number; next: number } | null {
  let depth = 0;
  let comma = -1;
  let j = k + 1;
  for (; j < toks.length; j++) {
    const t = toks[j]!;
    if (t.text === '(') depth++;
    else if (t.text === ')') {
      depth--;
      if (depth === 0) break;
    } else if (depth === 1 && t.text === ',') comma = j;
  }
  if (j >= toks.length || comma === -1 || comma !== j - 2 || toks[j - 1]!.kind !== 'string') return null;
  const pattern = toks[j - 1]!.value;
  let fmt = '';
  for (let i = 0; i < pattern.length; ) {
    const hit = TO_CHAR_PATTERNS.find(([p]) => pattern.startsWith(p, i));
    if (hit) {
      fmt += hit[1];
      i += hit[0].length;
    } else {
      fmt += pattern[i] === '%' ? '%%' : pattern[i];
      i++;
    }
  }
  const arg = sql.slice(toks[k + 2]!.start, toks[comma - 1]!.end);
  const inner = rewrite(arg, tokenize(arg), { user: '' }, false);
  return { text: `strftime((${inner})::TIMESTAMP, ${quoteLiteral(fmt)})`, end: toks[j]!.end, next: j + 1 };
}

/** Translates one statement's SQL (already split) for DuckDB. */
export function translateSql(sql: string, ctx: TranslateContext): string {
  const toks = tokenize(sql);
  let text = rewrite(sql, toks, ctx, false);
  // CREATE MATERIALIZED VIEW → CREATE VIEW: a view is always consistent with its inputs
  // when read, which is the guarantee Materialize gives for materialized views.
  text = text.replace(/^(\s*create\s+(?:or\s+replace\s+)?)materialized\s+view/i, '$1VIEW');
  // `IN CLUSTER name` clauses are accepted and recorded nowhere: one engine runs all work.
  text = text.replace(/\s+in\s+cluster\s+("[^"]+"|[a-z_][a-z0-9_]*)/gi, '');
  return text;
}
