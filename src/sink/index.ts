/**
 * The export sink: runs one `COPY ... TO 's3://…' | 'file://…'` whose options and target
 * the SQL layer already planned, in the three phases of docs/exports.md "What is written"
 * (preflight, upload, completion), encoding CSV and Parquet inside DuckDB and streaming the
 * bytes into S3 multipart uploads (or local files) with bounded memory, retries and clean
 * aborts.
 *
 * Does: option planning for COPY TO (checks 1, 2, 3, 7, 10 of docs/exports.md), the
 * Parquet column check (8), key naming, sentinel, splitting, multipart, retries,
 * cancellation, MANIFEST, PARTITION BY, OVERWRITE, file:// targets.
 * Does not: parse SQL, evaluate the target expression, resolve or authorize the AWS
 * connection (it receives a ready S3Client), check privileges, or record history rows —
 * the adapter does those with the result this layer returns. It never imports src/wire
 * or src/sql.
 */
export {
  planCopyToOptions,
  planCopyToOptionsStaged,
  parseByteSize,
  DEFAULT_MAX_FILE_SIZE,
  MIN_MAX_FILE_SIZE,
  MAX_MAX_FILE_SIZE,
} from './options.js';
export type { RawCopyOption, CopyToOptions, CsvOptions, CopyFormat, Compression, TargetKind } from './options.js';
export { checkParquetColumns, dedupeColumnNames, hasParquetMapping, type ExportColumn } from './columns.js';
export { runExport, exportKeys } from './export.js';
export type { ExportRequest, ExportResult, ExportedFile, ExportProgress, ExportTarget, ExportPhase } from './export.js';
export { csvHeader, csvField, csvLinesQuery } from './csv.js';
export { abortUploads, type UploadEvent } from './store.js';
export { withRetry, isRetryable, DEFAULT_RETRY, type RetryPolicy } from './retry.js';
export * from './limits.js';
