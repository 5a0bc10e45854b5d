// The benchmark's null S3 endpoint (test/support/null-s3.ts) takes a real Ferry export:
// the files Ferry reports are the objects it holds, with the byte count and CRC-32 of what
// was sent; the export's own sentinel is gone; a foreign access key is refused and counted.
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { S3Client, PutObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { startFerry, type FerryProcess } from '../support/ferry.js';
import { startNullS3, type NullS3 } from '../support/null-s3.js';

let s3: NullS3;
let ferry: FerryProcess;
let c: pg.Client;

before(async () => {
  s3 = await startNullS3({ accessKeyId: 'nullkey' });
  ferry = await startFerry();
  c = new pg.Client(ferry.pgConfig());
  await c.connect();
  await c.query(`CREATE SECRET nk AS 'nullsecret'`);
  await c.query(
    `CREATE CONNECTION nulls3 TO AWS (ENDPOINT = '${s3.url}', REGION = 'us-east-1', ACCESS KEY ID = 'nullkey', SECRET ACCESS KEY = SECRET nk)`,
  );
});
after(async () => {
  await c.end();
  await ferry.stop();
  await s3.stop();
});

/** An S3 client of the null endpoint signing with the given key. */
function clientAs(accessKeyId: string, secretAccessKey: string): S3Client {
  return new S3Client({
    endpoint: s3.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    maxAttempts: 1,
  });
}

test('a CSV export is counted byte for byte and its checksum is that of the rows sent', async () => {
  const r = await c.query(
    // Identical rows: the checksum does not depend on the order the engine writes them in.
    `COPY (SELECT 'row, "quoted"' AS v FROM generate_series(1, 100000) AS g(x)) TO 's3://bench/csv' WITH (AWS CONNECTION = nulls3, FORMAT = 'csv')`,
  );
  assert.equal(r.rowCount, 100000);
  const expected = Buffer.from('"row, ""quoted"""\n'.repeat(100000));
  const files = [...s3.objects.entries()].filter(([k]) => k.startsWith('bench/csv/'));
  assert.equal(files.length, 1, `objects: ${files.map(([k]) => k).join(', ')}`);
  const [key, obj] = files[0]!;
  assert.match(key, /\.csv$/);
  assert.equal(obj.size, expected.length);
  assert.equal(obj.crc32, crc32(expected));
});

test('a Parquet export lands as objects whose sizes add up to what was received', async () => {
  const before = s3.stats().bodyBytes;
  await c.query(
    `COPY (SELECT x, x::text AS t FROM generate_series(1, 200000) AS g(x)) TO 's3://bench/pq' WITH (AWS CONNECTION = nulls3, FORMAT = 'parquet')`,
  );
  const files = [...s3.objects.entries()].filter(([k]) => k.startsWith('bench/pq/'));
  assert.ok(files.length >= 1);
  assert.ok(
    files.every(([k]) => k.endsWith('.parquet')),
    'only data files remain (the sentinel is deleted)',
  );
  const total = files.reduce((n, [, o]) => n + o.size, 0);
  // Everything received since: the sentinel (empty) and the data files.
  assert.equal(s3.stats().bodyBytes - before, total);
  assert.ok(total > 200000, `${total} bytes`);
  const stats = s3.stats();
  assert.ok((stats.requests.ListObjectsV2 ?? 0) >= 1);
  assert.ok((stats.requests.DeleteObject ?? 0) >= 1);
});

test('a request signed with another access key is refused and stores nothing', async () => {
  const other = clientAs('intruder', 'x');
  const n = s3.objects.size;
  await assert.rejects(
    other.send(new PutObjectCommand({ Bucket: 'bench', Key: 'evil', Body: 'x' })),
    (e: { name?: string }) => e.name === 'InvalidAccessKeyId',
  );
  assert.equal(s3.objects.size, n);
  const mine = clientAs('nullkey', 'nullsecret');
  await mine.send(new PutObjectCommand({ Bucket: 'bench', Key: 'k', Body: 'hello' }));
  const head = await mine.send(new HeadObjectCommand({ Bucket: 'bench', Key: 'k' }));
  assert.equal(head.ContentLength, 5);
  assert.equal(s3.objects.get('bench/k')?.crc32, crc32(Buffer.from('hello')));
  other.destroy();
  mine.destroy();
});
