/**
 * `node dist/bench/parse.js [--runs N] [--warmup N] [--queries q1,q6]`: the front end's
 * cost for each of the 22 TPC-H queries (bench/tpch-queries.ts) when the server has not
 * seen the statement before — the Materialize pre-pass, the libpg-query parse, name
 * resolution and transforms, and printing the engine's SQL (`compile()` in
 * src/sql/frontend.ts) — against a catalog holding the eight TPC-H relations as the TPCH
 * load generator registers them. Also libpg-query's parse of the same text alone.
 *
 * `compile()` itself keeps nothing between calls; the session's cache of compiled
 * statements (src/adapter/session.ts), keyed by the text, is not involved. Each run's
 * text still ends in a comment of its own, so no cache anywhere could answer. Runs are
 * measured after a warm-up over all queries (the server's code is warm when a new
 * statement arrives), in this process only; nothing touches the engine.
 *
 * Prints a Markdown table and, as the last line, the results as JSON (bench/run.ts reads
 * that line and puts the table into `npm run bench`'s report).
 */
import { parseSync } from 'libpg-query';
import { TPCH_TABLES } from '../src/loadgen/tpch.js';
import { type NameScope, type ResolvedRelation, compile } from '../src/sql/frontend.js';
import { initPgParser } from '../src/sql/pg/parse.js';
import { prepass } from '../src/sql/prepass.js';
import { numberFlag, readFlags } from './flags.js';
import { loadAverage1, machineInfo } from './proc.js';
import { type ParseBenchResult, type ParseQueryResult, renderParseSection } from './report.js';
import { TPCH_QUERIES } from './tpch-queries.js';

const USAGE = `usage: node dist/bench/parse.js [options]
  --runs N         fresh compiles measured per query (default 200)
  --warmup N       unmeasured rounds over all queries first (default 20)
  --queries LIST   only these, e.g. q1,q6 (default: all 22)
  -h, --help       this text
Prints a Markdown table, then one line of JSON with every figure (microseconds).`;

interface Args {
  runs: number;
  warmup: number;
  queries: string[] | null;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { runs: 200, warmup: 20, queries: null };
  readFlags(argv, USAGE, {
    '--runs': numberFlag('--runs', (x) => (a.runs = x)),
    '--warmup': numberFlag('--warmup', (x) => (a.warmup = x)),
    '--queries': { value: (v) => (a.queries = v.split(',')) },
  });
  if (!Number.isInteger(a.runs) || a.runs < 1 || !Number.isInteger(a.warmup) || a.warmup < 0) {
    throw new Error(`--runs must be a positive integer and --warmup a non-negative one\n${USAGE}`);
  }
  const unknown = a.queries?.filter((q) => !TPCH_QUERIES.some((t) => t.name === q)) ?? [];
  if (unknown.length) throw new Error(`unknown queries ${unknown.join(', ')}\n${USAGE}`);
  return a;
}

/** The catalog as a session sees it after `CREATE SOURCE tpch FROM LOAD GENERATOR TPCH … FOR ALL TABLES`. */
function tpchScope(): NameScope {
  const rels = new Map<string, ResolvedRelation>();
  Object.keys(TPCH_TABLES).forEach((name, i) => {
    rels.set(`public\u0000${name}`, { id: `u${i + 3}`, schema: 'public', name, kind: 'source' });
  });
  const schemas = new Set(['public', 'mz_catalog', 'mz_internal', 'pg_catalog', 'information_schema']);
  return {
    relation: (schema, name) => rels.get(`${schema}\u0000${name}`) ?? null,
    schemaExists: (schema) => schemas.has(schema),
    searchPath: ['public'],
    user: 'materialize',
    rowOwner: null,
  };
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.ceil(pos)]! - s[lo]!) * (pos - lo);
}

const tenth = (x: number): number => Math.round(x * 10) / 10;

async function measureParse(args: Args, command: string): Promise<ParseBenchResult> {
  await initPgParser();
  const scope = tpchScope();
  const queries = TPCH_QUERIES.filter((q) => args.queries === null || args.queries.includes(q.name));
  const started = new Date().toISOString();
  const loadBefore = loadAverage1();
  let serial = 0;
  const fresh = (sql: string): string => `${sql}\n-- bench run ${serial++}`;
  for (let w = 0; w < args.warmup; w++) {
    for (const q of queries) {
      const text = fresh(q.sql);
      compile(text, scope);
      parseSync(prepass(text).sql);
    }
  }
  const out: ParseQueryResult[] = [];
  for (const q of queries) {
    const compileUs: number[] = [];
    const parseUs: number[] = [];
    for (let i = 0; i < args.runs; i++) {
      const text = fresh(q.sql);
      let t0 = performance.now();
      compile(text, scope);
      compileUs.push((performance.now() - t0) * 1000);
      const pre = prepass(text).sql;
      t0 = performance.now();
      parseSync(pre);
      parseUs.push((performance.now() - t0) * 1000);
    }
    out.push({
      name: q.name,
      chars: q.sql.length,
      compileP50Us: tenth(quantile(compileUs, 0.5)),
      compileP90Us: tenth(quantile(compileUs, 0.9)),
      parseP50Us: tenth(quantile(parseUs, 0.5)),
    });
  }
  const byCost = [...out].sort((a, b) => a.compileP50Us - b.compileP50Us);
  return {
    started,
    command,
    machine: machineInfo(),
    loadAverageBefore: loadBefore,
    runs: args.runs,
    warmup: args.warmup,
    queries: out,
    summary: {
      minUs: byCost[0]?.compileP50Us ?? NaN,
      minQuery: byCost[0]?.name ?? '',
      medianUs: tenth(
        quantile(
          out.map((q) => q.compileP50Us),
          0.5,
        ),
      ),
      maxUs: byCost[byCost.length - 1]?.compileP50Us ?? NaN,
      maxQuery: byCost[byCost.length - 1]?.name ?? '',
      parseMedianUs: tenth(
        quantile(
          out.map((q) => q.parseP50Us),
          0.5,
        ),
      ),
    },
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const args = parseArgs(argv);
  const command = ['node dist/bench/parse.js', ...argv].join(' ');
  const r = await measureParse(args, command);
  process.stdout.write(renderParseSection(r).join('\n') + '\n\n');
  process.stdout.write(JSON.stringify(r) + '\n');
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
