// The engine's confinement on its own, below the front end: a raw DuckDB connection of an
// Engine (what a front-end bug would hand a user) cannot read or write a file outside the
// engine's private directory, reach the network, load an extension or undo any of that,
// while Ferry's own uses (named pipes and files in that directory, spilling) keep working.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ENGINE_IO_DIR, Engine } from '../../src/engine/index.js';

let dataDir: string;
let outside: string;
let engine: Engine;
let conn: DuckDBConnection;

before(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'ferry-confine-'));
  outside = await mkdtemp(path.join(os.tmpdir(), 'ferry-outside-'));
  writeFileSync(path.join(dataDir, 'secrets.key'), 'not-a-real-key\n', { mode: 0o600 });
  writeFileSync(path.join(outside, 'victim.csv'), 'a,b\n1,2\n');
  // A directory left with a wider mode is narrowed at open.
  mkdirSync(path.join(dataDir, ENGINE_IO_DIR), { mode: 0o755 });
  engine = await Engine.open({ dataDir, memoryLimit: '64MB', threads: 2 });
  conn = await engine.instance.connect(); // the raw connection: no session settings needed
});

after(async () => {
  conn?.closeSync();
  engine?.close();
  await rm(dataDir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

async function refused(sql: string, pattern: RegExp): Promise<void> {
  await assert.rejects(conn.run(sql), (err: Error) => {
    assert.match(err.message, pattern, sql);
    return true;
  });
}

const FS_OFF = /file system operations are disabled by configuration|disabled by configuration/;

test('the private directory is <data dir>/engine-io, mode 0700, and spills go there', () => {
  assert.equal(engine.ioDir, path.join(dataDir, ENGINE_IO_DIR));
  assert.equal(statSync(engine.ioDir).mode & 0o777, 0o700);
});

test('no file outside the private directory can be read, in any spelling', async () => {
  const key = path.join(dataDir, 'secrets.key');
  const victim = path.join(outside, 'victim.csv');
  for (const sql of [
    `SELECT * FROM read_text('/etc/passwd')`,
    `SELECT * FROM read_blob('${key}')`,
    `SELECT * FROM read_text('${engine.ioDir}/../secrets.key')`,
    `SELECT * FROM read_blob('${dataDir}/*')`,
    `SELECT * FROM read_csv('${victim}')`,
    `SELECT * FROM read_parquet('${outside}/victim.csv')`,
    `SELECT * FROM read_json('${victim}')`,
    `SELECT * FROM glob('/tmp/*')`,
    `SELECT * FROM sniff_csv('${victim}')`,
    `SELECT * FROM '${victim}'`,
  ])
    await refused(sql, FS_OFF);
});

test('nothing can be written outside it: COPY, ATTACH, EXPORT DATABASE, profiling output', async () => {
  await refused(`COPY (SELECT 1) TO '${outside}/out.csv'`, FS_OFF);
  await refused(`COPY (SELECT 1) TO '${engine.ioDir}/../escape.csv'`, FS_OFF);
  await refused(`ATTACH '${outside}/other.duckdb' AS other`, FS_OFF);
  await refused(`EXPORT DATABASE '${outside}/dump'`, FS_OFF);
  // Profiling output goes nowhere outside either. (File logging is not tried here: DuckDB
  // accepts enable_logging(storage := 'file') and then fails every statement, so only the
  // front end's allow-list keeps it away; test/security covers that refusal.)
  await conn.run(`PRAGMA enable_profiling = 'json'`).catch(() => undefined);
  await conn.run(`PRAGMA profiling_output = '${outside}/profile.json'`).catch(() => undefined);
  await conn.run('SELECT 42').catch(() => undefined);
  await conn.run('PRAGMA disable_profiling').catch(() => undefined);
  assert.deepEqual((await readdir(outside)).sort(), ['victim.csv']);
  const inData = (await readdir(dataDir)).filter((f) => f !== 'materialize.duckdb.wal');
  assert.deepEqual(inData.sort(), [ENGINE_IO_DIR, 'materialize.duckdb', 'secrets.key'].sort());
});

test('no network and no extension: URLs, INSTALL, LOAD, secrets that need httpfs', async () => {
  await refused(`SELECT * FROM read_text('http://127.0.0.1:1/x')`, FS_OFF);
  await refused(`SELECT * FROM read_csv('s3://bucket/key.csv')`, FS_OFF);
  await refused('INSTALL httpfs', /disabled by configuration/);
  await refused('LOAD httpfs', /disabled through configuration|disabled by configuration/);
  await assert.rejects(conn.run(`CREATE PERSISTENT SECRET s (TYPE s3, KEY_ID 'k', SECRET 'v')`));
});

test('the confinement cannot be undone at run time', async () => {
  await refused('SET enable_external_access = true', /locked|Cannot enable external access/);
  await refused(`SET allowed_directories = ['/']`, /locked|Cannot change allowed_directories/);
  const locked = /the configuration has been locked/;
  await refused(`SET temp_directory = '${outside}'`, locked);
  await refused('SET autoload_known_extensions = true', locked);
  await refused(`SET memory_limit = '1TB'`, locked);
  await refused('SET threads = 64', locked);
  await refused('SET lock_configuration = false', locked);
  // A connection's search_path is the one setting left to change (Ferry sets it per connection).
  await conn.run(`SET search_path = 'main'`);
  const r = await conn.runAndReadAll(
    `SELECT name, value FROM duckdb_settings()
      WHERE name IN ('enable_external_access', 'autoload_known_extensions', 'autoinstall_known_extensions',
                     'lock_configuration', 'TimeZone', 'integer_division') ORDER BY name`,
  );
  assert.deepEqual(r.getRowsJS(), [
    ['TimeZone', 'UTC'],
    ['autoinstall_known_extensions', 'false'],
    ['autoload_known_extensions', 'false'],
    ['enable_external_access', 'false'],
    ['integer_division', 'true'],
    ['lock_configuration', 'true'],
  ]);
});

test('Ferry’s own uses keep working: CSV and Parquet in the private directory, and spilling', async () => {
  const csv = path.join(engine.ioDir, 'probe.csv');
  const pq = path.join(engine.ioDir, 'probe.parquet');
  await conn.run(`COPY (SELECT 1 AS a, 'x' AS b) TO '${csv}' (FORMAT csv)`);
  await conn.run(`COPY (SELECT range AS i FROM range(1000)) TO '${pq}' (FORMAT parquet)`);
  const back = await conn.runAndReadAll(`SELECT count(*)::INTEGER FROM read_parquet('${pq}')`);
  assert.deepEqual(back.getRowsJS(), [[1000]]);
  assert.ok(existsSync(csv));
  // A sort far larger than the 64 MB memory limit must spill to <engine-io>/spill.
  const big = await conn.runAndReadAll(
    `SELECT count(*)::INTEGER FROM (SELECT range AS r, md5(range::VARCHAR) AS m FROM range(4000000) ORDER BY m DESC) s`,
  );
  assert.deepEqual(big.getRowsJS(), [[4000000]]);
  await rm(csv);
  await rm(pq);
});
