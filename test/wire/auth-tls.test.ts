/** SCRAM-SHA-256 authentication and TLS (SSLRequest), with real clients. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import pg from 'pg';
import postgres from 'postgres';
import { startPgServer, type PgServer } from '../../src/wire/index.js';
import { configureLog, createLogger } from '../../src/log/index.js';
import { FakeCoordinator, testConfig } from './fake.js';
import { RawClient, errorFields, fe } from './frontend.js';

configureLog({ level: 'error' });

const coord = new FakeCoordinator();
coord.addRole('alice', 'correct horse');
coord.addRole('bob', null);
coord.addRole('carol', 'pw', false);

let dir: string;
let scramServer: PgServer;
let tlsServer: PgServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ferry-wire-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
    ],
    { stdio: 'ignore' },
  );
  const log = createLogger('test');
  scramServer = await startPgServer({ config: testConfig({ auth: 'password' }), coordinator: coord, log });
  tlsServer = await startPgServer({
    config: testConfig({ auth: 'password', tlsCert: cert, tlsKey: key }),
    coordinator: coord,
    log,
  });
});

after(async () => {
  await scramServer.close();
  await tlsServer.close();
  rmSync(dir, { recursive: true, force: true });
});

function client(port: number, user: string, password: string, ssl = false): pg.Client {
  return new pg.Client({
    host: '127.0.0.1',
    port,
    user,
    password,
    database: 'materialize',
    ssl: ssl ? { rejectUnauthorized: false } : false,
  });
}

async function loginError(port: number, user: string, password: string): Promise<pg.DatabaseError> {
  const c = client(port, user, password);
  try {
    await c.connect();
  } catch (err) {
    return err as pg.DatabaseError;
  }
  await c.end();
  throw new Error('login unexpectedly succeeded');
}

describe('SCRAM-SHA-256', () => {
  test('the right password logs in (node-postgres and postgres.js)', async () => {
    const c = client(scramServer.port, 'alice', 'correct horse');
    await c.connect();
    assert.deepEqual((await c.query('select 1')).rows, [{ '?column?': 1 }]);
    await c.end();

    const sql = postgres({
      host: '127.0.0.1',
      port: scramServer.port,
      user: 'alice',
      password: 'correct horse',
      database: 'materialize',
      fetch_types: false,
    });
    assert.equal((await sql.unsafe('select 7'))[0]!['?column?'], 7);
    await sql.end();
  });

  test('a wrong password, a role without password and an unknown role all fail alike', async () => {
    for (const user of ['alice', 'bob', 'nobody']) {
      const e = await loginError(scramServer.port, user, 'wrong');
      assert.equal(e.code, '28P01', user);
      assert.equal(e.message, `password authentication failed for user "${user}"`);
      assert.equal(e.severity, 'FATAL');
    }
  });

  test('a role without LOGIN is refused after its password checks out', async () => {
    const e = await loginError(scramServer.port, 'carol', 'pw');
    assert.equal(e.code, '28000');
    assert.equal(e.message, 'role "carol" is not permitted to log in');
    assert.equal((await loginError(scramServer.port, 'carol', 'nope')).code, '28P01');
  });

  test('without passwords (--auth trust) a role without LOGIN connects, as in Materialize', async () => {
    const trust = await startPgServer({
      config: testConfig({ auth: 'trust' }),
      coordinator: coord,
      log: createLogger('test'),
    });
    try {
      const c = client(trust.port, 'carol', '');
      await c.connect();
      assert.equal((await c.query('select 42')).rows.length, 1);
      await c.end();
    } finally {
      await trust.close();
    }
  });

  test('a non-SASL answer to the SASL request is a protocol violation', async () => {
    const c = await RawClient.connect(scramServer.port);
    c.send(fe.startup({ user: 'alice' }));
    assert.equal((await c.read())?.type, 'R');
    c.send(fe.query('select 1'));
    const m = await c.read();
    assert.equal(m?.type, 'E');
    assert.equal(errorFields(m.body)['C'], '08P01');
    await c.closed();
  });
});

describe('TLS', () => {
  test('SSLRequest is answered with S and the session runs encrypted', async () => {
    const c = client(tlsServer.port, 'alice', 'correct horse', true);
    await c.connect();
    const stream = (c as unknown as { connection: { stream: unknown } }).connection.stream;
    assert.ok(stream instanceof TLSSocket);
    assert.deepEqual((await c.query('select series 3')).rowCount, 3);
    await c.end();

    const sql = postgres({
      host: '127.0.0.1',
      port: tlsServer.port,
      user: 'alice',
      password: 'correct horse',
      database: 'materialize',
      ssl: { rejectUnauthorized: false },
      fetch_types: false,
    });
    assert.equal((await sql.unsafe('select 8'))[0]!['?column?'], 8);
    await sql.end();
  });

  test('without a certificate SSLRequest and GSSENCRequest get N', async () => {
    const c = await RawClient.connect(scramServer.port);
    c.send(fe.sslRequest());
    assert.equal(await c.byte(), 'N');
    c.send(fe.gssencRequest());
    assert.equal(await c.byte(), 'N');
    c.send(fe.startup({ user: 'alice' }));
    assert.equal((await c.read())?.type, 'R');
    c.destroy();
    await assert.rejects(client(scramServer.port, 'alice', 'correct horse', true).connect(), /does not support SSL/);
  });

  test('plaintext pipelined after SSLRequest is refused', async () => {
    const c = await RawClient.connect(tlsServer.port);
    c.send(fe.sslRequest(), fe.startup({ user: 'alice' }));
    const m = await c.read();
    assert.equal(m?.type, 'E');
    assert.equal(errorFields(m.body)['M'], 'received unencrypted data after SSL request');
    await c.closed();
  });
});
