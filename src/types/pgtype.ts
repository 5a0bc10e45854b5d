/**
 * The PostgreSQL type a DuckDB column is reported as (RowDescription's type OID, typlen and
 * typmod; the name is pg_type.typname, for error messages and `pg_typeof`).
 *
 * OIDs are PostgreSQL's (src/include/catalog/pg_type.dat) except where Materialize adds its
 * own types in `mz_catalog` (Materialize src/pgrepr/src/oid.rs, and its docs pages
 * "Unsigned Integer types" and "map type"): uint2 16460, uint4 16462, uint8 16464, their
 * arrays one above each, `list` 16384 and `map` 16385.
 */
import { DuckDBTypeId, type DuckDBType } from '@duckdb/node-api';
import { isListType, isTimestampType } from './groups.js';

export interface PgType {
  oid: number;
  /** pg_type.typlen: fixed size in bytes, or -1 for variable length. */
  typlen: number;
  /** Type modifier (numeric precision/scale), -1 when none. */
  typmod: number;
  /** pg_type.typname, e.g. `int4`, `_text`, `uint8`. */
  name: string;
}

/** Materialize-assigned OIDs (Materialize src/pgrepr/src/oid.rs). */
export const MZ_OID = {
  list: 16384,
  map: 16385,
  uint2: 16460,
  uint2Array: 16461,
  uint4: 16462,
  uint4Array: 16463,
  uint8: 16464,
  uint8Array: 16465,
} as const;

interface Scalar {
  oid: number;
  typlen: number;
  name: string;
  /** OID of the one-dimensional array of this type (pg_type.typarray). */
  arrayOid: number;
}

const S = {
  bool: { oid: 16, typlen: 1, name: 'bool', arrayOid: 1000 },
  bytea: { oid: 17, typlen: -1, name: 'bytea', arrayOid: 1001 },
  int8: { oid: 20, typlen: 8, name: 'int8', arrayOid: 1016 },
  int2: { oid: 21, typlen: 2, name: 'int2', arrayOid: 1005 },
  int4: { oid: 23, typlen: 4, name: 'int4', arrayOid: 1007 },
  text: { oid: 25, typlen: -1, name: 'text', arrayOid: 1009 },
  float4: { oid: 700, typlen: 4, name: 'float4', arrayOid: 1021 },
  float8: { oid: 701, typlen: 8, name: 'float8', arrayOid: 1022 },
  date: { oid: 1082, typlen: 4, name: 'date', arrayOid: 1182 },
  time: { oid: 1083, typlen: 8, name: 'time', arrayOid: 1183 },
  timestamp: { oid: 1114, typlen: 8, name: 'timestamp', arrayOid: 1115 },
  timestamptz: { oid: 1184, typlen: 8, name: 'timestamptz', arrayOid: 1185 },
  interval: { oid: 1186, typlen: 16, name: 'interval', arrayOid: 1187 },
  timetz: { oid: 1266, typlen: 12, name: 'timetz', arrayOid: 1270 },
  numeric: { oid: 1700, typlen: -1, name: 'numeric', arrayOid: 1231 },
  record: { oid: 2249, typlen: -1, name: 'record', arrayOid: 2287 },
  uuid: { oid: 2950, typlen: 16, name: 'uuid', arrayOid: 2951 },
  jsonb: { oid: 3802, typlen: -1, name: 'jsonb', arrayOid: 3807 },
  uint2: { oid: MZ_OID.uint2, typlen: 2, name: 'uint2', arrayOid: MZ_OID.uint2Array },
  uint4: { oid: MZ_OID.uint4, typlen: 4, name: 'uint4', arrayOid: MZ_OID.uint4Array },
  uint8: { oid: MZ_OID.uint8, typlen: 8, name: 'uint8', arrayOid: MZ_OID.uint8Array },
  map: { oid: MZ_OID.map, typlen: -1, name: 'map', arrayOid: 1009 /* unused: see pgTypeOf */ },
} satisfies Record<string, Scalar>;

/**
 * How the adapter stores PostgreSQL's *unconstrained* `numeric`: DECIMAL(38, 10). Such a
 * column reports typmod -1 (no precision/scale) and prints without trailing zeros
 * (textExpr / formatValue), because the 10 digits of scale are storage, not the user's
 * declaration. A user-declared numeric(38,10) is indistinguishable and behaves the same.
 */
export const UNCONSTRAINED_NUMERIC = { width: 38, scale: 10 } as const;

export function isUnconstrainedNumeric(t: DuckDBType): boolean {
  return (
    t.typeId === DuckDBTypeId.DECIMAL &&
    t.width === UNCONSTRAINED_NUMERIC.width &&
    t.scale === UNCONSTRAINED_NUMERIC.scale
  );
}

/** DuckDB's JSON type is VARCHAR with the alias `JSON`; Ferry reports it as jsonb. */
export function isJson(t: DuckDBType): boolean {
  return t.typeId === DuckDBTypeId.VARCHAR && t.alias?.toUpperCase() === 'JSON';
}

/** numeric typmod as PostgreSQL encodes it: ((precision << 16) | scale) + VARHDRSZ (4). */
export function numericTypmod(precision: number, scale: number): number {
  return ((precision << 16) | scale) + 4;
}

/** The scalar (non-container) PostgreSQL type of a DuckDB type, or null for containers. */
function scalarOf(t: DuckDBType): Scalar | null {
  if (isTimestampType(t)) return S.timestamp;
  if (isListType(t)) return null;
  switch (t.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return S.bool;
    // PostgreSQL has no 1-byte integer; TINYINT and UTINYINT fit int2.
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.SMALLINT:
      return S.int2;
    case DuckDBTypeId.INTEGER:
      return S.int4;
    case DuckDBTypeId.BIGINT:
      return S.int8;
    case DuckDBTypeId.USMALLINT:
      return S.uint2;
    case DuckDBTypeId.UINTEGER:
      return S.uint4;
    case DuckDBTypeId.UBIGINT:
      return S.uint8;
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM:
    case DuckDBTypeId.DECIMAL:
      return S.numeric;
    case DuckDBTypeId.FLOAT:
      return S.float4;
    case DuckDBTypeId.DOUBLE:
      return S.float8;
    case DuckDBTypeId.VARCHAR:
      return isJson(t) ? S.jsonb : S.text;
    case DuckDBTypeId.BLOB:
      return S.bytea;
    case DuckDBTypeId.DATE:
      return S.date;
    case DuckDBTypeId.TIME:
    case DuckDBTypeId.TIME_NS:
      return S.time;
    case DuckDBTypeId.TIME_TZ:
      return S.timetz;
    case DuckDBTypeId.TIMESTAMP_TZ:
      return S.timestamptz;
    case DuckDBTypeId.INTERVAL:
      return S.interval;
    case DuckDBTypeId.UUID:
      return S.uuid;
    case DuckDBTypeId.STRUCT:
      return S.record;
    case DuckDBTypeId.MAP:
      return S.map;
    // ENUM, BIT, UNION, VARIANT, GEOMETRY, SQLNULL and literals: reported as text, printed
    // with DuckDB's own VARCHAR cast.
    default:
      return S.text;
  }
}

/** The PostgreSQL type reported to clients for a DuckDB column type. */
export function pgTypeOf(t: DuckDBType): PgType {
  if (isListType(t)) {
    const elem = scalarOf(t.valueType);
    // Lists of lists print as multi-dimensional `{{1,2},{3}}`; PostgreSQL arrays have one
    // OID for every dimension count, so the element's array OID still applies. Elements
    // without a PostgreSQL array type (nested lists) fall back to text[].
    let inner = elem ?? scalarOf(innermost(t)) ?? S.text;
    // Materialize has no map[] type: a list of maps is reported as text[].
    if (inner === S.map) inner = S.text;
    return { oid: inner.arrayOid, typlen: -1, typmod: -1, name: `_${inner.name}` };
  }
  const s = scalarOf(t) ?? S.text;
  let typmod = -1;
  if (t.typeId === DuckDBTypeId.DECIMAL && !isUnconstrainedNumeric(t)) {
    typmod = numericTypmod(t.width, t.scale);
  }
  return { oid: s.oid, typlen: s.typlen, typmod, name: s.name };
}

function innermost(t: DuckDBType): DuckDBType {
  let cur = t;
  while (isListType(cur)) cur = cur.valueType;
  return cur;
}
