/**
 * CSV export micro-benchmark, in-process (no server, no S3), stage by stage: DuckDB's own
 * CSV writer on the raw columns (the encoding ceiling), the PostgreSQL-text line query
 * alone inside DuckDB, those lines written by DuckDB's writer to a file, and the whole
 * encodeCsv (the same through a named pipe, cut into files by Node) to a local file, on a
 * mixed table and TPC-H lineitem. Prints wall and CPU seconds (user + sys of this process,
 * which includes DuckDB's threads).
 *
 *   node dist/bench/csv-micro.js [--rows 2500000] [--sf 0.25] [--repeat 2]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { csvLinesQuery } from '../src/sink/csv.js';
import { encodeCsv } from '../src/sink/encoders.js';
import type { ExportColumn } from '../src/sink/columns.js';
import type { CopyToOptions } from '../src/sink/options.js';
import type { FileUpload } from '../src/sink/store.js';
import { TPCH_TABLES, tpchCounts, tpchStatements } from '../src/loadgen/tpch.js';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const ROWS = arg('rows', 2_500_000);
const SF = arg('sf', 0.25);
const REPEAT = arg('repeat', 2);

async function columnsOf(conn: DuckDBConnection, query: string): Promise<ExportColumn[]> {
  const r = await conn.runAndReadAll(`SELECT * FROM (${query}) LIMIT 0`);
  const names = r.columnNames();
  return r.columnTypes().map((type, i) => ({ name: names[i]!, type }));
}

function fileUpload(p: string): FileUpload {
  const fd = fs.openSync(p, 'w');
  let bytes = 0;
  return {
    // Synchronous writes, so the measurement is the encoder's. write() and complete() are
    // awaited at once, so a throw there surfaces as a rejection would.
    write(chunk) {
      bytes += chunk.length;
      fs.writeSync(fd, chunk);
      return Promise.resolve();
    },
    complete() {
      fs.closeSync(fd);
      return Promise.resolve({ bytes, sha256: '' });
    },
    abort() {
      // The encoder calls abort() from a synchronous path: a failed close must reject, not throw.
      return new Promise<void>((resolve) => {
        fs.closeSync(fd);
        resolve();
      });
    },
  };
}

async function timed<T>(label: string, f: () => Promise<T>): Promise<T> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const r = await f();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  console.log(`${label.padEnd(44)} wall ${wall.toFixed(2)} s  cpu ${((c.user + c.system) / 1e6).toFixed(2)} s`);
  return r;
}

async function main(): Promise<void> {
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  await conn.run(`CREATE TABLE mixed AS SELECT i::BIGINT AS a, (i % 100000)::INTEGER AS b,
    (hash(i) % 1000000) / 7.0::DOUBLE AS c, 'text-' || (i % 9973)::VARCHAR AS d,
    TIMESTAMP '2020-01-01' + to_microseconds(i * 1000003) AS e, ((hash(i) % 10000000)::BIGINT / 100.0)::DECIMAL(18,2) AS f
    FROM range(${ROWS}) t(i)`);
  for (const s of tpchStatements(
    'main',
    Object.fromEntries(Object.keys(TPCH_TABLES).map((t) => [t, t])),
    tpchCounts(SF),
  ))
    await conn.run(s);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csv-micro-'));
  const options = {
    format: 'csv',
    csv: { header: false, delimiter: ',', quote: '"', escape: '"', null: '' },
    compression: 'none',
    maxFileSize: 1 << 30,
    manifest: false,
  } as unknown as CopyToOptions;
  for (const table of ['mixed', 'lineitem']) {
    const query = `SELECT * FROM ${table}`;
    const columns = await columnsOf(conn, query);
    for (let r = 0; r < REPEAT; r++) {
      await timed(`${table}: DuckDB CSV writer (ceiling)`, () =>
        conn.run(`COPY (${query}) TO '${dir}/duck.csv' (FORMAT csv, HEADER false)`),
      );
      await timed(`${table}: line query in DuckDB only`, () =>
        conn.run(`SELECT sum(strlen(line)) FROM (${csvLinesQuery(query, columns, options.csv)})`),
      );
      await timed(`${table}: lines by DuckDB's writer to a file`, () =>
        conn.run(
          `COPY (${csvLinesQuery(query, columns, options.csv)}) TO '${dir}/lines.csv' (FORMAT csv, HEADER false, QUOTE '', ESCAPE '')`,
        ),
      );
      let bytes = 0;
      await timed(`${table}: encodeCsv to file`, async () => {
        const files = await encodeCsv({
          conn,
          query,
          columns,
          options,
          signal: new AbortController().signal,
          ioDir: os.tmpdir(),
          openFile: (i) => fileUpload(path.join(dir, `ferry_${i}.csv`)),
          progress: () => undefined,
        });
        bytes = files.reduce((n, f) => n + f.bytes, 0);
      });
      console.log(`${table}: ${(bytes / 1e6).toFixed(1)} MB`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
