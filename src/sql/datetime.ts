/**
 * PostgreSQL's date/time spellings whose meaning the engine does not share, rewritten on
 * the parse tree into expressions that mean what PostgreSQL means (docs/compat.md):
 *
 * - `interval '90' day`, `'2:30'::interval hour to minute`, `interval '1.5' second(0)`: a
 *   field qualifier says which unit an unmarked number is in (the least significant field
 *   named) and drops every field below it; a precision rounds the seconds. The engine
 *   ignores both (`CAST('90' AS interval day)` is 90 seconds there). A bare number is
 *   turned into the interval it denotes (`CAST('90 days' AS interval)`); any other text is
 *   cast as it stands and then cut to the qualifier's fields.
 * - `extract(field from x)`: PostgreSQL returns `numeric`, with the seconds' fraction for
 *   `second`, `milliseconds` and `epoch`; the engine has no function of that name, and its
 *   `date_part` returns whole numbers (`second` without the fraction).
 */
import { SqlError } from '../errors/index.js';
import { type PgNode, parsePg } from './pg/parse.js';

/** PostgreSQL's interval field bits (datetime.h, INTERVAL_MASK). */
const MONTH = 1 << 1;
const YEAR = 1 << 2;
const DAY = 1 << 3;
const HOUR = 1 << 10;
const MINUTE = 1 << 11;
const SECOND = 1 << 12;
const INTERVAL_FULL_RANGE = 0x7fff;
const INTERVAL_FULL_PRECISION = 0xffff;
const MAX_INTERVAL_PRECISION = 6;

type Field = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second';

/** Least significant first: the field an unmarked number is in is the first one named. */
const FIELDS: [number, Field][] = [
  [SECOND, 'second'],
  [MINUTE, 'minute'],
  [HOUR, 'hour'],
  [DAY, 'day'],
  [MONTH, 'month'],
  [YEAR, 'year'],
];

export interface IntervalTypmod {
  /** The least significant field of the qualifier; null when there is none. */
  field: Field | null;
  /** Fractional digits of the seconds kept (0–6). */
  precision: number;
  range: number;
}

/** The qualifier and precision of `interval …` from a TypeName's typmods (as the grammar encodes them). */
export function intervalTypmod(mods: (number | null)[]): IntervalTypmod {
  const range = mods[0] ?? INTERVAL_FULL_RANGE;
  const p = mods[1] ?? INTERVAL_FULL_PRECISION;
  if (range === null || p === null) throw new SqlError('42601', 'invalid interval type modifier');
  if (p !== INTERVAL_FULL_PRECISION && p < 0) {
    throw new SqlError('22023', `INTERVAL(${p}) precision must not be negative`);
  }
  const precision = p === INTERVAL_FULL_PRECISION ? MAX_INTERVAL_PRECISION : Math.min(p, MAX_INTERVAL_PRECISION);
  const field = range === INTERVAL_FULL_RANGE ? null : (FIELDS.find(([bit]) => (range & bit) !== 0)?.[1] ?? null);
  return { field, precision, range };
}

const BARE_NUMBER = /^\s*([+-]?)(\d*)(?:\.(\d*))?\s*$/;

/**
 * `CAST(text AS interval <qualifier>(<precision>))` for a constant `text`, as an engine
 * expression of PostgreSQL's value.
 */
export function intervalFromText(text: string, t: IntervalTypmod): PgNode {
  const m = BARE_NUMBER.exec(text);
  if (m && (m[2] !== '' || (m[3] ?? '') !== '')) {
    const negative = m[1] === '-';
    const whole = BigInt(m[2] || '0');
    const frac = m[3] ?? '';
    const unit = t.field ?? 'second';
    if (unit !== 'second') {
      // The fraction spills into fields below `unit`, which the qualifier drops.
      return intervalConst(`${negative && whole !== 0n ? '-' : ''}${whole} ${unit}s`);
    }
    // Seconds: the fraction to microseconds as PostgreSQL computes it (a double, more
    // than half rounds up: AdjustFractMicroseconds), then half away from zero to the
    // precision (AdjustIntervalForTypmod).
    const f = Number(`0.${frac || '0'}`) * 1e6;
    let us = Math.trunc(f);
    if (f - us > 0.5) us++;
    let micros = whole * 1_000_000n + BigInt(us);
    const scale = 10n ** BigInt(MAX_INTERVAL_PRECISION - t.precision);
    micros = ((micros + scale / 2n) / scale) * scale;
    return intervalConst(`${negative && micros !== 0n ? '-' : ''}${micros} microseconds`);
  }
  let s = text;
  if (t.range === (MINUTE | SECOND) && /^\s*[+-]?\d+:\d+(\.\d*)?\s*$/.test(s)) {
    // Under MINUTE TO SECOND, PostgreSQL reads `m:s` (elsewhere `h:m`).
    s = s.replace(/^(\s*[+-]?)/, '$100:');
  }
  const v = `CAST(${quote(s)} AS interval)`;
  const keepsAll = t.field === null || t.field === 'second';
  if (keepsAll && t.precision === MAX_INTERVAL_PRECISION) return intervalConst(s);
  const months = `to_months(date_part('year', ${v}) * 12${t.field === 'year' ? '' : ` + date_part('month', ${v})`})`;
  const terms = [months];
  if (t.field !== 'year' && t.field !== 'month') terms.push(`to_days(date_part('day', ${v}))`);
  if (keepsAll) {
    // The time part rounded half away from zero to 10^-precision seconds.
    const time = `(date_part('hour', ${v}) * 3600000000 + date_part('minute', ${v}) * 60000000 + date_part('microseconds', ${v}))`;
    const scale = 10 ** (MAX_INTERVAL_PRECISION - t.precision);
    terms.push(`to_microseconds(sign(${time}) * ((abs(${time}) + ${scale / 2}) // ${scale}) * ${scale})`);
  } else {
    if (t.field === 'hour' || t.field === 'minute') terms.push(`to_hours(date_part('hour', ${v}))`);
    if (t.field === 'minute') terms.push(`to_minutes(date_part('minute', ${v}))`);
  }
  return expression(terms.join(' + '));
}

/** `extract(field from x)` as the engine's expression of PostgreSQL's numeric result. */
export function extractCall(args: PgNode[]): PgNode {
  const [fieldArg, source] = args;
  if (!fieldArg || !source || args.length !== 2) throw new SqlError('42883', 'function extract does not exist');
  const sval = (fieldArg as { A_Const?: { sval?: { sval?: string } } }).A_Const?.sval?.sval;
  const field = sval?.toLowerCase();
  const part = (name: string): PgNode => call('date_part', [stringConst(name), source]);
  if (field === undefined) return cast(call('date_part', [fieldArg, source]), 'decimal', [38, 10]);
  switch (field) {
    case 'second':
    case 'seconds':
    case 'sec':
    case 'secs':
    case 'millisecond':
    case 'milliseconds':
    case 'ms':
    case 'msec':
    case 'msecs':
    case 'mseconds': {
      // The engine's microseconds include the seconds, as PostgreSQL's do; PostgreSQL's
      // value has 6 (3) decimals.
      const scale = field.startsWith('m') ? 3 : 6;
      const us = cast(part('microseconds'), 'decimal', [18, 0]);
      const factor = { A_Const: { fval: { fval: `0.${'0'.repeat(scale - 1)}1` } } };
      return cast({ A_Expr: { kind: 'AEXPR_OP', name: [str('*')], lexpr: us, rexpr: factor } }, 'decimal', [38, scale]);
    }
    case 'epoch':
    case 'julian':
      // A double in the engine: kept to microseconds, as PostgreSQL's value is.
      return cast(cast(part(field), 'decimal', [38, 6]), 'decimal', [38, 10]);
    default:
      return cast(part(field), 'decimal', [38, 10]);
  }
}

function quote(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function str(sval: string): PgNode {
  return { String: { sval } };
}

function stringConst(sval: string): PgNode {
  return { A_Const: { sval: { sval } } };
}

function intervalConst(text: string): PgNode {
  return cast(stringConst(text), 'interval');
}

function call(name: string, args: PgNode[]): PgNode {
  return { FuncCall: { funcname: [str(name)], args, funcformat: 'COERCE_EXPLICIT_CALL' } };
}

function cast(arg: PgNode, type: string, mods: number[] = []): PgNode {
  return {
    TypeCast: {
      arg,
      typeName: {
        names: [str(type)],
        typemod: -1,
        ...(mods.length ? { typmods: mods.map((ival) => ({ A_Const: { ival: { ival } } })) } : {}),
      },
    },
  };
}

/** Ferry's own expression text (not a user's), parsed into a tree. */
function expression(sql: string): PgNode {
  const stmt = parsePg(`SELECT ${sql}`)[0]!.stmt as { SelectStmt: { targetList: { ResTarget: { val: PgNode } }[] } };
  return stmt.SelectStmt.targetList[0]!.ResTarget.val;
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
