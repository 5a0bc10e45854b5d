// test-needs: local-s3
/**
 * The S3 export guide end to end, as a user runs it over psql-compatible clients, against
 * the local RGW with real role policies through the STS front (external IDs checked):
 * create a connection, read its external ID and trust policy, put them on a role,
 * validate, export Parquet and CSV to a dated path, and read the files back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type FerryProcess, startFerry } from '../support/ferry.js';
import { type LocalAws, ferryServerEnv, localAws } from '../support/localaws.js';

const SECRET_VALUE = 'e2eSuperSecretValue-9f8e7d6c5b4a';

let aws: LocalAws;
let ferry: FerryProcess;
let admin: S3Client;

/** A row as client() returns it: every value as its text (no type parsers). */
type TextRow = Record<string, string | null>;

/** The part of an IAM policy document the guide checks. */
interface PolicyDocument {
  Statement: { Resource?: string | string[]; Condition?: Record<string, Record<string, unknown>> }[];
}

function policyDocument(text: string | null | undefined): PolicyDocument {
  assert.ok(text, 'a policy document');
  return JSON.parse(text) as PolicyDocument;
}

async function client(user = 'materialize'): Promise<pg.Client> {
  const c = new pg.Client({ ...ferry.pgConfig(user), types: { getTypeParser: () => (v: string) => v } });
  await c.connect();
  return c;
}

async function listKeys(bucket: string, prefix: string): Promise<string[]> {
  const out = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

async function getBytes(bucket: string, key: string): Promise<Buffer> {
  const out = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

before(async () => {
  aws = await localAws();
  admin = aws.s3(aws.admin, aws.rgwEndpoint);
  ferry = await startFerry({ env: ferryServerEnv(aws) });
});

after(async () => {
  await ferry?.stop();
  await aws?.cleanup();
});

describe('S3 export guide', () => {
  let externalId = '';
  let principal = '';
  let bucket = '';
  let prefix = '';

  test('step 1: a connection gets an external ID and an example trust policy', async () => {
    const c = await client();
    try {
      // The role is created after the connection, from what Ferry tells the user.
      await c.query(
        `CREATE CONNECTION aws_conn TO AWS (ENDPOINT = '${aws.endpoint}', REGION = '${aws.region}', ASSUME ROLE ARN = 'arn:aws:iam::${aws.accountId}:role/placeholder')`,
      );
      const r = await c.query<TextRow>(
        `SELECT id, external_id, principal, example_trust_policy FROM mz_internal.mz_aws_connections`,
      );
      assert.equal(r.rows.length, 1);
      const row = r.rows[0]!;
      const env = (await c.query<TextRow>('SELECT mz_environment_id() AS e')).rows[0]?.e;
      assert.equal(row.external_id, `mz_${env}_${row.id}`);
      assert.equal(row.principal, aws.ferry.arn);
      assert.equal(
        row.example_trust_policy,
        `{"Statement":[{"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"${row.external_id}"}},"Effect":"Allow","Principal":{"AWS":"${aws.ferry.arn}"}}],"Version":"2012-10-17"}`,
      );
      externalId = row.external_id;
      principal = row.principal;
    } finally {
      await c.end();
    }
  });

  test('step 2: a role trusting the principal with the external ID validates', async () => {
    // The permission policy Ferry recommends includes s3:AbortMultipartUpload (failed exports clean up).
    const role = await aws.createExportRole({
      trustPrincipal: principal,
      externalId,
      extraObjectActions: ['s3:AbortMultipartUpload'],
    });
    bucket = role.bucket;
    prefix = role.prefix;
    const c = await client();
    try {
      await c.query(`ALTER CONNECTION aws_conn SET (ASSUME ROLE ARN = '${role.roleArn}')`);
      const same = await c.query<TextRow>(`SELECT external_id FROM mz_internal.mz_aws_connections`);
      assert.equal(same.rows[0]?.external_id, externalId, 'ALTER keeps the external ID');
      // Both policies come from Ferry, ready to paste; the fixture role carries the same
      // permission statements, which is why the validation below passes.
      const pol = await c.query<TextRow>(
        `SHOW PERMISSION POLICY FOR CONNECTION aws_conn TO 's3://${bucket}/${prefix}'`,
      );
      const permission = policyDocument(pol.rows[0]?.permission_policy);
      assert.deepEqual(permission.Statement[0]?.Resource, `arn:aws:s3:::${bucket}/${prefix}/*`);
      assert.deepEqual(permission.Statement[1]?.Condition, { StringLike: { 's3:prefix': [`${prefix}/*`] } });
      assert.equal(
        policyDocument(pol.rows[0]?.trust_policy).Statement[0]?.Condition?.StringEquals?.['sts:ExternalId'],
        externalId,
      );
      const v = await c.query('VALIDATE CONNECTION aws_conn');
      assert.equal(v.command, 'VALIDATE');
      await c.query(`VALIDATE CONNECTION aws_conn FOR 's3://${bucket}/${prefix}'`);
    } finally {
      await c.end();
    }
  });

  test('a role whose trust policy lacks the external-ID condition is refused', async () => {
    const insecure = await aws.createExportRole({ trustPrincipal: principal, externalId: null });
    const c = await client();
    try {
      await c.query(
        `CREATE CONNECTION insecure_conn TO AWS (ENDPOINT = '${aws.endpoint}', REGION = '${aws.region}', ASSUME ROLE ARN = '${insecure.roleArn}')`,
      );
      await assert.rejects(c.query('VALIDATE CONNECTION insecure_conn'), (err: pg.DatabaseError) => {
        assert.equal(err.code, '58000');
        assert.equal(err.message, 'role trust policy does not require an external ID');
        assert.equal(
          err.detail,
          `The trust policy for the connection's role (${insecure.roleArn}) is insecure and allows any other user of this server's principal to assume the role.`,
        );
        assert.match(err.hint ?? '', /sts:ExternalId/);
        return true;
      });
    } finally {
      await c.end();
    }
  });

  test('steps 3-4: Parquet and CSV exports to a dated path read back exactly', async () => {
    const c = await client();
    try {
      await c.query(`CREATE TABLE orders (id bigint, customer text, amount numeric(12,2), placed timestamptz)`);
      await c.query(
        `INSERT INTO orders SELECT range, 'customer ' || (range % 97), (range % 1000) / 4.0, TIMESTAMPTZ '2026-01-01 00:00:00+00' + range * INTERVAL '1 minute' FROM generate_series(0, 49999) AS g(range)`,
      );
      const day = (await c.query<TextRow>(`SELECT to_char(now(), 'YYYY-MM-DD') AS d`)).rows[0]?.d;
      const r = await c.query(
        `COPY orders TO 's3://${bucket}/${prefix}/parquet/' || to_char(now(), 'YYYY-MM-DD') WITH (AWS CONNECTION = aws_conn, FORMAT = 'parquet')`,
      );
      assert.equal(r.command, 'COPY');
      assert.equal(r.rowCount, 50000);
      const keys = await listKeys(bucket, `${prefix}/parquet/${day}/`);
      assert.equal(keys.length, 1, `one data file and no sentinel: ${keys.join(', ')}`);
      assert.match(keys[0]!, new RegExp(`^${prefix}/parquet/${day}/mz-t[0-9a-f]+-batch-0000-0000\\.parquet$`));
      // Read back with DuckDB.
      const dir = mkdtempSync(join(tmpdir(), 'ferry-e2e-'));
      const file = join(dir, 'x.parquet');
      writeFileSync(file, await getBytes(bucket, keys[0]!));
      const db = await DuckDBInstance.create(':memory:');
      const conn = await db.connect();
      const got = (
        await conn.runAndReadAll(`SELECT count(*), sum(id), sum(amount)::VARCHAR, min(placed)::VARCHAR FROM '${file}'`)
      ).getRowsJS()[0]!;
      // amount = (id % 1000) / 4 over 50 full cycles of 0..999.
      const amountSum = ((50 * (999 * 1000)) / 2 / 4).toFixed(2);
      assert.deepEqual(got.map(String), ['50000', String((49999 * 50000) / 2), amountSum, '2026-01-01 00:00:00+00']);
      conn.closeSync();

      const csv = await c.query(
        `COPY (SELECT id, customer FROM orders WHERE id < 3) TO 's3://${bucket}/${prefix}/csv' WITH (AWS CONNECTION = aws_conn, FORMAT = 'csv', HEADER = true)`,
      );
      assert.equal(csv.rowCount, 3);
      const csvKeys = await listKeys(bucket, `${prefix}/csv/`);
      assert.equal(csvKeys.length, 1);
      assert.equal(
        (await getBytes(bucket, csvKeys[0]!)).toString(),
        'id,customer\n0,customer 0\n1,customer 1\n2,customer 2\n',
      );

      const hist = await c.query<TextRow>(
        `SELECT status, rows, files, uri FROM mz_internal.mz_copy_to_history ORDER BY started_at`,
      );
      assert.deepEqual(
        hist.rows.map((h) => [h.status, h.rows, h.files]),
        [
          ['succeeded', '50000', '1'],
          ['succeeded', '3', '1'],
        ],
      );
      const files = await c.query<TextRow>(`SELECT count(*) AS n FROM mz_internal.mz_copy_to_files`);
      assert.equal(files.rows[0]?.n, '2');
    } finally {
      await c.end();
    }
  });

  test('exporting into a non-empty path fails before writing anything', async () => {
    const c = await client();
    try {
      const before = await listKeys(bucket, `${prefix}/csv/`);
      await assert.rejects(
        c.query(`COPY (SELECT 1) TO 's3://${bucket}/${prefix}/csv' WITH (AWS CONNECTION = aws_conn, FORMAT = 'csv')`),
        /S3 bucket path is not empty, contains 1 objects/,
      );
      assert.deepEqual(await listKeys(bucket, `${prefix}/csv/`), before);
    } finally {
      await c.end();
    }
  });

  test('a role without USAGE on the connection is denied with the exact message', async () => {
    const c = await client();
    try {
      await c.query(`CREATE ROLE analyst LOGIN`);
      await c.query(`GRANT SELECT ON orders TO analyst`);
      const a = await client('analyst');
      try {
        await assert.rejects(a.query('VALIDATE CONNECTION aws_conn'), (err: pg.DatabaseError) => {
          assert.equal(err.code, '42501');
          assert.equal(err.message, 'permission denied for CONNECTION "materialize.public.aws_conn"');
          assert.equal(
            err.detail,
            `The 'analyst' role needs USAGE privileges on CONNECTION "materialize.public.aws_conn"`,
          );
          return true;
        });
        await assert.rejects(
          a.query(`COPY orders TO 's3://${bucket}/${prefix}/denied' WITH (AWS CONNECTION = aws_conn, FORMAT = 'csv')`),
          (err: pg.DatabaseError) => {
            assert.equal(err.code, '42501');
            assert.equal(err.message, 'permission denied for CONNECTION "materialize.public.aws_conn"');
            return true;
          },
        );
        await c.query(`GRANT USAGE ON CONNECTION aws_conn TO analyst`);
        await a.query('VALIDATE CONNECTION aws_conn');
      } finally {
        await a.end();
      }
      assert.deepEqual(await listKeys(bucket, `${prefix}/denied/`), []);
    } finally {
      await c.end();
    }
  });

  test('credentials mode with secrets: wrong secret, ALTER SECRET, no secret anywhere', async () => {
    const user = await aws.createUser({ prefix });
    const c = await client();
    try {
      await c.query(`CREATE SECRET aws_sk AS '${SECRET_VALUE}'`);
      await c.query(
        `CREATE CONNECTION keys_conn TO AWS (ENDPOINT = '${aws.endpoint}', REGION = '${aws.region}', ACCESS KEY ID = '${user.credentials.accessKeyId}', SECRET ACCESS KEY = SECRET aws_sk)`,
      );
      await assert.rejects(c.query('VALIDATE CONNECTION keys_conn'), (err: pg.DatabaseError) => {
        assert.equal(err.code, '58000');
        assert.match(err.message, /SignatureDoesNotMatch/);
        assert.ok(!JSON.stringify(err).includes(SECRET_VALUE));
        return true;
      });
      await c.query(`ALTER SECRET aws_sk AS '${user.credentials.secretAccessKey}'`);
      await c.query('VALIDATE CONNECTION keys_conn');
      // The secret values appear in no catalog relation, SHOW output or log line.
      for (const rel of [
        'mz_catalog.mz_secrets',
        'mz_catalog.mz_connections',
        'mz_internal.mz_aws_connections',
        'mz_catalog.mz_objects',
        'mz_internal.mz_copy_to_history',
      ]) {
        const rows = JSON.stringify((await c.query(`SELECT * FROM ${rel}`)).rows);
        assert.ok(!rows.includes(SECRET_VALUE) && !rows.includes(user.credentials.secretAccessKey), rel);
      }
      const show = JSON.stringify((await c.query('SHOW CREATE CONNECTION keys_conn')).rows);
      assert.match(show, /SECRET ACCESS KEY = SECRET \\"materialize\\".\\"public\\".\\"aws_sk\\"/);
      assert.ok(!show.includes(user.credentials.secretAccessKey));
      await assert.rejects(c.query('DROP SECRET aws_sk'), (err: pg.DatabaseError) => err.code === '2BP01');
    } finally {
      await c.end();
    }
    assert.ok(!ferry.log().includes(SECRET_VALUE));
    assert.ok(!ferry.log().includes(user.credentials.secretAccessKey));
    // At rest: no file of the data directory other than the key holds a secret in clear.
    for (const name of readdirSync(ferry.dataDir)) {
      const p = join(ferry.dataDir, name);
      if (name === 'secrets.key' || !statSync(p).isFile()) continue;
      const bytes = readFileSync(p);
      assert.equal(bytes.indexOf(SECRET_VALUE), -1, name);
      assert.equal(bytes.indexOf(user.credentials.secretAccessKey), -1, name);
    }
    assert.equal(statSync(join(ferry.dataDir, 'secrets.key')).mode & 0o777, 0o600);
  });

  test('connections and ids survive a restart', async () => {
    const before = await client();
    const ids = (await before.query(`SELECT id, external_id FROM mz_internal.mz_aws_connections ORDER BY id`)).rows;
    await before.end();
    await ferry.stop();
    ferry = await startFerry({ dataDir: ferry.dataDir, env: ferryServerEnv(aws) });
    const c = await client();
    try {
      assert.deepEqual(
        (await c.query(`SELECT id, external_id FROM mz_internal.mz_aws_connections ORDER BY id`)).rows,
        ids,
      );
      await c.query('VALIDATE CONNECTION aws_conn');
      await c.query('VALIDATE CONNECTION keys_conn');
    } finally {
      await c.end();
    }
  });

  test('kill -9 during an export: the next start marks it failed and aborts its uploads', async () => {
    const c = await client();
    c.on('error', () => undefined); // the server dies under this client on purpose
    await c.query(
      `CREATE TABLE big AS SELECT range AS id, repeat('x', 200) || range AS payload FROM generate_series(0, 399999) AS g(range)`,
    );
    // Slow every part upload down so the export is certainly running when the server dies.
    aws.faults.add({ op: 'UploadPart', action: { kind: 'delay', ms: 3000 }, times: 100 });
    const running = c
      .query(`COPY big TO 's3://${bucket}/${prefix}/killed' WITH (AWS CONNECTION = aws_conn, FORMAT = 'csv')`)
      .catch((e: Error) => e);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const uploads = await admin.send(
        new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `${prefix}/killed/` }),
      );
      if ((uploads.Uploads ?? []).length > 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    // The server records an upload's id right after S3 creates it; give that a moment, as
    // a real crash would almost always come later than this.
    await new Promise((r) => setTimeout(r, 500));
    await ferry.kill();
    await running;
    aws.faults.clear();
    ferry = await startFerry({ dataDir: ferry.dataDir, env: ferryServerEnv(aws) });
    const c2 = await client();
    try {
      const h = await c2.query<TextRow>(
        `SELECT status, error FROM mz_internal.mz_copy_to_history WHERE uri LIKE '%/killed'`,
      );
      assert.equal(h.rows.length, 1);
      assert.equal(h.rows[0]?.status, 'failed');
      const uploads = await admin.send(
        new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `${prefix}/killed/` }),
      );
      assert.deepEqual(uploads.Uploads ?? [], []);
      const keys = await listKeys(bucket, `${prefix}/killed/`);
      assert.ok(
        keys.some((k) => k.endsWith('-INCOMPLETE')),
        'the sentinel stays so nobody mistakes the partial export for a finished one',
      );
    } finally {
      await c2.end();
    }
  });
});
