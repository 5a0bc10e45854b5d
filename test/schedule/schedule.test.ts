/**
 * Due-time arithmetic (src/schedule/schedule.ts) and the run-level retry decision: pure
 * functions, no server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqlError } from '../../src/errors/index.js';
import {
  checkCron,
  describeSchedule,
  dueTimesBetween,
  nextDueAfter,
  parseInterval,
  type ScheduleSpec,
} from '../../src/schedule/schedule.js';
import { isTransient } from '../../src/schedule/scheduler.js';
import { exitCodeFor } from '../../src/cli/export.js';

const at = (s: string): number => Date.parse(s);

test('REFRESH EVERY intervals: PostgreSQL spellings, clock form, limits', () => {
  assert.equal(parseInterval('2 seconds'), 2000);
  assert.equal(parseInterval('1 day'), 86_400_000);
  assert.equal(parseInterval('1h 30m'), 5_400_000);
  assert.equal(parseInterval('01:00:05'), 3_605_000);
  assert.equal(parseInterval('1.5 minutes'), 90_000);
  assert.throws(
    () => parseInterval('often'),
    (e: SqlError) => e.code === '22007' && /invalid input syntax for type interval: "often"/.test(e.message),
  );
  assert.throws(
    () => parseInterval('1 month'),
    (e: SqlError) => e.code === '0A000' && /REFRESH CRON/.test(e.hint ?? ''),
  );
  assert.throws(
    () => parseInterval('500 ms'),
    (e: SqlError) => e.code === '22023',
  );
});

test('EVERY: due times are aligned, strictly after, and catch-up keeps the latest', () => {
  const spec: ScheduleSpec = {
    kind: 'every',
    interval: '10 seconds',
    intervalMs: 10_000,
    alignedToMs: at('2026-01-01T00:00:03Z'),
  };
  assert.equal(nextDueAfter(spec, at('2026-01-01T00:00:03Z')), at('2026-01-01T00:00:13Z'));
  assert.equal(nextDueAfter(spec, at('2026-01-01T00:00:12.999Z')), at('2026-01-01T00:00:13Z'));
  // Alignment in the future works backwards too.
  assert.equal(nextDueAfter(spec, at('2025-12-31T23:59:59Z')), at('2026-01-01T00:00:03Z'));
  const due = dueTimesBetween(spec, at('2026-01-01T00:00:13Z'), at('2026-01-01T00:00:40Z'), 100);
  assert.deepEqual(due, {
    times: [at('2026-01-01T00:00:13Z'), at('2026-01-01T00:00:23Z'), at('2026-01-01T00:00:33Z')],
    omitted: 0,
  });
  const capped = dueTimesBetween(spec, at('2026-01-01T00:00:13Z'), at('2026-01-01T00:00:40Z'), 2);
  assert.deepEqual(capped, { times: [at('2026-01-01T00:00:23Z'), at('2026-01-01T00:00:33Z')], omitted: 1 });
  assert.match(describeSchedule(spec), /^EVERY '10 seconds' ALIGNED TO '2026-01-01T00:00:03.000Z'$/);
});

test('CRON: five fields, time zones, croner semantics', () => {
  const spec = checkCron('0 3 * * *', 'Europe/Berlin');
  // 03:00 in Berlin is 02:00 UTC in winter, 01:00 UTC in summer.
  assert.equal(nextDueAfter(spec, at('2026-01-01T00:00:00Z')), at('2026-01-01T02:00:00Z'));
  assert.equal(nextDueAfter(spec, at('2026-07-01T00:00:00Z')), at('2026-07-01T01:00:00Z'));
  assert.equal(nextDueAfter(spec, at('2026-01-01T02:00:00Z')), at('2026-01-02T02:00:00Z'));
  const due = dueTimesBetween(
    checkCron('*/15 * * * *', 'UTC'),
    at('2026-01-01T00:00:00Z'),
    at('2026-01-01T00:40:00Z'),
    10,
  );
  assert.deepEqual(due.times, [at('2026-01-01T00:00:00Z'), at('2026-01-01T00:15:00Z'), at('2026-01-01T00:30:00Z')]);
  assert.throws(
    () => checkCron('0 0 3 * * *', 'UTC'),
    (e: SqlError) => e.code === '22023' && /five fields/.test(e.message),
  );
  assert.throws(
    () => checkCron('61 * * * *', 'UTC'),
    (e: SqlError) => e.code === '22023' && /invalid REFRESH CRON expression/.test(e.message),
  );
  assert.throws(
    () => checkCron('0 3 * * *', 'Mars/Olympus'),
    (e: SqlError) => e.code === '22023' && /invalid TIME ZONE/.test(e.message),
  );
});

test('run-level retries only for transient storage failures', () => {
  const slowDown = Object.assign(new Error('Please reduce your request rate.'), {
    name: 'SlowDown',
    $metadata: { httpStatusCode: 503 },
  });
  const store = Object.assign(new Error('PutObject s3://b/k: SlowDown (HTTP 503)'), {
    name: 'StoreError',
    cause: slowDown,
  });
  assert.equal(isTransient(new SqlError('58030', 'COPY TO s3://b/k failed', { cause: store })), true);
  assert.equal(isTransient(new SqlError('58030', 'COPY TO s3://b/k failed', { cause: new Error('disk full') })), false);
  assert.equal(isTransient(new SqlError('42501', 'permission denied for CONNECTION "materialize.public.c"')), false);
  assert.equal(isTransient(new SqlError('55000', 'S3 bucket path is not empty, contains 1 objects')), false);
  assert.equal(isTransient(new SqlError('57014', 'canceling statement due to user request', { cause: store })), false);
});

test('ferry export exit codes by SQLSTATE class', () => {
  for (const c of ['42601', '42P01', '42704', '22023', '22004', '0A000']) assert.equal(exitCodeFor(c), 2, c);
  for (const c of ['42501', '28000', '28P01', '58000']) assert.equal(exitCodeFor(c), 3, c);
  for (const c of ['58030', '55000', '57014', '55006', '53100']) assert.equal(exitCodeFor(c), 4, c);
  assert.equal(exitCodeFor('08006'), 5);
  assert.equal(exitCodeFor('XX000'), 1);
});
