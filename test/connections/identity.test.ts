// External ID, session name and the two policy documents (shared/spec/aws-connections.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  defaultSessionName,
  exampleTrustPolicy,
  externalId,
  leastPrivilegePolicy,
  parseS3Uri,
  principalFromCallerArn,
  PrincipalResolver,
} from '../../src/connections/aws/identity.js';

const ENV = 'eb5cb59b-e2fe-41f3-87ca-d2176a495345';

test('external ID and session name', () => {
  const cfg = { environmentId: ENV, externalIdPrefix: null, connectionRoleArn: null };
  assert.equal(externalId(cfg, 'u3'), 'mz_eb5cb59b-e2fe-41f3-87ca-d2176a495345_u3');
  assert.equal(externalId({ ...cfg, externalIdPrefix: 'acme' }, 'u3'), 'acme_u3');
  assert.equal(defaultSessionName(cfg, 'u3'), 'eb5cb59b-e2fe-41f3-87ca-d2176a495345-u3');
  assert.ok(defaultSessionName(cfg, 'u123456').length <= 64);
});

test('example trust policy is the spec JSON byte for byte', () => {
  assert.equal(
    exampleTrustPolicy('arn:aws:iam::123456789012:role/ferry', 'mz_x_u1'),
    '{"Statement":[{"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"mz_x_u1"}},"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/ferry"}}],"Version":"2012-10-17"}',
  );
});

test('least-privilege permission policy', () => {
  assert.equal(
    leastPrivilegePolicy('b', '/p/q/'),
    '{"Statement":[{"Action":["s3:PutObject","s3:DeleteObject","s3:AbortMultipartUpload"],"Effect":"Allow","Resource":"arn:aws:s3:::b/p/q/*"},' +
      '{"Action":"s3:ListBucket","Condition":{"StringLike":{"s3:prefix":["p/q/*"]}},"Effect":"Allow","Resource":"arn:aws:s3:::b"}],"Version":"2012-10-17"}',
  );
  assert.equal(
    leastPrivilegePolicy('b', ''),
    '{"Statement":[{"Action":["s3:PutObject","s3:DeleteObject","s3:AbortMultipartUpload"],"Effect":"Allow","Resource":"arn:aws:s3:::b/*"},' +
      '{"Action":"s3:ListBucket","Effect":"Allow","Resource":"arn:aws:s3:::b"}],"Version":"2012-10-17"}',
  );
});

test('S3 URIs and caller ARNs', () => {
  assert.deepEqual(parseS3Uri('s3://bucket/a/b/'), { bucket: 'bucket', prefix: 'a/b' });
  assert.deepEqual(parseS3Uri('s3://bucket'), { bucket: 'bucket', prefix: '' });
  assert.equal(parseS3Uri('http://bucket/x'), null);
  assert.equal(parseS3Uri('s3:///x'), null);
  assert.equal(
    principalFromCallerArn('arn:aws:sts::123456789012:assumed-role/Ops/i-0abc'),
    'arn:aws:iam::123456789012:role/Ops',
  );
  assert.equal(principalFromCallerArn('arn:aws:iam::123456789012:user/ferry'), 'arn:aws:iam::123456789012:user/ferry');
});

test('the principal is the connection role when one is configured (no network)', async () => {
  const r = new PrincipalResolver({ environmentId: ENV, externalIdPrefix: null, connectionRoleArn: 'arn:aws:iam::1:role/c' });
  assert.equal(await r.principal(), 'arn:aws:iam::1:role/c');
});
