/**
 * The benchmark's results as data and as Markdown: the measurements table, the ratios
 * issue 6 names with their targets, growth from ×1 to the largest factor, the one-row
 * export and the wire path. Every figure is computed from the run's own measurements.
 */
import { type SourceBenchResult, renderSourceMarkdown } from './source.js';
import { totalSeconds, type TpchResults } from './tpch.js';
import type { PointResult, WireResult } from './wire.js';

export type Dataset = 'lineitem' | 'mixed';
export type Format = 'parquet' | 'csv';
/** `diag-lines-js` is the whole CSV encoder without S3; the name is kept so saved results still render. */
export type PathKind =
  | 'ferry'
  | 'encode'
  | 'upload'
  | 'two-step'
  | 'postgres'
  | 'diag-lines-duckdb'
  | 'diag-lines-js'
  /** The same three paths with the null S3 endpoint (test/support/null-s3.ts) instead of RGW. */
  | 'ferry-null'
  | 'upload-null'
  | 'postgres-null';

export interface Measurement {
  factor: number;
  sf: number;
  mixedRows: number;
  dataset: Dataset;
  format: Format;
  path: PathKind;
  wallS: number;
  /** Output bytes (objects written, or the local file). */
  bytes: number;
  rows: number;
  files?: number;
  /** CPU (user + sys) of the path's own processes: Ferry, or the worker(s) plus PostgreSQL's backend. */
  cpuS: number;
  ferryCpuS?: number;
  /** Of ferryCpuS, the JavaScript main thread's share. */
  ferryMainThreadCpuS?: number;
  pgBackendCpuS?: number;
  /** Ferry's RSS just before the statement (after a restart, the one-row exports and earlier exports). */
  ferryRssBeforeMb?: number;
  ferryPeakRssMb?: number;
  workerPeakRssMb?: number;
  rgwCpuS: number;
  osdCpuS: number;
  /** Busy CPU of the machine not accounted to any process above: other people's work. */
  otherCpuS: number;
  error?: string;
}

export interface OneRow {
  factor: number;
  format: Format;
  /** 'ferry': the COPY statement; 's3-floor': the five S3 requests an export makes, sent one by one by the bench's own client. */
  path: 'ferry' | 's3-floor';
  runs: number;
  p50Ms: number;
  maxMs: number;
  error?: string;
}

export interface BenchResults {
  started: string;
  finished: string;
  command: string;
  machine: Record<string, string | number>;
  loadAverageBefore: number;
  loadAverageAfter: number;
  scale: number;
  factors: number[];
  settings: Record<string, string | number | null>;
  loads: { factor: number; what: string; seconds: number }[];
  measurements: Measurement[];
  oneRow: OneRow[];
  wire?: { ferry: WireResult; postgres: WireResult };
  /** A prepared point query on a table of `rows` rows (bench/wire.ts pointQueryBench). */
  point?: { rows: number; ferry: PointResult; postgres: PointResult };
  tpch?: TpchResults;
  /** The front end's first-compile cost of the TPC-H queries (bench/parse.ts), when it ran. */
  parse?: ParseBenchResult;
  parseError?: string;
  /** The PostgreSQL source: snapshot against COPY TO STDOUT, stream throughput and lag (bench/source.ts). */
  source?: SourceBenchResult;
  sourceError?: string;
}

/** One TPC-H query's front-end cost (bench/parse.ts), in microseconds. */
export interface ParseQueryResult {
  name: string;
  chars: number;
  /** prepass + parse + resolve + print (`compile()`), median and 90th percentile of the runs. */
  compileP50Us: number;
  compileP90Us: number;
  /** libpg-query's parse of the same (pre-passed) text alone, median of the runs. */
  parseP50Us: number;
}

export interface ParseBenchResult {
  started: string;
  command: string;
  machine: Record<string, string | number>;
  loadAverageBefore: number;
  /** Fresh compiles measured per query, after `warmup` unmeasured rounds over all queries. */
  runs: number;
  warmup: number;
  queries: ParseQueryResult[];
  /** Over the queries' compile medians (and their parse medians). */
  summary: {
    minUs: number;
    minQuery: string;
    medianUs: number;
    maxUs: number;
    maxQuery: string;
    parseMedianUs: number;
  };
}

const f1 = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(1));
const f2 = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(2));
const f0 = (x: number | undefined): string =>
  x === undefined || !Number.isFinite(x) ? '–' : Math.round(x).toLocaleString('en-US');
const mb = (bytes: number): number => bytes / 1e6;
const verdict = (ok: boolean | undefined): string => (ok === undefined ? '–' : ok ? '**met**' : '**missed**');

const PATH_LABEL: Record<PathKind, string> = {
  ferry: 'Ferry COPY TO s3',
  encode: 'encode ceiling (DuckDB → local file)',
  upload: 'upload ceiling (file → S3Store)',
  'two-step': 'two-step (encode, then upload)',
  postgres: 'PostgreSQL COPY TO STDOUT → S3Store',
  'diag-lines-duckdb': 'diag: CSV line query in DuckDB only',
  'diag-lines-js': 'diag: Ferry CSV encoder, no S3',
  'ferry-null': 'Ferry COPY TO s3, null S3 endpoint',
  'upload-null': 'upload ceiling, null S3 endpoint',
  'postgres-null': 'PostgreSQL COPY TO STDOUT → S3Store, null S3 endpoint',
};

export function scaleLabel(m: { factor: number; sf: number; mixedRows: number }, dataset: Dataset): string {
  return dataset === 'lineitem'
    ? `×${m.factor} (SF ${m.sf})`
    : `×${m.factor} (${(m.mixedRows / 1e6).toLocaleString('en-US')}M rows)`;
}

function find(
  ms: Measurement[],
  factor: number,
  dataset: Dataset,
  format: Format,
  p: PathKind,
): Measurement | undefined {
  const m = ms.find((x) => x.factor === factor && x.dataset === dataset && x.format === format && x.path === p);
  return m && !m.error && Number.isFinite(m.wallS) ? m : undefined;
}

export interface Ratios {
  factor: number;
  dataset: Dataset;
  format: Format;
  vsTwoStep?: number;
  vsIdeal?: number;
  ferryCpuPerGb?: number;
  refCpuPerGb?: number;
  cpuRatio?: number;
  pgOverFerry?: number;
  /** (Ferry + radosgw + ceph-osd CPU seconds) / cores: the wall time if CPU alone bound the export. */
  cpuFloorS?: number;
  /**
   * The two-step path's total CPU (encode + upload client + radosgw + ceph-osd) / cores,
   * over its wall time: the best Ferry / two-step any overlap can reach on this machine.
   */
  bestVsTwoStep?: number;
  /**
   * (CSV) PostgreSQL's wall time over the shortest a perfectly overlapped Ferry could take:
   * max(encode wall, upload wall, (encode + upload client + radosgw + ceph-osd CPU) / cores).
   * Below 1.5, no Ferry that encodes as DuckDB does can meet the target on this machine.
   */
  bestPgOverFerry?: number;
  ferryWallS?: number;
  ferryJsCpuS?: number;
  ferryCpuS?: number;
}

export function ratios(r: BenchResults): Ratios[] {
  const out: Ratios[] = [];
  for (const factor of r.factors) {
    for (const dataset of ['lineitem', 'mixed'] as Dataset[]) {
      for (const format of ['parquet', 'csv'] as Format[]) {
        const fe = find(r.measurements, factor, dataset, format, 'ferry');
        if (!r.measurements.some((m) => m.factor === factor && m.dataset === dataset && m.format === format)) continue;
        const enc = find(r.measurements, factor, dataset, format, 'encode');
        const up = find(r.measurements, factor, dataset, format, 'upload');
        const two = find(r.measurements, factor, dataset, format, 'two-step');
        const pgm = format === 'csv' ? find(r.measurements, factor, dataset, format, 'postgres') : undefined;
        const x: Ratios = { factor, dataset, format };
        if (fe && two) x.vsTwoStep = fe.wallS / two.wallS;
        if (fe && enc && up) x.vsIdeal = fe.wallS / Math.max(enc.wallS, up.wallS);
        if (fe && fe.bytes > 0) x.ferryCpuPerGb = fe.cpuS / (fe.bytes / 1e9);
        if (enc && up && enc.bytes > 0) x.refCpuPerGb = (enc.cpuS + up.cpuS) / (enc.bytes / 1e9);
        if (x.ferryCpuPerGb !== undefined && x.refCpuPerGb !== undefined) x.cpuRatio = x.ferryCpuPerGb / x.refCpuPerGb;
        if (fe && pgm) x.pgOverFerry = pgm.wallS / fe.wallS;
        if (pgm && enc && up) {
          const shortest = Math.max(
            enc.wallS,
            up.wallS,
            (enc.cpuS + up.cpuS + up.rgwCpuS + up.osdCpuS) / Number(r.machine.cores || 1),
          );
          x.bestPgOverFerry = pgm.wallS / shortest;
        }
        if (enc && up && two)
          x.bestVsTwoStep = (enc.cpuS + up.cpuS + up.rgwCpuS + up.osdCpuS) / Number(r.machine.cores || 1) / two.wallS;
        if (fe) {
          x.ferryWallS = fe.wallS;
          x.ferryCpuS = fe.cpuS;
          x.ferryJsCpuS = fe.ferryMainThreadCpuS;
          x.cpuFloorS = (fe.cpuS + fe.rgwCpuS + fe.osdCpuS) / Number(r.machine.cores || 1);
        }
        out.push(x);
      }
    }
  }
  return out;
}

/** Ferry against its ceilings when the S3 server costs nothing (the null endpoint). */
export interface NullRatios {
  factor: number;
  dataset: Dataset;
  format: Format;
  ferryWallS?: number;
  encodeWallS?: number;
  /** Ferry wall / encode wall: target ≤ 1.1. */
  vsEncode?: number;
  ferryCpuPerGb?: number;
  /** (encode + upload client) CPU per GB. */
  refCpuPerGb?: number;
  /** target ≤ 1.15 */
  cpuRatio?: number;
  /**
   * The best Ferry / encode any Ferry could reach on this machine: max(encode wall, upload
   * wall, (encode + upload client CPU) / cores) over the encode wall, since Ferry does both.
   */
  bestVsEncode?: number;
  /** CSV: PostgreSQL COPY TO STDOUT → same endpoint, over Ferry: target ≥ 1.5. */
  pgOverFerry?: number;
  peakRssMb?: number;
}

export function nullRatios(r: BenchResults): NullRatios[] {
  const out: NullRatios[] = [];
  for (const factor of r.factors)
    for (const dataset of ['lineitem', 'mixed'] as Dataset[])
      for (const format of ['parquet', 'csv'] as Format[]) {
        const fe = find(r.measurements, factor, dataset, format, 'ferry-null');
        if (
          !r.measurements.some(
            (m) => m.factor === factor && m.dataset === dataset && m.format === format && m.path === 'ferry-null',
          )
        )
          continue;
        const enc = find(r.measurements, factor, dataset, format, 'encode');
        const up = find(r.measurements, factor, dataset, format, 'upload-null');
        const pgm = format === 'csv' ? find(r.measurements, factor, dataset, format, 'postgres-null') : undefined;
        const x: NullRatios = {
          factor,
          dataset,
          format,
          ferryWallS: fe?.wallS,
          encodeWallS: enc?.wallS,
          peakRssMb: fe?.ferryPeakRssMb,
        };
        if (fe && enc) x.vsEncode = fe.wallS / enc.wallS;
        if (fe && fe.bytes > 0) x.ferryCpuPerGb = fe.cpuS / (fe.bytes / 1e9);
        if (enc && up && enc.bytes > 0) x.refCpuPerGb = (enc.cpuS + up.cpuS) / (enc.bytes / 1e9);
        if (x.ferryCpuPerGb !== undefined && x.refCpuPerGb !== undefined) x.cpuRatio = x.ferryCpuPerGb / x.refCpuPerGb;
        if (fe && pgm) x.pgOverFerry = pgm.wallS / fe.wallS;
        if (enc && up)
          x.bestVsEncode =
            Math.max(enc.wallS, up.wallS, (enc.cpuS + up.cpuS) / Number(r.machine.cores || 1)) / enc.wallS;
        out.push(x);
      }
  return out;
}

const mark = (x: number | undefined, ok: (v: number) => boolean): string => (x === undefined ? '' : ok(x) ? '✓' : '✗');

function renderNullSection(r: BenchResults): string[] {
  const rs = nullRatios(r);
  if (rs.length === 0) return [];
  const L: string[] = ['## Without an S3 server: the null endpoint', ''];
  L.push(
    'The same exports, uploads and PostgreSQL path against `test/support/null-s3.ts` (its own process; it reads, counts and CRC-32s every byte and keeps nothing), so no S3 server competes for the cores. The encode ceiling is the same DuckDB-to-local-file run as above.',
    '',
  );
  L.push(
    '| data | format | Ferry wall s | encode wall s | Ferry / encode (≤ 1.1) | best possible Ferry / encode | Ferry CPU s/GB | encode + upload CPU s/GB | CPU ratio (≤ 1.15) | PostgreSQL / Ferry time (CSV ≥ 1.5) | Ferry peak RSS MB (≤ 512) |',
  );
  L.push('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const x of rs) {
    const ref = r.measurements.find((q) => q.factor === x.factor && q.dataset === x.dataset);
    L.push(
      `| ${x.dataset} ${ref ? scaleLabel(ref, x.dataset) : ''} | ${x.format} | ${f1(x.ferryWallS)} | ${f1(x.encodeWallS)} | ${f2(x.vsEncode)} ${mark(x.vsEncode, (v) => v <= 1.1)} | ${f2(x.bestVsEncode)} | ${f1(x.ferryCpuPerGb)} | ${f1(x.refCpuPerGb)} | ${f2(x.cpuRatio)} ${mark(x.cpuRatio, (v) => v <= 1.15)} | ${x.format === 'csv' ? `${f2(x.pgOverFerry)} ${mark(x.pgOverFerry, (v) => v >= 1.5)}` : ''} | ${f0(x.peakRssMb)} ${mark(x.peakRssMb, (v) => v <= 512)} |`,
    );
  }
  L.push(
    '',
    `"Best possible Ferry / encode": Ferry both encodes and uploads, so on ${r.machine.cores} cores no Ferry can beat max(encode wall, upload wall, (encode + upload client CPU seconds) / ${r.machine.cores}); over the encode wall, that is the lowest ratio this machine allows. Above 1.1 the target cannot be met here.`,
    '',
  );
  return L;
}

function renderTpchSection(r: BenchResults): string[] {
  const t = r.tpch;
  if (!t) return [];
  const L: string[] = [`## Analytic queries: TPC-H SF ${t.sf}, 22 queries`, ''];
  L.push(
    `Each query runs twice in a row and the second run counts (seconds, client-measured); a query past ${t.timeoutS} s is stopped. ` +
      'Ferry runs over pgwire (`pg`, simple query); DuckDB in-process opens the same database file read-only and runs the same texts; ' +
      'PostgreSQL 15 holds the same rows with its default settings plus the TPC-H primary keys, analyzed.',
    '',
  );
  const names = t.runs[0]?.queries.map((q) => q.name) ?? [];
  L.push(`| query | ${t.runs.map((x) => x.label).join(' | ')} |`);
  L.push(`|---|${t.runs.map(() => '--:').join('|')}|`);
  const cell = (q: { seconds?: number; error?: string } | undefined): string =>
    q === undefined
      ? '–'
      : q.seconds !== undefined
        ? q.seconds.toFixed(3)
        : (q.error ?? '–').replace(/\|/g, '/').slice(0, 40);
  for (const n of names)
    L.push(`| ${n} | ${t.runs.map((x) => cell(x.queries.find((q) => q.name === n))).join(' | ')} |`);
  L.push(
    `| **total** | ${t.runs.map((x) => (totalSeconds(x) === undefined ? 'incomplete' : `**${totalSeconds(x)!.toFixed(2)}**`)).join(' | ')} |`,
  );
  L.push('');
  const ratios = tpchRatios(r);
  if (ratios.ferryOverDuckdb !== undefined)
    L.push(
      `Ferry (default settings) / DuckDB in-process, total: ${f2(ratios.ferryOverDuckdb)} (target ≤ 1.1 ${mark(ratios.ferryOverDuckdb, (v) => v <= 1.1)}).`,
    );
  if (ratios.unlimitedOverDuckdb !== undefined)
    L.push(
      `Ferry with DuckDB's default memory limit / DuckDB in-process: ${f2(ratios.unlimitedOverDuckdb)}; the default limit costs ${f2(ratios.limitCost)} × on these queries.`,
    );
  if (ratios.postgresOverFerry !== undefined) L.push(`PostgreSQL / Ferry, total: ${f2(ratios.postgresOverFerry)}.`);
  else if (ratios.postgresFinished !== undefined)
    L.push(
      `PostgreSQL finished ${ratios.postgresFinished} of 22 queries within ${t.timeoutS} s; over those, PostgreSQL / Ferry = ${f2(ratios.postgresOverFerryFinished)}.`,
    );
  if (t.postgresLoadS !== undefined)
    L.push(
      `(PostgreSQL's load with primary keys and ANALYZE took ${t.postgresLoadS.toFixed(0)} s; not in any figure.)`,
    );
  L.push('');
  return L;
}

export function tpchRatios(r: BenchResults): {
  ferryOverDuckdb?: number;
  unlimitedOverDuckdb?: number;
  limitCost?: number;
  postgresOverFerry?: number;
  postgresFinished?: number;
  postgresOverFerryFinished?: number;
} {
  const t = r.tpch;
  if (!t) return {};
  const run = (e: string) => t.runs.find((x) => x.engine === e);
  const fe = totalSeconds(run('ferry'));
  const un = totalSeconds(run('ferry-unlimited'));
  const dk = totalSeconds(run('duckdb'));
  const pgRun = run('postgres');
  const pgT = totalSeconds(pgRun);
  const out: ReturnType<typeof tpchRatios> = {};
  if (fe !== undefined && dk !== undefined) out.ferryOverDuckdb = fe / dk;
  if (un !== undefined && dk !== undefined) out.unlimitedOverDuckdb = un / dk;
  if (fe !== undefined && un !== undefined) out.limitCost = fe / un;
  if (pgT !== undefined && fe !== undefined) out.postgresOverFerry = pgT / fe;
  if (pgRun && pgT === undefined) {
    const done = pgRun.queries.filter((q) => q.seconds !== undefined);
    out.postgresFinished = done.length;
    const ferryRun = run('ferry');
    const ferrySame = done.map((q) => ferryRun?.queries.find((f) => f.name === q.name)?.seconds);
    if (ferrySame.every((x) => x !== undefined) && done.length)
      out.postgresOverFerryFinished = done.reduce((a, q) => a + q.seconds!, 0) / ferrySame.reduce((a, x) => a + x, 0);
  }
  return out;
}

function renderPointSection(r: BenchResults): string[] {
  const p = r.point;
  if (!p) return [];
  return [
    `## Wire path: a prepared point query on ${p.rows.toLocaleString('en-US')} rows`,
    '',
    "`SELECT v FROM points WHERE id = $1` prepared once (`pg`, named statement), then Bind/Execute with pseudo-random ids. PostgreSQL has a primary key on `id`; Ferry has no index (Materialize's indexes are not DuckDB's) and relies on the engine's min/max statistics of the id-ordered table.",
    '',
    '| server | p50 ms | p99 ms |',
    '|---|--:|--:|',
    `| Ferry | ${p.ferry.p50Ms.toFixed(3)} | ${p.ferry.p99Ms.toFixed(3)} |`,
    `| PostgreSQL 15 | ${p.postgres.p50Ms.toFixed(3)} | ${p.postgres.p99Ms.toFixed(3)} |`,
    '',
    `Ferry p50 / PostgreSQL p50 = ${f2(p.ferry.p50Ms / p.postgres.p50Ms)}.`,
    '',
  ];
}

export function renderMarkdown(r: BenchResults): string {
  const L: string[] = [];
  const m = r.machine;
  const noisy = r.loadAverageBefore >= 0.5;
  L.push('# Ferry export benchmarks', '');
  L.push(`Run \`${r.command}\` from ${r.started} to ${r.finished}.`);
  L.push(
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memory_gb} GB RAM, ${m.kernel}, Node ${m.node}. ` +
      `S3: local Ceph RGW 16 (memstore) on loopback, ${r.settings.rgw} instance. Part size ${r.settings.partSizeMiB} MiB, ${r.settings.partsInFlight} parts in flight.` +
      (r.settings.ferryArgs ? ` Ferry started with \`${r.settings.ferryArgs}\`.` : ''),
  );
  L.push(
    `Load average (1 min) before the run: ${r.loadAverageBefore}, after: ${r.loadAverageAfter}.` +
      (noisy
        ? ' **The machine was busy with other work when this run started: figures are noisy** (column "other CPU s" shows how much CPU other processes took during each measurement).'
        : ''),
  );
  L.push('');

  L.push('## Exports', '');
  L.push(
    '| data | format | path | wall s | MB out | MB/s | rows/s | Ferry RSS before → peak MB | CPU s (path) | CPU s radosgw | CPU s ceph-osd | other CPU s |',
  );
  L.push('|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  const order: PathKind[] = [
    'ferry',
    'encode',
    'upload',
    'two-step',
    'postgres',
    'diag-lines-duckdb',
    'diag-lines-js',
    'ferry-null',
    'upload-null',
    'postgres-null',
  ];
  for (const factor of r.factors) {
    for (const dataset of ['lineitem', 'mixed'] as Dataset[]) {
      for (const format of ['parquet', 'csv'] as Format[]) {
        for (const p of order) {
          const x = r.measurements.find(
            (q) => q.factor === factor && q.dataset === dataset && q.format === format && q.path === p,
          );
          if (!x) continue;
          const label = `${dataset} ${scaleLabel(x, dataset)}`;
          if (x.error && !Number.isFinite(x.wallS)) {
            L.push(
              `| ${label} | ${format} | ${PATH_LABEL[p]} | error: ${x.error.replace(/\|/g, '/').slice(0, 120)} | | | | | | | | |`,
            );
            continue;
          }
          if (x.error) {
            L.push(
              `| ${label} | ${format} | ${PATH_LABEL[p]} | ${f1(x.wallS)} (failed: ${x.error.replace(/\|/g, '/').slice(0, 100)}) | | | | ${f0(x.ferryPeakRssMb)} | ${f1(x.cpuS)} | | | |`,
            );
            continue;
          }
          L.push(
            `| ${label} | ${format} | ${PATH_LABEL[p]} | ${f1(x.wallS)} | ${f0(mb(x.bytes))} | ${f1(mb(x.bytes) / x.wallS)} | ${f0(x.rows / x.wallS)} | ${x.ferryPeakRssMb === undefined ? '–' : `${f0(x.ferryRssBeforeMb)} → ${f0(x.ferryPeakRssMb)}`} | ${f1(x.cpuS)} | ${f1(x.rgwCpuS)} | ${f1(x.osdCpuS)} | ${f1(x.otherCpuS)} |`,
          );
        }
      }
    }
  }
  L.push('');
  L.push(
    '"CPU s (path)" is user + sys of the path\'s own processes: the Ferry server; or the reference worker process (DuckDB, or the uploader); for PostgreSQL the uploader plus the PostgreSQL backend that ran the COPY. ' +
      'The two-step row is the encode row followed by the upload row of the same bytes (run one after the other). MB = 10^6 bytes.',
  );
  L.push('');

  const rs = ratios(r);
  L.push('## Ratios and targets', '');
  L.push(
    '| data | format | Ferry / two-step (≤ 0.8) | best possible on this machine | Ferry / max(encode, upload) | Ferry wall s | CPU-bound floor s | Ferry CPU s (JS thread) | Ferry CPU s/GB | encode+upload CPU s/GB | CPU ratio (≤ 1.2) | PostgreSQL / Ferry time (CSV ≥ 1.5) | best possible PostgreSQL / Ferry |',
  );
  L.push('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const x of rs) {
    const ref = r.measurements.find((q) => q.factor === x.factor && q.dataset === x.dataset);
    L.push(
      `| ${x.dataset} ${ref ? scaleLabel(ref, x.dataset) : ''} | ${x.format} | ${f2(x.vsTwoStep)} ${x.vsTwoStep === undefined ? '' : x.vsTwoStep <= 0.8 ? '✓' : '✗'} | ${f2(x.bestVsTwoStep)} | ${f2(x.vsIdeal)} | ${f1(x.ferryWallS)} | ${f1(x.cpuFloorS)} | ${f1(x.ferryCpuS)} (${f1(x.ferryJsCpuS)}) | ${f1(x.ferryCpuPerGb)} | ${f1(x.refCpuPerGb)} | ${f2(x.cpuRatio)} ${x.cpuRatio === undefined ? '' : x.cpuRatio <= 1.2 ? '✓' : '✗'} | ${x.format === 'csv' ? `${f2(x.pgOverFerry)} ${x.pgOverFerry === undefined ? '' : x.pgOverFerry >= 1.5 ? '✓' : '✗'}` : ''} | ${x.format === 'csv' ? f2(x.bestPgOverFerry) : ''} |`,
    );
  }
  L.push('');
  L.push(
    `"Best possible on this machine" = the two-step path's CPU seconds (encode + upload client + radosgw + ceph-osd) / ${r.machine.cores} cores, divided by its wall time: what perfect overlap could reach when CPU, not waiting, binds; above 0.8 the target cannot be met on this machine.`,
  );
  L.push(
    `"Best possible PostgreSQL / Ferry" (CSV) = PostgreSQL's wall time over the shortest time a perfectly overlapped Ferry could take on this machine: max(encode wall, upload wall, (encode + upload client + radosgw + ceph-osd CPU seconds) / ${r.machine.cores} cores), with DuckDB's own CSV writer as the encoder; below 1.5 the CSV target cannot be met here.`,
  );
  L.push(
    `"CPU-bound floor" = (Ferry + radosgw + ceph-osd CPU seconds) / ${r.machine.cores} cores: when Ferry's wall time is close to it, the export is bound by CPU shared with the S3 server (and with other work, see "other CPU s"), not by waiting. "JS thread": Ferry's JavaScript main thread; the rest of Ferry's CPU is DuckDB's workers and libuv's pool.`,
  );
  L.push('');

  // Growth from the smallest to the largest factor.
  const lo = Math.min(...r.factors);
  const hi = Math.max(...r.factors);
  const growth: { dataset: Dataset; format: Format; time?: number; rssLo?: number; rssHi?: number }[] = [];
  if (hi > lo) {
    L.push(`## Growth ×${lo} → ×${hi} (Ferry)`, '');
    L.push(
      `| data | format | wall time ×${hi} / ×${lo} | peak RSS ×${lo} MB | peak RSS ×${hi} MB | RSS ratio (≤ 1.2) | RSS ×${hi} ≤ 512 MB |`,
    );
    L.push('|---|---|--:|--:|--:|--:|--:|');
    for (const dataset of ['lineitem', 'mixed'] as Dataset[]) {
      for (const format of ['parquet', 'csv'] as Format[]) {
        const a = find(r.measurements, lo, dataset, format, 'ferry');
        const b = find(r.measurements, hi, dataset, format, 'ferry');
        if (!a && !b) continue;
        const g = {
          dataset,
          format,
          time: a && b ? b.wallS / a.wallS : undefined,
          rssLo: a?.ferryPeakRssMb,
          rssHi: b?.ferryPeakRssMb,
        };
        growth.push(g);
        const rr = g.rssLo && g.rssHi ? g.rssHi / g.rssLo : undefined;
        L.push(
          `| ${dataset} | ${format} | ${f2(g.time)} | ${f0(g.rssLo)} | ${f0(g.rssHi)} | ${f2(rr)} ${rr === undefined ? '' : rr <= 1.2 ? '✓' : '✗'} | ${g.rssHi === undefined ? '–' : g.rssHi <= 512 ? '✓' : '✗'} |`,
        );
      }
    }
    L.push('');
  }

  L.push('## One-row export (end to end, client-measured)', '');
  L.push('| scale | what | runs | p50 ms | max ms | ≤ 100 ms |');
  L.push('|---|---|--:|--:|--:|--:|');
  for (const o of r.oneRow) {
    const what =
      o.path === 's3-floor'
        ? 'reference: the same 5 S3 requests sent one by one by the bench'
        : `Ferry COPY, ${o.format}`;
    const ok = o.path === 's3-floor' ? '' : o.error ? '✗' : o.p50Ms <= 100 ? '✓' : '✗';
    L.push(
      `| ×${o.factor} | ${what} | ${o.runs} | ${o.error ? `error: ${o.error.slice(0, 80)}` : f1(o.p50Ms)} | ${f1(o.maxMs)} | ${ok} |`,
    );
  }
  L.push('');

  if (r.wire) {
    const w = r.wire;
    L.push('## Wire path: `SELECT 1` over pgwire (`pg` client, simple query)', '');
    L.push('| server | p50 ms | p99 ms | queries/s, 1 client | queries/s, 16 clients |');
    L.push('|---|--:|--:|--:|--:|');
    for (const [name, x] of [
      ['Ferry', w.ferry],
      ['PostgreSQL 15', w.postgres],
    ] as const) {
      L.push(`| ${name} | ${x.p50Ms.toFixed(3)} | ${x.p99Ms.toFixed(3)} | ${f0(x.qps1)} | ${f0(x.qps16)} |`);
    }
    const ratio = w.ferry.p50Ms / w.postgres.p50Ms;
    L.push('', `Ferry p50 / PostgreSQL p50 = ${f2(ratio)} (target ≤ 1.5 ${ratio <= 1.5 ? '✓' : '✗'}).`, '');
  }

  L.push(...renderPointSection(r));
  L.push(...renderNullSection(r));
  L.push(...renderGrowthSection(r));
  L.push(...renderTpchSection(r));

  if (r.parse) L.push(...renderParseSection(r.parse, '##'), '');
  else if (r.parseError)
    L.push('## Front end: first-compile cost of the TPC-H queries', '', `error: ${r.parseError}`, '');

  if (r.source) L.push(renderSourceMarkdown(r.source).replace(/^### /, '## '), '');
  else if (r.sourceError) L.push('## PostgreSQL source', '', `error: ${r.sourceError}`, '');

  if (r.loads.length) {
    L.push('## Data set-up (not part of any figure above)', '');
    L.push(r.loads.map((x) => `×${x.factor}: ${x.what} ${x.seconds.toFixed(1)} s`).join('; ') + '.', '');
  }

  L.push('## Targets', '');
  L.push(...targetLines(r, rs, growth).map((t) => `- ${t}`));
  const t15 = nullTargetLines(r);
  if (t15.length)
    L.push('', 'Against the null S3 endpoint and the analytic engines (issue 15):', '', ...t15.map((t) => `- ${t}`));
  L.push('', '"–" means a measurement it depends on failed or was skipped.');
  return L.join('\n');
}

/** The issue's six targets, each with its verdict, from the ratios and the growth rows. */
function targetLines(r: BenchResults, rs: Ratios[], growth: { rssLo?: number; rssHi?: number }[]): string[] {
  const lo = Math.min(...r.factors);
  const hi = Math.max(...r.factors);
  const all = (xs: (boolean | undefined)[]): boolean | undefined =>
    xs.some((x) => x === undefined) || xs.length === 0 ? undefined : xs.every(Boolean);
  const t1 = all(rs.map((x) => (x.vsTwoStep === undefined ? undefined : x.vsTwoStep <= 0.8)));
  const t2 = all(rs.map((x) => (x.cpuRatio === undefined ? undefined : x.cpuRatio <= 1.2)));
  const t3 = all(growth.map((g) => (g.rssLo && g.rssHi ? g.rssHi / g.rssLo <= 1.2 && g.rssHi <= 512 : undefined)));
  const t4 = all(r.oneRow.filter((o) => o.path !== 's3-floor').map((o) => (o.error ? false : o.p50Ms <= 100)));
  const t5 = all(
    rs.filter((x) => x.format === 'csv').map((x) => (x.pgOverFerry === undefined ? undefined : x.pgOverFerry >= 1.5)),
  );
  const t6 = r.wire ? r.wire.ferry.p50Ms / r.wire.postgres.p50Ms <= 1.5 : undefined;
  return [
    `Export time ≤ 0.8 × two-step, both formats: ${verdict(t1)}`,
    `CPU per GB ≤ 1.2 × (encode + upload): ${verdict(t2)}`,
    `Peak RSS ×${hi} ≤ 1.2 × ×${lo} and ≤ 512 MB: ${verdict(t3)}`,
    `One-row export ≤ 100 ms (p50): ${verdict(t4)}`,
    `CSV ≥ 1.5 × faster than PostgreSQL COPY + upload: ${verdict(t5)}`,
    `SELECT 1 p50 ≤ 1.5 × PostgreSQL: ${verdict(t6)}`,
  ];
}

/** Issue 15's targets: Ferry against its ceilings with the null endpoint, memory, TPC-H. */
function nullTargetLines(r: BenchResults): string[] {
  const rs = nullRatios(r);
  if (rs.length === 0 && !r.tpch) return [];
  const all = (xs: (boolean | undefined)[]): boolean | undefined =>
    xs.some((x) => x === undefined) || xs.length === 0 ? undefined : xs.every(Boolean);
  const lo = Math.min(...r.factors);
  const hi = Math.max(...r.factors);
  const g = nullGrowth(r);
  const out = [
    `Export time ≤ 1.1 × encode ceiling (null S3, both formats, every factor): ${verdict(all(rs.map((x) => (x.vsEncode === undefined ? undefined : x.vsEncode <= 1.1))))}`,
    `CPU per GB ≤ 1.15 × (encode + upload client) (null S3): ${verdict(all(rs.map((x) => (x.cpuRatio === undefined ? undefined : x.cpuRatio <= 1.15))))}`,
    `CSV ≥ 1.5 × faster than PostgreSQL COPY TO STDOUT to the same endpoint: ${verdict(all(rs.filter((x) => x.format === 'csv').map((x) => (x.pgOverFerry === undefined ? undefined : x.pgOverFerry >= 1.5))))}`,
    `Peak RSS ≤ 512 MB and ×${hi} / ×${lo} ≤ 1.2 with the default settings (null S3): ${verdict(hi > lo ? all(g.map((x) => (x.rssLo && x.rssHi ? x.rssHi <= 512 && x.rssLo <= 512 && x.rssHi / x.rssLo <= 1.2 : undefined))) : undefined)}`,
  ];
  const tr = tpchRatios(r);
  if (r.tpch)
    out.push(
      `TPC-H SF ${r.tpch.sf}: Ferry ≤ 1.1 × DuckDB in-process in total: ${verdict(tr.ferryOverDuckdb === undefined ? undefined : tr.ferryOverDuckdb <= 1.1)}`,
    );
  return out;
}

/** Peak RSS and time per factor of the null-endpoint exports (or the RGW ones when absent). */
export function nullGrowth(r: BenchResults): { dataset: Dataset; format: Format; rssLo?: number; rssHi?: number }[] {
  const lo = Math.min(...r.factors);
  const hi = Math.max(...r.factors);
  const out: { dataset: Dataset; format: Format; rssLo?: number; rssHi?: number }[] = [];
  for (const dataset of ['lineitem', 'mixed'] as Dataset[])
    for (const format of ['parquet', 'csv'] as Format[]) {
      const a = find(r.measurements, lo, dataset, format, 'ferry-null');
      const b = find(r.measurements, hi, dataset, format, 'ferry-null');
      if (a || b) out.push({ dataset, format, rssLo: a?.ferryPeakRssMb, rssHi: b?.ferryPeakRssMb });
    }
  return out;
}

function renderGrowthSection(r: BenchResults): string[] {
  if (r.factors.length < 2) return [];
  const L: string[] = ['## How cost grows (Ferry, every factor)', ''];
  L.push(`![Export time and peak RSS per factor](${GROWTH_SVG})`, '');
  L.push(
    `| data | format | path | ${r.factors.map((f) => `×${f} wall s`).join(' | ')} | ${r.factors.map((f) => `×${f} peak RSS MB`).join(' | ')} |`,
  );
  L.push(`|---|---|---|${r.factors.map(() => '--:').join('|')}|${r.factors.map(() => '--:').join('|')}|`);
  for (const p of ['ferry', 'ferry-null'] as PathKind[])
    for (const dataset of ['lineitem', 'mixed'] as Dataset[])
      for (const format of ['parquet', 'csv'] as Format[]) {
        const ms = r.factors.map((f) => find(r.measurements, f, dataset, format, p));
        if (ms.every((m) => !m)) continue;
        L.push(
          `| ${dataset} | ${format} | ${PATH_LABEL[p]} | ${ms.map((m) => f1(m?.wallS)).join(' | ')} | ${ms.map((m) => f0(m?.ferryPeakRssMb)).join(' | ')} |`,
        );
      }
  L.push('');
  return L;
}

/** Where the growth chart is written, relative to docs/ and bench/results/. */
export const GROWTH_SVG = 'benchmarks-growth.svg';

/**
 * The growth chart as SVG: export wall time (left) and Ferry's peak RSS (right) against
 * the size factor, one line per data set and format, for the null-endpoint exports (the
 * RGW ones when there are none).
 */
export function growthSvg(r: BenchResults): string {
  const p: PathKind = r.measurements.some((m) => m.path === 'ferry-null') ? 'ferry-null' : 'ferry';
  const series = (['lineitem', 'mixed'] as Dataset[])
    .flatMap((dataset) =>
      (['parquet', 'csv'] as Format[]).map((format) => ({
        name: `${dataset} ${format}`,
        pts: r.factors.map((f) => ({ f, m: find(r.measurements, f, dataset, format, p) })).filter((x) => x.m),
      })),
    )
    .filter((s) => s.pts.length > 0);
  const colors = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728'];
  const W = 360;
  const H = 240;
  const pad = { l: 48, r: 12, t: 28, b: 36 };
  const maxF = Math.max(...r.factors);
  const panel = (
    x0: number,
    title: string,
    value: (m: Measurement) => number,
    unit: string,
    limit?: number,
  ): string => {
    const vals = series.flatMap((s) => s.pts.map((q) => value(q.m!)));
    const maxV = Math.max(limit ?? 0, ...vals) * 1.1 || 1;
    const X = (f: number): number => x0 + pad.l + ((W - pad.l - pad.r) * Math.log2(f)) / Math.max(1, Math.log2(maxF));
    const Y = (v: number): number => pad.t + (H - pad.t - pad.b) * (1 - v / maxV);
    const out: string[] = [];
    out.push(`<text x="${x0 + W / 2}" y="16" text-anchor="middle" font-size="13">${title}</text>`);
    out.push(`<line x1="${x0 + pad.l}" y1="${Y(0)}" x2="${x0 + W - pad.r}" y2="${Y(0)}" stroke="#888"/>`);
    out.push(`<line x1="${x0 + pad.l}" y1="${pad.t}" x2="${x0 + pad.l}" y2="${Y(0)}" stroke="#888"/>`);
    for (const f of r.factors)
      out.push(`<text x="${X(f)}" y="${H - pad.b + 16}" text-anchor="middle" font-size="11">×${f}</text>`);
    for (let i = 0; i <= 4; i++) {
      const v = (maxV / 4) * i;
      out.push(
        `<text x="${x0 + pad.l - 4}" y="${Y(v) + 4}" text-anchor="end" font-size="10">${v < 10 ? v.toFixed(1) : Math.round(v)}</text>`,
      );
    }
    out.push(`<text x="${x0 + 12}" y="${pad.t - 8}" font-size="10">${unit}</text>`);
    if (limit !== undefined)
      out.push(
        `<line x1="${x0 + pad.l}" y1="${Y(limit)}" x2="${x0 + W - pad.r}" y2="${Y(limit)}" stroke="#999" stroke-dasharray="4 3"/><text x="${x0 + W - pad.r}" y="${Y(limit) - 3}" text-anchor="end" font-size="10">${limit} ${unit}</text>`,
      );
    series.forEach((s, i) => {
      const pts = s.pts.map((q) => `${X(q.f).toFixed(1)},${Y(value(q.m!)).toFixed(1)}`).join(' ');
      out.push(`<polyline fill="none" stroke="${colors[i % colors.length]}" stroke-width="2" points="${pts}"/>`);
      for (const q of s.pts)
        out.push(
          `<circle cx="${X(q.f).toFixed(1)}" cy="${Y(value(q.m!)).toFixed(1)}" r="3" fill="${colors[i % colors.length]}"/>`,
        );
    });
    return out.join('\n');
  };
  const legend = series
    .map(
      (s, i) =>
        `<rect x="${20 + i * 170}" y="${H + 4}" width="12" height="12" fill="${colors[i % colors.length]}"/><text x="${36 + i * 170}" y="${H + 14}" font-size="12">${s.name}</text>`,
    )
    .join('\n');
  const where = p === 'ferry-null' ? 'null S3 endpoint' : 'local RGW';
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 24}" viewBox="0 0 ${2 * W} ${H + 24}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    panel(0, `Export wall time (${where})`, (m) => m.wallS, 's'),
    panel(W, 'Ferry peak RSS', (m) => m.ferryPeakRssMb ?? 0, 'MB', 512),
    legend,
    '</svg>',
    '',
  ].join('\n');
}

/**
 * The README's block: Ferry's exports at the largest factor against the references, the
 * one-row export, `SELECT 1`, and the targets. docs/benchmarks.md holds every figure.
 */
export function renderSummary(r: BenchResults): string {
  const lo = Math.min(...r.factors);
  const hi = Math.max(...r.factors);
  const rs = ratios(r);
  const m = r.machine;
  const L: string[] = [];
  L.push(
    `\`${r.command}\`, ${r.started.slice(0, 16).replace('T', ' ')} UTC, ${m.cpu} with ${m.cores} cores and ${m.memory_gb} GB RAM, ` +
      `local Ceph RGW on the same cores (load average ${r.loadAverageBefore} at the start). Exports at ×${hi}:`,
    '',
  );
  L.push(
    '| data | format | Ferry wall s | MB/s | Ferry peak RSS MB | Ferry / two-step | Ferry CPU / (encode + upload) | PostgreSQL / Ferry time |',
  );
  L.push('|---|---|--:|--:|--:|--:|--:|--:|');
  for (const x of rs.filter((q) => q.factor === hi)) {
    const fe = find(r.measurements, hi, x.dataset, x.format, 'ferry');
    if (!fe) continue;
    L.push(
      `| ${x.dataset} ${scaleLabel(fe, x.dataset)} | ${x.format} | ${f1(fe.wallS)} | ${f1(mb(fe.bytes) / fe.wallS)} | ${f0(fe.ferryPeakRssMb)} | ${f2(x.vsTwoStep)} | ${f2(x.cpuRatio)} | ${x.format === 'csv' ? f2(x.pgOverFerry) : ''} |`,
    );
  }
  const one = r.oneRow.filter((o) => o.path === 'ferry' && !o.error);
  const growth = (['lineitem', 'mixed'] as Dataset[])
    .flatMap((dataset) =>
      (['parquet', 'csv'] as Format[]).map((format) => ({
        rssLo: find(r.measurements, lo, dataset, format, 'ferry')?.ferryPeakRssMb,
        rssHi: find(r.measurements, hi, dataset, format, 'ferry')?.ferryPeakRssMb,
      })),
    )
    .filter((g) => g.rssLo !== undefined || g.rssHi !== undefined);
  L.push('');
  if (one.length)
    L.push(`One-row export p50: ${one.map((o) => `${o.format} ×${o.factor} ${f1(o.p50Ms)} ms`).join(', ')}.`);
  if (r.wire)
    L.push(
      `\`SELECT 1\` p50: Ferry ${r.wire.ferry.p50Ms.toFixed(3)} ms, PostgreSQL ${r.wire.postgres.p50Ms.toFixed(3)} ms.`,
    );
  const tr = tpchRatios(r);
  if (r.tpch)
    L.push(
      `TPC-H SF ${r.tpch.sf} (22 queries, warm): Ferry / DuckDB in-process ${f2(tr.ferryOverDuckdb)}` +
        (tr.limitCost !== undefined ? `, cost of the default memory limit ${f2(tr.limitCost)} ×` : '') +
        (tr.postgresOverFerry !== undefined
          ? `, PostgreSQL / Ferry ${f2(tr.postgresOverFerry)}`
          : tr.postgresFinished !== undefined
            ? `, PostgreSQL finished ${tr.postgresFinished}/22 within ${r.tpch.timeoutS} s (${f2(tr.postgresOverFerryFinished)} × Ferry's time on those)`
            : '') +
        '.',
    );
  if (r.point)
    L.push(
      `Prepared point query on ${r.point.rows.toLocaleString('en-US')} rows, p50: Ferry ${r.point.ferry.p50Ms.toFixed(3)} ms, PostgreSQL ${r.point.postgres.p50Ms.toFixed(3)} ms.`,
    );
  L.push('', 'Targets (issue 6):', '');
  L.push(...targetLines(r, rs, hi > lo ? growth : []).map((t) => `- ${t}`));
  const t15 = nullTargetLines(r);
  if (t15.length)
    L.push(
      '',
      'Targets against the null S3 endpoint and analytic engines (issue 15):',
      '',
      ...t15.map((t) => `- ${t}`),
    );
  return L.join('\n');
}

/**
 * The front end's cost per TPC-H query (bench/parse.ts) as a Markdown section: a heading
 * of level `level`, what was measured, the table and the summary over the queries.
 */
export function renderParseSection(p: ParseBenchResult, level = '#'): string[] {
  const m = p.machine;
  const us = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
  const L: string[] = [];
  L.push(`${level} Front end: first-compile cost of the TPC-H queries`, '');
  L.push(
    `\`${p.command}\`, ${p.started.slice(0, 16).replace('T', ' ')} UTC, ${m.cpu}, ${m.cores} cores, Node ${m.node} ` +
      `(load average ${p.loadAverageBefore} at the start). Each figure is over ${p.runs} fresh compiles of the query ` +
      `(its text made unique each time, so no cache can answer) after ${p.warmup} unmeasured rounds over all queries, ` +
      'against a catalog holding the eight TPC-H relations. "Compile" is what the server does for a statement it has ' +
      'not seen: the Materialize pre-pass, the libpg-query parse, name resolution and transforms, and printing the ' +
      'engine\'s SQL; "parse" is libpg-query\'s parse of the same text alone.',
    '',
  );
  L.push('| query | chars | compile p50 µs | compile p90 µs | parse p50 µs | parse / compile |');
  L.push('|---|--:|--:|--:|--:|--:|');
  for (const q of p.queries) {
    L.push(
      `| ${q.name} | ${q.chars} | ${us(q.compileP50Us)} | ${us(q.compileP90Us)} | ${us(q.parseP50Us)} | ${Math.round((100 * q.parseP50Us) / q.compileP50Us)} % |`,
    );
  }
  const s = p.summary;
  L.push(
    '',
    `Compile p50 over the ${p.queries.length} queries: min ${us(s.minUs)} µs (${s.minQuery}), median ${us(s.medianUs)} µs, ` +
      `max ${us(s.maxUs)} µs (${s.maxQuery}); the parse alone: median ${us(s.parseMedianUs)} µs.`,
  );
  return L;
}
