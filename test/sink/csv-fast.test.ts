/**
 * The CSV fast paths (src/types/text-sql.ts, src/sink/csv.ts, src/sink/encoders.ts) at
 * their boundaries: floats around PostgreSQL's positional range, BC/AD dates and
 * timestamps, unconstrained numeric, columns whose quoting test is skipped under options
 * that their text could contain, and exact MAX FILE SIZE splitting with DuckDB's byte
 * lengths. Expected texts are PostgreSQL's output, written by hand.
 */
import os from 'node:os';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { formatValue, textExpr } from '../../src/types/index.js';
import { csvField, csvLinesQuery, neverQuoted } from '../../src/sink/csv.js';
import { encodeCsv } from '../../src/sink/encoders.js';
import type { CopyToOptions, CsvOptions } from '../../src/sink/options.js';
import type { ExportColumn } from '../../src/sink/columns.js';

async function connect(): Promise<DuckDBConnection> {
  return (await DuckDBInstance.create(':memory:')).connect();
}

async function texts(conn: DuckDBConnection, exprs: string[]): Promise<(string | null)[]> {
  const out: (string | null)[] = [];
  for (const expr of exprs) {
    const shape = await conn.runAndReadAll(`SELECT ${expr} AS v`);
    const r = await conn.runAndReadAll(`SELECT ${textExpr('v', shape.columnTypes()[0]!)} FROM (SELECT ${expr} AS v)`);
    out.push(r.getRowsJS()[0]![0] as string | null);
  }
  return out;
}

const FLOATS: [string, string][] = [
  ['0.0001::DOUBLE', '0.0001'],
  ['(-0.0001)::DOUBLE', '-0.0001'],
  ['nextafter(0.0001::DOUBLE, 0::DOUBLE)', '9.999999999999999e-05'],
  ['nextafter(0.0001::DOUBLE, 1::DOUBLE)', '0.00010000000000000002'],
  ['0.00012345::DOUBLE', '0.00012345'],
  ['9.99e14::DOUBLE', '999000000000000'],
  ['(-9.99e14)::DOUBLE', '-999000000000000'],
  ['999999999999999::DOUBLE', '999999999999999'],
  ['nextafter(1e15::DOUBLE, 0::DOUBLE)', '999999999999999.9'],
  ['1e15::DOUBLE', '1e+15'],
  ['(-1e15)::DOUBLE', '-1e+15'],
  ['1e16::DOUBLE', '1e+16'],
  ['100000000000000.5::DOUBLE', '100000000000000.5'],
  ['100::DOUBLE', '100'],
  ['(-123)::DOUBLE', '-123'],
  ['1::DOUBLE', '1'],
  ['0.1::DOUBLE + 0.2::DOUBLE', '0.30000000000000004'],
  ["'-0'::DOUBLE", '-0'],
  ['0::DOUBLE', '0'],
  ['5e-324::DOUBLE', '5e-324'],
  ['2.2250738585072014e-308::DOUBLE', '2.2250738585072014e-308'],
  ['1.7976931348623157e308::DOUBLE', '1.7976931348623157e+308'],
  ["'NaN'::DOUBLE", 'NaN'],
  ["'Infinity'::DOUBLE", 'Infinity'],
  ["'-Infinity'::DOUBLE", '-Infinity'],
  ['NULL::DOUBLE', null as unknown as string],
];

test("float8 text at the fast-path boundaries is PostgreSQL's", async () => {
  const conn = await connect();
  assert.deepEqual(
    await texts(
      conn,
      FLOATS.map(([e]) => e),
    ),
    FLOATS.map(([, w]) => w),
  );
});

test('float8 fast path agrees with formatValue around every power of ten', async () => {
  const conn = await connect();
  await conn.run(`CREATE TABLE f AS
    SELECT s * m * pow(10, k)::DOUBLE AS x FROM range(-7, 18) a(k), (VALUES (1), (-1)) b(s),
      (VALUES (1.0::DOUBLE), (0.9999999999999999), (1.0000000000000002), (1.5), (9.999), (3.141592653589793), (0.30000000000000004)) c(m)
    UNION ALL SELECT nextafter(s * pow(10, k)::DOUBLE, 0::DOUBLE) FROM range(-6, 17) a(k), (VALUES (1), (-1)) b(s)
    UNION ALL SELECT nextafter(s * pow(10, k)::DOUBLE, s * 1e300) FROM range(-6, 17) a(k), (VALUES (1), (-1)) b(s)`);
  const shape = await conn.runAndReadAll('SELECT x FROM f LIMIT 0');
  const type = shape.columnTypes()[0]!;
  const r = await conn.runAndReadAll(`SELECT x, ${textExpr('x', type)} FROM f`);
  const bad: string[] = [];
  for (const [x, t] of r.getRows()) {
    const want = formatValue(x ?? null, type);
    if (t !== want) bad.push(`${String(x)}: ${String(t)} != ${String(want)}`);
  }
  assert.deepEqual(bad, []);
});

test('BC and AD dates and timestamps around the guard', async () => {
  const conn = await connect();
  const cases: [string, string][] = [
    ["'0001-01-01'::DATE", '0001-01-01'],
    ["'0001-12-31 (BC)'::DATE", '0001-12-31 BC'],
    ["'4713-01-01 (BC)'::DATE", '4713-01-01 BC'],
    ["'infinity'::DATE", 'infinity'],
    ["'-infinity'::DATE", '-infinity'],
    ["'0001-01-01 00:00:00'::TIMESTAMP", '0001-01-01 00:00:00'],
    ["'0001-12-31 (BC) 23:59:59.999999'::TIMESTAMP", '0001-12-31 23:59:59.999999 BC'],
    ["'0044-03-15 (BC) 10:10:10'::TIMESTAMP", '0044-03-15 10:10:10 BC'],
    ["'2010-10-10 10:10:10.5'::TIMESTAMP", '2010-10-10 10:10:10.5'],
    ["'-infinity'::TIMESTAMP", '-infinity'],
    ["'infinity'::TIMESTAMP", 'infinity'],
    ["'2010-10-10 10:10:10'::TIMESTAMP_S", '2010-10-10 10:10:10'],
    ["'2010-10-10 10:10:10.123'::TIMESTAMP_MS", '2010-10-10 10:10:10.123'],
    ["'2010-10-10 10:10:10.123456'::TIMESTAMP_NS", '2010-10-10 10:10:10.123456'],
    ["'0001-01-01 00:00:00+00'::TIMESTAMPTZ", '0001-01-01 00:00:00+00'],
    ["'0001-12-31 (BC) 23:59:59.999999+00'::TIMESTAMPTZ", '0001-12-31 23:59:59.999999+00 BC'],
    ["'0044-03-15 (BC) 10:10:10+00'::TIMESTAMPTZ", '0044-03-15 10:10:10+00 BC'],
    ["'2010-10-10 10:10:10+02'::TIMESTAMPTZ", '2010-10-10 08:10:10+00'],
    ["'infinity'::TIMESTAMPTZ", 'infinity'],
    ["'-infinity'::TIMESTAMPTZ", '-infinity'],
    ['NULL::TIMESTAMP', null as unknown as string],
    ['NULL::TIMESTAMPTZ', null as unknown as string],
    ['NULL::DATE', null as unknown as string],
  ];
  assert.deepEqual(
    await texts(
      conn,
      cases.map(([e]) => e),
    ),
    cases.map(([, w]) => w),
  );
});

test('unconstrained numeric keeps the value as written', async () => {
  const conn = await connect();
  const cases: [string, string][] = [
    ['1.5::DECIMAL(38,10)', '1.5'],
    ['100::DECIMAL(38,10)', '100'],
    ['0::DECIMAL(38,10)', '0'],
    ['(-0.0000000001)::DECIMAL(38,10)', '-0.0000000001'],
    ['1234567890123456789012345678.1::DECIMAL(38,10)', '1234567890123456789012345678.1'],
    ['(-10)::DECIMAL(38,10)', '-10'],
    ['100.50::DECIMAL(18,2)', '100.50'],
  ];
  assert.deepEqual(
    await texts(
      conn,
      cases.map(([e]) => e),
    ),
    cases.map(([, w]) => w),
  );
});

const DEFAULTS: CsvOptions = { header: false, delimiter: ',', quote: '"', escape: '"', null: '' };

/** Every column's CSV line through csvLinesQuery vs. csvField over formatValue (the TS twins). */
async function lines(
  conn: DuckDBConnection,
  select: string,
  o: CsvOptions,
): Promise<{ got: string[]; want: string[] }> {
  const shape = await conn.runAndReadAll(`SELECT * FROM (${select}) LIMIT 0`);
  const cols: ExportColumn[] = shape.columnTypes().map((type, i) => ({ name: shape.columnNames()[i]!, type }));
  const got = (await conn.runAndReadAll(csvLinesQuery(select, cols, o))).getRowsJS().map((r) => `${r[0] as string}\n`);
  const rows = (await conn.runAndReadAll(select)).getRows();
  const want = rows.map(
    (r) =>
      r.map((v, i) => csvField(formatValue(v ?? null, cols[i]!.type), o, cols.length === 1)).join(o.delimiter) + '\n',
  );
  return { got, want };
}

test('unquoted columns still quote when the options could collide with their text', async () => {
  const conn = await connect();
  const select = `SELECT * FROM (VALUES
    (-5::BIGINT, 10::INTEGER, 1.5::DOUBLE, 1e20::DOUBLE, true, DATE '2010-10-10', TIMESTAMP '2010-10-10 10:10:10.5', TIMESTAMPTZ '2010-10-10 10:10:10+00', 0::INTEGER, 1.25::DECIMAL(18,2), 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::UUID, TIME '10:10:10', 'x'),
    (NULL, 1, 'NaN'::DOUBLE, '-Infinity'::DOUBLE, false, DATE '0044-03-15 (BC)', TIMESTAMP '0044-03-15 (BC) 10:10:10', NULL, 1, NULL, NULL, NULL, NULL)
  ) t(a, b, c, d, e, f, g, h, i, j, k, l, m)`;
  const options: Partial<CsvOptions>[] = [
    {},
    { delimiter: '-' },
    { delimiter: '.' },
    { delimiter: '1' },
    { delimiter: '0' },
    { delimiter: 'e' },
    { delimiter: 't' },
    { delimiter: ':' },
    { delimiter: ' ' },
    { delimiter: '+' },
    { delimiter: 'B' },
    { delimiter: 'a' },
    { delimiter: ';', quote: '1', escape: '1' },
    { quote: '-', escape: '-' },
    { null: '1' },
    { null: '0' },
    { null: 'f' },
    { null: 'NaN' },
    { null: 'infinity' },
    { null: '\\N' },
    { null: 'NULL' },
  ];
  for (const p of options) {
    const o = { ...DEFAULTS, ...p };
    const { got, want } = await lines(conn, select, o);
    assert.deepEqual(got, want, JSON.stringify(p));
  }
  // Hand-written: DELIMITER '-' quotes negative numbers and dates; NULL '1' quotes the value 1.
  const dash = await lines(conn, `SELECT -5::BIGINT, DATE '2010-10-10', 7::INTEGER`, { ...DEFAULTS, delimiter: '-' });
  assert.deepEqual(dash.got, ['"-5"-"2010-10-10"-7\n']);
  const one = await lines(conn, `SELECT * FROM (VALUES (1::INTEGER, 10::BIGINT), (NULL, 2)) t(a, b)`, {
    ...DEFAULTS,
    null: '1',
  });
  assert.deepEqual(one.got, ['"1",10\n', '1,2\n']);
  const digit = await lines(conn, `SELECT 10::INTEGER, 1.5::DOUBLE`, { ...DEFAULTS, delimiter: '1' });
  assert.deepEqual(digit.got, ['"10"1"1.5"\n']);
});

test('neverQuoted: numbers, booleans, dates, timestamps and uuid under defaults only', async () => {
  const conn = await connect();
  const r = await conn.runAndReadAll(
    `SELECT 1::BIGINT, 1::INTEGER, 1::DOUBLE, true, DATE '2010-10-10', TIMESTAMP '2010-10-10', TIMESTAMPTZ '2010-10-10 00:00:00+00', 1::DECIMAL(18,2), uuid(), 'x', [1], 'x'::BLOB, INTERVAL 1 DAY`,
  );
  const [big, int, dbl, bool, date, ts, tstz, dec, uuid, text, list, blob, interval] = r.columnTypes();
  for (const t of [big, int, dbl, bool, date, ts, tstz, dec, uuid]) assert.equal(neverQuoted(t!, DEFAULTS), true);
  for (const t of [text, list, blob, interval]) assert.equal(neverQuoted(t!, DEFAULTS), false);
  assert.equal(neverQuoted(big!, { ...DEFAULTS, delimiter: '-' }), false);
  assert.equal(neverQuoted(big!, { ...DEFAULTS, delimiter: '5' }), false);
  assert.equal(neverQuoted(dbl!, { ...DEFAULTS, delimiter: '.' }), false);
  assert.equal(neverQuoted(dbl!, { ...DEFAULTS, null: 'NaN' }), false);
  assert.equal(neverQuoted(bool!, { ...DEFAULTS, null: 't' }), false);
  assert.equal(neverQuoted(bool!, { ...DEFAULTS, null: 'true' }), true);
  assert.equal(neverQuoted(int!, { ...DEFAULTS, null: '\\N' }), true);
  assert.equal(neverQuoted(date!, { ...DEFAULTS, delimiter: ' ' }), false);
  assert.equal(neverQuoted(ts!, { ...DEFAULTS, delimiter: ':' }), false);
  assert.equal(neverQuoted(uuid!, { ...DEFAULTS, delimiter: 'a' }), false);
});

test('exact MAX FILE SIZE splitting with multibyte lines and a header', async () => {
  const conn = await connect();
  const query = `SELECT i::INTEGER AS n, repeat('é', (i * 7) % 13) || CASE WHEN i % 5 = 0 THEN ',"' ELSE '' END AS s FROM generate_series(0, 4999) t(i)`;
  const shape = await conn.runAndReadAll(`SELECT * FROM (${query}) LIMIT 0`);
  const columns: ExportColumn[] = shape.columnTypes().map((type, i) => ({ name: shape.columnNames()[i]!, type }));
  const whole = (await conn.runAndReadAll(csvLinesQuery(query, columns, DEFAULTS)))
    .getRowsJS()
    .map((r) => `${r[0] as string}\n`);
  for (const max of [40, 1000, 4096, 65_536]) {
    const files = new Map<number, Buffer[]>();
    const options = {
      format: 'csv',
      csv: { ...DEFAULTS, header: true },
      compression: 'none',
      maxFileSize: max,
      manifest: false,
    } as unknown as CopyToOptions;
    const written = await encodeCsv({
      conn,
      query,
      columns,
      options,
      signal: new AbortController().signal,
      ioDir: os.tmpdir(),
      openFile: (i) => {
        const parts: Buffer[] = [];
        files.set(i, parts);
        return {
          write(b) {
            parts.push(Buffer.from(b));
            return Promise.resolve();
          },
          complete() {
            return Promise.resolve({ bytes: Buffer.concat(parts).length, sha256: '' });
          },
          async abort() {},
        };
      },
      progress: () => undefined,
    });
    // Rows may come in any order (a COPY TO has none), but every row exactly once; the
    // cuts must be the greedy split of the order they came in: a line starts a new file
    // when it would push the file past max.
    const header = 'n,s\n';
    const got = [...files.keys()].sort((a, b) => a - b).map((i) => Buffer.concat(files.get(i)!).toString('utf8'));
    const order = got.flatMap((f) => f.slice(header.length).split(/(?<=\n)(?=\d)/)).filter((l) => l !== '');
    assert.deepEqual([...order].sort(), [...whole].sort(), `max ${max}: the rows`);
    const expected: string[] = [];
    let cur = header;
    let rows = 0;
    for (const l of order) {
      if (rows > 0 && Buffer.byteLength(cur + l) > max) {
        expected.push(cur);
        cur = header;
        rows = 0;
      }
      cur += l;
      rows++;
    }
    expected.push(cur);
    assert.equal(got.length, expected.length, `max ${max}`);
    assert.deepEqual(got, expected, `max ${max}`);
    assert.deepEqual(
      written.map((w) => w.rows),
      expected.map((f) => f.split('\n').length - 2),
      `max ${max}`,
    );
  }
  // The export's connection is left as it was found.
  assert.deepEqual((await conn.runAndReadAll(`SELECT current_setting('preserve_insertion_order')`)).getRowsJS(), [
    [true],
  ]);
});
