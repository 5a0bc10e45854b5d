// test-needs: local-s3
/**
 * Retries, failures and cancellation through a fault-injecting proxy in front of the test
 * S3 (docs/exports.md "Retries", "Failure and cancellation"): transient 503 / 500 / resets
 * are retried and the export succeeds; persistent errors and cancellation abort every
 * unfinished multipart upload (ListMultipartUploads is empty) and leave the sentinel.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DuckDBConnection } from '@duckdb/node-api';
import { CreateMultipartUploadCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { createLogger } from '../../src/log/index.js';
import {
  abortUploads,
  planCopyToOptions,
  runExport,
  isRetryable,
  withRetry,
  type ExportRequest,
  type RawCopyOption,
  type UploadEvent,
} from '../../src/sink/index.js';
import { SqlError } from '../../src/errors/index.js';
import {
  duck,
  freshPrefix,
  getObject,
  listKeys,
  multipartUploads,
  openExportPipes,
  s3env,
  DUCK_IO_DIR,
  type S3Env,
} from './s3env.js';
import type { FaultRule } from '../support/localaws.js';

let env: S3Env;
let conn: DuckDBConnection;

before(async () => {
  env = await s3env();
  conn = await duck();
});
after(async () => {
  env.faults.reset();
  await env.aws.cleanup();
});

const FAST_RETRY = { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 40 };
const s = (name: string, text: string): RawCopyOption => ({ name, value: { kind: 'string', text } });
/** ~13 MB of CSV: two multipart parts. */
const BIG = 'SELECT i, md5(i::VARCHAR) AS m FROM generate_series(0, 299999) t(i)';

function exportVia(prefix: string, query: string, format: string, extra: Partial<ExportRequest> = {}) {
  return runExport({
    exportId: 't5',
    conn,
    ioDir: DUCK_IO_DIR,
    query,
    options: planCopyToOptions([s('FORMAT', format)], 's3'),
    target: { kind: 's3', bucket: env.bucket, prefix, client: env.client },
    retry: FAST_RETRY,
    ...extra,
  });
}

/** Fault rules scoped to one test's prefix. */
function faults(prefix: string, rules: Omit<FaultRule, 'pathPrefix'>[]): void {
  env.faults.reset();
  for (const r of rules) env.faults.add({ ...r, pathPrefix: `/${env.bucket}/${prefix}/` });
}

test('503 SlowDown on an UploadPart and on CompleteMultipartUpload is retried; the export succeeds', async () => {
  const prefix = freshPrefix(env, 'retry');
  faults(prefix, [
    { op: 'UploadPart', nth: 2, action: { kind: 'slowDown' } },
    { op: 'CompleteMultipartUpload', action: { kind: 'slowDown' } },
    { op: 'PutObject', action: { kind: 'reset' } },
  ]);
  // ListObjectsV2 carries the prefix in its query string, so this rule is not path-scoped.
  env.faults.add({ op: 'ListObjectsV2', action: { kind: 'internalError' } });
  const r = await exportVia(prefix, BIG, 'csv');
  assert.equal(r.rows, 300000);
  for (const op of ['UploadPart', 'CompleteMultipartUpload', 'PutObject', 'ListObjectsV2'] as const) {
    assert.equal(env.faults.count(op).faulted, 1, op);
  }
  const body = await getObject(env, r.files[0]!.key);
  assert.equal(body.length, r.files[0]!.bytes);
  assert.equal(body.toString().split('\n').length - 1, 300000);
  assert.deepEqual(await listKeys(env, prefix + '/'), [r.files[0]!.key]);
});

test('500 on every UploadPart: the export fails, no multipart upload is left, the sentinel stays', async () => {
  for (const format of ['csv', 'parquet']) {
    const prefix = freshPrefix(env, `persistent-${format}`);
    faults(prefix, [{ op: 'UploadPart', times: Infinity, action: { kind: 'internalError' } }]);
    const query =
      format === 'csv'
        ? BIG
        : 'SELECT i, md5(i::VARCHAR) || md5((i+1)::VARCHAR) AS m FROM generate_series(0, 399999) t(i)';
    await assert.rejects(exportVia(prefix, query, format), (e: unknown) => {
      assert.ok(e instanceof SqlError, String(e));
      assert.match(e.message, new RegExp(`COPY TO s3://${env.bucket}/${prefix} failed: UploadPart`));
      assert.match(e.hint ?? '', /mz-t5-INCOMPLETE.*not empty/);
      return true;
    });
    assert.ok(env.faults.count('UploadPart').faulted >= FAST_RETRY.maxAttempts);
    assert.ok(env.faults.count('AbortMultipartUpload').passed >= 1, 'AbortMultipartUpload was sent');
    assert.deepEqual(await multipartUploads(env, prefix + '/'), [], format);
    assert.deepEqual(await listKeys(env, prefix + '/'), [`${prefix}/mz-t5-INCOMPLETE`], format);
  }
});

test('cancel mid-export: stops within a second, aborts uploads, leaves the sentinel', async () => {
  for (const format of ['csv', 'parquet']) {
    const prefix = freshPrefix(env, `cancel-${format}`);
    env.faults.reset();
    const ac = new AbortController();
    let abortedAt = 0;
    const query = 'SELECT i, md5(i::VARCHAR) || md5((i+1)::VARCHAR) AS m FROM generate_series(0, 4999999) t(i)';
    const run = exportVia(prefix, query, format, {
      signal: ac.signal,
      progressIntervalMs: 0,
      onProgress: (p) => {
        if (p.bytes > 12 * 1024 * 1024 && !ac.signal.aborted) {
          abortedAt = Date.now();
          ac.abort(new Error('CancelRequest'));
        }
      },
    });
    await assert.rejects(
      run,
      (e: unknown) =>
        e instanceof SqlError && e.code === '57014' && e.message === 'canceling statement due to user request',
    );
    const took = Date.now() - abortedAt;
    assert.ok(abortedAt > 0, 'aborted mid-export');
    assert.ok(took < 1000, `${format}: stopped ${took} ms after the cancel`);
    assert.ok(env.faults.count('CreateMultipartUpload').passed >= 1, 'a multipart upload had started');
    assert.deepEqual(await multipartUploads(env, prefix + '/'), [], format);
    assert.deepEqual(await listKeys(env, prefix + '/'), [`${prefix}/mz-t5-INCOMPLETE`], format);
  }
});

test('a user lacking ListBucket, PutObject or DeleteObject fails in preflight and writes nothing', async () => {
  env.faults.reset();
  const cases: [Parameters<S3Env['clientWithout']>[0], string][] = [
    ['ListBucket', 'AccessDenied error when using ListObjectsV2'],
    ['DeleteObject', 'AccessDenied error when using DeleteObject'],
    ['PutObject', 'AccessDenied error when using PutObject'],
  ];
  for (const [omit, message] of cases) {
    const prefix = freshPrefix(env, `denied-${omit}`);
    const client = await env.clientWithout(omit);
    await assert.rejects(
      runExport({
        exportId: 't6',
        conn,
        ioDir: DUCK_IO_DIR,
        query: 'SELECT 1 AS a',
        options: planCopyToOptions([s('FORMAT', 'csv')], 's3'),
        target: { kind: 's3', bucket: env.bucket, prefix, client },
        retry: FAST_RETRY,
      }),
      (e: unknown) => e instanceof SqlError && e.code === '42501' && e.message === message,
      omit,
    );
    assert.deepEqual(await listKeys(env, prefix + '/'), [], omit);
    client.destroy();
  }
});

test('retry classification and bounded attempts', async () => {
  const aws = (name: string, status: number) =>
    Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
  assert.equal(isRetryable(aws('SlowDown', 503)), true);
  assert.equal(isRetryable(aws('InternalError', 500)), true);
  assert.equal(isRetryable(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })), true);
  assert.equal(isRetryable(new Error('socket hang up')), true);
  assert.equal(isRetryable(aws('AccessDenied', 403)), false);
  assert.equal(isRetryable(aws('NoSuchBucket', 404)), false);
  let calls = 0;
  await assert.rejects(
    withRetry(
      () => {
        calls++;
        return Promise.reject(aws('SlowDown', 503));
      },
      { policy: FAST_RETRY },
    ),
    { name: 'SlowDown' },
  );
  assert.equal(calls, FAST_RETRY.maxAttempts);
  calls = 0;
  await assert.rejects(
    withRetry(
      () => {
        calls++;
        return Promise.reject(aws('AccessDenied', 403));
      },
      { policy: FAST_RETRY },
    ),
  );
  assert.equal(calls, 1);
});

test('onUpload reports every multipart upload; abortUploads clears what a crash left', async () => {
  env.faults.reset();
  const prefix = freshPrefix(env, 'crash');
  const events: UploadEvent[] = [];
  await exportVia(prefix, BIG, 'csv', { onUpload: (e) => events.push(e) });
  assert.deepEqual(
    events.map((e) => e.state),
    ['started', 'ended'],
  );
  assert.equal(events[0]!.key, `${prefix}/mz-t5-batch-0000-0000.csv`);

  // A server killed mid-upload leaves this behind; the restarted server aborts it by id.
  const key = `${prefix}/mz-t8-batch-0000-0000.csv`;
  const created = await env.client.send(new CreateMultipartUploadCommand({ Bucket: env.bucket, Key: key }));
  await env.client.send(
    new UploadPartCommand({
      Bucket: env.bucket,
      Key: key,
      UploadId: created.UploadId,
      PartNumber: 1,
      Body: Buffer.alloc(5 * 1024 * 1024, 1),
    }),
  );
  assert.deepEqual(await multipartUploads(env, prefix + '/'), [key]);
  const failed = await abortUploads(env.client, [{ bucket: env.bucket, key, uploadId: created.UploadId! }], {
    log: createLogger('test'),
  });
  assert.deepEqual(failed, []);
  assert.deepEqual(await multipartUploads(env, prefix + '/'), []);
  // Aborting again is harmless.
  assert.deepEqual(
    await abortUploads(env.client, [{ bucket: env.bucket, key, uploadId: created.UploadId! }], {
      log: createLogger('test'),
    }),
    [],
  );
});

test('no export leaves a pipe open in this process', async () => {
  // Pipes close as the statement ends; give a just-destroyed socket a turn to close its fd.
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(await openExportPipes(), []);
});
