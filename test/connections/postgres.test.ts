// test-needs: postgres
/**
 * CREATE / ALTER / VALIDATE / SHOW CREATE / DROP CONNECTION … TO POSTGRES against real
 * PostgreSQL 15 clusters: one set up for logical replication, and one for each refusal
 * Materialize names (wal_level replica, max_wal_senders 0, too few replication slots, a
 * role without REPLICATION, a wrong password). Every refusal leaves the catalog as it was,
 * and the password never shows in catalog rows, errors or the server log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type FerryProcess, startFerry } from '../support/ferry.js';
import { type Upstream, startUpstream } from '../support/postgres.js';

const PASSWORD = 'r3pl-s3cret-value';

let ferry: FerryProcess;
let c: pg.Client;
let good: Upstream;
const others: Upstream[] = [];

type TextRow = Record<string, string | null>;

async function client(user = 'materialize', password?: string): Promise<pg.Client> {
  const cl = new pg.Client({ ...ferry.pgConfig(user, password), types: { getTypeParser: () => (v: string) => v } });
  cl.on('error', () => undefined);
  await cl.connect();
  return cl;
}

/** A role `repl` with REPLICATION (unless told otherwise) and PASSWORD on `u`. */
async function addRole(u: Upstream, replication = true): Promise<void> {
  const a = await u.admin();
  try {
    await a.query(`CREATE ROLE repl LOGIN ${replication ? 'REPLICATION' : ''} PASSWORD '${PASSWORD}'`);
  } finally {
    await a.end();
  }
}

const opts = (u: Upstream, extra = ''): string =>
  `HOST '127.0.0.1', PORT ${u.port}, USER 'repl', PASSWORD SECRET pgpass, DATABASE 'postgres'${extra}`;

async function connections(): Promise<(string | null)[][]> {
  return (
    await c.query<string[]>({
      text: `SELECT name, type, create_sql FROM mz_catalog.mz_connections ORDER BY name`,
      rowMode: 'array',
    })
  ).rows;
}

async function expectRefusal(sql: string, code: string, message: string): Promise<pg.DatabaseError> {
  const before = await connections();
  let caught: pg.DatabaseError | undefined;
  await assert.rejects(c.query(sql), (err: pg.DatabaseError) => {
    caught = err;
    assert.equal(err.code, code, `${sql}: ${err.message}`);
    assert.equal(err.message, message, sql);
    return true;
  });
  assert.deepEqual(await connections(), before, 'the refusal changed nothing');
  assert.ok(!JSON.stringify(caught).includes(PASSWORD), 'the password is not in the error');
  return caught!;
}

before(async () => {
  good = await startUpstream({ wal_level: 'logical', max_wal_senders: '4', max_replication_slots: '4' });
  await addRole(good);
  ferry = await startFerry();
  c = await client();
  await c.query(`CREATE SECRET pgpass AS '${PASSWORD}'`);
  await c.query(`CREATE SECRET wrongpass AS 'not-the-password'`);
});

after(async () => {
  await c?.end().catch(() => undefined);
  await ferry?.stop();
  good?.stop();
  for (const u of others) u.stop();
});

describe('a server set up for replication', () => {
  test('CREATE validates and stores the connection; SHOW CREATE and mz_connections show no secret', async () => {
    await c.query(`CREATE CONNECTION pg TO POSTGRES (${opts(good)})`);
    const rows = await connections();
    assert.deepEqual(rows, [
      [
        'pg',
        'postgres',
        `CREATE CONNECTION "materialize"."public"."pg" TO POSTGRES (HOST = '127.0.0.1', PORT = ${good.port}, USER = 'repl', PASSWORD = SECRET "materialize"."public"."pgpass", DATABASE = 'postgres')`,
      ],
    ]);
    const show = await c.query<TextRow>('SHOW CREATE CONNECTION pg');
    assert.equal(show.rows[0]?.create_sql, rows[0]![2]);
    const v = await c.query('VALIDATE CONNECTION pg');
    assert.equal(v.command, 'VALIDATE');
  });

  test('a wrong password is refused at CREATE; with VALIDATE = false the connection is kept and VALIDATE fails', async () => {
    const e = await expectRefusal(
      `CREATE CONNECTION pg_wrong TO POSTGRES (HOST '127.0.0.1', PORT ${good.port}, USER 'repl', PASSWORD SECRET wrongpass)`,
      '08001',
      'error connecting to server: password authentication failed for user "repl"',
    );
    void e;
    await c.query(
      `CREATE CONNECTION pg_wrong TO POSTGRES (HOST '127.0.0.1', PORT ${good.port}, USER 'repl', PASSWORD SECRET wrongpass) WITH (VALIDATE = false)`,
    );
    await assert.rejects(
      c.query('VALIDATE CONNECTION pg_wrong'),
      (err: pg.DatabaseError) =>
        err.code === '08001' &&
        err.message === 'error connecting to server: password authentication failed for user "repl"',
    );
    // ALTER to the right secret validates and then succeeds.
    await c.query('ALTER CONNECTION pg_wrong SET (PASSWORD = SECRET pgpass)');
    await c.query('VALIDATE CONNECTION pg_wrong');
    await c.query('DROP CONNECTION pg_wrong');
  });

  test('an ALTER that fails validation changes nothing', async () => {
    const before = await connections();
    await assert.rejects(
      c.query(`ALTER CONNECTION pg SET (PORT = 1)`),
      (err: pg.DatabaseError) => err.code === '08001' && /^error connecting to server: /.test(err.message),
    );
    assert.deepEqual(await connections(), before);
    await c.query('VALIDATE CONNECTION pg');
  });

  test('options: unknown, repeated, missing, and of the wrong kind', async () => {
    await expectRefusal(
      `CREATE CONNECTION x TO POSTGRES (HOST 'h', USER 'u', REGION 'r') WITH (VALIDATE = false)`,
      '42601',
      'POSTGRES connections do not support REGION values',
    );
    await expectRefusal(
      `CREATE CONNECTION x TO POSTGRES (HOST 'h', HOST 'h', USER 'u') WITH (VALIDATE = false)`,
      '42601',
      'HOST specified more than once',
    );
    await expectRefusal(
      `CREATE CONNECTION x TO POSTGRES (USER 'u') WITH (VALIDATE = false)`,
      '42601',
      'POSTGRES connection must specify HOST',
    );
    await expectRefusal(
      `CREATE CONNECTION x TO POSTGRES (HOST 'h', USER 'u', PASSWORD 'plain') WITH (VALIDATE = false)`,
      '22023',
      'invalid PASSWORD: must provide a secret value',
    );
    await expectRefusal(
      `CREATE CONNECTION x TO POSTGRES (HOST 'h', USER 'u', PORT 70000) WITH (VALIDATE = false)`,
      '22023',
      'invalid PORT: "70000" is not a port number (1-65535)',
    );
    await expectRefusal(
      `CREATE CONNECTION x TO POSTGRES (HOST 'h', USER 'u', SSL MODE 'sometimes') WITH (VALIDATE = false)`,
      '22023',
      `invalid SSL MODE: "sometimes"; expected one of 'disable', 'require', 'verify-ca', 'verify-full'`,
    );
    await expectRefusal(
      `CREATE CONNECTION x TO POSTGRES (HOST 'h', USER 'u', PASSWORD SECRET nope) WITH (VALIDATE = false)`,
      '42704',
      "unknown catalog item 'nope'",
    );
  });

  test('SSL MODE require against a server without TLS is refused', async () => {
    await expectRefusal(
      `CREATE CONNECTION pg_tls TO POSTGRES (${opts(good, ", SSL MODE 'require'")})`,
      '08001',
      'error connecting to server: The server does not support SSL connections',
    );
  });

  test('privileges: USAGE on the secret to create, ownership to alter, USAGE to validate', async () => {
    await c.query(`CREATE ROLE dev LOGIN PASSWORD 'dev'`);
    await c.query('GRANT CREATE ON SCHEMA public TO dev');
    const dev = await client('dev', 'dev');
    try {
      await assert.rejects(
        dev.query(`CREATE CONNECTION dev_pg TO POSTGRES (${opts(good)})`),
        (err: pg.DatabaseError) =>
          err.code === '42501' && err.message === 'permission denied for SECRET "materialize.public.pgpass"',
      );
      await assert.rejects(
        dev.query('VALIDATE CONNECTION pg'),
        (err: pg.DatabaseError) =>
          err.code === '42501' && err.message === 'permission denied for CONNECTION "materialize.public.pg"',
      );
      await assert.rejects(
        dev.query('ALTER CONNECTION pg SET (PORT = 5432) WITH (VALIDATE = false)'),
        (err: pg.DatabaseError) => err.code === '42501',
      );
      await c.query('GRANT USAGE ON CONNECTION pg TO dev');
      await dev.query('VALIDATE CONNECTION pg');
    } finally {
      await dev.end();
    }
  });

  test('the password is not in the server log', () => {
    assert.ok(!ferry.log().includes(PASSWORD));
  });
});

describe('servers not set up for replication: Materialize texts', () => {
  const cases: [string, Record<string, string>, boolean, string, string, string | undefined, string | undefined][] = [
    [
      'wal_level replica',
      { wal_level: 'replica' },
      true,
      '55000',
      'server must have wal_level >= logical, but has replica',
      undefined,
      undefined,
    ],
    [
      'max_wal_senders 0',
      { wal_level: 'logical', max_wal_senders: '0' },
      true,
      '55000',
      'replication disabled on server',
      undefined,
      'set max_wal_senders to a value > 0',
    ],
    [
      'one replication slot',
      { wal_level: 'logical', max_replication_slots: '1' },
      true,
      '53400',
      'PostgreSQL server has insufficient number of replication slots available',
      'executing this statement requires 2 replication slots',
      'you might be able to wait for other sources to finish snapshotting and try again',
    ],
    [
      'a role without REPLICATION',
      { wal_level: 'logical' },
      false,
      '42501',
      'insufficient privileges',
      'user repl lacks the REPLICATION attribute, which reading a replication slot needs',
      'ALTER ROLE repl REPLICATION',
    ],
  ];
  for (const [label, settings, replication, code, message, detail, hint] of cases) {
    test(label, async () => {
      const u = await startUpstream(settings);
      others.push(u);
      await addRole(u, replication);
      const e = await expectRefusal(`CREATE CONNECTION bad TO POSTGRES (${opts(u)})`, code, message);
      assert.equal(e.detail, detail);
      assert.equal(e.hint, hint);
      // Kept without validation, it fails VALIDATE the same way.
      await c.query(`CREATE CONNECTION bad TO POSTGRES (${opts(u)}) WITH (VALIDATE = false)`);
      await assert.rejects(c.query('VALIDATE CONNECTION bad'), (err: pg.DatabaseError) => err.message === message);
      await c.query('DROP CONNECTION bad');
      u.stop();
    });
  }

  test('the slots a running server has in use count', async () => {
    const u = await startUpstream({ wal_level: 'logical', max_replication_slots: '2' });
    others.push(u);
    await addRole(u);
    const a = await u.admin();
    try {
      await a.query(`SELECT pg_create_logical_replication_slot('taken', 'pgoutput')`);
    } finally {
      await a.end();
    }
    await expectRefusal(
      `CREATE CONNECTION bad TO POSTGRES (${opts(u)})`,
      '53400',
      'PostgreSQL server has insufficient number of replication slots available',
    );
    u.stop();
  });
});
