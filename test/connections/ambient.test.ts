// test-needs: local-s3
// The server's own (ambient) AWS identity, through a real Ferry process over the wire:
// - mz_internal.mz_aws_connections shows the principal as it is *now*: NULL while STS fails
//   or does not answer, filled once it does, without any ALTER, NULL again after a restart
//   without credentials; the external ID never changes;
// - with no AWS environment at all and an instance metadata service that never finishes
//   answering, statements that need the identity fail quickly with SQLSTATE 58000, and
//   CREATE CONNECTION (which does not need it) succeeds quickly with a NULL principal;
// - COPY ... TO 's3://...' through a role connection fails the same way before preflight:
//   nothing is written under the path, the history row says failed, and the same statement
//   succeeds once the server has its identity.
// STS is the local front (test/support/localaws.ts) behind the fault proxy; the metadata
// service is a local TCP server that trickles one header byte every 300 ms, so the SDK's
// per-request idle timeout never fires (what a hung metadata proxy does).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import pg from 'pg';
import { PRINCIPAL_PLACEHOLDER, PRINCIPAL_UNKNOWN_PREFIX } from '../../src/adapter/connections.js';
import { exampleTrustPolicy } from '../../src/connections/aws/identity.js';
import { type FerryProcess, startFerry } from '../support/ferry.js';
import { type LocalAws, ferryServerEnv, localAws } from '../support/localaws.js';

/** Generous: the point is "returns at all, soon", never a tight wall-clock number. */
const BOUND_MS = 10_000;

let aws: LocalAws;
/** Holds no files: the shared AWS config and credentials files point into it. */
const noAwsDir = mkdtempSync(join(tmpdir(), 'ferry-noaws-'));
const ferries: FerryProcess[] = [];
const clients: pg.Client[] = [];

before(async () => {
  aws = await localAws();
});

after(async () => {
  aws.faults.clear();
  for (const c of clients) await c.end().catch(() => undefined);
  for (const f of ferries) await f.kill();
  await aws.close();
  rmSync(noAwsDir, { recursive: true, force: true });
});

/** A row as the clients of start() see it: every value as its text (no type parsers). */
type TextRow = Record<string, string | null>;

async function start(env: Record<string, string | undefined>): Promise<{ ferry: FerryProcess; c: pg.Client }> {
  const ferry = await startFerry({ env });
  ferries.push(ferry);
  const c = new pg.Client({ ...ferry.pgConfig(), types: { getTypeParser: () => (v: string) => v } });
  c.on('error', () => undefined);
  await c.connect();
  clients.push(c);
  return { ferry, c };
}

/** Runs `sql`, failing the test if it has not settled within BOUND_MS. */
async function within(
  c: pg.Client,
  sql: string,
): Promise<{ rows: Record<string, string | null>[]; error: pg.DatabaseError | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), BOUND_MS)));
  const run = c.query(sql).then(
    (r) => ({ rows: r.rows as Record<string, string | null>[], error: null }),
    (e: pg.DatabaseError) => ({ rows: [], error: e }),
  );
  const out = await Promise.race([run, timeout]);
  clearTimeout(timer);
  if (out === 'timeout') assert.fail(`${sql} did not return within ${BOUND_MS} ms`);
  return out;
}

async function awsRow(c: pg.Client, name: string): Promise<Record<string, string | null>> {
  const r = await c.query<TextRow>(
    `SELECT a.id, a.principal, a.external_id, a.example_trust_policy FROM mz_internal.mz_aws_connections a JOIN mz_catalog.mz_connections c ON c.id = a.id WHERE c.name = $1`,
    [name],
  );
  assert.equal(r.rows.length, 1);
  return r.rows[0]!;
}

// The view builds the policy in SQL; it must be exactly the text exampleTrustPolicy makes
// (whose spelling test/connections/identity.test.ts pins down).
const policy = exampleTrustPolicy;

test('the principal is the server identity as it is now: NULL while STS fails, filled once it answers, no ALTER', async () => {
  // Every GetCallerIdentity fails with 500 InternalError (until the rule is cleared).
  aws.faults.add({ op: 'GetCallerIdentity', times: Infinity, action: { kind: 'internalError' } });
  try {
    const { ferry, c } = await start(ferryServerEnv(aws));
    await c.query(
      `CREATE CONNECTION late_conn TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::${aws.accountId}:role/placeholder')`,
    );
    const first = await awsRow(c, 'late_conn');
    // STS failed: the principal is unknown, the column says why, the policy has a placeholder.
    assertUnknown(first, /^sts:GetCallerIdentity failed \(InternalFailure: Injected internal failure\); retrying$/);

    // STS recovers. Nothing is altered; a background retry finds the identity.
    aws.faults.clear();
    const row = await waitForPrincipal(c, 'late_conn');
    assert.equal(row.principal, aws.ferry.arn);
    assert.equal(row.external_id, first.external_id, 'the external ID is stable per connection');
    assert.equal(row.example_trust_policy, policy(aws.ferry.arn, first.external_id!));
    // The log said why the principal was missing.
    await waitForLog(
      ferry,
      /could not determine the server's AWS principal.*error=InternalFailure reason="Injected internal failure"/,
    );
    assert.ok(
      !ferry.log().includes(aws.ferry.credentials.secretAccessKey),
      'the ambient secret key never reaches the log',
    );
  } finally {
    aws.faults.clear();
  }
});

/** Waits (up to 30 s) for a server log line matching `re`. */
async function waitForLog(ferry: FerryProcess, re: RegExp): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!re.test(ferry.log()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.match(ferry.log(), re);
}

/** Polls mz_aws_connections until the connection's principal is filled (or a minute passed). */
/** While the principal is not known the column says why, and the policy holds a placeholder. */
function unknown(row: Record<string, string | null>): boolean {
  return (row.principal ?? PRINCIPAL_UNKNOWN_PREFIX).startsWith(PRINCIPAL_UNKNOWN_PREFIX);
}

function assertUnknown(row: Record<string, string | null>, reason: RegExp): void {
  const principal = row.principal ?? '';
  assert.ok(principal.startsWith(PRINCIPAL_UNKNOWN_PREFIX), `principal: ${principal}`);
  assert.match(principal.slice(PRINCIPAL_UNKNOWN_PREFIX.length), reason);
  assert.equal(row.example_trust_policy, policy(PRINCIPAL_PLACEHOLDER, row.external_id!));
}

async function waitForPrincipal(c: pg.Client, name: string): Promise<Record<string, string | null>> {
  let row = await awsRow(c, name);
  const deadline = Date.now() + 60_000;
  while (unknown(row) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    row = await awsRow(c, name);
  }
  return row;
}

test('STS that never answers: CREATE returns soon, the lookup gives up and later succeeds', async () => {
  // STS accepts GetCallerIdentity and never answers (until the rule is cleared).
  aws.faults.add({ op: 'GetCallerIdentity', times: Infinity, action: { kind: 'stall' } });
  try {
    const { ferry, c } = await start(ferryServerEnv(aws));
    const created = await within(
      c,
      `CREATE CONNECTION live_conn TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::${aws.accountId}:role/placeholder')`,
    );
    assert.equal(created.error, null);
    const env = (await c.query<TextRow>('SELECT mz_environment_id() AS e')).rows[0]!.e;
    const first = await awsRow(c, 'live_conn');
    assert.equal(first.external_id, `mz_${env}_${first.id}`);
    // STS has not answered: the principal is unknown.
    assertUnknown(first, /^the lookup \(sts:GetCallerIdentity\) has not answered yet$|^sts:GetCallerIdentity failed/);

    // The lookup gives up on the hanging STS (it is bounded) and says why in the log.
    await waitForLog(ferry, /could not determine the server's AWS principal.*error=TimeoutError/);
    assertUnknown(await awsRow(c, 'live_conn'), /^sts:GetCallerIdentity failed \(TimeoutError/);

    // STS comes back. Nothing is altered; the next background lookup finds the identity.
    aws.faults.clear();
    const row = await waitForPrincipal(c, 'live_conn');
    assert.equal(row.principal, aws.ferry.arn);
    assert.equal(row.external_id, first.external_id, 'the external ID is stable per connection');
    assert.equal(row.example_trust_policy, policy(aws.ferry.arn, first.external_id));
    const shown = await c.query<TextRow>(`SHOW PERMISSION POLICY FOR CONNECTION live_conn TO 's3://${aws.bucket}/p'`);
    assert.equal(shown.rows[0]?.trust_policy, row.example_trust_policy);

    // The log says why the principal was missing, and holds no secret.
    const log = ferry.log();
    assert.match(log, /AWS principal determined/);
    assert.ok(!log.includes(aws.ferry.credentials.secretAccessKey), 'the ambient secret key never reaches the log');
  } finally {
    aws.faults.clear();
  }
});

test('after a restart without any AWS identity the principal is NULL, not the one of the earlier run', async () => {
  const { ferry, c } = await start(ferryServerEnv(aws));
  await c.query(
    `CREATE CONNECTION kept_conn TO AWS (ASSUME ROLE ARN = 'arn:aws:iam::${aws.accountId}:role/placeholder')`,
  );
  const before = await awsRow(c, 'kept_conn');
  assert.equal(before.principal, aws.ferry.arn);
  await c.end();
  await ferry.stop();
  const again = await startFerry({ dataDir: ferry.dataDir, env: noAwsEnv({ AWS_EC2_METADATA_DISABLED: 'true' }) });
  ferries.push(again);
  const c2 = new pg.Client({ ...again.pgConfig(), types: { getTypeParser: () => (v: string) => v } });
  await c2.connect();
  clients.push(c2);
  const after = await awsRow(c2, 'kept_conn');
  assertUnknown(after, /./);
  assert.ok(!after.principal!.includes(aws.ferry.arn), 'no principal from the earlier run');
  assert.equal(after.external_id, before.external_id);
});

/** This process's environment minus every AWS variable and shared config file. */
function noAwsEnv(extra: Record<string, string>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) env[k] = undefined;
  const none = join(noAwsDir, 'absent');
  return {
    ...env,
    AWS_SHARED_CREDENTIALS_FILE: join(none, 'credentials'),
    AWS_CONFIG_FILE: join(none, 'config'),
    ...extra,
  };
}

/** A metadata service that starts an HTTP answer and never finishes it. */
async function tricklingImds(): Promise<{ url: string; close(): void }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.write('HTTP/1.1 200 OK\r\nX-Slow: ');
    const t = setInterval(() => s.write('a'), 300);
    s.on('close', () => {
      clearInterval(t);
      sockets.delete(s);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

test('no AWS environment and a hanging instance metadata service: quick CREATE, quick 58000 where the identity is needed', async () => {
  const imds = await tricklingImds();
  try {
    const { ferry, c } = await start(noAwsEnv({ AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url, AWS_REGION: aws.region }));
    const arn = `arn:aws:iam::${aws.accountId}:role/placeholder`;

    // CREATE CONNECTION does not need the identity (VALIDATE defaults to false for AWS).
    const created = await within(c, `CREATE CONNECTION bare_conn TO AWS (ASSUME ROLE ARN = '${arn}')`);
    assert.equal(created.error, null);
    const row = await awsRow(c, 'bare_conn');
    assertUnknown(row, /./);
    assert.match(row.external_id!, /^mz_[0-9a-f-]{36}_u\d+$/);

    // VALIDATE needs the server's credentials for the first hop: a clear 58000, soon.
    const validated = await within(c, 'VALIDATE CONNECTION bare_conn');
    assert.equal(validated.error?.code, '58000');
    assert.equal(validated.error?.message, `sts:AssumeRole on ${arn} failed: NoAmbientCredentials`);
    assert.match(validated.error?.detail ?? '', /the server has no AWS credentials of its own/);

    // CREATE ... WITH (VALIDATE = true) fails the same way and creates nothing.
    const checked = await within(
      c,
      `CREATE CONNECTION checked_conn TO AWS (ASSUME ROLE ARN = '${arn}') WITH (VALIDATE = true)`,
    );
    assert.equal(checked.error?.code, '58000');
    assert.equal(
      (await c.query<TextRow>(`SELECT count(*)::int AS n FROM mz_catalog.mz_connections WHERE name = 'checked_conn'`))
        .rows[0]?.n,
      '0',
    );

    await waitForLog(ferry, /could not determine the server's AWS principal.*error=NoAmbientCredentials/);
  } finally {
    imds.close();
  }
});

test('no AWS environment and a hanging instance metadata service: COPY TO s3 through a role connection fails soon, writes nothing, is recorded failed', async () => {
  const imds = await tricklingImds();
  const admin = aws.s3(aws.admin, aws.rgwEndpoint);
  try {
    const { ferry, c } = await start(noAwsEnv({ AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url, AWS_REGION: aws.region }));
    await c.query(
      `CREATE CONNECTION export_conn TO AWS (ENDPOINT = '${aws.endpoint}', REGION = '${aws.region}', ASSUME ROLE ARN = 'arn:aws:iam::${aws.accountId}:role/placeholder')`,
    );
    // A real role that trusts the server's usual identity with this connection's external
    // ID: the only thing missing for the export is the server's own credentials.
    const role = await aws.createExportRole({
      externalId: (await awsRow(c, 'export_conn')).external_id,
      extraObjectActions: ['s3:AbortMultipartUpload'],
    });
    await c.query(`ALTER CONNECTION export_conn SET (ASSUME ROLE ARN = '${role.roleArn}')`);
    await c.query(`CREATE TABLE t AS SELECT range AS id FROM generate_series(0, 9) AS g(range)`);
    const target = `s3://${role.bucket}/${role.prefix}/no-identity`;
    const counts = {
      assume: aws.faults.count('AssumeRole').seen,
      list: aws.faults.count('ListObjectsV2').seen,
      put: aws.faults.count('PutObject').seen,
    };

    const copied = await within(c, `COPY t TO '${target}' WITH (AWS CONNECTION = export_conn, FORMAT = 'csv')`);
    const err = copied.error;
    assert.ok(err, 'the export failed');
    assert.equal(err.code, '58000', `${err.code}: ${err.message}`);
    assert.equal(err.message, `sts:AssumeRole on ${role.roleArn} failed: NoAmbientCredentials`);
    assert.match(err.detail ?? '', /the server has no AWS credentials of its own/);

    // It failed before preflight: no request reached STS or S3, nothing was written (no
    // sentinel), so the same path stays usable.
    assert.equal(aws.faults.count('AssumeRole').seen, counts.assume);
    assert.equal(aws.faults.count('ListObjectsV2').seen, counts.list);
    assert.equal(aws.faults.count('PutObject').seen, counts.put);
    const listed = await admin.send(new ListObjectsV2Command({ Bucket: role.bucket, Prefix: `${role.prefix}/` }));
    assert.deepEqual(
      (listed.Contents ?? []).map((o) => o.Key),
      [],
    );

    const h = await c.query(
      `SELECT status, error, finished_at IS NOT NULL AS finished FROM mz_internal.mz_copy_to_history WHERE uri = $1`,
      [target],
    );
    assert.deepEqual(h.rows, [{ status: 'failed', error: err.message, finished: 't' }]);
    assert.ok(!ferry.log().includes(aws.ferry.credentials.secretAccessKey), 'no secret in the log');
    assert.ok(!ferry.log().includes(aws.admin.secretAccessKey), 'no secret in the log');

    // Control: the same statement succeeds once the server has its identity (a restart on
    // the same data), so the failure above was the missing identity and nothing else.
    await c.end();
    await ferry.stop();
    const again = await startFerry({ dataDir: ferry.dataDir, env: ferryServerEnv(aws) });
    ferries.push(again);
    const c2 = new pg.Client({ ...again.pgConfig(), types: { getTypeParser: () => (v: string) => v } });
    await c2.connect();
    clients.push(c2);
    const done = await within(c2, `COPY t TO '${target}' WITH (AWS CONNECTION = export_conn, FORMAT = 'csv')`);
    assert.equal(done.error, null);
    const keys = (
      (await admin.send(new ListObjectsV2Command({ Bucket: role.bucket, Prefix: `${role.prefix}/` }))).Contents ?? []
    ).map((o) => o.Key!);
    assert.equal(keys.length, 1, keys.join(', '));
    assert.match(keys[0]!, /\/no-identity\/mz-t[0-9a-z]+-batch-0000-0000\.csv$/);
    assert.ok(!again.log().includes(aws.ferry.credentials.secretAccessKey), 'no secret in the log');
  } finally {
    imds.close();
    admin.destroy();
  }
});
