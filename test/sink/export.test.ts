// test-needs: local-s3
/**
 * runExport against the local RGW as a least-privilege user (s3env.ts): CSV byte for byte, Parquet read back by DuckDB and hyparquet, splitting,
 * sentinel, empty results, preflight errors, numeric errors, file:// targets and the
 * Beyond options. Faults and cancellation are in faults.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import fs from 'node:fs/promises';
import path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { DuckDBConnection } from '@duckdb/node-api';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { planCopyToOptions, runExport, type ExportRequest, type RawCopyOption } from '../../src/sink/index.js';
import { SqlError } from '../../src/errors/index.js';
import {
  duck,
  freshPrefix,
  getObject,
  listKeys,
  multipartUploads,
  openExportPipes,
  s3env,
  DUCK_IO_DIR,
  consumerDuck,
  tempDir,
  type S3Env,
} from './s3env.js';

let env: S3Env;
let conn: DuckDBConnection;
before(async () => {
  env = await s3env();
  env.faults.reset();
  conn = await duck();
});
after(async () => {
  await env.aws.cleanup();
});

const s = (name: string, text: string): RawCopyOption => ({ name, value: { kind: 'string', text } });
const bare = (name: string): RawCopyOption => ({ name, value: { kind: 'none', text: '' } });

async function exportTo(prefix: string, query: string, opts: RawCopyOption[], extra: Partial<ExportRequest> = {}) {
  return runExport({
    exportId: 't7',
    conn,
    ioDir: DUCK_IO_DIR,
    query,
    options: planCopyToOptions(opts, 's3'),
    target: { kind: 's3', bucket: env.bucket, prefix, client: env.client },
    ...extra,
  });
}

/** One row of every type CSV supports, and its expected line (docs/formats.md, psql output). */
const EVERY_TYPE = `SELECT
  [1, 2] AS list, false AS bool, 'Infinity'::DOUBLE AS f8, '{"s": "abc"}'::JSON AS j, 1::DECIMAL(38,10) AS num,
  32767::SMALLINT AS i2, 83647 AS i4, 9223372036854775807 AS i8, 65535::USMALLINT AS u2, 4294967295::UINTEGER AS u4,
  18446744073709551615::UBIGINT AS u8, 1.25::DECIMAL(10,2) AS n2, 1.5::FLOAT AS f4, 'NaN'::DOUBLE AS nan, 1e20::DOUBLE AS big,
  'a,b "c"' AS txt, '' AS empty, NULL::INTEGER AS nul, 'x\ny' AS nl, 'ünï 😀' AS uni, '\\x5CxAAAA'::BLOB AS bytes,
  '2010-10-10'::DATE AS d, '10:10:10'::TIME AS t, '2010-10-10 10:10:10'::TIMESTAMP AS ts,
  '2010-10-10 10:10:10+02'::TIMESTAMPTZ AS tstz, INTERVAL '0 seconds' AS iv, INTERVAL '1 day 2 hours' AS iv2,
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID AS u, MAP {'k': 'v w'} AS m, ['a b', NULL] AS l2, 'back\\slash' AS bs`;
const EVERY_TYPE_LINE =
  '"{1,2}",f,Infinity,"{""s"":""abc""}",1,32767,83647,9223372036854775807,65535,4294967295,18446744073709551615,' +
  '1.25,1.5,NaN,1e+20,"a,b ""c""","",,"x\ny",ünï 😀,\\x5c7841414141,2010-10-10,10:10:10,2010-10-10 10:10:10,' +
  '2010-10-10 08:10:10+00,00:00:00,1 day 02:00:00,a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,"{k=>""v w""}","{""a b"",NULL}",back\\slash\n';

test('CSV: one row of every type, byte for byte, with a header', async () => {
  const prefix = freshPrefix(env, 'csv-types');
  const r = await exportTo(prefix, EVERY_TYPE, [s('FORMAT', 'csv'), bare('HEADER')]);
  assert.equal(r.rows, 1);
  assert.deepEqual(
    r.files.map((f) => f.key),
    [`${prefix}/mz-t7-batch-0000-0000.csv`],
  );
  const body = (await getObject(env, r.files[0]!.key)).toString('utf8');
  const header =
    'list,bool,f8,j,num,i2,i4,i8,u2,u4,u8,n2,f4,nan,big,txt,empty,nul,nl,uni,bytes,d,t,ts,tstz,iv,iv2,u,m,l2,bs\n';
  assert.equal(body, header + EVERY_TYPE_LINE);
  assert.equal(r.files[0]!.bytes, Buffer.byteLength(body));
  // The sentinel is gone, only the data file remains.
  assert.deepEqual(await listKeys(env, prefix + '/'), [r.files[0]!.key]);
});

test('CSV: DELIMITER, QUOTE and NULL options (docs/formats.md example)', async () => {
  const prefix = freshPrefix(env, 'csv-opts');
  const q = `SELECT [1, 2] AS a, 83647 AS b, '{"s":"ab\`c"}'::JSON AS c, '2010-10-10 10:10:10'::TIMESTAMP AS d, NULL AS e, 'NULL' AS f`;
  const r = await exportTo(prefix, q, [s('FORMAT', 'csv'), s('DELIMITER', ';'), s('QUOTE', '`'), s('NULL', 'NULL')]);
  const body = (await getObject(env, r.files[0]!.key)).toString('utf8');
  assert.equal(body, '{1,2};83647;`{"s":"ab``c"}`;2010-10-10 10:10:10;NULL;`NULL`\n');
  const prefix2 = freshPrefix(env, 'csv-escape');
  const r2 = await exportTo(prefix2, `SELECT 'a"b\\c' AS x, '\\.' AS y`, [s('FORMAT', 'csv'), s('ESCAPE', '\\')]);
  assert.equal((await getObject(env, r2.files[0]!.key)).toString(), '"a\\"b\\\\c",\\.\n');
  const prefix3 = freshPrefix(env, 'csv-single');
  const r3 = await exportTo(prefix3, `SELECT '\\.' AS y`, [s('FORMAT', 'csv')]);
  assert.equal((await getObject(env, r3.files[0]!.key)).toString(), '"\\."\n');
});

test('empty results still write exactly one file', async () => {
  const p1 = freshPrefix(env, 'empty-csv');
  const r1 = await exportTo(p1, 'SELECT 1 AS a WHERE false', [s('FORMAT', 'csv'), bare('HEADER')]);
  assert.equal(r1.rows, 0);
  assert.deepEqual(await listKeys(env, p1 + '/'), [`${p1}/mz-t7-batch-0000-0000.csv`]);
  assert.equal((await getObject(env, r1.files[0]!.key)).toString(), 'a\n');
  const p2 = freshPrefix(env, 'empty-csv-nohdr');
  const r2 = await exportTo(p2, 'SELECT 1 AS a WHERE false', [s('FORMAT', 'csv')]);
  assert.equal((await getObject(env, r2.files[0]!.key)).length, 0);
  const p3 = freshPrefix(env, 'empty-parquet');
  const r3 = await exportTo(p3, 'SELECT 1 AS a, 2.5::DECIMAL(10,1) AS b WHERE false', [s('FORMAT', 'parquet')]);
  assert.deepEqual(await listKeys(env, p3 + '/'), [`${p3}/mz-t7-batch-0000-0000.parquet`]);
  const buf = await getObject(env, r3.files[0]!.key);
  const md = parquetMetadata(toArrayBuffer(buf));
  assert.equal(Number(md.num_rows), 0);
  assert.deepEqual(
    md.schema.slice(1).map((e) => e.name),
    ['a', 'b'],
  );
});

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer;
}

const PARQUET_TYPES = `SELECT
  true AS bool, (-5)::TINYINT AS i1, 32767::SMALLINT AS i2, 83647 AS i4, 9223372036854775807 AS i8,
  65535::USMALLINT AS u2, 4294967295::UINTEGER AS u4, 18446744073709551615::UBIGINT AS u8,
  1.5::FLOAT AS f4, 2.25::DOUBLE AS f8, 1234::DECIMAL(38,10) AS num, 1.25::DECIMAL(10,2) AS n2, 12345::HUGEINT AS huge,
  'ünï' AS txt, '\\xDE\\xAD'::BLOB AS bytes, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID AS u, '{"s": "abc"}'::JSON AS j,
  '2010-10-10'::DATE AS d, '10:10:10.5'::TIME AS t, '2010-10-10 10:10:10'::TIMESTAMP AS ts,
  '2010-10-10 10:10:10+02'::TIMESTAMPTZ AS tstz, '2010-10-10 10:10:10.123'::TIMESTAMP_MS AS tsms,
  [1, NULL, 3] AS l, MAP {'k': 1.5::DECIMAL(10,1)} AS m, [1, 2]::INTEGER[2] AS arr, 1 AS dup, 2 AS dup`;

test('Parquet: every mapped type, read back by DuckDB and hyparquet with docs/formats.md types', async () => {
  const prefix = freshPrefix(env, 'parquet-types');
  const r = await exportTo(prefix, PARQUET_TYPES, [s('FORMAT', 'parquet')]);
  assert.equal(r.rows, 1);
  const buf = await getObject(env, r.files[0]!.key);
  assert.equal(buf.subarray(0, 4).toString(), 'PAR1');
  const md = parquetMetadata(toArrayBuffer(buf));
  const el = (name: string) => {
    const e = md.schema.find((x) => x.name === name);
    assert.ok(e, name);
    return e;
  };
  const expect: Record<string, [string | undefined, string | undefined]> = {
    bool: ['BOOLEAN', undefined],
    i1: ['INT32', 'INT_16'],
    i2: ['INT32', 'INT_16'],
    i4: ['INT32', 'INT_32'],
    i8: ['INT64', 'INT_64'],
    u2: ['INT32', 'UINT_16'],
    u4: ['INT32', 'UINT_32'],
    u8: ['INT64', 'UINT_64'],
    f4: ['FLOAT', undefined],
    f8: ['DOUBLE', undefined],
    num: ['FIXED_LEN_BYTE_ARRAY', 'DECIMAL'],
    n2: ['FIXED_LEN_BYTE_ARRAY', 'DECIMAL'],
    huge: ['FIXED_LEN_BYTE_ARRAY', 'DECIMAL'],
    txt: ['BYTE_ARRAY', 'UTF8'],
    bytes: ['BYTE_ARRAY', undefined],
    u: ['FIXED_LEN_BYTE_ARRAY', undefined],
    j: ['BYTE_ARRAY', 'JSON'],
    d: ['INT32', 'DATE'],
    t: ['INT64', 'TIME_MICROS'],
    ts: ['INT64', 'TIMESTAMP_MICROS'],
    tstz: ['INT64', 'TIMESTAMP_MICROS'],
    tsms: ['INT64', 'TIMESTAMP_MICROS'],
    dup: ['INT32', 'INT_32'],
    dup2: ['INT32', 'INT_32'],
  };
  for (const [name, [type, conv]] of Object.entries(expect)) {
    assert.equal(el(name).type, type, `${name} physical type`);
    assert.equal(el(name).converted_type, conv, `${name} converted type`);
  }
  for (const name of ['num', 'n2', 'huge']) {
    assert.equal(el(name).type_length, 16);
    assert.equal(el(name).precision, 38);
  }
  assert.equal(el('num').scale, 10);
  assert.equal(el('n2').scale, 2);
  assert.equal(el('huge').scale, 0);
  assert.equal(el('u').logical_type?.type, 'UUID');
  assert.deepEqual(el('ts').logical_type, { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' });
  assert.deepEqual(el('tstz').logical_type, { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' });
  assert.equal(el('l').converted_type, 'LIST');
  assert.equal(el('arr').converted_type, 'LIST');
  assert.equal(el('m').converted_type, 'MAP');
  // Version 1 data pages, Snappy.
  for (const rg of md.row_groups) {
    for (const c of rg.columns) assert.equal(c.meta_data?.codec, 'SNAPPY');
  }

  const [row] = (await parquetReadObjects({ file: toArrayBuffer(buf) })) as Record<string, unknown>[];
  assert.ok(row);
  assert.equal(row.bool, true);
  assert.equal(row.i1, -5);
  assert.equal(row.i8, 9223372036854775807n);
  assert.equal(row.u8, 18446744073709551615n);
  assert.equal(row.num, 1234);
  assert.equal(row.txt, 'ünï');
  assert.equal(row.u, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11');
  assert.deepEqual(row.j, { s: 'abc' });
  assert.equal((row.ts as Date).toISOString(), '2010-10-10T10:10:10.000Z');
  assert.equal((row.tstz as Date).toISOString(), '2010-10-10T08:10:10.000Z');
  assert.deepEqual(row.l, [1, null, 3]);
  assert.deepEqual(row.arr, [1, 2]);
  assert.deepEqual(row.m, { k: 1.5 });

  // DuckDB reads it back as the same values (numeric rescaled to the column scale).
  const dir = await tempDir('pq');
  const file = path.join(dir, 'f.parquet');
  await fs.writeFile(file, buf);
  const back = await (
    await consumerDuck()
  ).runAndReadAll(
    `SELECT num::VARCHAR, huge::VARCHAR, tstz::VARCHAR, bytes::VARCHAR, j::VARCHAR, typeof(j), typeof(u), m::VARCHAR, typeof(tsms) FROM '${file}'`,
  );
  assert.deepEqual(back.getRowsJS()[0], [
    '1234.0000000000',
    '12345',
    '2010-10-10 08:10:10+00',
    '\\xDE\\xAD',
    '{"s":"abc"}',
    'JSON',
    'UUID',
    '{k=1.5}',
    'TIMESTAMP',
  ]);
  await fs.rm(dir, { recursive: true });
});

test('Parquet: numeric out of range fails with docs/formats.md text, sentinel left, no uploads', async () => {
  const prefix = freshPrefix(env, 'numeric-range');
  await assert.rejects(
    exportTo(prefix, `SELECT CAST('1' || repeat('0', 38) AS HUGEINT) AS h`, [s('FORMAT', 'parquet')]),
    (e: unknown) =>
      e instanceof SqlError &&
      e.message === 'Decimal value 100000000000000000000000000000000000000 out of range for column with precision 38' &&
      /mz-t7-INCOMPLETE/.test(e.hint ?? ''),
  );
  assert.deepEqual(await listKeys(env, prefix + '/'), [`${prefix}/mz-t7-INCOMPLETE`]);
  assert.deepEqual(await multipartUploads(env, prefix + '/'), []);
});

test('preflight: a non-empty path is refused and nothing is written', async () => {
  const prefix = freshPrefix(env, 'nonempty');
  await env.admin.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${prefix}/other.txt`, Body: 'x' }));
  await env.admin.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${prefix}/sub/more.txt`, Body: 'x' }));
  // A sibling sharing the prefix without the slash does not count (docs/exports.md "What is written" 1.1).
  await env.admin.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${prefix}_5/x`, Body: 'x' }));
  await assert.rejects(exportTo(prefix, 'SELECT 1', [s('FORMAT', 'csv')]), {
    message: 'S3 bucket path is not empty, contains 2 objects',
  });
  assert.deepEqual(await listKeys(env, prefix + '/'), [`${prefix}/other.txt`, `${prefix}/sub/more.txt`]);
  const ok = await exportTo(`${prefix}_5/y`, 'SELECT 1', [s('FORMAT', 'csv')]);
  assert.equal(ok.rows, 1);
});

test('the sentinel exists while the export runs and is removed last', async () => {
  const prefix = freshPrefix(env, 'sentinel');
  const seen: Promise<string[]>[] = [];
  await exportTo(prefix, 'SELECT i, md5(i::VARCHAR) AS m FROM generate_series(0, 299999) t(i)', [s('FORMAT', 'csv')], {
    progressIntervalMs: 0,
    onProgress: () => {
      if (seen.length < 2) seen.push(listKeys(env, prefix + '/'));
    },
  });
  const during = await Promise.all(seen);
  assert.ok(during.length > 0);
  for (const keys of during) assert.ok(keys.includes(`${prefix}/mz-t7-INCOMPLETE`), keys.join());
  assert.ok(!(await listKeys(env, prefix + '/')).includes(`${prefix}/mz-t7-INCOMPLETE`));
});

test('1,000,000 rows, MAX FILE SIZE 16MB: CSV split exactly, HEADER in every file', async () => {
  const prefix = freshPrefix(env, 'split-csv');
  const max = 16 * 1024 * 1024;
  const r = await exportTo(
    prefix,
    'SELECT i, md5(i::VARCHAR) AS m, md5((i * 7)::VARCHAR) AS n FROM generate_series(0, 999999) t(i)',
    [s('FORMAT', 'csv'), s('MAX FILE SIZE', '16MB'), bare('HEADER')],
  );
  assert.equal(r.rows, 1_000_000);
  assert.ok(r.files.length >= 5, `files: ${r.files.length}`);
  let rows = 0;
  const seen = new Set<number>(); // in any order, but each row once
  for (const [i, f] of r.files.entries()) {
    assert.equal(f.key, `${prefix}/mz-t7-batch-0000-${String(i).padStart(4, '0')}.csv`);
    const body = await getObject(env, f.key);
    assert.equal(body.length, f.bytes);
    assert.ok(f.bytes <= max, `${f.key} is ${f.bytes} bytes`);
    const text = body.toString();
    assert.ok(text.startsWith('i,m,n\n'));
    const lines = text.split('\n');
    assert.equal(lines.at(-1), '');
    for (const l of lines.slice(1, -1)) seen.add(Number(l.slice(0, l.indexOf(','))));
    rows += lines.length - 2;
    assert.equal(lines.length - 2, f.rows);
    // Exact split: the next row (at most 79 bytes) would not have fit.
    if (i < r.files.length - 1) assert.ok(f.bytes > max - 80, `${f.key} closed early at ${f.bytes}`);
  }
  assert.equal(rows, 1_000_000);
  assert.equal(seen.size, 1_000_000);
});

test('MAX FILE SIZE 16MB: Parquet files overshoot by at most one row group', async () => {
  const prefix = freshPrefix(env, 'split-parquet');
  const max = 16 * 1024 * 1024;
  const r = await exportTo(
    prefix,
    'SELECT i, md5(i::VARCHAR) || md5((i + 1)::VARCHAR) AS m FROM generate_series(0, 999999) t(i)',
    [s('FORMAT', 'parquet'), s('MAX FILE SIZE', '16MB')],
  );
  assert.equal(r.rows, 1_000_000);
  assert.ok(r.files.length >= 2, `files: ${r.files.length}`);
  let rows = 0;
  for (const [i, f] of r.files.entries()) {
    assert.equal(f.key, `${prefix}/mz-t7-batch-0000-${String(i).padStart(4, '0')}.parquet`);
    const buf = await getObject(env, f.key);
    const md = parquetMetadata(toArrayBuffer(buf));
    assert.equal(Number(md.num_rows), f.rows);
    rows += f.rows;
    const groups = md.row_groups.map((g) => Number(g.total_compressed_size ?? g.total_byte_size));
    const largest = Math.max(...groups);
    assert.ok(f.bytes <= max + largest + 64 * 1024, `${f.key}: ${f.bytes} bytes, largest row group ${largest}`);
    if (i < r.files.length - 1) assert.ok(f.bytes >= max - largest, `${f.key} closed early at ${f.bytes}`);
  }
  assert.equal(rows, 1_000_000);
});

test('file:// target: same names, sentinel removed, non-empty refused', async () => {
  const dir = await tempDir('filetarget');
  const run = () =>
    runExport({
      exportId: 't9',
      conn,
      ioDir: DUCK_IO_DIR,
      query: `SELECT 1 AS a, 'x' AS b`,
      options: planCopyToOptions([s('FORMAT', 'csv')], 'file'),
      target: { kind: 'file', dir },
    });
  const r = await run();
  assert.deepEqual(
    r.files.map((f) => f.key),
    ['mz-t9-batch-0000-0000.csv'],
  );
  assert.deepEqual(await fs.readdir(dir), ['mz-t9-batch-0000-0000.csv']);
  assert.equal(await fs.readFile(path.join(dir, 'mz-t9-batch-0000-0000.csv'), 'utf8'), '1,x\n');
  await assert.rejects(run(), { message: 'S3 bucket path is not empty, contains 1 objects' });
  const dir2 = await tempDir('filetarget-pq');
  const r2 = await runExport({
    exportId: 't10',
    conn,
    ioDir: DUCK_IO_DIR,
    query: 'SELECT range AS i FROM generate_series(0, 4) AS g(range)',
    options: planCopyToOptions([s('FORMAT', 'parquet')], 'file'),
    target: { kind: 'file', dir: dir2 },
  });
  assert.equal(r2.rows, 5);
  const back = await (
    await consumerDuck()
  ).runAndReadAll(`SELECT count(*)::INTEGER FROM '${path.join(dir2, r2.files[0]!.key)}'`);
  assert.equal(back.getRowsJS()[0]![0], 5);
  await fs.rm(dir, { recursive: true });
  await fs.rm(dir2, { recursive: true });
});

test('Beyond: MANIFEST lists every file with rows, bytes and sha256', async () => {
  const prefix = freshPrefix(env, 'manifest');
  const r = await exportTo(prefix, 'SELECT range AS i FROM generate_series(0, 9) AS g(range)', [
    s('FORMAT', 'csv'),
    bare('MANIFEST'),
  ]);
  assert.equal(r.manifestKey, `${prefix}/mz-t7-manifest.json`);
  const m = JSON.parse((await getObject(env, r.manifestKey)).toString()) as {
    rows: number;
    files: { key: string; sha256: string; bytes: number }[];
  };
  assert.equal(m.rows, 10);
  const { createHash } = await import('node:crypto');
  const body = await getObject(env, m.files[0]!.key);
  assert.equal(m.files[0]!.sha256, createHash('sha256').update(body).digest('hex'));
  assert.equal(m.files[0]!.bytes, body.length);
});

test('Beyond: OVERWRITE clears only mz-* export objects', async () => {
  const prefix = freshPrefix(env, 'overwrite');
  await exportTo(prefix, 'SELECT 1 AS a', [s('FORMAT', 'csv')], { exportId: 't1' });
  await env.admin.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${prefix}/mz-t1-INCOMPLETE`, Body: '' }));
  const r = await exportTo(prefix, 'SELECT 2 AS a', [s('FORMAT', 'csv'), bare('OVERWRITE')], { exportId: 't2' });
  assert.deepEqual(await listKeys(env, prefix + '/'), [r.files[0]!.key]);
  await env.admin.send(new PutObjectCommand({ Bucket: env.bucket, Key: `${prefix}/notes.txt`, Body: 'x' }));
  await assert.rejects(exportTo(prefix, 'SELECT 3 AS a', [s('FORMAT', 'csv'), bare('OVERWRITE')], { exportId: 't3' }), {
    message: 'S3 bucket path is not empty, contains 2 objects',
  });
});

test('Beyond: PARTITION BY writes Hive-style folders without the partition column', async () => {
  const prefix = freshPrefix(env, 'partition');
  const r = await exportTo(
    prefix,
    `SELECT i, CASE WHEN i < 2 THEN 'a b' WHEN i < 4 THEN NULL ELSE 'c/d' END AS p FROM generate_series(0, 5) t(i)`,
    [s('FORMAT', 'csv'), s('PARTITION BY', 'p')],
  );
  assert.equal(r.rows, 6);
  assert.deepEqual(
    r.files.map((f) => f.key),
    [
      `${prefix}/p=__HIVE_DEFAULT_PARTITION__/mz-t7-batch-0000-0000.csv`,
      `${prefix}/p=a b/mz-t7-batch-0001-0000.csv`,
      `${prefix}/p=c%2Fd/mz-t7-batch-0002-0000.csv`,
    ],
  );
  assert.equal((await getObject(env, r.files[1]!.key)).toString(), '0\n1\n');
});

test('Beyond: COMPRESSION gzip for CSV, zstd for Parquet', async () => {
  const p1 = freshPrefix(env, 'gzip');
  const r1 = await exportTo(p1, 'SELECT range AS i FROM generate_series(0, 2) AS g(range)', [
    s('FORMAT', 'csv'),
    s('COMPRESSION', 'gzip'),
  ]);
  assert.equal(r1.files[0]!.key, `${p1}/mz-t7-batch-0000-0000.csv.gz`);
  assert.equal(gunzipSync(await getObject(env, r1.files[0]!.key)).toString(), '0\n1\n2\n');
  const p2 = freshPrefix(env, 'zstd');
  const r2 = await exportTo(p2, 'SELECT range AS i FROM generate_series(0, 2) AS g(range)', [
    s('FORMAT', 'parquet'),
    s('COMPRESSION', 'zstd'),
  ]);
  const md = parquetMetadata(toArrayBuffer(await getObject(env, r2.files[0]!.key)));
  assert.equal(md.row_groups[0]!.columns[0]!.meta_data?.codec, 'ZSTD');
});

test('no export leaves a pipe open in this process', async () => {
  // Pipes close as the statement ends; give a just-destroyed socket a turn to close its fd.
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(await openExportPipes(), []);
});
