/**
 * The two encoders of the upload phase. Each turns the query's rows into a sequence of
 * files handed to `openFile(fileNumber)`, streaming: no file is held whole in memory or on
 * disk (copy-to-s3.md "What is written" 2).
 *
 * - CSV: DuckDB builds every line (csv.ts); Node cuts files exactly at MAX FILE SIZE.
 * - Parquet: DuckDB's own writer with FILE_SIZE_BYTES writes `data_<i>.parquet` into a
 *   private directory of named pipes (FIFOs) that Node creates one ahead of the writer;
 *   each pipe's bytes flow into one upload. DuckDB starts a new file once the bytes
 *   written reach the size, so a file overshoots by at most one row group (the spec's
 *   approximate splitting). Measured alternative: one COPY per file with LIMIT/OFFSET
 *   re-runs the query per file and has no stable row order without ORDER BY.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import { constants as fsConstants, open as openFd } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdent } from '../errors/index.js';
import { sqlString } from '../types/index.js';
import { parquetSelectList, type ExportColumn } from './columns.js';
import { csvHeader, csvLinesQuery } from './csv.js';
import type { CopyToOptions } from './options.js';
import type { FileUpload } from './store.js';

const execFileAsync = promisify(execFile);
const openFdAsync = promisify(openFd);

export interface WrittenFile {
  fileNumber: number;
  rows: number;
  bytes: number;
  sha256: string;
}

export interface EncodeContext {
  conn: DuckDBConnection;
  /** DuckDB SQL of the rows to export. */
  query: string;
  /** Output columns, names already de-duplicated. */
  columns: readonly ExportColumn[];
  options: CopyToOptions;
  signal: AbortSignal;
  /** Opens file `fileNumber` (0, 1, …) of this batch. */
  openFile(fileNumber: number): FileUpload;
  /** Called as rows and bytes are produced (for progress notices). */
  progress(delta: { rows?: number; bytes?: number; files?: number }): void;
}

/** Bytes of CSV lines gathered before one write: big enough to amortize, small next to a part. */
const CSV_FLUSH_BYTES = 1024 * 1024;

function positional(query: string, n: number): string {
  return `(${query}) AS __q(${Array.from({ length: n }, (_, i) => quoteIdent(`c${i}`)).join(', ')})`;
}

/** Gzip (and zstd where this Node has it) around an upload; `bytes` are compressed bytes. */
function compressed(inner: FileUpload, kind: 'gzip' | 'zstd'): FileUpload {
  const z =
    kind === 'gzip'
      ? zlib.createGzip()
      : (zlib as unknown as { createZstdCompress?: () => zlib.Gzip }).createZstdCompress?.();
  if (!z) throw new Error('zstd compression needs Node 22.15 or later');
  const pump = (async () => {
    for await (const out of z) await inner.write(out as Buffer);
  })();
  pump.catch(() => undefined);
  return {
    async write(chunk) {
      if (!z.write(chunk)) await Promise.race([once(z, 'drain'), pump]);
    },
    async complete() {
      z.end();
      await pump;
      return inner.complete();
    },
    async abort() {
      z.destroy();
      await inner.abort();
    },
  };
}

export function csvExtension(o: CopyToOptions): string {
  return o.compression === 'gzip' ? 'csv.gz' : o.compression === 'zstd' ? 'csv.zst' : 'csv';
}

export async function encodeCsv(ctx: EncodeContext): Promise<WrittenFile[]> {
  const o = ctx.options;
  const header = o.csv.header ? csvHeader(ctx.columns.map((c) => c.name), o.csv) : '';
  const headerBytes = Buffer.byteLength(header);
  const files: WrittenFile[] = [];
  let fileNumber = 0;
  let cur: { up: FileUpload; rows: number; bytes: number; pending: string[]; pendingBytes: number } | null = null;
  // Pending pieces are whole runs of lines (one joined string per run of a chunk), so the
  // per-line work in JavaScript is one addition and one comparison of DuckDB's byte length.

  const open = (): NonNullable<typeof cur> => {
    const raw = ctx.openFile(fileNumber);
    const up = o.compression === 'gzip' || o.compression === 'zstd' ? compressed(raw, o.compression) : raw;
    const f = { up, rows: 0, bytes: headerBytes, pending: header ? [header] : [], pendingBytes: headerBytes };
    return f;
  };
  const flush = async (f: NonNullable<typeof cur>): Promise<void> => {
    if (f.pending.length === 0) return;
    const buf = Buffer.from(f.pending.join(''), 'utf8');
    f.pending = [];
    f.pendingBytes = 0;
    await f.up.write(buf);
    ctx.progress({ bytes: buf.length });
  };
  const finish = async (f: NonNullable<typeof cur>): Promise<void> => {
    await flush(f);
    const done = await f.up.complete();
    files.push({ fileNumber, rows: f.rows, bytes: done.bytes, sha256: done.sha256 });
    ctx.progress({ files: 1 });
    fileNumber++;
  };

  // DuckDB measures every line's UTF-8 bytes (strlen) along with building it.
  const result = await ctx.conn.stream(`SELECT line, CAST(strlen(line) AS INTEGER) AS n FROM (${csvLinesQuery(ctx.query, ctx.columns, o.csv)})`);
  try {
    for (;;) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const lines = chunk.getColumnValues(0) as string[];
      const lens = chunk.getColumnValues(1) as number[];
      const n = lines.length;
      let from = 0; // first line of the run not yet handed to `cur`
      let runBytes = 0;
      const take = (to: number): void => {
        if (to > from) {
          cur!.pending.push(to - from === n ? lines.join('') : lines.slice(from, to).join(''));
          cur!.pendingBytes += runBytes;
          cur!.bytes += runBytes;
          cur!.rows += to - from;
        }
        from = to;
        runBytes = 0;
      };
      cur ??= open();
      for (let i = 0; i < n; i++) {
        const len = lens[i]!;
        // copy-to-s3.md "File splitting": a file is finished before a row would push it
        // past MAX FILE SIZE; only a file's first row may exceed it alone.
        if ((cur.rows > 0 || i > from) && cur.bytes + runBytes + len > o.maxFileSize) {
          take(i);
          await finish(cur);
          cur = open();
        }
        runBytes += len;
      }
      take(n);
      if (cur.pendingBytes >= CSV_FLUSH_BYTES) await flush(cur);
      ctx.progress({ rows: n });
    }
    // An empty result still writes one file: the header alone, or nothing.
    cur ??= open();
    await finish(cur);
    cur = null;
    return files;
  } catch (err) {
    if (cur) await cur.up.abort();
    throw err;
  }
}

/** DuckDB's Parquet COMPRESSION spelling for ours. */
function duckCompression(c: CopyToOptions['compression']): string {
  return c === 'none' ? 'uncompressed' : c;
}

/** Opens a FIFO's read end without blocking a libuv thread: O_NONBLOCK plus a pipe socket
 * (epoll), which reports EOF only after a writer has come and gone. */
async function openFifo(p: string): Promise<net.Socket> {
  await execFileAsync('mkfifo', ['-m', '600', p]);
  // A raw descriptor, not a FileHandle: the socket owns and closes it.
  const fd = await openFdAsync(p, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  return new net.Socket({ fd, readable: true, writable: false });
}

export async function encodeParquet(ctx: EncodeContext): Promise<WrittenFile[]> {
  const o = ctx.options;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ferry-export-'));
  const fifo = (i: number): string => path.join(dir, `data_${i}.parquet`);
  const sockets = new Map<number, net.Socket>();
  const pumps = new Map<number, Promise<WrittenFile | null>>();
  const uploads = new Set<FileUpload>();
  let spareFrom = Infinity; // pumps at or above this index had no writer: ignore them
  let firstError: unknown;

  const fail = (err: unknown): void => {
    if (firstError !== undefined) return;
    firstError = err;
    // Stop the writer: interrupt the query and break the pipes it writes to.
    ctx.conn.interrupt();
    for (const s of sockets.values()) s.destroy();
  };

  const start = async (i: number): Promise<void> => {
    const sock = await openFifo(fifo(i));
    sockets.set(i, sock);
    const p = pump(i, sock);
    p.catch(() => undefined); // errors are recorded through fail(); awaited below
    pumps.set(i, p);
  };

  const pump = async (i: number, sock: net.Socket): Promise<WrittenFile | null> => {
    let up: FileUpload | null = null;
    try {
      for await (const b of sock) {
        if (!up) {
          up = ctx.openFile(i);
          uploads.add(up);
          // The next pipe must exist before DuckDB closes this file and opens the next.
          start(i + 1).catch(fail);
        }
        try {
          await up.write(b as Buffer);
        } catch (err) {
          // Record the upload's error before the pipe closes: DuckDB's consequential
          // "Broken pipe" must not become the reported cause.
          fail(err);
          throw err;
        }
        ctx.progress({ bytes: (b as Buffer).length });
      }
      if (!up) return null;
      const done = await up.complete();
      uploads.delete(up);
      ctx.progress({ files: 1 });
      return { fileNumber: i, rows: 0, bytes: done.bytes, sha256: done.sha256 };
    } catch (err) {
      if (i >= spareFrom) return null;
      if (up) {
        uploads.delete(up);
        await up.abort();
      }
      fail(err);
      throw err;
    }
  };

  const onAbort = (): void => fail(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await start(0);
    const select = parquetSelectList(ctx.columns, ctx.columns.map((_, i) => `c${i}`));
    const copy =
      `COPY (SELECT ${select} FROM ${positional(ctx.query, ctx.columns.length)}) TO ${sqlString(dir)} ` +
      `(FORMAT parquet, PARQUET_VERSION V1, COMPRESSION ${duckCompression(o.compression)}, ` +
      `FILE_SIZE_BYTES ${o.maxFileSize}, FILENAME_PATTERN 'data_{i}', OVERWRITE_OR_IGNORE true, RETURN_STATS true)`;
    let stats: { file: string; rows: number }[] = [];
    try {
      const r = await ctx.conn.runAndReadAll(copy);
      stats = r.getRowsJS().map((row) => ({ file: String(row[0]), rows: Number(row[1]) }));
    } catch (err) {
      fail(err);
    }
    if (firstError === undefined) {
      // Every file DuckDB wrote must have been one of our pipes, never a regular file.
      for (const e of await fs.readdir(dir, { withFileTypes: true })) {
        if (!e.isFIFO()) fail(new Error(`the Parquet writer created a regular file ${e.name}`));
      }
    }
    spareFrom = stats.length;
    for (const [i, s] of sockets) if (i >= spareFrom) s.destroy();
    const written: WrittenFile[] = [];
    for (let i = 0; i < stats.length; i++) {
      const w = await pumps.get(i)?.catch((e: unknown) => {
        fail(e);
        return null;
      });
      if (w) written.push({ ...w, rows: stats.find((s) => path.basename(s.file) === `data_${i}.parquet`)?.rows ?? 0 });
    }
    if (firstError !== undefined) throw firstError;
    ctx.progress({ rows: written.reduce((n, w) => n + w.rows, 0) });
    return written;
  } catch (err) {
    fail(err);
    throw firstError ?? err;
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    for (const s of sockets.values()) s.destroy();
    await Promise.allSettled([...pumps.values()]);
    await Promise.allSettled([...uploads].map((u) => u.abort()));
    await fs.rm(dir, { recursive: true, force: true });
  }
}
