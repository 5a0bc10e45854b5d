/**
 * One reference measurement in a process of its own, so that its CPU seconds and peak RSS
 * are its own and not the orchestrator's: `node dist/bench/worker.js '<task json>'` prints
 * one JSON line with the result.
 *
 * Tasks:
 *  - encode: DuckDB (@duckdb/node-api, the engine Ferry embeds) opens Ferry's database file
 *    read-only and writes the export's query to a local file — the encoding ceiling. For
 *    Parquet the query is Ferry's own (src/sink/columns.ts parquetSelectList, V1, snappy);
 *    for CSV it is DuckDB's CSV writer.
 *  - csv-lines: diagnosis of Ferry's CSV path without S3: the PostgreSQL-text line query
 *    (src/sink/csv.ts csvLinesQuery) run in DuckDB only (`sum(strlen(line) + 1)`), or
 *    Ferry's whole CSV encoder (src/sink/encoders.ts encodeCsv) with uploads that discard.
 *  - upload: the upload ceiling — a local file sent through the sink's own S3Store (same
 *    part size, parts in flight, client settings) as one multipart object.
 *  - tpch-duckdb: the 22 TPC-H queries (bench/tpch-queries.ts, the texts Ferry's clients
 *    send) on DuckDB in-process over Ferry's database file, read-only: each twice, the
 *    second run counts; one past the timeout is interrupted.
 *  - pg-upload: PostgreSQL's `COPY … TO STDOUT (FORMAT csv)` streamed (postgres.js) into
 *    the same S3Store upload — what users do today without Ferry.
 */
import os from 'node:os';
import { createReadStream, statSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import postgres from 'postgres';
import { createLogger } from '../src/log/index.js';
import { csvLinesQuery } from '../src/sink/csv.js';
import { encodeCsv } from '../src/sink/encoders.js';
import { planCopyToOptions } from '../src/sink/options.js';
import { parquetSelectList, type ExportColumn } from '../src/sink/columns.js';
import { DEFAULT_CSV } from './csvopts.js';
import { S3Store } from '../src/sink/store.js';
import { s3Client, type LocalAws } from './aws.js';
import { cpuSeconds } from './proc.js';
import type { TpchQueryTime } from './tpch.js';
import { TPCH_QUERIES } from './tpch-queries.js';

export type WorkerTask =
  | { kind: 'encode'; db: string; table: string; format: 'parquet' | 'csv'; out: string; threads?: number }
  | { kind: 'csv-lines'; db: string; table: string; encoder: boolean }
  | { kind: 'upload'; file: string; aws: LocalAws; key: string }
  | { kind: 'tpch-duckdb'; db: string; timeoutS: number }
  | {
      kind: 'pg-upload';
      pg: { host: string; port: number; user: string; database: string };
      table: string;
      aws: LocalAws;
      key: string;
    };

export interface WorkerResult {
  wallS: number;
  /** user + sys of this worker process. */
  cpuS: number;
  maxRssMb: number;
  bytes: number;
  rows?: number;
  /** CPU seconds of the PostgreSQL backend that served the COPY (pg-upload). */
  pgBackendCpuS?: number;
  /** tpch-duckdb: each query's warm run. */
  queries?: TpchQueryTime[];
}

async function openDb(db: string, threads?: number) {
  const config: Record<string, string> = { access_mode: 'READ_ONLY' };
  if (threads) config.threads = String(threads);
  const instance = await DuckDBInstance.create(db, config);
  const conn = await instance.connect();
  await conn.run(`SET TimeZone = 'UTC'`);
  return { instance, conn };
}

async function tableRef(conn: Awaited<ReturnType<typeof openDb>>['conn'], table: string): Promise<string> {
  const r = await conn.runAndReadAll(
    `SELECT schema_name FROM duckdb_tables() WHERE table_name = '${table}' AND database_name = current_database()`,
  );
  const schema = r.getRowsJS()[0]?.[0]; // duckdb_tables().schema_name: VARCHAR, never NULL
  if (typeof schema !== 'string') throw new Error(`table ${table} not found`);
  return `"${schema}"."${table}"`;
}

async function columnsOf(conn: Awaited<ReturnType<typeof openDb>>['conn'], query: string): Promise<ExportColumn[]> {
  const stmt = await conn.prepare(query);
  return Array.from({ length: stmt.columnCount }, (_, i) => ({ name: stmt.columnName(i), type: stmt.columnType(i) }));
}

async function run(task: WorkerTask): Promise<Omit<WorkerResult, 'wallS' | 'cpuS' | 'maxRssMb'>> {
  switch (task.kind) {
    case 'encode': {
      const { conn } = await openDb(task.db, task.threads);
      const ref = await tableRef(conn, task.table);
      const query = `SELECT * FROM ${ref}`;
      let sql: string;
      if (task.format === 'parquet') {
        const cols = await columnsOf(conn, query);
        const select = parquetSelectList(
          cols,
          cols.map((_, i) => `c${i}`),
        );
        sql = `COPY (SELECT ${select} FROM (${query}) AS __q(${cols.map((_, i) => `c${i}`).join(', ')})) TO '${task.out}' (FORMAT parquet, PARQUET_VERSION V1, COMPRESSION snappy)`;
      } else {
        sql = `COPY (${query}) TO '${task.out}' (FORMAT csv, HEADER false)`;
      }
      const r = await conn.runAndReadAll(sql);
      return { bytes: statSync(task.out).size, rows: r.rowsChanged };
    }
    case 'csv-lines': {
      const { conn } = await openDb(task.db);
      const ref = await tableRef(conn, task.table);
      const query = `SELECT * FROM ${ref}`;
      const lines = csvLinesQuery(query, await columnsOf(conn, query), DEFAULT_CSV);
      if (!task.encoder) {
        const r = await conn.runAndReadAll(`SELECT count(*)::BIGINT, sum(strlen(line) + 1)::BIGINT FROM (${lines})`);
        const row = r.getRowsJS()[0] ?? [];
        return { rows: Number(row[0]), bytes: Number(row[1]) };
      }
      // Ferry's own CSV encoder (src/sink/encoders.ts encodeCsv: DuckDB's writer into a
      // pipe, cut into files in Node) with uploads that only count the bytes.
      const columns = await columnsOf(conn, query);
      let bytes = 0;
      const files = await encodeCsv({
        conn,
        query,
        columns,
        options: planCopyToOptions([{ name: 'FORMAT', value: { kind: 'ident', text: 'csv' } }], 'file'),
        signal: new AbortController().signal,
        ioDir: os.tmpdir(),
        openFile: () => ({
          write(b) {
            bytes += b.length;
            return Promise.resolve();
          },
          complete() {
            return Promise.resolve({ bytes: 0, sha256: '' });
          },
          async abort() {},
        }),
        progress: () => undefined,
      });
      return { rows: files.reduce((n, f) => n + f.rows, 0), bytes };
    }
    case 'upload': {
      const store = new S3Store({
        client: s3Client(task.aws),
        bucket: task.aws.bucket,
        signal: new AbortController().signal,
        log: createLogger('bench'),
      });
      const up = store.upload(task.key);
      for await (const chunk of createReadStream(task.file, { highWaterMark: 1024 * 1024 }))
        await up.write(chunk as Buffer);
      const done = await up.complete();
      return { bytes: done.bytes };
    }
    case 'tpch-duckdb': {
      const { conn } = await openDb(task.db);
      await conn.run(`SET search_path = 'public'`);
      const queries: TpchQueryTime[] = [];
      for (const q of TPCH_QUERIES) {
        let last: TpchQueryTime = { name: q.name };
        for (let run = 0; run < 2; run++) {
          let timedOut = false;
          const timer = setTimeout(() => {
            timedOut = true;
            conn.interrupt();
          }, task.timeoutS * 1000);
          const t0 = performance.now();
          try {
            const r = await conn.runAndReadAll(q.sql);
            last = { name: q.name, seconds: (performance.now() - t0) / 1000, rows: r.currentRowCount };
          } catch (err) {
            last = { name: q.name, error: timedOut ? `over ${task.timeoutS} s` : (err as Error).message };
            break;
          } finally {
            clearTimeout(timer);
          }
        }
        queries.push(last);
      }
      return { bytes: 0, queries };
    }
    case 'pg-upload': {
      const sql = postgres({ ...task.pg, max: 1, onnotice: () => undefined });
      const store = new S3Store({
        client: s3Client(task.aws),
        bucket: task.aws.bucket,
        signal: new AbortController().signal,
        log: createLogger('bench'),
      });
      try {
        const [{ pid }] = (await sql`SELECT pg_backend_pid() AS pid`) as unknown as [{ pid: number }];
        const before = cpuSeconds(pid);
        const up = store.upload(task.key);
        const stream = await sql.unsafe(`COPY (SELECT * FROM ${task.table}) TO STDOUT (FORMAT csv)`).readable();
        for await (const chunk of stream) await up.write(chunk as Buffer);
        const done = await up.complete();
        return { bytes: done.bytes, pgBackendCpuS: cpuSeconds(pid) - before };
      } finally {
        await sql.end();
      }
    }
  }
}

const task = JSON.parse(process.argv[2] ?? '{}') as WorkerTask;
const t0 = performance.now();
const c0 = process.cpuUsage();
run(task).then(
  (r) => {
    const c = process.cpuUsage(c0);
    const out: WorkerResult = {
      ...r,
      wallS: (performance.now() - t0) / 1000,
      cpuS: (c.user + c.system) / 1e6,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
    };
    process.stdout.write(JSON.stringify(out) + '\n');
    process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`worker ${task.kind} failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
