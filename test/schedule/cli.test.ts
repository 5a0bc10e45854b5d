// test-needs: psql
/**
 * External schedulers: `ferry export` (exit status per failure class, --json, plain
 * progress lines when not on a terminal) and the documented cron line `psql … -c "COPY …"`,
 * whose exit status is non-zero when the export fails.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { PROJECT_ROOT, startFerry, type FerryProcess } from '../support/ferry.js';

/** What `ferry export --json` prints when the statement succeeded. */
interface ExportDone {
  ok: boolean;
  command: string;
  rows: number;
  bytes: number;
  files: number;
  elapsed_ms: number;
}

/** What `ferry export --json` prints when it failed. */
interface ExportFailed {
  ok: boolean;
  exit_code: number;
  error: { code: string | null; message: unknown };
}
import { connect, tempDir } from './support.js';

let ferry: FerryProcess;
let client: pg.Client;
let dir: string;

before(async () => {
  dir = await tempDir('cli');
  ferry = await startFerry();
  client = await connect(ferry.url());
  await client.query('CREATE TABLE t (a int, b text)');
  await client.query("INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three')");
  await client.query('CREATE ROLE bob LOGIN');
});

after(async () => {
  await client?.end();
  await ferry?.stop();
});

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[]): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, PGCONNECT_TIMEOUT: '5' } }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : -1
        : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const ferryExport = (...args: string[]): Promise<Ran> =>
  run(process.execPath, [join(PROJECT_ROOT, 'bin', 'ferry.js'), 'export', ...args]);
const copy = (path: string, format = 'csv'): string => `COPY t TO 'file://${dir}/${path}' WITH (FORMAT = '${format}')`;

test('ferry export: success, plain progress lines, --json result', async () => {
  const plain = await ferryExport('--url', ferry.url(), '--sql', copy('plain'));
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(plain.stdout, 'COPY 3\n');
  // Not a terminal: one plain line per progress notice, no carriage returns.
  assert.match(plain.stderr, /^exported 3 rows, \d+ B, 1 files \(/m);
  assert.ok(!plain.stderr.includes('\r'));

  const json = await ferryExport('--url', ferry.url(), '--json', '--sql', copy('json'));
  assert.equal(json.code, 0, json.stderr);
  const result = JSON.parse(json.stdout) as ExportDone;
  assert.deepEqual(
    { ...result, bytes: result.bytes > 0, elapsed_ms: typeof result.elapsed_ms },
    { ok: true, command: 'COPY', rows: 3, bytes: true, files: 1, elapsed_ms: 'number' },
  );

  const file = join(dir, 'stmt.sql');
  await writeFile(file, copy('from-file') + ';\n');
  const fromFile = await ferryExport('--url', ferry.url(), '--file', file);
  assert.equal(fromFile.code, 0, fromFile.stderr);
  assert.equal(fromFile.stdout, 'COPY 3\n');
});

test('ferry export: exit status for each failure class, and the JSON error', async () => {
  const cases: [string, string[], number, string | null][] = [
    ['bad statement (42704)', ['--sql', `COPY nope TO 'file://${dir}/x' WITH (FORMAT = 'csv')`], 2, '42704'],
    ['not supported (0A000)', ['--sql', copy('text', 'text')], 2, '0A000'],
    ['syntax (42601)', ['--sql', 'COPY t TO'], 2, '42601'],
    ['permission (42501)', ['--url', ferry.url('bob'), '--sql', copy('bob')], 3, '42501'],
    ['unknown role (28000)', ['--url', ferry.url('nobody'), '--sql', copy('nobody')], 3, '28000'],
    ['storage: path not empty (55000)', ['--sql', copy('plain')], 4, '55000'],
    ['cannot connect', ['--url', 'postgres://materialize@127.0.0.1:1/materialize', '--sql', copy('never')], 5, null],
  ];
  for (const [label, args, exit, sqlstate] of cases) {
    const withUrl = args.includes('--url') ? args : ['--url', ferry.url(), ...args];
    const r = await ferryExport(...withUrl, '--json');
    assert.equal(r.code, exit, `${label}: ${r.stdout}${r.stderr}`);
    const out = JSON.parse(r.stdout) as ExportFailed;
    assert.equal(out.ok, false, label);
    assert.equal(out.exit_code, exit, label);
    assert.equal(out.error.code, sqlstate, label);
    assert.equal(typeof out.error.message, 'string', label);
  }
  // Without --json the error goes to stderr as psql would print it.
  const r = await ferryExport('--url', ferry.url(), '--sql', copy('plain'));
  assert.equal(r.code, 4);
  assert.match(r.stderr, /^ferry export: ERROR 55000: S3 bucket path is not empty/);
  // A command line without a statement is the caller's mistake too.
  assert.equal((await ferryExport('--url', ferry.url())).code, 2);
});

test('ferry export runs EXECUTE EXPORT too', async () => {
  await client.query(
    `CREATE EXPORT nightly REFRESH CRON '0 3 * * *' AS COPY t TO 'file://${dir}/nightly/' || to_char(now(), 'YYYYMMDD-HH24MISS') WITH (FORMAT = 'csv')`,
  );
  const r = await ferryExport('--url', ferry.url(), '--json', '--sql', 'EXECUTE EXPORT nightly');
  assert.equal(r.code, 0, r.stderr);
  const done = JSON.parse(r.stdout) as ExportDone;
  assert.deepEqual([done.command, done.rows], ['COPY', 3]);
  await client.query('DROP EXPORT nightly');
});

// psql is a test dependency (scripts/install-test-deps.sh installs it): no skip when missing.

test('the cron line of docs/scheduling.md: psql -c "COPY …" exits non-zero when the export fails', async () => {
  // What cron runs: /bin/sh -c '<command>'. Same target twice: the second finds the path not empty.
  const line = `psql "${ferry.url()}" -v ON_ERROR_STOP=1 -q -c "COPY t TO 'file://${dir}/cron' WITH (FORMAT = 'csv')"`;
  const ok = await run('/bin/sh', ['-c', line]);
  assert.equal(ok.code, 0, ok.stderr);
  const failed = await run('/bin/sh', ['-c', line]);
  assert.notEqual(failed.code, 0);
  assert.match(failed.stderr, /S3 bucket path is not empty|not empty/);
  // And with the ferry verb in the same place, the exit status tells the class.
  const viaFerry = await run('/bin/sh', [
    '-c',
    `${process.execPath} ${join(PROJECT_ROOT, 'bin', 'ferry.js')} export --url "${ferry.url()}" --sql "COPY t TO 'file://${dir}/cron' WITH (FORMAT = 'csv')"`,
  ]);
  assert.equal(viaFerry.code, 4);
});
