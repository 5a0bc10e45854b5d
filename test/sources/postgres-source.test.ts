// test-needs: postgres
/**
 * CREATE SOURCE … FROM POSTGRES against a real PostgreSQL 15 set up for logical
 * replication: the snapshot, the stream (inserts, updates, deletes, multi-table
 * transactions applied atomically), every supported type compared value by value with
 * upstream, statuses and statistics, TRUNCATE and schema changes as error states, the
 * refusals at CREATE (each leaving the catalog and the upstream slots as they were),
 * read-only subsources, DROP SOURCE removing the slot, and a restart resuming from the
 * stored LSN without losing or repeating a change.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type FerryProcess, startFerry } from '../support/ferry.js';
import { type Upstream, startUpstream } from '../support/postgres.js';

const PASSWORD = 'src-r3pl-pw';

let ferry: FerryProcess;
let c: pg.Client;
let up: Upstream;
let admin: pg.Client;

type Row = Record<string, string | null>;

async function client(): Promise<pg.Client> {
  const cl = new pg.Client({ ...ferry.pgConfig('materialize'), types: { getTypeParser: () => (v: string) => v } });
  cl.on('error', () => undefined);
  await cl.connect();
  return cl;
}

async function q(sql: string): Promise<Row[]> {
  return (await c.query<Row>(sql)).rows;
}

/** Polls `fn` until it returns true (replication is asynchronous), failing after `ms`. */
async function eventually(what: string, fn: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}\n${ferry.log().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Rows of `sql` upstream and in Ferry, as text, sorted. */
async function upstreamRows(sql: string): Promise<string[]> {
  const r = await admin.query({ text: sql, rowMode: 'array', types: { getTypeParser: () => (v: string) => v } });
  return (r.rows as unknown[][]).map((x) => JSON.stringify(x)).sort();
}
async function ferryRows(sql: string, cl: pg.Client = c): Promise<string[]> {
  const r = await cl.query({ text: sql, rowMode: 'array' });
  return (r.rows as unknown[][]).map((x) => JSON.stringify(x)).sort();
}

async function slots(): Promise<string[]> {
  return (await admin.query<{ slot_name: string }>('SELECT slot_name FROM pg_replication_slots ORDER BY 1')).rows.map(
    (r) => r.slot_name,
  );
}

async function catalogState(): Promise<string[]> {
  return ferryRows(`SELECT name, type FROM mz_catalog.mz_sources`);
}

before(async () => {
  up = await startUpstream({ wal_level: 'logical', max_wal_senders: '10', max_replication_slots: '10' });
  admin = await up.admin();
  await admin.query(`CREATE ROLE repl LOGIN REPLICATION PASSWORD '${PASSWORD}'`);
  await admin.query(`
    CREATE TABLE items (id int NOT NULL, name text, price numeric(10,2), tags text[], added timestamptz);
    ALTER TABLE items REPLICA IDENTITY FULL;
    CREATE TABLE orders (id bigint, item_id int, qty int2);
    ALTER TABLE orders REPLICA IDENTITY FULL;
    CREATE TABLE plain (id int PRIMARY KEY);
    INSERT INTO items VALUES (1, 'apple', 1.50, '{red,"big one"}', '2026-01-02 03:04:05.123456+00'),
                             (2, 'pear', NULL, NULL, NULL), (2, 'pear', NULL, NULL, NULL);
    INSERT INTO orders SELECT g, 1 + g % 2, g FROM generate_series(1, 2500) g;
    GRANT SELECT ON ALL TABLES IN SCHEMA public TO repl;
    CREATE PUBLICATION shop FOR TABLE items, orders;
    CREATE PUBLICATION withplain FOR TABLE items, plain;
    CREATE PUBLICATION nothing;
  `);
  ferry = await startFerry();
  c = await client();
  await c.query(`CREATE SECRET pgpass AS '${PASSWORD}'`);
  await c.query(
    `CREATE CONNECTION pg TO POSTGRES (HOST '127.0.0.1', PORT ${up.port}, USER 'repl', PASSWORD SECRET pgpass, DATABASE 'postgres')`,
  );
});

after(async () => {
  await c?.end().catch(() => undefined);
  await ferry?.stop();
  await admin?.end().catch(() => undefined);
  up?.stop();
});

describe('a PostgreSQL source', () => {
  test('CREATE SOURCE snapshots every table: subsources hold exactly the upstream rows', async () => {
    await c.query(`CREATE SOURCE shop_src FROM POSTGRES CONNECTION pg (PUBLICATION 'shop') FOR ALL TABLES`);
    assert.deepEqual(await catalogState(), [
      '["items","subsource"]',
      '["orders","subsource"]',
      '["shop_src","postgres"]',
      '["shop_src_progress","progress"]',
    ]);
    assert.deepEqual(
      await ferryRows(`SELECT id, name, price, tags, added FROM items`),
      await upstreamRows(`SELECT id, name, price, tags, added FROM items`),
    );
    assert.deepEqual((await q(`SELECT count(*) AS n, sum(qty) AS s FROM orders`))[0], { n: '2500', s: '3126250' });
    const slot = await q(`SELECT replication_slot FROM mz_internal.mz_postgres_sources`);
    assert.equal(slot.length, 1);
    assert.deepEqual(await slots(), [slot[0]!.replication_slot]);
    const lsn = await q(`SELECT lsn FROM shop_src_progress`);
    assert.equal(lsn.length, 1);
    assert.ok(BigInt(lsn[0]!.lsn!) > 0n);
  });

  test('inserts, updates and deletes stream in; a multi-table transaction appears at once', async () => {
    await admin.query(`INSERT INTO items VALUES (3, 'fig', 9.99, '{}', now())`);
    await admin.query(`UPDATE items SET price = 2.25 WHERE id = 1`);
    await admin.query(`DELETE FROM orders WHERE id <= 10`);
    // A duplicate row: deleting one of two equal rows leaves the other.
    await admin.query(`DELETE FROM items WHERE ctid = (SELECT min(ctid) FROM items WHERE id = 2)`);
    await admin.query(
      `BEGIN; INSERT INTO orders VALUES (9001, 3, 1); UPDATE items SET name = 'FIG' WHERE id = 3; COMMIT`,
    );
    await eventually('the changes', async () => {
      const r = await q(`SELECT (SELECT name FROM items WHERE id = 3) AS n, (SELECT count(*) FROM orders) AS o`);
      return r[0]!.n === 'FIG' && r[0]!.o === '2491';
    });
    assert.deepEqual(
      await ferryRows(`SELECT id, name, price, tags, added FROM items`),
      await upstreamRows(`SELECT id, name, price, tags, added FROM items`),
    );
    assert.deepEqual(await ferryRows(`SELECT * FROM orders`), await upstreamRows(`SELECT * FROM orders`));
  });

  test('statuses and statistics say the source is running', async () => {
    const st = await q(`SELECT name, type, status, error FROM mz_internal.mz_source_statuses ORDER BY name`);
    assert.deepEqual(st, [
      { name: 'items', type: 'subsource', status: 'running', error: null },
      { name: 'orders', type: 'subsource', status: 'running', error: null },
      { name: 'shop_src', type: 'postgres', status: 'running', error: null },
    ]);
    await eventually('statistics', async () => {
      const s = await q(
        `SELECT snapshot_committed, snapshot_records_known, updates_committed FROM mz_internal.mz_source_statistics s JOIN mz_catalog.mz_sources o USING (id) WHERE o.name = 'shop_src'`,
      );
      return (
        s[0]?.snapshot_committed === 't' &&
        s[0]?.snapshot_records_known === '2503' &&
        Number(s[0]?.updates_committed) >= 14
      );
    });
  });

  test('subsources are read-only', async () => {
    await assert.rejects(c.query(`INSERT INTO items VALUES (9, 'x', 1, NULL, NULL)`), (e: pg.DatabaseError) => {
      assert.equal(e.code, '42809');
      assert.equal(e.message, 'cannot insert into source "materialize.public.items"');
      return true;
    });
    await assert.rejects(c.query(`DELETE FROM orders`), (e: pg.DatabaseError) => e.code === '42809');
  });

  test('a restart resumes from the stored LSN: nothing lost, nothing applied twice', async () => {
    await ferry.kill();
    // Changes made while Ferry is down wait in the slot.
    await admin.query(`INSERT INTO orders SELECT g, 7, 1 FROM generate_series(10001, 10100) g`);
    await admin.query(`UPDATE items SET name = 'Apple' WHERE id = 1`);
    ferry = await startFerry({ dataDir: ferry.dataDir });
    c = await client();
    await c.query(`SELECT count(*) FROM orders`);
    await eventually('the changes made while down', async () => {
      const r = await q(`SELECT (SELECT count(*) FROM orders) AS o, (SELECT name FROM items WHERE id = 1) AS n`);
      return r[0]!.o === '2591' && r[0]!.n === 'Apple';
    });
    // More changes after the restart, then the full comparison.
    await admin.query(`DELETE FROM orders WHERE item_id = 7 AND id % 2 = 0`);
    await eventually('the deletes', async () => (await q(`SELECT count(*) AS n FROM orders`))[0]!.n === '2541');
    assert.deepEqual(await ferryRows(`SELECT * FROM orders`), await upstreamRows(`SELECT * FROM orders`));
    assert.deepEqual(
      await ferryRows(`SELECT id, name, price, tags, added FROM items`),
      await upstreamRows(`SELECT id, name, price, tags, added FROM items`),
    );
  });

  test('a view over a subsource follows upstream', async () => {
    await c.query(
      `CREATE VIEW big_orders AS SELECT item_id, count(*) AS n FROM orders WHERE qty > 2000 GROUP BY item_id`,
    );
    const before = await ferryRows(`SELECT * FROM big_orders`);
    await admin.query(`INSERT INTO orders VALUES (20000, 1, 30000)`);
    await eventually(
      'the view to change',
      async () => JSON.stringify(await ferryRows(`SELECT * FROM big_orders`)) !== JSON.stringify(before),
    );
    assert.deepEqual(
      await ferryRows(`SELECT * FROM big_orders`),
      await upstreamRows(`SELECT item_id, count(*) FROM orders WHERE qty > 2000 GROUP BY item_id`),
    );
  });

  test('TRUNCATE upstream puts the subsource in an error state; the other subsource keeps running', async () => {
    await admin.query(`TRUNCATE items`);
    await admin.query(`INSERT INTO orders VALUES (30000, 2, 2)`);
    await eventually('the error state', async () => {
      const r = await q(`SELECT status, error FROM mz_internal.mz_source_statuses WHERE name = 'items'`);
      return r[0]?.status === 'stalled' && r[0]?.error === 'postgres: table was truncated';
    });
    await assert.rejects(c.query(`SELECT * FROM items`), (e: pg.DatabaseError) => {
      assert.equal(e.message, 'postgres: table was truncated');
      return true;
    });
    await eventually(
      'orders to go on',
      async () => (await q(`SELECT count(*) AS n FROM orders WHERE id = 30000`))[0]!.n === '1',
    );
    const st = await q(`SELECT status FROM mz_internal.mz_source_statuses WHERE name IN ('orders', 'shop_src')`);
    assert.deepEqual(
      st.map((r) => r.status),
      ['running', 'running'],
    );
  });

  test('DROP SOURCE removes the subsources, the progress relation and the replication slot', async () => {
    await assert.rejects(c.query(`DROP SOURCE shop_src`), (e: pg.DatabaseError) => e.code === '2BP01');
    await assert.rejects(c.query(`DROP CONNECTION pg`), (e: pg.DatabaseError) => e.code === '2BP01');
    // Not through the secret either: CASCADE would take the connection the source runs on.
    await assert.rejects(c.query(`DROP SECRET pgpass CASCADE`), (e: pg.DatabaseError) => e.code === '2BP01');
    assert.equal((await slots()).length, 1);
    await c.query(`DROP SOURCE shop_src CASCADE`);
    assert.deepEqual(await catalogState(), []);
    assert.deepEqual(await slots(), []);
    assert.deepEqual(await q(`SELECT * FROM mz_internal.mz_source_statuses`), []);
  });
});

describe('CREATE SOURCE refusals leave nothing behind', () => {
  async function refused(sql: string, code: string, message: string): Promise<pg.DatabaseError> {
    const catalogBefore = await catalogState();
    const slotsBefore = await slots();
    let caught: pg.DatabaseError | undefined;
    await assert.rejects(c.query(sql), (e: pg.DatabaseError) => {
      caught = e;
      assert.equal(e.code, code, `${sql}: ${e.message}`);
      assert.equal(e.message, message, sql);
      return true;
    });
    assert.deepEqual(await catalogState(), catalogBefore, 'the catalog is unchanged');
    assert.deepEqual(await slots(), slotsBefore, 'no slot was left upstream');
    return caught!;
  }

  test('statement shape', async () => {
    await refused(
      `CREATE SOURCE s FROM POSTGRES CONNECTION pg (PUBLICATION 'shop')`,
      '42601',
      'missing TABLES specification',
    );
    await refused(
      `CREATE SOURCE s FROM POSTGRES CONNECTION pg () FOR ALL TABLES`,
      '42601',
      'CONNECTION must specify PUBLICATION',
    );
    await refused(
      `CREATE SOURCE s FROM POSTGRES CONNECTION pg (PUBLICATION 'shop', PUBLICATION 'shop') FOR ALL TABLES`,
      '42601',
      'PUBLICATION specified more than once',
    );
    await refused(
      `CREATE SOURCE s FROM POSTGRES CONNECTION nope (PUBLICATION 'shop') FOR ALL TABLES`,
      '42704',
      "unknown catalog item 'nope'",
    );
    await c.query(`BEGIN`);
    await assert.rejects(
      c.query(`CREATE SOURCE s FROM POSTGRES CONNECTION pg (PUBLICATION 'shop') FOR ALL TABLES`),
      (e: pg.DatabaseError) => e.code === '25001',
    );
    await c.query(`ROLLBACK`);
  });

  test('publication and tables', async () => {
    await refused(
      `CREATE SOURCE s FROM POSTGRES CONNECTION pg (PUBLICATION 'missing') FOR ALL TABLES`,
      '42704',
      'publication "missing" does not exist',
    );
    await refused(
      `CREATE SOURCE s FROM POSTGRES CONNECTION pg (PUBLICATION 'nothing') FOR ALL TABLES`,
      '55000',
      'PUBLICATION nothing is empty',
    );
    const e = await refused(
      `CREATE SOURCE s FROM POSTGRES CONNECTION pg (PUBLICATION 'withplain') FOR ALL TABLES`,
      '55000',
      'referenced items not tables with REPLICA IDENTITY FULL',
    );
    assert.match(e.detail ?? '', /"public"\."plain"/);
    await refused(
      `CREATE SOURCE s FROM POSTGRES CONNECTION pg (PUBLICATION 'shop') FOR TABLES (public.nosuch)`,
      '42P01',
      'reference to public.nosuch not found in source',
    );
  });
});

describe('types', () => {
  const COLUMNS: [string, string, string[]][] = [
    ['b', 'bool', ['true', 'false']],
    ['i2', 'int2', ['-32768', '32767']],
    ['i4', 'int4', ['-2147483648', '7']],
    ['i8', 'int8', ['-9223372036854775808', '9223372036854775807']],
    ['f4', 'float4', ['1.5', "'-Infinity'"]],
    ['f8', 'float8', ['0.1', "'NaN'"]],
    ['n', 'numeric(20,4)', ['1234567890123456.1234', '-0.0001']],
    ['nu', 'numeric', ['123456789012345678.0123456789', '0']],
    ['t', 'text', ['\'héllo, "wörld"\'', "''"]],
    ['vc', 'varchar(5)', ["'abc'", "'ab'"]],
    ['bp', 'char(3)', ["'ab'", "'xyz'"]],
    ['by', 'bytea', ["'\\x00ff10'", "''"]],
    ['d', 'date', ["'2026-02-28'", "'0044-03-15 BC'"]],
    ['tm', 'time', ["'23:59:59.999999'", "'00:00'"]],
    ['ts', 'timestamp', ["'2026-01-02 03:04:05.678901'", "'infinity'"]],
    ['tz', 'timestamptz', ["'2026-01-02 03:04:05+05:30'", "'1999-12-31 23:59:59.5+00'"]],
    ['iv', 'interval', ["'1 year 2 mons 3 days 04:05:06.789'", "'-1 days +02:00:00'"]],
    ['u', 'uuid', ["'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "'00000000-0000-0000-0000-000000000000'"]],
    ['j', 'jsonb', [`'{"b": 1, "a": [1, "x", null]}'`, `'[]'`]],
    ['o', 'oid', ['4294967295', '0']],
    ['ai', 'int4[]', ["'{1,NULL,3}'", "'{}'"]],
    ['at', 'text[]', [`'{"a b","c,d",NULL}'`, `'{x,"y\\"z"}'`]],
  ];

  before(async () => {
    await admin.query(
      `CREATE TABLE alltypes (k int, ${COLUMNS.map(([n, t]) => `${n} ${t}`).join(', ')}, extra point, hidden text)`,
    );
    await admin.query(`ALTER TABLE alltypes REPLICA IDENTITY FULL`);
    await admin.query(`GRANT SELECT ON alltypes TO repl`);
    await admin.query(`CREATE PUBLICATION typed FOR TABLE alltypes`);
    for (const row of [0, 1]) {
      await admin.query(
        `INSERT INTO alltypes (k, ${COLUMNS.map(([n]) => n).join(', ')}, extra, hidden) VALUES (${row}, ${COLUMNS.map(([, , v]) => v[row]).join(', ')}, point(1, 2), 'secret')`,
      );
    }
    await admin.query(`INSERT INTO alltypes (k) VALUES (2)`);
  });

  test('a type no subsource can hold is refused with the columns named, and TEXT COLUMNS / EXCLUDE COLUMNS admit it', async () => {
    await assert.rejects(
      c.query(`CREATE SOURCE typed FROM POSTGRES CONNECTION pg (PUBLICATION 'typed') FOR ALL TABLES`),
      (e: pg.DatabaseError) => {
        assert.equal(e.code, '0A000');
        assert.equal(e.message, 'referenced tables use unsupported types');
        assert.match(e.detail ?? '', /"public"\."alltypes"\."extra": point/);
        assert.match(e.hint ?? '', /TEXT COLUMNS/);
        return true;
      },
    );
    assert.deepEqual(await slots(), []);
    await c.query(
      `CREATE SOURCE typed FROM POSTGRES CONNECTION pg (PUBLICATION 'typed', TEXT COLUMNS (alltypes.extra), EXCLUDE COLUMNS (public.alltypes.hidden)) FOR TABLES (public.alltypes AS typed_rows)`,
    );
    const cols = await q(
      `SELECT name, type FROM mz_catalog.mz_columns WHERE id = (SELECT id FROM mz_catalog.mz_sources WHERE name = 'typed_rows') ORDER BY position`,
    );
    assert.deepEqual(
      cols.map((r) => r.name),
      ['k', ...COLUMNS.map(([n]) => n), 'extra'],
    );
  });

  test('every value arrives as upstream holds it, in the snapshot and in the stream', async () => {
    const list = ['k', ...COLUMNS.map(([n]) => n), 'extra'].join(', ');
    // Snapshot rows 0-2; then the same values again through the stream as rows 10-12.
    await admin.query(
      `INSERT INTO alltypes SELECT k + 10, ${COLUMNS.map(([n]) => n).join(', ')}, extra, hidden FROM alltypes`,
    );
    await eventually('the streamed rows', async () => (await q(`SELECT count(*) AS n FROM typed_rows`))[0]!.n === '6');
    const up = await upstreamRows(`SELECT ${list} FROM alltypes`);
    const here = await ferryRows(`SELECT ${list} FROM typed_rows`);
    // Differences Ferry documents: jsonb keeps the upstream text, and an unconstrained
    // numeric is stored with 10 fractional digits.
    const norm = (rows: string[]): string[] =>
      rows.map((r) => {
        const v = JSON.parse(r) as (string | null)[];
        const i = 1 + COLUMNS.findIndex(([n]) => n === 'nu');
        if (v[i] !== null) v[i] = String(Number(v[i]));
        const j = 1 + COLUMNS.findIndex(([n]) => n === 'j');
        if (v[j] !== null) v[j] = JSON.stringify(JSON.parse(v[j]!));
        return JSON.stringify(v);
      });
    assert.deepEqual(norm(here).sort(), norm(up).sort());
    // Deletes match rows by every column, whatever the types.
    await admin.query(`DELETE FROM alltypes WHERE k IN (0, 11)`);
    await eventually('the deletes', async () => (await q(`SELECT count(*) AS n FROM typed_rows`))[0]!.n === '4');
    assert.deepEqual(
      norm(await ferryRows(`SELECT ${list} FROM typed_rows`)).sort(),
      norm(await upstreamRows(`SELECT ${list} FROM alltypes`)).sort(),
    );
  });

  test('a numeric that does not fit stalls the source with the reason; nothing is rounded', async () => {
    await admin.query(`INSERT INTO alltypes (k, nu) VALUES (99, 1.00000000001)`);
    await eventually('the stall', async () => {
      const r = await q(`SELECT status, error FROM mz_internal.mz_source_statuses WHERE name = 'typed'`);
      return r[0]?.status === 'stalled' && /more than 10 digits after the decimal point/.test(r[0]?.error ?? '');
    });
    assert.equal((await q(`SELECT count(*) AS n FROM typed_rows WHERE k = 99`))[0]!.n, '0');
    await admin.query(`DELETE FROM alltypes WHERE k = 99`);
    await c.query(`DROP SOURCE typed`);
    assert.deepEqual(await slots(), []);
  });
});
