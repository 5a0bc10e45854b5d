/**
 * A statement Ferry has run before must see the data as it is now. Ferry keeps prepared
 * engine statements (its per-session cache, named statements of the extended protocol);
 * the engine's statistics propagation would bake the table contents at PREPARE time into
 * the plan — a filter over an empty table became an empty result for good — so it is
 * switched off (src/engine/index.ts). Each case runs a query against an empty table,
 * inserts, and runs the very same text again.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { type FerryProcess, startFerry } from '../support/ferry.js';

let ferry: FerryProcess;
let c: pg.Client;

before(async () => {
  ferry = await startFerry();
  c = new pg.Client({ ...ferry.pgConfig(), types: { getTypeParser: () => (v: string) => v } });
  await c.connect();
});

after(async () => {
  await c?.end();
  await ferry?.stop();
});

const QUERIES: [string, unknown[]][] = [
  ['SELECT name FROM t WHERE id = 3', [{ name: 'fig' }]],
  ['SELECT (SELECT name FROM t WHERE id = 3) AS n', [{ n: 'fig' }]],
  ['SELECT count(*) AS n FROM t WHERE id > 2', [{ n: '1' }]],
  ['SELECT a.name FROM t a JOIN t b ON a.id = b.id WHERE b.id BETWEEN 3 AND 4', [{ name: 'fig' }]],
];

test('a repeated simple query sees rows inserted after its first run', async () => {
  await c.query('CREATE TABLE t (id int, name text)');
  for (const [sql] of QUERIES) await c.query(sql);
  await c.query(`INSERT INTO t VALUES (3, 'fig')`);
  for (const [sql, expected] of QUERIES) assert.deepEqual((await c.query(sql)).rows, expected, sql);
  await c.query('DROP TABLE t');
});

test('a named prepared statement executed again sees rows inserted since', async () => {
  await c.query('CREATE TABLE t (id int, name text)');
  const run = (): Promise<pg.QueryResult> =>
    c.query({ name: 'by_id', text: 'SELECT name FROM t WHERE id = $1', values: [3] });
  assert.deepEqual((await run()).rows, []);
  await c.query(`INSERT INTO t VALUES (3, 'fig')`);
  assert.deepEqual((await run()).rows, [{ name: 'fig' }]);
  await c.query(`DELETE FROM t`);
  assert.deepEqual((await run()).rows, []);
});
