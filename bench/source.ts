/**
 * `node dist/bench/source.js [--sf S] …` (also a section of `npm run bench`): a PostgreSQL
 * source measured against PostgreSQL itself, on one machine.
 *
 *  - Snapshot: TPC-H `lineitem` at SF S in a throw-away PostgreSQL 15, taken into Ferry by
 *    CREATE SOURCE (which returns once the snapshot is committed), against the floor of
 *    PostgreSQL's own `COPY lineitem TO STDOUT` read to the end by a client; with Ferry's
 *    peak RSS while it snapshots.
 *  - Stream: single-row transactions and 1,000-row transactions committed upstream one
 *    after another; changes per second applied, and the lag from each upstream commit
 *    (as the committing client saw it return) to the moment the row is visible in Ferry
 *    (polled every 5 ms), p50 and p99.
 *
 * The lineitem rows come from Ferry's own TPCH load generator (COPY … TO STDOUT from Ferry
 * piped into PostgreSQL's COPY … FROM STDIN). Nothing here fails on a time.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import postgres from 'postgres';
import { TPCH_TABLES } from '../src/loadgen/tpch.js';
import { type FerryProcess, PROJECT_ROOT, startFerry } from '../test/support/ferry.js';
import { numberFlag, readFlags } from './flags.js';
import { type Postgres, startPostgres } from './postgres.js';
import { RssSampler, machineInfo } from './proc.js';

export interface SourceBenchResult {
  sf: number;
  rows: number;
  /** PostgreSQL's COPY lineitem TO STDOUT, read to the end. */
  copyOutSeconds: number;
  /** CREATE SOURCE until the snapshot is committed. */
  snapshotSeconds: number;
  snapshotPeakRssMb: number;
  stream: { kind: string; transactions: number; changes: number; seconds: number; p50Ms: number; p99Ms: number }[];
}

export interface SourceBenchOptions {
  sf: number;
  pgPort: number;
  singleTxns: number;
  bulkTxns: number;
  log: (msg: string) => void;
}

const USAGE = `usage: node dist/bench/source.js [options]
  --sf S            TPC-H scale factor of lineitem (default 1)
  --pg-port N       the throw-away PostgreSQL's port (default 7496)
  --single N        single-row transactions in the stream measurement (default 2000)
  --bulk N          1,000-row transactions in the stream measurement (default 50)
  --out DIR         where source-latest.{md,json} go (default bench/results)`;

const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};

async function loadLineitem(ferry: FerryProcess, up: Postgres, sf: number, log: (m: string) => void): Promise<number> {
  const f = new pg.Client(ferry.pgConfig());
  await f.connect();
  try {
    log(`generating TPC-H SF ${sf} in Ferry`);
    await f.query(`CREATE SOURCE gen FROM LOAD GENERATOR TPCH (SCALE FACTOR ${sf}) FOR ALL TABLES`);
  } finally {
    await f.end();
  }
  const cols = TPCH_TABLES.lineitem!;
  const dst = postgres({ ...up.config, max: 1, onnotice: () => undefined });
  const src = postgres({ ...ferry.pgConfig(), max: 1, onnotice: () => undefined });
  try {
    await dst.unsafe(`CREATE TABLE lineitem (${cols.map(([n, t]) => `${n} ${t} NOT NULL`).join(', ')})`);
    await dst.unsafe(`ALTER TABLE lineitem REPLICA IDENTITY FULL`);
    log('copying lineitem into PostgreSQL');
    const readable = await src.unsafe(`COPY lineitem TO STDOUT`).readable();
    const writable = await dst.unsafe(`COPY lineitem FROM STDIN`).writable();
    await pipeline(readable, writable);
    await dst.unsafe(`CREATE TABLE events (id bigint NOT NULL, payload text)`);
    await dst.unsafe(`ALTER TABLE events REPLICA IDENTITY FULL`);
    await dst.unsafe(`CREATE PUBLICATION bench FOR TABLE lineitem, events`);
    await dst.unsafe('CHECKPOINT');
    const n = await dst.unsafe(`SELECT count(*)::int AS n FROM lineitem`);
    return Number((n[0] as unknown as { n: number }).n);
  } finally {
    await src.end();
    await dst.end();
  }
}

async function copyOutSeconds(up: Postgres): Promise<number> {
  const sql = postgres({ ...up.config, max: 1, onnotice: () => undefined });
  try {
    const t0 = performance.now();
    const readable = await sql.unsafe(`COPY lineitem TO STDOUT`).readable();
    for await (const chunk of readable) void chunk;
    return (performance.now() - t0) / 1000;
  } finally {
    await sql.end();
  }
}

/** Commits `txns` upstream transactions of `rowsEach` rows and times each one's arrival in Ferry. */
async function streamRun(
  up: Postgres,
  c: pg.Client,
  kind: string,
  txns: number,
  rowsEach: number,
  firstId: number,
): Promise<SourceBenchResult['stream'][number]> {
  const w = new pg.Client(up.config);
  await w.connect();
  const committedAt = new Map<number, number>();
  const lags: number[] = [];
  let done = false;
  let lastSeen = firstId - 1;
  const lastId = firstId + txns * rowsEach - 1;
  const t0 = performance.now();
  const poller = (async () => {
    while (!done) {
      const r = await c.query<{ m: string | null }>(`SELECT max(id)::text AS m FROM events`);
      const now = performance.now();
      const m = r.rows[0]?.m === null || r.rows[0]?.m === undefined ? firstId - 1 : Number(r.rows[0].m);
      // Every transaction whose last id is now visible arrived by this poll.
      for (let id = lastSeen + 1; id <= m; id++) {
        const at = committedAt.get(id);
        if (at !== undefined) lags.push(now - at);
      }
      if (m > lastSeen) lastSeen = m;
      if (lastSeen >= lastId) done = true;
      else await new Promise((res) => setTimeout(res, 5));
    }
  })();
  for (let i = 0; i < txns; i++) {
    const start = firstId + i * rowsEach;
    const end = start + rowsEach - 1;
    await w.query(`INSERT INTO events SELECT g, md5(g::text) FROM generate_series(${start}, ${end}) g`);
    committedAt.set(end, performance.now());
  }
  await poller;
  const seconds = (performance.now() - t0) / 1000;
  await w.end();
  return {
    kind,
    transactions: txns,
    changes: txns * rowsEach,
    seconds,
    p50Ms: percentile(lags, 50),
    p99Ms: percentile(lags, 99),
  };
}

export async function sourceBench(opts: SourceBenchOptions): Promise<SourceBenchResult> {
  const up = startPostgres(opts.pgPort, {
    settings: { wal_level: 'logical', max_wal_senders: '4', max_replication_slots: '4' },
  });
  const ferry = await startFerry();
  try {
    const rows = await loadLineitem(ferry, up, opts.sf, opts.log);
    opts.log(`lineitem: ${rows} rows; PostgreSQL COPY TO STDOUT`);
    const copyOut = await copyOutSeconds(up);
    const c = new pg.Client(ferry.pgConfig());
    await c.connect();
    await c.query(`DROP SOURCE gen`);
    await c.query(
      `CREATE CONNECTION up TO POSTGRES (HOST '127.0.0.1', PORT ${up.port}, USER 'postgres', DATABASE 'postgres')`,
    );
    opts.log('CREATE SOURCE (snapshot)');
    const rss = new RssSampler(ferry.proc.pid!);
    rss.start();
    const t0 = performance.now();
    await c.query(`CREATE SOURCE bench FROM POSTGRES CONNECTION up (PUBLICATION 'bench') FOR ALL TABLES`);
    const snapshotSeconds = (performance.now() - t0) / 1000;
    const peak = rss.stop();
    opts.log(`snapshot ${snapshotSeconds.toFixed(1)} s; streaming`);
    const stream = [
      await streamRun(up, c, 'single-row transactions', opts.singleTxns, 1, 1),
      await streamRun(up, c, '1,000-row transactions', opts.bulkTxns, 1000, 10_000_000),
    ];
    await c.query('DROP SOURCE bench');
    await c.end();
    return { sf: opts.sf, rows, copyOutSeconds: copyOut, snapshotSeconds, snapshotPeakRssMb: peak, stream };
  } finally {
    await ferry.stop();
    up.stop();
  }
}

export function renderSourceMarkdown(r: SourceBenchResult): string {
  const f = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const lines = [
    `### PostgreSQL source (TPC-H lineitem SF ${r.sf}, ${r.rows.toLocaleString('en-US')} rows)`,
    '',
    '| measurement | seconds | ratio to PostgreSQL COPY TO STDOUT | peak RSS (MiB) |',
    '|---|---|---|---|',
    `| PostgreSQL \`COPY lineitem TO STDOUT\` (the floor) | ${f(r.copyOutSeconds)} | 1.0 | |`,
    `| Ferry \`CREATE SOURCE\` snapshot | ${f(r.snapshotSeconds)} | ${f(r.snapshotSeconds / r.copyOutSeconds)} | ${f(r.snapshotPeakRssMb, 0)} |`,
    '',
    '| stream | transactions | changes/s | lag p50 (ms) | lag p99 (ms) |',
    '|---|---|---|---|---|',
    ...r.stream.map(
      (s) => `| ${s.kind} | ${s.transactions} | ${f(s.changes / s.seconds, 0)} | ${f(s.p50Ms)} | ${f(s.p99Ms)} |`,
    ),
  ];
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const o: SourceBenchOptions & { out: string } = {
    sf: 1,
    pgPort: 7496,
    singleTxns: 2000,
    bulkTxns: 50,
    log: (m) => console.error(`[source bench] ${m}`),
    out: path.join(PROJECT_ROOT, 'bench', 'results'),
  };
  readFlags(process.argv.slice(2), USAGE, {
    '--sf': numberFlag('--sf', (n) => (o.sf = n)),
    '--pg-port': numberFlag('--pg-port', (n) => (o.pgPort = n)),
    '--single': numberFlag('--single', (n) => (o.singleTxns = n)),
    '--bulk': numberFlag('--bulk', (n) => (o.bulkTxns = n)),
    '--out': { value: (v) => (o.out = v) },
  });
  const r = await sourceBench(o);
  const md = renderSourceMarkdown(r);
  mkdirSync(o.out, { recursive: true });
  writeFileSync(path.join(o.out, 'source-latest.json'), JSON.stringify({ machine: machineInfo(), ...r }, null, 2));
  writeFileSync(path.join(o.out, 'source-latest.md'), md);
  console.log(md);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(PROJECT_ROOT, 'dist', 'bench', 'source.js')) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
