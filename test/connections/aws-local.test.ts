// test-needs: local-s3
// AWS connections against the real local S3 + STS (test/support/localaws.ts: Ceph RGW, the
// STS front that evaluates external-ID trust conditions, and the fault proxy). No mock of
// the AWS SDK: every call below goes over HTTP to servers that verify SigV4 signatures
// and enforce role trust and permission policies.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { localAws, type LocalAws } from '../support/localaws.js';
import { SqlError } from '../../src/errors/index.js';
import { configureLog } from '../../src/log/index.js';
import {
  PrincipalResolver,
  awsConnectionRow,
  credentialsFor,
  externalId,
  planAwsConnectionOptions,
  s3ClientFor,
  validateAwsConnection,
  type AwsConnectionContext,
  type AwsConnectionSpec,
  type AwsIdentityConfig,
  type RawOption,
} from '../../src/connections/aws/index.js';

// Every server log line of this file, to prove no secret value is ever logged.
const logLines: string[] = [];
configureLog({ level: 'debug', sink: (line) => logLines.push(line) });
// Every error text produced, for the same proof.
const errorTexts: string[] = [];
// Every secret value handed to the connection code.
const secretValues = new Set<string>();

const ENV = randomUUID();
let seq = 0;
const nextConnectionId = (): string => `u${++seq}`;
const identity = (over: Partial<AwsIdentityConfig> = {}): AwsIdentityConfig => ({
  environmentId: ENV,
  externalIdPrefix: null,
  connectionRoleArn: null,
  ...over,
});

let envPromise: Promise<LocalAws> | null = null;
const env = (): Promise<LocalAws> => (envPromise ??= localAws());
after(async () => {
  if (envPromise) await (await envPromise).close();
});

const str = (name: string, text: string): RawOption => ({ name, value: { kind: 'string', text } });
const sec = (name: string, secret: string): RawOption => ({ name, value: { kind: 'secret', name: secret } });

async function roleSpec(roleArn: string): Promise<AwsConnectionSpec> {
  const aws = await env();
  return planAwsConnectionOptions([
    str('ENDPOINT', aws.endpoint),
    str('REGION', aws.region),
    str('ASSUME ROLE ARN', roleArn),
  ]);
}

/** The connection context the SQL layer builds, with secrets from a mutable map (ALTER SECRET). */
async function context(
  connectionId: string,
  opts: { identity?: AwsIdentityConfig; secrets?: Map<string, string>; sessionDurationSeconds?: number } = {},
): Promise<AwsConnectionContext> {
  const aws = await env();
  const secrets = opts.secrets ?? new Map<string, string>();
  for (const v of secrets.values()) secretValues.add(v);
  return {
    identity: opts.identity ?? identity(),
    connectionId,
    ambient: { credentials: aws.ferry.credentials, stsEndpoint: aws.endpoint, region: aws.region },
    resolveSecret: (ref) => {
      const v = secrets.get(ref.name);
      if (v === undefined) return Promise.reject(new Error(`no secret ${ref.name}`));
      secretValues.add(v);
      return Promise.resolve(v);
    },
    ...(opts.sessionDurationSeconds !== undefined ? { sessionDurationSeconds: opts.sessionDurationSeconds } : {}),
  };
}

/** Runs `fn`, expects a SqlError, records its texts and returns it. */
async function sqlError(fn: () => Promise<unknown>): Promise<SqlError> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof SqlError, `expected SqlError, got ${String(err)}`);
    errorTexts.push(err.message, err.detail ?? '', err.hint ?? '');
    return err;
  }
  assert.fail('expected an error');
}

test('the principal is the ambient identity (sts:GetCallerIdentity), or the connection role', async () => {
  const aws = await env();
  const ambient = { credentials: aws.ferry.credentials, stsEndpoint: aws.endpoint, region: aws.region };
  const r = new PrincipalResolver(identity(), ambient);
  assert.equal(await r.principal(), aws.ferry.arn);
  const before = aws.faults.count('GetCallerIdentity').seen;
  assert.equal(await r.principal(), aws.ferry.arn);
  assert.equal(aws.faults.count('GetCallerIdentity').seen, before, 'cached');
  const withRole = new PrincipalResolver(
    identity({ connectionRoleArn: 'arn:aws:iam::123456789012:role/ferry-conn' }),
    ambient,
  );
  assert.equal(await withRole.principal(), 'arn:aws:iam::123456789012:role/ferry-conn');
});

test('VALIDATE succeeds for a role whose trust policy requires the external ID; FOR proves the prefix', async () => {
  const aws = await env();
  const id = nextConnectionId();
  const principal = await new PrincipalResolver(identity(), {
    credentials: aws.ferry.credentials,
    stsEndpoint: aws.endpoint,
  }).principal();
  // The user's side of the S3 guide: trust exactly what mz_aws_connections shows.
  const extId = externalId(identity(), id);
  const role = await aws.createExportRole({ trustPrincipal: principal, externalId: extId });
  const spec = await roleSpec(role.roleArn);
  const row = awsConnectionRow(spec, identity(), id, principal);
  assert.equal(row.external_id, `mz_${ENV}_${id}`);
  assert.deepEqual(JSON.parse(row.example_trust_policy!), {
    Statement: [
      {
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': extId } },
        Effect: 'Allow',
        Principal: { AWS: principal },
      },
    ],
    Version: '2012-10-17',
  });
  const ctx = await context(id);
  await validateAwsConnection(spec, ctx);
  await validateAwsConnection(spec, ctx, { forS3Uri: `s3://${role.bucket}/${role.prefix}` });
  // The probe object is gone.
  const s3 = s3ClientFor(spec, ctx);
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: role.bucket, Prefix: `${role.prefix}/` }));
  assert.equal(listed.KeyCount ?? 0, 0);
  // The export's client works with RGW's enforcement of the role's policy: inside the
  // prefix yes, outside no.
  await s3.send(new PutObjectCommand({ Bucket: role.bucket, Key: `${role.prefix}/x.csv`, Body: 'a\n' }));
  await assert.rejects(s3.send(new PutObjectCommand({ Bucket: role.bucket, Key: `elsewhere/x.csv`, Body: 'a\n' })), {
    name: 'AccessDenied',
  });
  s3.destroy();
});

test('confused-deputy guard: a trust policy without the external-ID condition is refused', async () => {
  const aws = await env();
  const id = nextConnectionId();
  const role = await aws.createExportRole({ externalId: null });
  const err = await sqlError(async () => validateAwsConnection(await roleSpec(role.roleArn), await context(id)));
  assert.equal(err.code, '58000');
  assert.equal(err.message, 'role trust policy does not require an external ID');
  assert.equal(
    err.detail,
    `The trust policy for the connection's role (${role.roleArn}) is insecure and allows any other user of this server's principal to assume the role.`,
  );
  assert.equal(
    err.hint,
    `Add the condition "Condition": {"StringEquals": {"sts:ExternalId": "mz_${ENV}_${id}"}} to the statement of the role's trust policy that allows sts:AssumeRole.`,
  );
});

test('confused-deputy guard: a failure other than a refusal proves nothing and is reported', async () => {
  const aws = await env();
  const id = nextConnectionId();
  const role = await aws.createExportRole({ externalId: externalId(identity(), id) });
  // The first AssumeRole (with the external ID) passes, every later one is throttled.
  aws.faults.add({ op: 'AssumeRole', nth: 2, times: Infinity, action: { kind: 'slowDown' } });
  try {
    const err = await sqlError(async () => validateAwsConnection(await roleSpec(role.roleArn), await context(id)));
    assert.equal(err.code, '58000');
    assert.match(err.message, /^could not check whether the role trust policy requires an external ID: Throttling/);
  } finally {
    aws.faults.clear();
  }
  // A single throttled AssumeRole is retried by the SDK (STS_MAX_ATTEMPTS).
  aws.faults.add({ op: 'AssumeRole', action: { kind: 'slowDown' } });
  try {
    await validateAwsConnection(await roleSpec(role.roleArn), await context(id));
  } finally {
    aws.faults.clear();
  }
});

test('wrong external ID, and a role that does not trust the principal: AccessDenied', async () => {
  const aws = await env();
  const id = nextConnectionId();
  for (const role of [
    await aws.createExportRole({ externalId: `mz_${ENV}_u999999` }),
    await aws.createExportRole({
      trustPrincipal: `arn:aws:iam::${aws.accountId}:user/someone-else`,
      externalId: externalId(identity(), id),
    }),
  ]) {
    const err = await sqlError(async () => validateAwsConnection(await roleSpec(role.roleArn), await context(id)));
    assert.equal(err.code, '58000');
    assert.equal(err.message, `sts:AssumeRole on ${role.roleArn} failed: AccessDenied`);
    assert.match(err.hint ?? '', new RegExp(`"sts:ExternalId": "mz_${ENV}_${id}"`));
  }
});

test('credentials mode: wrong secret, unknown key, ALTER SECRET takes effect at next use', async () => {
  const aws = await env();
  const user = await aws.createUser({});
  const spec = planAwsConnectionOptions([
    str('ENDPOINT', aws.endpoint),
    str('REGION', aws.region),
    sec('ACCESS KEY ID', 'ak'),
    sec('SECRET ACCESS KEY', 'sk'),
  ]);
  const secrets = new Map([
    ['ak', user.credentials.accessKeyId],
    ['sk', 'wrong' + user.credentials.secretAccessKey.slice(5)],
  ]);
  const ctx = await context(nextConnectionId(), { secrets });
  let err = await sqlError(() => validateAwsConnection(spec, ctx));
  assert.equal(err.code, '58000');
  assert.equal(err.message, 'sts:GetCallerIdentity failed: SignatureDoesNotMatch');

  secrets.set('sk', user.credentials.secretAccessKey); // ALTER SECRET sk AS '...'
  secretValues.add(user.credentials.secretAccessKey);
  await validateAwsConnection(spec, ctx);

  secrets.set('ak', 'LANOSUCHKEY000000000');
  err = await sqlError(() => validateAwsConnection(spec, ctx));
  assert.equal(err.message, 'sts:GetCallerIdentity failed: InvalidClientTokenId');

  // A literal ACCESS KEY ID works the same way.
  const literal = planAwsConnectionOptions([
    str('ENDPOINT', aws.endpoint),
    str('REGION', aws.region),
    str('ACCESS KEY ID', user.credentials.accessKeyId),
    sec('SECRET ACCESS KEY', 'sk'),
  ]);
  await validateAwsConnection(literal, ctx);
});

test('FOR s3:// names each missing permission', async () => {
  const aws = await env();
  const id = nextConnectionId();
  const extId = externalId(identity(), id);
  const noDelete = await aws.createExportRole({ externalId: extId, omit: 'DeleteObject' });
  const uri = `s3://${noDelete.bucket}/${noDelete.prefix}`;
  let err = await sqlError(async () =>
    validateAwsConnection(await roleSpec(noDelete.roleArn), await context(id), { forS3Uri: uri }),
  );
  assert.equal(err.code, '58000');
  assert.equal(err.message, `missing s3:DeleteObject on arn:aws:s3:::${noDelete.bucket}/${noDelete.prefix}/*`);
  assert.match(err.detail ?? '', /could not be removed/);
  assert.match(err.hint ?? '', /^Grant this permission policy: \{"Statement":/);

  const noPut = await aws.createExportRole({ externalId: extId, omit: 'PutObject' });
  err = await sqlError(async () =>
    validateAwsConnection(await roleSpec(noPut.roleArn), await context(id), {
      forS3Uri: `s3://${noPut.bucket}/${noPut.prefix}`,
    }),
  );
  assert.equal(err.message, `missing s3:PutObject on arn:aws:s3:::${noPut.bucket}/${noPut.prefix}/*`);

  // Credentials mode, a user lacking ListBucket; and a prefix outside the user's policy
  // lacks everything.
  const user = await aws.createUser({ omit: 'ListBucket', prefix: 'lp-' + id });
  const spec = planAwsConnectionOptions([
    str('ENDPOINT', aws.endpoint),
    str('REGION', aws.region),
    str('ACCESS KEY ID', user.credentials.accessKeyId),
    sec('SECRET ACCESS KEY', 'sk'),
  ]);
  const ctx = await context(id, { secrets: new Map([['sk', user.credentials.secretAccessKey]]) });
  err = await sqlError(() => validateAwsConnection(spec, ctx, { forS3Uri: `s3://${aws.bucket}/lp-${id}` }));
  assert.equal(err.message, `missing s3:ListBucket on arn:aws:s3:::${aws.bucket} for prefix lp-${id}/`);
  err = await sqlError(() => validateAwsConnection(spec, ctx, { forS3Uri: `s3://${aws.bucket}/other-${id}/` }));
  assert.equal(
    err.message,
    `missing s3:ListBucket on arn:aws:s3:::${aws.bucket} for prefix other-${id}/; ` +
      `missing s3:PutObject on arn:aws:s3:::${aws.bucket}/other-${id}/*; ` +
      `missing s3:DeleteObject on arn:aws:s3:::${aws.bucket}/other-${id}/*`,
  );
  err = await sqlError(() => validateAwsConnection(spec, ctx, { forS3Uri: 'https://x/y' }));
  assert.equal(err.code, '22023');
});

test('two hops: ambient -> connection role (no external ID) -> user role (external ID)', async () => {
  const aws = await env();
  const id = nextConnectionId();
  // The operator's connection role trusts the server's ambient identity, without condition.
  const connRole = await aws.createExportRole({ externalId: null });
  const cfg = identity({ connectionRoleArn: connRole.roleArn });
  const principal = await new PrincipalResolver(cfg).principal();
  assert.equal(principal, connRole.roleArn);
  const extId = externalId(cfg, id);
  const userRole = await aws.createExportRole({ trustPrincipal: principal, externalId: extId });
  const before = aws.faults.count('AssumeRole').passed;
  await validateAwsConnection(await roleSpec(userRole.roleArn), await context(id, { identity: cfg }), {
    forS3Uri: `s3://${userRole.bucket}/${userRole.prefix}`,
  });
  // Step 1 (two hops) and step 2 (two hops, the second refused).
  assert.equal(aws.faults.count('AssumeRole').passed - before, 4);

  // The user's role trusting the connection role without the condition is insecure.
  const insecure = await aws.createExportRole({ trustPrincipal: principal, externalId: null });
  const err = await sqlError(async () =>
    validateAwsConnection(await roleSpec(insecure.roleArn), await context(id, { identity: cfg })),
  );
  assert.equal(err.message, 'role trust policy does not require an external ID');

  // A user's role trusting the ambient identity instead is not reachable in two-hop mode.
  const direct = await aws.createExportRole({ externalId: extId });
  const denied = await sqlError(async () =>
    validateAwsConnection(await roleSpec(direct.roleArn), await context(id, { identity: cfg })),
  );
  assert.equal(denied.message, `sts:AssumeRole on ${direct.roleArn} failed: AccessDenied`);

  // A connection role the ambient identity may not assume fails at hop 1, named as such.
  const cfg2 = identity({ connectionRoleArn: insecure.roleArn });
  const hop1 = await sqlError(async () =>
    validateAwsConnection(await roleSpec(userRole.roleArn), await context(id, { identity: cfg2 })),
  );
  assert.equal(hop1.message, `sts:AssumeRole on the server's connection role ${insecure.roleArn} failed: AccessDenied`);
});

test('credentials are refreshed before a short session expires', { timeout: 180_000 }, async () => {
  const aws = await env();
  const id = nextConnectionId();
  const role = await aws.createExportRole({ externalId: externalId(identity(), id) });
  const spec = await roleSpec(role.roleArn);
  // 60 s is the STS front's shortest session; the provider refreshes at half of it.
  const ctx = await context(id, { sessionDurationSeconds: 60 });
  const provider = credentialsFor(spec, ctx);
  const seen: string[] = [];
  const counted = async () => {
    const c = await provider();
    if (seen[seen.length - 1] !== c.accessKeyId) seen.push(c.accessKeyId);
    return c;
  };
  const first = await provider();
  const s3 = s3ClientFor(spec, ctx, { credentials: counted });
  const started = Date.now();
  let puts = 0;
  // One export-like client keeps writing for longer than one session lifetime.
  while (Date.now() - started < 70_000) {
    await s3.send(new PutObjectCommand({ Bucket: role.bucket, Key: `${role.prefix}/part-${puts++}`, Body: 'x' }));
    await new Promise((r) => setTimeout(r, 5_000));
  }
  s3.destroy();
  assert.ok(seen.length >= 2, `expected a refresh, saw ${seen.length} session(s)`);
  // And the first session really expired: without the refresh the export would have failed.
  const stale = aws.s3({
    accessKeyId: first.accessKeyId,
    secretAccessKey: first.secretAccessKey,
    sessionToken: first.sessionToken!,
  });
  await assert.rejects(
    stale.send(new PutObjectCommand({ Bucket: role.bucket, Key: `${role.prefix}/stale`, Body: 'x' })),
    { name: 'ExpiredToken' },
  );
  stale.destroy();
});

test('s3ClientFor: ENDPOINT path-style, one SDK attempt by default (the sink retries)', async () => {
  const aws = await env();
  const prefix = aws.uniquePrefix('cl');
  const user = await aws.createUser({ prefix });
  const spec = planAwsConnectionOptions([
    str('ENDPOINT', aws.endpoint),
    str('REGION', aws.region),
    str('ACCESS KEY ID', user.credentials.accessKeyId),
    sec('SECRET ACCESS KEY', 'sk'),
  ]);
  const ctx = await context(nextConnectionId(), { secrets: new Map([['sk', user.credentials.secretAccessKey]]) });
  const put = (c: ReturnType<typeof s3ClientFor>) =>
    c.send(new PutObjectCommand({ Bucket: aws.bucket, Key: `${prefix}/a`, Body: 'x' }));
  const once = s3ClientFor(spec, ctx);
  const thrice = s3ClientFor(spec, ctx, { maxAttempts: 3 });
  try {
    aws.faults.add({ op: 'PutObject', pathPrefix: `/${aws.bucket}/${prefix}/`, action: { kind: 'slowDown' } });
    await assert.rejects(put(once), { name: 'SlowDown' });
    aws.faults.add({ op: 'PutObject', pathPrefix: `/${aws.bucket}/${prefix}/`, action: { kind: 'slowDown' } });
    await put(thrice);
  } finally {
    aws.faults.clear();
    once.destroy();
    thrice.destroy();
  }
});

test('no secret value appears in any log line or error text', () => {
  // Not vacuous: the tests above resolved secrets and produced errors (and, in role mode,
  // log lines).
  assert.ok(secretValues.size > 0 && errorTexts.length > 0);
  for (const v of secretValues) {
    for (const line of logLines) assert.ok(!line.includes(v), 'secret in log');
    for (const t of errorTexts) assert.ok(!t.includes(v), 'secret in error');
  }
});
