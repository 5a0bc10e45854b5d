/**
 * Hostile and unlucky clients over raw sockets: truncated and garbage input, absurd
 * declared lengths, clients that vanish or stop reading, many connections at once. The
 * server must answer with the right error, release the session, and keep serving.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { startPgServer } from '../../src/wire/index.js';
import { configureLog, createLogger } from '../../src/log/index.js';
import { fakeWireServer, testConfig, type FakeSession } from './fake.js';
import { RawClient, dataRowValues, errorFields, fe } from './frontend.js';

configureLog({ level: 'error' });

const wire = fakeWireServer();
const coord = wire.coord;

async function eventually(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The server still answers a fresh client. */
async function stillServing(): Promise<void> {
  const { c } = await RawClient.login(wire.server.port);
  c.send(fe.query('select 11'));
  const msgs = await c.until('Z');
  assert.equal(dataRowValues(msgs[1]!.body)[0]?.toString(), '11');
  c.send(fe.terminate());
  await c.closed();
}

/** The session opened after `before` sessions existed. */
async function sessionAfter(before: number): Promise<FakeSession> {
  await eventually('session', () => coord.sessions.length > before);
  return coord.sessions[before]!;
}

describe('hostile input', () => {
  test('a declared length of 2 GB is refused without reading it, and the server keeps serving', async () => {
    const rss = process.memoryUsage().rss;
    const { c } = await RawClient.login(wire.server.port);
    const session = coord.last();
    c.send(fe.header('Q', 0x7fffffff), Buffer.alloc(1000, 0x41));
    const m = await c.read();
    assert.equal(m?.type, 'E');
    const f = errorFields(m.body);
    assert.equal(f['C'], '54000');
    assert.equal(f['M'], 'message too large');
    assert.equal(f['S'], 'FATAL');
    await c.closed();
    await eventually('session close', () => session.closes === 1);
    assert.ok(process.memoryUsage().rss - rss < 50 * 1024 * 1024);
    await stillServing();
  });

  test('an oversized startup packet and a declared length below 4 are refused', async () => {
    const a = await RawClient.connect(wire.server.port);
    a.send(Buffer.from([0x7f, 0xff, 0xff, 0xff]));
    assert.equal(errorFields((await a.read())!.body)['C'], '54000');
    await a.closed();

    const { c } = await RawClient.login(wire.server.port);
    c.send(fe.header('Q', 2));
    const m = await c.read();
    assert.equal(errorFields(m!.body)['C'], '08P01');
    await c.closed();
    await stillServing();
  });

  test('garbage bytes before and after startup', async () => {
    const a = await RawClient.connect(wire.server.port);
    a.send(randomBytes(64));
    // Whatever the random header says, the server answers with an error or just closes.
    const m = await a.read().catch(() => null);
    if (m) assert.equal(m.type, 'E');
    a.destroy();

    const { c } = await RawClient.login(wire.server.port);
    c.send(Buffer.from([0x01, 0, 0, 0, 4]));
    const e = await c.read();
    assert.deepEqual(errorFields(e!.body)['M'], 'invalid frontend message type 1');
    await c.closed();
    await stillServing();
  });

  test('a malformed message body is an ERROR; the connection recovers at Sync', async () => {
    const { c } = await RawClient.login(wire.server.port);
    // Bind that claims 5 parameter formats but ends right after.
    const bad = Buffer.concat([Buffer.from('B'), Buffer.from([0, 0, 0, 8, 0, 0, 0, 5])]);
    c.send(fe.parse('', 'select 1'), bad, fe.sync(), fe.query('select 3'));
    const msgs = await c.until('Z');
    assert.deepEqual(
      msgs.map((m) => m.type),
      ['1', 'E', 'Z'],
    );
    assert.equal(errorFields(msgs[1]!.body)['M'], 'insufficient data left in message');
    const next = await c.until('Z');
    assert.equal(dataRowValues(next[1]!.body)[0]?.toString(), '3');
    c.destroy();
  });

  test('invalid UTF-8 in a query or a text parameter is 22021', async () => {
    const { c } = await RawClient.login(wire.server.port);
    const badQuery = Buffer.concat([Buffer.from('Q'), Buffer.from([0, 0, 0, 7, 0x41, 0xff, 0])]);
    c.send(badQuery);
    let msgs = await c.until('Z');
    assert.equal(errorFields(msgs[0]!.body)['C'], '22021');
    c.send(fe.parse('', 'select $1::text'), fe.bind('', '', [Buffer.from([0xc3, 0x28])]), fe.sync());
    msgs = await c.until('Z');
    assert.deepEqual(
      msgs.map((m) => m.type),
      ['1', 'E', 'Z'],
    );
    assert.equal(errorFields(msgs[1]!.body)['M'], 'invalid byte sequence for encoding "UTF8"');
    c.destroy();
  });

  test('truncated messages: the client closes halfway through one', async () => {
    const before = coord.sessions.length;
    const { c } = await RawClient.login(wire.server.port);
    const session = await sessionAfter(before);
    c.send(fe.query('select 1').subarray(0, 7));
    c.socket.end();
    await eventually('session close', () => session.closes === 1);
    await stillServing();
  });

  test('startup problems: old protocol, missing user, newer minor version', async () => {
    const a = await RawClient.connect(wire.server.port);
    a.send(fe.startup({ user: 'x' }, 0x00020000));
    const e = errorFields((await a.read())!.body);
    assert.equal(e['C'], '0A000');
    assert.equal(e['M'], 'unsupported frontend protocol 2.0: server supports 3.0 to 3.0');
    await a.closed();

    const b = await RawClient.connect(wire.server.port);
    b.send(fe.startup({ database: 'materialize' }));
    assert.equal(errorFields((await b.read())!.body)['C'], '28000');
    await b.closed();

    const c = await RawClient.connect(wire.server.port);
    c.send(fe.startup({ user: 'materialize', _pq_: 'x', '_pq_.magic': 'on' }, 0x00030002));
    const v = await c.read();
    assert.equal(v?.type, 'v');
    assert.equal(v.body.readInt32BE(0), 0);
    assert.equal(v.body.readInt32BE(4), 1);
    assert.equal(v.body.toString('utf8', 8, v.body.length - 1), '_pq_.magic');
    await c.until('Z');
    c.destroy();
  });
});

describe('clients that go away', () => {
  test('a client vanishing mid-query cancels and closes its session', async () => {
    const before = coord.sessions.length;
    const { c } = await RawClient.login(wire.server.port);
    const session = await sessionAfter(before);
    c.send(fe.query('sleep'));
    await session.sleeping;
    c.destroy();
    await eventually('cancel and close', () => session.cancels >= 1 && session.closes === 1);
    await stillServing();
  });

  test('a client that stops reading holds back the engine; vanishing releases the result', async () => {
    const before = coord.sessions.length;
    const { c } = await RawClient.login(wire.server.port);
    const session = await sessionAfter(before);
    c.socket.pause();
    c.send(fe.query('select series 5000000'));
    await eventually('stream', () => session.streams.length === 1);
    const stream = session.streams[0]!;
    // Let the socket buffers fill up; then the server must stop pulling rows.
    let last = -1;
    await eventually(
      'back-pressure',
      () => {
        const settled = stream.pulled === last;
        last = stream.pulled;
        return settled && stream.pulled > 0;
      },
      10_000,
    );
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(stream.pulled < 1_000_000, `pulled ${stream.pulled} rows for a client that reads nothing`);
    c.destroy();
    await eventually('stream closed and session closed', () => stream.closed && session.closes === 1);
    await stillServing();
  });

  test('a client pipelining far more than the server can take is paused, not buffered', async () => {
    // The flooding client runs in another process, so its own buffers do not count here.
    const flood = `
      const net = require('node:net');
      const msg = (t, body) => { const h = Buffer.alloc(5); h.write(t); h.writeInt32BE(body.length + 4, 1); return Buffer.concat([h, body]); };
      const s = net.connect(${wire.server.port}, '127.0.0.1', () => {
        const kv = Buffer.from('user\\0u\\0\\0');
        const start = Buffer.alloc(8); start.writeInt32BE(kv.length + 8); start.writeInt32BE(196608, 4);
        s.write(Buffer.concat([start, kv]));
        s.write(msg('Q', Buffer.from('sleep\\0')));
        const q = msg('Q', Buffer.concat([Buffer.from('select 1 -- '), Buffer.alloc(64 * 1024, 0x20), Buffer.from([0])]));
        let sent = 0;
        const pump = () => { while (sent < 3000 && s.write(q)) sent++; if (sent < 3000) s.once('drain', pump); };
        pump();
      });
      s.on('error', () => {});
    `;
    const before = coord.sessions.length;
    const rss = process.memoryUsage().rss;
    const child = spawn(process.execPath, ['-e', flood], { stdio: 'ignore' });
    try {
      const session = await sessionAfter(before);
      await session.sleeping;
      await new Promise((r) => setTimeout(r, 1500));
      const grown = process.memoryUsage().rss - rss;
      assert.ok(grown < 64 * 1024 * 1024, `rss grew by ${grown} bytes while ~200 MB were offered`);
      child.kill();
      await new Promise((r) => setTimeout(r, 100));
      // A paused socket is not read, so (like PostgreSQL without client_connection_check_interval)
      // the server learns the client is gone once the statement ends and its answer cannot be sent.
      session.cancel();
      await eventually('session close', () => session.closes === 1);
    } finally {
      child.kill();
    }
    await stillServing();
  });

  test('a cancel with the wrong secret is ignored; the right one cancels', async () => {
    const before = coord.sessions.length;
    const { c, pid, secret } = await RawClient.login(wire.server.port);
    const session = await sessionAfter(before);
    c.send(fe.query('sleep'));
    await session.sleeping;
    const wrong = await RawClient.connect(wire.server.port);
    wrong.send(fe.cancelRequest(pid, secret ^ 1));
    await wrong.closed();
    assert.equal(session.cancels, 0);
    const right = await RawClient.connect(wire.server.port);
    right.send(fe.cancelRequest(pid, secret));
    await right.closed();
    const msgs = await c.until('Z');
    assert.equal(errorFields(msgs[0]!.body)['C'], '57014');
    assert.equal(session.cancels, 1);
    c.destroy();
  });

  test('200 concurrent connections opening and closing; memory stays bounded', async () => {
    const rss = process.memoryUsage().rss;
    const before = coord.sessions.length;
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const { c } = await RawClient.login(wire.server.port);
          c.send(fe.query(i % 2 === 0 ? 'select series 100' : 'fail'));
          await c.until('Z');
          // Half leave politely, half just drop the connection.
          if (i % 2 === 0) c.send(fe.terminate());
          c.destroy();
        }),
      );
    }
    await eventually('all sessions closed', () => coord.sessions.slice(before).every((s) => s.closes === 1));
    assert.equal(coord.sessions.length - before, 600);
    await eventually('no open connections', () => wire.server.connectionCount().open === 0);
    assert.ok(wire.server.connectionCount().accepted >= 600);
    const grown = process.memoryUsage().rss - rss;
    assert.ok(grown < 100 * 1024 * 1024, `rss grew by ${grown} bytes`);
    await stillServing();
  });
});

describe('shutdown', () => {
  test('close() ends every connection with 57P01 and closes the sessions', async () => {
    const own = await startPgServer({ config: testConfig(), coordinator: coord, log: createLogger('test') });
    const before = coord.sessions.length;
    const { c: idle } = await RawClient.login(own.port);
    const { c: busy } = await RawClient.login(own.port);
    const busySession = coord.sessions[before + 1]!;
    busy.send(fe.query('sleep'));
    await busySession.sleeping;
    await own.close();
    for (const c of [idle, busy]) {
      const msgs: string[] = [];
      for (let m = await c.read(); m; m = await c.read()) msgs.push(errorFields(m.body)['C'] ?? m.type);
      assert.ok(msgs.includes('57P01'), msgs.join(','));
    }
    assert.deepEqual(
      coord.sessions.slice(before).map((s) => s.closes),
      [1, 1],
    );
    assert.equal(busySession.cancels, 1);
    assert.equal(own.connectionCount().open, 0);
  });
});
