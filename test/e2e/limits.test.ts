// Limits against a real server process: statement_timeout, idle_in_transaction_session_timeout,
// max_connections, identifier length, a NUL inside a Query, and the statement size cap.
// Each refusal has its SQLSTATE and wording, and the server (and the session, where
// PostgreSQL keeps it) goes on serving with nothing half done.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { startFerry, type FerryProcess } from '../support/ferry.js';
import { RawClient, dataRowValues, errorFields, fe } from '../wire/frontend.js';

let ferry: FerryProcess;

before(async () => {
  ferry = await startFerry({ args: ['--max-connections', '4', '--max-statement-bytes', '4096'] });
});
after(async () => {
  await ferry.stop();
});

async function client(): Promise<pg.Client> {
  const c = new pg.Client(ferry.pgConfig());
  await c.connect();
  return c;
}

async function code(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { code?: string; message: string };
    return { code: e.code ?? '', message: e.message };
  }
  throw new Error('expected an error');
}

const SLOW = 'SELECT count(*) FROM generate_series(1, 1000000000) a, generate_series(1, 1000000000) b';

describe('statement_timeout', () => {
  test('a statement running past it is cancelled with 57014, in both protocols; the session goes on', async () => {
    const c = await client();
    try {
      await c.query(`SET statement_timeout = '300ms'`);
      assert.deepEqual((await c.query('SHOW statement_timeout')).rows, [{ statement_timeout: '300ms' }]);
      const t0 = Date.now();
      assert.deepEqual(await code(c.query(SLOW)), {
        code: '57014',
        message: 'canceling statement due to statement timeout',
      });
      assert.ok(Date.now() - t0 < 20_000);
      // Extended protocol (a parameter forces Parse/Bind/Execute).
      assert.deepEqual(await code(c.query(`${SLOW} WHERE $1::int = 1`, [1])), {
        code: '57014',
        message: 'canceling statement due to statement timeout',
      });
      assert.deepEqual((await c.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
      // A fast statement is untouched, and 0 turns the timeout off.
      await c.query('SET statement_timeout = 0');
      assert.deepEqual((await c.query('SHOW statement_timeout')).rows, [{ statement_timeout: '0' }]);
    } finally {
      await c.end();
    }
  });

  test('the HTTP SQL API honours it too (options={"statement_timeout": …})', async () => {
    const options = encodeURIComponent(JSON.stringify({ statement_timeout: '300ms' }));
    const res = await fetch(`http://127.0.0.1:${ferry.httpPort}/api/sql?options=${options}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: SLOW }),
    });
    const body = (await res.json()) as { results: { error?: { code: string; message: string } }[] };
    assert.deepEqual(body.results[0]?.error, {
      code: '57014',
      message: 'canceling statement due to statement timeout',
    });
  });

  test('an invalid value is refused with 22023 and the old value stays', async () => {
    const c = await client();
    try {
      await c.query(`SET statement_timeout = '2s'`);
      assert.deepEqual(await code(c.query(`SET statement_timeout = 'soon'`)), {
        code: '22023',
        message: 'invalid value for parameter "statement_timeout": "soon"',
      });
      assert.deepEqual((await c.query('SHOW statement_timeout')).rows, [{ statement_timeout: '2s' }]);
    } finally {
      await c.end();
    }
  });
});

describe('idle_in_transaction_session_timeout', () => {
  test('a session idle inside a transaction is ended with 25P03 and its work rolled back', async () => {
    const setup = await client();
    await setup.query('CREATE TABLE idle_t (a int)');
    const raw = await RawClient.login(ferry.pgPort);
    raw.c.send(fe.query(`SET idle_in_transaction_session_timeout = '300ms'`));
    await raw.c.until('Z');
    raw.c.send(fe.query('BEGIN; INSERT INTO idle_t VALUES (1)'));
    await raw.c.until('Z');
    const err = await raw.c.until('E', 5000);
    const fields = errorFields(err[err.length - 1]!.body);
    assert.equal(fields['C'], '25P03');
    assert.equal(fields['S'], 'FATAL');
    assert.equal(fields['M'], 'terminating connection due to idle-in-transaction timeout');
    await raw.c.closed();
    assert.deepEqual((await setup.query('SELECT count(*)::int AS n FROM idle_t')).rows, [{ n: 0 }]);
    // Idle outside a transaction is not affected.
    await setup.query(`SET idle_in_transaction_session_timeout = '100ms'`);
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual((await setup.query('SELECT 2 AS two')).rows, [{ two: 2 }]);
    await setup.end();
  });
});

describe('max_connections', () => {
  test('one session beyond the limit is refused with 53300; a freed slot can be used again', async () => {
    const held: pg.Client[] = [];
    for (let i = 0; i < 4; i++) held.push(await client());
    const e = await code(client());
    assert.equal(e.code, '53300');
    assert.equal(
      e.message,
      'creating connection would violate max_connections limit (desired: 5, limit: 4, current: 4)',
    );
    await held.pop()!.end();
    await new Promise((r) => setTimeout(r, 100));
    const again = await client();
    assert.deepEqual((await again.query('SELECT 3 AS three')).rows, [{ three: 3 }]);
    await again.end();
    for (const c of held) await c.end();
  });
});

describe('identifiers, NUL bytes and statement size', () => {
  test('an identifier over 255 bytes is refused with 42622, quoted or not, and nothing is created', async () => {
    const c = await client();
    try {
      const ok = 'a'.repeat(255);
      await c.query(`CREATE TABLE ${ok} (x int)`);
      await c.query(`DROP TABLE ${ok}`);
      for (const name of ['b'.repeat(256), `"${'c'.repeat(256)}"`, `"${'é'.repeat(128)}"`]) {
        assert.deepEqual(await code(c.query(`CREATE TABLE ${name} (x int)`)), {
          code: '42622',
          message: 'identifier length exceeds 255 bytes',
        });
      }
      const r = await c.query(`SELECT count(*)::int AS n FROM mz_tables WHERE length(name) > 255`);
      assert.deepEqual(r.rows, [{ n: 0 }]);
    } finally {
      await c.end();
    }
  });

  test('a NUL inside a Query is 08P01 and no part of it runs; the session goes on', async () => {
    const { c } = await RawClient.login(ferry.pgPort);
    c.send(fe.query('CREATE TABLE nul_a (x int)\u0000; CREATE TABLE nul_b (x int)'));
    const msgs = await c.until('Z');
    const err = msgs.find((m) => m.type === 'E');
    assert.ok(err, 'an ErrorResponse');
    assert.equal(errorFields(err.body)['C'], '08P01');
    c.send(fe.query(`SELECT count(*) FROM mz_tables WHERE name IN ('nul_a', 'nul_b')`));
    const rows = (await c.until('Z')).filter((m) => m.type === 'D');
    assert.deepEqual(
      rows.map((m) => dataRowValues(m.body)[0]?.toString()),
      ['0'],
    );
    c.send(fe.terminate());
    await c.closed();
  });

  test('SQL text over --max-statement-bytes is refused with 54000 without ending the session', async () => {
    const c = await client();
    try {
      const big = `SELECT '${'x'.repeat(5000)}' AS v`;
      const e = await code(c.query(big));
      assert.equal(e.code, '54000');
      assert.equal(e.message, 'statement too large');
      const e2 = await code(c.query(`${big} WHERE $1::int = 1`, [1]));
      assert.equal(e2.code, '54000');
      // The same value as a parameter (a Bind message) is fine.
      const r = await c.query('SELECT length($1::text)::int AS n', ['x'.repeat(100_000)]);
      assert.deepEqual(r.rows, [{ n: 100000 }]);
    } finally {
      await c.end();
    }
  });

  test('a parameter whose type nothing fixes is 42P18, not an internal error; with a cast it works', async () => {
    const c = await client();
    try {
      const e = await code(c.query('SELECT length($1) AS n', ['abc']));
      assert.deepEqual(e, { code: '42P18', message: 'could not determine data type of parameter' });
      assert.deepEqual((await c.query('SELECT length($1::text)::int AS n', ['abc'])).rows, [{ n: 3 }]);
    } finally {
      await c.end();
    }
  });
});
