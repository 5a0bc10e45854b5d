// test-needs: local-s3
// Each fault rule fires exactly as configured (operation, Nth match, times) and then lets
// traffic through; counts record what passed. Real RGW behind the proxy.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  S3Client,
  PutObjectCommand,
  ListObjectsV2Command,
  DeleteObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  CompleteMultipartUploadCommand,
  AbortMultipartUploadCommand,
} from '@aws-sdk/client-s3';
import { AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { localAws, type LocalAws } from '../support/localaws.js';

let aws: LocalAws;
let s3: S3Client;
let prefix: string;
before(async () => {
  aws = await localAws();
  s3 = aws.s3(aws.admin);
  prefix = aws.uniquePrefix('faults');
});
afterEach(() => aws.faults.reset());
after(async () => {
  s3.destroy();
  await aws.close();
});

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    const err = e as Error & { $metadata?: { httpStatusCode?: number }; code?: string };
    return err.$metadata?.httpStatusCode
      ? `${err.$metadata.httpStatusCode} ${err.name}`
      : `network ${err.code ?? err.name}`;
  }
}

const put = (key: string) => s3.send(new PutObjectCommand({ Bucket: aws.bucket, Key: `${prefix}/${key}`, Body: 'x' }));

test('503 SlowDown on the Nth PutObject only, then traffic passes', async () => {
  const rule = aws.faults.add({ op: 'PutObject', nth: 2, action: { kind: 'slowDown' } });
  assert.deepEqual(
    [await outcome(put('a')), await outcome(put('b')), await outcome(put('c'))],
    ['ok', '503 SlowDown', 'ok'],
  );
  assert.equal(aws.faults.rules().find((r) => r.id === rule.id)?.fired, 1);
  assert.deepEqual(aws.faults.count('PutObject'), { seen: 3, passed: 2, faulted: 1 });
});

test('500 InternalError on ListObjectsV2 twice (times: 2), then it passes', async () => {
  aws.faults.add({ op: 'ListObjectsV2', times: 2, action: { kind: 'internalError' } });
  const list = () => outcome(s3.send(new ListObjectsV2Command({ Bucket: aws.bucket, Prefix: `${prefix}/` })));
  assert.deepEqual([await list(), await list(), await list()], ['500 InternalError', '500 InternalError', 'ok']);
  assert.deepEqual(aws.faults.count('ListObjectsV2'), { seen: 3, passed: 1, faulted: 2 });
});

test('a reset connection on DeleteObject, then it passes; other operations are not matched', async () => {
  aws.faults.add({ op: 'DeleteObject', action: { kind: 'reset' } });
  await put('d');
  const del = () => outcome(s3.send(new DeleteObjectCommand({ Bucket: aws.bucket, Key: `${prefix}/d` })));
  assert.match(await del(), /^network /);
  assert.equal(await del(), 'ok');
  assert.deepEqual(aws.faults.count('DeleteObject'), { seen: 2, passed: 1, faulted: 1 });
  assert.deepEqual(aws.faults.count('PutObject'), { seen: 1, passed: 1, faulted: 0 });
});

test('multipart: CreateMultipartUpload SlowDown, UploadPart stall until released, CompleteMultipartUpload 500, AbortMultipartUpload delay', async () => {
  const key = `${prefix}/mpu`;
  aws.faults.add({ op: 'CreateMultipartUpload', action: { kind: 'slowDown' } });
  assert.equal(
    await outcome(s3.send(new CreateMultipartUploadCommand({ Bucket: aws.bucket, Key: key }))),
    '503 SlowDown',
  );
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: aws.bucket, Key: key }));

  aws.faults.add({ op: 'UploadPart', action: { kind: 'stall' } });
  let settled = false;
  const part = s3.send(
    new UploadPartCommand({ Bucket: aws.bucket, Key: key, UploadId, PartNumber: 1, Body: Buffer.alloc(1024, 1) }),
  );
  void part.finally(() => {
    settled = true;
  });
  await aws.faults.waitForStalled(1);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(settled, false, 'a stalled request is not answered');
  aws.faults.release();
  const { ETag } = await part;
  assert.ok(ETag);

  aws.faults.add({ op: 'CompleteMultipartUpload', action: { kind: 'internalError' } });
  const complete = () =>
    outcome(
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: aws.bucket,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] },
        }),
      ),
    );
  assert.equal(await complete(), '500 InternalError');
  assert.equal(await complete(), 'ok');

  const { UploadId: second } = await s3.send(new CreateMultipartUploadCommand({ Bucket: aws.bucket, Key: `${key}2` }));
  aws.faults.add({ op: 'AbortMultipartUpload', action: { kind: 'delay', ms: 300 } });
  const t0 = Date.now();
  assert.equal(
    await outcome(s3.send(new AbortMultipartUploadCommand({ Bucket: aws.bucket, Key: `${key}2`, UploadId: second }))),
    'ok',
  );
  assert.ok(Date.now() - t0 >= 300);
  assert.deepEqual(aws.faults.count('UploadPart'), { seen: 1, passed: 1, faulted: 0 });
  assert.deepEqual(aws.faults.count('CompleteMultipartUpload'), { seen: 2, passed: 1, faulted: 1 });
});

test('a client that cancels a stalled request leaves the stall queue', async () => {
  aws.faults.add({ op: 'PutObject', action: { kind: 'stall' } });
  const ac = new AbortController();
  const p = outcome(
    s3.send(new PutObjectCommand({ Bucket: aws.bucket, Key: `${prefix}/cancel`, Body: 'x' }), {
      abortSignal: ac.signal,
    }),
  );
  await aws.faults.waitForStalled(1);
  ac.abort();
  assert.match(await p, /Abort/);
  for (let i = 0; i < 50 && aws.faults.stalled() > 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(aws.faults.stalled(), 0);
  assert.equal(await outcome(put('after-cancel')), 'ok');
});

test('STS operations: AssumeRole throttled, GetCallerIdentity delayed, then both pass', async () => {
  const role = await aws.createExportRole({ externalId: null });
  const sts = aws.sts(aws.ferry.credentials);
  aws.faults.add({ op: 'AssumeRole', action: { kind: 'slowDown' } });
  const assume = () => outcome(sts.send(new AssumeRoleCommand({ RoleArn: role.roleArn, RoleSessionName: 'faults' })));
  assert.equal(await assume(), '503 Throttling');
  assert.equal(await assume(), 'ok');
  aws.faults.add({ op: 'GetCallerIdentity', action: { kind: 'delay', ms: 250 } });
  const t0 = Date.now();
  assert.equal((await sts.send(new GetCallerIdentityCommand({}))).Arn, aws.ferry.arn);
  assert.ok(Date.now() - t0 >= 250);
  assert.deepEqual(aws.faults.count('AssumeRole'), { seen: 2, passed: 1, faulted: 1 });
});

test('the admin HTTP endpoint adds rules and reports counts', async () => {
  const res = await fetch(`${aws.endpoint}/_faults/rules`, {
    method: 'POST',
    body: JSON.stringify({ op: 'PutObject', nth: 1, action: { kind: 'internalError' } }),
  });
  assert.equal(res.status, 200);
  assert.equal(await outcome(put('admin1')), '500 InternalError');
  assert.equal(await outcome(put('admin2')), 'ok');
  const state = (await (await fetch(`${aws.endpoint}/_faults`)).json()) as {
    rules: { fired: number }[];
    counts: Record<string, { seen: number; passed: number; faulted: number }>;
  };
  assert.equal(state.rules[0]?.fired, 1);
  assert.deepEqual(state.counts['PutObject'], { seen: 2, passed: 1, faulted: 1 });
  assert.equal(
    (
      await fetch(`${aws.endpoint}/_faults/rules`, {
        method: 'POST',
        body: JSON.stringify({ op: 'Nope', action: { kind: 'reset' } }),
      })
    ).status,
    400,
  );
  assert.equal((await fetch(`${aws.endpoint}/_faults/reset`, { method: 'POST' })).status, 200);
  assert.deepEqual(aws.faults.counts(), {});
});
