/** COPY TO option planning: every error text of checks 1, 2, 3, 7, 8 and 10 of docs/exports.md. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DuckDBInstance } from '@duckdb/node-api';
import { planCopyToOptions, NODE_HAS_ZSTD, type RawCopyOption } from '../../src/sink/options.js';
import { checkParquetColumns, dedupeColumnNames } from '../../src/sink/columns.js';
import { SqlError } from '../../src/errors/index.js';

const str = (name: string, text: string): RawCopyOption => ({ name, value: { kind: 'string', text } });
const ident = (name: string, text: string): RawCopyOption => ({ name, value: { kind: 'ident', text } });
const num = (name: string, text: string): RawCopyOption => ({ name, value: { kind: 'number', text } });
const bare = (name: string): RawCopyOption => ({ name, value: { kind: 'none', text: '' } });
const csv = str('FORMAT', 'csv');

function rejects(opts: RawCopyOption[], code: string, message: string): void {
  assert.throws(
    () => planCopyToOptions(opts, 's3'),
    (e: unknown) => e instanceof SqlError && e.code === code && e.message === message,
    message,
  );
}

test('defaults', () => {
  const o = planCopyToOptions([ident('FORMAT', 'CSV'), ident('AWS CONNECTION', 'conn')], 's3');
  assert.deepEqual(o, {
    format: 'csv',
    maxFileSize: 256 * 1024 * 1024,
    awsConnection: 'conn',
    csv: { header: false, delimiter: ',', quote: '"', escape: '"', null: '' },
    compression: 'none',
    manifest: false,
    partitionBy: [],
    overwrite: false,
  });
  assert.equal(planCopyToOptions([str('FORMAT', 'Parquet')], 'file').compression, 'snappy');
});

test('check 1: duplicates and unconvertible values', () => {
  rejects([csv, str('FORMAT', 'csv')], '42601', 'FORMAT specified more than once');
  rejects([csv, bare('HEADER'), bare('HEADER')], '42601', 'HEADER specified more than once');
  rejects([csv, str('HEADER', 'maybe')], '22023', 'invalid HEADER: cannot use "maybe" as a boolean');
  rejects(
    [csv, str('MAX FILE SIZE', '3 mb')],
    '22023',
    'invalid MAX FILE SIZE: unknown unit "mb" in "3 mb" (expected B, kB, MB, GB or TB)',
  );
  rejects([csv, str('MAX FILE SIZE', 'lots')], '22023', 'invalid MAX FILE SIZE: cannot parse "lots" as a byte size');
  // conversion errors come before format errors (check 1 before check 2)
  rejects([str('FORMAT', 'xml'), str('HEADER', 'maybe')], '22023', 'invalid HEADER: cannot use "maybe" as a boolean');
});

test('check 2 and 3: FORMAT', () => {
  rejects([str('FORMAT', 'xml')], '22023', 'unknown FORMAT: xml');
  rejects([ident('FORMAT', 'TEXT')], '0A000', 'FORMAT TEXT not yet supported');
  rejects([str('FORMAT', 'binary')], '0A000', 'FORMAT BINARY not yet supported');
  rejects([ident('AWS CONNECTION', 'c')], '42601', 'COPY TO <expr> requires a FORMAT option');
});

test('check 7: one-byte CSV characters', () => {
  rejects([csv, str('DELIMITER', ';;')], '0A000', 'COPY delimiter must be a single one-byte character');
  rejects([csv, str('DELIMITER', 'é')], '0A000', 'COPY delimiter must be a single one-byte character');
  rejects([csv, str('QUOTE', '')], '0A000', 'COPY quote must be a single one-byte character');
  rejects([csv, str('ESCAPE', 'ab')], '0A000', 'COPY escape must be a single one-byte character');
  rejects([csv, str('DELIMITER', '"')], '22023', 'COPY delimiter and quote must be different');
  rejects([csv, str('DELIMITER', '`'), str('QUOTE', '`')], '22023', 'COPY delimiter and quote must be different');
  rejects([csv, str('DELIMITER', '\n')], '22023', 'COPY delimiter cannot be newline or carriage return');
  rejects([csv, str('QUOTE', '\r')], '22023', 'COPY quote cannot be newline or carriage return');
  rejects([csv, str('ESCAPE', '\n')], '22023', 'COPY escape cannot be newline or carriage return');
  rejects([csv, str('NULL', 'a\r\nb')], '22023', 'COPY null representation cannot use newline or carriage return');
  const o = planCopyToOptions(
    [csv, str('DELIMITER', ';'), str('QUOTE', '`'), bare('HEADER'), str('NULL', 'NULL')],
    's3',
  );
  assert.deepEqual(o.csv, { header: true, delimiter: ';', quote: '`', escape: '`', null: 'NULL' });
});

test('check 10: MAX FILE SIZE, 1024-based units, inclusive bounds', () => {
  rejects([csv, str('MAX FILE SIZE', '3 MB')], '22023', 'MAX FILE SIZE cannot be less than 16MB');
  rejects([csv, num('MAX FILE SIZE', String(16 * 1024 * 1024 - 1))], '22023', 'MAX FILE SIZE cannot be less than 16MB');
  rejects([csv, str('MAX FILE SIZE', '5GB')], '22023', 'MAX FILE SIZE cannot be greater than 4GB');
  rejects([csv, str('MAX FILE SIZE', '1TB')], '22023', 'MAX FILE SIZE cannot be greater than 4GB');
  assert.equal(planCopyToOptions([csv, str('MAX FILE SIZE', '16MB')], 's3').maxFileSize, 16 * 1024 * 1024);
  assert.equal(planCopyToOptions([csv, str('MAX FILE SIZE', '4 GB')], 's3').maxFileSize, 4 * 1024 ** 3);
  assert.equal(planCopyToOptions([csv, num('MAX FILE SIZE', '16777216')], 's3').maxFileSize, 16777216);
  assert.equal(planCopyToOptions([csv, str('MAX FILE SIZE', '20000 kB')], 's3').maxFileSize, 20000 * 1024);
  // check 7 comes before check 10
  rejects(
    [csv, str('MAX FILE SIZE', '1MB'), str('DELIMITER', ';;')],
    '0A000',
    'COPY delimiter must be a single one-byte character',
  );
});

test('Beyond options: COMPRESSION, MANIFEST, PARTITION BY, OVERWRITE', () => {
  const o = planCopyToOptions(
    [
      str('FORMAT', 'parquet'),
      ident('COMPRESSION', 'ZSTD'),
      bare('MANIFEST'),
      str('PARTITION BY', 'a, b'),
      { name: 'OVERWRITE', value: { kind: 'bool', text: 'true' } },
    ],
    's3',
  );
  assert.equal(o.compression, 'zstd');
  assert.equal(o.manifest, true);
  assert.deepEqual(o.partitionBy, ['a', 'b']);
  assert.equal(o.overwrite, true);
  assert.equal(planCopyToOptions([csv, str('COMPRESSION', 'gzip')], 's3').compression, 'gzip');
  if (!NODE_HAS_ZSTD)
    rejects([csv, str('COMPRESSION', 'zstd')], '0A000', 'COMPRESSION zstd for FORMAT CSV not yet supported');
  rejects(
    [csv, str('COMPRESSION', 'snappy')],
    '22023',
    'invalid COMPRESSION: snappy is not supported for FORMAT CSV (expected none, gzip, zstd)',
  );
  rejects(
    [str('FORMAT', 'parquet'), str('COMPRESSION', 'lz4')],
    '22023',
    'invalid COMPRESSION: lz4 is not supported for FORMAT PARQUET (expected snappy, zstd, gzip, none)',
  );
  rejects([str('FORMAT', 'parquet'), bare('HEADER')], '0A000', 'HEADER is only supported with FORMAT CSV');
  rejects(
    [csv, str('PARTITION BY', 'a,,b')],
    '22023',
    'invalid PARTITION BY: cannot parse "a,,b" as a list of column names',
  );
});

test('check 8: every Parquet column needs a mapping', async () => {
  const conn = await (await DuckDBInstance.create(':memory:')).connect();
  const r = await conn.runAndReadAll(
    `SELECT 1 AS a, INTERVAL '1 day' AS b, 'x' AS c, [INTERVAL '1 day'] AS d, '10:10:00+01'::TIMETZ AS e, {'x': 1} AS f`,
  );
  const cols = r.columnNames().map((name, i) => ({ name, type: r.columnTypes()[i]! }));
  assert.throws(
    () => checkParquetColumns(cols),
    (e: unknown) =>
      e instanceof SqlError &&
      e.code === '0A000' &&
      e.message ===
        'Cannot encode the following columns/types: ["b: interval", "d: interval[]", "e: timetz", "f: record"]',
  );
  assert.doesNotThrow(() => checkParquetColumns(cols.filter((c) => c.name === 'a' || c.name === 'c')));
});

test('duplicate column names get the first free numeric suffix', () => {
  assert.deepEqual(dedupeColumnNames(['a', 'a', 'a2', 'a']), ['a', 'a3', 'a2', 'a4']);
  assert.deepEqual(dedupeColumnNames(['x', 'y']), ['x', 'y']);
  assert.deepEqual(dedupeColumnNames(['?column?', '?column?']), ['?column?', '?column?2']);
});
