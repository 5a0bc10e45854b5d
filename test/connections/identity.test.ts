// External ID, session name and the two policy documents (docs/aws-connections.md).
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
import { awsConnectionRow } from '../../src/connections/aws/catalog-row.js';
import { planAwsConnectionOptions } from '../../src/connections/aws/options.js';

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
    '{"Statement":[{"Action":["s3:PutObject","s3:DeleteObject","s3:AbortMultipartUpload","s3:GetObject"],"Effect":"Allow","Resource":"arn:aws:s3:::b/p/q/*"},' +
      '{"Action":"s3:ListBucket","Condition":{"StringLike":{"s3:prefix":["p/q/*"]}},"Effect":"Allow","Resource":"arn:aws:s3:::b"}],"Version":"2012-10-17"}',
  );
  assert.equal(
    leastPrivilegePolicy('b', ''),
    '{"Statement":[{"Action":["s3:PutObject","s3:DeleteObject","s3:AbortMultipartUpload","s3:GetObject"],"Effect":"Allow","Resource":"arn:aws:s3:::b/*"},' +
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
  const r = new PrincipalResolver({
    environmentId: ENV,
    externalIdPrefix: null,
    connectionRoleArn: 'arn:aws:iam::1:role/c',
  });
  assert.equal(await r.principal(), 'arn:aws:iam::1:role/c');
});

test('mz_aws_connections row: role mode fills principal, external ID and trust policy', () => {
  const cfg = { environmentId: ENV, externalIdPrefix: null, connectionRoleArn: null };
  const role = planAwsConnectionOptions([
    { name: 'ASSUME ROLE ARN', value: { kind: 'string', text: 'arn:aws:iam::123456789012:role/r' } },
    { name: 'REGION', value: { kind: 'string', text: 'us-east-1' } },
  ]);
  const row = awsConnectionRow(role, cfg, 'u7', 'arn:aws:iam::123456789012:user/ferry');
  assert.deepEqual(Object.keys(row), [
    'id',
    'endpoint',
    'region',
    'access_key_id',
    'access_key_id_secret_id',
    'secret_access_key_secret_id',
    'session_token',
    'session_token_secret_id',
    'assume_role_arn',
    'assume_role_session_name',
    'principal',
    'external_id',
    'example_trust_policy',
  ]);
  assert.equal(row.external_id, `mz_${ENV}_u7`);
  assert.equal(row.example_trust_policy, exampleTrustPolicy('arn:aws:iam::123456789012:user/ferry', `mz_${ENV}_u7`));
  assert.equal(row.access_key_id, null);

  const creds = planAwsConnectionOptions([
    { name: 'ACCESS KEY ID', value: { kind: 'string', text: 'AKIA' } },
    { name: 'SECRET ACCESS KEY', value: { kind: 'secret', name: 'sk' } },
    { name: 'SESSION TOKEN', value: { kind: 'secret', name: 'tok' } },
  ]);
  if (creds.mode !== 'credentials') throw new Error('mode');
  creds.secretAccessKey.id = 'u1';
  if (creds.sessionToken?.kind === 'secret') creds.sessionToken.id = 'u2';
  const crow = awsConnectionRow(creds, cfg, 'u8', 'ignored');
  assert.equal(crow.access_key_id, 'AKIA');
  assert.equal(crow.secret_access_key_secret_id, 'u1');
  assert.equal(crow.session_token_secret_id, 'u2');
  assert.equal(crow.session_token, null);
  assert.equal(crow.principal, null);
  assert.equal(crow.external_id, null);
  assert.equal(crow.example_trust_policy, null);
});
