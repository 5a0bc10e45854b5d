/**
 * The HTTP SQL API (`POST /api/sql`) against a real server process, with Node's fetch:
 * Materialize's result shapes, parameters, SQLSTATE errors, privileges of a non-superuser
 * role, body limits, and authentication with `--auth password` (Basic and console cookie).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFerry, type FerryProcess } from '../support/ferry.js';

interface Column {
  name: string;
  type_oid: number;
  type_len: number;
  type_mod: number;
}
type Result =
  | { tag: string; rows: unknown[][]; desc: { columns: Column[] }; notices: unknown[] }
  | { ok: string; notices: unknown[] }
  | { error: { message: string; code: string; detail?: string; hint?: string }; notices: unknown[] };

function basic(user: string, password = ''): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
}

async function sql(
  ferry: FerryProcess,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; results: Result[]; raw: unknown; res: Response }> {
  const res = await fetch(`http://127.0.0.1:${ferry.httpPort}/api/sql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const raw = (await res.json()) as { results?: Result[] };
  return { status: res.status, results: raw.results ?? [], raw, res };
}

function errorOf(r: Result | undefined): { message: string; code: string; detail?: string; hint?: string } {
  assert.ok(r && 'error' in r, `expected an error result, got ${JSON.stringify(r)}`);
  return r.error;
}

describe('HTTP SQL API, trust', { timeout: 120_000 }, () => {
  let ferry: FerryProcess;
  before(async () => {
    ferry = await startFerry();
  });
  after(async () => {
    await ferry.stop();
  });

  test('several statements: ok, rows with desc and JSON-typed values', async () => {
    const { status, results } = await sql(ferry, {
      query:
        'CREATE TABLE t (a int, b text, c bool, d numeric(5,2), e double precision, j jsonb, big bigint); ' +
        "INSERT INTO t VALUES (1, 'x', true, 1.5, 2.5, '{\"k\": [1, 2]}', 9007199254740993), (2, NULL, false, NULL, NULL, NULL, -3); " +
        'SELECT * FROM t ORDER BY a',
    });
    assert.equal(status, 200);
    assert.deepEqual(results.slice(0, 2), [
      { ok: 'CREATE TABLE', notices: [] },
      { ok: 'INSERT 0 2', notices: [] },
    ]);
    const rows = results[2]!;
    assert.ok('tag' in rows);
    assert.equal(rows.tag, 'SELECT 2');
    assert.deepEqual(
      rows.desc.columns.map((c) => [c.name, c.type_oid]),
      [
        ['a', 23],
        ['b', 25],
        ['c', 16],
        ['d', 1700],
        ['e', 701],
        ['j', 3802],
        ['big', 20],
      ],
    );
    assert.deepEqual(rows.desc.columns[0], { name: 'a', type_oid: 23, type_len: 4, type_mod: -1 });
    // Numbers and booleans are JSON values, numeric stays a string, jsonb is embedded.
    assert.deepEqual(rows.rows[0]!.slice(0, 6), [1, 'x', true, '1.50', 2.5, { k: [1, 2] }]);
    assert.deepEqual(rows.rows[1], [2, null, false, null, null, null, -3]);
  });

  test('GET /metrics has the built-in lines and those of the SQL API the server was started with', async () => {
    await sql(ferry, { query: 'SELECT 1' });
    const res = await fetch(`http://127.0.0.1:${ferry.httpPort}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /^ferry_sessions \d+$/m);
    assert.match(text, /^process_resident_memory_bytes \d+$/m);
    const requests = /^ferry_http_sql_requests_total (\d+)$/m.exec(text);
    assert.ok(requests && Number(requests[1]) >= 1, text);
    assert.match(text, /^ferry_http_sql_errors_total \d+$/m);
  });

  test('int8 keeps every digit in the JSON text', async () => {
    const res = await fetch(`http://127.0.0.1:${ferry.httpPort}/api/sql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'SELECT 9007199254740993::bigint AS n' }),
    });
    assert.match(await res.text(), /"rows":\[\[9007199254740993\]\]/);
  });

  test('extended: parameters as text and null, one result per query', async () => {
    const { results } = await sql(ferry, {
      queries: [
        { query: 'SELECT $1::int + 1 AS x, $2::text IS NULL AS n', params: ['41', null] },
        { query: 'INSERT INTO t (a, b) VALUES ($1, $2)', params: ['3', 'three'] },
        { query: 'SELECT b FROM t WHERE a = $1', params: ['3'] },
      ],
    });
    assert.equal(results.length, 3);
    assert.ok('rows' in results[0]!);
    assert.deepEqual(results[0].rows, [[42, true]]);
    assert.deepEqual(results[1], { ok: 'INSERT 0 1', notices: [] });
    assert.ok('rows' in results[2]!);
    assert.deepEqual(results[2].rows, [['three']]);
  });

  test('extended: wrong parameter count and JSON numbers are refused', async () => {
    const { results } = await sql(ferry, { queries: [{ query: 'SELECT $1::int', params: [] }] });
    assert.equal(errorOf(results[0]).code, '08P01');
    const bad = await sql(ferry, { queries: [{ query: 'SELECT $1::int', params: [1] }] });
    assert.equal(bad.status, 400);
  });

  test('errors carry the SQLSTATE and stop execution; earlier results are kept', async () => {
    const { results } = await sql(ferry, { query: 'SELECT 1 AS one; SELECT * FROM no_such_table; SELECT 2' });
    assert.equal(results.length, 2);
    assert.ok('rows' in results[0]!);
    const e = errorOf(results[1]);
    assert.equal(e.code, '42P01');
    assert.match(e.message, /no_such_table/);
    // The implicit transaction of a failed multi-statement query is rolled back.
    await sql(ferry, { query: 'CREATE TABLE u (x int)' });
    const failed = await sql(ferry, {
      query: 'INSERT INTO u VALUES (1); SELECT 1/(x - 1) FROM u WHERE x = 2; SELECT * FROM nope',
    });
    errorOf(failed.results.at(-1));
    const count = await sql(ferry, { query: 'SELECT count(*) AS n FROM u' });
    assert.ok('rows' in count.results[0]!);
    assert.deepEqual(count.results[0].rows, [[0]]);
  });

  test('session variables from ?options, as in Materialize', async () => {
    const url = `http://127.0.0.1:${ferry.httpPort}/api/sql?options=${encodeURIComponent(JSON.stringify({ application_name: 'reporting' }))}`;
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'SHOW application_name' }),
    });
    const body = (await res.json()) as { results: Result[] };
    assert.ok('rows' in body.results[0]!);
    assert.deepEqual(body.results[0].rows, [['reporting']]);
    const bad = await fetch(`http://127.0.0.1:${ferry.httpPort}/api/sql?options=nope`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"SELECT 1"}',
    });
    assert.equal(bad.status, 400);
  });

  test('COPY to or from the client is refused with 0A000', async () => {
    for (const query of ['COPY t TO STDOUT', 'COPY t FROM STDIN']) {
      const e = errorOf((await sql(ferry, { query })).results[0]);
      assert.equal(e.code, '0A000');
      assert.match(e.message, /over the HTTP API not yet supported/);
      assert.ok(e.hint);
    }
  });

  test('a non-superuser role has its own privileges', async () => {
    await sql(ferry, {
      query:
        "CREATE ROLE alice LOGIN; CREATE TABLE secret_stuff (v text); INSERT INTO secret_stuff VALUES ('s'); CREATE TABLE shared (v int)",
    });
    await sql(ferry, { query: 'GRANT SELECT ON shared TO alice' });
    const denied = await sql(ferry, { query: 'SELECT * FROM secret_stuff' }, { authorization: basic('alice') });
    const e = errorOf(denied.results[0]);
    assert.equal(e.code, '42501');
    assert.match(e.message, /permission denied/);
    const allowed = await sql(ferry, { query: 'SELECT count(*) AS n FROM shared' }, { authorization: basic('alice') });
    assert.ok('rows' in allowed.results[0]!, JSON.stringify(allowed.results));
    const whoami = await sql(ferry, { query: 'SELECT current_user AS u' }, { authorization: basic('alice') });
    assert.ok('rows' in whoami.results[0]!);
    assert.deepEqual(whoami.results[0].rows, [['alice']]);
    const unknown = await sql(ferry, { query: 'SELECT 1' }, { authorization: basic('nobody') });
    assert.equal(unknown.status, 401);
  });

  test('request bodies are bounded and must be JSON', async () => {
    const big = 'x'.repeat(16 * 1024 * 1024 + 1);
    const res = await fetch(`http://127.0.0.1:${ferry.httpPort}/api/sql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: big,
    });
    assert.equal(res.status, 413);
    const notJson = await fetch(`http://127.0.0.1:${ferry.httpPort}/api/sql`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{}',
    });
    assert.equal(notJson.status, 415);
    assert.equal((await sql(ferry, { query: 'SELECT 1', queries: [] })).status, 400);
    assert.equal((await fetch(`http://127.0.0.1:${ferry.httpPort}/api/sql`)).status, 405);
  });

  test('POST /api/cancel interrupts the named request', async () => {
    const running = sql(
      ferry,
      { query: 'SELECT count(*) FROM generate_series(0, 99999999999) a' },
      { 'x-ferry-request-id': 'req-1' },
    );
    let cancelled = false;
    for (let i = 0; i < 50 && !cancelled; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const res = await fetch(`http://127.0.0.1:${ferry.httpPort}/api/cancel`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ request_id: 'req-1' }),
      });
      cancelled = ((await res.json()) as { cancelled: boolean }).cancelled;
    }
    assert.ok(cancelled);
    const e = errorOf((await running).results[0]);
    assert.equal(e.code, '57014');
  });
});

describe('HTTP SQL API, --auth password', { timeout: 120_000 }, () => {
  let ferry: FerryProcess;
  before(async () => {
    // Roles and passwords are set up in trust mode, then the server restarts with passwords on.
    const setup = await startFerry();
    try {
      const { results } = await sql(setup, {
        query:
          "ALTER ROLE materialize PASSWORD 'mz-secret'; CREATE ROLE bob LOGIN PASSWORD 'bob pw'; CREATE ROLE nopw LOGIN",
      });
      assert.ok(
        results.every((r) => 'ok' in r),
        JSON.stringify(results),
      );
    } finally {
      await setup.stop();
    }
    ferry = await startFerry({ dataDir: setup.dataDir, args: ['--auth', 'password'] });
  });
  after(async () => {
    await ferry.stop();
  });

  test('no credentials, a wrong password or a role without password: 401', async () => {
    const none = await sql(ferry, { query: 'SELECT 1' });
    assert.equal(none.status, 401);
    assert.match(none.res.headers.get('www-authenticate') ?? '', /^Basic/);
    assert.equal((await sql(ferry, { query: 'SELECT 1' }, { authorization: basic('bob', 'wrong') })).status, 401);
    assert.equal((await sql(ferry, { query: 'SELECT 1' }, { authorization: basic('nopw', '') })).status, 401);
    assert.equal((await sql(ferry, { query: 'SELECT 1' }, { authorization: basic('ghost', 'x') })).status, 401);
    // The console asks for no browser challenge.
    const quiet = await sql(ferry, { query: 'SELECT 1' }, { 'x-ferry-console': '1' });
    assert.equal(quiet.res.headers.get('www-authenticate'), null);
    assert.equal((await fetch(`http://127.0.0.1:${ferry.httpPort}/api/session`)).status, 401);
  });

  test('Basic credentials of a role with a password', async () => {
    const { status, results } = await sql(
      ferry,
      { query: 'SELECT current_user AS u' },
      { authorization: basic('bob', 'bob pw') },
    );
    assert.equal(status, 200);
    assert.ok('rows' in results[0]!);
    assert.deepEqual(results[0].rows, [['bob']]);
  });

  test('console login sets an HttpOnly SameSite=Strict cookie that authenticates, logout ends it', async () => {
    const base = `http://127.0.0.1:${ferry.httpPort}`;
    const bad = await fetch(`${base}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'bob', password: 'nope' }),
    });
    assert.equal(bad.status, 401);
    assert.equal(bad.headers.get('set-cookie'), null);
    const res = await fetch(`${base}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: 'bob', password: 'bob pw' }),
    });
    assert.equal(res.status, 200);
    const setCookie = res.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^ferry_session=[A-Za-z0-9_-]{43};/);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.ok(!setCookie.includes('bob pw'));
    const cookie = setCookie.split(';')[0]!;
    const session = await fetch(`${base}/api/session`, { headers: { cookie } });
    assert.deepEqual(await session.json(), { user: 'bob', auth: 'password', via: 'cookie' });
    const { results } = await sql(ferry, { query: 'SELECT current_user AS u' }, { cookie });
    assert.ok('rows' in results[0]!);
    assert.deepEqual(results[0].rows, [['bob']]);
    await fetch(`${base}/api/logout`, { method: 'POST', headers: { cookie } });
    assert.equal((await sql(ferry, { query: 'SELECT 1' }, { cookie })).status, 401);
    assert.ok(!ferry.log().includes('bob pw'));
  });
});
