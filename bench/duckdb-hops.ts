/**
 * `node dist/bench/duckdb-hops.js [threads]`: what one small query costs in @duckdb/node-api
 * alone, without Ferry or a socket, to tell the engine's work from the thread-pool round
 * trips around it. Every async node-api call (prepare, stream, run, fetchChunk,
 * getResult) is one libuv work item; the pending-result calls (start, runTask) run on the
 * calling thread. The query is the text-formatting wrapper Ferry runs for `SELECT 1`.
 */
import { randomFill } from 'node:crypto';
import { DuckDBInstance, DuckDBPendingResultState } from '@duckdb/node-api';

const SAMPLES = 3000;

async function measure(name: string, fn: () => unknown): Promise<void> {
  const lat: number[] = [];
  for (let i = 0; i < SAMPLES + 500; i++) {
    const t0 = performance.now();
    await fn();
    if (i >= 500) lat.push(performance.now() - t0);
  }
  lat.sort((a, b) => a - b);
  const us = (q: number): string => (lat[Math.floor(q * lat.length)]! * 1000).toFixed(1).padStart(7);
  console.log(`${name.padEnd(52)} p50 ${us(0.5)} µs  p99 ${us(0.99)} µs`);
}

async function main(): Promise<void> {
  const threads = process.argv[2];
  const instance = await DuckDBInstance.create(':memory:', threads ? { threads } : {});
  const conn = await instance.connect();
  const ps = await conn.prepare(`SELECT CAST(__q.c0 AS VARCHAR) AS c0 FROM (SELECT 1\n) AS __q(c0)`);
  const buf = Buffer.alloc(8);
  console.log(`DuckDB threads: ${threads ?? 'default'}`);
  await measure('bare libuv round trip (crypto.randomFill)', () => new Promise((r) => randomFill(buf, r)));
  await measure('engine work only: start + runTask until ready (sync)', () => {
    const pending = ps.start();
    while (pending.runTask() !== DuckDBPendingResultState.RESULT_READY);
  });
  await measure('stream() (1 round trip)', () => ps.stream());
  await measure('run(), materialized (1 round trip)', () => ps.run());
  await measure("Ferry's path: stream + fetchChunk x2 (3 round trips)", async () => {
    const r = await ps.stream();
    for (let c = await r.fetchChunk(); c && c.rowCount > 0; c = await r.fetchChunk()) c.getRows();
  });
  conn.closeSync();
  instance.closeSync();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
