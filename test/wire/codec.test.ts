/**
 * Codec tests in the style of node-postgres's pg-protocol: every sample message split at
 * every byte boundary, several messages in one chunk, one message across many chunks.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BodyReader, FrameReader, Writer, backend, CONST, type Frame } from '../../src/wire/codec.js';
import { SqlError } from '../../src/errors/index.js';
import { field } from './fake.js';
import { errorFields, fe } from './frontend.js';

const SAMPLES: [string, Buffer][] = [
  ['query', fe.query('select 1')],
  ['empty query', fe.query('')],
  ['parse', fe.parse('stmt', 'select $1, $2', [23, 25])],
  ['bind', fe.bind('portal', 'stmt', ['1', null, Buffer.from([0, 1, 2])], [0, 0, 1], [1])],
  ['describe', fe.describe('S', 'stmt')],
  ['execute', fe.execute('portal', 10)],
  ['sync', fe.sync()],
  ['copy data', fe.copyData('1\tå\n')],
  ['utf-8 query', fe.query("select 'ñ€😀'")],
];

/** The frames a reader yields for the given chunks, after the startup phase. */
function readAll(chunks: Buffer[], max = 1 << 20): Frame[] {
  const r = new FrameReader(max);
  r.startup = false;
  const out: Frame[] = [];
  for (const c of chunks) {
    r.push(c);
    for (let f = r.next(); f; f = r.next()) out.push({ type: f.type, body: Buffer.from(f.body) });
  }
  assert.equal(r.buffered, 0);
  return out;
}

function expected(msg: Buffer): Frame {
  return { type: msg[0]!, body: msg.subarray(5) };
}

describe('FrameReader', () => {
  for (const [name, msg] of SAMPLES) {
    test(`${name}: split at every byte boundary`, () => {
      for (let i = 0; i <= msg.length; i++) {
        assert.deepEqual(readAll([msg.subarray(0, i), msg.subarray(i)]), [expected(msg)], `split at ${i}`);
      }
    });
  }

  test('two messages in one chunk, and all samples in one chunk', () => {
    const [a, b] = [SAMPLES[0]![1], SAMPLES[2]![1]];
    assert.deepEqual(readAll([Buffer.concat([a, b])]), [expected(a), expected(b)]);
    const all = SAMPLES.map(([, m]) => m);
    assert.deepEqual(readAll([Buffer.concat(all)]), all.map(expected));
  });

  test('every pair of messages split at every byte boundary', () => {
    const both = Buffer.concat([SAMPLES[3]![1], SAMPLES[1]![1]]);
    for (let i = 0; i <= both.length; i++) {
      assert.deepEqual(readAll([both.subarray(0, i), both.subarray(i)]), [
        expected(SAMPLES[3]![1]),
        expected(SAMPLES[1]![1]),
      ]);
    }
  });

  test('one message across many one-byte chunks', () => {
    const msg = fe.query('x'.repeat(3000));
    const chunks = [...msg].map((b) => Buffer.from([b]));
    assert.deepEqual(readAll(chunks), [expected(msg)]);
  });

  test('untyped startup-phase frames', () => {
    const r = new FrameReader(1024);
    const startup = fe.startup({ user: 'u' });
    const ssl = fe.sslRequest();
    r.push(Buffer.concat([ssl, startup.subarray(0, 3)]));
    assert.deepEqual(r.next(), { type: 0, body: ssl.subarray(4) });
    assert.equal(r.next(), null);
    r.push(startup.subarray(3));
    assert.deepEqual(r.next(), { type: 0, body: startup.subarray(4) });
  });

  test('a declared length over the cap is refused from the header alone', () => {
    const r = new FrameReader(1000);
    r.startup = false;
    r.push(fe.header('Q', 0x7fffffff));
    assert.throws(
      () => r.next(),
      (e: SqlError) => e.code === '54000' && e.message === 'message too large',
    );
    const ok = new FrameReader(1000);
    ok.startup = false;
    ok.push(fe.header('Q', 1004));
    assert.equal(ok.next(), null);
  });

  test('startup packets are capped at 10000 bytes whatever the message cap', () => {
    const r = new FrameReader(1 << 20);
    r.push(Buffer.from([0, 0, 0x30, 0]));
    assert.throws(
      () => r.next(),
      (e: SqlError) => e.code === '54000',
    );
  });

  test('a declared length below 4 is a protocol violation', () => {
    for (const len of [0, 3, -1]) {
      const r = new FrameReader(1000);
      r.startup = false;
      r.push(fe.header('Q', len));
      assert.throws(
        () => r.next(),
        (e: SqlError) => e.code === '08P01',
      );
    }
  });
});

describe('BodyReader', () => {
  test('reads fields and refuses to run past the end', () => {
    const r = new BodyReader(Buffer.concat([Buffer.from('ab\0'), Buffer.from([0, 7, 0, 0, 0, 9])]));
    assert.equal(r.cstring(), 'ab');
    assert.equal(r.i16(), 7);
    assert.equal(r.i32(), 9);
    assert.throws(
      () => r.i8(),
      (e: SqlError) => e.code === '08P01',
    );
    assert.throws(
      () => new BodyReader(Buffer.from('no terminator')).cstring(),
      (e: SqlError) => e.code === '08P01',
    );
    assert.throws(
      () => new BodyReader(Buffer.alloc(2)).bytes(-1),
      (e: SqlError) => e.code === '08P01',
    );
  });
});

describe('backend builders', () => {
  test('messages are appended back to back with correct lengths', () => {
    const w = new Writer();
    backend.rowDescription(w, [field('a', 23), field('bé', 25)], [0, 1]);
    backend.dataRow(w, ['1', null, Buffer.from([9])]);
    backend.commandComplete(w, 'SELECT 1');
    w.bytes(CONST.ready.I);
    const out = w.take();
    const types: string[] = [];
    for (let pos = 0; pos < out.length; pos += 1 + out.readInt32BE(pos + 1)) types.push(String.fromCharCode(out[pos]!));
    assert.deepEqual(types, ['T', 'D', 'C', 'Z']);
    // RowDescription: count, then name, table oid, attr, type oid, size, mod, format.
    const t = out.subarray(5, 1 + out.readInt32BE(1));
    assert.equal(t.readInt16BE(0), 2);
    assert.equal(t.toString('utf8', 2, 3), 'a');
    assert.equal(t.readInt32BE(2 + 2 + 4 + 2), 23);
    assert.equal(t.readInt16BE(t.length - 2), 1);
    assert.equal(w.length, 0);
  });

  test('DataRow encodes multi-byte text with its byte length', () => {
    const w = new Writer();
    backend.dataRow(w, ['😀é']);
    const out = w.take();
    assert.equal(out.readInt32BE(7), Buffer.byteLength('😀é'));
    assert.equal(out.toString('utf8', 11), '😀é');
  });

  test('ErrorResponse carries S, V, C, M, D, H, P', () => {
    const w = new Writer();
    backend.errorResponse(
      w,
      new SqlError('42P01', 'relation "t" does not exist', { detail: 'd', hint: 'h', position: 15 }),
    );
    const out = w.take();
    assert.equal(out[0], 0x45);
    assert.deepEqual(errorFields(out.subarray(5)), {
      S: 'ERROR',
      V: 'ERROR',
      C: '42P01',
      M: 'relation "t" does not exist',
      D: 'd',
      H: 'h',
      P: '15',
    });
  });

  test('the builder grows for large values and shrinks back after', () => {
    const w = new Writer();
    backend.dataRow(w, ['x'.repeat(5_000_000)]);
    assert.equal(w.take().length, 5 + 2 + 4 + 5_000_000);
    backend.commandComplete(w, 'OK');
    assert.equal(w.take().length, 1 + 4 + 3);
  });

  test('constant messages', () => {
    assert.deepEqual(CONST.ready.T, Buffer.from([0x5a, 0, 0, 0, 5, 0x54]));
    assert.deepEqual(CONST.parseComplete, Buffer.from([0x31, 0, 0, 0, 4]));
    assert.deepEqual(CONST.authOk, Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0]));
  });
});

describe('statement cap', () => {
  test('a Query or Parse over it is dropped as it arrives and reported; the next message is read as usual', () => {
    const big = fe.query(`select '${'x'.repeat(3000)}'`);
    const bigParse = fe.parse('', `select '${'y'.repeat(3000)}'`);
    const next = fe.query('select 1');
    const r = new FrameReader(1 << 20, 1000);
    r.startup = false;
    const seen: { type: number; tooLarge?: number; body: number }[] = [];
    // Byte by byte: the dropped bytes are never held.
    for (const b of Buffer.concat([big, bigParse, next])) {
      r.push(Buffer.from([b]));
      for (let f = r.next(); f; f = r.next()) seen.push({ type: f.type, tooLarge: f.tooLarge, body: f.body.length });
      assert.ok(r.buffered <= next.length, `held ${r.buffered} bytes`);
    }
    assert.deepEqual(seen, [
      { type: 0x51, tooLarge: big.length - 5, body: 0 },
      { type: 0x50, tooLarge: bigParse.length - 5, body: 0 },
      { type: 0x51, tooLarge: undefined, body: next.length - 5 },
    ]);
  });

  test('other messages are held to the message cap, and beyond it are fatal as before', () => {
    const bind = fe.bind('', '', ['z'.repeat(3000)]);
    assert.equal(readAll([bind]).length, 1);
    const r = new FrameReader(2000, 1000);
    r.startup = false;
    r.push(bind);
    assert.throws(
      () => r.next(),
      (e: SqlError) => e.code === '54000' && e.severity === 'FATAL',
    );
  });
});
