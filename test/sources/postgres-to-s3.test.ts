// test-needs: postgres local-s3
/**
 * The walk-through "PostgreSQL → Ferry source → view → scheduled Parquet in S3" end to end:
 * a real PostgreSQL 15 replicated into Ferry, a view over the subsource, a scheduled
 * `COPY (SELECT … FROM view) TO 's3://…'` in Parquet on the local RGW (real SigV4, a
 * least-privilege user), and the files read back and compared with the same query run
 * upstream — once after the snapshot, and again after upstream inserts, updates and deletes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { type FerryProcess, startFerry } from '../support/ferry.js';
import { type LocalAws, exportPolicy, localAws } from '../support/localaws.js';
import { type Upstream, startUpstream } from '../support/postgres.js';
import { connect, runsOf, waitFor } from '../schedule/support.js';

let aws: LocalAws;
let reader: S3Client;
let up: Upstream;
let upstream: pg.Client;
let ferry: FerryProcess;
let c: pg.Client;
let prefix: string;

const TOTALS = `SELECT customer, count(*)::bigint AS orders, sum(amount)::numeric(14,2) AS total FROM orders GROUP BY customer`;

before(async () => {
  aws = await localAws();
  prefix = aws.uniquePrefix('pgsrc');
  // The export's least-privilege policy, plus s3:GetObject so the test can read back what
  // this user wrote (RGW lets an object's owner, not the bucket owner, read it).
  const user = await aws.createUser({
    prefix,
    policy: exportPolicy(aws.bucket, prefix, undefined, ['s3:GetObject']),
  });
  reader = aws.s3(user.credentials, aws.rgwEndpoint);
  up = await startUpstream({ wal_level: 'logical', max_wal_senders: '4', max_replication_slots: '4' });
  upstream = await up.admin();
  await upstream.query(`
    CREATE ROLE ferry_repl LOGIN REPLICATION PASSWORD 'walk-through-pw';
    CREATE TABLE orders (id bigint NOT NULL, customer text NOT NULL, amount numeric(12,2), placed timestamptz);
    ALTER TABLE orders REPLICA IDENTITY FULL;
    INSERT INTO orders SELECT g, 'c' || (g % 7), (g % 1000) / 10.0, '2026-12-01'::timestamptz + g * interval '1 minute'
      FROM generate_series(1, 5000) g;
    GRANT SELECT ON orders TO ferry_repl;
    CREATE PUBLICATION ferry FOR TABLE orders;
  `);
  ferry = await startFerry();
  c = await connect(ferry.url());
  await c.query(`CREATE SECRET pgpass AS 'walk-through-pw'`);
  await c.query(
    `CREATE CONNECTION pg TO POSTGRES (HOST '127.0.0.1', PORT ${up.port}, USER 'ferry_repl', PASSWORD SECRET pgpass)`,
  );
  await c.query(`CREATE SECRET s3_key AS '${user.credentials.secretAccessKey}'`);
  await c.query(
    `CREATE CONNECTION s3 TO AWS (ENDPOINT = '${aws.endpoint}', REGION = '${aws.region}', ACCESS KEY ID = '${user.credentials.accessKeyId}', SECRET ACCESS KEY = SECRET s3_key)`,
  );
});

after(async () => {
  await c?.end().catch(() => undefined);
  await ferry?.stop();
  await upstream?.end().catch(() => undefined);
  up?.stop();
  await aws?.cleanup();
});

/** The rows of every Parquet file of one export run, as text, sorted. */
async function exported(uri: string): Promise<string[]> {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri)!;
  const listed = await reader.send(new ListObjectsV2Command({ Bucket: m[1], Prefix: `${m[2]}/` }));
  const keys = (listed.Contents ?? []).map((o) => o.Key!).filter((k) => k.endsWith('.parquet'));
  assert.ok(keys.length > 0, `Parquet files under ${uri}`);
  const dir = mkdtempSync(join(tmpdir(), 'ferry-pgsrc-'));
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const out: string[] = [];
  for (const [i, key] of keys.entries()) {
    const obj = await reader.send(new GetObjectCommand({ Bucket: m[1], Key: key }));
    const file = join(dir, `${i}.parquet`);
    writeFileSync(file, Buffer.from(await obj.Body!.transformToByteArray()));
    const r = await conn.runAndReadAll(
      `SELECT customer, CAST(orders AS VARCHAR), CAST(total AS VARCHAR) FROM read_parquet('${file}')`,
    );
    for (const row of r.getRowsJS()) out.push(JSON.stringify(row));
  }
  conn.closeSync();
  db.closeSync();
  return out.sort();
}

async function upstreamTotals(): Promise<string[]> {
  const r = await upstream.query({
    text: TOTALS,
    rowMode: 'array',
    types: { getTypeParser: () => (v: string) => v },
  });
  return (r.rows as string[][]).map((x) => JSON.stringify(x)).sort();
}

test('upstream rows reach S3 as Parquet through a source, a view and a schedule', async () => {
  await c.query(`CREATE SOURCE shop FROM POSTGRES CONNECTION pg (PUBLICATION 'ferry') FOR TABLES (public.orders)`);
  await c.query(`CREATE VIEW totals AS ${TOTALS}`);
  await c.query(
    `CREATE EXPORT totals_daily REFRESH EVERY '2 seconds' AS COPY (SELECT * FROM totals) TO 's3://${aws.bucket}/${prefix}/' || to_char(now(), 'YYYYMMDD-HH24MISS') WITH (AWS CONNECTION = s3, FORMAT = 'parquet')`,
  );
  const first = await waitFor('a successful run', async () =>
    (await runsOf(c, 'totals_daily')).find((r) => r.status === 'succeeded'),
  );
  assert.deepEqual(await exported(first.uri!), await upstreamTotals());

  // Changes upstream show in a later run.
  await upstream.query(`INSERT INTO orders VALUES (9001, 'new customer', 12.34, now())`);
  await upstream.query(`UPDATE orders SET amount = amount + 1 WHERE customer = 'c3'`);
  await upstream.query(`DELETE FROM orders WHERE customer = 'c5'`);
  const expected = await upstreamTotals();
  await waitFor('the changes in Ferry', async () => {
    const r = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM orders WHERE customer = 'c5'`);
    return r.rows[0]!.n === 0;
  });
  const later = await waitFor('a run after the changes', async () => {
    const runs = (await runsOf(c, 'totals_daily')).filter((r) => r.status === 'succeeded');
    const last = runs[runs.length - 1]!;
    return last.started_at!.getTime() > Date.now() - 60_000 && last.run_id !== first.run_id ? last : undefined;
  });
  await waitFor('a run that saw every change', async () => {
    const runs = (await runsOf(c, 'totals_daily')).filter((r) => r.status === 'succeeded');
    const last = runs[runs.length - 1]!;
    return JSON.stringify(await exported(last.uri!)) === JSON.stringify(expected);
  });
  assert.ok(later.files >= 1);
  await c.query(`DROP EXPORT totals_daily`);
  await c.query(`DROP SOURCE shop CASCADE`);
});
