/**
 * PostgreSQL text values → JSON values for the SQL API's `rows`, the way Materialize's
 * HTTP API renders them: booleans and integer / floating-point numbers become JSON
 * booleans and numbers, `jsonb` is embedded as JSON, and everything else (numeric,
 * dates, intervals, arrays, …) stays a string in PostgreSQL's text format.
 *
 * Rows are serialised by hand rather than through JSON.stringify so that an int8 such as
 * 9007199254740993 keeps every digit: the JSON number is the engine's own text.
 */
import { MZ_OID } from '../types/pgtype.js';

const BOOL = 16;
const INTEGER_OIDS = new Set<number>([20, 21, 23, 26, MZ_OID.uint2, MZ_OID.uint4, MZ_OID.uint8]);
const FLOAT_OIDS = new Set<number>([700, 701]);
const JSON_OIDS = new Set<number>([114, 3802]);

const INTEGER_TEXT = /^-?\d+$/;
const JSON_NUMBER_TEXT = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** One value as JSON text. */
export function jsonValue(text: string | null, typeOid: number): string {
  if (text === null) return 'null';
  if (typeOid === BOOL) {
    if (text === 't' || text === 'true') return 'true';
    if (text === 'f' || text === 'false') return 'false';
  } else if (INTEGER_OIDS.has(typeOid)) {
    // Integers keep their exact digits (JSON has no precision limit; readers may).
    if (INTEGER_TEXT.test(text)) return text.replace(/^(-?)0+(?=\d)/, '$1');
  } else if (FLOAT_OIDS.has(typeOid)) {
    // NaN and ±Infinity have no JSON number: they stay strings.
    if (JSON_NUMBER_TEXT.test(text)) return text;
  } else if (JSON_OIDS.has(typeOid)) {
    // Embedded as the engine printed it (after checking it parses), so big numbers
    // inside a document keep their digits too.
    try {
      JSON.parse(text);
      return text;
    } catch {
      // Not valid JSON text after all: fall through to a string.
    }
  }
  return JSON.stringify(text);
}

/** One row as a JSON array text. */
export function jsonRow(row: (string | null)[], typeOids: number[]): string {
  let out = '[';
  for (let i = 0; i < row.length; i++) {
    if (i > 0) out += ',';
    out += jsonValue(row[i] ?? null, typeOids[i] ?? 25);
  }
  return out + ']';
}
