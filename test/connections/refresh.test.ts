// The refresh policy of session credentials, on a controlled clock (the real expiry against
// the local STS is in aws-local.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { refreshing } from '../../src/connections/aws/credentials.js';

function session(n: number, now: number, lifetimeMs: number) {
  return { accessKeyId: `AK${n}`, secretAccessKey: 'x', expiration: new Date(now + lifetimeMs) };
}

test('refreshes a margin before expiry, not before', async () => {
  let clock = 0;
  let fetches = 0;
  const p = refreshing(
    () => Promise.resolve(session(++fetches, clock, 3_600_000)),
    300_000,
    () => clock,
  );
  assert.equal((await p()).accessKeyId, 'AK1');
  clock = 3_600_000 - 300_001;
  assert.equal((await p()).accessKeyId, 'AK1');
  clock = 3_600_000 - 300_000;
  assert.equal((await p()).accessKeyId, 'AK2');
  assert.equal(fetches, 2);
});

test('short sessions refresh at half their lifetime', async () => {
  let clock = 0;
  let fetches = 0;
  const p = refreshing(
    () => Promise.resolve(session(++fetches, clock, 10_000)),
    300_000,
    () => clock,
  );
  await p();
  clock = 4_999;
  assert.equal((await p()).accessKeyId, 'AK1');
  clock = 5_000;
  assert.equal((await p()).accessKeyId, 'AK2');
});

test('concurrent callers share one fetch; failures are not cached', async () => {
  let fetches = 0;
  let fail = true;
  const p = refreshing(
    async () => {
      fetches++;
      await new Promise((r) => setTimeout(r, 10));
      if (fail) throw new Error('AccessDenied');
      return session(fetches, Date.now(), 3_600_000);
    },
    300_000,
    Date.now,
  );
  const results = await Promise.allSettled([p(), p(), p()]);
  assert.equal(fetches, 1);
  assert.ok(results.every((r) => r.status === 'rejected'));
  fail = false;
  const [a, b] = await Promise.all([p(), p()]);
  assert.equal(fetches, 2);
  assert.equal(a.accessKeyId, b.accessKeyId);
});

test('credentials without expiration are kept', async () => {
  let fetches = 0;
  const p = refreshing(
    () => Promise.resolve({ accessKeyId: `AK${++fetches}`, secretAccessKey: 'x' }),
    300_000,
    Date.now,
  );
  await p();
  await p();
  assert.equal(fetches, 1);
});
