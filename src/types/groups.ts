/**
 * Named groups of DuckDB types that several of the per-type switches treat alike (the
 * PostgreSQL type, both text outputs, the Parquet mapping). Each group is defined here
 * once, so a DuckDB type added to it reaches every one of those places together.
 */
import { DuckDBTypeId, type DuckDBArrayType, type DuckDBListType, type DuckDBType } from '@duckdb/node-api';

const SIGNED_INTEGERS: ReadonlySet<DuckDBTypeId> = new Set([
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.HUGEINT,
]);

const UNSIGNED_INTEGERS: ReadonlySet<DuckDBTypeId> = new Set([
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.UHUGEINT,
]);

const TIMESTAMPS: ReadonlySet<DuckDBTypeId> = new Set([
  DuckDBTypeId.TIMESTAMP,
  DuckDBTypeId.TIMESTAMP_S,
  DuckDBTypeId.TIMESTAMP_MS,
  DuckDBTypeId.TIMESTAMP_NS,
]);

/** The fixed-width integers, signed and unsigned, 1 to 16 bytes. Not BIGNUM (DuckDB's
 * arbitrary-precision integer), which no switch treats as one of them. */
export function isIntegerType(t: DuckDBType): boolean {
  return SIGNED_INTEGERS.has(t.typeId) || UNSIGNED_INTEGERS.has(t.typeId);
}

/** UTINYINT to UHUGEINT: their text never has a sign. */
export function isUnsignedIntegerType(t: DuckDBType): boolean {
  return UNSIGNED_INTEGERS.has(t.typeId);
}

/** TIMESTAMP at any precision (s, ms, µs, ns), without time zone: all PostgreSQL `timestamp`. */
export function isTimestampType(t: DuckDBType): boolean {
  return TIMESTAMPS.has(t.typeId);
}

/** LIST or fixed-size ARRAY: both are PostgreSQL arrays (`valueType` is the element). */
export function isListType(t: DuckDBType): t is DuckDBListType | DuckDBArrayType {
  return t.typeId === DuckDBTypeId.LIST || t.typeId === DuckDBTypeId.ARRAY;
}
