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
 *
 * Catalog queries of clients (psql's describe commands, JDBC metadata) get a second set of
 * rules, applied first (pgCompatRewrite): `pg_catalog.<relation or function>` that Ferry
 * answers itself → `__ferry_pg.<name>` (src/catalog/pg-compat.ts says why), other
 * `pg_catalog.` prefixes are dropped, `OPERATOR(pg_catalog.~)` → `~`, `COLLATE
 * pg_catalog.default` is dropped, `'name'::regclass` looks the relation up, and regular
 * expression matches get PostgreSQL's semantics.
 */
import {
  INFORMATION_SCHEMA_RELATIONS,
  PG_COMPAT_DB,
  PG_COMPAT_FUNCTIONS,
  PG_COMPAT_RELATIONS,
} from '../types/pg-catalog-names.js';
import { SqlError } from '../errors/index.js';
import { type Token, tokenize } from './lexer.js';
import { parsePgArray } from './array-literal.js';

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
const TYPE_FOLLOWERS = new Set([
  ',',
  ')',
  '[',
  'not',
  'null',
  'default',
  'primary',
  'references',
  'unique',
  'check',
  'constraint',
  'list',
  'collate',
  'generated',
]);

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
    if (
      [
        'select',
        'from',
        'where',
        'and',
        'or',
        'on',
        'by',
        'table',
        'into',
        'join',
        'when',
        'then',
        'else',
        'set',
        'returning',
        'view',
        'exists',
      ].includes(prev.value)
    )
      return false;
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
export function translateTypeText(text: string): string {
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
    if (
      t.kind === 'string' &&
      /^\\x([0-9a-fA-F]{2})*$/.test(t.value) &&
      toks[k + 1]?.text === '::' &&
      toks[k + 2]?.value === 'bytea'
    ) {
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
    if (
      t.value === 'list' &&
      k > 0 &&
      (toks[k - 1]!.kind === 'word' || toks[k - 1]!.text === ')' || toks[k - 1]!.text === ']')
    ) {
      const prev = toks[k - 1]!;
      const prevIsType =
        prev.kind !== 'word' ||
        inTypePosition(toks, k - 1) ||
        SIMPLE_TYPES[prev.value] !== undefined ||
        /^(int[248]?|integer|bigint|smallint|text|varchar|boolean|bool|double|real|float[48]|date|time|timestamp|timestamptz|interval|uuid|numeric|decimal|list)$/.test(
          prev.value,
        );
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
      const bare =
        prev?.text !== '.' && !(prev?.kind === 'op' && prev.text === '::') && (next === undefined || next.text !== '.');
      if (
        bare &&
        (t.value !== 'user' ||
          prev?.value === 'select' ||
          prev?.text === ',' ||
          prev?.text === '(' ||
          prev?.text === '=')
      ) {
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
  ['YYYY', '%Y'],
  ['HH24', '%H'],
  ['HH12', '%I'],
  ['HH', '%I'],
  ['MI', '%M'],
  ['SS', '%S'],
  ['MS', '%g'],
  ['US', '%f'],
  ['Month', '%B'],
  ['Mon', '%b'],
  ['MM', '%m'],
  ['DD', '%d'],
  ['Day', '%A'],
  ['Dy', '%a'],
  ['YY', '%y'],
  ['AM', '%p'],
  ['PM', '%p'],
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
  const fmt = toCharFormat(toks[j - 1]!.value);
  const arg = sql.slice(toks[k + 2]!.start, toks[comma - 1]!.end);
  const inner = rewrite(arg, tokenize(arg), { user: '' }, false);
  return { text: `strftime((${inner})::TIMESTAMP, ${quoteLiteral(fmt)})`, end: toks[j]!.end, next: j + 1 };
}

/** A to_char template pattern as the equivalent strftime format. */
export function toCharFormat(pattern: string): string {
  let fmt = '';
  for (let i = 0; i < pattern.length;) {
    const hit = TO_CHAR_PATTERNS.find(([p]) => pattern.startsWith(p, i));
    if (hit) {
      fmt += hit[1];
      i += hit[0].length;
    } else {
      fmt += pattern[i] === '%' ? '%%' : pattern[i];
      i++;
    }
  }
  return fmt;
}

const COMPAT_RELATIONS = new Set(PG_COMPAT_RELATIONS);
const COMPAT_FUNCTIONS = new Set(PG_COMPAT_FUNCTIONS);
const INFO_RELATIONS = new Set(INFORMATION_SCHEMA_RELATIONS);
const REGEX_OPS = new Set(['~', '!~', '~*', '!~*']);
/** Collations PostgreSQL clients name that mean "the column's default" here. */
const DEFAULT_COLLATIONS = new Set(['default', 'c', 'posix']);

/**
 * Rewrites the PostgreSQL catalog spellings that clients send (see the module comment).
 * Only qualified names and unqualified names in FROM / JOIN position or called as
 * functions are redirected, so a user's own column named like a catalog relation is left
 * alone.
 */
export function pgCompatRewrite(sql: string): string {
  const toks = tokenize(sql);
  let out = '';
  let last = 0;
  const splice = (from: number, to: number, text: string): void => {
    out += sql.slice(last, from) + text;
    last = to;
  };
  const isName = (t: Token | undefined): t is Token => t !== undefined && (t.kind === 'word' || t.kind === 'qident');
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k]!;
    const prev = toks[k - 1];
    const next = toks[k + 1];
    // OPERATOR(pg_catalog.~) → ~ (psql qualifies every operator in its describe queries).
    if (t.kind === 'word' && t.value === 'operator' && next?.text === '(') {
      let j = k + 2;
      if (toks[j]?.value === 'pg_catalog' && toks[j + 1]?.text === '.') j += 2;
      const op = toks[j];
      if (op?.kind === 'op' && toks[j + 1]?.text === ')') {
        splice(t.start, toks[j + 1]!.end, op.text);
        k = j;
        // Fall through to the regular-expression rule for the operator just emitted.
        const lit = toks[j + 2];
        if (REGEX_OPS.has(op.text) && lit?.kind === 'string') {
          splice(lit.start, lit.end, regexLiteral(op.text, lit.value));
          k = j + 2;
        }
        continue;
      }
    }
    // COLLATE pg_catalog.default / COLLATE "C": DuckDB has neither; text compares bytewise.
    if (t.kind === 'word' && t.value === 'collate') {
      let j = k + 1;
      if (toks[j]?.value === 'pg_catalog' && toks[j + 1]?.text === '.') j += 2;
      const c = toks[j];
      if (isName(c) && (j > k + 1 || DEFAULT_COLLATIONS.has(c.value.toLowerCase()))) {
        splice(t.start, c.end, '');
        k = j;
        continue;
      }
    }
    // DuckDB's `~` is a full match; PostgreSQL's finds the pattern anywhere.
    if (t.kind === 'op' && REGEX_OPS.has(t.text) && next?.kind === 'string') {
      splice(t.start, next.end, `${t.text.startsWith('!') ? '!~' : '~'} ${regexLiteral(t.text, next.value)}`);
      k++;
      continue;
    }
    // 'name'::regclass → the relation's oid; 'pg_catalog.array_in'::regproc → 'array_in'
    // (pg_type.typinput holds function names).
    if (t.kind === 'string' && next?.text === '::') {
      let j = k + 2;
      if (toks[j]?.value === 'pg_catalog' && toks[j + 1]?.text === '.') j += 2;
      const ty = toks[j];
      if (ty?.kind === 'word' && ty.value === 'regclass') {
        splice(t.start, ty.end, `${PG_COMPAT_DB}.regclass_in(${quoteLiteral(t.value)})`);
        k = j;
        continue;
      }
      if (ty?.kind === 'word' && ty.value === 'regproc') {
        splice(t.start, ty.end, quoteLiteral(t.value.replace(/^pg_catalog\./, '')));
        k = j;
        continue;
      }
    }
    // '{1,2}'::int[] → ['1','2']::int[]: DuckDB casts only its own `[…]` text to a list,
    // while a list of text elements casts to any element type.
    if (t.kind === 'string' && next?.text === '::' && /^\s*\{/.test(t.value)) {
      let j = k + 2;
      while ((toks[j]?.kind === 'word' && toks[j]?.value !== 'list') || toks[j]?.text === '.') j++;
      if (j > k + 2 && (toks[j]?.text === '[' || toks[j]?.value === 'list')) {
        const items = parsePgArray(t.value);
        if (items) {
          splice(
            t.start,
            t.end,
            `[${items.map((v) => (v === null ? 'NULL' : quoteLiteral(v))).join(', ')}]::VARCHAR[]`,
          );
          continue;
        }
      }
    }
    if (t.kind !== 'word' || prev?.text === '.') continue;
    // [materialize.]pg_catalog.name / information_schema.name
    if ((t.value === 'pg_catalog' || t.value === 'information_schema') && next?.text === '.' && isName(toks[k + 2])) {
      const name = toks[k + 2]!.value.toLowerCase();
      if (t.value === 'pg_catalog') {
        if (COMPAT_RELATIONS.has(name) || COMPAT_FUNCTIONS.has(name)) splice(t.start, t.end, PG_COMPAT_DB);
        else splice(t.start, next.end, '');
      } else if (INFO_RELATIONS.has(name)) {
        splice(t.start, toks[k + 2]!.end, `${PG_COMPAT_DB}.information_schema_${name}`);
      } else if (COMPAT_FUNCTIONS.has(name)) {
        splice(t.start, t.end, PG_COMPAT_DB);
      }
      k += 2;
      continue;
    }
    if (next?.text === '.') continue;
    if (
      COMPAT_RELATIONS.has(t.value) &&
      (prev?.value === 'from' || prev?.value === 'join' || (prev?.text === ',' && inFromList(toks, k)))
    ) {
      splice(t.start, t.start, `${PG_COMPAT_DB}.`);
      continue;
    }
    if (COMPAT_FUNCTIONS.has(t.value) && next?.text === '(' && t.value !== 'regclass_in') {
      splice(t.start, t.start, `${PG_COMPAT_DB}.`);
    }
  }
  return out + sql.slice(last);
}

const CLAUSE_WORDS = new Set([
  'select',
  'from',
  'where',
  'group',
  'order',
  'having',
  'limit',
  'on',
  'using',
  'join',
  'union',
  'returning',
  'set',
  'values',
]);

/** True when token k (after a comma) is in a FROM list: the nearest clause word at its depth is FROM. */
function inFromList(toks: Token[], k: number): boolean {
  let depth = 0;
  for (let j = k - 1; j >= 0; j--) {
    const t = toks[j]!;
    if (t.text === ')') depth++;
    else if (t.text === '(') {
      if (depth === 0) return false;
      depth--;
    } else if (depth === 0 && t.kind === 'word' && CLAUSE_WORDS.has(t.value)) return t.value === 'from';
  }
  return false;
}

/** A PostgreSQL regular expression as a pattern for DuckDB's full-match `~`. */
function regexLiteral(op: string, pattern: string): string {
  const body = op.endsWith('*') ? `(?i:${pattern})` : `(?:${pattern})`;
  return quoteLiteral(`(?s:.*)${body}(?s:.*)`);
}

/**
 * `a / b` and `a % b` → `a / __ferry_pg.nonzero(b)`: DuckDB returns NULL (or Infinity) when
 * dividing by zero, PostgreSQL and Materialize fail with 22012 `division by zero`. The
 * divisor is the primary expression right of the operator (with its casts and subscripts,
 * which bind tighter); a divisor this scanner does not recognise is left as it is.
 */
export function divisionRewrite(sql: string): string {
  if (!/[/%]/.test(sql)) return sql;
  const toks = tokenize(sql);
  const inserts: { at: number; text: string }[] = [];
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k]!;
    if (t.kind !== 'op' || (t.text !== '/' && t.text !== '%')) continue;
    const end = operandEnd(toks, k + 1);
    if (end === -1) continue;
    inserts.push({ at: toks[k + 1]!.start, text: `${PG_COMPAT_DB}.nonzero(` }, { at: toks[end - 1]!.end, text: ')' });
  }
  if (inserts.length === 0) return sql;
  inserts.sort((a, b) => b.at - a.at);
  let out = sql;
  for (const i of inserts) out = out.slice(0, i.at) + i.text + out.slice(i.at);
  return out;
}

/** Index after the token matching the bracket at j, or -1. */
function matchBracket(toks: Token[], j: number): number {
  const open = toks[j]!.text;
  const close = open === '(' ? ')' : ']';
  let depth = 0;
  for (let i = j; i < toks.length; i++) {
    if (toks[i]!.text === open) depth++;
    else if (toks[i]!.text === close && --depth === 0) return i + 1;
  }
  return -1;
}

/** End index (exclusive) of the primary expression starting at token j, or -1 if unsure. */
function operandEnd(toks: Token[], j: number): number {
  while (toks[j]?.kind === 'op' && (toks[j]!.text === '-' || toks[j]!.text === '+')) j++;
  const t = toks[j];
  if (!t) return -1;
  if (t.kind === 'number' || t.kind === 'string' || t.kind === 'param') j++;
  else if (t.text === '(') j = matchBracket(toks, j);
  else if (t.kind === 'word' || t.kind === 'qident') {
    if (t.kind === 'word' && ['case', 'select', 'not', 'array', 'exists'].includes(t.value)) return -1;
    j++;
    while (toks[j]?.text === '.' && (toks[j + 1]?.kind === 'word' || toks[j + 1]?.kind === 'qident')) j += 2;
    if (toks[j]?.text === '(') j = matchBracket(toks, j);
    else if (toks[j]?.kind === 'string') j++; // typed literal: interval '1 day'
  } else return -1;
  // Casts and subscripts bind tighter than division.
  while (j !== -1 && j < toks.length) {
    if (toks[j]!.text === '[') j = matchBracket(toks, j);
    else if (toks[j]!.text === '::') {
      j++;
      if (toks[j]?.kind !== 'word' && toks[j]?.kind !== 'qident') return -1;
      while (toks[j]?.kind === 'word' || toks[j]?.kind === 'qident' || toks[j]?.text === '.') {
        const w = toks[j]!;
        // `x::double precision`; stop before a keyword that follows the expression.
        if (w.kind === 'word' && CAST_STOP.has(w.value) && toks[j - 1]?.text !== '::' && toks[j - 1]?.text !== '.')
          break;
        j++;
      }
      if (toks[j]?.text === '(') j = matchBracket(toks, j);
    } else break;
  }
  return j;
}

/** Words that end a cast's type name (`x::int AS y`, `x::text FROM t`). */
const CAST_STOP = new Set([
  'as',
  'from',
  'where',
  'and',
  'or',
  'then',
  'else',
  'end',
  'when',
  'is',
  'in',
  'not',
  'like',
  'between',
  'order',
  'group',
  'having',
  'limit',
  'offset',
  'union',
  'on',
  'join',
  'collate',
  'desc',
  'asc',
  'nulls',
  'over',
  'filter',
  'returning',
  'into',
  'using',
  'except',
  'intersect',
]);

/** Translates one statement's SQL (already split) for DuckDB. */
export function translateSql(sql: string, ctx: TranslateContext): string {
  sql = divisionRewrite(pgCompatRewrite(sql));
  const toks = tokenize(sql);
  let text = rewrite(sql, toks, ctx, false);
  // CREATE MATERIALIZED VIEW → CREATE VIEW: a view is always consistent with its inputs
  // when read, which is the guarantee Materialize gives for materialized views.
  text = text.replace(/^(\s*create\s+(?:or\s+replace\s+)?)materialized\s+view/i, '$1VIEW');
  // `IN CLUSTER name` clauses are accepted and recorded nowhere: one engine runs all work.
  text = text.replace(/\s+in\s+cluster\s+("[^"]+"|[a-z_][a-z0-9_]*)/gi, '');
  return text;
}
