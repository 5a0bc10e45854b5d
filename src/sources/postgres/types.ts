/**
 * Upstream PostgreSQL column types and what a subsource stores them as (docs/sources.md,
 * "Types"). A value crosses in PostgreSQL's text form — the snapshot reads it as text and
 * pgoutput sends it as text — and becomes an engine value through `valueSql` after
 * `prepareText` has put it in a spelling the engine reads exactly. Nothing is rounded on
 * the way: a value the engine type cannot hold is an error, never a nearby value.
 *
 * Upstream sessions run with the settings in UPSTREAM_SESSION_SETTINGS, so the text forms
 * are fixed (ISO dates, hex bytea, UTC, shortest exact floats) whatever the server's
 * defaults are.
 */
import { SqlError } from '../../errors/index.js';
import { type PgArrayValue, parsePgArrayTree } from '../../types/array-literal.js';

/** GUCs every upstream session (snapshot and walsender) sets at login. */
export const UPSTREAM_SESSION_SETTINGS: Record<string, string> = {
  DateStyle: 'ISO, MDY',
  IntervalStyle: 'postgres',
  TimeZone: 'UTC',
  bytea_output: 'hex',
  extra_float_digits: '1',
  client_encoding: 'UTF8',
};

/** The libpq `options` string that applies UPSTREAM_SESSION_SETTINGS at login. */
export function upstreamSessionOptions(): string {
  return Object.entries(UPSTREAM_SESSION_SETTINGS)
    .map(([k, v]) => `-c ${k}=${v.replace(/\\/g, '\\\\').replace(/ /g, '\\ ')}`)
    .join(' ');
}

/** A column as the upstream catalog describes it. */
export interface UpstreamColumn {
  name: string;
  /** pg_type.typname of the column, or of its element for an array (`int4`, `_int4` → `int4`). */
  typeName: string;
  /** format_type(atttypid, atttypmod), for messages: `numeric(12,2)`, `integer[]`. */
  formatted: string;
  typeOid: number;
  typmod: number;
  isArray: boolean;
  notNull: boolean;
}

/** How one upstream text value becomes the subsource column's value. */
export type ValueKind = 'plain' | 'bytea' | 'numeric' | 'array' | 'interval' | 'datetime';

export interface SubsourceColumn {
  name: string;
  /** The engine type the subsource column is created with. */
  engineType: string;
  /** The type as Ferry's catalog prints it in CREATE SUBSOURCE. */
  sqlType: string;
  kind: ValueKind;
  notNull: boolean;
  /** The upstream type, for schema-change checks (oid and typmod as at creation). */
  typeOid: number;
  typmod: number;
}

/** The unconstrained numeric Ferry stores: 28 integer digits and 10 fractional digits. */
const NUMERIC_WIDTH = 38;
const NUMERIC_SCALE = 10;

interface Scalar {
  engine: string;
  sql: string;
  kind: ValueKind;
}

const SCALARS: Record<string, Scalar> = {
  bool: { engine: 'BOOLEAN', sql: 'boolean', kind: 'plain' },
  int2: { engine: 'SMALLINT', sql: 'smallint', kind: 'plain' },
  int4: { engine: 'INTEGER', sql: 'integer', kind: 'plain' },
  int8: { engine: 'BIGINT', sql: 'bigint', kind: 'plain' },
  float4: { engine: 'REAL', sql: 'real', kind: 'plain' },
  float8: { engine: 'DOUBLE', sql: 'double precision', kind: 'plain' },
  text: { engine: 'VARCHAR', sql: 'text', kind: 'plain' },
  varchar: { engine: 'VARCHAR', sql: 'text', kind: 'plain' },
  bpchar: { engine: 'VARCHAR', sql: 'text', kind: 'plain' },
  char: { engine: 'VARCHAR', sql: 'text', kind: 'plain' },
  name: { engine: 'VARCHAR', sql: 'text', kind: 'plain' },
  bytea: { engine: 'BLOB', sql: 'bytea', kind: 'bytea' },
  date: { engine: 'DATE', sql: 'date', kind: 'datetime' },
  time: { engine: 'TIME', sql: 'time', kind: 'plain' },
  timestamp: { engine: 'TIMESTAMP', sql: 'timestamp', kind: 'datetime' },
  timestamptz: { engine: 'TIMESTAMPTZ', sql: 'timestamp with time zone', kind: 'datetime' },
  interval: { engine: 'INTERVAL', sql: 'interval', kind: 'interval' },
  uuid: { engine: 'UUID', sql: 'uuid', kind: 'plain' },
  json: { engine: 'JSON', sql: 'jsonb', kind: 'plain' },
  jsonb: { engine: 'JSON', sql: 'jsonb', kind: 'plain' },
  oid: { engine: 'UINTEGER', sql: 'oid', kind: 'plain' },
};

/** numeric(p, s) from its typmod, or null for an unconstrained numeric. */
function numericTypmod(typmod: number): { p: number; s: number } | null {
  if (typmod < 4) return null;
  const t = typmod - 4;
  return { p: (t >> 16) & 0xffff, s: t & 0xffff };
}

/**
 * The subsource column for an upstream column, or null when Ferry cannot store its type
 * (the caller names it in `referenced tables use unsupported types`). `asText` is TEXT
 * COLUMNS: the upstream text form, whatever the type.
 */
export function subsourceColumn(col: UpstreamColumn, asText: boolean): SubsourceColumn | null {
  const base = { name: col.name, notNull: col.notNull, typeOid: col.typeOid, typmod: col.typmod };
  if (asText) return { ...base, engineType: 'VARCHAR', sqlType: 'text', kind: 'plain' };
  let scalar: Scalar | undefined = SCALARS[col.typeName];
  if (col.typeName === 'numeric') {
    const tm = col.isArray ? null : numericTypmod(col.typmod);
    if (tm && (tm.p > NUMERIC_WIDTH || tm.s > tm.p)) return null;
    scalar = tm
      ? { engine: `DECIMAL(${tm.p},${tm.s})`, sql: `numeric(${tm.p},${tm.s})`, kind: 'plain' }
      : { engine: `DECIMAL(${NUMERIC_WIDTH},${NUMERIC_SCALE})`, sql: 'numeric', kind: 'numeric' };
  }
  if (!scalar) return null;
  if (col.isArray) {
    // Arrays cross as JSON; bytea elements have no JSON spelling the engine reads as BLOB.
    if (scalar.kind === 'bytea' || scalar.kind === 'numeric' || col.typeName === 'interval') return null;
    return { ...base, engineType: `${scalar.engine}[]`, sqlType: `${scalar.sql}[]`, kind: 'array' };
  }
  return { ...base, engineType: scalar.engine, sqlType: scalar.sql, kind: scalar.kind };
}

/** The engine SQL reading bound text `param` as the column's value. */
export function valueSql(col: SubsourceColumn, param: string): string {
  switch (col.kind) {
    case 'bytea':
      // bytea_output = hex: `\x` and two hex digits a byte.
      return `from_hex(substr(CAST(${param} AS VARCHAR), 3))`;
    case 'array':
      return `CAST(CAST(${param} AS JSON) AS ${col.engineType})`;
    default:
      return `CAST(${param} AS ${col.engineType})`;
  }
}

const BC = /^(\d{4,})(-\d\d-\d\d.*) BC$/;

/**
 * The upstream text put in the spelling `valueSql` reads: arrays as JSON, BC dates with a
 * negative (astronomical) year, interval signs the engine's parser takes, numerics checked
 * to fit. Throws 22003 for a value the column cannot hold exactly.
 */
export function prepareText(col: SubsourceColumn, text: string | null): string | null {
  if (text === null) return null;
  switch (col.kind) {
    case 'numeric':
      checkNumeric(col, text);
      return text;
    case 'datetime': {
      const m = BC.exec(text);
      if (!m) return text;
      const year = String(Number(m[1]) - 1).padStart(4, '0');
      return `-${year}${m[2]}`;
    }
    case 'interval':
      return text.replace(/\+(?=\d)/g, '');
    case 'array': {
      const tree = parsePgArrayTree(text);
      if (!tree) throw new SqlError('22P02', `malformed array literal: "${text}"`);
      // PostgreSQL's array types have no fixed dimension; the engine's lists do.
      if (tree.depth > 1)
        throw new SqlError('0A000', `column "${col.name}" holds a ${tree.depth}-dimensional array: ${text}`, {
          hint: 'Subsources store one-dimensional arrays; ingest the column with TEXT COLUMNS.',
        });
      return JSON.stringify(arrayJson(tree.value, col));
    }
    default:
      return text;
  }
}

function arrayJson(v: PgArrayValue, col: SubsourceColumn): unknown[] {
  return (v as unknown[]).map((e) => {
    if (Array.isArray(e)) return arrayJson(e as PgArrayValue, col);
    if (e === null) return null;
    const t = e as string;
    // Numbers and booleans as JSON scalars; everything else as a JSON string.
    if (/^(BOOLEAN)\[/.test(col.engineType)) return t === 't' || t === 'true';
    if (/^(SMALLINT|INTEGER|BIGINT|UINTEGER)\[/.test(col.engineType)) return JSON.parse(t) as number;
    return t;
  });
}

/** An upstream unconstrained numeric must fit numeric(38,10) exactly. */
function checkNumeric(col: SubsourceColumn, text: string): void {
  const m = /^-?(\d*)(?:\.(\d*))?$/.exec(text);
  const outOfRange = (why: string): SqlError =>
    new SqlError('22003', `numeric value ${text} of column "${col.name}" does not fit the subsource: ${why}`, {
      hint: `Ferry stores an unconstrained numeric as numeric(${NUMERIC_WIDTH},${NUMERIC_SCALE}); ingest the column with TEXT COLUMNS, or give it a precision upstream.`,
    });
  if (!m) throw outOfRange('NaN and infinite numerics cannot be stored');
  const intDigits = (m[1] ?? '').replace(/^0+/, '').length;
  const fracDigits = (m[2] ?? '').replace(/0+$/, '').length;
  if (intDigits > NUMERIC_WIDTH - NUMERIC_SCALE)
    throw outOfRange(`more than ${NUMERIC_WIDTH - NUMERIC_SCALE} digits before the decimal point`);
  if (fracDigits > NUMERIC_SCALE) throw outOfRange(`more than ${NUMERIC_SCALE} digits after the decimal point`);
}
