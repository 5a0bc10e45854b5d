/**
 * Scheduled runs against S3 with faults: a local S3 (s3rver) behind the fault proxy of
 * support.ts. A run that outlasts its interval makes the next due time `skipped` and never
 * overlaps; a 503 storm is retried and the run succeeds; a persistent failure is recorded
 * `failed` and the following run still happens; an owner who lost USAGE on the connection
 * gets a failed run with the permission error, and the run after GRANT succeeds.
 *
 * Runs against s3rver rather than RGW: test/support/localaws.ts (RGW with real policies)
 * did not exist yet when these were written; the proxy forwards requests untouched, so
 * pointing it at RGW later needs no other change.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { startFerry, type FerryProcess } from '../support/ferry.js';
import { connect, connectionSql, runsOf, sleep, startFaultyS3, waitFor, type FaultyS3 } from './support.js';

let ferry: FerryProcess;
let s3: FaultyS3;
let client: pg.Client;

before(async () => {
  s3 = await startFaultyS3();
  ferry = await startFerry();
  client = await connect(ferry.url());
  for (const sql of connectionSql('s3c', s3)) await client.query(sql);
  await client.query('CREATE TABLE t (a int, b text)');
  await client.query("INSERT INTO t SELECT i, 'row ' || i FROM generate_series(1, 100) AS g(i)");
});

after(async () => {
  if (process.env.FERRY_TEST_SERVER_LOG) process.stderr.write(ferry.log());
  await client?.end().catch(() => undefined);
  await ferry?.stop();
  await s3?.close();
});

const target = (folder: string): string => `'s3://ferry-test/${folder}/' || to_char(now(), 'YYYYMMDD-HH24MISS')`;

test('a run outlasting its interval makes the next due time skipped, never two at once', async () => {
  s3.fault = { kind: 'delay', ms: 600 };
  await client.query(`CREATE EXPORT slow REFRESH EVERY '2 seconds' AS COPY t TO ${target('slow')} WITH (AWS CONNECTION = s3c, FORMAT = 'csv')`);
  const runs = await waitFor('a skipped due time and two finished runs', async () => {
    const rs = await runsOf(client, 'slow');
    return rs.some((r) => r.status === 'skipped') && rs.filter((r) => r.status === 'succeeded').length >= 2 && rs;
  }, 40_000);
  await client.query('DROP EXPORT slow');
  s3.fault = { kind: 'none' };
  const ran = runs.filter((r) => r.started_at !== null).sort((a, b) => a.started_at!.getTime() - b.started_at!.getTime());
  for (let i = 1; i < ran.length; i++) {
    const prev = ran[i - 1]!;
    if (prev.finished_at === null) continue;
    assert.ok(ran[i]!.started_at! >= prev.finished_at, `run ${ran[i]!.run_id} started before ${prev.run_id} finished`);
  }
  const skipped = runs.find((r) => r.status === 'skipped')!;
  assert.equal(skipped.started_at, null);
  assert.match(skipped.error ?? '', /previous run was still going/);
  assert.equal(runs.filter((r) => r.status === 'failed').length, 0);
});

test('a 503 storm during a run is retried and the run succeeds', async () => {
  await client.query(`CREATE EXPORT storm REFRESH CRON '0 0 1 1 *' AS COPY t TO ${target('storm')} WITH (AWS CONNECTION = s3c, FORMAT = 'csv')`);
  s3.refused = 0;
  s3.fault = { kind: 'slowdown', remaining: 6 };
  const r = await client.query('EXECUTE EXPORT storm');
  assert.equal(r.rowCount, 100);
  assert.ok(s3.refused >= 6);
  const [run] = await runsOf(client, 'storm');
  assert.deepEqual([run!.status, run!.rows, run!.files, run!.error], ['succeeded', 100, 1, null]);
  await client.query('DROP EXPORT storm');
});

test('a persistent storage failure is recorded failed, and the next run still happens', async () => {
  s3.fault = { kind: 'slowdown-forever' };
  await client.query(`CREATE EXPORT down REFRESH EVERY '2 seconds' AS COPY t TO ${target('down')} WITH (AWS CONNECTION = s3c, FORMAT = 'csv')`);
  const failed = await waitFor('a failed run', async () => (await runsOf(client, 'down')).find((r) => r.status === 'failed'), 90_000, 500);
  assert.match(failed.error ?? '', /SlowDown|503/);
  s3.fault = { kind: 'none' };
  const ok = await waitFor('a run after the outage', async () => (await runsOf(client, 'down')).find((r) => r.status === 'succeeded' && r.scheduled_for > failed.scheduled_for), 20_000);
  assert.equal(ok.rows, 100);
  await client.query('DROP EXPORT down');
});

test('an owner who lost USAGE on the connection: failed run with the permission error, then success after GRANT', async () => {
  await client.query('CREATE ROLE alice LOGIN');
  await client.query('GRANT CREATE ON SCHEMA public TO alice');
  await client.query('GRANT SELECT ON t TO alice');
  await client.query('GRANT USAGE ON CONNECTION s3c TO alice');
  const alice = await connect(ferry.url('alice'));
  try {
    await alice.query(`CREATE EXPORT perm REFRESH EVERY '2 seconds' AS COPY t TO ${target('perm')} WITH (AWS CONNECTION = s3c, FORMAT = 'csv')`);
  } finally {
    await alice.end();
  }
  await waitFor('a succeeded run as alice', async () => (await runsOf(client, 'perm')).find((r) => r.status === 'succeeded'));
  await client.query('REVOKE USAGE ON CONNECTION s3c FROM alice');
  const denied = await waitFor('a failed run', async () => (await runsOf(client, 'perm')).find((r) => r.status === 'failed'));
  assert.match(denied.error ?? '', /^permission denied for CONNECTION "materialize\.public\.s3c"/);
  await sleep(100);
  await client.query('GRANT USAGE ON CONNECTION s3c TO alice');
  const again = await waitFor('a run after GRANT', async () => (await runsOf(client, 'perm')).find((r) => r.status === 'succeeded' && r.scheduled_for > denied.scheduled_for));
  assert.equal(again.rows, 100);
  await client.query('DROP EXPORT perm');
});
