// test-needs: local-s3
/**
 * Scheduled runs against the local RGW with a real least-privilege user, through the fault
 * proxy of test/support/localaws.ts: a run outlasting its interval makes the next due time
 * `skipped` and never overlaps; a 503 storm during a scheduled run is retried and the run
 * succeeds; a persistent failure is recorded `failed` and the following run still happens;
 * an owner who lost USAGE on the connection gets a failed run with the permission error and
 * the run after GRANT succeeds; `ferry export` exits 3 when IAM denies the export.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type pg from 'pg';
import { PROJECT_ROOT, startFerry, type FerryProcess } from '../support/ferry.js';
import { localAws, type LocalAws } from '../support/localaws.js';
import { connect, runsOf, sleep, waitFor } from './support.js';

let aws: LocalAws;
let ferry: FerryProcess;
let client: pg.Client;
let prefix: string;

before(async () => {
  aws = await localAws();
  prefix = aws.uniquePrefix('sched');
  const user = await aws.createUser({ prefix });
  const denied = await aws.createUser({ prefix: `${prefix}-denied`, omit: 'DeleteObject' });
  ferry = await startFerry();
  client = await connect(ferry.url());
  const conn = async (name: string, u: typeof user): Promise<void> => {
    await client.query(`CREATE SECRET ${name}_key AS '${u.credentials.secretAccessKey}'`);
    await client.query(
      `CREATE CONNECTION ${name} TO AWS (ENDPOINT = '${aws.endpoint}', REGION = '${aws.region}', ACCESS KEY ID = '${u.credentials.accessKeyId}', SECRET ACCESS KEY = SECRET ${name}_key)`,
    );
  };
  await conn('rgw', user);
  await conn('rgw_denied', denied);
  await client.query('CREATE TABLE t (a int, b text)');
  await client.query("INSERT INTO t SELECT i, 'row ' || i FROM generate_series(1, 50) AS g(i)");
});

after(async () => {
  aws?.faults.clear();
  await client?.end();
  await ferry?.stop();
  await aws?.cleanup();
});

const target = (sub: string): string => `'s3://${aws.bucket}/${prefix}/${sub}/' || to_char(now(), 'YYYYMMDD-HH24MISS')`;

test('a run outlasting its interval makes the next due time skipped, never two at once', async () => {
  aws.faults.reset();
  aws.faults.add({ op: '*', times: Infinity, action: { kind: 'delay', ms: 600 }, pathPrefix: `/${aws.bucket}` });
  try {
    await client.query(
      `CREATE EXPORT slow REFRESH EVERY '2 seconds' AS COPY t TO ${target('slow')} WITH (AWS CONNECTION = rgw, FORMAT = 'csv')`,
    );
    const runs = await waitFor(
      'a skipped due time and two finished runs',
      async () => {
        const rs = await runsOf(client, 'slow');
        return rs.some((r) => r.status === 'skipped') && rs.filter((r) => r.status === 'succeeded').length >= 2 && rs;
      },
      60_000,
    );
    await client.query('DROP EXPORT slow');
    const ran = runs
      .filter((r) => r.started_at !== null)
      .sort((a, b) => a.started_at!.getTime() - b.started_at!.getTime());
    for (let i = 1; i < ran.length; i++) {
      const prev = ran[i - 1]!;
      if (prev.finished_at === null) continue;
      assert.ok(
        ran[i]!.started_at! >= prev.finished_at,
        `run ${ran[i]!.run_id} started before ${prev.run_id} finished`,
      );
    }
    const skipped = runs.find((r) => r.status === 'skipped')!;
    assert.equal(skipped.started_at, null);
    assert.match(skipped.error ?? '', /previous run was still going/);
    assert.equal(runs.filter((r) => r.status === 'failed').length, 0);
  } finally {
    aws.faults.clear();
  }
});

test('a 503 storm is retried inside the run; a persistent failure is recorded and the next run happens', async () => {
  const keys = `/${aws.bucket}/${prefix}/`;
  aws.faults.reset();
  const storm = aws.faults.add({ op: 'PutObject', times: 5, action: { kind: 'slowDown' }, pathPrefix: keys });
  await client.query(
    `CREATE EXPORT rgw_every REFRESH EVERY '2 seconds' AS COPY t TO ${target('every')} WITH (AWS CONNECTION = rgw, FORMAT = 'csv')`,
  );
  const first = await waitFor('a run through the storm', async () =>
    (await runsOf(client, 'rgw_every')).find((r) => r.status !== 'running' && r.status !== 'skipped'),
  );
  assert.equal(first.status, 'succeeded', first.error ?? '');
  assert.equal(first.rows, 50);
  assert.ok(aws.faults.rules().find((r) => r.id === storm.id)!.fired >= 5 || storm.fired >= 5);

  aws.faults.clear();
  aws.faults.add({ op: 'PutObject', times: Infinity, action: { kind: 'internalError' }, pathPrefix: keys });
  const failed = await waitFor(
    'a failed run',
    async () => (await runsOf(client, 'rgw_every')).find((r) => r.status === 'failed'),
    90_000,
    500,
  );
  assert.match(failed.error ?? '', /InternalError|500/);
  aws.faults.clear();
  const next = await waitFor(
    'a run after the outage',
    async () =>
      (await runsOf(client, 'rgw_every')).find(
        (r) => r.status === 'succeeded' && r.scheduled_for > failed.scheduled_for,
      ),
    20_000,
  );
  assert.equal(next.rows, 50);
  await client.query('DROP EXPORT rgw_every');
});

test('an owner who lost USAGE on the connection: failed run with the permission error, then success after GRANT', async () => {
  await client.query('CREATE ROLE alice LOGIN');
  await client.query('GRANT CREATE ON SCHEMA public TO alice');
  await client.query('GRANT SELECT ON t TO alice');
  await client.query('GRANT USAGE ON CONNECTION rgw TO alice');
  const alice = await connect(ferry.url('alice'));
  try {
    await alice.query(
      `CREATE EXPORT perm REFRESH EVERY '2 seconds' AS COPY t TO ${target('perm')} WITH (AWS CONNECTION = rgw, FORMAT = 'csv')`,
    );
  } finally {
    await alice.end();
  }
  await waitFor('a succeeded run as alice', async () =>
    (await runsOf(client, 'perm')).find((r) => r.status === 'succeeded'),
  );
  await client.query('REVOKE USAGE ON CONNECTION rgw FROM alice');
  const denied = await waitFor('a failed run', async () =>
    (await runsOf(client, 'perm')).find((r) => r.status === 'failed'),
  );
  assert.match(denied.error ?? '', /^permission denied for CONNECTION "materialize\.public\.rgw"/);
  await sleep(100);
  await client.query('GRANT USAGE ON CONNECTION rgw TO alice');
  const again = await waitFor('a run after GRANT', async () =>
    (await runsOf(client, 'perm')).find((r) => r.status === 'succeeded' && r.scheduled_for > denied.scheduled_for),
  );
  assert.equal(again.rows, 50);
  await client.query('DROP EXPORT perm');
});

test('ferry export exits 3 when IAM denies part of the export', async () => {
  const r = await new Promise<{ code: number; stdout: string }>((resolve) => {
    execFile(
      process.execPath,
      [
        join(PROJECT_ROOT, 'bin', 'ferry.js'),
        'export',
        '--url',
        ferry.url(),
        '--json',
        '--sql',
        `COPY t TO 's3://${aws.bucket}/${prefix}-denied/x' WITH (AWS CONNECTION = rgw_denied, FORMAT = 'csv')`,
      ],
      (err, stdout) => resolve({ code: err ? Number((err as { code?: number }).code) : 0, stdout }),
    );
  });
  assert.equal(r.code, 3, r.stdout);
  const out = JSON.parse(r.stdout) as { error: { code: string | null; message: string } };
  assert.equal(out.error.code, '42501');
  assert.match(out.error.message, /AccessDenied error when using DeleteObject/);
});
