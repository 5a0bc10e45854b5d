// Small results are materialized, the rest stream (CompiledStatement.fewRows): against a
// real server, both paths give every row in order over the simple protocol, with
// parameters, and through a row-limited Execute (a cursor) that suspends and resumes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import postgres from 'postgres';
import { startFerry, type FerryProcess } from '../support/ferry.js';

let ferry: FerryProcess;
let c: pg.Client;

before(async () => {
  ferry = await startFerry();
  c = new pg.Client(ferry.pgConfig());
  await c.connect();
  await c.query('CREATE TABLE nums (n bigint)');
  await c.query('INSERT INTO nums SELECT x FROM generate_series(1, 5000) AS g(x)');
});
after(async () => {
  await c.end();
  await ferry.stop();
});

const range = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

test('a LIMIT at and past one chunk returns every row in order', async () => {
  for (const limit of [1, 2047, 2048, 2049, 5000]) {
    const r = await c.query<{ n: string }>(`SELECT n FROM nums ORDER BY n LIMIT ${limit}`);
    assert.equal(r.command, 'SELECT');
    assert.equal(r.rowCount, limit);
    assert.deepEqual(
      r.rows.map((x) => x.n),
      range(1, limit),
    );
  }
});

test('constant queries, with and without parameters', async () => {
  assert.deepEqual((await c.query('SELECT 1 AS a, $1::text AS b', ['x'])).rows, [{ a: 1, b: 'x' }]);
  assert.deepEqual((await c.query('SELECT 1 AS a WHERE false')).rows, []);
  await assert.rejects(c.query('SELECT 1 / 0'), (e: { code?: string }) => e.code === '22012');
  assert.deepEqual((await c.query('SELECT 2 AS a')).rows, [{ a: 2 }]);
});

test('a cursor over a materialized result suspends and resumes', async () => {
  const sql = postgres(ferry.url(), { max: 1, fetch_types: false });
  try {
    const batches: number[][] = [];
    await sql`SELECT n::int AS n FROM nums ORDER BY n LIMIT 2000`.cursor(700, (rows) => {
      batches.push(rows.map((r) => r.n as number));
    });
    assert.deepEqual(
      batches.map((b) => b.length),
      [700, 700, 600],
    );
    assert.deepEqual(batches.flat(), range(1, 2000).map(Number));
  } finally {
    await sql.end();
  }
});
