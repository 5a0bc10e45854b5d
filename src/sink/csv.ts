/**
 * CSV encoding (docs/formats.md "CSV"), done by DuckDB: one VARCHAR per row holding the whole
 * line, built from each column's PostgreSQL text output (textExpr) and the quoting rules.
 * DuckDB's own CSV writer only writes these lines out, verbatim (QUOTE ''): given the
 * columns themselves it would spell values its own way (`true`, `inf`, `[1, 2]`) and quote
 * by other rules. Node splits the stream of lines into files (csv-cutter.ts).
 */
import { quoteIdent } from '../errors/index.js';
import { sqlString, textExpr } from '../types/index.js';
import { textChars } from '../types/text-sql.js';
import type { DuckDBType } from '@duckdb/node-api';
import type { ExportColumn } from './columns.js';
import type { CsvOptions } from './options.js';

/** A field's text in SQL: NULL → the NULL string; quoted when docs/formats.md says so. */
function fieldSql(t: string, o: CsvOptions, singleColumn: boolean): string {
  const q = sqlString(o.quote);
  const conditions = [
    `contains(${t}, ${sqlString(o.delimiter)})`,
    `contains(${t}, ${q})`,
    `contains(${t}, chr(13))`,
    `contains(${t}, chr(10))`,
    `${t} = ${sqlString(o.null)}`,
  ];
  // PostgreSQL quotes `\.` alone on a line so COPY FROM does not read it as end-of-data.
  if (singleColumn) conditions.push(`${t} = '\\.'`);
  // Inside quotes every quote and escape character is preceded by the escape character.
  const escaped =
    o.escape === o.quote
      ? `replace(${t}, ${q}, ${sqlString(o.quote + o.quote)})`
      : `replace(replace(${t}, ${sqlString(o.escape)}, ${sqlString(o.escape + o.escape)}), ${q}, ${sqlString(o.escape + o.quote)})`;
  return `CASE WHEN ${t} IS NULL THEN ${sqlString(o.null)} WHEN ${conditions.join(' OR ')} THEN ${q} || ${escaped} || ${q} ELSE ${t} END`;
}

/**
 * True when no non-NULL value of `type` can need quoting under `o`: its text (textChars)
 * never contains the delimiter, the quote, CR or LF, is never empty, and can never equal
 * the NULL string (the NULL string is empty or holds a character the text cannot have).
 * `\.` alone needs a backslash, which no such text has. Open-ended types keep the test.
 */
export function neverQuoted(type: DuckDBType, o: CsvOptions): boolean {
  const chars = textChars(type);
  if (chars === null) return false;
  for (const c of [o.delimiter, o.quote, '\r', '\n']) if (chars.includes(c)) return false;
  if (o.null === '') return true;
  return [...o.null].some((c) => !chars.includes(c));
}

/** A field that never needs quoting: its text, or the NULL string. */
function plainFieldSql(t: string, o: CsvOptions): string {
  return `coalesce(${t}, ${sqlString(o.null)})`;
}

/**
 * `SELECT line FROM ...`: the inner projection computes each column's text once (t0, t1,
 * …), the outer one quotes and joins them. `line` has no line terminator: the writer adds
 * `\n` (encoders.ts). The query's columns are renamed positionally (c0, c1, …) so
 * duplicate output names cannot clash.
 */
export function csvLinesQuery(query: string, columns: readonly ExportColumn[], o: CsvOptions): string {
  const cs = columns.map((_, i) => `c${i}`);
  const texts = columns.map((c, i) => `${textExpr(`c${i}`, c.type)} AS t${i}`).join(', ');
  const single = columns.length === 1;
  const line = columns
    .map((c, i) => (neverQuoted(c.type, o) ? plainFieldSql(`t${i}`, o) : fieldSql(`t${i}`, o, single)))
    .join(` || ${sqlString(o.delimiter)} || `);
  const body = columns.length ? line : `''`;
  return `SELECT ${body} AS line FROM (SELECT ${texts || '1 AS __none'} FROM (${query}) AS __q(${cs.map(quoteIdent).join(', ') || '__none'}))`;
}

/** The header line (same quoting as data, never NULL). */
export function csvHeader(names: readonly string[], o: CsvOptions): string {
  const single = names.length === 1;
  return names.map((n) => csvField(n, o, single)).join(o.delimiter) + '\n';
}

/** TypeScript twin of fieldSql, for the header. */
export function csvField(t: string | null, o: CsvOptions, singleColumn: boolean): string {
  if (t === null) return o.null;
  const needs =
    t.includes(o.delimiter) ||
    t.includes(o.quote) ||
    t.includes('\r') ||
    t.includes('\n') ||
    t === o.null ||
    (singleColumn && t === '\\.');
  if (!needs) return t;
  const escaped =
    o.escape === o.quote
      ? t.split(o.quote).join(o.quote + o.quote)
      : t
          .split(o.escape)
          .join(o.escape + o.escape)
          .split(o.quote)
          .join(o.escape + o.quote);
  return o.quote + escaped + o.quote;
}
