// The 22 TPC-H queries (bench/tpch-queries.ts) over pgwire against a real server, on the
// TPCH load generator at scale factor 0.01: each runs, returns PostgreSQL's column names
// (checked against PostgreSQL 15 running the same texts), and, where the result size does
// not depend on the scale factor, the right number of rows. A few results are compared
// with the same figure computed by a differently written query (explicit date bounds, no
// interval arithmetic, other join forms).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { TPCH_QUERIES, type TpchQueryName } from '../../bench/tpch-queries.js';
import { type FerryProcess, startFerry } from '../support/ferry.js';

let ferry: FerryProcess;
let client: pg.Client;

const NUMERIC = 1700;

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await client.query<Record<string, unknown>>(sql)).rows;
}

async function scalar(sql: string): Promise<string> {
  const r = await client.query({ text: sql, rowMode: 'array' });
  return String(r.rows[0]![0]);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

before(async () => {
  ferry = await startFerry();
  client = new pg.Client(ferry.pgConfig());
  await client.connect();
  await client.query('CREATE SOURCE tpch FROM LOAD GENERATOR TPCH (SCALE FACTOR 0.01) FOR ALL TABLES');
  // The statement returns once the data is written; wait for every table to be readable
  // all the same, so a failure below is about a query and not about the set-up.
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if (
        (await scalar('SELECT count(*) FROM region')) === '5' &&
        Number(await scalar('SELECT count(*) FROM lineitem')) > 0
      )
        break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error('the TPCH source did not become readable in 60 s');
    await sleep(200);
  }
});

after(async () => {
  await client?.end().catch(() => undefined);
  await ferry?.stop();
});

/** Output columns as PostgreSQL 15 names them for the same query text. */
const COLUMNS: Record<TpchQueryName, string[]> = {
  q1: [
    'l_returnflag',
    'l_linestatus',
    'sum_qty',
    'sum_base_price',
    'sum_disc_price',
    'sum_charge',
    'avg_qty',
    'avg_price',
    'avg_disc',
    'count_order',
  ],
  q2: ['s_acctbal', 's_name', 'n_name', 'p_partkey', 'p_mfgr', 's_address', 's_phone', 's_comment'],
  q3: ['l_orderkey', 'revenue', 'o_orderdate', 'o_shippriority'],
  q4: ['o_orderpriority', 'order_count'],
  q5: ['n_name', 'revenue'],
  q6: ['revenue'],
  q7: ['supp_nation', 'cust_nation', 'l_year', 'revenue'],
  q8: ['o_year', 'mkt_share'],
  q9: ['nation', 'o_year', 'sum_profit'],
  q10: ['c_custkey', 'c_name', 'revenue', 'c_acctbal', 'n_name', 'c_address', 'c_phone', 'c_comment'],
  q11: ['ps_partkey', 'value'],
  q12: ['l_shipmode', 'high_line_count', 'low_line_count'],
  q13: ['c_count', 'custdist'],
  q14: ['promo_revenue'],
  q15: ['s_suppkey', 's_name', 's_address', 's_phone', 'total_revenue'],
  q16: ['p_brand', 'p_type', 'p_size', 'supplier_cnt'],
  q17: ['avg_yearly'],
  q18: ['c_name', 'c_custkey', 'o_orderkey', 'o_orderdate', 'o_totalprice', 'sum'],
  q19: ['revenue'],
  q20: ['s_name', 's_address'],
  q21: ['s_name', 'numwait'],
  q22: ['cntrycode', 'numcust', 'totacctbal'],
};

/**
 * How many rows each query returns: exact where the answer's size is fixed by the data's
 * domains (Q1: 4 flag/status pairs, Q4: 5 priorities, Q12: 2 ship modes, single-row
 * aggregates), otherwise the bound the query's groups or LIMIT set.
 */
const ROWS: Record<TpchQueryName, { exactly?: number; min?: number; max?: number }> = {
  q1: { exactly: 4 },
  q2: { min: 1, max: 100 },
  q3: { min: 1, max: 10 },
  q4: { exactly: 5 },
  q5: { min: 1, max: 5 },
  q6: { exactly: 1 },
  q7: { min: 1, max: 4 },
  q8: { min: 1, max: 2 },
  q9: { min: 1, max: 25 * 7 },
  q10: { min: 1, max: 20 },
  q11: { min: 1 },
  q12: { exactly: 2 },
  q13: { min: 1 },
  q14: { exactly: 1 },
  q15: { min: 1 },
  q16: { min: 1 },
  q17: { exactly: 1 },
  q18: { max: 100 },
  q19: { exactly: 1 },
  q20: {},
  q21: { max: 100 },
  q22: { min: 1, max: 7 },
};

const results = new Map<TpchQueryName, pg.QueryResult>();

for (const q of TPCH_QUERIES) {
  test(`TPC-H ${q.name}: runs, PostgreSQL's column names, ${describe(ROWS[q.name])}`, async () => {
    const r = await client.query(q.sql);
    results.set(q.name, r);
    assert.deepEqual(
      r.fields.map((f) => f.name),
      COLUMNS[q.name],
    );
    const n = r.rows.length;
    const want = ROWS[q.name];
    if (want.exactly !== undefined) assert.equal(n, want.exactly, `${q.name} returned ${n} rows`);
    if (want.min !== undefined) assert.ok(n >= want.min, `${q.name} returned ${n} rows, at least ${want.min} expected`);
    if (want.max !== undefined) assert.ok(n <= want.max, `${q.name} returned ${n} rows, at most ${want.max} expected`);
  });
}

function describe(w: { exactly?: number; min?: number; max?: number }): string {
  if (w.exactly !== undefined) return `${w.exactly} row${w.exactly === 1 ? '' : 's'}`;
  if (w.min !== undefined && w.max !== undefined) return `${w.min}–${w.max} rows`;
  if (w.min !== undefined) return `at least ${w.min} row`;
  if (w.max !== undefined) return `at most ${w.max} rows`;
  return 'any number of rows';
}

function result(name: TpchQueryName): Record<string, unknown>[] {
  const r = results.get(name);
  assert.ok(r, `${name} did not run`);
  return r.rows as Record<string, unknown>[];
}

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

test('Q1: the four flag/status groups, counted again with the date bound written out', async () => {
  const q1 = result('q1');
  const again = await rows(`SELECT l_returnflag AS f, l_linestatus AS s, count(*) AS n, sum(l_quantity) AS q
    FROM lineitem WHERE l_shipdate <= DATE '1998-09-02' GROUP BY 1, 2 ORDER BY 1, 2`);
  assert.deepEqual(
    q1.map((x) => [x.l_returnflag, x.l_linestatus, x.count_order, x.sum_qty]),
    again.map((x) => [x.f, x.s, x.n, x.q]),
  );
  assert.deepEqual(
    q1.map((x) => `${String(x.l_returnflag)}${String(x.l_linestatus)}`),
    ['AF', 'NF', 'NO', 'RF'],
  );
});

test('Q4: order counts per priority, counted again with IN and explicit dates', async () => {
  const again = await rows(`SELECT o_orderpriority AS p, count(*) AS n FROM orders
    WHERE o_orderdate >= DATE '1993-07-01' AND o_orderdate < DATE '1993-10-01'
      AND o_orderkey IN (SELECT l_orderkey FROM lineitem WHERE l_receiptdate > l_commitdate)
    GROUP BY 1 ORDER BY 1`);
  assert.deepEqual(
    result('q4').map((x) => [x.o_orderpriority, x.order_count]),
    again.map((x) => [x.p, x.n]),
  );
  assert.deepEqual(
    result('q4').map((x) => x.o_orderpriority),
    ['1-URGENT', '2-HIGH', '3-MEDIUM', '4-NOT SPECIFIED', '5-LOW'],
  );
});

test('Q5: only nations of ASIA', () => {
  for (const x of result('q5'))
    assert.ok(['INDIA', 'INDONESIA', 'JAPAN', 'CHINA', 'VIETNAM'].includes(String(x.n_name)));
});

test('Q6: the revenue equals a hand-written sum over lineitem with the same filter', async () => {
  const revenue = await scalar(`SELECT sum(l_extendedprice * l_discount) FROM lineitem
    WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01'
      AND l_discount >= 0.05 AND l_discount <= 0.07 AND l_quantity < 24`);
  assert.equal(result('q6')[0]!.revenue, revenue);
  assert.ok(Number(revenue) > 0);
});

test('Q7, Q8, Q9: extract(year …) gives the years of the date range, as numeric', () => {
  const q7 = result('q7');
  for (const x of q7) assert.ok(['1995', '1996'].includes(String(x.l_year)), String(x.l_year));
  assert.equal(results.get('q7')!.fields[2]!.dataTypeID, NUMERIC);
  for (const x of result('q8')) assert.ok(['1995', '1996'].includes(String(x.o_year)), String(x.o_year));
  for (const x of result('q9')) assert.ok(Number(x.o_year) >= 1992 && Number(x.o_year) <= 1998, String(x.o_year));
});

test('Q12: line counts per ship mode add up to the lines that match the filter', async () => {
  const again = await rows(`SELECT l_shipmode AS m, count(*) AS n FROM lineitem JOIN orders ON o_orderkey = l_orderkey
    WHERE l_shipmode IN ('MAIL', 'SHIP') AND l_commitdate < l_receiptdate AND l_shipdate < l_commitdate
      AND l_receiptdate >= DATE '1994-01-01' AND l_receiptdate < DATE '1995-01-01'
    GROUP BY 1 ORDER BY 1`);
  assert.deepEqual(
    result('q12').map((x) => [x.l_shipmode, String(Number(x.high_line_count) + Number(x.low_line_count))]),
    again.map((x) => [x.m, x.n]),
  );
});

test('Q13: every customer is counted once', async () => {
  const total = result('q13').reduce((s, x) => s + Number(x.custdist), 0);
  assert.equal(String(total), await scalar('SELECT count(*) FROM customer'));
});

test('Q14: the promotion share from two sums computed separately', async () => {
  const [s] =
    await rows(`SELECT sum(CASE WHEN p_type LIKE 'PROMO%' THEN l_extendedprice * (1 - l_discount) ELSE 0 END) AS promo,
      sum(l_extendedprice * (1 - l_discount)) AS total
    FROM lineitem JOIN part ON p_partkey = l_partkey
    WHERE l_shipdate >= DATE '1995-09-01' AND l_shipdate < DATE '1995-10-01'`);
  const expected = (100 * Number(s!.promo)) / Number(s!.total);
  const actual = Number(result('q14')[0]!.promo_revenue);
  assert.ok(close(actual, expected), `${actual} ≠ ${expected}`);
});

test("Q15: the top supplier's revenue is the largest quarterly revenue of any supplier", async () => {
  const top = await scalar(`SELECT max(r) FROM (SELECT l_suppkey, sum(l_extendedprice * (1 - l_discount)) AS r
    FROM lineitem WHERE l_shipdate >= DATE '1996-01-01' AND l_shipdate < DATE '1996-04-01' GROUP BY l_suppkey) AS x`);
  for (const x of result('q15')) assert.equal(x.total_revenue, top);
});

test('Q22: country codes are the ones asked for', () => {
  const codes = result('q22').map((x) => String(x.cntrycode));
  for (const c of codes) assert.ok(['13', '31', '23', '29', '30', '18', '17'].includes(c), c);
  assert.deepEqual(codes, [...codes].sort());
});
