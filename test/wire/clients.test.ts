/**
 * The wire layer driven by real clients (node-postgres and postgres.js) against a fake
 * adapter: simple and extended query, parameters, errors, notices, COPY, cancel.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import postgres from 'postgres';
import { configureLog } from '../../src/log/index.js';
import { setInternalErrorLogger } from '../../src/errors/index.js';
import { TYPED, fakeWireServer } from './fake.js';
import { binaryToText } from '../../src/wire/binary.js';
import { RawClient, dataRowValues, errorFields, fe } from './frontend.js';

configureLog({ level: 'error' });
setInternalErrorLogger(() => undefined);

const wire = fakeWireServer();
const coord = wire.coord;

function pgClient(): pg.Client {
  return new pg.Client({ host: '127.0.0.1', port: wire.server.port, user: 'materialize', database: 'materialize' });
}

function pgjs(opts: postgres.Options<Record<string, never>> = {}): postgres.Sql {
  return postgres({
    host: '127.0.0.1',
    port: wire.server.port,
    user: 'materialize',
    database: 'materialize',
    max: 1,
    fetch_types: false,
    ...opts,
  });
}

describe('node-postgres', () => {
  test('simple query and multi-row results', async () => {
    const c = pgClient();
    await c.connect();
    const r = await c.query('select 42');
    assert.deepEqual(r.rows, [{ '?column?': 42 }]);
    assert.equal(r.command, 'SELECT');
    const many = await c.query<{ n: number }>('select series 1000');
    assert.equal(many.rowCount, 1000);
    assert.equal(many.rows[999]?.n, 1000);
    assert.equal(coord.last().streams[0]!.closed, true);
    await c.end();
    assert.equal(coord.last().closes, 1);
  });

  test('multi-statement simple query and empty query', async () => {
    const c = pgClient();
    await c.connect();
    const r = (await c.query('select 1; insert x; select 2')) as unknown as pg.QueryResult<{ '?column?': number }>[];
    assert.equal(r.length, 3);
    assert.equal(r[1]!.command, 'INSERT');
    assert.equal(r[2]!.rows[0]?.['?column?'], 2);
    const empty = await c.query('');
    assert.equal(empty.rows.length, 0);
    await c.end();
  });

  test('parameters in text and binary format', async () => {
    const c = pgClient();
    await c.connect();
    const r = await c.query('select $1::int4, $2::text, $3', [7, 'x', null]);
    assert.deepEqual(r.rows, [{ p1: 7, p2: 'x', p3: null }]);
    // node-postgres sends Buffer parameters in binary format.
    const b = await c.query<{ p1: Buffer }>('select $1::bytea', [Buffer.from([0, 1, 255])]);
    assert.deepEqual(b.rows[0]?.p1, Buffer.from([0, 1, 255]));
    await c.end();
  });

  test('binary result of an unsupported type is 0A000', async () => {
    const c = pgClient();
    await c.connect();
    const q = { text: 'select point', binary: true, queryMode: 'extended' } as pg.QueryConfig;
    await assert.rejects(c.query(q), (e: pg.DatabaseError) => {
      assert.equal(e.code, '0A000');
      assert.equal(e.message, 'binary format for type 600 not yet supported');
      return true;
    });
    assert.deepEqual((await c.query('select 5')).rows, [{ '?column?': 5 }]);
    await c.end();
  });

  test('errors carry SQLSTATE, detail, hint and position; internal errors are masked', async () => {
    const c = pgClient();
    await c.connect();
    await assert.rejects(c.query('fail'), (e: pg.DatabaseError) => {
      assert.equal(e.code, '22012');
      assert.equal(e.message, 'division by zero');
      assert.equal(e.detail, 'some detail');
      assert.equal(e.hint, 'some hint');
      assert.equal(e.position, '3');
      assert.equal(e.severity, 'ERROR');
      return true;
    });
    await assert.rejects(c.query('crash'), (e: pg.DatabaseError) => {
      assert.equal(e.code, 'XX000');
      assert.equal(e.message, 'internal error');
      return true;
    });
    // Extended protocol errors: Parse failure and execution failure, then recovery.
    await assert.rejects(c.query('fail_parse $1', [1]), (e: pg.DatabaseError) => e.code === '42601');
    assert.equal((await c.query<{ p1: number }>('select $1::int4', [3])).rows[0]?.p1, 3);
    await c.end();
  });

  test('NoticeResponse reaches the client', async () => {
    const c = pgClient();
    await c.connect();
    const notices: { message?: string; detail?: string }[] = [];
    c.on('notice', (n) => notices.push(n));
    await c.query('notice');
    assert.equal(notices.length, 1);
    assert.equal(notices[0]!.message, 'hello from the adapter');
    assert.equal(notices[0]!.detail, 'd');
    await c.end();
  });

  test('client-side cancel reaches session.cancel', async () => {
    const c = pgClient();
    await c.connect();
    const session = coord.last();
    const query = new pg.Query('sleep');
    const failed = new Promise<pg.DatabaseError>((resolve) => query.on('error', (e) => resolve(e as pg.DatabaseError)));
    c.query(query);
    await session.sleeping;
    // node-postgres cancels through a second client that sends the first one's BackendKeyData.
    const canceller = pgClient() as unknown as { cancel(c: pg.Client, q: pg.Query): void };
    canceller.cancel(c, query);
    assert.equal((await failed).code, '57014');
    assert.equal(session.cancels, 1);
    await c.end();
  });

  test('unknown database is a FATAL error at startup', async () => {
    const c = new pg.Client({ host: '127.0.0.1', port: wire.server.port, user: 'materialize', database: 'nope' });
    await assert.rejects(c.connect(), (e: pg.DatabaseError) => {
      assert.equal(e.code, '3D000');
      assert.equal(e.severity, 'FATAL');
      return true;
    });
  });
});

describe('postgres.js', () => {
  test('queries with parameters through describe-then-bind', async () => {
    const sql = pgjs();
    const r = await sql`select ${5}::int4 as a`;
    assert.equal(r[0]!['p1'], 5);
    const s = await sql.unsafe('select series 10');
    assert.equal(s.length, 10);
    assert.equal(s.count, 10);
    await sql.end();
  });

  test('errors have code, detail and hint', async () => {
    const sql = pgjs();
    await assert.rejects(sql.unsafe('fail'), (e: postgres.PostgresError) => {
      assert.equal(e.code, '22012');
      assert.equal(e.detail, 'some detail');
      assert.equal(e.hint, 'some hint');
      return true;
    });
    await sql.end();
  });

  test('cursor drives Execute with a row limit (PortalSuspended)', async () => {
    const sql = pgjs();
    const batches: number[] = [];
    await sql`select series 25`.cursor(10, (rows) => {
      batches.push(rows.length);
    });
    assert.deepEqual(batches, [10, 10, 5]);
    await sql.end();
  });

  test('COPY TO STDOUT and COPY FROM STDIN', async () => {
    const sql = pgjs();
    const readable = await sql.unsafe('copy t to stdout').readable();
    let text = '';
    for await (const chunk of readable) text += String(chunk);
    assert.equal(text, '1\ta\n2\tb\n3\t\\N\n');

    const writable = await sql.unsafe('copy t from stdin').writable();
    await new Promise<void>((resolve, reject) => {
      writable.on('error', reject);
      writable.write('1\tx\n');
      writable.write('2\ty\n');
      writable.end(() => resolve());
    });
    // Wait for the server to have consumed the copy (the next query runs after it).
    await sql`select 1`;
    assert.equal(coord.last().copied, '1\tx\n2\ty\n');
    await sql.end();
  });

  test('cancel of a running query', async () => {
    const sql = pgjs();
    await sql`select 1`;
    const session = coord.last();
    const q = sql.unsafe('sleep');
    const done = q.then(
      () => null,
      (e: postgres.PostgresError) => e,
    );
    await session.sleeping;
    q.cancel();
    const err = await done;
    assert.equal(err?.code, '57014');
    assert.equal(session.cancels, 1);
    await sql.end();
  });
});

describe('raw extended protocol', () => {
  test('Execute with a row limit suspends and resumes the same stream', async () => {
    const { c } = await RawClient.login(wire.server.port);
    const session = coord.last();
    c.send(fe.parse('s1', 'select series 5'), fe.bind('p1', 's1', []), fe.execute('p1', 2), fe.flush());
    let msgs = await c.until('s');
    assert.deepEqual(
      msgs.map((m) => m.type),
      ['1', '2', 'D', 'D', 's'],
    );
    c.send(fe.execute('p1', 2), fe.flush());
    msgs = await c.until('s');
    assert.deepEqual(
      msgs.slice(0, 2).map((m) => dataRowValues(m.body)[0]?.toString()),
      ['3', '4'],
    );
    c.send(fe.execute('p1', 2), fe.sync());
    msgs = await c.until('Z');
    assert.deepEqual(
      msgs.map((m) => m.type),
      ['D', 'C', 'Z'],
    );
    assert.equal(msgs[1]!.body.toString('utf8', 0, msgs[1]!.body.length - 1), 'SELECT 1');
    assert.equal(session.streams.length, 1);
    assert.equal(session.streams[0]!.closed, true);
    assert.equal(session.syncs, 1);
    c.send(fe.terminate());
    await c.closed();
  });

  test('binary result columns for every supported type', async () => {
    // node-postgres decodes every DataRow field as UTF-8 first, so binary results are
    // checked at the byte level here instead.
    const { c } = await RawClient.login(wire.server.port);
    c.send(fe.parse('', 'select types'), fe.bind('', '', [], [], [1]), fe.describe('P', ''), fe.execute(''), fe.sync());
    const msgs = await c.until('Z');
    assert.deepEqual(
      msgs.map((m) => m.type),
      ['1', '2', 'T', 'D', 'C', 'Z'],
    );
    const values = dataRowValues(msgs[3]!.body);
    TYPED.forEach(([name, oid, text], i) => {
      assert.equal(binaryToText(oid, values[i]!, i), text, name);
    });
    assert.deepEqual(values[1], Buffer.from([0xff, 0xf4]));
    assert.deepEqual(values[11], Buffer.from([1, 2, 0xff]));
    c.destroy();
  });

  test('Describe statement and portal, per-column result formats, NoData', async () => {
    const { c } = await RawClient.login(wire.server.port);
    c.send(
      fe.parse('', 'select $1::int4, $2::text'),
      fe.describe('S', ''),
      fe.bind(
        '',
        '',
        ['\x00\x00\x00\x07', 'hi'].map((s) => Buffer.from(s, 'latin1')),
        [1, 0],
        [1, 0],
      ),
      fe.describe('P', ''),
      fe.execute(''),
      fe.parse('ins', 'insert x'),
      fe.describe('S', 'ins'),
      fe.sync(),
    );
    const msgs = await c.until('Z');
    assert.deepEqual(
      msgs.map((m) => m.type),
      ['1', 't', 'T', '2', 'T', 'D', 'C', '1', 't', 'n', 'Z'],
    );
    const paramDesc = msgs[1]!.body;
    assert.deepEqual([paramDesc.readInt16BE(0), paramDesc.readInt32BE(2), paramDesc.readInt32BE(6)], [2, 23, 25]);
    const [v1, v2] = dataRowValues(msgs[5]!.body);
    assert.deepEqual(v1, Buffer.from([0, 0, 0, 7]));
    assert.equal(v2?.toString(), 'hi');
    c.destroy();
  });

  test('after an error, messages are skipped until Sync', async () => {
    const { c } = await RawClient.login(wire.server.port);
    c.send(fe.bind('', 'missing', []), fe.execute(''), fe.parse('', 'select 1'), fe.sync(), fe.query('select 9'));
    const msgs = await c.until('Z');
    assert.deepEqual(
      msgs.map((m) => m.type),
      ['E', 'Z'],
    );
    assert.equal(errorFields(msgs[0]!.body)['C'], '26000');
    const next = await c.until('Z');
    assert.equal(dataRowValues(next[1]!.body)[0]?.toString(), '9');
    c.destroy();
  });

  test('COPY FROM STDIN over raw messages, CopyFail, and adapter rejection', async () => {
    const { c } = await RawClient.login(wire.server.port);
    const session = coord.last();
    c.send(fe.query('copy t from stdin'));
    assert.equal((await c.read())?.type, 'G');
    c.send(fe.copyData('1\ta\n'), fe.copyData('2\tb\n'), fe.copyDone());
    let msgs = await c.until('Z');
    assert.equal(msgs[0]!.body.toString('utf8', 0, msgs[0]!.body.length - 1), 'COPY 2');
    assert.equal(session.copied, '1\ta\n2\tb\n');

    c.send(fe.query('copy t from stdin'));
    assert.equal((await c.read())?.type, 'G');
    c.send(fe.copyData('3\tc\n'), fe.copyFail('client gave up'));
    msgs = await c.until('Z');
    assert.equal(errorFields(msgs[0]!.body)['M'], 'COPY from stdin failed: client gave up');

    // The adapter rejects the first chunk; the rest of the client's COPY is ignored.
    c.send(fe.query('copy bad from stdin'));
    assert.equal((await c.read())?.type, 'G');
    c.send(fe.copyData('x\n'), fe.copyData('y\n'), fe.copyDone(), fe.query('select 4'));
    msgs = await c.until('Z');
    assert.equal(errorFields(msgs[0]!.body)['C'], '22P02');
    msgs = await c.until('Z');
    assert.deepEqual(
      msgs.map((m) => m.type),
      ['T', 'D', 'C', 'Z'],
    );
    c.destroy();
  });

  test('COPY TO STDOUT over the simple protocol', async () => {
    const { c } = await RawClient.login(wire.server.port);
    c.send(fe.query('copy t to stdout'));
    const msgs = await c.until('Z');
    assert.deepEqual(
      msgs.map((m) => m.type),
      ['H', 'd', 'd', 'd', 'c', 'C', 'Z'],
    );
    assert.deepEqual([msgs[0]!.body[0], msgs[0]!.body.readInt16BE(1)], [0, 2]);
    assert.equal(
      msgs
        .slice(1, 4)
        .map((m) => m.body.toString())
        .join(''),
      '1\ta\n2\tb\n3\t\\N\n',
    );
    c.destroy();
  });

  test('statement and portal names: duplicates, Close, and unknown names', async () => {
    const { c } = await RawClient.login(wire.server.port);
    c.send(fe.parse('s', 'select 1'), fe.parse('s', 'select 2'), fe.sync());
    let msgs = await c.until('Z');
    assert.deepEqual(
      msgs.map((m) => m.type),
      ['1', 'E', 'Z'],
    );
    assert.equal(errorFields(msgs[1]!.body)['M'], 'prepared statement "s" already exists');
    c.send(fe.bind('p', 's', []), fe.bind('p', 's', []), fe.sync());
    msgs = await c.until('Z');
    assert.equal(errorFields(msgs[1]!.body)['C'], '42P03');
    c.send(fe.close('S', 's'), fe.close('P', 'nothing'), fe.describe('S', 's'), fe.sync());
    msgs = await c.until('Z');
    assert.deepEqual(
      msgs.map((m) => m.type),
      ['3', '3', 'E', 'Z'],
    );
    assert.equal(errorFields(msgs[2]!.body)['C'], '26000');
    c.send(fe.execute('gone'), fe.sync());
    msgs = await c.until('Z');
    assert.equal(errorFields(msgs[0]!.body)['M'], 'portal "gone" does not exist');
    c.destroy();
  });

  test('Bind checks parameter counts and formats', async () => {
    const { c } = await RawClient.login(wire.server.port);
    c.send(fe.parse('', 'select $1::int4'), fe.bind('', '', []), fe.sync());
    let msgs = await c.until('Z');
    assert.equal(
      errorFields(msgs[1]!.body)['M'],
      'bind message supplies 0 parameters, but prepared statement "" requires 1',
    );
    c.send(fe.parse('', 'select $1::int4'), fe.bind('', '', [Buffer.from([1])], [1]), fe.sync());
    msgs = await c.until('Z');
    assert.equal(errorFields(msgs[1]!.body)['M'], 'incorrect binary data format in bind parameter 1');
    c.send(fe.parse('', 'select $1::int4'), fe.bind('', '', ['1'], [], [2]), fe.sync());
    msgs = await c.until('Z');
    assert.equal(errorFields(msgs[1]!.body)['M'], 'unsupported format code: 2');
    c.destroy();
  });

  test('Terminate in the middle of COPY FROM STDIN ends the session', async () => {
    const { c } = await RawClient.login(wire.server.port);
    const session = coord.last();
    c.send(fe.query('copy t from stdin'));
    assert.equal((await c.read())?.type, 'G');
    c.send(fe.copyData('1\tz\n'), fe.terminate());
    await c.closed();
    for (let i = 0; i < 100 && session.closes === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(session.closes, 1);
  });

  test('ParameterStatus after SET and transaction status in ReadyForQuery', async () => {
    const { c } = await RawClient.login(wire.server.port);
    c.send(fe.query('set search_path = foo; begin'));
    const msgs = await c.until('Z');
    const ps = msgs.find((m) => m.type === 'S')!;
    assert.equal(ps.body.toString('latin1'), 'search_path\0foo\0');
    assert.equal(msgs[msgs.length - 1]!.body.toString(), 'T');
    c.destroy();
  });
});
