/**
 * `formatValue`: the PostgreSQL text output of one DuckDB value, in TypeScript. The same
 * function as `textExpr` (text-sql.ts) for results that cannot be wrapped in a SELECT
 * (e.g. SHOW or PRAGMA output, RETURNING clauses); the tests hold both to identical output.
 */
import {
  DuckDBArrayValue,
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBIntervalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimeTZValue,
  DuckDBTimeValue,
  DuckDBTimeNSValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { civilFromDays } from './calendar.js';
import { isListType, isTimestampType } from './groups.js';
import { isJson, isUnconstrainedNumeric } from './pgtype.js';
import { FLOAT4_DIG, FLOAT8_DIG } from './text-sql.js';

export function formatValue(value: DuckDBValue, type: DuckDBType): string | null {
  if (value === null) return null;
  if (isTimestampType(type)) return formatTimestampValue(value, false);
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return value ? 't' : 'f';
    case DuckDBTypeId.FLOAT:
      return formatFloat(Number(value), FLOAT4_DIG);
    case DuckDBTypeId.DOUBLE:
      return formatFloat(Number(value), FLOAT8_DIG);
    case DuckDBTypeId.DECIMAL:
      if (value instanceof DuckDBDecimalValue) {
        const s = decimalString(value.value, value.scale);
        return isUnconstrainedNumeric(type) && s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
      }
      return String(value);
    case DuckDBTypeId.VARCHAR:
      return isJson(type) ? compactJson(String(value)) : String(value);
    case DuckDBTypeId.BLOB:
      return value instanceof DuckDBBlobValue ? '\\x' + Buffer.from(value.bytes).toString('hex') : String(value);
    case DuckDBTypeId.DATE:
      return value instanceof DuckDBDateValue ? formatDate(value) : String(value);
    case DuckDBTypeId.TIME:
      return value instanceof DuckDBTimeValue ? formatTimeOfDay(value.micros) : String(value);
    case DuckDBTypeId.TIME_NS:
      return value instanceof DuckDBTimeNSValue ? formatTimeOfDay(value.nanos / 1000n) : String(value);
    case DuckDBTypeId.TIME_TZ:
      return value instanceof DuckDBTimeTZValue
        ? formatTimeOfDay(value.micros) + formatOffset(value.offset)
        : String(value);
    case DuckDBTypeId.TIMESTAMP_TZ:
      return formatTimestampValue(value, true);
    case DuckDBTypeId.INTERVAL:
      return value instanceof DuckDBIntervalValue
        ? formatInterval(value.months, value.days, value.micros)
        : String(value);
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue) {
        const elem = type.valueType;
        const nested = isListType(elem);
        const items = value.items.map((v) => {
          const t = formatValue(v, elem);
          return nested ? (t ?? 'NULL') : quoteElem(t, ARRAY_QUOTE);
        });
        return `{${items.join(',')}}`;
      }
      return String(value);
    case DuckDBTypeId.MAP:
      if (value instanceof DuckDBMapValue) {
        const nested = type.valueType.typeId === DuckDBTypeId.MAP;
        const items = value.entries.map(({ key, value: v }) => {
          const vt = formatValue(v, type.valueType);
          return `${quoteElem(formatValue(key, type.keyType), MAP_QUOTE)}=>${nested ? (vt ?? 'NULL') : quoteElem(vt, MAP_QUOTE)}`;
        });
        return `{${items.join(',')}}`;
      }
      return String(value);
    case DuckDBTypeId.STRUCT:
      if (value instanceof DuckDBStructValue) {
        // Unnamed structs (row(...)) repeat the empty name; read their fields positionally.
        const vals = Object.values(value.entries);
        const fields = type.entryTypes.map((ft, i) => {
          const name = type.entryNames[i] ?? '';
          const raw = name !== '' && name in value.entries ? value.entries[name] : vals[i];
          return quoteRecordField(formatValue(raw ?? null, ft));
        });
        return `(${fields.join(',')})`;
      }
      return String(value);
    default:
      // Integers (number or bigint), uuid, enum labels and the rest print as DuckDB does.
      return String(value);
  }
}

// --- numbers ------------------------------------------------------------------------

/** Shortest round-trip digits laid out as PostgreSQL 12+ does (see text-sql.ts floatText). */
export function formatFloat(v: number, dig: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  let exp: string;
  if (dig === FLOAT4_DIG) {
    exp = float32Shortest(v);
  } else {
    exp = v.toExponential(); // no argument: as many digits as needed to round-trip
  }
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(exp);
  if (!m) return String(v);
  const sign = m[1] ?? '';
  const digits = ((m[2] ?? '') + (m[3] ?? '')).replace(/0+$/, '') || '0';
  const x = Number(m[4]);
  if (x < -4 || x >= dig) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${mant}e${x < 0 ? '-' : '+'}${String(Math.abs(x)).padStart(2, '0')}`;
  }
  if (x >= 0) {
    if (digits.length <= x + 1) return sign + digits + '0'.repeat(x + 1 - digits.length);
    return `${sign}${digits.slice(0, x + 1)}.${digits.slice(x + 1)}`;
  }
  return `${sign}0.${'0'.repeat(-x - 1)}${digits}`;
}

/**
 * Shortest float32 digits as PostgreSQL's float4out (Ryu f2s) picks them: the fewest
 * significant digits whose correctly rounded decimal reads back as the same float32, ties
 * broken to even. JavaScript has no float32 printer, and toExponential rounds exact ties
 * away from zero, so ties are detected and resolved here.
 */
function float32Shortest(v: number): string {
  const a = Math.abs(v);
  const sign = v < 0 ? '-' : '';
  for (let p = 1; p <= 9; p++) {
    let cand = a.toExponential(p - 1);
    const longer = a.toExponential(p);
    const m = /^(\d)(?:\.(\d+))?e/.exec(longer);
    const digits = m ? (m[1] ?? '') + (m[2] ?? '') : '';
    if (Number(longer) === a && digits.endsWith('5')) {
      // Exact tie at p digits: keep the even neighbour.
      const truncated = digits.slice(0, p);
      if (Number(truncated.at(-1)) % 2 === 0) {
        const x = longer.slice(longer.indexOf('e'));
        cand = (truncated.length > 1 ? `${truncated[0]}.${truncated.slice(1)}` : truncated) + x;
      }
    }
    if (Math.fround(Number(cand)) === a) return sign + Number(cand).toExponential();
  }
  return sign + a.toExponential();
}

function decimalString(scaled: bigint, scale: number): string {
  const neg = scaled < 0n;
  let s = (neg ? -scaled : scaled).toString();
  if (scale > 0) {
    s = s.padStart(scale + 1, '0');
    s = `${s.slice(0, -scale)}.${s.slice(-scale)}`;
  }
  return neg ? `-${s}` : s;
}

// --- text containers ----------------------------------------------------------------

const ARRAY_QUOTE = /[{},"\\ \t\n\r\v\f]/;
const MAP_QUOTE = /[{},"\\=> \t\n\r\v\f]/;
const RECORD_QUOTE = /[(),"\\ \t\n\r\v\f]/;

function quoteElem(t: string | null, re: RegExp): string {
  if (t === null) return 'NULL';
  if (t === '' || t.toLowerCase() === 'null' || re.test(t)) return `"${t.replace(/[\\"]/g, (c) => '\\' + c)}"`;
  return t;
}

function quoteRecordField(t: string | null): string {
  if (t === null) return '';
  if (t === '' || RECORD_QUOTE.test(t)) return `"${t.replace(/["\\]/g, (c) => c + c)}"`;
  return t;
}

/** Drops insignificant whitespace outside JSON strings (same rule as text-sql.ts). */
function compactJson(s: string): string {
  return s.replace(/("(?:[^"\\]|\\.)*")|[ \t\n\r]+/g, (_all, str: string | undefined) => str ?? '');
}

// --- dates and times ----------------------------------------------------------------

const p2 = (n: number | bigint): string => String(n).padStart(2, '0');

/** `YYYY-MM-DD`, with PostgreSQL's ` BC` suffix for years ≤ 0 (year 0 is 1 BC). */
function dateParts(days: number): { text: string; bc: boolean } {
  const { y, m, d } = civilFromDays(days);
  const bc = y <= 0;
  const year = bc ? 1 - y : y;
  return { text: `${String(year).padStart(4, '0')}-${p2(m)}-${p2(d)}`, bc };
}

function formatDate(v: DuckDBDateValue): string {
  if (!v.isFinite) return v.days > 0 ? 'infinity' : '-infinity';
  const { text, bc } = dateParts(v.days);
  return bc ? `${text} BC` : text;
}

/** `HH:MM:SS[.ffffff]` without trailing zeros in the fraction. */
function formatTimeOfDay(micros: bigint): string {
  const us = micros % 1_000_000n;
  const secs = micros / 1_000_000n;
  const base = `${p2(secs / 3600n)}:${p2((secs / 60n) % 60n)}:${p2(secs % 60n)}`;
  return us === 0n ? base : `${base}.${String(us).padStart(6, '0').replace(/0+$/, '')}`;
}

/** PostgreSQL timetz offset: `+05`, `-03:30`, seconds only when present. DuckDB stores
 * the offset in seconds east of UTC. */
function formatOffset(offsetSecs: number): string {
  const sign = offsetSecs < 0 ? '-' : '+';
  const a = Math.abs(offsetSecs);
  const hh = Math.floor(a / 3600);
  const mm = Math.floor(a / 60) % 60;
  const ss = a % 60;
  return `${sign}${p2(hh)}${mm || ss ? ':' + p2(mm) : ''}${ss ? ':' + p2(ss) : ''}`;
}

function timestampMicros(v: DuckDBValue): bigint | null {
  if (v instanceof DuckDBTimestampValue || v instanceof DuckDBTimestampTZValue) return v.micros;
  if (v instanceof DuckDBTimestampSecondsValue) return v.seconds * 1_000_000n;
  if (v instanceof DuckDBTimestampMillisecondsValue) return v.millis * 1000n;
  if (v instanceof DuckDBTimestampNanosecondsValue) {
    // Floor division: PostgreSQL timestamps have microsecond precision.
    const q = v.nanos / 1000n;
    return v.nanos < 0n && v.nanos % 1000n !== 0n ? q - 1n : q;
  }
  return null;
}

function formatTimestampValue(v: DuckDBValue, tz: boolean): string {
  const micros = timestampMicros(v);
  if (micros === null) return String(v);
  if (typeof v === 'object' && v !== null && 'isFinite' in v && v.isFinite === false) {
    return micros > 0n ? 'infinity' : '-infinity';
  }
  const dayUs = 86_400_000_000n;
  let days = micros / dayUs;
  let rem = micros % dayUs;
  if (rem < 0n) {
    rem += dayUs;
    days -= 1n;
  }
  const { text, bc } = dateParts(Number(days));
  return `${text} ${formatTimeOfDay(rem)}${tz ? '+00' : ''}${bc ? ' BC' : ''}`;
}

/** IntervalStyle `postgres` (see text-sql.ts intervalText). */
export function formatInterval(months: number, days: number, micros: bigint): string {
  const fields: [number, string][] = [
    [Math.trunc(months / 12), 'year'],
    [months % 12, 'mon'],
    [days, 'day'],
  ];
  const out: string[] = [];
  let lastNeg = false;
  for (const [v, unit] of fields) {
    if (v === 0) continue;
    out.push(`${lastNeg && v > 0 ? '+' : ''}${v} ${unit}${v !== 1 ? 's' : ''}`);
    lastNeg = v < 0;
  }
  if (out.length === 0 || micros !== 0n) {
    const neg = micros < 0n;
    const a = neg ? -micros : micros;
    const secs = a / 1_000_000n;
    const frac = a % 1_000_000n;
    let t = `${neg ? '-' : lastNeg ? '+' : ''}${p2(secs / 3600n)}:${p2((secs / 60n) % 60n)}:${p2(secs % 60n)}`;
    if (frac !== 0n) t += '.' + String(frac).padStart(6, '0').replace(/0+$/, '');
    out.push(t);
  }
  return out.join(' ');
}
