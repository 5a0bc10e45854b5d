/**
 * Schedules survive restarts: a server stopped across two due times runs the latest one
 * once at start-up (with now() = that due time) and records the older one `missed`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFerry } from '../support/ferry.js';
import { connect, runsOf, sleep, tempDir, waitFor } from './support.js';

const INTERVAL = 4000;
const stamp = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

test('stopped across two due times: exactly one catch-up run and one missed', async () => {
  const dir = await tempDir('restart');
  const first = await startFerry();
  let client = await connect(first.url());
  await client.query('CREATE TABLE t (a int)');
  await client.query('INSERT INTO t VALUES (1), (2)');
  await client.query(
    `CREATE EXPORT nightly REFRESH EVERY '4 seconds' ALIGNED TO '2026-01-01 00:00:00+00'
       AS COPY t TO 'file://${dir}/' || to_char(now(), 'YYYYMMDD-HH24MISS') WITH (FORMAT = 'csv')`,
  );
  await waitFor('a first run', async () => (await runsOf(client, 'nightly')).find((r) => r.status === 'succeeded'));
  // The first due time not yet handled; the server goes down before it.
  const next = new Date(
    (
      await client.query<{ next_run_at: Date | null }>(
        `SELECT next_run_at FROM mz_internal.mz_exports WHERE name = 'nightly'`,
      )
    ).rows[0]!.next_run_at!,
  ).getTime();
  await client.end();
  await first.stop();
  assert.ok(Date.now() < next, 'the server stopped before the next due time');
  // Down across `next` and `next + INTERVAL`; back up well before `next + 2 × INTERVAL`.
  await sleep(next + INTERVAL + 800 - Date.now());
  const restartedAt = Date.now();
  const second = await startFerry({ dataDir: first.dataDir });
  try {
    client = await connect(second.url());
    const runs = await waitFor('the catch-up run', async () => {
      const rs = (await runsOf(client, 'nightly')).filter(
        (r) => r.scheduled_for.getTime() >= next && r.scheduled_for.getTime() <= next + INTERVAL,
      );
      return rs.some((r) => r.status === 'succeeded') && rs;
    });
    assert.deepEqual(
      runs.map((r) => [r.scheduled_for.getTime() - next, r.status]),
      [
        [0, 'missed'],
        [INTERVAL, 'succeeded'],
      ],
    );
    const catchUp = runs[1]!;
    assert.ok(catchUp.started_at!.getTime() >= restartedAt, 'the catch-up ran after the restart');
    // now() in its target was the due time it stands for, not the time it ran.
    assert.equal(catchUp.uri, `file://${dir}/${stamp(catchUp.scheduled_for)}`);
    assert.equal(catchUp.rows, 2);
    assert.equal((await runsOf(client, 'nightly')).filter((r) => r.status === 'missed').length, 1);
    // The schedule goes on as before.
    await waitFor('the next scheduled run', async () =>
      (await runsOf(client, 'nightly')).find(
        (r) => r.scheduled_for.getTime() === next + 2 * INTERVAL && r.status === 'succeeded',
      ),
    );
    await client.end();
  } finally {
    await second.stop();
  }
});
