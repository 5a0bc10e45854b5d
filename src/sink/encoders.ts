/**
 * The two encoders of the upload phase. Each turns the query's rows into a sequence of
 * files handed to `openFile(fileNumber)`, streaming: no file is held whole in memory or on
 * disk (docs/exports.md "What is written", 2).
 *
 * - CSV: DuckDB builds every line (csv.ts) and its CSV writer writes them, verbatim, into a
 *   named pipe; Node cuts that stream into files exactly at MAX FILE SIZE (csv-cutter.ts).
 * - Parquet: DuckDB's own writer with FILE_SIZE_BYTES writes `data_<i>.parquet` into a
 *   private directory of named pipes (FIFOs) that Node creates one ahead of the writer;
 *   each pipe's bytes flow into one upload. DuckDB starts a new file once the bytes
 *   written reach the size, so a file overshoots by at most one row group (docs/exports.md
 *   "File splitting"). Measured alternative: one COPY per file with LIMIT/OFFSET
 *   re-runs the query per file and has no stable row order without ORDER BY.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import { close as closeFd, constants as fsConstants, open as openFd } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { DuckDBConnection } from '@duckdb/node-api';
import { textCell } from '../engine/cells.js';
import { quoteIdent } from '../errors/index.js';
import { sqlString } from '../types/index.js';
import { parquetSelectList, type ExportColumn } from './columns.js';
import { csvHeader, csvLinesQuery } from './csv.js';
import { CsvCutter, type CutPiece } from './csv-cutter.js';
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
  /** The engine's private directory (src/engine ENGINE_IO_DIR), where the named pipes go:
   * the confined engine can write nowhere else. */
  ioDir: string;
  /** Opens file `fileNumber` (0, 1, …) of this batch. */
  openFile(fileNumber: number): FileUpload;
  /** Called as rows and bytes are produced (for progress notices). */
  progress(delta: { rows?: number; bytes?: number; files?: number }): void;
}

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
  const header = Buffer.from(
    o.csv.header
      ? csvHeader(
          ctx.columns.map((c) => c.name),
          o.csv,
        )
      : '',
    'utf8',
  );
  const cutter = new CsvCutter({
    quote: o.csv.quote,
    escape: o.csv.escape,
    maxFileSize: o.maxFileSize,
    headerBytes: header.length,
  });
  const files: WrittenFile[] = [];
  let fileNumber = 0;
  type OpenFile = { up: FileUpload; rows: number };
  let cur = null as OpenFile | null;
  let failure: { error: unknown } | undefined; // the first error, whatever was thrown

  const open = async (): Promise<OpenFile> => {
    const raw = ctx.openFile(fileNumber);
    const up = o.compression === 'gzip' || o.compression === 'zstd' ? compressed(raw, o.compression) : raw;
    cur = { up, rows: 0 };
    if (header.length) {
      await up.write(header);
      ctx.progress({ bytes: header.length });
    }
    return cur;
  };
  const finish = async (f: OpenFile): Promise<void> => {
    const done = await f.up.complete(); // on failure `cur` stays, to be aborted
    cur = null;
    files.push({ fileNumber, rows: f.rows, bytes: done.bytes, sha256: done.sha256 });
    ctx.progress({ files: 1 });
    fileNumber++;
  };
  const apply = async (pieces: CutPiece[]): Promise<void> => {
    for (const p of pieces) {
      if (p.kind === 'cut') {
        if (cur) await finish(cur);
        continue;
      }
      const f = cur ?? (await open());
      await f.up.write(p.bytes);
      f.rows += p.rows;
      ctx.progress({ rows: p.rows, bytes: p.bytes.length });
    }
  };

  // DuckDB writes the lines into a named pipe that Node reads (as encodeParquet does).
  const dir = await fs.mkdtemp(path.join(ctx.ioDir, 'ferry-export-'));
  const fifo = path.join(dir, 'lines.csv');
  const lines = await openFifo(fifo);
  let draining: Promise<net.Socket | null> | undefined;
  let aborting: Promise<void> | undefined;
  const fail = (err: unknown): void => {
    if (failure !== undefined) return;
    failure = { error: err };
    // Stop the writer and never leave it blocked on the pipe: interrupt the query, drop
    // our reader, and read the pipe into nothing until the statement has ended. Abort the
    // open upload now, so that a write waiting on S3 gives up too.
    ctx.conn.interrupt();
    lines.destroy();
    draining = drainFifo(fifo);
    aborting = cur?.up.abort();
  };
  const onAbort = (): void => fail(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onAbort, { once: true });

  const reader = (async () => {
    try {
      for await (const b of lines) {
        if (failure !== undefined) break;
        await apply(cutter.push(b as Buffer));
      }
    } catch (err) {
      fail(err);
    }
  })();
  let count = -1;
  try {
    try {
      const copy =
        `COPY (${csvLinesQuery(ctx.query, ctx.columns, o.csv)}) TO ${sqlString(fifo)} ` +
        `(FORMAT csv, HEADER false, QUOTE '', ESCAPE '', USE_TMP_FILE false, PRESERVE_ORDER false)`;
      // Rows leave in whatever order DuckDB's threads finish them: a COPY TO promises no
      // order (ORDER BY is refused, check 5 of docs/exports.md). Kept in order, the writer holds
      // every batch that is ready before an earlier one, which behind a slow upload grew
      // with the export (+0.4 GB for 230 MB of CSV through a throttled pipe; unordered: a
      // constant 40 MB), hence PRESERVE_ORDER false. Parquet's writer bounds that buffer itself and keeps the order.
      const r = await ctx.conn.runAndReadAll(copy);
      count = Number(r.getRowsJS()[0]?.[0] ?? -1);
    } catch (err) {
      fail(err);
    } finally {
      // Whatever happened, the reader must see the end of the stream.
      await closeFifoWriter(fifo);
    }
    await reader;
    if (failure !== undefined) throw failure.error;
    cutter.end();
    if (count !== cutter.rows)
      throw new Error(`the CSV writer reported ${count} rows but ${cutter.rows} reached the files`);
    // An empty result still writes one file: the header alone, or nothing.
    await finish(cur ?? (await open()));
    return files;
  } catch (err) {
    fail(err);
    await reader;
    await aborting;
    if (cur) await cur.up.abort();
    throw failure?.error;
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    lines.destroy();
    // The statement has ended: nobody writes to the pipe any more.
    (await draining)?.destroy();
    await fs.rm(dir, { recursive: true, force: true });
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

/** A reader of a FIFO that throws its bytes away, so that a writer that opens it or writes
 * to it after our real reader has gone is never blocked; the caller destroys it once the
 * writer is known to be done. */
async function drainFifo(p: string): Promise<net.Socket | null> {
  try {
    const fd = await openFdAsync(p, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
    const sock = new net.Socket({ fd, readable: true, writable: false });
    sock.on('error', () => undefined);
    sock.resume();
    return sock;
  } catch {
    return null; // removed already: nothing to drain
  }
}

/** Opens and closes a FIFO's write end: its readers then see the end of the stream even if
 * the real writer never opened it. Without a reader there is nothing to end. */
async function closeFifoWriter(p: string): Promise<void> {
  try {
    const fd = await openFdAsync(p, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
    await new Promise<void>((resolve) => closeFd(fd, () => resolve()));
  } catch {
    // ENXIO: no reader left; ENOENT: already removed.
  }
}

export async function encodeParquet(ctx: EncodeContext): Promise<WrittenFile[]> {
  const o = ctx.options;
  const dir = await fs.mkdtemp(path.join(ctx.ioDir, 'ferry-export-'));
  const fifo = (i: number): string => path.join(dir, `data_${i}.parquet`);
  const sockets = new Map<number, net.Socket>();
  const pumps = new Map<number, Promise<WrittenFile | null>>();
  const uploads = new Set<FileUpload>();
  const drains: Promise<net.Socket | null>[] = [];
  const starting = new Set<Promise<void>>();
  let closed = false; // the statement is over: nothing may touch the connection any more
  let spareFrom = Infinity; // pumps at or above this index had no writer: ignore them
  let failure: { error: unknown } | undefined; // the first error, whatever was thrown

  const fail = (err: unknown): void => {
    if (failure !== undefined || closed) return;
    failure = { error: err };
    // Stop the writer: interrupt the query and break the pipes it writes to. A pipe the
    // writer is about to open gets a reader that throws bytes away, or the open would block.
    ctx.conn.interrupt();
    for (const [i, s] of sockets) {
      s.destroy();
      drains.push(drainFifo(fifo(i)));
    }
  };

  const start = async (i: number): Promise<void> => {
    const sock = await openFifo(fifo(i));
    if (closed) {
      sock.destroy();
      return;
    }
    sockets.set(i, sock);
    if (failure !== undefined) {
      sock.resume(); // failed meanwhile: only drain it
      return;
    }
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
          if (!closed) starting.add(start(i + 1).catch(fail));
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
    const select = parquetSelectList(
      ctx.columns,
      ctx.columns.map((_, i) => `c${i}`),
    );
    const copy =
      `COPY (SELECT ${select} FROM ${positional(ctx.query, ctx.columns.length)}) TO ${sqlString(dir)} ` +
      `(FORMAT parquet, PARQUET_VERSION V1, COMPRESSION ${duckCompression(o.compression)}, ` +
      `FILE_SIZE_BYTES ${o.maxFileSize}, FILENAME_PATTERN 'data_{i}', OVERWRITE_OR_IGNORE true, RETURN_STATS true)`;
    let stats: { file: string; rows: number }[] = [];
    try {
      const r = await ctx.conn.runAndReadAll(copy);
      stats = r.getRowsJS().map((row) => ({ file: textCell(row[0]), rows: Number(row[1]) })); // filename VARCHAR, count BIGINT
    } catch (err) {
      fail(err);
    }
    if (failure === undefined) {
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
    if (failure !== undefined) throw failure.error;
    ctx.progress({ rows: written.reduce((n, w) => n + w.rows, 0) });
    return written;
  } catch (err) {
    fail(err);
    throw failure?.error ?? err;
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    closed = true;
    await Promise.allSettled([...starting]); // a pipe being opened now is closed by start()
    for (const s of sockets.values()) s.destroy();
    for (const d of drains) (await d)?.destroy();
    await Promise.allSettled([...pumps.values()]);
    await Promise.allSettled([...uploads].map((u) => u.abort()));
    await fs.rm(dir, { recursive: true, force: true });
  }
}
