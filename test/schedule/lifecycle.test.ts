/**
 * Built-in schedules end to end on one real server with `file://` targets: runs on time
 * to dated paths with every run recorded; PAUSED stops and unpausing resumes; DROP stops;
 * EXECUTE EXPORT; the catalog relations and SHOW statements; CREATE's planning errors.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { startFerry, type FerryProcess } from '../support/ferry.js';
import { connect, runsOf, sleep, tempDir, waitFor } from './support.js';

let ferry: FerryProcess;
let client: pg.Client;
let dir: string;

before(async () => {
  dir = await tempDir('lifecycle');
  ferry = await startFerry();
  client = await connect(ferry.url());
  await client.query('CREATE TABLE t (a int, b text)');
  await client.query("INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three')");
});

after(async () => {
  await client?.end();
  await ferry?.stop();
});

/** `to_char` pattern of the dated folders, and the same date in JS for the expected path. */
const stamp = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);

test('a schedule every 2 seconds runs, writes dated paths, records each run; PAUSED, resume, DROP', async () => {
  // ALIGNED TO a whole second so due times land on even seconds.
  await client.query(
    `CREATE EXPORT every2 REFRESH EVERY '2 seconds' ALIGNED TO '2026-01-01 00:00:00+00'
       AS COPY (SELECT a, b FROM t) TO 'file://${dir}/every2/' || to_char(now(), 'YYYYMMDD-HH24MISS') WITH (FORMAT = 'csv')`,
  );
  const show = await client.query('SHOW EXPORTS');
  assert.deepEqual(show.rows, [
    { name: 'every2', schedule: "EVERY '2 seconds' ALIGNED TO '2026-01-01T00:00:00.000Z'", paused: false, comment: '' },
  ]);
  const created = await client.query<{ create_sql: string }>('SHOW CREATE EXPORT every2');
  assert.match(
    created.rows[0]!.create_sql,
    /^CREATE EXPORT "materialize"."public"."every2" REFRESH EVERY '2 seconds' ALIGNED TO '2026-01-01T00:00:00.000Z' AS COPY \(SELECT a, b FROM t\) TO /,
  );
  const cat = await client.query<{ paused: boolean; next_run_at: Date | null }>(
    `SELECT id, owner_id, paused, next_run_at, create_sql FROM mz_internal.mz_exports WHERE name = 'every2'`,
  );
  assert.equal(cat.rows[0]?.paused, false);
  assert.equal(new Date(cat.rows[0].next_run_at!).getTime() % 2000, 0);

  const done = await waitFor('two succeeded runs', async () => {
    const ok = (await runsOf(client, 'every2')).filter((r) => r.status === 'succeeded');
    return ok.length >= 2 && ok;
  });
  for (const r of done) {
    // now() in the target is the scheduled time: the path names it exactly.
    assert.equal(r.scheduled_for.getTime() % 2000, 0);
    assert.equal(r.uri, `file://${dir}/every2/${stamp(r.scheduled_for)}`);
    assert.deepEqual([r.rows, r.files, r.error], [3, 1, null]);
    assert.ok(r.bytes > 0);
    assert.ok(r.started_at! >= r.scheduled_for && r.finished_at! >= r.started_at!);
    const files = readdirSync(new URL(r.uri).pathname);
    assert.equal(files.filter((f) => f.endsWith('.csv')).length, 1);
    assert.ok(!files.some((f) => f.endsWith('INCOMPLETE')));
  }
  assert.equal(done[1]!.scheduled_for.getTime() - done[0]!.scheduled_for.getTime(), 2000);

  // PAUSED: no new run is recorded (a run already going may still finish).
  await client.query('ALTER EXPORT every2 SET (PAUSED = true)');
  assert.equal((await client.query<{ paused: boolean }>('SHOW EXPORTS')).rows[0]?.paused, true);
  assert.equal(
    (
      await client.query<{ next_run_at: Date | null }>(
        `SELECT next_run_at FROM mz_internal.mz_exports WHERE name = 'every2'`,
      )
    ).rows[0]?.next_run_at,
    null,
  );
  await sleep(500);
  const pausedCount = (await runsOf(client, 'every2')).length;
  await sleep(4500);
  assert.equal((await runsOf(client, 'every2')).length, pausedCount, 'no run while paused');

  // Unpausing resumes from now: due times of the pause are not replayed.
  const resumedAt = Date.now();
  await client.query('ALTER EXPORT every2 SET (PAUSED = false)');
  const resumed = await waitFor('a run after resuming', async () =>
    (await runsOf(client, 'every2')).slice(pausedCount).find((r) => r.status === 'succeeded'),
  );
  assert.ok(resumed.scheduled_for.getTime() > resumedAt);
  assert.equal(
    (await runsOf(client, 'every2')).slice(pausedCount).filter((r) => r.status === 'missed' || r.status === 'skipped')
      .length,
    0,
  );

  // DROP: the export and its timer are gone.
  const folders = () => readdirSync(join(dir, 'every2')).length;
  await client.query('DROP EXPORT every2');
  await sleep(300);
  const after = folders();
  await sleep(4000);
  assert.equal(folders(), after, 'no run after DROP');
  assert.equal(
    (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM mz_internal.mz_exports`)).rows[0]?.n,
    0,
  );
  assert.deepEqual((await client.query('SHOW EXPORTS')).rows, []);
});

test('EXECUTE EXPORT runs now, out of schedule, and answers COPY n', async () => {
  await client.query(
    `CREATE EXPORT manual REFRESH CRON '0 3 * * *' TIME ZONE 'Europe/Berlin' AS COPY t TO 'file://${dir}/manual/' || to_char(now(), 'YYYYMMDD-HH24MISS') WITH (FORMAT = 'csv', HEADER)`,
  );
  const notices: string[] = [];
  const onNotice = (n: { message?: string }): void => void notices.push(n.message ?? '');
  client.on('notice', onNotice);
  const before = Date.now();
  const r = await client.query('EXECUTE EXPORT manual');
  client.off('notice', onNotice);
  assert.equal(r.command, 'COPY');
  assert.equal(r.rowCount, 3);
  assert.ok(
    notices.some((m) => /^exported 3 rows, \d+ bytes, 1 files so far$/.test(m)),
    notices.join('|'),
  );
  const runs = await runsOf(client, 'manual');
  assert.equal(runs.length, 1);
  assert.equal(runs[0]!.status, 'succeeded');
  assert.ok(runs[0]!.scheduled_for.getTime() >= before - 1000);
  assert.ok(existsSync(new URL(runs[0]!.uri!).pathname));
  assert.equal(
    (await client.query<{ schedule: string }>('SHOW EXPORTS')).rows[0]?.schedule,
    "CRON '0 3 * * *' TIME ZONE 'Europe/Berlin'",
  );
  // The next due time is the cron's: 03:00 in Berlin.
  const next = new Date(
    (
      await client.query<{ next_run_at: Date | null }>(
        `SELECT next_run_at FROM mz_internal.mz_exports WHERE name = 'manual'`,
      )
    ).rows[0]!.next_run_at!,
  );
  assert.equal(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Berlin',
      hour: '2-digit',
      minute: '2-digit',
      hour12: false,
    }).format(next),
    '03:00',
  );
  await client.query('DROP EXPORT manual');
});

test('CREATE EXPORT plans the COPY with the errors of an ad-hoc COPY, and writes nothing', async () => {
  const fails = async (sql: string, code: string, message: RegExp): Promise<void> => {
    await assert.rejects(client.query(sql), (e: { code?: string; message?: string }) => {
      assert.equal(e.code, code, `${sql}: ${e.message}`);
      assert.match(e.message ?? '', message);
      return true;
    });
  };
  const target = `'file://${dir}/bad/' || to_char(now(), 'YYYYMMDD')`;
  await fails(
    `CREATE EXPORT bad REFRESH EVERY '1 hour' AS COPY t TO ${target} WITH (FORMAT = 'text')`,
    '0A000',
    /^FORMAT TEXT not yet supported$/,
  );
  await fails(
    `CREATE EXPORT bad REFRESH EVERY '1 hour' AS COPY t TO ${target} WITH (HEADER)`,
    '42601',
    /requires a FORMAT option/,
  );
  await fails(
    `CREATE EXPORT bad REFRESH EVERY '1 hour' AS COPY nope TO ${target} WITH (FORMAT = 'csv')`,
    '42704',
    /unknown catalog item 'nope'/,
  );
  await fails(
    `CREATE EXPORT bad REFRESH EVERY '1 hour' AS COPY t TO 's3://b/x' WITH (FORMAT = 'csv')`,
    '42601',
    /AWS CONNECTION is required/,
  );
  await fails(
    `CREATE EXPORT bad REFRESH EVERY 'sometimes' AS COPY t TO ${target} WITH (FORMAT = 'csv')`,
    '22007',
    /invalid input syntax for type interval/,
  );
  await fails(
    `CREATE EXPORT bad REFRESH CRON '* * *' AS COPY t TO ${target} WITH (FORMAT = 'csv')`,
    '22023',
    /invalid REFRESH CRON expression/,
  );
  await fails(
    `CREATE EXPORT bad REFRESH EVERY '1 hour' ALIGNED TO 'yesterday-ish' AS COPY t TO ${target} WITH (FORMAT = 'csv')`,
    '22007',
    /timestamp with time zone/,
  );
  await client.query('BEGIN');
  await fails(
    `CREATE EXPORT bad REFRESH EVERY '1 hour' AS COPY t TO ${target} WITH (FORMAT = 'csv')`,
    '25001',
    /cannot run inside a transaction block/,
  );
  await client.query('ROLLBACK');
  assert.equal(
    (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM mz_internal.mz_exports`)).rows[0]?.n,
    0,
  );
  assert.equal(existsSync(join(dir, 'bad')), false);
  // Names: duplicates, IF NOT EXISTS, DROP of what is not an export.
  await client.query(`CREATE EXPORT dup REFRESH EVERY '1 hour' AS COPY t TO ${target} WITH (FORMAT = 'csv')`);
  await fails(
    `CREATE EXPORT dup REFRESH EVERY '1 hour' AS COPY t TO ${target} WITH (FORMAT = 'csv')`,
    '42710',
    /already exists/,
  );
  await client.query(
    `CREATE EXPORT IF NOT EXISTS dup REFRESH EVERY '1 hour' AS COPY t TO ${target} WITH (FORMAT = 'csv')`,
  );
  await fails('DROP EXPORT t', '42809', /is not an export/);
  await fails('EXECUTE EXPORT nope', '42704', /unknown catalog item/);
  await client.query('DROP EXPORT dup');
  await client.query('DROP EXPORT IF EXISTS dup');
});
