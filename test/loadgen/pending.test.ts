// Start-up clean-up of tables a CREATE SOURCE generated but never registered (a crash
// between its two steps): they, and any entry a catalog sync made for them, are dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DuckDBInstance } from '@duckdb/node-api';
import * as catalog from '../../src/catalog/index.js';
import { PENDING, dropPendingTables } from '../../src/loadgen/index.js';

test('pending generated tables are dropped at start, finished ones kept', async () => {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await catalog.bootstrap(conn);
  await conn.run(`CREATE TABLE public.lineitem (a INTEGER); COMMENT ON TABLE public.lineitem IS '${PENDING}'`);
  await conn.run(`CREATE TABLE public.orders (a INTEGER); COMMENT ON TABLE public.orders IS '${PENDING}'`);
  await conn.run(`CREATE TABLE public.kept (a INTEGER)`);
  // As if a catalog sync had registered one of them as a plain table.
  const role = (await catalog.queryRows(conn, `SELECT id FROM ${catalog.INTERNAL_SCHEMA}.roles LIMIT 1`))[0]!
    .id as string;
  await catalog.insertObject(conn, {
    id: 'u900',
    kind: 'table',
    schemaName: 'public',
    name: 'orders',
    ownerId: role,
    createSql: null,
    redactedSql: null,
    details: {},
  });
  assert.equal(await dropPendingTables(conn), 2);
  const left = await catalog.queryRows(
    conn,
    `SELECT table_name FROM duckdb_tables() WHERE schema_name = 'public' ORDER BY 1`,
  );
  assert.deepEqual(
    left.map((r) => r.table_name),
    ['kept'],
  );
  assert.equal(await catalog.findItem(conn, 'public', 'orders'), null);
  assert.equal(await dropPendingTables(conn), 0);
  conn.closeSync();
  instance.closeSync();
});
