/**
 * Analytic queries: the 22 TPC-H queries (bench/tpch-queries.ts, PostgreSQL syntax) on the
 * data of Ferry's TPCH load generator, run
 *  - on Ferry over pgwire (`pg` client, simple query), with Ferry's default settings and,
 *    when those limit the engine's memory, once more with DuckDB's own default (80 % of RAM),
 *    so that Ferry's overhead and the memory limit's cost are told apart;
 *  - on DuckDB in-process (@duckdb/node-api, a worker process) over the same database file,
 *    read-only, with the same query texts: what Ferry adds over its engine;
 *  - on PostgreSQL 15 with the same rows (exported by DuckDB to CSV, loaded with COPY), its
 *    default settings plus the TPC-H primary keys, analyzed: what the engine buys a user.
 * Each query runs twice in a row and the second (warm) run counts; a query that runs past
 * the timeout, or fails, is recorded as such and not run again.
 */
import pg from 'pg';
import postgres from 'postgres';
import { TPCH_TABLES } from '../src/loadgen/tpch.js';
import { TPCH_QUERIES } from './tpch-queries.js';

export interface TpchQueryTime {
  name: string;
  /** The warm run's wall seconds (client-measured), absent on error or timeout. */
  seconds?: number;
  rows?: number;
  error?: string;
}

export interface TpchRun {
  engine: 'ferry' | 'ferry-unlimited' | 'duckdb' | 'postgres';
  label: string;
  queries: TpchQueryTime[];
}

export interface TpchResults {
  sf: number;
  timeoutS: number;
  runs: TpchRun[];
  /** Seconds to load PostgreSQL (COPY of the eight tables, primary keys, ANALYZE). */
  postgresLoadS?: number;
}

/** The TPC-H primary keys (specification, 1.4.2.2). */
export const TPCH_PRIMARY_KEYS: Record<string, string[]> = {
  region: ['r_regionkey'],
  nation: ['n_nationkey'],
  part: ['p_partkey'],
  supplier: ['s_suppkey'],
  partsupp: ['ps_partkey', 'ps_suppkey'],
  customer: ['c_custkey'],
  orders: ['o_orderkey'],
  lineitem: ['l_orderkey', 'l_linenumber'],
};

const isTimeout = (e: { code?: string; message: string }): boolean => e.code === '57014' || /timeout/i.test(e.message);

/** The 22 queries over pgwire (Ferry or PostgreSQL), each cut off by statement_timeout. */
export async function tpchOverPgwire(
  cfg: pg.ClientConfig,
  timeoutS: number,
  log: (s: string) => void,
  label: string,
): Promise<TpchQueryTime[]> {
  const c = new pg.Client(cfg);
  await c.connect();
  const out: TpchQueryTime[] = [];
  try {
    await c.query(`SET statement_timeout = '${timeoutS}s'`);
    for (const q of TPCH_QUERIES) {
      let last: TpchQueryTime = { name: q.name };
      for (let run = 0; run < 2; run++) {
        const t0 = performance.now();
        try {
          const r = await c.query(q.sql);
          last = { name: q.name, seconds: (performance.now() - t0) / 1000, rows: r.rowCount ?? 0 };
        } catch (err) {
          const e = err as { code?: string; message: string };
          last = { name: q.name, error: isTimeout(e) ? `over ${timeoutS} s` : e.message };
          break;
        }
      }
      out.push(last);
      log(`TPC-H ${label} ${q.name}: ${last.seconds !== undefined ? `${last.seconds.toFixed(2)} s` : last.error}`);
    }
  } finally {
    await c.end();
  }
  return out;
}

/**
 * Loads the eight tables into PostgreSQL from CSV files DuckDB wrote (`csvOf(table)`), adds
 * the primary keys and analyzes. Returns the seconds it took.
 */
export async function loadTpchIntoPostgres(
  cfg: { host: string; port: number; user: string; database: string },
  csvOf: (table: string) => string,
): Promise<number> {
  const sql = postgres({ ...cfg, max: 1, onnotice: () => undefined });
  const t0 = performance.now();
  try {
    for (const [table, cols] of Object.entries(TPCH_TABLES)) {
      await sql.unsafe(`DROP TABLE IF EXISTS ${table}`);
      await sql.unsafe(`CREATE TABLE ${table} (${cols.map(([n, t]) => `${n} ${t} NOT NULL`).join(', ')})`);
      await sql.unsafe(`COPY ${table} FROM '${csvOf(table)}' (FORMAT csv)`);
      await sql.unsafe(`ALTER TABLE ${table} ADD PRIMARY KEY (${TPCH_PRIMARY_KEYS[table]!.join(', ')})`);
    }
    await sql.unsafe('ANALYZE');
  } finally {
    await sql.end();
  }
  return (performance.now() - t0) / 1000;
}

export async function dropTpchFromPostgres(cfg: {
  host: string;
  port: number;
  user: string;
  database: string;
}): Promise<void> {
  const sql = postgres({ ...cfg, max: 1, onnotice: () => undefined });
  try {
    for (const table of Object.keys(TPCH_TABLES)) await sql.unsafe(`DROP TABLE IF EXISTS ${table}`);
  } finally {
    await sql.end();
  }
}

/** Sum of the warm runs when every query finished; undefined otherwise. */
export function totalSeconds(run: TpchRun | undefined): number | undefined {
  if (!run || run.queries.length === 0 || run.queries.some((q) => q.seconds === undefined)) return undefined;
  return run.queries.reduce((n, q) => n + q.seconds!, 0);
}
