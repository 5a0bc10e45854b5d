/**
 * `textExpr`: a DuckDB SQL expression that computes a value's PostgreSQL / Materialize
 * *text output* (what psql shows, what pgwire sends in text format, what a CSV field holds —
 * docs/formats.md "CSV") as VARCHAR, NULL for NULL. It runs vectorized inside DuckDB, so wrapping
 * a query's output columns in it costs a projection, not a round trip through JavaScript.
 *
 * DuckDB's own VARCHAR cast differs from PostgreSQL for booleans (`true`), floats (`1.0`,
 * `inf`), blobs (`\x41` escapes), intervals (`2 months`), lists (`[1, 2]`), maps, structs
 * and BC dates; those are rebuilt here. `formatValue` (text-js.ts) is the same function in
 * TypeScript, and the tests hold the two to identical output.
 */
import { DuckDBTypeId, type DuckDBType } from '@duckdb/node-api';
import { isIntegerType, isListType, isTimestampType, isUnsignedIntegerType } from './groups.js';
import { isJson, isUnconstrainedNumeric } from './pgtype.js';

/** A SQL string literal (standard SQL: only the quote is doubled, backslashes are literal). */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * Characters that force an array element into double quotes (PostgreSQL array_out:
 * braces, the delimiter, quote, backslash, and array_isspace's whitespace — space, \t, \n,
 * \r, \v, \f). Written for RE2, DuckDB's regex engine.
 */
const ARRAY_QUOTE_RE = `[{},"\\\\ \\t\\n\\r\\x0B\\f]`;
/** Materialize's map_out additionally quotes `=` and `>`, which would read as `=>`. */
const MAP_QUOTE_RE = `[{},"\\\\=> \\t\\n\\r\\x0B\\f]`;
/** PostgreSQL record_out: parentheses, comma, quote, backslash and isspace(). */
const RECORD_QUOTE_RE = `[(),"\\\\ \\t\\n\\r\\x0B\\f]`;
/**
 * JSON strings (kept) or insignificant whitespace (dropped), for compact jsonb text. Only
 * whitespace is normalized: key order and number spelling stay as stored (the adapter
 * stores jsonb already normalized, if it normalizes at all).
 */
const JSON_WS_RE = `("(?:[^"\\\\]|\\\\.)*")|[ \\t\\n\\r]+`;

let lambdaCounter = 0;
/** Fresh lambda parameter names so nested list/map lambdas never shadow each other. */
function fresh(prefix: string): string {
  lambdaCounter = (lambdaCounter + 1) % 1_000_000;
  return `__${prefix}${lambdaCounter}`;
}

/**
 * Binds `value` to a name for use in `body` (DuckDB has no LET): a one-element list
 * transformed by a lambda. Used where an intermediate string is needed many times.
 */
function bind(value: string, body: (name: string) => string): string {
  const v = fresh('b');
  return `list_transform([${value}], lambda ${v}: ${body(v)})[1]`;
}

/**
 * The PostgreSQL text output of `sqlExpr` (of DuckDB type `type`) as a VARCHAR expression,
 * NULL when the value is NULL. `sqlExpr` is repeated in the result, so pass something
 * cheap such as a quoted column reference.
 */
export function textExpr(sqlExpr: string, type: DuckDBType): string {
  const e = `(${sqlExpr})`;
  // DuckDB prints integers exactly as PostgreSQL does.
  if (isIntegerType(type)) return `CAST(${e} AS VARCHAR)`;
  if (isTimestampType(type)) {
    return `CASE WHEN CAST(${e} AS TIMESTAMP) < TIMESTAMP '0001-01-01' THEN ${bcTimestamp(
      `CAST(CAST(${e} AS TIMESTAMP) AS VARCHAR)`,
    )} ELSE CAST(CAST(${e} AS TIMESTAMP) AS VARCHAR) END`;
  }
  if (isListType(type)) return listText(e, type.valueType);
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return `CASE WHEN ${e} THEN 't' WHEN NOT ${e} THEN 'f' END`;
    case DuckDBTypeId.BIGNUM:
    case DuckDBTypeId.UUID:
    case DuckDBTypeId.ENUM:
    case DuckDBTypeId.TIME:
      // DuckDB prints these exactly as PostgreSQL does (time: fraction without trailing zeros).
      return `CAST(${e} AS VARCHAR)`;
    case DuckDBTypeId.TIME_NS:
      return `CAST(CAST(${e} AS TIME) AS VARCHAR)`;
    case DuckDBTypeId.TIME_TZ:
      return `CAST(${e} AS VARCHAR)`;
    case DuckDBTypeId.FLOAT:
      return floatText(e, FLOAT4_DIG);
    case DuckDBTypeId.DOUBLE:
      return doubleText(e);
    case DuckDBTypeId.DECIMAL:
      if (isUnconstrainedNumeric(type)) {
        // Unconstrained numeric (stored as DECIMAL(38,10), see pgtype.ts) prints the value
        // the user wrote, not the storage scale: 1.5, not 1.5000000000.
        // Its scale is 10, so DuckDB's text always has a '.': trailing zeros, then a bare
        // '.', go (no bind: the lambda per value cost more than the trims).
        return `rtrim(rtrim(CAST(${e} AS VARCHAR), '0'), '.')`;
      }
      return `CAST(${e} AS VARCHAR)`;
    case DuckDBTypeId.VARCHAR:
      if (isJson(type)) return `regexp_replace(CAST(${e} AS VARCHAR), ${sqlString(JSON_WS_RE)}, '\\1', 'g')`;
      return e;
    case DuckDBTypeId.BLOB:
      return `'\\x' || lower(hex(${e}))`;
    case DuckDBTypeId.DATE:
      // DuckDB writes `0044-03-15 (BC)`, PostgreSQL `0044-03-15 BC`.
      // The comparison guards the rewrite so AD dates (nearly all) are a plain cast.
      return `CASE WHEN ${e} < DATE '0001-01-01' THEN replace(CAST(${e} AS VARCHAR), ' (BC)', ' BC') ELSE CAST(${e} AS VARCHAR) END`;
    case DuckDBTypeId.TIMESTAMP_TZ:
      // Always UTC with `+00`, whatever the connection's TimeZone: the instant's UTC wall
      // clock is rebuilt from its epoch microseconds.
      // epoch_us of 0001-01-01 00:00:00 UTC guards the BC rewrite.
      return `CASE WHEN NOT isfinite(${e}) THEN CAST(${e} AS VARCHAR) WHEN epoch_us(${e}) < ${AD1_EPOCH_US} THEN ${bcTimestamp(
        `CAST(make_timestamp(epoch_us(${e})) AS VARCHAR) || '+00'`,
      )} ELSE CAST(make_timestamp(epoch_us(${e})) AS VARCHAR) || '+00' END`;
    case DuckDBTypeId.INTERVAL:
      return intervalText(e);
    case DuckDBTypeId.MAP:
      return mapText(e, type.keyType, type.valueType);
    case DuckDBTypeId.STRUCT:
      return recordText(e, type.entryTypes);
    default:
      return `CAST(${e} AS VARCHAR)`;
  }
}

/** Two or more digits of a non-negative integer expression (lpad would truncate 308 to 30). */
function pad2(v: string): string {
  return `CASE WHEN ${v} < 10 THEN '0' ELSE '' END || CAST(${v} AS VARCHAR)`;
}

/** Microseconds from 1970-01-01 back to 0001-01-01 00:00:00 (the first AD instant). */
const AD1_EPOCH_US = '-62135596800000000';

/** `0044-03-15 (BC) 10:10:10[+00]` → `0044-03-15 10:10:10[+00] BC` (PostgreSQL). */
function bcTimestamp(s: string): string {
  return `regexp_replace(${s}, '^(.*) \\(BC\\) (.*)$', '\\1 \\2 BC')`;
}

/**
 * PostgreSQL float output since version 12 (extra_float_digits = 1): the shortest digits
 * that round-trip, in `%e` style (`1e+20`, `1.5e-07`) when the decimal exponent is < -4
 * or >= DBL_DIG (15; FLT_DIG = 6 for real), otherwise positional without a trailing `.0`.
 * DuckDB's VARCHAR cast already yields shortest round-trip digits, only with other
 * thresholds and spellings, so the digits are taken from it and re-laid out.
 */
export const FLOAT8_DIG = 15;
export const FLOAT4_DIG = 6;

/**
 * float4's digits come from printf instead: DuckDB's REAL→VARCHAR keeps all 9 digits on
 * exact ties (`-3562817.25`) where PostgreSQL's Ryu gives the shorter even neighbour
 * (`-3.5628172e+06`). printf('%.Ne') rounds exact ties to even, so the first precision
 * that reads back as the same REAL is Ryu's answer.
 */
function float4Digits(e: string): string {
  const v = `CAST(abs(${e}) AS DOUBLE)`;
  const cases = Array.from(
    { length: 9 },
    (_, p) => `WHEN CAST(printf('%.${p}e', ${v}) AS FLOAT) = abs(${e}) THEN printf('%.${p}e', ${v})`,
  );
  return `CASE ${cases.join(' ')} ELSE CAST(abs(${e}) AS VARCHAR) END`;
}

/**
 * float8 fast path: for |x| in [1e-4, 1e15) PostgreSQL prints positionally, and so does
 * DuckDB (shortest round-trip digits too), only with a trailing `.0` on integral values.
 * Integral values print through BIGINT (exact below 1e15), others as DuckDB's text when it
 * has no exponent (checked, not assumed); everything else takes the exact re-layout.
 */
function doubleText(e: string): string {
  const inRange = `abs(${e}) >= 1e-4 AND abs(${e}) < 1e15`;
  return (
    `CASE WHEN ${inRange} AND ${e} = trunc(${e}) THEN CAST(CAST(${e} AS BIGINT) AS VARCHAR) ` +
    `WHEN ${inRange} AND NOT contains(CAST(${e} AS VARCHAR), 'e') THEN CAST(${e} AS VARCHAR) ` +
    `ELSE ${floatText(e, FLOAT8_DIG)} END`
  );
}

function floatText(e: string, dig: number): string {
  // D = significant digits (no leading/trailing zeros), E = decimal exponent of D's first
  // digit. DuckDB prints either `d[.ddd]e±XX` or a positional `iii.fff`.
  const source = dig === FLOAT4_DIG ? float4Digits(e) : `ltrim(CAST(${e} AS VARCHAR), '-')`;
  const parsed = bind(source, (a) => {
    const sciDigits = `rtrim(replace(split_part(${a}, 'e', 1), '.', ''), '0')`;
    const sciExp = `CAST(split_part(${a}, 'e', 2) AS INTEGER)`;
    const all = `(split_part(${a}, '.', 1) || split_part(${a}, '.', 2))`;
    const posDigits = `rtrim(ltrim(${all}, '0'), '0')`;
    const posExp = `(length(split_part(${a}, '.', 1)) - 1 - (length(${all}) - length(ltrim(${all}, '0'))))`;
    return `CASE WHEN contains(${a}, 'e') THEN {'d': ${sciDigits}, 'x': ${sciExp}} ELSE {'d': ${posDigits}, 'x': ${posExp}} END`;
  });
  const layout = bind(parsed, (p) => {
    const d = `${p}.d`;
    const x = `${p}.x`;
    const sci = `substr(${d}, 1, 1) || CASE WHEN length(${d}) > 1 THEN '.' || substr(${d}, 2) ELSE '' END || 'e' || CASE WHEN ${x} < 0 THEN '-' ELSE '+' END || ${pad2(`abs(${x})`)}`;
    const big = `CASE WHEN length(${d}) <= ${x} + 1 THEN ${d} || repeat('0', ${x} + 1 - length(${d})) ELSE substr(${d}, 1, ${x} + 1) || '.' || substr(${d}, ${x} + 2) END`;
    const small = `'0.' || repeat('0', -${x} - 1) || ${d}`;
    return `CASE WHEN ${x} < -4 OR ${x} >= ${dig} THEN ${sci} WHEN ${x} >= 0 THEN ${big} ELSE ${small} END`;
  });
  return `CASE WHEN ${e} IS NULL THEN NULL WHEN isnan(${e}) THEN 'NaN' WHEN isinf(${e}) THEN CASE WHEN ${e} > 0 THEN 'Infinity' ELSE '-Infinity' END WHEN ${e} = 0 THEN CASE WHEN signbit(${e}) THEN '-0' ELSE '0' END ELSE CASE WHEN ${e} < 0 THEN '-' ELSE '' END || ${layout} END`;
}

/**
 * PostgreSQL's default IntervalStyle `postgres` (datetime.c EncodeInterval): nonzero
 * `N year(s)`, `N mon(s)`, `N day(s)`, then `[-]HH:MM:SS[.ffffff]` when the time part is
 * nonzero or nothing else was printed. A positive field after a negative one gets `+`.
 * DuckDB's datepart splits the months field into year/month and the micros field into
 * hour/minute/microseconds-of-minute, all truncated toward zero (same sign).
 */
function intervalText(e: string): string {
  // One datepart call yields every field as a struct, bound once (the fields are used many
  // times below; repeating datepart per use was 4x slower on 1M rows).
  const parts = `datepart(['year', 'month', 'day', 'hour', 'minute', 'microseconds'], ${e})`;
  return `CASE WHEN ${e} IS NULL THEN NULL ELSE ${bind(parts, (p) => intervalLayout(p))} END`;
}

function intervalLayout(p: string): string {
  const y = `${p}.year`;
  const m = `${p}.month`;
  const d = `${p}.day`;
  const h = `${p}.hour`;
  const mi = `${p}.minute`;
  const us = `${p}.microseconds`;
  const part = (v: string, unit: string, before: string[]): string => {
    const anyBefore = before.length ? before.map((b) => `${b} <> 0`).join(' OR ') : 'false';
    // The sign rule looks at the nearest nonzero field before this one.
    const lastNeg = before.length
      ? `(CASE ${[...before]
          .reverse()
          .map((b) => `WHEN ${b} <> 0 THEN ${b} < 0`)
          .join(' ')} ELSE false END)`
      : 'false';
    return `CASE WHEN ${v} = 0 THEN '' ELSE CASE WHEN ${anyBefore} THEN ' ' ELSE '' END || CASE WHEN ${lastNeg} AND ${v} > 0 THEN '+' ELSE '' END || CAST(${v} AS VARCHAR) || ' ${unit}' || CASE WHEN ${v} <> 1 THEN 's' ELSE '' END END`;
  };
  const anyDate = `(${y} <> 0 OR ${m} <> 0 OR ${d} <> 0)`;
  const timeNonzero = `(${h} <> 0 OR ${mi} <> 0 OR ${us} <> 0)`;
  const lastDateNeg = `(CASE WHEN ${d} <> 0 THEN ${d} < 0 WHEN ${m} <> 0 THEN ${m} < 0 WHEN ${y} <> 0 THEN ${y} < 0 ELSE false END)`;
  const frac = `abs(${us}) % 1000000`;
  const time =
    `CASE WHEN ${anyDate} THEN ' ' ELSE '' END` +
    ` || CASE WHEN ${h} < 0 OR ${mi} < 0 OR ${us} < 0 THEN '-' WHEN ${lastDateNeg} THEN '+' ELSE '' END` +
    ` || ${pad2(`abs(${h})`)} || ':' || ${pad2(`abs(${mi})`)}` +
    ` || ':' || ${pad2(`(abs(${us}) // 1000000)`)}` +
    ` || CASE WHEN ${frac} <> 0 THEN '.' || rtrim(lpad(CAST(${frac} AS VARCHAR), 6, '0'), '0') ELSE '' END`;
  return `${part(y, 'year', [])} || ${part(m, 'mon', [y])} || ${part(d, 'day', [y, m])} || CASE WHEN NOT ${anyDate} OR ${timeNonzero} THEN ${time} ELSE '' END`;
}

/** An element of an array / list / map: NULL → `NULL`, quoted when `re` matches, when
 * empty, or when it reads as NULL; inside quotes `"` and `\` get a backslash. */
function quoteElem(t: string, re: string): string {
  return bind(
    t,
    (s) =>
      `CASE WHEN ${s} IS NULL THEN 'NULL' WHEN ${s} = '' OR lower(${s}) = 'null' OR regexp_matches(${s}, ${sqlString(re)}) ` +
      `THEN '"' || replace(replace(${s}, '\\', '\\\\'), '"', '\\"') || '"' ELSE ${s} END`,
  );
}

/** `{1,2}`; nested lists print as inner braces without quotes (`{{1,2},{3}}`). */
function listText(e: string, elem: DuckDBType): string {
  const v = fresh('l');
  const inner = isListType(elem)
    ? `coalesce(${textExpr(v, elem)}, 'NULL')`
    : quoteElem(textExpr(v, elem), ARRAY_QUOTE_RE);
  return `'{' || array_to_string(list_transform(${e}, lambda ${v}: ${inner}), ',') || '}'`;
}

/** Materialize's map text `{k=>v,...}`; nested maps in values are not quoted. */
function mapText(e: string, keyType: DuckDBType, valueType: DuckDBType): string {
  const kv = fresh('m');
  const key = quoteElem(textExpr(`${kv}.key`, keyType), MAP_QUOTE_RE);
  const value =
    valueType.typeId === DuckDBTypeId.MAP
      ? `coalesce(${textExpr(`${kv}.value`, valueType)}, 'NULL')`
      : quoteElem(textExpr(`${kv}.value`, valueType), MAP_QUOTE_RE);
  return `'{' || array_to_string(list_transform(map_entries(${e}), lambda ${kv}: ${key} || '=>' || ${value}), ',') || '}'`;
}

/** PostgreSQL record_out: `(a,b)`, NULL fields empty, quotes and backslashes doubled. */
function recordText(e: string, fields: readonly DuckDBType[]): string {
  const parts = fields.map((ft, i) =>
    bind(
      textExpr(`struct_extract_at(${e}, ${i + 1})`, ft),
      (s) =>
        `CASE WHEN ${s} IS NULL THEN '' WHEN ${s} = '' OR regexp_matches(${s}, ${sqlString(RECORD_QUOTE_RE)}) ` +
        `THEN '"' || replace(replace(${s}, '"', '""'), '\\', '\\\\') || '"' ELSE ${s} END`,
    ),
  );
  const body = parts.length ? parts.join(` || ',' || `) : `''`;
  return `CASE WHEN ${e} IS NULL THEN NULL ELSE '(' || ${body} || ')' END`;
}

/** Letters of `infinity` / `-infinity`, DuckDB's (and PostgreSQL's) infinite dates and timestamps. */
const INFINITY_CHARS = 'infty-';

/**
 * Every character `textExpr` can produce for a non-NULL value of `type`, or null when the
 * text is open-ended (strings, blobs, containers, json, enums, …). A non-NULL value's text
 * is never empty for the types listed. Used by the CSV encoder to skip its quoting test on
 * columns whose text can never contain the delimiter, the quote, CR or LF.
 */
export function textChars(type: DuckDBType): string | null {
  const digits = '0123456789';
  if (isUnsignedIntegerType(type)) return digits;
  if (isIntegerType(type)) return digits + '-';
  if (isTimestampType(type)) return digits + '-:. BC' + INFINITY_CHARS;
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return 'tf';
    case DuckDBTypeId.DECIMAL:
      return digits + '-.';
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return digits + '-+.eNaInfity';
    case DuckDBTypeId.UUID:
      return digits + 'abcdef-';
    case DuckDBTypeId.DATE:
      return digits + '- BC' + INFINITY_CHARS;
    case DuckDBTypeId.TIME:
    case DuckDBTypeId.TIME_NS:
      return digits + ':.';
    case DuckDBTypeId.TIMESTAMP_TZ:
      return digits + '-+:. BC' + INFINITY_CHARS;
    default:
      return null;
  }
}
