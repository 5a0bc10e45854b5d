// test-needs: psql
/**
 * psql (libpq) against the wire layer: a third independent client implementation, with
 * TLS and SCRAM on. Skipped when psql is not installed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPgServer, type PgServer } from '../../src/wire/index.js';
import { configureLog, createLogger } from '../../src/log/index.js';
import { FakeCoordinator, testConfig } from './fake.js';

configureLog({ level: 'error' });
const run = promisify(execFile);

// psql is a test dependency (scripts/install-test-deps.sh installs it): no skip when missing.

const coord = new FakeCoordinator();
coord.addRole('alice', 's3cret');
let server: PgServer;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ferry-wire-psql-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
    ],
    {
      stdio: 'ignore',
    },
  );
  server = await startPgServer({
    config: testConfig({ auth: 'password', tlsCert: cert, tlsKey: key }),
    coordinator: coord,
    log: createLogger('test'),
  });
});

after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function conninfo(): string {
  return `host=127.0.0.1 port=${server.port} user=alice dbname=materialize sslmode=require`;
}
const env = { ...process.env, PGPASSWORD: 's3cret', PGCONNECT_TIMEOUT: '5' };

test('psql: query over TLS with SCRAM', async () => {
  const { stdout } = await run(
    'psql',
    ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', conninfo(), '-c', 'select series 3'],
    { env },
  );
  assert.equal(stdout, '1\n2\n3\n');
});

test('psql: errors show SQLSTATE, detail and hint', async () => {
  const err = await run('psql', ['-X', '-v', 'VERBOSITY=verbose', conninfo(), '-c', 'fail'], { env }).then(
    () => null,
    (e: { stderr: string }) => e.stderr,
  );
  assert.match(err ?? '', /ERROR: {2}22012: division by zero/);
  assert.match(err ?? '', /DETAIL: {2}some detail/);
  assert.match(err ?? '', /HINT: {2}some hint/);
});

test('psql: COPY FROM STDIN and TO STDOUT', async () => {
  const child = spawn('psql', ['-X', '-v', 'ON_ERROR_STOP=1', conninfo(), '-c', 'copy t from stdin'], { env });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stdin.end('7\tq\n8\tr\n');
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0);
  assert.equal(out.trim(), 'COPY 2');
  assert.equal(coord.last().copied, '7\tq\n8\tr\n');

  const { stdout } = await run('psql', ['-X', conninfo(), '-c', 'copy t to stdout'], { env });
  assert.equal(stdout, '1\ta\n2\tb\n3\t\\N\n');
});

test('psql: a wrong password is refused', async () => {
  const err = await run('psql', ['-X', conninfo(), '-c', 'select 1'], { env: { ...env, PGPASSWORD: 'nope' } }).then(
    () => null,
    (e: { stderr: string }) => e.stderr,
  );
  assert.match(err ?? '', /password authentication failed for user "alice"/);
});
