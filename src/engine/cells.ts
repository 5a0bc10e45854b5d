/**
 * Cells of DuckDB results read as JS values (getRowsJS, getRowObjectsJS). A VARCHAR cell
 * (TEXT, JSON, UUID and ENUM columns read the same way) is a JS string and SQL NULL is
 * null. These helpers are for columns the query knows to be text: anything else there is a
 * bug of that query, so it fails loudly instead of printing as `[object Object]`.
 */

/** A text cell that cannot be NULL. */
export function textCell(v: unknown): string {
  if (typeof v === 'string') return v;
  throw new TypeError(`expected a text value from DuckDB, got ${v === null ? 'NULL' : typeof v}`);
}

/** A text cell that may be NULL (null; also for a column the row does not have). */
export function textCellOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : textCell(v);
}
