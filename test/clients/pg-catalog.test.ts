/**
 * The pg_catalog / information_schema answers GUI clients and drivers read (served by
 * src/catalog/pg-compat.ts through the translation in src/sql/translate.ts): owners are
 * Ferry roles, oids are Ferry's, and the internal `__ferry` schema is never visible.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startFerry, type FerryProcess } from '../support/ferry.js';

let ferry: FerryProcess;
let c: pg.Client;

before(async () => {
  ferry = await startFerry();
  c = new pg.Client(ferry.pgConfig());
  await c.connect();
  await c.query('CREATE TABLE cat_t (a int NOT NULL, b numeric(12,3))');
  await c.query('CREATE VIEW cat_v AS SELECT a FROM cat_t');
  await c.query('CREATE ROLE owner2');
  await c.query('ALTER TABLE cat_t OWNER TO owner2');
});
after(async () => {
  await c.end();
  await ferry.stop();
});

const col = async (sql: string): Promise<string[]> =>
  (await c.query({ text: sql, rowMode: 'array' })).rows.map((r: unknown[]) => String(r[0]));

test('the internal schema is never visible', async () => {
  for (const sql of [
    'SELECT nspname FROM pg_catalog.pg_namespace',
    'SELECT nspname FROM pg_namespace',
    'SELECT schema_name FROM information_schema.schemata',
    'SELECT DISTINCT table_schema FROM information_schema.tables',
    'SELECT DISTINCT table_schema FROM information_schema.columns',
    'SELECT DISTINCT schemaname FROM pg_catalog.pg_tables',
    'SELECT DISTINCT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace',
  ]) {
    const names = await col(sql);
    assert.ok(!names.includes('__ferry') && !names.includes('main'), `${sql} → ${names.join(',')}`);
  }
  assert.deepEqual(await col('SELECT nspname FROM pg_catalog.pg_namespace ORDER BY 1'), [
    'information_schema',
    'mz_catalog',
    'mz_internal',
    'pg_catalog',
    'public',
  ]);
});

test('pg_class oids are Ferry oids and owners are Ferry roles', async () => {
  const r = await c.query(`
    SELECT c.relname, c.relkind, pg_catalog.pg_get_userbyid(c.relowner) AS owner, c.oid = o.oid AS same_oid
    FROM pg_catalog.pg_class c JOIN mz_catalog.mz_objects o ON o.name = c.relname
    WHERE c.relname IN ('cat_t', 'cat_v') ORDER BY 1`);
  assert.deepEqual(r.rows, [
    { relname: 'cat_t', relkind: 'r', owner: 'owner2', same_oid: true },
    { relname: 'cat_v', relkind: 'v', owner: 'materialize', same_oid: true },
  ]);
  // Unqualified catalog names in a comma-separated FROM list reach Ferry's views too.
  assert.deepEqual(
    await col("SELECT n.nspname FROM pg_namespace n, pg_class c WHERE c.relnamespace = n.oid AND c.relname = 'cat_t'"),
    ['public'],
  );
  const roles = await col('SELECT rolname FROM pg_catalog.pg_roles ORDER BY 1');
  assert.deepEqual(roles, ['materialize', 'owner2']);
});

test('pg_attribute, format_type, regclass and regular expressions', async () => {
  const r = await c.query(`
    SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull
    FROM pg_catalog.pg_attribute a WHERE a.attrelid = 'cat_t'::regclass AND a.attnum > 0 ORDER BY a.attnum`);
  assert.deepEqual(r.rows, [
    { attname: 'a', type: 'integer', attnotnull: true },
    { attname: 'b', type: 'numeric(12,3)', attnotnull: false },
  ]);
  // PostgreSQL's ~ finds the pattern anywhere; DuckDB's own ~ would need a full match.
  assert.deepEqual(
    await col(
      "SELECT relname FROM pg_catalog.pg_class WHERE relname OPERATOR(pg_catalog.~) '^cat_' COLLATE pg_catalog.default ORDER BY 1",
    ),
    ['cat_t', 'cat_v'],
  );
  assert.deepEqual(await col("SELECT relname FROM pg_catalog.pg_class WHERE relname ~* 'T_V'"), ['cat_v']);
  await assert.rejects(c.query("SELECT 'no_such'::regclass"), (e: Error & { code?: string }) => e.code === '42P01');
  assert.match((await col("SELECT pg_catalog.pg_get_viewdef('cat_v'::regclass::oid)"))[0]!, /SELECT a FROM cat_t/i);
});

test('postgres.js-style array type discovery', async () => {
  const r =
    await c.query(`SELECT b.oid, b.typarray FROM pg_catalog.pg_type a LEFT JOIN pg_catalog.pg_type b ON b.oid = a.typelem
    WHERE a.typcategory = 'A' GROUP BY b.oid, b.typarray ORDER BY b.oid`);
  assert.ok(
    r.rows.some((row: { oid: number; typarray: number }) => Number(row.oid) === 23 && Number(row.typarray) === 1007),
  );
});

test('a role without privileges can read the catalog but not the data', async () => {
  await c.query('CREATE ROLE viewer LOGIN');
  const v = new pg.Client(ferry.pgConfig('viewer'));
  await v.connect();
  try {
    const rels = (
      await v.query(
        "SELECT c.relname FROM pg_catalog.pg_class c WHERE c.relname LIKE 'cat_%' AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 1",
      )
    ).rows.map((r: { relname: string }) => r.relname);
    assert.deepEqual(rels, ['cat_t', 'cat_v']);
    assert.equal(
      (
        await v.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'cat_t'",
        )
      ).rows[0]?.n,
      2,
    );
    await assert.rejects(v.query('SELECT * FROM cat_t'), (e: Error & { code?: string }) => e.code === '42501');
  } finally {
    await v.end();
  }
});

test('integer division truncates and division by zero is 22012, as in PostgreSQL', async () => {
  const r = await c.query({
    text: "SELECT 7 / 2, -7 / 2, 7 % 3, 7.0 / 2, '/x/' AS s, 6 / (1 + 2)::int",
    rowMode: 'array',
  });
  const row = r.rows[0] as unknown[];
  assert.deepEqual([row[0], row[1], row[2], Number(row[3]), row[4], row[5]], [3, -3, 1, 3.5, '/x/', 2]);
  for (const sql of [
    'SELECT 1 / 0',
    'SELECT 5 % 0',
    'SELECT 1.5 / 0.0',
    'SELECT 1.5::float8 / 0',
    'SELECT a / b FROM (VALUES (1, 0)) v(a, b)',
  ]) {
    await assert.rejects(c.query(sql), (e: Error & { code?: string }) => e.code === '22012', sql);
  }
});

test('result columns are named as PostgreSQL names them', async () => {
  const r = await c.query(
    "SELECT a::text, count(*), count(*)::int, 1::int4, 'x'::text, 1 + 1, relname ~ 'x', now(), b AS \"My Alias\" FROM cat_t, pg_catalog.pg_class GROUP BY a, b, relname LIMIT 1",
  );
  assert.deepEqual(
    r.fields.map((f) => f.name),
    ['a', 'count', 'count', 'int4', 'text', '?column?', '?column?', 'now', 'My Alias'],
  );
});
