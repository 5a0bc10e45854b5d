// test-needs: psycopg
/**
 * psycopg 3 (Debian's python3-psycopg, run with /usr/bin/python3 rather than whatever
 * python3 is first on PATH) against a real Ferry server; the client program is
 * test/clients/ferry_psycopg.py.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PROJECT_ROOT, startFerry, type FerryProcess } from '../support/ferry.js';
import { run } from './helpers.js';

let ferry: FerryProcess;

before(async () => {
  ferry = await startFerry();
});
after(async () => {
  await ferry.stop();
});

test('psycopg: parameters, SQLSTATE, COPY in and out, transactions, cancel', async () => {
  const r = await run(
    '/usr/bin/python3',
    [join(PROJECT_ROOT, 'test', 'clients', 'ferry_psycopg.py'), String(ferry.pgPort)],
    { timeoutMs: 45_000 },
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const lines = Object.fromEntries(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
  );
  assert.deepEqual(lines, {
    param: "[('one', Decimal('1.50'))]",
    error: '42P01',
    copyin: '2',
    copyout: '1\tone|2\ttwo|3\tthree|4\t\\N|',
    count: '4',
    cancel: '57014 True',
    after: 'alive',
  });
});
