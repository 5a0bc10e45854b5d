/**
 * Output columns of an export: names as written to files (duplicates renamed), the
 * Parquet mapping check (check 8 of docs/exports.md) and the DuckDB expressions that turn
 * each column into what the Parquet table of docs/formats.md prescribes before DuckDB's
 * writer sees it.
 */
import { DuckDBTypeId, type DuckDBType } from '@duckdb/node-api';
import { SqlError, quoteIdent } from '../errors/index.js';
import { isIntegerType, isJson, isListType, isTimestampType, pgTypeOf, textExpr } from '../types/index.js';

export interface ExportColumn {
  name: string;
  type: DuckDBType;
}

/**
 * docs/formats.md "Parquet": a repeated name gets the first free numeric suffix (`a, a, a2,
 * a` → `a, a3, a2, a4`). Suffixes skip every name the query already has, so a later `a2`
 * keeps its name.
 */
export function dedupeColumnNames(names: readonly string[]): string[] {
  const taken = new Set(names);
  const firstSeen = new Set<string>();
  return names.map((n) => {
    if (!firstSeen.has(n)) {
      firstSeen.add(n);
      return n;
    }
    let i = 2;
    while (taken.has(`${n}${i}`)) i++;
    const renamed = `${n}${i}`;
    taken.add(renamed);
    return renamed;
  });
}

/** The SQL type name used in check 8's message (`interval`, `interval[]`, `record`). */
function typeName(t: DuckDBType): string {
  if (isListType(t)) return `${typeName(t.valueType)}[]`;
  return pgTypeOf(t).name;
}

/** Whether the Parquet table of docs/formats.md maps the type (recursively for lists and maps). */
export function hasParquetMapping(t: DuckDBType): boolean {
  if (isIntegerType(t) || isTimestampType(t)) return true;
  if (isListType(t)) return hasParquetMapping(t.valueType);
  switch (t.typeId) {
    case DuckDBTypeId.BOOLEAN:
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
    case DuckDBTypeId.DECIMAL:
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.ENUM:
    case DuckDBTypeId.BLOB:
    case DuckDBTypeId.UUID:
    case DuckDBTypeId.DATE:
    case DuckDBTypeId.TIME:
    case DuckDBTypeId.TIME_NS:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return true;
    case DuckDBTypeId.MAP:
      return hasParquetMapping(t.keyType) && hasParquetMapping(t.valueType);
    // interval, timetz, records (Materialize has no Parquet mapping for them), bit, union…
    default:
      return false;
  }
}

/** Check 8: `Cannot encode the following columns/types: ["<col>: <type>", ...]`. */
export function checkParquetColumns(columns: readonly ExportColumn[]): void {
  const bad = columns
    .filter((c) => !hasParquetMapping(c.type))
    .map((c) => JSON.stringify(`${c.name}: ${typeName(c.type)}`));
  if (bad.length > 0) throw new SqlError('0A000', `Cannot encode the following columns/types: [${bad.join(', ')}]`);
}

/** docs/formats.md: numeric is always DECIMAL(38, s); precision 38 is Parquet's 16-byte maximum. */
export const PARQUET_DECIMAL_PRECISION = 38;

/**
 * The DuckDB expression whose value DuckDB's Parquet writer turns into the
 * physical/logical type of docs/formats.md: narrow integers widened to INT16, every
 * numeric to DECIMAL(38, s), timestamps to microseconds, jsonb to compact text, enums to
 * strings. Values a DECIMAL(38, s) cannot hold fail the export with docs/formats.md's texts
 * via DuckDB's error().
 */
export function parquetExpr(e: string, t: DuckDBType): string {
  switch (t.typeId) {
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.UTINYINT:
      return `CAST(${e} AS SMALLINT)`;
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return decimalGuard(e, 0, `CAST(${e} AS VARCHAR)`);
    case DuckDBTypeId.DECIMAL:
      if (t.width === PARQUET_DECIMAL_PRECISION) return e;
      return `CAST(${e} AS DECIMAL(38, ${t.scale}))`;
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return `CAST(${e} AS TIMESTAMP)`;
    case DuckDBTypeId.TIME_NS:
      return `CAST(${e} AS TIME)`;
    case DuckDBTypeId.ENUM:
      return `CAST(${e} AS VARCHAR)`;
    case DuckDBTypeId.VARCHAR:
      return isJson(t) ? `CAST(${textExpr(e, t)} AS JSON)` : e;
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY: {
      const v = `__p${depth(t)}`;
      const inner = parquetExpr(v, t.valueType);
      if (inner === v && t.typeId === DuckDBTypeId.LIST) return e;
      // Fixed-size ARRAY becomes a plain LIST (docs/formats.md, "Parquet").
      return `list_transform(CAST(${e} AS ${listTypeSql(t.valueType)}[]), lambda ${v}: ${inner})`;
    }
    case DuckDBTypeId.MAP: {
      const kv = `__kv${depth(t)}`;
      const k = parquetExpr(`${kv}.key`, t.keyType);
      const val = parquetExpr(`${kv}.value`, t.valueType);
      if (k === `${kv}.key` && val === `${kv}.value`) return e;
      return `map_from_entries(list_transform(map_entries(${e}), lambda ${kv}: {'key': ${k}, 'value': ${val}}))`;
    }
    default:
      return e;
  }
}

/** DuckDB spelling of a type, for casts (DuckDBType.toString gives SQL type syntax). */
function listTypeSql(t: DuckDBType): string {
  return t.toString();
}

function depth(t: DuckDBType): number {
  let d = 0;
  let cur: DuckDBType = t;
  for (;;) {
    if (isListType(cur)) cur = cur.valueType;
    else if (cur.typeId === DuckDBTypeId.MAP) cur = cur.valueType;
    else return d;
    d++;
  }
}

/**
 * `Decimal value <v> out of range for column with precision 38` (docs/formats.md). Only HUGEINT
 * / UHUGEINT can exceed DECIMAL(38, s) here. The other numeric errors docs/formats.md names
 * (`Cannot represent special numeric value NaN in parquet`, `cannot represent decimal
 * value <v> in column with scale <s>`) cannot arise: DuckDB's DECIMAL holds no NaN or
 * ±Infinity, and a column's values never carry more digits than its declared scale.
 * Should the adapter ever store numeric in another type, guard it here with error().
 */
function decimalGuard(e: string, scale: number, text: string): string {
  const limit = `CAST('1${'0'.repeat(PARQUET_DECIMAL_PRECISION - scale)}' AS HUGEINT)`;
  return (
    `CASE WHEN ${e} >= ${limit} OR ${e} <= -${limit} THEN ` +
    `error('Decimal value ' || ${text} || ' out of range for column with precision ${PARQUET_DECIMAL_PRECISION}') ` +
    `ELSE CAST(${e} AS DECIMAL(38, ${scale})) END`
  );
}

/** The DuckDB select list for the Parquet writer: each column converted, named as written. */
export function parquetSelectList(columns: readonly ExportColumn[], source: readonly string[]): string {
  return columns
    .map((c, i) => `${parquetExpr(quoteIdent(source[i] ?? c.name), c.type)} AS ${quoteIdent(c.name)}`)
    .join(', ');
}
