/**
 * The wire path: `SELECT 1` over pgwire with the `pg` client (simple query protocol: no
 * parameters), the same client and settings against Ferry and against PostgreSQL.
 * Latency: sequential queries on one connection after a warm-up, p50 / p99. Throughput:
 * N connections each issuing queries back to back for a fixed time.
 */
import pg from 'pg';

export interface WireConfig {
  host: string;
  port: number;
  user: string;
  database: string;
}

export interface WireResult {
  p50Ms: number;
  p99Ms: number;
  /** Queries per second with 1 and with 16 clients. */
  qps1: number;
  qps16: number;
  samples: number;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function throughput(cfg: WireConfig, clients: number, seconds: number): Promise<number> {
  const conns = await Promise.all(
    Array.from({ length: clients }, async () => {
      const c = new pg.Client(cfg);
      await c.connect();
      await c.query('SELECT 1');
      return c;
    }),
  );
  let count = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    conns.map(async (c) => {
      while (performance.now() < end) {
        await c.query('SELECT 1');
        count++;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  await Promise.all(conns.map((c) => c.end()));
  return count / elapsed;
}

export async function wireBench(cfg: WireConfig, opts: { samples: number; seconds: number }): Promise<WireResult> {
  const c = new pg.Client(cfg);
  await c.connect();
  for (let i = 0; i < Math.min(500, opts.samples); i++) await c.query('SELECT 1');
  const lat: number[] = [];
  for (let i = 0; i < opts.samples; i++) {
    const t0 = performance.now();
    await c.query('SELECT 1');
    lat.push(performance.now() - t0);
  }
  await c.end();
  lat.sort((a, b) => a - b);
  return {
    p50Ms: quantile(lat, 0.5),
    p99Ms: quantile(lat, 0.99),
    qps1: await throughput(cfg, 1, opts.seconds),
    qps16: await throughput(cfg, 16, opts.seconds),
    samples: opts.samples,
  };
}

export interface PointResult {
  p50Ms: number;
  p99Ms: number;
  samples: number;
}

/**
 * A prepared point query, `SELECT v FROM points WHERE id = $1`, on a table of `rows` rows
 * (ids 1…rows): one named statement, parsed once, then Bind/Execute with a pseudo-random
 * id per sample (the same sequence for every server), after a warm-up.
 */
export async function pointQueryBench(cfg: WireConfig, rows: number, samples: number): Promise<PointResult> {
  const c = new pg.Client(cfg);
  await c.connect();
  let x = 12345;
  const nextId = (): string => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return String((x % rows) + 1);
  };
  const q = (): Promise<unknown> =>
    c.query({ name: 'point', text: 'SELECT v FROM points WHERE id = $1', values: [nextId()] });
  for (let i = 0; i < Math.min(200, samples); i++) await q();
  const lat: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await q();
    lat.push(performance.now() - t0);
  }
  await c.end();
  lat.sort((a, b) => a - b);
  return { p50Ms: quantile(lat, 0.5), p99Ms: quantile(lat, 0.99), samples };
}

/** The point-query table: `points (id bigint, v text)` with ids 1…rows, in id order. */
export function pointTableSql(rows: number, primaryKey: boolean): string[] {
  return [
    `CREATE TABLE points (id bigint${primaryKey ? ' PRIMARY KEY' : ''}, v text)`,
    `INSERT INTO points SELECT i, 'value-' || i::text FROM generate_series(1, ${rows}) AS g(i)`,
  ];
}
