/**
 * `npm run bench -- [--scale S] [--factors 1,4] ...`: Ferry's exports measured against the
 * hardware's limits and against what users do today, all in one run on one machine and
 * one local RGW (issue 6). Prints a Markdown table, writes bench/results/latest.{md,json}
 * plus timestamped copies, and refreshes the generated section of docs/benchmarks.md.
 * Nothing here fails on a time; a measurement that errors is recorded as an error.
 *
 * Sizes: at factor f, TPC-H lineitem at scale factor S × f (≈ 6,000,000 × S × f rows)
 * and the mixed-type table with 10,000,000 × S × f rows. The default S = 0.25 with
 * factors 1 and 4 finishes in about ten minutes on two cores, and its ×4 point is exactly
 * the issue's sizes (SF 1, 10M rows); `--scale 1` measures SF 1 and SF 4.
 *
 * Before all that, bench/parse.ts measures the front end's first-compile cost of the 22
 * TPC-H queries (a few seconds, no server); the report has a section for it. After it,
 * bench/source.ts measures a PostgreSQL source (snapshot of lineitem at --source-sf against
 * PostgreSQL's COPY TO STDOUT, then stream throughput and lag).
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import postgres from 'postgres';
import { startFerry, type FerryProcess, PROJECT_ROOT } from '../test/support/ferry.js';
import { TPCH_TABLES } from '../src/loadgen/tpch.js';
import { PART_SIZE, PARTS_IN_FLIGHT } from '../src/sink/limits.js';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  emptyPrefix,
  listObjects,
  s3Client,
  startLocalAws,
  stopLocalAws,
  warmUp,
  type LocalAws,
  type LocalAwsOptions,
} from './aws.js';
import { type Flag, num, numberFlag, readFlags } from './flags.js';
import { startNullAws } from './nulls3.js';
import { startPostgres, type Postgres } from './postgres.js';
import { type SourceBenchResult, sourceBench } from './source.js';
import { cpuSeconds, loadAverage1, machineBusySeconds, machineInfo, RssSampler, rssMb } from './proc.js';
import {
  GROWTH_SVG,
  growthSvg,
  renderMarkdown,
  renderSummary,
  type BenchResults,
  type Dataset,
  type Format,
  type Measurement,
  type OneRow,
  type ParseBenchResult,
} from './report.js';
import { pointQueryBench, pointTableSql, wireBench, type PointResult } from './wire.js';
import { dropTpchFromPostgres, loadTpchIntoPostgres, tpchOverPgwire, type TpchResults } from './tpch.js';
import type { WorkerResult, WorkerTask } from './worker.js';

interface Args {
  scale: number;
  factors: number[];
  datasets: Dataset[];
  formats: Format[];
  rgw: 'private' | 'shared';
  rgwPort: number;
  pgPort: number;
  wire: boolean;
  parse: boolean;
  parseRuns: number;
  postgres: boolean;
  diag: boolean;
  wireSamples: number;
  wireSeconds: number;
  oneRowRuns: number;
  exportTimeoutS: number;
  keepAws: boolean;
  ferryNodeOptions: string | undefined;
  ferryCpuProf: string | undefined;
  ferryArgs: string[];
  docs: boolean;
  out: string;
  nullS3: boolean;
  tpch: boolean;
  tpchSf: number;
  source: boolean;
  sourceSf: number;
  tpchTimeoutS: number;
  pointRows: number;
}

const USAGE = `usage: npm run bench -- [options]
  --scale S            base size: lineitem SF S, mixed table 10M×S rows (default 0.25)
  --factors 1,4        multiples of the base to run (default 1,4)
  --datasets lineitem,mixed   --formats parquet,csv
  --rgw private|shared private: own RGW instance (default); shared: scripts/local-aws.sh's default one
  --rgw-port N         first of the private RGW's three ports (default 7490)
  --pg-port N          the throw-away PostgreSQL's port (default 7495)
  --out DIR            where results go (default bench/results)
  --no-postgres --no-wire --no-diag
  --no-null-s3         skip the exports and uploads to the null S3 endpoint (test/support/null-s3.ts)
  --no-tpch            skip the 22 TPC-H queries on Ferry, DuckDB in-process and PostgreSQL
  --tpch-sf S          their scale factor (default 1); the factor with that SF reuses its data
  --tpch-timeout S     give up on one TPC-H query after S seconds (default 60)
  --point-rows N       rows of the prepared point-query table in the wire step (default 1000000)
  --no-source          skip the PostgreSQL source (snapshot and stream, bench/source.ts)
  --source-sf S        its lineitem scale factor (default 1)
  --no-parse           skip the front end's TPC-H compile cost (bench/parse.ts)
  --parse-runs N       fresh compiles per TPC-H query in that measurement (default 200)
  --no-docs            leave docs/benchmarks.md and the README's summary as they are
  --wire-samples N (2000)  --wire-seconds N (5)  --one-row-runs N (10)
  --ferry-args 'ARGS'  extra \`ferry serve\` arguments, e.g. '--memory-limit 256MB'
  --ferry-node-options OPTS   NODE_OPTIONS for the Ferry process
  --ferry-cpu-prof DIR         CPU profile of every Ferry process into DIR (read with dist/bench/cpuprofile.js)
  --export-timeout S   give up on one Ferry export after S seconds (default 300)
  --keep-aws           leave the private RGW running afterwards
  --render FILE.json   print the tables of saved results (and refresh docs/benchmarks.md and the README) without measuring`;

function parseArgs(argv: string[]): Args {
  const a: Args = {
    scale: 0.25,
    factors: [1, 4],
    datasets: ['lineitem', 'mixed'],
    formats: ['parquet', 'csv'],
    rgw: 'private',
    rgwPort: 7490,
    pgPort: 7495,
    wire: true,
    parse: true,
    parseRuns: 200,
    postgres: true,
    diag: true,
    wireSamples: 2000,
    wireSeconds: 5,
    oneRowRuns: 10,
    exportTimeoutS: 300,
    keepAws: false,
    ferryNodeOptions: undefined,
    ferryCpuProf: undefined,
    ferryArgs: [],
    docs: true,
    out: path.join(PROJECT_ROOT, 'bench', 'results'),
    nullS3: true,
    tpch: true,
    tpchSf: 1,
    source: true,
    sourceSf: 1,
    tpchTimeoutS: 60,
    pointRows: 1_000_000,
  };
  const n = (flag: string, set: (x: number) => void): [string, Flag] => [flag, numberFlag(flag, set)];
  const list = (flag: string, v: string): number[] => v.split(',').map((x) => num(flag, x));
  readFlags(argv, USAGE, {
    ...Object.fromEntries([
      n('--scale', (x) => (a.scale = x)),
      n('--rgw-port', (x) => (a.rgwPort = x)),
      n('--pg-port', (x) => (a.pgPort = x)),
      n('--tpch-sf', (x) => (a.tpchSf = x)),
      n('--source-sf', (x) => (a.sourceSf = x)),
      n('--tpch-timeout', (x) => (a.tpchTimeoutS = x)),
      n('--point-rows', (x) => (a.pointRows = x)),
      n('--parse-runs', (x) => (a.parseRuns = x)),
      n('--wire-samples', (x) => (a.wireSamples = x)),
      n('--wire-seconds', (x) => (a.wireSeconds = x)),
      n('--one-row-runs', (x) => (a.oneRowRuns = x)),
      n('--export-timeout', (x) => (a.exportTimeoutS = x)),
    ]),
    '--factors': { value: (v) => (a.factors = list('--factors', v)) },
    '--datasets': { value: (v) => (a.datasets = v.split(',') as Dataset[]) },
    '--formats': { value: (v) => (a.formats = v.split(',') as Format[]) },
    '--rgw': { value: (v) => (a.rgw = v as Args['rgw']) },
    '--ferry-node-options': { value: (v) => (a.ferryNodeOptions = v) },
    '--ferry-cpu-prof': { value: (v) => (a.ferryCpuProf = path.resolve(v)) },
    '--ferry-args': { value: (v) => (a.ferryArgs = v.split(/\s+/).filter(Boolean)) },
    '--out': { value: (v) => (a.out = path.resolve(v)) },
    '--no-postgres': { set: () => (a.postgres = false) },
    '--no-wire': { set: () => (a.wire = false) },
    '--no-diag': { set: () => (a.diag = false) },
    '--no-null-s3': { set: () => (a.nullS3 = false) },
    '--no-tpch': { set: () => (a.tpch = false) },
    '--no-source': { set: () => (a.source = false) },
    '--no-parse': { set: () => (a.parse = false) },
    '--no-docs': { set: () => (a.docs = false) },
    '--keep-aws': { set: () => (a.keepAws = true) },
  });
  if (!(a.scale > 0) || a.factors.some((f) => !(f > 0)))
    throw new Error(`--scale and --factors must be positive\n${USAGE}`);
  return a;
}

const log = (msg: string): void => {
  process.stderr.write(`bench ${new Date().toISOString().slice(11, 19)} ${msg}\n`);
};

const MIXED_DDL: [string, string][] = [
  ['id', 'bigint'],
  ['k', 'integer'],
  ['d', 'double precision'],
  ['s', 'text'],
  ['ts', 'timestamp'],
  ['amt', 'numeric(18,2)'],
];

/** Rows of the mixed table: deterministic, text of 8–30 bytes, no NULLs. */
function mixedInsert(rows: number): string {
  return `INSERT INTO mixed SELECT i::bigint, (i % 1000003)::integer, (i * 0.37)::double precision,
    'item-' || (i % 7919)::text || repeat('x', (i % 17)::integer),
    TIMESTAMP '2020-01-01 00:00:00' + i * INTERVAL '1 second',
    ((i % 10000000)::numeric(18,2) / 100)::numeric(18,2)
    FROM generate_series(1, ${rows}) AS g(i)`;
}

/** CPU counters of everything that runs during a measurement. */
class CpuWindow {
  private readonly start: {
    busy: number;
    rgw: number;
    osd: number;
    self: NodeJS.CpuUsage;
    ferry: number;
    ferryMain: number;
  };
  constructor(
    private readonly aws: LocalAws,
    private readonly ferryPid?: number,
  ) {
    this.start = {
      busy: machineBusySeconds(),
      rgw: cpuSeconds(aws.rgwPid),
      osd: cpuSeconds(aws.osdPid),
      self: process.cpuUsage(),
      ferry: cpuSeconds(ferryPid),
      ferryMain: cpuSeconds(ferryPid, ferryPid),
    };
  }
  /** `pathCpuS`: CPU of the measured path's own processes that are not Ferry (workers, PostgreSQL). */
  end(pathCpuS = 0): { ferryCpuS: number; ferryMainCpuS: number; rgwCpuS: number; osdCpuS: number; otherCpuS: number } {
    const self = process.cpuUsage(this.start.self);
    const ferryCpuS = cpuSeconds(this.ferryPid) - this.start.ferry;
    const ferryMainCpuS = cpuSeconds(this.ferryPid, this.ferryPid) - this.start.ferryMain;
    const rgwCpuS = cpuSeconds(this.aws.rgwPid) - this.start.rgw;
    const osdCpuS = cpuSeconds(this.aws.osdPid) - this.start.osd;
    const busy = machineBusySeconds() - this.start.busy;
    const mine = (self.user + self.system) / 1e6 + ferryCpuS + rgwCpuS + osdCpuS + pathCpuS;
    return { ferryCpuS, ferryMainCpuS, rgwCpuS, osdCpuS, otherCpuS: Math.max(0, busy - mine) };
  }
}

/** A pg client whose connection loss (e.g. Ferry crashing) is an error of the query, not of the process. */
async function client(cfg: pg.ClientConfig): Promise<pg.Client> {
  const c = new pg.Client(cfg);
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

function runWorker(task: WorkerTask): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(PROJECT_ROOT, 'dist', 'bench', 'worker.js'), JSON.stringify(task)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}') as WorkerResult);
      else
        reject(
          new Error(
            err.split('\n').find((l) => l.startsWith('worker')) ?? `worker exited with ${code}: ${err.slice(-500)}`,
          ),
        );
    });
  });
}

/** bench/parse.ts in a process of its own: the front end's first-compile cost of the TPC-H queries. */
/**
 * A reference path run by a worker (runWorker) as one Measurement: its own CPU, the S3
 * server's CPU over the same window (`cpuAws`: RGW, or the null endpoint), other work's;
 * an error is recorded, not thrown.
 */
async function workerMeasurement(
  base: Pick<Measurement, 'factor' | 'sf' | 'mixedRows' | 'dataset' | 'format' | 'path' | 'rows'>,
  task: WorkerTask,
  cpuAws: LocalAws,
): Promise<Measurement> {
  try {
    const cpu = new CpuWindow(cpuAws);
    const r = await runWorker(task);
    const cpuS = r.cpuS + (r.pgBackendCpuS ?? 0);
    const used = cpu.end(cpuS);
    return {
      ...base,
      wallS: r.wallS,
      bytes: r.bytes,
      cpuS,
      ...(r.pgBackendCpuS === undefined ? {} : { pgBackendCpuS: r.pgBackendCpuS }),
      rgwCpuS: used.rgwCpuS,
      osdCpuS: used.osdCpuS,
      otherCpuS: used.otherCpuS,
      workerPeakRssMb: r.maxRssMb,
    };
  } catch (err) {
    return {
      ...base,
      wallS: NaN,
      bytes: 0,
      rows: 0,
      cpuS: NaN,
      rgwCpuS: 0,
      osdCpuS: 0,
      otherCpuS: 0,
      error: (err as Error).message,
    };
  }
}

/**
 * The Ferry configurations TPC-H runs on: the defaults, and when those bound the engine's
 * memory (no --memory-limit among --ferry-args), DuckDB's own default too (80 % of RAM),
 * so that the report can say what the default limit costs queries.
 */
function ferryTpchConfigs(ferryArgs: string[]): ['ferry' | 'ferry-unlimited', string[]][] {
  if (ferryArgs.includes('--memory-limit')) return [['ferry', []]];
  const duckDefault = `${Math.floor((os.totalmem() * 0.8) / 2 ** 20)}MB`;
  return [
    ['ferry', []],
    ['ferry-unlimited', ['--memory-limit', duckDefault]],
  ];
}

function runParseBench(runs: number): Promise<ParseBenchResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [path.join(PROJECT_ROOT, 'dist', 'bench', 'parse.js'), '--runs', String(runs)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}') as ParseBenchResult);
      else reject(new Error(`bench/parse.js exited with ${code}: ${err.trim().slice(-300)}`));
    });
  });
}

/** `--render FILE.json`: the Markdown of saved results (stdout, FILE.md, docs/benchmarks.md), measuring nothing. */
function render(file: string, docs: boolean): void {
  const results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
  const md = renderMarkdown(results);
  process.stdout.write(md + '\n');
  writeFileSync(file.replace(/\.json$/, '.md'), md + '\n');
  writeFileSync(path.join(path.dirname(file), GROWTH_SVG), growthSvg(results));
  if (docs) updateDocs(results, md);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const r = argv.indexOf('--render');
  if (r >= 0)
    return render(
      path.resolve(argv[r + 1] ?? path.join(PROJECT_ROOT, 'bench', 'results', 'latest.json')),
      !argv.includes('--no-docs'),
    );
  const args = parseArgs(argv);
  const started = new Date();
  const stamp = started.toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const loadBefore = loadAverage1();
  log(`load average ${loadBefore}; scale ${args.scale}, factors ${args.factors.join(',')}`);

  // --- the front end's cost per TPC-H query: first, while nothing else of the bench runs --
  let parse: ParseBenchResult | undefined;
  let parseError: string | undefined;
  if (args.parse) {
    try {
      parse = await runParseBench(args.parseRuns);
      const x = parse.summary;
      log(
        `front end, TPC-H first compile p50: min ${x.minUs.toFixed(0)} µs, median ${x.medianUs.toFixed(0)} µs, max ${x.maxUs.toFixed(0)} µs`,
      );
    } catch (err) {
      parseError = (err as Error).message;
      log(`front end compile cost: ERROR ${parseError}`);
    }
  }

  const awsOpts: LocalAwsOptions = {
    root: PROJECT_ROOT,
    mode: args.rgw,
    dir: path.join(os.tmpdir(), 'ferry-bench-aws'),
    port: args.rgwPort,
    // memstore holds objects in RAM; the bench deletes (and garbage-collects) after each step.
    memBytes: 8 * 2 ** 30,
    keep: args.keepAws,
  };
  const aws = startLocalAws(awsOpts);
  const s3 = s3Client(aws);
  await warmUp(s3, aws.bucket);
  const runPrefix = `bench-${stamp}`;
  log(`RGW ${aws.endpoint} (radosgw pid ${aws.rgwPid}, ceph-osd pid ${aws.osdPid})`);
  const nullAws = args.nullS3 ? await startNullAws() : undefined;
  if (nullAws) log(`null S3 endpoint ${nullAws.endpoint} (pid ${nullAws.rgwPid})`);

  const work = mkdtempSync(path.join(os.tmpdir(), 'ferry-bench-'));
  chmodSync(work, 0o755); // PostgreSQL (another user) reads the CSV files to load
  const pgServer: Postgres | undefined = args.postgres || args.wire ? startPostgres(args.pgPort) : undefined;
  if (pgServer) log(`PostgreSQL 15 on port ${pgServer.port}`);

  const measurements: Measurement[] = [];
  const oneRow: OneRow[] = [];
  const loads: BenchResults['loads'] = [];
  let wire: BenchResults['wire'];
  let point: BenchResults['point'];
  let tpch: TpchResults | undefined;

  /** The 22 TPC-H queries on Ferry (stopped on entry and exit), DuckDB in-process and PostgreSQL. */
  const runTpch = async (dataDir: string, env: Record<string, string>): Promise<TpchResults> => {
    const out: TpchResults = { sf: args.tpchSf, timeoutS: args.tpchTimeoutS, runs: [] };
    const tlog = (x: string): void => log(x);
    for (const [engine, extra] of ferryTpchConfigs(args.ferryArgs)) {
      const ferry = await startFerry({ dataDir, env, args: [...args.ferryArgs, ...extra] });
      try {
        const label = extra.length ? `Ferry, ${extra.join(' ')}` : 'Ferry, default settings';
        out.runs.push({
          engine,
          label,
          queries: await tpchOverPgwire(ferry.pgConfig(), args.tpchTimeoutS, tlog, engine),
        });
      } finally {
        await ferry.stop();
      }
    }
    const db = path.join(dataDir, 'materialize.duckdb');
    try {
      const r = await runWorker({ kind: 'tpch-duckdb', db, timeoutS: args.tpchTimeoutS });
      out.runs.push({ engine: 'duckdb', label: 'DuckDB in-process, same file', queries: r.queries ?? [] });
      for (const q of r.queries ?? [])
        log(`TPC-H duckdb ${q.name}: ${q.seconds !== undefined ? `${q.seconds.toFixed(2)} s` : q.error}`);
    } catch (err) {
      log(`TPC-H on DuckDB in-process failed: ${(err as Error).message}`);
    }
    if (pgServer) {
      const files: string[] = [];
      try {
        const csvOf = (t: string): string => path.join(work, `tpch-${t}.csv`);
        for (const t of Object.keys(TPCH_TABLES)) {
          await runWorker({ kind: 'encode', db, table: t, format: 'csv', out: csvOf(t) });
          files.push(csvOf(t));
        }
        out.postgresLoadS = await loadTpchIntoPostgres(pgServer.config, csvOf);
        for (const f of files) rmSync(f, { force: true });
        loads.push({
          factor: 0,
          what: `TPC-H SF ${args.tpchSf} into PostgreSQL (with primary keys)`,
          seconds: out.postgresLoadS,
        });
        out.runs.push({
          engine: 'postgres',
          label: 'PostgreSQL 15, default settings + primary keys',
          queries: await tpchOverPgwire(pgServer.config, args.tpchTimeoutS, tlog, 'postgres'),
        });
      } catch (err) {
        log(`TPC-H on PostgreSQL failed: ${(err as Error).message}`);
      } finally {
        for (const f of files) rmSync(f, { force: true });
        await dropTpchFromPostgres(pgServer.config).catch(() => undefined);
      }
    }
    return out;
  };

  try {
    for (const factor of args.factors) {
      const sf = Math.round(args.scale * factor * 1e6) / 1e6;
      const mixedRows = Math.round(10_000_000 * args.scale * factor);
      const dataDir = path.join(work, `ferry-x${factor}`);
      const env: Record<string, string> = {};
      const nodeOptions = [args.ferryNodeOptions ?? ''];
      if (args.ferryCpuProf) {
        mkdirSync(args.ferryCpuProf, { recursive: true });
        nodeOptions.push(`--import=${path.join(PROJECT_ROOT, 'dist', 'bench', 'cpu-prof-preload.js')}`);
        env.BENCH_CPU_PROF_DIR = args.ferryCpuProf;
      }
      if (nodeOptions.join('').trim()) env.NODE_OPTIONS = nodeOptions.join(' ').trim();
      const base = { factor, sf, mixedRows };

      // --- data: generated inside Ferry, then Ferry restarts so RSS starts clean -----
      let ferry: FerryProcess = await startFerry({ dataDir, env, args: args.ferryArgs });
      {
        const c = await client(ferry.pgConfig());
        let t0 = performance.now();
        await c.query(`CREATE SOURCE tpch FROM LOAD GENERATOR TPCH (SCALE FACTOR ${sf}) FOR ALL TABLES`);
        loads.push({ factor, what: `TPC-H SF ${sf} into Ferry`, seconds: (performance.now() - t0) / 1000 });
        t0 = performance.now();
        await c.query(`CREATE TABLE mixed (${MIXED_DDL.map(([n, t]) => `${n} ${t}`).join(', ')})`);
        await c.query(mixedInsert(mixedRows));
        loads.push({ factor, what: `mixed ${mixedRows} rows into Ferry`, seconds: (performance.now() - t0) / 1000 });
        await c.query(`CREATE SECRET bench_sk AS '${aws.secretAccessKey}'`);
        await c.query(
          `CREATE CONNECTION bench_s3 TO AWS (ENDPOINT = '${aws.endpoint}', REGION = '${aws.region}', ACCESS KEY ID = '${aws.accessKeyId}', SECRET ACCESS KEY = SECRET bench_sk)`,
        );
        if (nullAws) {
          await c.query(`CREATE SECRET bench_null_sk AS '${nullAws.secretAccessKey}'`);
          await c.query(
            `CREATE CONNECTION bench_null TO AWS (ENDPOINT = '${nullAws.endpoint}', REGION = '${nullAws.region}', ACCESS KEY ID = '${nullAws.accessKeyId}', SECRET ACCESS KEY = SECRET bench_null_sk)`,
          );
        }
        if (args.wire && factor === args.factors[0])
          for (const q of pointTableSql(args.pointRows, false)) await c.query(q);
        await c.end();
        await ferry.stop();
        ferry = await startFerry({ dataDir, env, args: args.ferryArgs });
      }
      /** After a failed statement: if Ferry no longer answers, record why and start it again on the same data. */
      const restartFerry = async (): Promise<void> => {
        try {
          const c = await client(ferry.pgConfig());
          await c.query('SELECT 1');
          await c.end();
          return;
        } catch {
          // fall through: the server is gone or hung
        }
        await ferry.kill();
        log(
          `Ferry stopped answering (exit ${ferry.proc.exitCode ?? ferry.proc.signalCode}); restarting it. Last log lines:\n${ferry
            .log()
            .split('\n')
            .filter((l) => l.trim())
            .slice(-6)
            .join('\n')}`,
        );
        ferry = await startFerry({ dataDir, env, args: args.ferryArgs });
      };
      const rows = new Map<Dataset, number>();
      {
        const c = await client(ferry.pgConfig());
        for (const d of args.datasets)
          rows.set(d, Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${d}`)).rows[0]!.n));
        await c.end();
      }
      log(
        `×${factor}: lineitem ${rows.get('lineitem') ?? '-'} rows (SF ${sf}), mixed ${rows.get('mixed') ?? '-'} rows; Ferry pid ${ferry.proc.pid}`,
      );

      // --- one-row export: end to end as a client sees it -------------------------------
      // Reference: the five S3 requests every export makes (docs/exports.md "What is
      // written": list, delete probe, sentinel, the file, sentinel removal), one after
      // another from a warm client.
      {
        const times: number[] = [];
        for (let i = 0; i <= args.oneRowRuns; i++) {
          const p = `${runPrefix}/x${factor}/floor-${i}`;
          const t0 = performance.now();
          await listObjects(s3, aws.bucket, `${p}/`);
          await s3.send(new DeleteObjectCommand({ Bucket: aws.bucket, Key: `${p}/probe` }));
          await s3.send(new PutObjectCommand({ Bucket: aws.bucket, Key: `${p}/sentinel`, Body: Buffer.alloc(0) }));
          await s3.send(new PutObjectCommand({ Bucket: aws.bucket, Key: `${p}/file.csv`, Body: Buffer.from('1\n') }));
          await s3.send(new DeleteObjectCommand({ Bucket: aws.bucket, Key: `${p}/sentinel` }));
          if (i > 0) times.push(performance.now() - t0);
        }
        times.sort((a, b) => a - b);
        oneRow.push({
          factor,
          format: 'csv',
          path: 's3-floor',
          runs: times.length,
          p50Ms: times[Math.floor(times.length / 2)] ?? NaN,
          maxMs: times[times.length - 1] ?? NaN,
        });
      }
      for (const format of ['csv', 'parquet'] as Format[]) {
        const times: number[] = [];
        let error: string | undefined;
        const c = await client(ferry.pgConfig());
        for (let i = 0; i <= args.oneRowRuns; i++) {
          const t0 = performance.now();
          try {
            await c.query(
              `COPY (SELECT 1::bigint AS x) TO 's3://${aws.bucket}/${runPrefix}/x${factor}/one-${format}-${i}' WITH (AWS CONNECTION = bench_s3, FORMAT = '${format}')`,
            );
            if (i > 0) times.push(performance.now() - t0); // run 0 warms up
          } catch (err) {
            error = (err as Error).message;
            break;
          }
        }
        await c.end().catch(() => undefined);
        await restartFerry();
        times.sort((a, b) => a - b);
        oneRow.push({
          factor,
          format,
          path: 'ferry',
          runs: times.length,
          p50Ms: times[Math.floor(times.length / 2)] ?? NaN,
          maxMs: times[times.length - 1] ?? NaN,
          error,
        });
        log(
          `×${factor} one-row ${format}: p50 ${oneRow[oneRow.length - 1]!.p50Ms.toFixed(1)} ms${error ? ` (${error})` : ''}`,
        );
      }
      await emptyPrefix(s3, aws, `${runPrefix}/`);

      // --- Ferry exports: to RGW, then to the null S3 endpoint -----------------------------
      const targets = [
        { aws, s3, conn: 'bench_s3', path: 'ferry' as const },
        ...(nullAws ? [{ aws: nullAws, s3: s3Client(nullAws), conn: 'bench_null', path: 'ferry-null' as const }] : []),
      ];
      for (const target of targets)
        for (const dataset of args.datasets) {
          for (const format of args.formats) {
            const { s3: ts3, aws: taws } = target;
            const prefix = `${runPrefix}/x${factor}/${target.path}-${dataset}-${format}`;
            // A fresh server per export: each peak RSS belongs to this export alone, not to
            // DuckDB's cache of the tables exported before it.
            await ferry.stop();
            ferry = await startFerry({ dataDir, env, args: args.ferryArgs });
            const c = await client(ferry.pgConfig());
            const pid = ferry.proc.pid!;
            const rssBefore = rssMb(pid);
            const rss = new RssSampler(pid);
            rss.start();
            const cpu = new CpuWindow(taws, pid);
            const t0 = performance.now();
            let error: string | undefined;
            let rowCount = 0;
            try {
              let timer: NodeJS.Timeout | undefined;
              const timeout = new Promise<never>((_, reject) => {
                timer = setTimeout(
                  () => reject(new Error(`no answer after ${args.exportTimeoutS} s (Ferry killed)`)),
                  args.exportTimeoutS * 1000,
                );
              });
              try {
                const r = await Promise.race([
                  c.query(
                    `COPY ${dataset} TO 's3://${taws.bucket}/${prefix}' WITH (AWS CONNECTION = ${target.conn}, FORMAT = '${format}')`,
                  ),
                  timeout,
                ]);
                rowCount = r.rowCount ?? 0;
              } finally {
                clearTimeout(timer);
              }
            } catch (err) {
              error = (err as Error).message;
            }
            const wallS = (performance.now() - t0) / 1000;
            const peak = rss.stop();
            const used = cpu.end();
            if (error?.startsWith('no answer')) await ferry.kill();
            await c.end().catch(() => undefined);
            const objs = await listObjects(ts3, taws.bucket, `${prefix}/`);
            const bytes = objs.filter((o) => !o.key.endsWith('-INCOMPLETE')).reduce((n, o) => n + o.size, 0);
            measurements.push({
              ...base,
              dataset,
              format,
              path: target.path,
              wallS,
              bytes,
              rows: rowCount,
              files: objs.length,
              cpuS: used.ferryCpuS,
              ferryCpuS: used.ferryCpuS,
              ferryMainThreadCpuS: used.ferryMainCpuS,
              ferryRssBeforeMb: rssBefore,
              ferryPeakRssMb: peak,
              rgwCpuS: used.rgwCpuS,
              osdCpuS: used.osdCpuS,
              otherCpuS: used.otherCpuS,
              error,
            });
            log(
              `×${factor} ${target.path} ${dataset} ${format}: ${wallS.toFixed(1)} s, ${(bytes / 1e6).toFixed(0)} MB, RSS ${peak.toFixed(0)} MB${error ? `, ERROR ${error}` : ''}`,
            );
            await emptyPrefix(ts3, taws, `${prefix}/`);
            await restartFerry();
          }
        }

      // --- wire path: Ferry (once, at the first factor) -----------------------------------
      let ferryWire;
      let ferryPoint: PointResult | undefined;
      if (args.wire && factor === args.factors[0]) {
        ferryWire = await wireBench(ferry.pgConfig(), { samples: args.wireSamples, seconds: args.wireSeconds });
        log(
          `wire Ferry: p50 ${ferryWire.p50Ms.toFixed(3)} ms, ${ferryWire.qps1.toFixed(0)} q/s (1), ${ferryWire.qps16.toFixed(0)} q/s (16)`,
        );
        ferryPoint = await pointQueryBench(ferry.pgConfig(), args.pointRows, args.wireSamples);
        log(`point query Ferry: p50 ${ferryPoint.p50Ms.toFixed(3)} ms, p99 ${ferryPoint.p99Ms.toFixed(3)} ms`);
      }
      await ferry.stop();

      // --- TPC-H: at the factor whose scale factor is --tpch-sf, on this data -----------
      if (args.tpch && sf === args.tpchSf) tpch = await runTpch(dataDir, env);

      // --- references: DuckDB encoding, upload, two-step, PostgreSQL -------------------
      const db = path.join(dataDir, 'materialize.duckdb');
      for (const dataset of args.datasets) {
        const rowsN = rows.get(dataset) ?? 0;
        let csvFile: string | undefined;
        for (const format of args.formats) {
          const file = path.join(work, `${dataset}-x${factor}.${format}`);
          let enc: Measurement | undefined;
          try {
            const cpu = new CpuWindow(aws);
            const r = await runWorker({ kind: 'encode', db, table: dataset, format, out: file });
            const used = cpu.end(r.cpuS);
            enc = {
              ...base,
              dataset,
              format,
              path: 'encode',
              wallS: r.wallS,
              bytes: r.bytes,
              rows: rowsN,
              cpuS: r.cpuS,
              rgwCpuS: used.rgwCpuS,
              osdCpuS: used.osdCpuS,
              otherCpuS: used.otherCpuS,
              workerPeakRssMb: r.maxRssMb,
            };
          } catch (err) {
            enc = {
              ...base,
              dataset,
              format,
              path: 'encode',
              wallS: NaN,
              bytes: 0,
              rows: 0,
              cpuS: NaN,
              rgwCpuS: 0,
              osdCpuS: 0,
              otherCpuS: 0,
              error: (err as Error).message,
            };
          }
          measurements.push(enc);
          log(
            `×${factor} encode ${dataset} ${format}: ${enc.wallS.toFixed(1)} s, ${(enc.bytes / 1e6).toFixed(0)} MB${enc.error ? `, ERROR ${enc.error}` : ''}`,
          );
          if (enc.error) continue;
          const key = `${runPrefix}/x${factor}/upload-${dataset}-${format}/file.${format}`;
          let up: Measurement;
          try {
            const cpu = new CpuWindow(aws);
            const r = await runWorker({ kind: 'upload', file, aws, key });
            const used = cpu.end(r.cpuS);
            up = {
              ...base,
              dataset,
              format,
              path: 'upload',
              wallS: r.wallS,
              bytes: r.bytes,
              rows: rowsN,
              cpuS: r.cpuS,
              rgwCpuS: used.rgwCpuS,
              osdCpuS: used.osdCpuS,
              otherCpuS: used.otherCpuS,
              workerPeakRssMb: r.maxRssMb,
            };
          } catch (err) {
            up = {
              ...base,
              dataset,
              format,
              path: 'upload',
              wallS: NaN,
              bytes: 0,
              rows: 0,
              cpuS: NaN,
              rgwCpuS: 0,
              osdCpuS: 0,
              otherCpuS: 0,
              error: (err as Error).message,
            };
          }
          measurements.push(up);
          log(
            `×${factor} upload ${dataset} ${format}: ${up.wallS.toFixed(1)} s${up.error ? `, ERROR ${up.error}` : ''}`,
          );
          // The two-step path is exactly these two steps run one after the other.
          measurements.push({
            ...base,
            dataset,
            format,
            path: 'two-step',
            wallS: enc.wallS + up.wallS,
            bytes: enc.bytes,
            rows: rowsN,
            cpuS: enc.cpuS + up.cpuS,
            rgwCpuS: enc.rgwCpuS + up.rgwCpuS,
            osdCpuS: enc.osdCpuS + up.osdCpuS,
            otherCpuS: enc.otherCpuS + up.otherCpuS,
            error: up.error,
          });
          await emptyPrefix(s3, aws, `${runPrefix}/x${factor}/upload-${dataset}-${format}/`);
          if (nullAws) {
            const upNull = await workerMeasurement(
              { ...base, dataset, format, path: 'upload-null', rows: rowsN },
              { kind: 'upload', file, aws: nullAws, key },
              nullAws,
            );
            measurements.push(upNull);
            log(
              `×${factor} upload-null ${dataset} ${format}: ${upNull.wallS.toFixed(1)} s${upNull.error ? `, ERROR ${upNull.error}` : ''}`,
            );
          }
          if (format === 'csv') csvFile = file;
          else rmSync(file, { force: true });
        }

        if (args.diag && args.formats.includes('csv')) {
          for (const encoder of [false, true]) {
            try {
              const cpu = new CpuWindow(aws);
              const r = await runWorker({ kind: 'csv-lines', db, table: dataset, encoder });
              const used = cpu.end(r.cpuS);
              measurements.push({
                ...base,
                dataset,
                format: 'csv',
                path: encoder ? 'diag-lines-js' : 'diag-lines-duckdb',
                wallS: r.wallS,
                bytes: r.bytes,
                rows: r.rows ?? 0,
                cpuS: r.cpuS,
                rgwCpuS: used.rgwCpuS,
                osdCpuS: used.osdCpuS,
                otherCpuS: used.otherCpuS,
                workerPeakRssMb: r.maxRssMb,
              });
            } catch (err) {
              log(`diag csv-lines failed: ${(err as Error).message}`);
            }
          }
        }

        if (args.postgres && pgServer && csvFile) {
          const ddl = dataset === 'lineitem' ? (TPCH_TABLES.lineitem ?? []) : MIXED_DDL;
          const sql = postgres({ ...pgServer.config, max: 1, onnotice: () => undefined });
          try {
            const t0 = performance.now();
            await sql.unsafe(`DROP TABLE IF EXISTS ${dataset}`);
            await sql.unsafe(`CREATE TABLE ${dataset} (${ddl.map(([n, t]) => `${n} ${t}`).join(', ')})`);
            await sql.unsafe(`COPY ${dataset} FROM '${csvFile}' (FORMAT csv)`);
            await sql.unsafe(`VACUUM ANALYZE ${dataset}`);
            loads.push({ factor, what: `${dataset} into PostgreSQL`, seconds: (performance.now() - t0) / 1000 });
          } finally {
            await sql.end();
          }
          rmSync(csvFile, { force: true });
          const key = `${runPrefix}/x${factor}/pg-${dataset}/file.csv`;
          let m: Measurement;
          try {
            const cpu = new CpuWindow(aws);
            const r = await runWorker({ kind: 'pg-upload', pg: pgServer.config, table: dataset, aws, key });
            const used = cpu.end(r.cpuS + (r.pgBackendCpuS ?? 0));
            m = {
              ...base,
              dataset,
              format: 'csv',
              path: 'postgres',
              wallS: r.wallS,
              bytes: r.bytes,
              rows: rowsN,
              cpuS: r.cpuS + (r.pgBackendCpuS ?? 0),
              pgBackendCpuS: r.pgBackendCpuS,
              rgwCpuS: used.rgwCpuS,
              osdCpuS: used.osdCpuS,
              otherCpuS: used.otherCpuS,
              workerPeakRssMb: r.maxRssMb,
            };
          } catch (err) {
            m = {
              ...base,
              dataset,
              format: 'csv',
              path: 'postgres',
              wallS: NaN,
              bytes: 0,
              rows: 0,
              cpuS: NaN,
              rgwCpuS: 0,
              osdCpuS: 0,
              otherCpuS: 0,
              error: (err as Error).message,
            };
          }
          measurements.push(m);
          log(`×${factor} postgres ${dataset} csv: ${m.wallS.toFixed(1)} s${m.error ? `, ERROR ${m.error}` : ''}`);
          await emptyPrefix(s3, aws, `${runPrefix}/x${factor}/pg-${dataset}/`);
          if (nullAws) {
            const pgNull = await workerMeasurement(
              { ...base, dataset, format: 'csv', path: 'postgres-null', rows: rowsN },
              { kind: 'pg-upload', pg: pgServer.config, table: dataset, aws: nullAws, key },
              nullAws,
            );
            measurements.push(pgNull);
            log(
              `×${factor} postgres-null ${dataset} csv: ${pgNull.wallS.toFixed(1)} s${pgNull.error ? `, ERROR ${pgNull.error}` : ''}`,
            );
          }
          const drop = postgres({ ...pgServer.config, max: 1, onnotice: () => undefined });
          await drop.unsafe(`DROP TABLE IF EXISTS ${dataset}`);
          await drop.end();
        } else if (csvFile) rmSync(csvFile, { force: true });
      }

      if (args.wire && pgServer && ferryWire) {
        const pgWire = await wireBench(pgServer.config, { samples: args.wireSamples, seconds: args.wireSeconds });
        log(
          `wire PostgreSQL: p50 ${pgWire.p50Ms.toFixed(3)} ms, ${pgWire.qps1.toFixed(0)} q/s (1), ${pgWire.qps16.toFixed(0)} q/s (16)`,
        );
        wire = { ferry: ferryWire, postgres: pgWire };
        const sql = postgres({ ...pgServer.config, max: 1, onnotice: () => undefined });
        try {
          for (const q of pointTableSql(args.pointRows, true)) await sql.unsafe(q);
          await sql.unsafe('VACUUM ANALYZE points');
        } finally {
          await sql.end();
        }
        const pgPoint = await pointQueryBench(pgServer.config, args.pointRows, args.wireSamples);
        log(`point query PostgreSQL: p50 ${pgPoint.p50Ms.toFixed(3)} ms, p99 ${pgPoint.p99Ms.toFixed(3)} ms`);
        if (ferryPoint) point = { rows: args.pointRows, ferry: ferryPoint, postgres: pgPoint };
        const drop = postgres({ ...pgServer.config, max: 1, onnotice: () => undefined });
        await drop.unsafe('DROP TABLE IF EXISTS points');
        await drop.end();
      }
      rmSync(dataDir, { recursive: true, force: true });
    }

    // --- TPC-H at a scale factor no export factor has: its own data ---------------------
    if (args.tpch && !tpch) {
      const dataDir = path.join(work, 'ferry-tpch');
      const ferry = await startFerry({ dataDir, args: args.ferryArgs });
      const c = await client(ferry.pgConfig());
      const t0 = performance.now();
      await c.query(`CREATE SOURCE tpch FROM LOAD GENERATOR TPCH (SCALE FACTOR ${args.tpchSf}) FOR ALL TABLES`);
      loads.push({ factor: 0, what: `TPC-H SF ${args.tpchSf} into Ferry`, seconds: (performance.now() - t0) / 1000 });
      await c.end();
      await ferry.stop();
      tpch = await runTpch(dataDir, {});
      rmSync(dataDir, { recursive: true, force: true });
    }
  } finally {
    pgServer?.stop();
    await emptyPrefix(s3, aws, `${runPrefix}/`).catch(() => undefined);
    stopLocalAws(awsOpts, aws);
    nullAws?.stop();
    rmSync(work, { recursive: true, force: true });
  }

  // --- PostgreSQL source: snapshot against COPY TO STDOUT, then the stream ------------
  let source: SourceBenchResult | undefined;
  let sourceError: string | undefined;
  if (args.source) {
    try {
      source = await sourceBench({
        sf: args.sourceSf,
        pgPort: args.pgPort + 1,
        singleTxns: 2000,
        bulkTxns: 50,
        log: (m) => log(`source: ${m}`),
      });
    } catch (err) {
      sourceError = err instanceof Error ? err.message : String(err);
      log(`source: failed: ${sourceError}`);
    }
  }

  const results: BenchResults = {
    started: started.toISOString(),
    finished: new Date().toISOString(),
    command: `npm run bench -- ${process.argv
      .slice(2)
      .map((a) => (/\s/.test(a) ? `'${a}'` : a))
      .join(' ')}`.trim(),
    machine: machineInfo(),
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadAverage1(),
    scale: args.scale,
    factors: args.factors,
    settings: {
      partSizeMiB: PART_SIZE / 2 ** 20,
      partsInFlight: PARTS_IN_FLIGHT,
      rgw: args.rgw,
      ferryNodeOptions: args.ferryNodeOptions ?? null,
      ferryCpuProf: args.ferryCpuProf ? 'on' : null,
      ferryArgs: args.ferryArgs.join(' ') || null,
    },
    loads,
    measurements,
    oneRow,
    wire,
    point,
    tpch,
    parse,
    parseError,
    source,
    sourceError,
  };
  const md = renderMarkdown(results);
  process.stdout.write(md + '\n');
  mkdirSync(args.out, { recursive: true });
  const json = JSON.stringify(results, null, 1) + '\n';
  writeFileSync(path.join(args.out, 'latest.json'), json);
  writeFileSync(path.join(args.out, 'latest.md'), md + '\n');
  writeFileSync(path.join(args.out, `${stamp}.json`), json);
  writeFileSync(path.join(args.out, `${stamp}.md`), md + '\n');
  writeFileSync(path.join(args.out, GROWTH_SVG), growthSvg(results));
  if (args.docs) updateDocs(results, md);
  log(`results in ${path.relative(PROJECT_ROOT, args.out)}/latest.{md,json} and ${stamp}.{md,json}`);
}

const BEGIN = '<!-- bench:latest:begin (generated by npm run bench; do not edit) -->';
const END = '<!-- bench:latest:end -->';

/** Replaces the generated section of docs/benchmarks.md with the latest table. */
const SUMMARY_BEGIN = '<!-- bench:summary:begin (generated by npm run bench; do not edit) -->';
const SUMMARY_END = '<!-- bench:summary:end -->';

/** Replaces what stands between two markers of a file (left alone when they are missing). */
function replaceBetween(file: string, begin: string, end: string, body: string): void {
  if (!existsSync(file)) return;
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a < 0 || b < a) return;
  writeFileSync(file, text.slice(0, a + begin.length) + '\n' + body + '\n' + text.slice(b));
}

/** docs/benchmarks.md gets every table, the README the summary (renderSummary). */
function updateDocs(r: BenchResults, md: string): void {
  if (r.factors.length > 1) writeFileSync(path.join(PROJECT_ROOT, 'docs', GROWTH_SVG), growthSvg(r));
  replaceBetween(path.join(PROJECT_ROOT, 'docs', 'benchmarks.md'), BEGIN, END, md.replace(/^# .*\n+/, ''));
  replaceBetween(path.join(PROJECT_ROOT, 'README.md'), SUMMARY_BEGIN, SUMMARY_END, renderSummary(r));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
