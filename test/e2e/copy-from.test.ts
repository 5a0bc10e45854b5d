// test-needs: local-s3
/**
 * COPY … FROM 's3://…' over the wire against the local RGW, through a role connection
 * assumed with its external ID: CSV (HEADER, NULL, quotes) and Parquet (columns matched by
 * name, converted as text or refused), FILES and PATTERN, each refusal with its SQLSTATE
 * and text, and that a failure of any kind (a bad file, a NOT NULL violation in the last
 * object, a role without s3:GetObject, a cancel while an object is being fetched, a
 * ROLLBACK) loads nothing at all.
 */
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { type FerryProcess, startFerry } from '../support/ferry.js';
import { type LocalAws, ferryServerEnv, localAws } from '../support/localaws.js';

let aws: LocalAws;
let ferry: FerryProcess;
let admin: S3Client;
let bucket = '';
let prefix = '';
let c: pg.Client;

type TextRow = Record<string, string | null>;

async function client(user = 'materialize'): Promise<pg.Client> {
  const cl = new pg.Client({ ...ferry.pgConfig(user), types: { getTypeParser: () => (v: string) => v } });
  cl.on('error', () => undefined);
  await cl.connect();
  return cl;
}

const url = (path: string): string => `s3://${bucket}/${prefix}/${path}`;

async function put(path: string, body: string | Buffer): Promise<void> {
  await admin.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${path}`, Body: body }));
}

async function rows(sql: string, cl: pg.Client = c): Promise<(string | null)[][]> {
  return (await cl.query<string[]>({ text: sql, rowMode: 'array' })).rows;
}

async function expectError(sql: string, code: string, message: string, cl: pg.Client = c): Promise<pg.DatabaseError> {
  let caught: pg.DatabaseError | undefined;
  await assert.rejects(cl.query(sql), (err: pg.DatabaseError) => {
    caught = err;
    assert.equal(err.message, message, sql);
    assert.equal(err.code, code, `${sql}: ${err.message}`);
    return true;
  });
  return caught!;
}

/** Sends a pgwire CancelRequest for `target`. */
function cancel(target: pg.Client): Promise<void> {
  const { processID, secretKey } = target as unknown as { processID: number; secretKey: number };
  return new Promise((resolve, reject) => {
    const sock = netConnect(ferry.pgPort, '127.0.0.1', () => {
      const b = Buffer.alloc(16);
      b.writeInt32BE(16, 0);
      b.writeInt32BE(80877102, 4);
      b.writeInt32BE(processID, 8);
      b.writeInt32BE(secretKey, 12);
      sock.end(b);
    });
    sock.on('close', () => resolve());
    sock.on('error', reject);
  });
}

const WITH = (extra: string, conn = 'aws_conn'): string => `WITH (AWS CONNECTION = ${conn}, ${extra})`;

before(async () => {
  aws = await localAws();
  admin = aws.s3(aws.admin, aws.rgwEndpoint);
  ferry = await startFerry({ env: ferryServerEnv(aws) });
  c = await client();
  await c.query(
    `CREATE CONNECTION aws_conn TO AWS (ENDPOINT = '${aws.endpoint}', REGION = '${aws.region}', ASSUME ROLE ARN = 'arn:aws:iam::${aws.accountId}:role/placeholder')`,
  );
  const row = (await c.query<TextRow>(`SELECT external_id, principal FROM mz_internal.mz_aws_connections`)).rows[0];
  assert.ok(row?.principal, 'the server knows its AWS principal');
  const role = await aws.createExportRole({
    trustPrincipal: row.principal,
    externalId: row.external_id,
    extraObjectActions: ['s3:AbortMultipartUpload', 's3:GetObject'],
  });
  bucket = role.bucket;
  prefix = role.prefix;
  await c.query(`ALTER CONNECTION aws_conn SET (ASSUME ROLE ARN = '${role.roleArn}')`);
  // A second connection whose role may list and write under the prefix but not read objects.
  await c.query(
    `CREATE CONNECTION blind_conn TO AWS (ENDPOINT = '${aws.endpoint}', REGION = '${aws.region}', ASSUME ROLE ARN = 'arn:aws:iam::${aws.accountId}:role/placeholder2')`,
  );
  const blindId = (
    await c.query<TextRow>(
      `SELECT a.external_id FROM mz_internal.mz_aws_connections a JOIN mz_catalog.mz_connections c ON a.id = c.id WHERE c.name = 'blind_conn'`,
    )
  ).rows[0]!.external_id;
  const blind = await aws.createExportRole({ trustPrincipal: row.principal, externalId: blindId, prefix });
  await c.query(`ALTER CONNECTION blind_conn SET (ASSUME ROLE ARN = '${blind.roleArn}')`);

  await put('csv/one.csv', 'id,name,note\n1,alpha,"says ""hi"", twice"\n2,beta,\n3,"",x\n');
  await put('csv/two.csv', 'id,name,note\n4,delta,d\n');
  await put('csv/nested/deep/three.csv', 'id,name,note\n5,epsilon,e\n');
  await put('csv/readme.txt', 'not data\n');
  await put('csv/null-name.csv', 'id,name,note\n6,,missing name\n');
  await put('csv/bad-int.csv', 'id,name,note\nseven,eta,e\n');
  await put('csv/fraction.csv', '1.5,x,y\n');
  await put('csv/not-utf8.csv', Buffer.from([0x31, 0x2c, 0xff, 0xfe, 0x2c, 0x78, 0x0a]));
  await put('parquet/not-parquet.parquet', 'this is text');
});

after(async () => {
  aws?.faults.clear();
  aws?.faults.release();
  await c?.end().catch(() => undefined);
  await ferry?.stop();
  await aws?.cleanup();
});

describe('CSV', () => {
  test('one object with HEADER: quotes, a quoted empty string, and NULL for an unquoted empty field', async () => {
    await c.query('CREATE TABLE people (id int, name text, note text)');
    const r = await c.query(`COPY people FROM '${url('csv/one.csv')}' ${WITH("FORMAT = 'csv', HEADER = true")}`);
    assert.equal(r.command, 'COPY');
    assert.equal(r.rowCount, 3);
    assert.deepEqual(await rows('SELECT id, name, note FROM people ORDER BY id'), [
      ['1', 'alpha', 'says "hi", twice'],
      ['2', 'beta', null],
      ['3', '', 'x'],
    ]);
  });

  test('FILES names objects relative to the URI; COPY INTO and a column list', async () => {
    await c.query(`CREATE TABLE names (name text, id int, extra text)`);
    const r = await c.query(
      `COPY INTO names (id, name, extra) FROM '${url('csv')}' ${WITH("FORMAT = 'csv', HEADER = true, FILES = ('two.csv', 'nested/deep/three.csv')")}`,
    );
    assert.equal(r.rowCount, 2);
    assert.deepEqual(await rows('SELECT id, name, extra FROM names ORDER BY id'), [
      ['4', 'delta', 'd'],
      ['5', 'epsilon', 'e'],
    ]);
  });

  test('PATTERN: * stays in one segment, ** crosses them, other files are not read', async () => {
    await c.query('CREATE TABLE pat (id int, name text, note text)');
    const one = await c.query(
      `COPY pat FROM '${url('csv/')}' ${WITH("FORMAT = 'csv', HEADER = true, PATTERN = '{one,two}.csv'")}`,
    );
    assert.equal(one.rowCount, 4);
    await c.query('DELETE FROM pat');
    const all = await c.query(
      `COPY pat FROM '${url('csv')}' ${WITH("FORMAT = 'csv', HEADER = true, PATTERN = '**/t*.csv'")}`,
    );
    assert.equal(all.rowCount, 2);
    assert.deepEqual(await rows('SELECT id FROM pat ORDER BY id'), [['4'], ['5']]);
    const none = await c.query(`COPY pat FROM '${url('csv')}' ${WITH("FORMAT = 'csv', PATTERN = '*.json'")}`);
    assert.equal(none.rowCount, 0);
  });

  test('DELIMITER, QUOTE, NULL', async () => {
    await put('csv/semi.csv', "1;'a;b';NIL\n2;NIL;''\n");
    await c.query('CREATE TABLE semi (id int, a text, b text)');
    await c.query(
      `COPY semi FROM '${url('csv/semi.csv')}' ${WITH("FORMAT = 'csv', DELIMITER = ';', QUOTE = '''', NULL = 'NIL'")}`,
    );
    assert.deepEqual(await rows('SELECT id, a, b FROM semi ORDER BY id'), [
      ['1', 'a;b', null],
      ['2', null, ''],
    ]);
  });
});

describe('Parquet', () => {
  test('a COPY TO round trip loads back every row; columns are matched by name', async () => {
    await c.query(`CREATE TABLE typed (id bigint, n numeric(10,2), t timestamptz, b boolean, s text, l int[])`);
    await c.query(`INSERT INTO typed VALUES
      (1, 12.5, '2026-01-02 03:04:05+00', true, 'x', ARRAY[1,2]),
      (2, NULL, NULL, false, NULL, NULL),
      (3, -0.01, '1999-12-31 23:59:59.5+00', NULL, 'ü', ARRAY[]::int[])`);
    await c.query(`COPY typed TO '${url('parquet/typed')}' ${WITH("FORMAT = 'parquet'")}`);
    // Same columns, another order.
    await c.query(`CREATE TABLE typed_back (l int[], s text, b boolean, t timestamptz, n numeric(10,2), id bigint)`);
    const r = await c.query(
      `COPY typed_back FROM '${url('parquet/typed')}' ${WITH("FORMAT = 'parquet', PATTERN = '*.parquet'")}`,
    );
    assert.equal(r.rowCount, 3);
    assert.deepEqual(
      await rows('SELECT id, n, t, b, s, l FROM typed_back ORDER BY id'),
      await rows('SELECT id, n, t, b, s, l FROM typed ORDER BY id'),
    );
  });

  test('another type converts as its text would, or fails; a missing column is named', async () => {
    await c.query(`CREATE TABLE narrow (id int, s text)`);
    await c.query(
      `COPY (SELECT id::bigint AS id, id::text AS s FROM generate_series(1, 3) AS g(id)) TO '${url('parquet/wide')}' ${WITH("FORMAT = 'parquet'")}`,
    );
    const ok = await c.query(
      `COPY narrow FROM '${url('parquet/wide')}' ${WITH("FORMAT = 'parquet', PATTERN = '*.parquet'")}`,
    );
    assert.equal(ok.rowCount, 3);
    await c.query(
      `COPY (SELECT 1.5::float8 AS id, 'x' AS s) TO '${url('parquet/fraction')}' ${WITH("FORMAT = 'parquet'")}`,
    );
    const e = await expectError(
      `COPY narrow FROM '${url('parquet/fraction')}' ${WITH("FORMAT = 'parquet', PATTERN = '*.parquet'")}`,
      '22P02',
      'invalid input syntax for type integer: invalid digit found in string: "1.5"',
    );
    assert.match(e.detail ?? '', /^while loading 's3:\/\/.*fraction\/.*\.parquet'$/);
    await c.query(`COPY (SELECT 1 AS other) TO '${url('parquet/other')}' ${WITH("FORMAT = 'parquet'")}`);
    await assert.rejects(
      c.query(`COPY narrow FROM '${url('parquet/other')}' ${WITH("FORMAT = 'parquet', PATTERN = '*.parquet'")}`),
      (err: pg.DatabaseError) => {
        assert.equal(err.code, '42703');
        assert.match(err.message, /^column "id" is missing from 's3:\/\/.*\/parquet\/other\/[^']+\.parquet'$/);
        assert.equal(err.detail, 'The file has the columns "other".');
        return true;
      },
    );
    assert.deepEqual(await rows('SELECT count(*) FROM narrow'), [['3']]);
  });

  test('an object that is not Parquet is 22P04 and loads nothing', async () => {
    await c.query(`CREATE TABLE np (id int)`);
    const e = await assert.rejects(
      c.query(`COPY np FROM '${url('parquet/not-parquet.parquet')}' ${WITH("FORMAT = 'parquet'")}`),
      (err: pg.DatabaseError) => err.code === '22P04' && /is not a Parquet file$/.test(err.message),
    );
    void e;
    assert.deepEqual(await rows('SELECT count(*) FROM np'), [['0']]);
  });
});

describe('refusals, with their texts; nothing is loaded', () => {
  before(async () => {
    await c.query('CREATE TABLE target (id int NOT NULL, name text NOT NULL, note text)');
    await c.query(`INSERT INTO target VALUES (100, 'kept', NULL)`);
  });
  const unchanged = async (): Promise<void> =>
    assert.deepEqual(await rows('SELECT id, name, note FROM target ORDER BY id'), [['100', 'kept', null]]);

  const cases: [string, (u: (p: string) => string) => string, string, string | (() => string)][] = [
    [
      'a file:// URI',
      () => `COPY target FROM 'file:///etc/passwd' ${WITH("FORMAT = 'csv'")}`,
      '0A000',
      "only 's3://...' urls are supported as COPY FROM target",
    ],
    [
      'an http URI',
      () => `COPY target FROM 'https://example.com/x.csv' ${WITH("FORMAT = 'csv'")}`,
      '0A000',
      "only 's3://...' urls are supported as COPY FROM target",
    ],
    [
      'a URI without a bucket',
      () => `COPY target FROM 's3:///x.csv' ${WITH("FORMAT = 'csv'")}`,
      '22023',
      "missing bucket name from 's3://...' url",
    ],
    [
      'a NULL target',
      () => `COPY target FROM NULL ${WITH("FORMAT = 'csv'")}`,
      '22004',
      'COPY FROM target value cannot be NULL',
    ],
    [
      'a NULL from an expression',
      (u) => `COPY target FROM '${u('csv/')}' || NULL ${WITH("FORMAT = 'csv'")}`,
      '22004',
      'COPY FROM target value cannot be NULL',
    ],
    [
      'an unknown FORMAT',
      (u) => `COPY target FROM '${u('csv/one.csv')}' ${WITH("FORMAT = 'avro'")}`,
      '22023',
      'unknown FORMAT: avro',
    ],
    [
      'no FORMAT',
      (u) => `COPY target FROM '${u('csv/one.csv')}' WITH (AWS CONNECTION = aws_conn)`,
      '0A000',
      "COPY FROM 's3://...' requires FORMAT = 'csv' or FORMAT = 'parquet'",
    ],
    [
      'HEADER with Parquet',
      (u) => `COPY target FROM '${u('csv/one.csv')}' ${WITH("FORMAT = 'parquet', HEADER = true")}`,
      '0A000',
      'COPY HEADER available only in CSV mode',
    ],
    [
      'a prefix without FILES or PATTERN',
      (u) => `COPY target FROM '${u('csv/')}' ${WITH("FORMAT = 'csv'")}`,
      '42601',
      'must specify one of FILES or PATTERN',
    ],
    [
      'FILES and PATTERN',
      (u) => `COPY target FROM '${u('csv')}' ${WITH("FORMAT = 'csv', FILES = ('one.csv'), PATTERN = '*'")}`,
      '42601',
      'cannot specify both FILES and PATTERN',
    ],
    [
      'no AWS CONNECTION',
      (u) => `COPY target FROM '${u('csv/one.csv')}' WITH (FORMAT = 'csv')`,
      '42601',
      "AWS CONNECTION is required for COPY ... FROM 's3://...'",
    ],
    [
      'a duplicate option',
      (u) => `COPY target FROM '${u('csv/one.csv')}' ${WITH("FORMAT = 'csv', FORMAT = 'csv'")}`,
      '42601',
      'FORMAT specified more than once',
    ],
    [
      'a missing file in FILES',
      (u) =>
        `COPY target FROM '${u('csv')}' ${WITH("FORMAT = 'csv', HEADER = true, FILES = ('one.csv', 'absent.csv')")}`,
      '58P01',
      () => `object '${url('csv/absent.csv')}' does not exist`,
    ],
    [
      'a column that is not there',
      (u) => `COPY target (id, nope) FROM '${u('csv/one.csv')}' ${WITH("FORMAT = 'csv'")}`,
      '42703',
      'column "nope" of relation "target" does not exist',
    ],
    [
      'a query as the destination',
      (u) => `COPY (SELECT 1) FROM '${u('csv/one.csv')}' ${WITH("FORMAT = 'csv'")}`,
      '42601',
      'COPY FROM requires a table name',
    ],
    [
      'a NOT NULL violation in the last object',
      (u) =>
        `COPY target FROM '${u('csv')}' ${WITH("FORMAT = 'csv', HEADER = true, FILES = ('two.csv', 'null-name.csv')")}`,
      '23502',
      'NOT NULL constraint failed: target.name',
    ],
    [
      'a value that is not an integer',
      (u) =>
        `COPY target FROM '${u('csv')}' ${WITH("FORMAT = 'csv', HEADER = true, FILES = ('two.csv', 'bad-int.csv')")}`,
      '22P02',
      'invalid input syntax for type integer: invalid digit found in string: "seven"',
    ],
    [
      'a fraction for an integer column (the engine alone would round it)',
      (u) => `COPY target FROM '${u('csv/fraction.csv')}' ${WITH("FORMAT = 'csv'")}`,
      '22P02',
      'invalid input syntax for type integer: invalid digit found in string: "1.5"',
    ],
    [
      'bytes that are not UTF-8',
      (u) => `COPY target FROM '${u('csv/not-utf8.csv')}' ${WITH("FORMAT = 'csv'")}`,
      '22021',
      'invalid byte sequence for encoding "UTF8"',
    ],
    [
      'a role without s3:GetObject',
      (u) => `COPY target FROM '${u('csv/two.csv')}' ${WITH("FORMAT = 'csv'", 'blind_conn')}`,
      '42501',
      'AccessDenied error when using GetObject',
    ],
  ];
  for (const [label, sql, code, message] of cases) {
    test(label, async () => {
      const s = sql(url);
      await assert.rejects(c.query(s), (err: pg.DatabaseError) => {
        assert.equal(err.code, code, `${s}: ${err.message}`);
        assert.equal(err.message, typeof message === 'string' ? message : message(), s);
        return true;
      });
      await unchanged();
    });
  }

  test('a view or a system relation is not a table to copy into', async () => {
    await c.query('CREATE VIEW target_v AS SELECT * FROM target');
    await expectError(
      `COPY target_v FROM '${url('csv/two.csv')}' ${WITH("FORMAT = 'csv'")}`,
      '42809',
      'cannot copy to view "target_v"',
    );
    await unchanged();
  });

  test('ROLLBACK of a transaction block undoes the load', async () => {
    await c.query('BEGIN');
    await c.query(`COPY target FROM '${url('csv/two.csv')}' ${WITH("FORMAT = 'csv', HEADER = true")}`);
    assert.deepEqual(await rows('SELECT count(*) FROM target'), [['2']]);
    await c.query('ROLLBACK');
    await unchanged();
  });

  test(
    'a cancel while the second object is being fetched loads nothing from the first',
    { timeout: 60_000 },
    async () => {
      aws.faults.add({
        op: 'GetObject',
        action: { kind: 'stall' },
        times: 10,
        pathPrefix: `/${bucket}/${prefix}/csv/nested/`,
      });
      const victim = await client();
      try {
        const running = victim
          .query(
            `COPY target FROM '${url('csv')}' ${WITH("FORMAT = 'csv', HEADER = true, FILES = ('two.csv', 'nested/deep/three.csv')")}`,
          )
          .then(
            () => null,
            (e: pg.DatabaseError) => e,
          );
        await aws.faults.waitForStalled(1, 30_000);
        await cancel(victim);
        const err = await running;
        assert.ok(err, 'the statement failed');
        assert.equal(err.code, '57014');
        assert.equal(err.message, 'canceling statement due to user request');
        assert.deepEqual(await rows('SELECT 1', victim), [['1']]);
      } finally {
        aws.faults.clear();
        aws.faults.release();
        await victim.end();
      }
      await unchanged();
    },
  );
});

describe('privileges', () => {
  before(async () => {
    await c.query('CREATE TABLE guarded (id int, name text, note text)');
    await c.query(`CREATE ROLE loader LOGIN PASSWORD 'pw'`);
  });

  test('without INSERT on the table, then without USAGE on the connection: 42501, nothing loaded', async () => {
    const l = await client('loader');
    try {
      await expectError(
        `COPY guarded FROM '${url('csv/two.csv')}' ${WITH("FORMAT = 'csv', HEADER = true")}`,
        '42501',
        'permission denied for TABLE "materialize.public.guarded"',
        l,
      );
      await c.query('GRANT INSERT ON guarded TO loader');
      await expectError(
        `COPY guarded FROM '${url('csv/two.csv')}' ${WITH("FORMAT = 'csv', HEADER = true")}`,
        '42501',
        'permission denied for CONNECTION "materialize.public.aws_conn"',
        l,
      );
      assert.deepEqual(await rows('SELECT count(*) FROM guarded'), [['0']]);
      await c.query('GRANT USAGE ON CONNECTION aws_conn TO loader');
      const r = await l.query(`COPY guarded FROM '${url('csv/two.csv')}' ${WITH("FORMAT = 'csv', HEADER = true")}`);
      assert.equal(r.rowCount, 1);
    } finally {
      await l.end();
    }
  });
});
