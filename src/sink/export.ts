/**
 * `runExport`: one COPY ... TO export in the three phases of docs/exports.md "What is written".
 *
 * 1. preflight — list `<path>/` (trailing slash), refuse a non-empty path (or, with
 *    OVERWRITE, clear this server's own `mz-*` objects, sentinels last), prove DeleteObject
 *    on a probe key, put the sentinel `mz-<id>-INCOMPLETE`;
 * 2. upload — stream the files `mz-<id>-batch-<BBBB>-<FFFF>.<ext>`;
 * 3. completion — write the manifest (MANIFEST = true), then delete the sentinel, whose
 *    removal is the downstream "export finished" signal.
 *
 * A failure or cancellation after preflight aborts every unfinished upload and leaves the
 * sentinel, so a partial export never looks finished; the error names the path and says
 * how to retry.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { S3Client } from '@aws-sdk/client-s3';
import { textCell } from '../engine/cells.js';
import { engineError } from '../engine/errors.js';
import { SqlError } from '../errors/index.js';
import { createLogger, type Logger } from '../log/index.js';
import { sqlString, textExpr } from '../types/index.js';
import { checkParquetColumns, dedupeColumnNames, type ExportColumn } from './columns.js';
import { csvExtension, encodeCsv, encodeParquet, type EncodeContext, type WrittenFile } from './encoders.js';
import type { CopyToOptions } from './options.js';
import { FileStore, S3Store, StoreError, type ObjectStore, type UploadEvent } from './store.js';
import type { RetryPolicy } from './retry.js';

export type ExportTarget =
  /** `prefix` is the URI path without leading and trailing `/` ('' for the bucket root). */
  | { kind: 's3'; bucket: string; prefix: string; client: S3Client }
  /** An absolute directory of the server's machine (`file:///abs/dir`). */
  | { kind: 'file'; dir: string };

export interface ExportProgress {
  rows: number;
  bytes: number;
  files: number;
}

export interface ExportRequest {
  /** Short unique token, e.g. `t17`; part of every key. */
  exportId: string;
  /**
   * A connection used by this export alone, already inside a transaction so that every
   * statement the export runs (partition values, data) reads one snapshot.
   */
  conn: DuckDBConnection;
  /** DuckDB SQL producing the rows, without ORDER BY (check 5 of docs/exports.md). */
  query: string;
  /**
   * Output columns as the user sees them (names before de-duplication). When omitted they
   * are read from DuckDB by preparing `query`.
   */
  columns?: readonly ExportColumn[];
  options: CopyToOptions;
  target: ExportTarget;
  /** The engine's private directory for the named pipes (Engine.ioDir). */
  ioDir: string;
  /** Cancels the export (pgwire CancelRequest); the export then fails with 57014. */
  signal?: AbortSignal;
  /** Progress, at most once per `progressIntervalMs` and once at the end. */
  onProgress?: (p: ExportProgress) => void;
  progressIntervalMs?: number;
  log?: Logger;
  /** Overrides the S3 retry policy (tests use short delays). */
  retry?: RetryPolicy;
  /**
   * Each multipart upload's start and end (s3 targets). The adapter records open ones so
   * that after a crash (kill -9) the next start can abort them with `abortUploads`.
   */
  onUpload?: (e: UploadEvent) => void;
}

export interface ExportedFile {
  /** Key relative to the bucket (s3) or to the directory (file). */
  key: string;
  rows: number;
  bytes: number;
  sha256: string;
}

export interface ExportResult {
  rows: number;
  bytes: number;
  files: ExportedFile[];
  /** Key of the manifest when MANIFEST = true. */
  manifestKey?: string;
}

export type ExportPhase = 'preflight' | 'upload' | 'completion';

const pad4 = (n: number): string => String(n).padStart(4, '0');

/** Key names of docs/exports.md "What is written". */
export function exportKeys(prefix: string, exportId: string) {
  const base = prefix === '' ? '' : `${prefix}/`;
  return {
    listPrefix: base,
    sentinel: `${base}mz-${exportId}-INCOMPLETE`,
    deleteProbe: `${base}mz-${exportId}-batch-0000-0000.delete_object_test`,
    manifest: `${base}mz-${exportId}-manifest.json`,
    file: (folder: string, batch: number, file: number, ext: string) =>
      `${base}${folder}mz-${exportId}-batch-${pad4(batch)}-${pad4(file)}.${ext}`,
  };
}

function targetUrl(t: ExportTarget): string {
  return t.kind === 's3' ? `s3://${t.bucket}/${t.prefix}` : `file://${t.dir}`;
}

/** An AWS permission failure in preflight: `AccessDenied error when using <Operation>`. */
function preflightError(err: unknown): unknown {
  if (err instanceof StoreError && (err.status === 403 || err.awsName === 'AccessDenied')) {
    return new SqlError('42501', `AccessDenied error when using ${err.operation}`, { detail: err.message, cause: err });
  }
  if (err instanceof StoreError)
    return new SqlError('58030', `error when using ${err.operation}: ${err.message}`, { cause: err });
  return err;
}

/** DuckDB's `<Kind> Error: <message>` → the message, for errors a user caused. */
function duckMessage(err: unknown): string | null {
  if (!(err instanceof Error)) return null;
  const m = /^(?:Invalid Input|Conversion|Out of Range|Binder|Parser|Catalog|Constraint|IO) Error: ([\s\S]*)$/.exec(
    err.message,
  );
  return m?.[1] ?? null;
}

export async function runExport(req: ExportRequest): Promise<ExportResult> {
  const log = req.log ?? createLogger('sink');
  const signal = req.signal ?? new AbortController().signal;
  const o = req.options;
  const t = req.target;
  const url = targetUrl(t);
  const prefix = t.kind === 's3' ? t.prefix : '';
  const keys = exportKeys(prefix, req.exportId);
  const store: ObjectStore =
    t.kind === 's3'
      ? new S3Store({ client: t.client, bucket: t.bucket, signal, log, retry: req.retry, onUpload: req.onUpload })
      : new FileStore(t.dir);

  const columns = await resolveColumns(req);
  if (o.format === 'parquet') checkParquetColumns(columns);
  const partitionCols = o.partitionBy.map((name) => {
    const i = columns.findIndex((c) => c.name === name);
    if (i < 0)
      throw new SqlError('42703', `column "${name}" does not exist`, {
        detail: 'PARTITION BY names an output column of the query.',
      });
    return i;
  });
  if (partitionCols.length > 0 && partitionCols.length === columns.length) {
    throw new SqlError('0A000', 'PARTITION BY every output column not yet supported');
  }

  // --- Phase 1: preflight ---------------------------------------------------------
  log.info('export preflight', { export_id: req.exportId, url });
  try {
    const existing = await store.list(keys.listPrefix);
    if (existing.length > 0) {
      const ours = existing.every((k) => (k.split('/').pop() ?? '').startsWith('mz-'));
      if (!o.overwrite || !ours)
        throw new SqlError('55000', `S3 bucket path is not empty, contains ${existing.length} objects`);
      // OVERWRITE: data files first, sentinels last, so a reader never sees a path without
      // its INCOMPLETE marker while old files are still there.
      const isSentinel = (k: string): boolean => k.endsWith('-INCOMPLETE');
      for (const k of existing.filter((k) => !isSentinel(k))) await store.delete(k);
      for (const k of existing.filter(isSentinel)) await store.delete(k);
    }
    await store.delete(keys.deleteProbe);
    await store.put(keys.sentinel, Buffer.alloc(0));
  } catch (err) {
    if (signal.aborted)
      throw new SqlError('57014', 'canceling statement due to user request', {
        detail: `COPY TO ${url} was canceled before writing.`,
      });
    throw preflightError(err);
  }

  // --- Phase 2: upload ------------------------------------------------------------
  const progress = { rows: 0, bytes: 0, files: 0 };
  let lastReport = 0;
  const report = (force: boolean): void => {
    const now = Date.now();
    if (!req.onProgress || (!force && now - lastReport < (req.progressIntervalMs ?? 1000))) return;
    lastReport = now;
    req.onProgress({ ...progress });
  };
  const files: ExportedFile[] = [];
  const ext = o.format === 'parquet' ? 'parquet' : csvExtension(o);
  try {
    const batches = partitionCols.length
      ? await partitions(req.conn, req.query, columns, partitionCols)
      : [{ folder: '', where: '' }];
    const dataColumns = columns.filter((_, i) => !partitionCols.includes(i));
    for (const [batch, part] of batches.entries()) {
      const query = part.where
        ? `SELECT ${dataColumns.map((c) => `c${columns.indexOf(c)}`).join(', ')} FROM (${req.query}) AS __p(${columns.map((_, i) => `c${i}`).join(', ')}) WHERE ${part.where}`
        : req.query;
      const fileKeys = new Map<number, string>();
      const ctx: EncodeContext = {
        conn: req.conn,
        query,
        columns: dataColumns,
        options: o,
        signal,
        ioDir: req.ioDir,
        openFile: (n) => {
          const key = keys.file(part.folder, batch, n, ext);
          fileKeys.set(n, key);
          return store.upload(key);
        },
        progress: (d) => {
          progress.rows += d.rows ?? 0;
          progress.bytes += d.bytes ?? 0;
          progress.files += d.files ?? 0;
          report(false);
        },
      };
      const written: WrittenFile[] = o.format === 'parquet' ? await encodeParquet(ctx) : await encodeCsv(ctx);
      for (const w of written)
        files.push({ key: fileKeys.get(w.fileNumber) ?? '', rows: w.rows, bytes: w.bytes, sha256: w.sha256 });
    }
    if (signal.aborted) throw signal.reason;
  } catch (err) {
    throw uploadError(err, signal, url, keys.sentinel, store);
  }

  // --- Phase 3: completion --------------------------------------------------------
  const result: ExportResult = {
    rows: files.reduce((n, f) => n + f.rows, 0),
    bytes: files.reduce((n, f) => n + f.bytes, 0),
    files,
  };
  try {
    if (o.manifest) {
      const manifest = {
        export_id: req.exportId,
        format: o.format,
        rows: result.rows,
        bytes: result.bytes,
        files: files.map((f) => ({ key: f.key, rows: f.rows, bytes: f.bytes, sha256: f.sha256 })),
      };
      await store.put(keys.manifest, Buffer.from(JSON.stringify(manifest, null, 1) + '\n'));
      result.manifestKey = keys.manifest;
    }
    await store.delete(keys.sentinel);
  } catch (err) {
    throw uploadError(err, signal, url, keys.sentinel, store);
  }
  progress.rows = result.rows;
  progress.bytes = result.bytes;
  progress.files = files.length;
  report(true);
  log.info('export finished', {
    export_id: req.exportId,
    url,
    rows: result.rows,
    bytes: result.bytes,
    files: files.length,
  });
  return result;
}

/** The user-facing error of a failed upload phase: names the path and how to retry. */
function uploadError(err: unknown, signal: AbortSignal, url: string, sentinel: string, store: ObjectStore): SqlError {
  const hint =
    `The path still holds ${store.url(sentinel)} and possibly some finished files, so it is not empty: ` +
    `retry with a new path, remove the objects under it, or retry with OVERWRITE = true.`;
  if (signal.aborted)
    return new SqlError('57014', 'canceling statement due to user request', {
      detail: `COPY TO ${url} was canceled.`,
      hint,
    });
  if (err instanceof SqlError)
    return new SqlError(err.code, err.message, { detail: err.detail ?? `COPY TO ${url} failed.`, hint, cause: err });
  if (err instanceof StoreError)
    return new SqlError('58030', `COPY TO ${url} failed: ${err.message}`, { hint, cause: err });
  const msg = duckMessage(err);
  if (msg !== null) {
    // The engine's message as a SELECT would report it, without the `LINE n:` excerpt of
    // the sink's internal statement (which names a temporary path); docs/formats.md's
    // numeric texts (raised through error() in columns.ts) keep their spelling.
    const e = engineError(err);
    const own = msg.split(/\n\s*\nLINE \d+:|\nLINE \d+:/)[0]!.trim();
    const text = /^(Decimal value |Cannot represent |cannot represent )/.test(own) ? own : e.message;
    const code = /out of range|cannot represent/i.test(text) ? '22003' : e.code;
    return new SqlError(code, text, { detail: `COPY TO ${url} failed.`, hint, cause: err });
  }
  return new SqlError('XX000', `COPY TO ${url} failed: ${err instanceof Error ? err.message : String(err)}`, {
    hint,
    cause: err,
  });
}

async function resolveColumns(req: ExportRequest): Promise<ExportColumn[]> {
  let cols: ExportColumn[];
  if (req.columns) cols = [...req.columns];
  else {
    const stmt = await req.conn.prepare(req.query);
    cols = Array.from({ length: stmt.columnCount }, (_, i) => ({ name: stmt.columnName(i), type: stmt.columnType(i) }));
  }
  const names = dedupeColumnNames(cols.map((c) => c.name));
  return cols.map((c, i) => ({ name: names[i] ?? c.name, type: c.type }));
}

/** Hive's escaping of partition values: `%XX` for characters unsafe in a path segment. */
function hiveEscape(s: string): string {
  return s.replace(
    // eslint-disable-next-line no-control-regex -- control characters are among those Hive escapes
    /[\x00-\x1f"#%'*/:=?\\\x7f{}[\]^]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'),
  );
}

/**
 * PARTITION BY (Beyond): one batch per distinct value combination, in the same snapshot.
 * Folder `col=<text>/` uses the value's PostgreSQL text; NULL is Hive's
 * `__HIVE_DEFAULT_PARTITION__`. Partition columns are left out of the files (Hive style).
 */
async function partitions(
  conn: DuckDBConnection,
  query: string,
  columns: readonly ExportColumn[],
  idx: readonly number[],
): Promise<{ folder: string; where: string }[]> {
  const alias = `(${query}) AS __p(${columns.map((_, i) => `c${i}`).join(', ')})`;
  const texts = idx.map((i) => `${textExpr(`c${i}`, columns[i]!.type)} AS t${i}`);
  const r = await conn.runAndReadAll(`SELECT DISTINCT ${texts.join(', ')} FROM ${alias} ORDER BY ALL NULLS FIRST`);
  return r.getRowsJS().map((row) => {
    const folder = idx
      .map((ci, j) => {
        const v = row[j];
        return `${hiveEscape(columns[ci]!.name)}=${v === null || v === undefined ? '__HIVE_DEFAULT_PARTITION__' : hiveEscape(textCell(v))}`;
      })
      .join('/');
    const where = idx
      .map((ci, j) => {
        const v = row[j];
        const te = textExpr(`c${ci}`, columns[ci]!.type);
        return v === null || v === undefined ? `(c${ci}) IS NULL` : `(${te}) = ${sqlString(textCell(v))}`;
      })
      .join(' AND ');
    return { folder: `${folder}/`, where };
  });
}
