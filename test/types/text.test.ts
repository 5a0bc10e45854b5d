/**
 * Text output of every type, through both paths (textExpr inside DuckDB, formatValue in
 * TypeScript), against what psql shows for PostgreSQL / Materialize. Expected strings are
 * written by hand from the examples of docs/formats.md and PostgreSQL's documented output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { formatValue, textExpr, pgTypeOf } from '../../src/types/index.js';

/** [DuckDB expression producing the value, expected PostgreSQL text or null]. */
const CASES: [string, string | null][] = [
  ['true', 't'],
  ['false', 'f'],
  ['NULL::BOOLEAN', null],
  ['(-7)::TINYINT', '-7'],
  ['(-32768)::SMALLINT', '-32768'],
  ['2147483647::INTEGER', '2147483647'],
  ['(-9223372036854775808)::BIGINT', '-9223372036854775808'],
  ['255::UTINYINT', '255'],
  ['65535::USMALLINT', '65535'],
  ['4294967295::UINTEGER', '4294967295'],
  ['18446744073709551615::UBIGINT', '18446744073709551615'],
  ['170141183460469231731687303715884105727::HUGEINT', '170141183460469231731687303715884105727'],
  // float8: shortest round-trip, PostgreSQL 12+ layout
  ['1::DOUBLE', '1'],
  ['(-1.5)::DOUBLE', '-1.5'],
  ['0.1::DOUBLE', '0.1'],
  ['1e20::DOUBLE', '1e+20'],
  ['1.5e-7::DOUBLE', '1.5e-07'],
  ['0.0001::DOUBLE', '0.0001'],
  ['0.00001::DOUBLE', '1e-05'],
  ['123456789012345::DOUBLE', '123456789012345'],
  ['1e15::DOUBLE', '1e+15'],
  ['1234567890123456789::DOUBLE', '1.2345678901234568e+18'],
  ['pi()::DOUBLE', '3.141592653589793'],
  ["'Infinity'::DOUBLE", 'Infinity'],
  ["'-Infinity'::DOUBLE", '-Infinity'],
  ["'NaN'::DOUBLE", 'NaN'],
  ["'-0'::DOUBLE", '-0'],
  ['0::DOUBLE', '0'],
  ['1.7976931348623157e308::DOUBLE', '1.7976931348623157e+308'],
  ['5e-324::DOUBLE', '5e-324'],
  // float4 (real): FLT_DIG = 6 switches to exponent form earlier
  ['0.1::FLOAT', '0.1'],
  ['100000::FLOAT', '100000'],
  ['1000000::FLOAT', '1e+06'],
  ['1.5::FLOAT', '1.5'],
  ['3.4028235e38::FLOAT', '3.4028235e+38'],
  // An exact tie between two 8-digit neighbours: Ryu (PostgreSQL) keeps the even one.
  ['(-3562817.25)::FLOAT', '-3.5628172e+06'],
  ['16777215::FLOAT', '1.6777215e+07'],
  ["'Infinity'::FLOAT", 'Infinity'],
  // numeric exactly as stored; unconstrained (DECIMAL(38,10)) without storage zeros
  ['1.50::DECIMAL(10,2)', '1.50'],
  ['(-0.05)::DECIMAL(10,2)', '-0.05'],
  ['12::DECIMAL(4,0)', '12'],
  ['1.5::DECIMAL(38,10)', '1.5'],
  ['1234::DECIMAL(38,10)', '1234'],
  ['0::DECIMAL(38,10)', '0'],
  ['(-0.0000000001)::DECIMAL(38,10)', '-0.0000000001'],
  ['100::DECIMAL(38,10)', '100'],
  // text verbatim
  ["''", ''],
  ['\'héllo, "wörld"\n\'', 'héllo, "wörld"\n'],
  // bytea hex (docs/formats.md: \x5c7841414141)
  ["'\\x5CxAAAA'::BLOB", '\\x5c7841414141'],
  ["''::BLOB", '\\x'],
  // dates and times
  ["'2010-10-10'::DATE", '2010-10-10'],
  ["'0044-03-15 (BC)'::DATE", '0044-03-15 BC'],
  ["'infinity'::DATE", 'infinity'],
  ["'10:10:10'::TIME", '10:10:10'],
  ["'10:10:10.5'::TIME", '10:10:10.5'],
  ["'23:59:59.999999'::TIME", '23:59:59.999999'],
  ["'2010-10-10 10:10:10'::TIMESTAMP", '2010-10-10 10:10:10'],
  ["'2010-10-10 10:10:10.123456'::TIMESTAMP", '2010-10-10 10:10:10.123456'],
  ["'2010-10-10 10:10:10.5'::TIMESTAMP_MS", '2010-10-10 10:10:10.5'],
  ["'2010-10-10 10:10:10'::TIMESTAMP_S", '2010-10-10 10:10:10'],
  ["'2010-10-10 10:10:10.123456789'::TIMESTAMP_NS", '2010-10-10 10:10:10.123456'],
  ["'0044-03-15 (BC) 10:10:10'::TIMESTAMP", '0044-03-15 10:10:10 BC'],
  ["'-infinity'::TIMESTAMP", '-infinity'],
  // timestamptz in UTC (docs/formats.md: 2010-10-10 08:10:10+00)
  ["'2010-10-10 10:10:10+02'::TIMESTAMPTZ", '2010-10-10 08:10:10+00'],
  ["'2010-10-10 10:10:10.25-01:30'::TIMESTAMPTZ", '2010-10-10 11:40:10.25+00'],
  ["'infinity'::TIMESTAMPTZ", 'infinity'],
  // interval, IntervalStyle postgres (PostgreSQL docs "Interval Output")
  ["INTERVAL '0 seconds'", '00:00:00'],
  ["INTERVAL '1 day 2 hours'", '1 day 02:00:00'],
  ["INTERVAL '1 year 2 months 3 days 4 hours 5 minutes 6.5 seconds'", '1 year 2 mons 3 days 04:05:06.5'],
  ["INTERVAL '-1 year -2 months'", '-1 years -2 mons'],
  ["INTERVAL '-1 year' + INTERVAL '2 months'", '-10 mons'],
  ["INTERVAL '-1 day' + INTERVAL '3 hours'", '-1 days +03:00:00'],
  ["INTERVAL '-3 days -4 hours -5 minutes'", '-3 days -04:05:00'],
  ["INTERVAL '100 hours'", '100:00:00'],
  ["INTERVAL '2 days'", '2 days'],
  ["INTERVAL '1 microsecond'", '00:00:00.000001'],
  ["INTERVAL '-1 year' + INTERVAL '1 day'", '-1 years +1 day'],
  // uuid
  ["'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::UUID", 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
  // jsonb compact (docs/formats.md: {"s":"abc"})
  ['\'{"s": "abc"}\'::JSON', '{"s":"abc"}'],
  ['\'{ "a" : [1, 2, {"b c": "x  y"}] }\'::JSON', '{"a":[1,2,{"b c":"x  y"}]}'],
  // lists / arrays, PostgreSQL array_out quoting (docs/formats.md: {1,2})
  ['[1, 2]', '{1,2}'],
  ['[]::INTEGER[]', '{}'],
  ['[1, NULL, 3]', '{1,NULL,3}'],
  [
    "['a', 'b c', '', 'NULL', 'null', 'x\"y', 'back\\slash', '{', 'p,q']",
    '{a,"b c","","NULL","null","x\\"y","back\\\\slash","{","p,q"}',
  ],
  ['[[1, 2], [3]]', '{{1,2},{3}}'],
  ['[true, false]', '{t,f}'],
  ["[1.5::DOUBLE, 'Infinity'::DOUBLE]", '{1.5,Infinity}'],
  ["['2010-10-10 10:10:10'::TIMESTAMP]", '{"2010-10-10 10:10:10"}'],
  ['[1, 2]::INTEGER[2]', '{1,2}'],
  // maps (Materialize {k=>v})
  ["MAP {'a': 1, 'b': NULL}", '{a=>1,b=>NULL}'],
  ["MAP {'k v': 'x=>y'}", '{"k v"=>"x=>y"}'],
  ["MAP {'a': MAP {'b': 2}}", '{a=>{b=>2}}'],
  // records (PostgreSQL record_out)
  ["{'a': 1, 'b': 'a'}", '(1,a)'],
  ["{'x': 1, 'y': NULL, 'z': ''}", '(1,,"")'],
  ["{'x': 'a b', 'y': 'q\"', 'z': 'b\\s'}", '("a b","q""","b\\\\s")'],
  ["{'x': [1, 2]}", '("{1,2}")'],
];

async function connect(): Promise<DuckDBConnection> {
  const inst = await DuckDBInstance.create(':memory:');
  return inst.connect();
}

test('textExpr and formatValue print every type as PostgreSQL does', async () => {
  const conn = await connect();
  const failures: string[] = [];
  for (const [expr, expected] of CASES) {
    const typed = await conn.runAndReadAll(`SELECT ${expr} AS v`);
    const type = typed.columnTypes()[0]!;
    const jsValue = typed.getRows()[0]![0]!;
    const viaJs = formatValue(jsValue ?? null, type);
    const viaSql = await conn.runAndReadAll(`SELECT ${textExpr('v', type)} AS t FROM (SELECT ${expr} AS v)`);
    const sqlValue = viaSql.getRowsJS()[0]![0];
    if (viaJs !== expected)
      failures.push(`formatValue(${expr}) = ${JSON.stringify(viaJs)}, want ${JSON.stringify(expected)}`);
    if (sqlValue !== expected)
      failures.push(`textExpr(${expr}) = ${JSON.stringify(sqlValue)}, want ${JSON.stringify(expected)}`);
  }
  assert.deepEqual(failures, []);
});

test('textExpr works on a table of all types at once, NULLs included', async () => {
  const conn = await connect();
  const cols = CASES.map(([e], i) => `${e} AS c${i}`).join(', ');
  await conn.run(
    `CREATE TABLE t AS SELECT ${cols} UNION ALL SELECT ${CASES.map((_, i) => `NULL AS c${i}`).join(', ')}`,
  );
  const shape = await conn.runAndReadAll('SELECT * FROM t LIMIT 0');
  const types = shape.columnTypes();
  const sel = types.map((t, i) => `${textExpr(`c${i}`, t)} AS c${i}`).join(', ');
  const res = await conn.runAndReadAll(`SELECT ${sel} FROM t`);
  const rows = res.getRowsJS();
  assert.deepEqual(
    rows[0],
    CASES.map(([, want]) => want),
  );
  assert.deepEqual(
    rows[1],
    CASES.map(() => null),
  );
});

test('textExpr prints unnamed structs (row(...)) positionally', async () => {
  // formatValue cannot: @duckdb/node-api collapses the empty field names of row(...).
  const conn = await connect();
  const r = await conn.runAndReadAll(`SELECT row(1, 'a b', NULL) AS v`);
  const t = await conn.runAndReadAll(
    `SELECT ${textExpr('v', r.columnTypes()[0]!)} FROM (SELECT row(1, 'a b', NULL) AS v)`,
  );
  assert.equal(t.getRowsJS()[0]![0], '(1,"a b",)');
});

test('pgTypeOf reports PostgreSQL and Materialize OIDs', async () => {
  const conn = await connect();
  const want: [string, number, number, number, string][] = [
    ['true', 16, 1, -1, 'bool'],
    ['1::TINYINT', 21, 2, -1, 'int2'],
    ['1::SMALLINT', 21, 2, -1, 'int2'],
    ['1::INTEGER', 23, 4, -1, 'int4'],
    ['1::BIGINT', 20, 8, -1, 'int8'],
    ['1::USMALLINT', 16460, 2, -1, 'uint2'],
    ['1::UINTEGER', 16462, 4, -1, 'uint4'],
    ['1::UBIGINT', 16464, 8, -1, 'uint8'],
    ['1::HUGEINT', 1700, -1, -1, 'numeric'],
    ['1::DECIMAL(10,2)', 1700, -1, ((10 << 16) | 2) + 4, 'numeric'],
    ['1::DECIMAL(38,10)', 1700, -1, -1, 'numeric'],
    ['1::FLOAT', 700, 4, -1, 'float4'],
    ['1::DOUBLE', 701, 8, -1, 'float8'],
    ["'a'", 25, -1, -1, 'text'],
    ["''::BLOB", 17, -1, -1, 'bytea'],
    ["'2010-10-10'::DATE", 1082, 4, -1, 'date'],
    ["'10:10'::TIME", 1083, 8, -1, 'time'],
    ["'2010-10-10'::TIMESTAMP", 1114, 8, -1, 'timestamp'],
    ["'2010-10-10'::TIMESTAMPTZ", 1184, 8, -1, 'timestamptz'],
    ["INTERVAL '1 day'", 1186, 16, -1, 'interval'],
    ['gen_random_uuid()', 2950, 16, -1, 'uuid'],
    ["'{}'::JSON", 3802, -1, -1, 'jsonb'],
    ['[1]', 1007, -1, -1, '_int4'],
    ["['a']", 1009, -1, -1, '_text'],
    ['[[1]]', 1007, -1, -1, '_int4'],
    ['[1]::INTEGER[1]', 1007, -1, -1, '_int4'],
    ["[MAP {'a': 1}]", 1009, -1, -1, '_text'],
    ["MAP {'a': 1}", 16385, -1, -1, 'map'],
    ["row(1, 'a')", 2249, -1, -1, 'record'],
  ];
  for (const [expr, oid, typlen, typmod, name] of want) {
    const r = await conn.runAndReadAll(`SELECT ${expr}`);
    assert.deepEqual(pgTypeOf(r.columnTypes()[0]!), { oid, typlen, typmod, name }, expr);
  }
});

test('floats: both paths agree on many magnitudes and the text round-trips', async () => {
  const conn = await connect();
  // Random mantissas over exponents -30..30 (and float4 over its range), plus powers of ten
  // around the %e thresholds (1e-5, 1e-4, 1e14..1e16, 1e5..1e7 for real).
  const q = `SELECT d, f FROM (
      SELECT (random() - 0.5) * pow(10, (i % 61) - 30) AS d, ((random() - 0.5) * pow(10, (i % 21) - 10))::FLOAT AS f FROM generate_series(0, 2999) t(i)
      UNION ALL SELECT pow(10, e)::DOUBLE, pow(10, e % 8)::FLOAT FROM generate_series(-6, 17) t(e)
      UNION ALL SELECT 123456789012345.6::DOUBLE, 123456.7::FLOAT)`;
  const r = await conn.runAndReadAll(q);
  const [dt, ft] = r.columnTypes();
  const both = await conn.runAndReadAll(
    `SELECT d, f, ${textExpr('d', dt!)} AS td, ${textExpr('f', ft!)} AS tf FROM (${q})`,
  );
  let checked = 0;
  for (const row of both.getRows()) {
    const [d, f, td, tf] = row as [number, number, string, string];
    assert.equal(formatValue(d, dt!), td, `double ${d}`);
    assert.equal(formatValue(f, ft!), tf, `real ${f}`);
    assert.equal(Number(td), d, `round trip ${td}`);
    assert.equal(Math.fround(Number(tf)), f, `round trip ${tf}`);
    assert.match(td, /^-?(\d+(\.\d+)?|\d(\.\d+)?e[+-]\d\d+)$/);
    checked++;
  }
  assert.ok(checked > 3000);
});
