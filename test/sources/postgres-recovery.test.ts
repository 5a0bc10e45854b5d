// test-needs: postgres
/**
 * What a PostgreSQL source survives, against a real PostgreSQL 15: `kill -9` of Ferry in
 * the middle of the snapshot (the snapshot is taken again at the next start and reads wait
 * for it), a restart of PostgreSQL in the middle of a stream of changes (the source
 * stalls, reconnects and loses nothing), upstream schema changes (an added column is
 * ignored, a dropped one is an error state), a quiet stream (the stored position still
 * moves, so the slot does not hold WAL for ever), and the privileges CREATE SOURCE needs.
 * After each, every row is compared with upstream.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type FerryProcess, startFerry } from '../support/ferry.js';
import { type Upstream, startUpstream } from '../support/postgres.js';

const PASSWORD = 'recovery-pw';

let ferry: FerryProcess;
let c: pg.Client;
let up: Upstream;
let admin: pg.Client;

async function client(user = 'materialize'): Promise<pg.Client> {
  const cl = new pg.Client({ ...ferry.pgConfig(user), types: { getTypeParser: () => (v: string) => v } });
  cl.on('error', () => undefined);
  await cl.connect();
  return cl;
}

async function newAdmin(): Promise<pg.Client> {
  for (let i = 0; ; i++) {
    try {
      return await up.admin();
    } catch (err) {
      if (i > 50) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function eventually(what: string, fn: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (await fn().catch(() => false)) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}\n${ferry.log().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function rows(cl: pg.Client, sql: string): Promise<string[]> {
  const r = await cl.query({ text: sql, rowMode: 'array', types: { getTypeParser: () => (v: string) => v } });
  return (r.rows as unknown[][]).map((x) => JSON.stringify(x)).sort();
}

async function one(cl: pg.Client, sql: string): Promise<string | null> {
  const r = await cl.query({ text: sql, rowMode: 'array', types: { getTypeParser: () => (v: string) => v } });
  return ((r.rows[0] as (string | null)[] | undefined) ?? [null])[0] ?? null;
}

before(async () => {
  up = await startUpstream({
    wal_level: 'logical',
    max_wal_senders: '10',
    max_replication_slots: '10',
    // Keepalives every second, for the quiet-stream case.
    wal_sender_timeout: '2s',
  });
  admin = await up.admin();
  await admin.query(`CREATE ROLE repl LOGIN REPLICATION PASSWORD '${PASSWORD}'`);
  await admin.query(`
    CREATE TABLE big (id int NOT NULL, pad text);
    INSERT INTO big SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 300000) g;
    CREATE TABLE live (id int NOT NULL, v text);
    CREATE TABLE other (id int);
    ALTER TABLE big REPLICA IDENTITY FULL;
    ALTER TABLE live REPLICA IDENTITY FULL;
    GRANT SELECT ON ALL TABLES IN SCHEMA public TO repl;
    CREATE PUBLICATION p_big FOR TABLE big;
    CREATE PUBLICATION p_live FOR TABLE live;
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

describe('crashes and restarts', () => {
  test('kill -9 during the snapshot: the next start takes it again, and reads wait for it', async () => {
    const creating = c.query(`CREATE SOURCE s_big FROM POSTGRES CONNECTION pg (PUBLICATION 'p_big') FOR ALL TABLES`);
    creating.catch(() => undefined);
    await eventually('the snapshot to start', () => Promise.resolve(/source snapshot starting/.test(ferry.log())));
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(!/source snapshot committed/.test(ferry.log()), 'the snapshot was still running when killed');
    await ferry.kill();
    await assert.rejects(creating);
    // Changes made while Ferry is down belong to the new snapshot or to the stream.
    await admin.query(`UPDATE big SET pad = 'changed' WHERE id <= 10`);
    await admin.query(`DELETE FROM big WHERE id > 299990`);
    ferry = await startFerry({ dataDir: ferry.dataDir });
    c = await client();
    // This read waits for the snapshot, then sees all of it at once.
    assert.equal(await one(c, `SELECT count(*) FROM big`), '299990');
    await admin.query(`INSERT INTO big VALUES (400000, 'after')`);
    await eventually(
      'the stream after the snapshot',
      async () => (await one(c, `SELECT count(*) FROM big`)) === '299991',
    );
    assert.deepEqual(await rows(c, `SELECT id, pad FROM big`), await rows(admin, `SELECT id, pad FROM big`));
    const slots = await rows(admin, `SELECT slot_name FROM pg_replication_slots`);
    assert.equal(slots.length, 1, 'the interrupted snapshot left no second slot');
    await c.query(`DROP SOURCE s_big`);
  });

  test('PostgreSQL restarts in the middle of a stream: the source stalls, resumes and loses nothing', async () => {
    await c.query(`CREATE SOURCE s_live FROM POSTGRES CONNECTION pg (PUBLICATION 'p_live') FOR TABLES (live)`);
    for (let i = 1; i <= 50; i++) await admin.query(`INSERT INTO live VALUES (${i}, 'before')`);
    await admin.end();
    up.restart();
    admin = await newAdmin();
    await eventually('the stall to be seen or the stream to resume', async () => {
      const st = await one(c, `SELECT status FROM mz_internal.mz_source_statuses WHERE name = 's_live'`);
      return st === 'stalled' || st === 'running';
    });
    for (let i = 51; i <= 100; i++) await admin.query(`INSERT INTO live VALUES (${i}, 'after')`);
    await admin.query(`UPDATE live SET v = 'updated' WHERE id % 10 = 0`);
    await eventually(
      'every change',
      async () => (await one(c, `SELECT count(*) FROM live WHERE v = 'updated'`)) === '10',
    );
    assert.deepEqual(await rows(c, `SELECT * FROM live`), await rows(admin, `SELECT * FROM live`));
    assert.equal(await one(c, `SELECT status FROM mz_internal.mz_source_statuses WHERE name = 's_live'`), 'running');
  });

  test('a quiet stream still moves its stored position, so the slot releases WAL', async () => {
    const before = await one(c, `SELECT lsn FROM s_live_progress`);
    for (let i = 0; i < 20; i++) await admin.query(`INSERT INTO other VALUES (${i})`);
    const upstreamNow = BigInt((await one(admin, `SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint`))!);
    await eventually(
      'the progress to pass the unrelated writes',
      async () => BigInt((await one(c, `SELECT lsn FROM s_live_progress`))!) >= upstreamNow,
    );
    const afterLsn = (await one(c, `SELECT lsn FROM s_live_progress`))!;
    assert.ok(BigInt(afterLsn) > BigInt(before!), `${before} -> ${afterLsn} (upstream ${upstreamNow})`);
    await eventually('the slot to confirm it', async () => {
      const confirmed = await one(
        admin,
        `SELECT (confirmed_flush_lsn - '0/0'::pg_lsn)::bigint FROM pg_replication_slots`,
      );
      return BigInt(confirmed!) >= upstreamNow;
    });
  });
});

describe('kill -9 while changes stream in', () => {
  test('every upstream row arrives exactly once across the crash', async () => {
    const writer = await newAdmin();
    let stop = false;
    let next = 1000;
    const writing = (async () => {
      // Bounded, so the catch-up takes seconds on a small machine (updates scan the subsource).
      while (!stop && next < 4000) {
        await writer.query(`INSERT INTO live VALUES (${next}, 'stream')`);
        if (next % 3 === 0) await writer.query(`UPDATE live SET v = 'stream-updated' WHERE id = ${next - 1}`);
        next++;
      }
    })();
    await eventually(
      'rows to stream in',
      async () => Number(await one(c, `SELECT count(*) FROM live WHERE id >= 1000`)) > 50,
    );
    await ferry.kill();
    await new Promise((r) => setTimeout(r, 500));
    ferry = await startFerry({ dataDir: ferry.dataDir });
    c = await client();
    await new Promise((r) => setTimeout(r, 500));
    stop = true;
    await writing;
    await writer.end();
    const expected = await rows(admin, `SELECT * FROM live`);
    await eventually(
      'Ferry to catch up',
      async () => JSON.stringify(await rows(c, `SELECT * FROM live`)) === JSON.stringify(expected),
    );
    assert.equal(await one(c, `SELECT count(*) - count(DISTINCT id) FROM live`), '0', 'no row applied twice');
  });
});

describe('ALTER CONNECTION', () => {
  test('a running source reconnects with the altered options', async () => {
    await c.query(`ALTER CONNECTION pg SET (PORT = 1) WITH (VALIDATE = false)`);
    await eventually('the source to stall on the new port', async () => {
      const r = await one(c, `SELECT error FROM mz_internal.mz_source_statuses WHERE name = 's_live'`);
      return /ECONNREFUSED|connect/i.test(r ?? '');
    });
    await admin.query(`INSERT INTO live VALUES (-1, 'while stalled')`);
    await c.query(`ALTER CONNECTION pg SET (PORT = ${up.port})`);
    await eventually(
      'the row after the fix',
      async () => (await one(c, `SELECT v FROM live WHERE id = -1`)) === 'while stalled',
    );
    assert.equal(await one(c, `SELECT status FROM mz_internal.mz_source_statuses WHERE name = 's_live'`), 'running');
  });
});

describe('schema changes upstream', () => {
  test('an added column is ignored; a dropped column puts the subsource in an error state', async () => {
    await admin.query(`ALTER TABLE live ADD COLUMN note text`);
    await admin.query(`INSERT INTO live VALUES (200, 'with note', 'ignored')`);
    await eventually('the row', async () => (await one(c, `SELECT v FROM live WHERE id = 200`)) === 'with note');
    assert.deepEqual(
      (await c.query(`SELECT * FROM live WHERE id = 200`)).fields.map((f) => f.name),
      ['id', 'v'],
    );
    await admin.query(`ALTER TABLE live DROP COLUMN v`);
    await admin.query(`INSERT INTO live VALUES (201, 'x')`);
    await eventually('the error state', async () => {
      const e = await one(c, `SELECT error FROM mz_internal.mz_source_statuses WHERE name = 'live'`);
      return /^incompatible schema change: column "v" of "public"\."live" was dropped/.test(e ?? '');
    });
    await assert.rejects(c.query(`SELECT * FROM live`), (e: pg.DatabaseError) =>
      /^incompatible schema change/.test(e.message),
    );
    // The error state outlives a restart: the subsource does not quietly become readable.
    await c.end();
    await ferry.stop();
    ferry = await startFerry({ dataDir: ferry.dataDir });
    c = await client();
    await assert.rejects(c.query(`SELECT * FROM live`), (e: pg.DatabaseError) =>
      /^incompatible schema change/.test(e.message),
    );
    await c.query(`DROP SOURCE s_live`);
  });
});

describe('stopping a source that is still starting', () => {
  test('DROP SOURCE right after CREATE returns, and leaves no slot', { timeout: 60_000 }, async () => {
    for (let i = 0; i < 3; i++) {
      await c.query(`CREATE SOURCE quick FROM POSTGRES CONNECTION pg (PUBLICATION 'p_live') FOR ALL TABLES`);
      await c.query(`DROP SOURCE quick`);
      assert.deepEqual(await rows(admin, `SELECT slot_name FROM pg_replication_slots`), []);
    }
  });
});

describe('privileges', () => {
  test('CREATE SOURCE needs USAGE on the connection and CREATE on the schema; the refusals change nothing', async () => {
    await c.query(`CREATE ROLE joe LOGIN`);
    const joe = await client('joe');
    try {
      await assert.rejects(
        joe.query(`CREATE SOURCE j FROM POSTGRES CONNECTION pg (PUBLICATION 'p_live') FOR ALL TABLES`),
        (e: pg.DatabaseError) => e.code === '42501',
      );
      await c.query(`GRANT CREATE ON SCHEMA public TO joe`);
      await assert.rejects(
        joe.query(`CREATE SOURCE j FROM POSTGRES CONNECTION pg (PUBLICATION 'p_live') FOR ALL TABLES`),
        (e: pg.DatabaseError) => e.code === '42501' && /CONNECTION/.test(e.message),
      );
      assert.deepEqual(await rows(c, `SELECT name FROM mz_catalog.mz_sources`), []);
      assert.deepEqual(await rows(admin, `SELECT slot_name FROM pg_replication_slots`), []);
      await c.query(`GRANT USAGE ON CONNECTION pg TO joe`);
      await joe.query(`CREATE SOURCE j FROM POSTGRES CONNECTION pg (PUBLICATION 'p_live') FOR ALL TABLES`);
      // Another role may not read it without SELECT, nor drop it.
      await c.query(`CREATE ROLE ann LOGIN`);
      const ann = await client('ann');
      try {
        await assert.rejects(ann.query(`SELECT * FROM live`), (e: pg.DatabaseError) => e.code === '42501');
        await assert.rejects(ann.query(`DROP SOURCE j`), (e: pg.DatabaseError) => e.code === '42501');
      } finally {
        await ann.end();
      }
      await joe.query(`DROP SOURCE j`);
      assert.deepEqual(await rows(admin, `SELECT slot_name FROM pg_replication_slots`), []);
    } finally {
      await joe.end();
    }
  });

  test('an upstream role without SELECT on a published table is refused with the table named', async () => {
    await admin.query(`REVOKE SELECT ON big FROM repl`);
    await assert.rejects(
      c.query(`CREATE SOURCE nope FROM POSTGRES CONNECTION pg (PUBLICATION 'p_big') FOR ALL TABLES`),
      (e: pg.DatabaseError) => {
        assert.equal(e.code, '42501');
        assert.equal(e.message, 'insufficient privileges');
        assert.match(e.detail ?? '', /"public"\."big"/);
        return true;
      },
    );
    assert.deepEqual(await rows(admin, `SELECT slot_name FROM pg_replication_slots`), []);
  });
});
