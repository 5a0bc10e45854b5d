/**
 * Hostile and careless clients against a real server process (raw sockets): garbage
 * bytes, a truncated startup packet, a declared length of 2 GB, a client that vanishes
 * while its query runs, and 200 connections opening and closing at once. After each, the
 * server is still up, a session opened beforehand is unaffected, and memory stays bounded.
 * (test/wire has the same cases at unit level against a fake adapter.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import pg from 'pg';
import { startFerry, type FerryProcess } from '../support/ferry.js';
import { LONG_QUERY, sleep } from './helpers.js';

let ferry: FerryProcess;
/** A session opened before the abuse, holding an open transaction with uncommitted rows. */
let witness: pg.Client;

before(async () => {
  ferry = await startFerry();
  witness = new pg.Client(ferry.pgConfig());
  await witness.connect();
  await witness.query('CREATE TABLE w (x int)');
  await witness.query('BEGIN');
  await witness.query('INSERT INTO w VALUES (1), (2)');
});
after(async () => {
  await witness.end().catch(() => undefined);
  await ferry.stop();
});

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}
function startupPacket(): Buffer {
  const body = Buffer.concat([int32(196608), Buffer.from('user\0materialize\0database\0materialize\0\0')]);
  return Buffer.concat([int32(body.length + 4), body]);
}
function queryMessage(sql: string): Buffer {
  const body = Buffer.from(`${sql}\0`);
  return Buffer.concat([Buffer.from('Q'), int32(body.length + 4), body]);
}

/** Opens a raw socket; resolves with it and a function that waits for it to be closed by the server. */
async function rawSocket(): Promise<{ sock: Socket; received: () => Buffer; closed: Promise<void> }> {
  const sock = connect(ferry.pgPort, '127.0.0.1');
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  const chunks: Buffer[] = [];
  sock.on('data', (d: Buffer) => chunks.push(d));
  sock.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
  return { sock, received: () => Buffer.concat(chunks), closed };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, sleep(ms).then(() => Promise.reject(new Error(`${what}: no result after ${ms} ms`)))]);
}

/** The server answers a new session, and the witness session still sees its own transaction. */
async function assertHealthy(): Promise<void> {
  const c = new pg.Client(ferry.pgConfig());
  await withTimeout(c.connect(), 10_000, 'connect');
  assert.equal((await c.query<{ v: number }>('SELECT 6 * 7 AS v')).rows[0]?.v, 42);
  // Uncommitted rows are invisible to others (snapshot isolation) and visible to the witness.
  assert.equal((await c.query<{ n: number }>('SELECT count(*)::int AS n FROM w')).rows[0]?.n, 0);
  await c.end();
  assert.equal((await witness.query<{ n: number }>('SELECT count(*)::int AS n FROM w')).rows[0]?.n, 2);
  assert.equal(ferry.proc.exitCode, null, 'server exited');
}

function rssBytes(): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${ferry.proc.pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

/** CPU seconds the server process has used (user + system), from /proc. */
function cpuSeconds(): number {
  const fields = readFileSync(`/proc/${ferry.proc.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

test('garbage bytes instead of a startup packet', async () => {
  const { sock, closed } = await rawSocket();
  sock.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  sock.write(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
  await withTimeout(closed, 10_000, 'server did not close a garbage connection');
  await assertHealthy();
});

test('garbage after a valid startup', async () => {
  const { sock, received, closed } = await rawSocket();
  sock.write(startupPacket());
  await sleep(200);
  assert.equal(received().at(-6), 'Z'.charCodeAt(0), 'expected ReadyForQuery');
  sock.write(Buffer.from([0xff, 0, 0, 0, 8, 1, 2, 3, 4, 0x00, 0x00, 0x00, 0x01]));
  await withTimeout(closed, 10_000, 'server did not close after an unknown message');
  await assertHealthy();
});

test('truncated startup packets, one left hanging and one closed', async () => {
  const hanging = await rawSocket();
  hanging.sock.write(Buffer.concat([int32(80), int32(196608), Buffer.from('user\0mat')]));
  const closedEarly = await rawSocket();
  closedEarly.sock.write(Buffer.from([0, 0]));
  closedEarly.sock.end();
  await assertHealthy();
  hanging.sock.destroy();
  await assertHealthy();
});

test('a declared length of 2 GB is refused without buffering it', async () => {
  const rssBefore = rssBytes();
  // As a startup packet …
  const a = await rawSocket();
  a.sock.write(int32(0x7fffffff));
  a.sock.write(Buffer.alloc(1 << 20));
  await withTimeout(a.closed, 10_000, 'startup with 2 GB length not closed');
  // … and as a query message after startup; the client keeps sending data.
  const b = await rawSocket();
  b.sock.write(startupPacket());
  await sleep(200);
  b.sock.write(Buffer.concat([Buffer.from('Q'), int32(0x7fffffff)]));
  const junk = Buffer.alloc(1 << 20, 0x61);
  for (let i = 0; i < 32 && !b.sock.destroyed; i++) {
    if (!b.sock.write(junk)) await Promise.race([new Promise((r) => b.sock.once('drain', r)), b.closed]);
  }
  await withTimeout(b.closed, 10_000, 'query with 2 GB length not closed');
  assert.match(b.received().toString('latin1'), /E[\s\S]*S(ERROR|FATAL)/, 'expected an ErrorResponse before the close');
  const growth = rssBytes() - rssBefore;
  assert.ok(growth < 64 * 1024 * 1024, `server memory grew by ${growth} bytes`);
  await assertHealthy();
});

test('a client vanishing mid-query: the query stops and others are unaffected', async () => {
  const { sock, received } = await rawSocket();
  sock.write(startupPacket());
  await sleep(200);
  assert.equal(received().at(-6), 'Z'.charCodeAt(0));
  sock.write(queryMessage(LONG_QUERY));
  await sleep(700);
  sock.destroy();
  await sleep(1000);
  // Once cancelled, the engine stops burning CPU for the vanished client.
  const c0 = cpuSeconds();
  await sleep(1000);
  const used = cpuSeconds() - c0;
  assert.ok(used < 0.5, `server used ${used}s of CPU in 1s after its client vanished`);
  await assertHealthy();
});

test('200 concurrent connections opening and closing', async () => {
  const rssBefore = rssBytes();
  const results = await Promise.allSettled(
    Array.from({ length: 200 }, async (_, i) => {
      const c = new pg.Client(ferry.pgConfig());
      await c.connect();
      try {
        const r = await c.query<{ i: number }>('SELECT $1::int AS i', [i]);
        return r.rows[0]!.i;
      } finally {
        await c.end();
      }
    }),
  );
  const failed = results.filter((r) => r.status === 'rejected');
  assert.equal(failed.length, 0, String(failed[0]?.reason));
  assert.deepEqual(
    results.map((r) => (r as PromiseFulfilledResult<number>).value),
    Array.from({ length: 200 }, (_, i) => i),
  );
  // Half of another 200 vanish without a Terminate message.
  await Promise.all(
    Array.from({ length: 200 }, async (_, i) => {
      const { sock, closed } = await rawSocket();
      sock.write(startupPacket());
      if (i % 2 === 0) sock.destroy();
      else {
        await sleep(50);
        sock.end(Buffer.from([0x58, 0, 0, 0, 4]));
        await closed;
      }
    }),
  );
  await assertHealthy();
  await sleep(500);
  const growth = rssBytes() - rssBefore;
  assert.ok(growth < 256 * 1024 * 1024, `server memory grew by ${growth} bytes`);
  // The witness commits, and its rows become visible to everyone.
  await witness.query('COMMIT');
  const c = new pg.Client(ferry.pgConfig());
  await c.connect();
  assert.equal((await c.query<{ n: number }>('SELECT count(*)::int AS n FROM w')).rows[0]?.n, 2);
  await c.end();
});
