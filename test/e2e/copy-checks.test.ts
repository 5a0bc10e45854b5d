// test-needs: local-s3
/**
 * COPY … TO 's3://…' through SQL over the wire against the local RGW, with a role
 * connection assumed through the STS front with its external ID (as in s3-guide.test.ts):
 * every planning check of docs/exports.md with its SQLSTATE and exact text (and that the
 * path is still usable afterwards), what gets written (relations, views, targets built
 * with now(), HEADER per file with splitting, empty results, the sentinel while an export
 * runs), cancellation and faults (no multipart upload left behind), preflight permission
 * failures, concurrent snapshots, and format fidelity of one row of every type (CSV byte
 * for byte; Parquet read back by DuckDB and by hyparquet).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { textCell, textCellOrNull } from '../../src/engine/cells.js';
import { type FerryProcess, startFerry } from '../support/ferry.js';
import { type LocalAws, ferryServerEnv, localAws } from '../support/localaws.js';

let aws: LocalAws;
let ferry: FerryProcess;
let admin: S3Client;
let bucket = '';
let prefix = '';
let c: pg.Client;

/** A row as client() returns it: every value as its text (no type parsers). */
type TextRow = Record<string, string | null>;

async function client(user = 'materialize'): Promise<pg.Client> {
  const cl = new pg.Client({ ...ferry.pgConfig(user), types: { getTypeParser: () => (v: string) => v } });
  cl.on('error', () => undefined);
  await cl.connect();
  return cl;
}

/** s3:// URL of a test-local folder under the role's prefix. */
const url = (label: string): string => `s3://${bucket}/${prefix}/${label}`;
const WITH = (extra = "FORMAT = 'csv'", conn = 'aws_conn'): string => `WITH (AWS CONNECTION = ${conn}, ${extra})`;

async function listKeys(label: string): Promise<string[]> {
  const out = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/${label}/` }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

async function openUploads(label: string): Promise<unknown[]> {
  const out = await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `${prefix}/${label}/` }));
  return out.Uploads ?? [];
}

async function getBytes(key: string): Promise<Buffer> {
  const out = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

const dataKey = (label: string, ext: string): RegExp =>
  new RegExp(`^${prefix}/${label}/mz-t[0-9a-z]+-batch-0000-\\d{4}\\.${ext}$`);

async function expectError(
  sql: string,
  code: string,
  message: string | RegExp,
  cl: pg.Client = c,
): Promise<pg.DatabaseError> {
  let caught: pg.DatabaseError | undefined;
  await assert.rejects(cl.query(sql), (err: pg.DatabaseError) => {
    caught = err;
    if (typeof message === 'string') assert.equal(err.message, message, sql);
    else assert.match(err.message, message, sql);
    assert.equal(err.code, code, `${sql}: ${err.message}`);
    return true;
  });
  return caught!;
}

/** A rejected statement wrote nothing; a valid COPY to the same path then succeeds. */
async function assertUsable(label: string): Promise<void> {
  assert.deepEqual(await listKeys(label), [], `${label}: the failed statement wrote nothing`);
  assert.deepEqual(await openUploads(label), []);
  const r = await c.query(`COPY (SELECT 1 AS x) TO '${url(label)}' ${WITH()}`);
  assert.equal(r.command, 'COPY');
  assert.equal(r.rowCount, 1);
  const keys = await listKeys(label);
  assert.equal(keys.length, 1, keys.join(', '));
  assert.match(keys[0]!, dataKey(label, 'csv'));
}

/** Sends a pgwire CancelRequest for `target` (node-postgres has no cancel API of its own). */
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

async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

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
    extraObjectActions: ['s3:AbortMultipartUpload'],
  });
  bucket = role.bucket;
  prefix = role.prefix;
  await c.query(`ALTER CONNECTION aws_conn SET (ASSUME ROLE ARN = '${role.roleArn}')`);
  await c.query('VALIDATE CONNECTION aws_conn');
  await c.query(`CREATE TABLE src (id bigint, s text)`);
  await c.query(`INSERT INTO src SELECT range, 'row ' || range FROM generate_series(0, 999) AS g(range)`);
  await c.query(`CREATE VIEW src_v AS SELECT id, s FROM src WHERE id < 10`);
  await c.query(`CREATE MATERIALIZED VIEW src_mv AS SELECT id % 3 AS k, count(*) AS n FROM src GROUP BY id % 3`);
  await c.query(`CREATE SECRET not_a_conn AS 'whatever'`);
  // ~40 MB of CSV: 100,000 rows of ~410 bytes.
  await c.query(
    `CREATE TABLE big AS SELECT range AS id, repeat('x', 400) AS pad FROM generate_series(0, 99999) AS g(range)`,
  );
});

after(async () => {
  if (process.env.FERRY_TEST_SERVER_LOG) writeFileSync(process.env.FERRY_TEST_SERVER_LOG, ferry?.log() ?? '');
  aws?.faults.clear();
  await c?.end().catch(() => undefined);
  await ferry?.stop();
  await aws?.cleanup();
});

describe('planning checks, in spec order, exact texts; the path stays usable', () => {
  const cases: { label: string; sql: (u: string) => string; code: string; message: string }[] = [
    // 1. duplicate option; a value that does not convert
    {
      label: 'c1-dup',
      sql: (u) => `COPY src TO '${u}' ${WITH("FORMAT = 'csv', FORMAT = 'csv'")}`,
      code: '42601',
      message: 'FORMAT specified more than once',
    },
    {
      label: 'c1-dup-conn',
      sql: (u) => `COPY src TO '${u}' WITH (AWS CONNECTION = aws_conn, FORMAT = 'csv', AWS CONNECTION = aws_conn)`,
      code: '42601',
      message: 'AWS CONNECTION specified more than once',
    },
    {
      label: 'c1-bool',
      sql: (u) => `COPY src TO '${u}' ${WITH("FORMAT = 'csv', HEADER = 'maybe'")}`,
      code: '22023',
      message: 'invalid HEADER: cannot use "maybe" as a boolean',
    },
    {
      label: 'c1-size',
      sql: (u) => `COPY src TO '${u}' ${WITH("FORMAT = 'csv', MAX FILE SIZE = '3 XB'")}`,
      code: '22023',
      message: 'invalid MAX FILE SIZE: unknown unit "XB" in "3 XB" (expected B, kB, MB, GB or TB)',
    },
    {
      label: 'c1-size-case',
      sql: (u) => `COPY src TO '${u}' ${WITH("FORMAT = 'csv', MAX FILE SIZE = '16mb'")}`,
      code: '22023',
      message: 'invalid MAX FILE SIZE: unknown unit "mb" in "16mb" (expected B, kB, MB, GB or TB)',
    },
    // 1 before 2 and 10
    {
      label: 'c1-first',
      sql: (u) => `COPY src TO '${u}' ${WITH("FORMAT = 'text', MAX FILE SIZE = '1MB', MAX FILE SIZE = '1MB'")}`,
      code: '42601',
      message: 'MAX FILE SIZE specified more than once',
    },
    // 2. format
    {
      label: 'c2-unknown',
      sql: (u) => `COPY src TO '${u}' ${WITH("FORMAT = 'json'")}`,
      code: '22023',
      message: 'unknown FORMAT: json',
    },
    {
      label: 'c2-text',
      sql: (u) => `COPY src TO '${u}' ${WITH('FORMAT = text')}`,
      code: '0A000',
      message: 'FORMAT TEXT not yet supported',
    },
    {
      label: 'c2-binary',
      sql: (u) => `COPY src TO '${u}' ${WITH("FORMAT = 'BINARY'")}`,
      code: '0A000',
      message: 'FORMAT BINARY not yet supported',
    },
    // 2 before 10
    {
      label: 'c2-first',
      sql: (u) => `COPY src TO '${u}' ${WITH("FORMAT = 'text', MAX FILE SIZE = '1MB'")}`,
      code: '0A000',
      message: 'FORMAT TEXT not yet supported',
    },
    // 3. no format
    {
      label: 'c3',
      sql: (u) => `COPY src TO '${u}' WITH (AWS CONNECTION = aws_conn)`,
      code: '42601',
      message: 'COPY TO <expr> requires a FORMAT option',
    },
    // 4. column list
    {
      label: 'c4',
      sql: (u) => `COPY src (id) TO '${u}' ${WITH()}`,
      code: '0A000',
      message:
        'specifying columns for COPY <table_name> TO commands not yet supported; use COPY (SELECT...) TO ... instead',
    },
    // 5. ORDER BY (before the missing connection of check 6)
    {
      label: 'c5',
      sql: (u) => `COPY (SELECT id FROM src ORDER BY id) TO '${u}' WITH (FORMAT = 'csv')`,
      code: '0A000',
      message: 'ORDER BY is not supported in SELECT query for COPY statements',
    },
    // 6. connection
    {
      label: 'c6-missing',
      sql: (u) => `COPY src TO '${u}' WITH (FORMAT = 'csv')`,
      code: '42601',
      message: 'AWS CONNECTION is required for COPY ... TO <expr>',
    },
    {
      label: 'c6-secret',
      sql: (u) => `COPY src TO '${u}' ${WITH("FORMAT = 'csv'", 'not_a_conn')}`,
      code: '42809',
      message: 'only AWS CONNECTION is supported for COPY ... TO <expr>',
    },
    {
      label: 'c6-table',
      sql: (u) => `COPY src TO '${u}' ${WITH("FORMAT = 'csv'", 'src')}`,
      code: '42809',
      message: 'only AWS CONNECTION is supported for COPY ... TO <expr>',
    },
    {
      label: 'c6-unknown',
      sql: (u) => `COPY src TO '${u}' ${WITH("FORMAT = 'csv'", 'no_such_conn')}`,
      code: '42704',
      message: "unknown catalog item 'no_such_conn'",
    },
    // 7. csv characters
    {
      label: 'c7-delim',
      sql: (u) => `COPY src TO '${u}' ${WITH("FORMAT = 'csv', DELIMITER = ';;'")}`,
      code: '0A000',
      message: 'COPY delimiter must be a single one-byte character',
    },
    {
      label: 'c7-quote',
      sql: (u) => `COPY src TO '${u}' ${WITH("FORMAT = 'csv', QUOTE = 'ab'")}`,
      code: '0A000',
      message: 'COPY quote must be a single one-byte character',
    },
    {
      label: 'c7-escape',
      sql: (u) => `COPY src TO '${u}' ${WITH("FORMAT = 'csv', ESCAPE = 'é'")}`,
      code: '0A000',
      message: 'COPY escape must be a single one-byte character',
    },
    {
      label: 'c7-null-newline',
      sql: (u) => `COPY src TO '${u}' ${WITH("FORMAT = 'csv', NULL = 'a\nb'")}`,
      code: '22023',
      message: 'COPY null representation cannot use newline or carriage return',
    },
    {
      label: 'c7-same',
      sql: (u) => `COPY src TO '${u}' ${WITH("FORMAT = 'csv', DELIMITER = '|', QUOTE = '|'")}`,
      code: '22023',
      message: 'COPY delimiter and quote must be different',
    },
    // 8. parquet mapping
    {
      label: 'c8',
      sql: (u) =>
        `COPY (SELECT 1 AS ok, INTERVAL '1 day' AS iv, 2 AS ok2, INTERVAL '1 hour' AS iv2) TO '${u}' ${WITH("FORMAT = 'parquet'")}`,
      code: '0A000',
      message: 'Cannot encode the following columns/types: ["iv: interval", "iv2: interval"]',
    },
    // 9. target
    {
      label: 'c9-type',
      sql: () => `COPY src TO 42 ${WITH()}`,
      code: '42804',
      message: 'COPY TO target must have type text, not type integer',
    },
    {
      label: 'c9-null',
      sql: () => `COPY src TO NULL::text ${WITH()}`,
      code: '22004',
      message: 'COPY TO target value can not be null',
    },
    {
      label: 'c9-parse',
      sql: () => `COPY src TO 'not a url' ${WITH()}`,
      code: '22023',
      message: 'could not parse COPY TO target url: invalid uri character',
    },
    {
      label: 'c9-path',
      sql: () => `COPY src TO '/tmp/exports/' ${WITH()}`,
      code: '0A000',
      message: "only 's3://...' and 'file://...' urls are supported as COPY TO target",
    },
    {
      label: 'c9-bucket',
      sql: () => `COPY src TO 's3:///${prefix}/c9-bucket' ${WITH()}`,
      code: '22023',
      message: 'could not parse COPY TO target url: missing bucket name',
    },
    {
      label: 'c9-null-expr',
      sql: () => `COPY src TO 's3://${bucket}/' || NULL ${WITH()}`,
      code: '22004',
      message: 'COPY TO target value can not be null',
    },
    {
      label: 'c9-null-int',
      sql: () => `COPY src TO NULL::int ${WITH()}`,
      code: '42804',
      message: 'COPY TO target must have type text, not type integer',
    },
    {
      label: 'c9-scheme',
      sql: () => `COPY src TO 'http://${bucket}/${prefix}/c9-scheme' ${WITH()}`,
      code: '0A000',
      message: "only 's3://...' and 'file://...' urls are supported as COPY TO target",
    },
    // 10. size bounds (1024-based, inclusive)
    {
      label: 'c10-small',
      sql: (u) => `COPY src TO '${u}' ${WITH("FORMAT = 'csv', MAX FILE SIZE = '16383kB'")}`,
      code: '22023',
      message: 'MAX FILE SIZE cannot be less than 16MB',
    },
    {
      label: 'c10-small-num',
      sql: (u) => `COPY src TO '${u}' ${WITH(`FORMAT = 'csv', MAX FILE SIZE = ${16 * 1024 * 1024 - 1}`)}`,
      code: '22023',
      message: 'MAX FILE SIZE cannot be less than 16MB',
    },
    {
      label: 'c10-large',
      sql: (u) => `COPY src TO '${u}' ${WITH("FORMAT = 'csv', MAX FILE SIZE = '4097 MB'")}`,
      code: '22023',
      message: 'MAX FILE SIZE cannot be greater than 4GB',
    },
    // The order between checks: an earlier check's error wins over a later one's.
    {
      label: 'o4-before-7',
      sql: (u) => `COPY src (id) TO '${u}' ${WITH("FORMAT = 'csv', DELIMITER = ';;'")}`,
      code: '0A000',
      message:
        'specifying columns for COPY <table_name> TO commands not yet supported; use COPY (SELECT...) TO ... instead',
    },
    {
      label: 'o4-before-10',
      sql: (u) => `COPY src (id) TO '${u}' ${WITH("FORMAT = 'csv', MAX FILE SIZE = '1MB'")}`,
      code: '0A000',
      message:
        'specifying columns for COPY <table_name> TO commands not yet supported; use COPY (SELECT...) TO ... instead',
    },
    {
      label: 'o5-before-7',
      sql: (u) => `COPY (SELECT id FROM src ORDER BY id) TO '${u}' ${WITH("FORMAT = 'csv', QUOTE = 'ab'")}`,
      code: '0A000',
      message: 'ORDER BY is not supported in SELECT query for COPY statements',
    },
    {
      label: 'o6-before-7',
      sql: (u) => `COPY src TO '${u}' WITH (FORMAT = 'csv', DELIMITER = ';;')`,
      code: '42601',
      message: 'AWS CONNECTION is required for COPY ... TO <expr>',
    },
    {
      label: 'o6-before-7-newline',
      sql: (u) => `COPY src TO '${u}' WITH (FORMAT = 'csv', NULL = 'a\nb')`,
      code: '42601',
      message: 'AWS CONNECTION is required for COPY ... TO <expr>',
    },
    {
      label: 'o6-before-9',
      sql: () => `COPY src TO 42 WITH (FORMAT = 'csv')`,
      code: '42601',
      message: 'AWS CONNECTION is required for COPY ... TO <expr>',
    },
    {
      label: 'o7-before-9',
      sql: () => `COPY src TO NULL::text ${WITH("FORMAT = 'csv', ESCAPE = ''")}`,
      code: '0A000',
      message: 'COPY escape must be a single one-byte character',
    },
    {
      label: 'o8-before-9',
      sql: () => `COPY (SELECT INTERVAL '1 day' AS iv) TO NULL::text ${WITH("FORMAT = 'parquet'")}`,
      code: '0A000',
      message: 'Cannot encode the following columns/types: ["iv: interval"]',
    },
    {
      label: 'o8-before-10',
      sql: (u) => `COPY (SELECT INTERVAL '1 day' AS iv) TO '${u}' ${WITH("FORMAT = 'parquet', MAX FILE SIZE = '1MB'")}`,
      code: '0A000',
      message: 'Cannot encode the following columns/types: ["iv: interval"]',
    },
    {
      label: 'o9-before-10',
      sql: () => `COPY src TO 42 ${WITH("FORMAT = 'csv', MAX FILE SIZE = '1MB'")}`,
      code: '42804',
      message: 'COPY TO target must have type text, not type integer',
    },
  ];
  for (const k of cases) {
    test(`${k.label}: ${k.message}`, async () => {
      await expectError(k.sql(url(k.label)), k.code, k.message);
      await assertUsable(k.label);
    });
  }

  test('the bounds are inclusive: 16MB and 4GB (as bytes and with a space) are accepted', async () => {
    await c.query(`COPY src TO '${url('c10-bounds-lo')}' ${WITH("FORMAT = 'csv', MAX FILE SIZE = '16 MB'")}`);
    await c.query(`COPY src TO '${url('c10-bounds-hi')}' ${WITH(`FORMAT = 'csv', MAX FILE SIZE = ${4 * 1024 ** 3}`)}`);
    assert.equal((await listKeys('c10-bounds-lo')).length, 1);
    assert.equal((await listKeys('c10-bounds-hi')).length, 1);
  });

  test('11: SELECT on the relation and USAGE on the connection are required (42501)', async () => {
    await c.query('CREATE ROLE exporter LOGIN');
    const e = await client('exporter');
    try {
      await expectError(
        `COPY src TO '${url('c11')}' ${WITH()}`,
        '42501',
        'permission denied for TABLE "materialize.public.src"',
        e,
      );
      await expectError(
        `COPY (SELECT count(*) FROM src_v) TO '${url('c11')}' ${WITH()}`,
        '42501',
        'permission denied for VIEW "materialize.public.src_v"',
        e,
      );
      await c.query('GRANT SELECT ON src TO exporter');
      const err = await expectError(
        `COPY src TO '${url('c11')}' ${WITH()}`,
        '42501',
        'permission denied for CONNECTION "materialize.public.aws_conn"',
        e,
      );
      assert.equal(
        err.detail,
        `The 'exporter' role needs USAGE privileges on CONNECTION "materialize.public.aws_conn"`,
      );
      assert.deepEqual(await listKeys('c11'), []);
      await c.query('GRANT USAGE ON CONNECTION aws_conn TO exporter');
      const r = await e.query(`COPY src TO '${url('c11')}' ${WITH()}`);
      assert.equal(r.rowCount, 1000);
    } finally {
      await e.end();
    }
  });

  test('a non-empty path is refused before anything is written', async () => {
    const before = await listKeys('c11');
    await expectError(
      `COPY src TO '${url('c11')}' ${WITH()}`,
      '55000',
      'S3 bucket path is not empty, contains 1 objects',
    );
    assert.deepEqual(await listKeys('c11'), before);
    // The listing uses the trailing slash: a sibling folder sharing the name's start is no obstacle.
    const r = await c.query(`COPY src TO '${url('c1')}' ${WITH()}`);
    assert.equal(r.rowCount, 1000);
  });
});

describe('what is exported', () => {
  const csvOf = async (label: string): Promise<string> => {
    const keys = await listKeys(label);
    assert.equal(keys.length, 1, keys.join(', '));
    assert.match(keys[0]!, dataKey(label, 'csv'));
    return (await getBytes(keys[0]!)).toString();
  };

  test('a table, a view, a materialized view and a (SELECT …)', async () => {
    const t = await c.query(`COPY src TO '${url('rel-table')}' ${WITH()}`);
    assert.equal(t.rowCount, 1000);
    const lines = (await csvOf('rel-table')).split('\n');
    assert.equal(lines.length, 1001);
    assert.equal(lines[1000], '');
    assert.deepEqual(lines.slice(0, 1000).sort(), Array.from({ length: 1000 }, (_, i) => `${i},row ${i}`).sort());

    const v = await c.query(`COPY src_v TO '${url('rel-view')}' ${WITH("FORMAT = 'csv', HEADER")}`);
    assert.equal(v.rowCount, 10);
    const vl = (await csvOf('rel-view')).split('\n');
    assert.equal(vl[0], 'id,s');
    assert.deepEqual(vl.slice(1, 11).sort(), Array.from({ length: 10 }, (_, i) => `${i},row ${i}`).sort());

    const mv = await c.query(`COPY src_mv TO '${url('rel-mv')}' ${WITH()}`);
    assert.equal(mv.rowCount, 3);
    assert.deepEqual((await csvOf('rel-mv')).split('\n').filter(Boolean).sort(), ['0,334', '1,333', '2,333']);

    const q = await c.query(
      `COPY (SELECT id * 2 AS doubled FROM src WHERE id < 3) TO '${url('rel-query')}' ${WITH("FORMAT = 'csv', HEADER = true")}`,
    );
    assert.equal(q.rowCount, 3);
    const ql = (await csvOf('rel-query')).split('\n');
    assert.deepEqual([ql[0], ...ql.slice(1, 4).sort(), ql[4]], ['doubled', '0', '2', '4', '']);
  });

  test("a target built with 's3://…' || to_char(now(), …) is evaluated once", async () => {
    const day = (await c.query<TextRow>(`SELECT to_char(now(), 'YYYY-MM-DD') AS d`)).rows[0]?.d;
    const r = await c.query(`COPY src_v TO '${url('dated')}/' || to_char(now(), 'YYYY-MM-DD') ${WITH()}`);
    assert.equal(r.rowCount, 10);
    const keys = await listKeys(`dated/${day}`);
    assert.equal(keys.length, 1);
    assert.match(keys[0]!, dataKey(`dated/${day}`, 'csv'));
  });

  test('an empty result writes exactly one file (CSV without and with HEADER, Parquet)', async () => {
    const r = await c.query(`COPY (SELECT id, s FROM src WHERE false) TO '${url('empty-csv')}' ${WITH()}`);
    assert.equal(r.rowCount, 0);
    assert.equal(await csvOf('empty-csv'), '');
    await c.query(
      `COPY (SELECT id, s FROM src WHERE false) TO '${url('empty-header')}' ${WITH("FORMAT = 'csv', HEADER")}`,
    );
    assert.equal(await csvOf('empty-header'), 'id,s\n');
    await c.query(
      `COPY (SELECT id, s FROM src WHERE false) TO '${url('empty-parquet')}' ${WITH("FORMAT = 'parquet'")}`,
    );
    const keys = await listKeys('empty-parquet');
    assert.equal(keys.length, 1);
    const meta = parquetMetadata(toArrayBuffer(await getBytes(keys[0]!)));
    assert.equal(Number(meta.num_rows), 0);
    assert.deepEqual(
      meta.schema.slice(1).map((s) => s.name),
      ['id', 's'],
    );
  });

  test('HEADER starts every file when MAX FILE SIZE 16MB splits ~40 MB of CSV', async () => {
    const r = await c.query(`COPY big TO '${url('split')}' ${WITH("FORMAT = 'csv', HEADER, MAX FILE SIZE = '16MB'")}`);
    assert.equal(r.rowCount, 100000);
    const keys = await listKeys('split');
    assert.equal(keys.length, 3, keys.join(', '));
    keys.forEach((k, i) => assert.match(k, new RegExp(`-batch-0000-${String(i).padStart(4, '0')}\\.csv$`)));
    let rows = 0;
    const ids = new Set<string>();
    for (const k of keys) {
      const body = await getBytes(k);
      assert.ok(body.length <= 16 * 1024 * 1024, `${k}: ${body.length} bytes`);
      assert.ok(
        body.length > 12 * 1024 * 1024 || k === keys[keys.length - 1],
        `${k} is filled up to the cap: ${body.length}`,
      );
      const lines = body.toString().split('\n');
      assert.equal(lines.pop(), '', 'every row ends with \\n');
      assert.equal(lines[0], 'id,pad');
      assert.equal(lines.filter((l) => l === 'id,pad').length, 1, 'the header once per file');
      for (const l of lines.slice(1)) ids.add(l.split(',')[0]!);
      rows += lines.length - 1;
    }
    assert.equal(rows, 100000);
    assert.equal(ids.size, 100000);
    const files = await c.query<TextRow>(
      `SELECT f.rows, f.bytes FROM mz_internal.mz_copy_to_files f JOIN mz_internal.mz_copy_to_history h USING (export_id) WHERE h.uri = '${url('split')}' ORDER BY f.key`,
    );
    assert.equal(
      files.rows.reduce((a, f) => a + Number(f.rows), 0),
      100000,
    );
  });
});

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

describe('while an export runs', () => {
  test(
    'the sentinel is visible from a second client during a slow export and gone after',
    { timeout: 90_000 },
    async () => {
      aws.faults.add({
        op: 'UploadPart',
        action: { kind: 'delay', ms: 1500 },
        times: 3,
        pathPrefix: `/${bucket}/${prefix}/slow/`,
      });
      const running = c.query(`COPY big TO '${url('slow')}' ${WITH()}`);
      let sawSentinel = false;
      const observer = aws.s3(aws.admin, aws.gatewayEndpoint);
      const done = running.then(
        () => true,
        () => true,
      );
      while (!(await Promise.race([done, new Promise<false>((r) => setTimeout(() => r(false), 100))]))) {
        const out = await observer.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/slow/` }));
        const keys = (out.Contents ?? []).map((o) => o.Key!);
        if (keys.some((k) => /\/mz-t[0-9a-z]+-INCOMPLETE$/.test(k))) sawSentinel = true;
      }
      observer.destroy();
      const r = await running;
      aws.faults.clear();
      assert.equal(r.rowCount, 100000);
      assert.ok(sawSentinel, 'the sentinel was listed while the export ran');
      const keys = await listKeys('slow');
      assert.ok(!keys.some((k) => k.endsWith('-INCOMPLETE')), keys.join(', '));
      assert.equal(keys.length, 1);
    },
  );

  test(
    'a pgwire CancelRequest stops the export: 57014, no multipart upload left, sentinel remains',
    { timeout: 90_000 },
    async () => {
      aws.faults.add({
        op: 'UploadPart',
        action: { kind: 'delay', ms: 3000 },
        times: 1000,
        pathPrefix: `/${bucket}/${prefix}/canceled/`,
      });
      const victim = await client();
      try {
        const running = victim.query(`COPY big TO '${url('canceled')}' ${WITH()}`).then(
          () => null,
          (e: pg.DatabaseError) => e,
        );
        await waitFor('a multipart upload', async () => (await openUploads('canceled')).length > 0);
        const t0 = Date.now();
        await cancel(victim);
        const err = await running;
        const took = Date.now() - t0;
        aws.faults.clear();
        assert.ok(err, 'the statement failed');
        assert.equal(err.code, '57014');
        assert.equal(err.message, 'canceling statement due to user request');
        assert.ok(took < 5000, `canceled within seconds (${took} ms)`);
        assert.deepEqual(await openUploads('canceled'), []);
        const keys = await listKeys('canceled');
        assert.ok(
          keys.some((k) => k.endsWith('-INCOMPLETE')),
          keys.join(', '),
        );
        // The session is usable afterwards.
        assert.equal((await victim.query<TextRow>('SELECT 1 AS one')).rows[0]?.one, '1');
        const h = await c.query(
          `SELECT status, error FROM mz_internal.mz_copy_to_history WHERE uri = '${url('canceled')}'`,
        );
        assert.deepEqual(h.rows, [{ status: 'failed', error: 'canceling statement due to user request' }]);
      } finally {
        aws.faults.clear();
        await victim.end();
      }
    },
  );

  test(
    'a persistent 500 on UploadPart fails the statement; no upload left, sentinel remains, history says failed',
    { timeout: 90_000 },
    async () => {
      aws.faults.add({
        op: 'UploadPart',
        action: { kind: 'internalError' },
        times: Infinity,
        pathPrefix: `/${bucket}/${prefix}/five-hundred/`,
      });
      let err: pg.DatabaseError | undefined;
      try {
        await c.query(`COPY big TO '${url('five-hundred')}' ${WITH()}`);
      } catch (e) {
        err = e as pg.DatabaseError;
      } finally {
        aws.faults.clear();
      }
      assert.ok(err, 'the statement failed');
      assert.match(
        err.message,
        new RegExp(`^COPY TO ${url('five-hundred').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} failed: `),
      );
      // The proxy answers 500 while the part body is still being sent, so the client sees
      // either the 500 or the broken pipe that follows it, depending on timing.
      assert.match(err.message, /InternalError|500|EPIPE|ECONNRESET/);
      assert.match(err.hint ?? '', /-INCOMPLETE/);
      assert.ok(aws.faults.count('UploadPart').faulted > 0, 'the fault was injected');
      assert.deepEqual(await openUploads('five-hundred'), []);
      const keys = await listKeys('five-hundred');
      assert.ok(
        keys.some((k) => k.endsWith('-INCOMPLETE')),
        keys.join(', '),
      );
      const h = await c.query(
        `SELECT status, error FROM mz_internal.mz_copy_to_history WHERE uri = '${url('five-hundred')}'`,
      );
      assert.deepEqual(h.rows, [{ status: 'failed', error: err.message }]);
    },
  );

  test(
    '503 once on UploadPart and on CompleteMultipartUpload: retried, the export succeeds',
    { timeout: 90_000 },
    async () => {
      aws.faults.reset();
      aws.faults.add({
        op: 'UploadPart',
        action: { kind: 'slowDown' },
        times: 1,
        pathPrefix: `/${bucket}/${prefix}/slowdown/`,
      });
      aws.faults.add({
        op: 'CompleteMultipartUpload',
        action: { kind: 'slowDown' },
        times: 1,
        pathPrefix: `/${bucket}/${prefix}/slowdown/`,
      });
      try {
        const r = await c.query(`COPY big TO '${url('slowdown')}' ${WITH()}`);
        assert.equal(r.rowCount, 100000);
        assert.equal(aws.faults.count('UploadPart').faulted, 1);
        assert.equal(aws.faults.count('CompleteMultipartUpload').faulted, 1);
      } finally {
        aws.faults.clear();
      }
      const keys = await listKeys('slowdown');
      assert.equal(keys.length, 1);
      const lines = (await getBytes(keys[0]!)).toString().split('\n').filter(Boolean);
      assert.equal(lines.length, 100000);
      assert.equal(lines[0], `${lines[0]!.split(',')[0]},${'x'.repeat(400)}`);
    },
  );
});

describe('preflight permissions (credentials-mode connections)', () => {
  for (const [omit, op] of [
    ['ListBucket', 'ListObjectsV2'],
    ['DeleteObject', 'DeleteObject'],
    ['PutObject', 'PutObject'],
  ] as const) {
    test(`a user lacking ${omit} fails with AccessDenied error when using ${op} and writes nothing`, async () => {
      const user = await aws.createUser({ prefix, omit });
      const name = `lacks_${omit.toLowerCase()}`;
      await c.query(`CREATE SECRET ${name}_sk AS '${user.credentials.secretAccessKey}'`);
      await c.query(
        `CREATE CONNECTION ${name} TO AWS (ENDPOINT = '${aws.endpoint}', REGION = '${aws.region}', ACCESS KEY ID = '${user.credentials.accessKeyId}', SECRET ACCESS KEY = SECRET ${name}_sk)`,
      );
      const label = `denied-${omit}`;
      await expectError(
        `COPY src TO '${url(label)}' ${WITH("FORMAT = 'csv'", name)}`,
        '42501',
        `AccessDenied error when using ${op}`,
      );
      assert.deepEqual(await listKeys(label), []);
      assert.deepEqual(await openUploads(label), []);
    });
  }
});

describe('concurrency', () => {
  test(
    'four exports at once while another session inserts: each a consistent snapshot; SELECT 1 stays quick',
    { timeout: 120_000 },
    async (t) => {
      await c.query(`CREATE TABLE growing (id bigint, pad text)`);
      await c.query(`INSERT INTO growing SELECT range, repeat('y', 50) FROM generate_series(0, 199999) AS g(range)`);
      const writer = await client();
      const pinger = await client();
      const exporters = await Promise.all([client(), client(), client(), client()]);
      // Slow the sentinel puts down so the inserts certainly interleave with the exports.
      aws.faults.add({
        op: 'PutObject',
        action: { kind: 'delay', ms: 700 },
        times: 4,
        pathPrefix: `/${bucket}/${prefix}/conc-`,
      });
      let stop = false;
      let next = 200000;
      const inserting = (async () => {
        while (!stop) {
          await writer.query(
            `INSERT INTO growing SELECT range, repeat('y', 50) FROM generate_series(${next}, ${next + 999}) AS g(range)`,
          );
          next += 1000;
        }
      })();
      const pings: number[] = [];
      const pinging = (async () => {
        while (!stop) {
          const t = Date.now();
          await pinger.query('SELECT 1');
          pings.push(Date.now() - t);
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      try {
        const started: number[] = [];
        const results = await Promise.all(
          exporters.map(async (e, i) => {
            await new Promise((r) => setTimeout(r, i * 150));
            started[i] = next;
            const r = await e.query(`COPY growing TO '${url(`conc-${i}`)}' ${WITH()}`);
            return { i, rows: r.rowCount! };
          }),
        );
        stop = true;
        await inserting;
        await pinging;
        t.diagnostic(
          `rows per export ${results.map((r) => r.rows).join(', ')}; inserted up to ${next}; started at ${started.join(', ')}; max SELECT 1 ${Math.max(...pings)} ms`,
        );
        for (const { i, rows } of results) {
          // Rows committed before the statement was sent are in its snapshot; nothing after the last insert.
          assert.ok(
            rows >= started[i]! && rows <= next,
            `export ${i}: ${rows} rows, ${started[i]} committed when it started, ${next} at the end`,
          );
          assert.ok(
            rows >= 200000 && rows % 1000 === 0,
            `export ${i}: ${rows} rows is a whole number of committed batches`,
          );
          const keys = await listKeys(`conc-${i}`);
          let n = 0;
          let sum = 0n;
          for (const k of keys) {
            for (const l of (await getBytes(k)).toString().split('\n')) {
              if (!l) continue;
              n++;
              sum += BigInt(l.split(',')[0]!);
            }
          }
          assert.equal(n, rows, `export ${i}: the files hold exactly the COPY tag's rows`);
          // A snapshot of sequential inserts holds exactly ids 0..rows-1.
          assert.equal(sum, (BigInt(rows) * BigInt(rows - 1)) / 2n, `export ${i}: ids 0..${rows - 1}`);
        }
        assert.ok(next > 200000, 'inserts ran meanwhile');
        assert.ok(pings.length > 0);
        assert.ok(
          Math.max(...pings) < 2000,
          `SELECT 1 answered quickly (max ${Math.max(...pings)} ms over ${pings.length})`,
        );
      } finally {
        stop = true;
        aws.faults.clear();
        await inserting.catch(() => undefined);
        await pinging.catch(() => undefined);
        for (const e of [writer, pinger, ...exporters]) await e.end();
      }
    },
  );
});

describe('format fidelity at the SQL level', () => {
  const ROW = `SELECT true AS b, 1::smallint AS i2, -2::int AS i4, 3::bigint AS i8, 4::uint2 AS u2, 5::uint4 AS u4, 6::uint8 AS u8,
    1.5::real AS f4, 'Infinity'::double precision AS f8, 1234.5678::numeric(10,4) AS n, 'a,b "q"'::text AS t, 'vc'::varchar AS vc,
    '\\xAAAA'::bytea AS bt, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS u, '{"s": "abc"}'::jsonb AS j, DATE '2010-10-10' AS d,
    TIME '10:10:10' AS tm, TIMESTAMP '2010-10-10 10:10:10' AS ts, TIMESTAMPTZ '2010-10-10 10:10:10+02' AS tz,
    '{1,2}'::int list AS l, ARRAY[1,2] AS a, ''::text AS e, NULL::int AS nul, 'ü→😀'::text AS uni`;

  test('CSV: one row of every type, byte for byte', async () => {
    const r = await c.query(
      `COPY (${ROW}, INTERVAL '0' AS iv) TO '${url('fidelity-csv')}' ${WITH("FORMAT = 'csv', HEADER")}`,
    );
    assert.equal(r.rowCount, 1);
    const keys = await listKeys('fidelity-csv');
    const body = await getBytes(keys[0]!);
    assert.equal(
      body.toString('utf8'),
      'b,i2,i4,i8,u2,u4,u8,f4,f8,n,t,vc,bt,u,j,d,tm,ts,tz,l,a,e,nul,uni,iv\n' +
        't,1,-2,3,4,5,6,1.5,Infinity,1234.5678,"a,b ""q""",vc,\\xaaaa,a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,"{""s"":""abc""}",2010-10-10,10:10:10,2010-10-10 10:10:10,2010-10-10 08:10:10+00,"{1,2}","{1,2}","",,ü→😀,00:00:00\n',
    );
    assert.notEqual(body[0], 0xef, 'no BOM');
  });

  test('CSV with DELIMITER, QUOTE, ESCAPE and NULL options', async () => {
    await c.query(
      `COPY (SELECT '{1,2}'::int list AS l, 83647 AS i, '{"s":"ab\`c"}'::jsonb AS j, NULL::text AS n, 'N' AS nn) TO '${url('fidelity-opts')}' ${WITH("FORMAT = 'csv', DELIMITER = ';', QUOTE = '`', NULL = 'N'")}`,
    );
    const keys = await listKeys('fidelity-opts');
    assert.equal((await getBytes(keys[0]!)).toString(), '{1,2};83647;`{"s":"ab``c"}`;N;`N`\n');
    await c.query(
      `COPY (SELECT 'a"b' AS x, 'c\\d' AS y) TO '${url('fidelity-escape')}' ${WITH("FORMAT = 'csv', ESCAPE = '\\'")}`,
    );
    const k2 = await listKeys('fidelity-escape');
    assert.equal((await getBytes(k2[0]!)).toString(), '"a\\"b",c\\d\n');
  });

  test('Parquet: read back by DuckDB and by hyparquet with the expected physical and logical types', async () => {
    const r = await c.query(`COPY (${ROW}) TO '${url('fidelity-parquet')}' ${WITH("FORMAT = 'parquet'")}`);
    assert.equal(r.rowCount, 1);
    const keys = await listKeys('fidelity-parquet');
    assert.equal(keys.length, 1);
    const bytes = await getBytes(keys[0]!);
    const dir = mkdtempSync(join(tmpdir(), 'ferry-copy-checks-'));
    const file = join(dir, 'x.parquet');
    writeFileSync(file, bytes);

    // DuckDB
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      const schema = (
        await conn.runAndReadAll(
          `SELECT name, type, converted_type, logical_type FROM parquet_schema('${file}') WHERE num_children IS NULL OR num_children = 0`,
        )
      ).getRowsJS();
      // parquet_schema() columns are all VARCHAR.
      const byName = new Map(schema.map((s) => [textCell(s[0]), s.slice(1).map(textCellOrNull)]));
      const phys = (n: string): string | null | undefined => byName.get(n)?.[0];
      assert.equal(phys('b'), 'BOOLEAN');
      assert.equal(phys('i2'), 'INT32');
      assert.equal(byName.get('i2')?.[1], 'INT_16');
      assert.equal(phys('i4'), 'INT32');
      assert.equal(phys('i8'), 'INT64');
      assert.equal(byName.get('u2')?.[1], 'UINT_16');
      assert.equal(byName.get('u4')?.[1], 'UINT_32');
      assert.equal(byName.get('u8')?.[1], 'UINT_64');
      assert.equal(phys('f4'), 'FLOAT');
      assert.equal(phys('f8'), 'DOUBLE');
      assert.equal(phys('n'), 'FIXED_LEN_BYTE_ARRAY');
      assert.equal(byName.get('n')?.[1], 'DECIMAL');
      assert.equal(phys('t'), 'BYTE_ARRAY');
      assert.equal(byName.get('t')?.[1], 'UTF8');
      assert.equal(phys('bt'), 'BYTE_ARRAY');
      assert.equal(byName.get('bt')?.[1], null);
      assert.equal(phys('u'), 'FIXED_LEN_BYTE_ARRAY');
      assert.equal(phys('d'), 'INT32');
      assert.equal(byName.get('d')?.[1], 'DATE');
      assert.equal(phys('tm'), 'INT64');
      assert.equal(phys('ts'), 'INT64');
      assert.equal(phys('tz'), 'INT64');
      const decimal = (
        await conn.runAndReadAll(`SELECT scale, precision, type_length FROM parquet_schema('${file}') WHERE name = 'n'`)
      )
        .getRowsJS()[0]!
        .map(Number);
      assert.deepEqual(decimal, [4, 38, 16]);
      const row = (
        await conn.runAndReadAll(
          `SELECT b::VARCHAR, i2::VARCHAR, i4::VARCHAR, i8::VARCHAR, u2::VARCHAR, u4::VARCHAR, u8::VARCHAR, f4::VARCHAR, f8::VARCHAR, n::VARCHAR, t, vc, hex(bt), u::VARCHAR, j::VARCHAR,
                  d::VARCHAR, tm::VARCHAR, ts::VARCHAR, (tz AT TIME ZONE 'UTC')::VARCHAR, l::VARCHAR, a::VARCHAR, e, nul, uni FROM '${file}'`,
        )
      ).getRowsJS()[0]!;
      assert.deepEqual(row, [
        'true',
        '1',
        '-2',
        '3',
        '4',
        '5',
        '6',
        '1.5',
        'inf',
        '1234.5678',
        'a,b "q"',
        'vc',
        'AAAA',
        'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
        '{"s":"abc"}',
        '2010-10-10',
        '10:10:10',
        '2010-10-10 10:10:10',
        '2010-10-10 08:10:10',
        '[1, 2]',
        '[1, 2]',
        '',
        null,
        'ü→😀',
      ]);
      const types = (
        await conn.runAndReadAll(`SELECT typeof(ts), typeof(tz), typeof(tm), typeof(n), typeof(u) FROM '${file}'`)
      ).getRowsJS()[0]!;
      assert.deepEqual(types, ['TIMESTAMP', 'TIMESTAMP WITH TIME ZONE', 'TIME', 'DECIMAL(38,4)', 'UUID']);
    } finally {
      conn.closeSync();
    }

    // hyparquet, an independent reader
    const ab = toArrayBuffer(bytes);
    const meta = parquetMetadata(ab);
    const leaf = (name: string) => meta.schema.find((s) => s.name === name)!;
    assert.equal(leaf('b').type, 'BOOLEAN');
    assert.equal(leaf('i2').type, 'INT32');
    assert.equal(leaf('i2').converted_type, 'INT_16');
    assert.equal(leaf('u8').type, 'INT64');
    assert.equal(leaf('u8').converted_type, 'UINT_64');
    assert.equal(leaf('n').type, 'FIXED_LEN_BYTE_ARRAY');
    assert.equal(leaf('n').type_length, 16);
    assert.equal(leaf('n').precision, 38);
    assert.equal(leaf('n').scale, 4);
    assert.equal(leaf('t').converted_type, 'UTF8');
    assert.equal(leaf('u').type, 'FIXED_LEN_BYTE_ARRAY');
    assert.equal(leaf('u').type_length, 16);
    assert.equal(leaf('d').converted_type, 'DATE');
    assert.equal(leaf('tm').type, 'INT64');
    assert.deepEqual(leaf('tm').logical_type, { type: 'TIME', isAdjustedToUTC: false, unit: 'MICROS' });
    assert.deepEqual(leaf('ts').logical_type, { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' });
    assert.deepEqual(leaf('tz').logical_type, { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' });
    assert.equal(meta.schema.find((s) => s.name === 'l')!.converted_type, 'LIST');
    assert.equal(meta.schema.find((s) => s.name === 'a')!.converted_type, 'LIST');
    for (const rg of meta.row_groups) for (const col of rg.columns) assert.equal(col.meta_data?.codec, 'SNAPPY');
    const rows = (await parquetReadObjects({ file: ab })) as Record<string, unknown>[];
    assert.equal(rows.length, 1);
    const got = rows[0]!;
    assert.equal(got.b, true);
    assert.equal(got.i2, 1);
    assert.equal(got.i4, -2);
    assert.equal(got.i8, 3n);
    assert.equal(got.f8, Infinity);
    // hyparquet converts DECIMAL to a JavaScript number.
    assert.ok(Math.abs((got.n as number) - 1234.5678) < 1e-9, String(got.n));
    assert.equal(got.t, 'a,b "q"');
    assert.equal(got.e, '');
    assert.equal(got.nul, null);
    assert.equal(got.uni, 'ü→😀');
    assert.deepEqual(got.l, [1, 2]);
    assert.equal((got.d as Date).toISOString(), '2010-10-10T00:00:00.000Z');
    assert.equal((got.tz as Date).toISOString(), '2010-10-10T08:10:10.000Z');
  });

  test('an unconstrained numeric is DECIMAL(38, 10), values rescaled', async () => {
    await c.query(`COPY (SELECT 1234::numeric AS n) TO '${url('fidelity-rescale')}' ${WITH("FORMAT = 'parquet'")}`);
    const keys = await listKeys('fidelity-rescale');
    const dir = mkdtempSync(join(tmpdir(), 'ferry-copy-checks-'));
    const file = join(dir, 'r.parquet');
    writeFileSync(file, await getBytes(keys[0]!));
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      assert.deepEqual((await conn.runAndReadAll(`SELECT n::VARCHAR, typeof(n) FROM '${file}'`)).getRowsJS()[0], [
        '1234.0000000000',
        'DECIMAL(38,10)',
      ]);
    } finally {
      conn.closeSync();
    }
  });

  test('numeric values that cannot be represented fail the COPY with a clear message', async () => {
    // Ferry's numeric is stored as DECIMAL(38, 10). A constant that does not fit is refused
    // while the statement is planned, before preflight: nothing is written at all.
    const constant = `SELECT 12345678901234567890123456789.5::numeric AS n`;
    await expectError(constant, '22003', 'numeric field overflow');
    await expectError(
      `COPY (${constant}) TO '${url('numeric-constant')}' ${WITH("FORMAT = 'parquet'")}`,
      '22003',
      'numeric field overflow',
    );
    assert.deepEqual(await listKeys('numeric-constant'), []);
    // NaN, and values that only overflow while the query runs, fail during the query with the
    // message a SELECT gives (no excerpt of the sink's internal statement), after preflight,
    // so the sentinel stays and no upload is left open.
    for (const [label, sql, code, message] of [
      ['numeric-nan', `SELECT 'NaN'::numeric AS n`, '22P02', 'could not convert string "NaN" to DECIMAL(38,10)'],
      [
        'numeric-range',
        `SELECT x * 10 AS n FROM (VALUES (1234567890123456789012345678.5::numeric)) v(x)`,
        '22003',
        'numeric field overflow',
      ],
    ] as const) {
      const plain = await expectError(sql, code, message);
      assert.ok(plain);
      await expectError(`COPY (${sql}) TO '${url(label)}' ${WITH("FORMAT = 'parquet'")}`, code, message);
      const keys = await listKeys(label);
      assert.equal(keys.length, 1, keys.join(', '));
      assert.match(keys[0]!, /-INCOMPLETE$/);
      assert.deepEqual(await openUploads(label), []);
    }
  });
});

describe('VALIDATE = true at CREATE / ALTER', () => {
  test('a failing validation leaves no connection behind, and an ALTER that fails validation changes nothing', async () => {
    const wrong = `arn:aws:iam::${aws.accountId}:role/does-not-trust-ferry`;
    const err = await assert.rejects(
      c.query(
        `CREATE CONNECTION checked TO AWS (ENDPOINT = '${aws.endpoint}', REGION = '${aws.region}', ASSUME ROLE ARN = '${wrong}') WITH (VALIDATE = true)`,
      ),
      (e: pg.DatabaseError) => e.code === '58000',
    );
    void err;
    assert.equal(
      (await c.query<TextRow>(`SELECT count(*) AS n FROM mz_catalog.mz_connections WHERE name = 'checked'`)).rows[0]?.n,
      '0',
    );
    const before = (await c.query('SHOW CREATE CONNECTION aws_conn')).rows;
    await assert.rejects(
      c.query(`ALTER CONNECTION aws_conn SET (ASSUME ROLE ARN = '${wrong}') WITH (VALIDATE = true)`),
      (e: pg.DatabaseError) => e.code === '58000',
    );
    assert.deepEqual((await c.query('SHOW CREATE CONNECTION aws_conn')).rows, before);
    await c.query('VALIDATE CONNECTION aws_conn');
    const ok = await c.query(`ALTER CONNECTION aws_conn SET (REGION = '${aws.region}') WITH (VALIDATE = true)`);
    assert.equal(ok.command, 'ALTER');
  });
});
