// Load generator sources against a real server: TPCH at SF 0.01, AUCTION, COUNTER,
// SHOW SOURCES, DROP SOURCE, determinism across servers, and a restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { type FerryProcess, startFerry } from '../support/ferry.js';

let ferry: FerryProcess;
let client: pg.Client;

async function connect(f: FerryProcess): Promise<pg.Client> {
  const c = new pg.Client(f.pgConfig());
  await c.connect();
  return c;
}

async function rows<R extends pg.QueryResultRow = Record<string, unknown>>(
  sql: string,
  c: pg.Client = client,
): Promise<R[]> {
  return (await c.query<R>(sql)).rows;
}

async function scalar(sql: string, c: pg.Client = client): Promise<string> {
  const r = await c.query({ text: sql, rowMode: 'array' });
  return String(r.rows[0]![0]);
}

async function fails(sql: string, code: string, message?: string | RegExp): Promise<void> {
  await assert.rejects(client.query(sql), (err: { code?: string; message?: string }) => {
    assert.equal(err.code, code, `${sql}: ${err.message}`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else if (message) assert.match(err.message ?? '', message);
    return true;
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

before(async () => {
  ferry = await startFerry();
  client = await connect(ferry);
});

after(async () => {
  await client?.end().catch(() => undefined);
  await ferry?.stop();
});

// PostgreSQL type OIDs as clients see them.
const INT8 = 20;
const INT4 = 23;
const TEXT = 25;
const NUMERIC = 1700;
const DATE = 1082;
const TIMESTAMPTZ = 1184;

const TPCH_COLUMNS: Record<string, [string, number][]> = {
  supplier: [
    ['s_suppkey', INT8],
    ['s_name', TEXT],
    ['s_address', TEXT],
    ['s_nationkey', INT8],
    ['s_phone', TEXT],
    ['s_acctbal', NUMERIC],
    ['s_comment', TEXT],
  ],
  part: [
    ['p_partkey', INT8],
    ['p_name', TEXT],
    ['p_mfgr', TEXT],
    ['p_brand', TEXT],
    ['p_type', TEXT],
    ['p_size', INT4],
    ['p_container', TEXT],
    ['p_retailprice', NUMERIC],
    ['p_comment', TEXT],
  ],
  partsupp: [
    ['ps_partkey', INT8],
    ['ps_suppkey', INT8],
    ['ps_availqty', INT4],
    ['ps_supplycost', NUMERIC],
    ['ps_comment', TEXT],
  ],
  customer: [
    ['c_custkey', INT8],
    ['c_name', TEXT],
    ['c_address', TEXT],
    ['c_nationkey', INT8],
    ['c_phone', TEXT],
    ['c_acctbal', NUMERIC],
    ['c_mktsegment', TEXT],
    ['c_comment', TEXT],
  ],
  orders: [
    ['o_orderkey', INT8],
    ['o_custkey', INT8],
    ['o_orderstatus', TEXT],
    ['o_totalprice', NUMERIC],
    ['o_orderdate', DATE],
    ['o_orderpriority', TEXT],
    ['o_clerk', TEXT],
    ['o_shippriority', INT4],
    ['o_comment', TEXT],
  ],
  lineitem: [
    ['l_orderkey', INT8],
    ['l_partkey', INT8],
    ['l_suppkey', INT8],
    ['l_linenumber', INT4],
    ['l_quantity', NUMERIC],
    ['l_extendedprice', NUMERIC],
    ['l_discount', NUMERIC],
    ['l_tax', NUMERIC],
    ['l_returnflag', TEXT],
    ['l_linestatus', TEXT],
    ['l_shipdate', DATE],
    ['l_commitdate', DATE],
    ['l_receiptdate', DATE],
    ['l_shipinstruct', TEXT],
    ['l_shipmode', TEXT],
    ['l_comment', TEXT],
  ],
  nation: [
    ['n_nationkey', INT8],
    ['n_name', TEXT],
    ['n_regionkey', INT8],
    ['n_comment', TEXT],
  ],
  region: [
    ['r_regionkey', INT8],
    ['r_name', TEXT],
    ['r_comment', TEXT],
  ],
};

/** An order-insensitive checksum of a relation's rows (optionally some columns only). */
async function checksum(c: pg.Client, table: string, cols = '*'): Promise<string> {
  const r = await c.query({
    text: `SELECT count(*), md5(string_agg(h, ',' ORDER BY h)) FROM (SELECT md5(x::VARCHAR) AS h FROM (SELECT ${cols} FROM ${table}) x) y`,
    rowMode: 'array',
  });
  return `${r.rows[0]![0]}:${r.rows[0]![1]}`;
}

test('TPCH at scale factor 0.01: row counts, column names and types', async () => {
  await client.query('CREATE SOURCE tpch FROM LOAD GENERATOR TPCH (SCALE FACTOR 0.01) FOR ALL TABLES');
  const expected: Record<string, number> = {
    supplier: 100,
    part: 2_000,
    partsupp: 8_000,
    customer: 1_500,
    orders: 15_000,
    nation: 25,
    region: 5,
  };
  for (const [t, n] of Object.entries(expected)) assert.equal(await scalar(`SELECT count(*) FROM ${t}`), String(n), t);
  const lines = Number(await scalar('SELECT count(*) FROM lineitem'));
  assert.ok(lines > 57_000 && lines < 63_000, `lineitem has ${lines} rows, about 60,000 expected`);
  for (const [t, cols] of Object.entries(TPCH_COLUMNS)) {
    const r = await client.query(`SELECT * FROM ${t} LIMIT 1`);
    assert.deepEqual(
      r.fields.map((f) => [f.name, f.dataTypeID]),
      cols,
      t,
    );
  }
  // Decimal(15,2) prices keep two decimals.
  const r = await client.query('SELECT * FROM lineitem LIMIT 0');
  assert.equal(r.fields.find((f) => f.name === 'l_extendedprice')!.dataTypeModifier, ((15 << 16) | 2) + 4);
});

test('TPCH value domains and keys', async () => {
  const [d] =
    await rows(`SELECT min(o_orderdate)::TEXT AS lo, max(o_orderdate)::TEXT AS hi, max(l_receiptdate)::TEXT AS last,
      count(DISTINCT l_returnflag) AS flags, count(DISTINCT l_shipmode) AS modes, min(l_linenumber) AS minl, max(l_linenumber) AS maxl,
      min(l_discount)::TEXT AS mind, max(l_discount)::TEXT AS maxd, min(l_quantity)::TEXT AS minq, max(l_quantity)::TEXT AS maxq
    FROM orders JOIN lineitem ON l_orderkey = o_orderkey`);
  assert.ok(String(d!.lo) >= '1992-01-01' && String(d!.hi) <= '1998-08-02', JSON.stringify(d));
  assert.ok(String(d!.last) <= '1998-12-31');
  assert.equal(Number(d!.flags), 3);
  assert.equal(Number(d!.modes), 7);
  assert.deepEqual([Number(d!.minl), Number(d!.maxl)], [1, 7]);
  assert.deepEqual([d!.mind, d!.maxd, d!.minq, d!.maxq], ['0.00', '0.10', '1.00', '50.00']);
  assert.deepEqual(
    (await rows(`SELECT DISTINCT l_returnflag AS f FROM lineitem ORDER BY 1`)).map((x) => x.f),
    ['A', 'N', 'R'],
  );
  assert.deepEqual(
    (await rows(`SELECT DISTINCT o_orderstatus AS s FROM orders ORDER BY 1`)).map((x) => x.s),
    ['F', 'O', 'P'],
  );
  // Referential integrity and the derived values.
  assert.equal(
    await scalar('SELECT count(*) FROM lineitem WHERE l_orderkey NOT IN (SELECT o_orderkey FROM orders)'),
    '0',
  );
  assert.equal(
    await scalar(
      'SELECT count(*) FROM lineitem l WHERE NOT EXISTS (SELECT 1 FROM partsupp WHERE ps_partkey = l.l_partkey AND ps_suppkey = l.l_suppkey)',
    ),
    '0',
  );
  assert.equal(
    await scalar(
      'SELECT count(*) FROM (SELECT ps_partkey, ps_suppkey FROM partsupp GROUP BY 1, 2 HAVING count(*) > 1) x',
    ),
    '0',
  );
  assert.equal(
    await scalar(
      'SELECT count(*) FROM lineitem JOIN part ON p_partkey = l_partkey WHERE l_extendedprice <> l_quantity * p_retailprice',
    ),
    '0',
  );
  assert.equal(await scalar('SELECT count(*) FROM orders WHERE o_custkey % 3 = 0'), '0');
  assert.equal(
    await scalar(`SELECT count(*) FROM nation JOIN region ON n_regionkey = r_regionkey WHERE r_name = 'EUROPE'`),
    '5',
  );
  assert.equal(await scalar(`SELECT s_name FROM supplier WHERE s_suppkey = 7`), 'Supplier#000000007');
  // A TPC-H query runs (Q1's shape).
  const q1 = await rows<{
    l_returnflag: string;
    l_linestatus: string;
  }>(`SELECT l_returnflag, l_linestatus, sum(l_quantity) AS q, avg(l_discount) AS d, count(*) AS n FROM lineitem
    WHERE l_shipdate <= DATE '1998-12-01' - INTERVAL '90' DAY GROUP BY 1, 2 ORDER BY 1, 2`);
  assert.deepEqual(
    q1.map((x) => `${x.l_returnflag}${x.l_linestatus}`),
    ['AF', 'NF', 'NO', 'RF'],
  );
});

test('AUCTION: fixed tables of documented size, consistent bids', async () => {
  await client.query('CREATE SOURCE auction_house FROM LOAD GENERATOR AUCTION FOR ALL TABLES');
  const counts =
    await rows(`SELECT (SELECT count(*) FROM organizations) AS o, (SELECT count(*) FROM users) AS u, (SELECT count(*) FROM accounts) AS a,
      (SELECT count(*) FROM auctions) AS au, (SELECT count(*) FROM bids) AS b`);
  assert.deepEqual([counts[0]!.o, counts[0]!.u, counts[0]!.a, counts[0]!.au].map(Number), [20, 4000, 20, 1000]);
  assert.ok(Number(counts[0]!.b) > 5_000 && Number(counts[0]!.b) < 8_000);
  const r = await client.query('SELECT * FROM bids LIMIT 1');
  assert.deepEqual(
    r.fields.map((f) => [f.name, f.dataTypeID]),
    [
      ['id', INT8],
      ['buyer', INT8],
      ['auction_id', INT8],
      ['amount', INT4],
      ['bid_time', TIMESTAMPTZ],
    ],
  );
  const a = await client.query('SELECT * FROM auctions LIMIT 1');
  assert.deepEqual(
    a.fields.map((f) => [f.name, f.dataTypeID]),
    [
      ['id', INT8],
      ['seller', INT8],
      ['item', TEXT],
      ['end_time', TIMESTAMPTZ],
    ],
  );
  assert.equal(
    await scalar('SELECT count(*) FROM bids b JOIN auctions a ON a.id = b.auction_id WHERE b.bid_time >= a.end_time'),
    '0',
  );
  assert.equal(await scalar('SELECT count(*) FROM bids WHERE buyer NOT IN (SELECT id FROM users)'), '0');
  assert.equal(await scalar('SELECT count(*) FROM users WHERE org_id NOT IN (SELECT id FROM organizations)'), '0');
  // A few auctions are still open when the source is created; none ended in the future by more than 40 ticks.
  assert.ok(Number(await scalar('SELECT count(*) FROM auctions WHERE end_time > now()')) > 0);
  assert.equal(await scalar(`SELECT count(*) FROM auctions WHERE end_time > now() + INTERVAL '41' SECOND`), '0');
});

test('COUNTER grows one value per tick, with MAX CARDINALITY and UP TO', async () => {
  await client.query(`CREATE SOURCE ticker FROM LOAD GENERATOR COUNTER (TICK INTERVAL '100ms')`);
  await client.query(`CREATE SOURCE capped FROM LOAD GENERATOR COUNTER (TICK INTERVAL '100ms', MAX CARDINALITY 3)`);
  await client.query(`CREATE SOURCE bounded FROM LOAD GENERATOR COUNTER (TICK INTERVAL '50ms', UP TO 4)`);
  const first = Number(await scalar('SELECT count(*) FROM ticker'));
  assert.ok(first >= 1);
  await sleep(600);
  const r = await client.query<{ counter: string }>('SELECT counter FROM ticker'); // int8: text in pg
  assert.equal(r.fields[0]!.dataTypeID, INT8);
  const values = r.rows.map((x) => Number(x.counter));
  assert.ok(values.length >= first + 4, `${first} then ${values.length}`);
  assert.deepEqual(
    values,
    values.map((_, i) => i + 1),
  );
  assert.ok(Number(await scalar('SELECT "offset" FROM ticker_progress')) >= values.length);
  const capped = (await rows('SELECT counter FROM capped')).map((x) => Number(x.counter));
  assert.equal(capped.length, 3);
  assert.equal(capped[2]! - capped[0]!, 2);
  assert.ok(capped[0]! > 1);
  assert.deepEqual(
    (await rows('SELECT counter FROM bounded')).map((x) => Number(x.counter)),
    [1, 2, 3, 4],
  );
});

test('SHOW SOURCES lists sources, progress relations and subsources', async () => {
  const shown = new Map((await rows('SHOW SOURCES')).map((x) => [String(x.name), String(x.type)]));
  assert.equal(shown.get('tpch'), 'load-generator');
  assert.equal(shown.get('tpch_progress'), 'progress');
  for (const t of Object.keys(TPCH_COLUMNS)) assert.equal(shown.get(t), 'subsource', t);
  for (const t of ['organizations', 'users', 'accounts', 'auctions', 'bids'])
    assert.equal(shown.get(t), 'subsource', t);
  assert.equal(shown.get('ticker'), 'load-generator');
  assert.equal((await rows('SHOW TABLES')).filter((x) => shown.has(String(x.name))).length, 0);
  const create = await rows('SHOW CREATE SOURCE tpch');
  assert.match(String(create[0]!.create_sql), /FROM LOAD GENERATOR TPCH \(SCALE FACTOR = 0\.01\) FOR ALL TABLES/);
  const types = await rows<{ name: string; type: string }>(
    `SELECT name, type FROM mz_catalog.mz_sources WHERE name IN ('tpch', 'lineitem', 'tpch_progress') ORDER BY name`,
  );
  assert.deepEqual(
    types.map((x) => `${x.name}:${x.type}`),
    ['lineitem:subsource', 'tpch:load-generator', 'tpch_progress:progress'],
  );
});

test('CREATE SOURCE errors in Materialize style', async () => {
  await fails(
    'CREATE SOURCE m FROM LOAD GENERATOR MARKETING FOR ALL TABLES',
    '0A000',
    'LOAD GENERATOR MARKETING not yet supported',
  );
  await fails('CREATE SOURCE m FROM LOAD GENERATOR DATUMS', '0A000', 'LOAD GENERATOR DATUMS not yet supported');
  await fails(
    'CREATE SOURCE m FROM LOAD GENERATOR COUNTER (SCALE FACTOR 1)',
    '22023',
    'COUNTER load generators do not support SCALE FACTOR values',
  );
  await fails(
    'CREATE SOURCE m FROM LOAD GENERATOR TPCH',
    '42601',
    'multi-output sources require a FOR TABLES (..) or FOR ALL TABLES statement',
  );
  await fails(
    'CREATE SOURCE m FROM LOAD GENERATOR COUNTER FOR ALL TABLES',
    '42601',
    'FOR ALL TABLES is only valid for multi-output sources',
  );
  await fails(
    'CREATE SOURCE m FROM LOAD GENERATOR TPCH (SCALE FACTOR -1) FOR ALL TABLES',
    '22023',
    'unsupported scale factor -1',
  );
  await fails('CREATE SOURCE ticker FROM LOAD GENERATOR COUNTER', '42710', "catalog item 'ticker' already exists");
  // A second TPCH source in the same schema would collide with the first one's subsources.
  await fails(
    'CREATE SOURCE tpch2 FROM LOAD GENERATOR TPCH FOR ALL TABLES',
    '42710',
    "catalog item 'supplier' already exists",
  );
  assert.equal(
    await scalar(`SELECT count(*) FROM mz_catalog.mz_sources WHERE name IN ('m', 'tpch2', 'tpch2_progress')`),
    '0',
  );
  const notices: string[] = [];
  client.on('notice', (n) => notices.push(n.message ?? ''));
  await client.query('CREATE SOURCE IF NOT EXISTS ticker FROM LOAD GENERATOR COUNTER');
  await sleep(50);
  assert.ok(
    notices.some((m) => /already exists, skipping/.test(m)),
    JSON.stringify(notices),
  );
});

test('sources in another schema; DROP SOURCE removes subsources and guards dependents', async () => {
  await client.query('CREATE SCHEMA bench');
  await client.query('CREATE SOURCE bench.small FROM LOAD GENERATOR TPCH (SCALE FACTOR 0.001) FOR ALL TABLES');
  assert.equal(await scalar('SELECT count(*) FROM bench.orders'), '1500');
  await client.query('CREATE VIEW bench.revenue AS SELECT sum(l_extendedprice) AS r FROM bench.lineitem');
  await fails('DROP SOURCE bench.small', '2BP01', /still depended upon by view materialize\.bench\.revenue/);
  await fails('DROP SOURCE bench.lineitem_x', '42704');
  await fails('DROP SOURCE bench.small_progress', '42809', /progress subsource/);
  // Views over a COUNTER source are found too (the source is a view without tables beneath).
  await client.query('CREATE SOURCE bench.clock FROM LOAD GENERATOR COUNTER');
  await client.query('CREATE VIEW bench.latest AS SELECT max(counter) AS m FROM bench.clock');
  await fails('DROP SOURCE bench.clock', '2BP01', /still depended upon by view materialize\.bench\.latest/);
  await client.query('DROP SOURCE bench.clock CASCADE');
  await client.query('DROP SOURCE bench.small CASCADE');
  const left = await rows(
    `SELECT o.name FROM mz_catalog.mz_objects o JOIN mz_catalog.mz_schemas s ON s.id = o.schema_id WHERE s.name = 'bench'`,
  );
  assert.deepEqual(left, []);
  await fails('SELECT * FROM bench.lineitem', '42P01');
  await client.query('DROP SOURCE IF EXISTS bench.small');
  // The public TPCH source is untouched.
  assert.equal(await scalar('SELECT count(*) FROM region'), '5');
  // Dropping a plain source: its relation and progress relation go.
  await client.query('DROP SOURCE bounded');
  await fails('SELECT * FROM bounded', '42P01');
  await fails('SELECT * FROM bounded_progress', '42P01');
  await fails('DROP SOURCE region_nope', '42704', "unknown catalog item 'region_nope'");
  await client.query('CREATE TABLE plain (a int)');
  await fails('DROP SOURCE plain', '42809', /not a source/);
  // Other DDL afterwards does not re-register the dropped relations as tables.
  assert.deepEqual(
    (await rows('SHOW TABLES')).map((x) => x.name),
    ['plain'],
  );
});

test('COPY TO STDOUT reads subsources', (t) => {
  let psql: string;
  try {
    psql = execFileSync('which', ['psql'], { encoding: 'utf8' }).trim();
  } catch {
    t.skip('psql is not installed');
    return;
  }
  const out = execFileSync(
    psql,
    [
      ferry.url(),
      '-X',
      '-q',
      '-c',
      'COPY region TO STDOUT',
      '-c',
      'COPY (SELECT n_name FROM nation ORDER BY n_nationkey LIMIT 2) TO STDOUT',
    ],
    {
      encoding: 'utf8',
    },
  );
  const lines = out.trim().split('\n');
  assert.equal(lines.length, 7);
  assert.deepEqual(
    lines.slice(0, 5).map((l) => l.split('\t').slice(0, 2).join(' ')),
    ['0 AFRICA', '1 AMERICA', '2 ASIA', '3 EUROPE', '4 MIDDLE EAST'],
  );
  assert.deepEqual(lines.slice(5), ['ALGERIA', 'ARGENTINA']);
});

test('privileges: CREATE on the schema to create, SELECT grants to read, ownership to drop', async () => {
  await client.query('CREATE ROLE analyst LOGIN');
  const analyst = new pg.Client(ferry.pgConfig('analyst'));
  await analyst.connect();
  try {
    const denied = async (sql: string, message: RegExp): Promise<void> => {
      await assert.rejects(analyst.query(sql), (err: { code?: string; message?: string }) => {
        assert.equal(err.code, '42501', `${sql}: ${err.message}`);
        assert.match(err.message ?? '', message);
        return true;
      });
    };
    await denied('SELECT count(*) FROM region', /permission denied for SOURCE "materialize\.public\.region"/);
    await denied(`INSERT INTO region VALUES (9, 'X', 'y')`, /permission denied/);
    await denied(
      'CREATE SOURCE mine FROM LOAD GENERATOR COUNTER',
      /permission denied for SCHEMA "materialize\.public"/,
    );
    await denied('DROP SOURCE tpch', /must be owner of SOURCE materialize\.public\.tpch/);
    await client.query('GRANT SELECT ON region TO analyst');
    assert.equal((await analyst.query<{ n: string }>('SELECT count(*) AS n FROM region')).rows[0]!.n, '5');
    await denied('SELECT count(*) FROM nation', /nation/);
    await client.query('GRANT CREATE ON SCHEMA public TO analyst');
    await analyst.query(`CREATE SOURCE mine FROM LOAD GENERATOR COUNTER (TICK INTERVAL '10ms')`);
    assert.ok(Number((await analyst.query<{ n: string }>('SELECT count(*) AS n FROM mine')).rows[0]!.n) >= 1);
    await analyst.query('DROP SOURCE mine');
  } finally {
    await analyst.end();
  }
});

test('DDL in another session during a generation does not make it fail', async () => {
  const other = await connect(ferry);
  try {
    const creating = client.query('CREATE SOURCE busy FROM LOAD GENERATOR AUCTION FOR ALL TABLES').then(
      () => 'ok',
      (e: Error) => e.message,
    );
    await other.query('CREATE TABLE meanwhile (a int)');
    await other.query('DROP TABLE meanwhile');
    assert.equal(await creating, "catalog item 'organizations' already exists");
    await client.query('CREATE SCHEMA busy2');
    const small = client.query('CREATE SOURCE busy2.gen FROM LOAD GENERATOR TPCH (SCALE FACTOR 0.02) FOR ALL TABLES');
    await sleep(200);
    await other.query('CREATE TABLE meanwhile (a int)');
    await small;
    assert.equal(await scalar('SELECT count(*) FROM busy2.orders'), '30000');
    assert.deepEqual((await rows(`SHOW TABLES`)).map((x) => x.name).sort(), ['meanwhile', 'plain']);
    await client.query('DROP SOURCE busy2.gen');
    await client.query('DROP TABLE meanwhile');
  } finally {
    await other.end();
  }
});

test('two servers generate identical data', async () => {
  const other = await startFerry();
  const c2 = await connect(other);
  try {
    await c2.query('CREATE SOURCE tpch FROM LOAD GENERATOR TPCH (SCALE FACTOR 0.01) FOR ALL TABLES');
    await c2.query('CREATE SOURCE auction_house FROM LOAD GENERATOR AUCTION FOR ALL TABLES');
    for (const t of Object.keys(TPCH_COLUMNS)) assert.equal(await checksum(c2, t), await checksum(client, t), t);
    const timeless: Record<string, string> = {
      organizations: '*',
      users: '*',
      accounts: '*',
      auctions: 'id, seller, item',
      bids: 'id, buyer, auction_id, amount',
    };
    for (const [t, cols] of Object.entries(timeless))
      assert.equal(await checksum(c2, t, cols), await checksum(client, t, cols), t);
  } finally {
    await c2.end();
    await other.stop();
  }
});

test('a restart keeps sources, their data and the counter', async () => {
  const before = {
    lineitem: await checksum(client, 'lineitem'),
    bids: await checksum(client, 'bids'),
    sources: (await rows<{ name: string; type: string }>('SHOW SOURCES')).map((x) => `${x.name}:${x.type}`),
    ticker: Number(await scalar('SELECT max(counter) FROM ticker')),
  };
  await client.end();
  await ferry.stop();
  ferry = await startFerry({ dataDir: ferry.dataDir });
  client = await connect(ferry);
  assert.equal(await checksum(client, 'lineitem'), before.lineitem);
  assert.equal(await checksum(client, 'bids'), before.bids);
  assert.deepEqual(
    (await rows<{ name: string; type: string }>('SHOW SOURCES')).map((x) => `${x.name}:${x.type}`),
    before.sources,
  );
  assert.ok(Number(await scalar('SELECT max(counter) FROM ticker')) > before.ticker);
  await client.query('DROP SOURCE tpch');
  await fails('SELECT * FROM lineitem', '42P01');
  assert.equal(
    (await rows('SHOW SOURCES')).filter((x) => String(x.name).startsWith('tpch') || x.name === 'lineitem').length,
    0,
  );
});
