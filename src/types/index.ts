/**
 * Types: how a DuckDB column is presented as PostgreSQL. `pgTypeOf` gives the type OID,
 * typlen and typmod reported in RowDescription; `textExpr` (SQL, vectorized in DuckDB) and
 * `formatValue` (TypeScript) give a value's PostgreSQL text output, shared by the wire
 * protocol's text format and the CSV export (docs/formats.md "CSV").
 *
 * This layer does not parse input text, encode binary format, or know about sessions:
 * parsing belongs to the SQL layer and binary encoding to src/wire.
 */
export { pgTypeOf, isJson, isUnconstrainedNumeric, numericTypmod, MZ_OID, UNCONSTRAINED_NUMERIC } from './pgtype.js';
export type { PgType } from './pgtype.js';
export { isIntegerType, isListType, isTimestampType, isUnsignedIntegerType } from './groups.js';
export { textExpr, sqlString, FLOAT4_DIG, FLOAT8_DIG } from './text-sql.js';
export { formatValue, formatFloat, formatInterval } from './text-js.js';
// Imported directly as types/calendar.js by the wire layer, which needs no DuckDB.
export { civilFromDays, daysFromCivil } from './calendar.js';
