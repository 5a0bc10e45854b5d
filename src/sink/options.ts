/**
 * COPY ... TO option planning: raw `WITH (...)` options as the SQL layer parsed them →
 * typed `CopyToOptions`, raising checks 1, 2, 3, 7 and 10 of docs/exports.md (in that order)
 * with their exact texts. Pure: no I/O, no clock, no catalog — the AWS CONNECTION name is
 * passed through for the SQL layer to resolve (check 6). Check 8 (Parquet column mapping)
 * is `checkParquetColumns` in columns.ts, since it needs the query's output columns.
 */
import zlib from 'node:zlib';
import { SqlError } from '../errors/index.js';

/** One option as parsed: upper-cased words joined by one space (`MAX FILE SIZE`). */
export interface RawCopyOption {
  name: string;
  /** `none` is a bare option (`HEADER`); `ident` an unquoted word; `string` a literal. */
  value: { kind: 'string' | 'number' | 'ident' | 'bool' | 'none'; text: string };
}

export type CopyFormat = 'csv' | 'parquet';
export type Compression = 'none' | 'snappy' | 'zstd' | 'gzip';

export interface CsvOptions {
  /** HEADER: a header line of column names at the top of every file. */
  header: boolean;
  /** One byte each (check 7). */
  delimiter: string;
  quote: string;
  /** Defaults to the quote character. */
  escape: string;
  /** Text written for NULL; default empty. */
  null: string;
}

export interface CopyToOptions {
  format: CopyFormat;
  /** Bytes; 16 MiB ≤ x ≤ 4 GiB (check 10). */
  maxFileSize: number;
  /** AWS CONNECTION name exactly as written, or null; the SQL layer resolves it. */
  awsConnection: string | null;
  csv: CsvOptions;
  /**
   * Beyond: parquet snappy (default) / zstd / gzip / none, applied inside the Parquet
   * file; csv none (default) / gzip / zstd, applied to the whole file (keys then end in
   * `.csv.gz` / `.csv.zst`, and MAX FILE SIZE bounds the uncompressed bytes).
   */
  compression: Compression;
  /** Beyond: MANIFEST = true writes `mz-<id>-manifest.json` before the sentinel is removed. */
  manifest: boolean;
  /**
   * Beyond: PARTITION BY (a, b) → Hive-style `a=<v>/b=<v>/` folders. The SQL layer may
   * pass the column list as one `string` value holding a comma list (`'a, b'`) or as an
   * `ident` for a single column; names are case-sensitive as written (unquoted, trimmed).
   */
  partitionBy: string[];
  /** Beyond: OVERWRITE = true removes this server's own `mz-*` objects under the path first. */
  overwrite: boolean;
}

export type TargetKind = 's3' | 'file';

const MiB = 1024 * 1024;
/** docs/exports.md "Options": MAX FILE SIZE default 256MB, bounds 16MB ≤ x ≤ 4GB inclusive (1024-based). */
export const DEFAULT_MAX_FILE_SIZE = 256 * MiB;
export const MIN_MAX_FILE_SIZE = 16 * MiB;
export const MAX_MAX_FILE_SIZE = 4 * 1024 * MiB;

const KNOWN = [
  'AWS CONNECTION',
  'FORMAT',
  'MAX FILE SIZE',
  'HEADER',
  'DELIMITER',
  'QUOTE',
  'ESCAPE',
  'NULL',
  'COMPRESSION',
  'MANIFEST',
  'PARTITION BY',
  'OVERWRITE',
] as const;
type Known = (typeof KNOWN)[number];
const CSV_ONLY: Known[] = ['HEADER', 'DELIMITER', 'QUOTE', 'ESCAPE', 'NULL'];

function invalid(option: string, reason: string): SqlError {
  return new SqlError('22023', `invalid ${option}: ${reason}`);
}

/** PostgreSQL's boolean input spellings (parse_bool): t/true/yes/on/1 and their negations. */
function parseBool(option: string, v: RawCopyOption['value']): boolean {
  if (v.kind === 'none') return true; // bare `HEADER` means true
  const t = v.text.trim().toLowerCase();
  if (['t', 'true', 'yes', 'on', '1'].includes(t)) return true;
  if (['f', 'false', 'no', 'off', '0'].includes(t)) return false;
  throw invalid(option, `cannot use "${v.text}" as a boolean`);
}

function parseText(option: string, v: RawCopyOption['value']): string {
  if (v.kind === 'none') throw invalid(option, 'a value is required');
  return v.text;
}

const UNITS: Record<string, number> = { B: 1, kB: 1024, MB: MiB, GB: 1024 * MiB, TB: 1024 * 1024 * MiB };

/**
 * MAX FILE SIZE: a number of bytes, or a string `<n>[ ]<unit>` with unit B, kB, MB, GB or
 * TB (1024-based, case-sensitive, as Materialize's byte sizes). A bare number string is
 * bytes. Fractions are allowed (`'1.5 GB'`) and floored to whole bytes.
 */
export function parseByteSize(option: string, v: RawCopyOption['value']): number {
  if (v.kind === 'none' || v.kind === 'bool')
    throw invalid(option, "expected a number of bytes or a size such as '256MB'");
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(v.text);
  if (!m) throw invalid(option, `cannot parse "${v.text}" as a byte size`);
  const unit = m[2] ?? '';
  const mult = unit === '' ? 1 : UNITS[unit];
  if (mult === undefined) {
    throw invalid(option, `unknown unit "${unit}" in "${v.text}" (expected B, kB, MB, GB or TB)`);
  }
  const bytes = Math.floor(Number(m[1]) * mult);
  if (!Number.isSafeInteger(bytes)) throw invalid(option, `"${v.text}" is too large`);
  return bytes;
}

/** Splits a PARTITION BY list: `'a, b'` → [a, b]; parentheses around it are tolerated. */
function parsePartitionBy(v: RawCopyOption['value']): string[] {
  if (v.kind !== 'string' && v.kind !== 'ident') throw invalid('PARTITION BY', 'expected a list of column names');
  const inner = v.text.trim().replace(/^\((.*)\)$/s, '$1');
  const cols = inner.split(',').map((c) => c.trim());
  if (cols.some((c) => c === '')) throw invalid('PARTITION BY', `cannot parse "${v.text}" as a list of column names`);
  return cols;
}

/**
 * Plans the WITH options of `COPY ... TO <target>`; throws the exact errors of
 * docs/exports.md "Checks before anything touches storage" 1, 2, 3, 7 and 10, in order.
 */
export function planCopyToOptions(raw: readonly RawCopyOption[], target: TargetKind): CopyToOptions {
  const { options, check7, check10 } = planCopyToOptionsStaged(raw, target);
  if (check7) throw check7;
  if (check10) throw check10;
  return options;
}

/**
 * The same, for a caller that runs checks of its own between them (docs/exports.md puts 4-6
 * before 7 and 8-9 before 10): errors of checks 1-3 are thrown; those of 7 and 10 are
 * returned, with the options planned as if the values they judged were not given.
 */
export function planCopyToOptionsStaged(
  raw: readonly RawCopyOption[],
  target: TargetKind,
): { options: CopyToOptions; check7: SqlError | null; check10: SqlError | null } {
  // Check 1: duplicates, then each value's conversion, in the order written.
  const seen = new Map<Known, RawCopyOption['value']>();
  for (const o of raw) {
    const name = o.name as Known;
    if (!KNOWN.includes(name)) throw new SqlError('42601', `unrecognized COPY option: ${o.name}`);
    if (seen.has(name)) throw new SqlError('42601', `${o.name} specified more than once`);
    seen.set(name, o.value);
  }

  let formatText: string | null = null;
  let maxFileSize = DEFAULT_MAX_FILE_SIZE;
  let awsConnection: string | null = null;
  const csv: CsvOptions = { header: false, delimiter: ',', quote: '"', escape: '"', null: '' };
  let escapeGiven = false;
  let compressionText: string | null = null;
  let manifest = false;
  let partitionBy: string[] = [];
  let overwrite = false;

  for (const [name, v] of seen) {
    switch (name) {
      case 'AWS CONNECTION':
        awsConnection = parseText(name, v);
        break;
      case 'FORMAT':
        if (v.kind !== 'string' && v.kind !== 'ident') throw invalid(name, `expected 'csv' or 'parquet'`);
        formatText = v.text;
        break;
      case 'MAX FILE SIZE':
        maxFileSize = parseByteSize(name, v);
        break;
      case 'HEADER':
        csv.header = parseBool(name, v);
        break;
      case 'DELIMITER':
        csv.delimiter = parseText(name, v);
        break;
      case 'QUOTE':
        csv.quote = parseText(name, v);
        break;
      case 'ESCAPE':
        csv.escape = parseText(name, v);
        escapeGiven = true;
        break;
      case 'NULL':
        if (v.kind !== 'string') throw invalid(name, 'expected a string');
        csv.null = v.text;
        break;
      case 'COMPRESSION':
        if (v.kind !== 'string' && v.kind !== 'ident') throw invalid(name, 'expected a compression name');
        compressionText = v.text.toLowerCase();
        break;
      case 'MANIFEST':
        manifest = parseBool(name, v);
        break;
      case 'PARTITION BY':
        partitionBy = parsePartitionBy(v);
        break;
      case 'OVERWRITE':
        overwrite = parseBool(name, v);
        break;
    }
  }

  // Check 2: the format's value.
  let format: CopyFormat | null = null;
  if (formatText !== null) {
    const f = formatText.toLowerCase();
    if (f === 'csv' || f === 'parquet') format = f;
    else if (f === 'text') throw new SqlError('0A000', 'FORMAT TEXT not yet supported');
    else if (f === 'binary') throw new SqlError('0A000', 'FORMAT BINARY not yet supported');
    else throw new SqlError('22023', `unknown FORMAT: ${formatText}`);
  }
  // Check 3: FORMAT is required.
  if (format === null) throw new SqlError('42601', 'COPY TO <expr> requires a FORMAT option');

  if (format === 'parquet') {
    for (const n of CSV_ONLY) {
      if (seen.has(n)) throw new SqlError('0A000', `${n} is only supported with FORMAT CSV`);
    }
  }
  // Check 7: one-byte CSV characters (PostgreSQL's ProcessCopyOptions texts).
  if (!escapeGiven) csv.escape = csv.quote;
  const check7 = format === 'csv' ? csvCharsError(csv) : null;
  if (check7) Object.assign(csv, { delimiter: ',', quote: '"', escape: '"' });

  const compression = planCompression(format, compressionText);

  // Check 10: MAX FILE SIZE bounds.
  let check10: SqlError | null = null;
  if (maxFileSize < MIN_MAX_FILE_SIZE) check10 = new SqlError('22023', 'MAX FILE SIZE cannot be less than 16MB');
  if (maxFileSize > MAX_MAX_FILE_SIZE) check10 = new SqlError('22023', 'MAX FILE SIZE cannot be greater than 4GB');
  if (check10) maxFileSize = DEFAULT_MAX_FILE_SIZE;

  void target; // both targets take the same options; AWS CONNECTION rules are check 6 (SQL layer)
  return {
    options: { format, maxFileSize, awsConnection, csv, compression, manifest, partitionBy, overwrite },
    check7,
    check10,
  };
}

/** The first error of check 7 for these CSV characters, or null. */
function csvCharsError(csv: CsvOptions): SqlError | null {
  for (const [what, s] of [
    ['delimiter', csv.delimiter],
    ['quote', csv.quote],
    ['escape', csv.escape],
  ] as const) {
    if (Buffer.byteLength(s, 'utf8') !== 1)
      return new SqlError('0A000', `COPY ${what} must be a single one-byte character`);
  }
  if (csv.delimiter === csv.quote) return new SqlError('22023', 'COPY delimiter and quote must be different');
  // PostgreSQL's texts for the delimiter and the NULL string; Ferry also refuses a quote or
  // escape character that is a line break, which would make line ends ambiguous.
  const lineBreak = (s: string): boolean => s.includes('\n') || s.includes('\r');
  if (lineBreak(csv.delimiter)) return new SqlError('22023', 'COPY delimiter cannot be newline or carriage return');
  if (lineBreak(csv.quote)) return new SqlError('22023', 'COPY quote cannot be newline or carriage return');
  if (lineBreak(csv.escape)) return new SqlError('22023', 'COPY escape cannot be newline or carriage return');
  if (lineBreak(csv.null))
    return new SqlError('22023', 'COPY null representation cannot use newline or carriage return');
  return null;
}

/** Whether this Node has a streaming zstd compressor (added in Node 22.15; Ferry runs on 20). */
export const NODE_HAS_ZSTD =
  typeof (zlib as unknown as { createZstdCompress?: unknown }).createZstdCompress === 'function';

function planCompression(format: CopyFormat, text: string | null): Compression {
  if (text === null) return format === 'parquet' ? 'snappy' : 'none';
  const t = text === 'uncompressed' ? 'none' : text;
  const allowed: Compression[] = format === 'parquet' ? ['snappy', 'zstd', 'gzip', 'none'] : ['none', 'gzip', 'zstd'];
  if (!(allowed as string[]).includes(t)) {
    throw invalid(
      'COMPRESSION',
      `${text} is not supported for FORMAT ${format.toUpperCase()} (expected ${allowed.join(', ')})`,
    );
  }
  // Parquet's zstd is DuckDB's; whole-file zstd for CSV needs Node's compressor. Refuse at
  // planning rather than after the sentinel is written.
  if (format === 'csv' && t === 'zstd' && !NODE_HAS_ZSTD)
    throw new SqlError('0A000', 'COMPRESSION zstd for FORMAT CSV not yet supported');
  return t as Compression;
}
