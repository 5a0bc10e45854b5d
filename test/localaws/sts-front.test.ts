// test-needs: local-s3
// The local S3 + STS environment's own tests, against the real RGW (scripts/local-aws.sh).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AssumeRoleCommand, GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import {
  PutObjectCommand,
  ListObjectsV2Command,
  DeleteObjectCommand,
  HeadBucketCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  CompleteMultipartUploadCommand,
  AbortMultipartUploadCommand,
} from '@aws-sdk/client-s3';
import { localAws, type LocalAws, type Credentials } from '../support/localaws.js';
import { startStsFront } from '../support/sts-front.js';

let aws: LocalAws;
before(async () => {
  aws = await localAws();
});
after(async () => {
  await aws.close();
});

async function errorOf(p: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
  }
  assert.fail('expected the call to fail');
}

function assume(sts: STSClient, roleArn: string, externalId?: string, durationSeconds?: number) {
  return sts.send(
    new AssumeRoleCommand({
      RoleArn: roleArn,
      RoleSessionName: 'ferry-test-session',
      ExternalId: externalId,
      DurationSeconds: durationSeconds,
    }),
  );
}

function creds(out: Awaited<ReturnType<typeof assume>>): Credentials {
  const c = out.Credentials;
  assert.ok(c?.AccessKeyId && c.SecretAccessKey && c.SessionToken);
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

test('signatures are verified: a wrong secret is SignatureDoesNotMatch at STS and at S3', async () => {
  const bad = {
    accessKeyId: aws.ferry.credentials.accessKeyId,
    secretAccessKey: 'not-the-secret-0000000000000000000000000',
  };
  const e1 = await errorOf(aws.sts(bad).send(new GetCallerIdentityCommand({})));
  assert.equal(e1.name, 'SignatureDoesNotMatch');
  assert.equal(e1.status, 403);
  const e2 = await errorOf(aws.s3(bad).send(new HeadBucketCommand({ Bucket: aws.bucket })));
  assert.equal(e2.status, 403);
  // RGW 16 (with STS auth enabled) names a bad S3 signature AccessDenied, still 403.
  const e3 = await errorOf(aws.s3(bad).send(new PutObjectCommand({ Bucket: aws.bucket, Key: 'x', Body: 'x' })));
  assert.equal(e3.status, 403);
  assert.match(e3.name, /^(SignatureDoesNotMatch|AccessDenied)$/);
  // The same request with the right secret passes, so the signature is what was refused.
  await aws
    .s3(aws.admin)
    .send(new PutObjectCommand({ Bucket: aws.bucket, Key: aws.uniquePrefix('sig') + '/x', Body: 'x' }));
});

test('an unknown access key is InvalidClientTokenId', async () => {
  const e = await errorOf(
    aws
      .sts({ accessKeyId: 'NOSUCHKEY00000000000', secretAccessKey: 'x'.repeat(40) })
      .send(new GetCallerIdentityCommand({})),
  );
  assert.equal(e.name, 'InvalidClientTokenId');
  assert.equal(e.status, 403);
});

test('GetCallerIdentity answers for RGW users', async () => {
  const id = await aws.sts(aws.ferry.credentials).send(new GetCallerIdentityCommand({}));
  assert.equal(id.Arn, aws.ferry.arn);
  assert.equal(id.Account, aws.accountId);
});

test('a role whose trust policy requires an external ID is assumable with the right ID only', async () => {
  const role = await aws.createExportRole({ externalId: 'mz_env_u1' });
  const sts = aws.sts(aws.ferry.credentials);
  const ok = await assume(sts, role.roleArn, 'mz_env_u1');
  assert.equal(
    ok.AssumedRoleUser?.Arn,
    `arn:aws:sts::${aws.accountId}:assumed-role/${role.roleName}/ferry-test-session`,
  );
  for (const wrong of ['mz_env_u2', undefined]) {
    const e = await errorOf(assume(sts, role.roleArn, wrong));
    assert.equal(e.name, 'AccessDenied');
    assert.equal(e.status, 403);
  }
});

test('StringLike external-ID conditions are evaluated', async () => {
  const role = await aws.createExportRole({ externalId: 'mz_env_*', externalIdOperator: 'StringLike' });
  const sts = aws.sts(aws.ferry.credentials);
  await assume(sts, role.roleArn, 'mz_env_u7');
  assert.equal((await errorOf(assume(sts, role.roleArn, 'other_u7'))).name, 'AccessDenied');
});

test('a role without an external-ID condition is assumable without any ID, again and again (refresh)', async () => {
  const role = await aws.createExportRole({ externalId: null });
  const keys = new Set<string>();
  for (let i = 0; i < 3; i++) {
    const out = await assume(aws.sts(aws.ferry.credentials), role.roleArn);
    assert.ok(out.Credentials?.SessionToken);
    keys.add(out.Credentials?.AccessKeyId ?? '');
  }
  assert.equal(keys.size, 3);
});

test('only the principal the trust policy names may assume the role', async () => {
  const role = await aws.createExportRole({ externalId: null });
  const other = await aws.createUser({ policy: null });
  const e = await errorOf(assume(aws.sts(other.credentials), role.roleArn));
  assert.equal(e.name, 'AccessDenied');
  assert.match(e.message, new RegExp(`User: ${other.arn} is not authorized to perform: sts:AssumeRole`));
  // An unknown role is denied the same way (AWS does not reveal whether it exists).
  assert.equal(
    (await errorOf(assume(aws.sts(aws.ferry.credentials), `arn:aws:iam::${aws.accountId}:role/no-such-role`))).name,
    'AccessDenied',
  );
});

test('temporary credentials are confined to the prefix by RGW itself', async () => {
  const role = await aws.createExportRole({ externalId: 'ext-1' });
  const s3 = aws.s3(creds(await assume(aws.sts(aws.ferry.credentials), role.roleArn, 'ext-1')));
  const inside = `${role.prefix}/part-0.csv`;
  await s3.send(new PutObjectCommand({ Bucket: role.bucket, Key: inside, Body: 'a,b\n' }));
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: role.bucket, Prefix: `${role.prefix}/` }));
  assert.deepEqual(
    listed.Contents?.map((o) => o.Key),
    [inside],
  );
  await s3.send(new DeleteObjectCommand({ Bucket: role.bucket, Key: inside }));
  const putOutside = await errorOf(
    s3.send(new PutObjectCommand({ Bucket: role.bucket, Key: `elsewhere/${role.prefix}.csv`, Body: 'x' })),
  );
  assert.equal(putOutside.name, 'AccessDenied');
  assert.equal(putOutside.status, 403);
  const listAll = await errorOf(s3.send(new ListObjectsV2Command({ Bucket: role.bucket })));
  assert.equal(listAll.name, 'AccessDenied');
  const delOutside = await errorOf(s3.send(new DeleteObjectCommand({ Bucket: role.bucket, Key: 'elsewhere/x' })));
  assert.equal(delOutside.name, 'AccessDenied');
});

test('GetCallerIdentity returns the assumed-role ARN for issued sessions', async () => {
  const role = await aws.createExportRole({ externalId: null });
  const c = creds(await assume(aws.sts(aws.ferry.credentials), role.roleArn));
  const id = await aws.sts(c).send(new GetCallerIdentityCommand({}));
  assert.equal(id.Arn, `arn:aws:sts::${aws.accountId}:assumed-role/${role.roleName}/ferry-test-session`);
  assert.equal(id.Account, aws.accountId);
});

test("a session can assume a role whose trust names the session's role (two hops)", async () => {
  const connRole = await aws.createExportRole({ externalId: null });
  const userRole = await aws.createExportRole({ trustPrincipal: connRole.roleArn, externalId: 'mz_two_hop' });
  const hop1 = creds(await assume(aws.sts(aws.ferry.credentials), connRole.roleArn));
  const hop2 = await assume(aws.sts(hop1), userRole.roleArn, 'mz_two_hop');
  assert.match(hop2.AssumedRoleUser?.Arn ?? '', new RegExp(`assumed-role/${userRole.roleName}/`));
  // The server's own identity is not the principal of the user's role.
  assert.equal(
    (await errorOf(assume(aws.sts(aws.ferry.credentials), userRole.roleArn, 'mz_two_hop'))).name,
    'AccessDenied',
  );
});

test("DurationSeconds below RGW's 900 s minimum is honoured: the session expires at the gateway", async () => {
  const role = await aws.createExportRole({ externalId: null });
  const out = await assume(aws.sts(aws.ferry.credentials), role.roleArn, undefined, 60);
  const exp = out.Credentials?.Expiration?.getTime() ?? 0;
  assert.ok(Math.abs(exp - (Date.now() + 60_000)) < 10_000, `expiration ${String(out.Credentials?.Expiration)}`);
  const e = await errorOf(assume(aws.sts(aws.ferry.credentials), role.roleArn, undefined, 30));
  assert.equal(e.name, 'ValidationError');
  assert.equal(
    (await errorOf(assume(aws.sts(aws.ferry.credentials), role.roleArn, undefined, 7200))).name,
    'ValidationError',
  );
});

test('a user whose policy lacks a permission is denied exactly that', async () => {
  const prefix = aws.uniquePrefix('neg');
  const user = await aws.createUser({ prefix, omit: 'DeleteObject' });
  const s3 = aws.s3(user.credentials);
  await s3.send(new PutObjectCommand({ Bucket: aws.bucket, Key: `${prefix}/a`, Body: 'x' }));
  await s3.send(new ListObjectsV2Command({ Bucket: aws.bucket, Prefix: `${prefix}/` }));
  assert.equal(
    (await errorOf(s3.send(new DeleteObjectCommand({ Bucket: aws.bucket, Key: `${prefix}/a` })))).name,
    'AccessDenied',
  );
});

test('multipart under the export policy: create, part, complete allowed; abort needs s3:AbortMultipartUpload', async () => {
  for (const extra of [[], ['s3:AbortMultipartUpload']]) {
    const role = await aws.createExportRole({ externalId: null, extraObjectActions: extra });
    const s3 = aws.s3(creds(await assume(aws.sts(aws.ferry.credentials), role.roleArn)));
    const Bucket = role.bucket;
    const Key = `${role.prefix}/m`;
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    const { ETag } = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: 'x' }));
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key,
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] },
      }),
    );
    const second = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: `${Key}2` }));
    const abort = s3.send(new AbortMultipartUploadCommand({ Bucket, Key: `${Key}2`, UploadId: second.UploadId }));
    if (extra.length === 0) assert.equal((await errorOf(abort)).name, 'AccessDenied');
    else await abort;
  }
});

test('a session past its DurationSeconds is refused with ExpiredToken at S3 and STS', async () => {
  // A front of its own that accepts 1-second sessions, so the test need not wait a minute.
  const front = await startStsFront({
    rgwEndpoint: aws.rgwEndpoint,
    admin: aws.admin,
    accountId: aws.accountId,
    region: aws.region,
    minDurationSeconds: 1,
  });
  try {
    const role = await aws.createExportRole({ externalId: null });
    const c = creds(await assume(aws.sts(aws.ferry.credentials, front.url), role.roleArn, undefined, 2));
    const s3 = aws.s3(c, front.url);
    await s3.send(new PutObjectCommand({ Bucket: role.bucket, Key: `${role.prefix}/a`, Body: 'x' }));
    await new Promise((r) => setTimeout(r, 2500));
    const e = await errorOf(s3.send(new PutObjectCommand({ Bucket: role.bucket, Key: `${role.prefix}/b`, Body: 'x' })));
    assert.equal(e.name, 'ExpiredToken');
    assert.equal(e.status, 400);
    assert.equal((await errorOf(aws.sts(c, front.url).send(new GetCallerIdentityCommand({})))).name, 'ExpiredToken');
  } finally {
    await front.close();
  }
});
