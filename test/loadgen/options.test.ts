// Option planning of load generator sources: pure, no server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInterval, planLoadGenerator } from '../../src/loadgen/options.js';
import { tpchCounts } from '../../src/loadgen/tpch.js';
import type { RawOption } from '../../src/sql/ast.js';

const num = (name: string, text: string): RawOption => ({ name, value: { kind: 'number', text }, position: 1 });
const str = (name: string, text: string): RawOption => ({ name, value: { kind: 'string', text }, position: 1 });

function fails(fn: () => unknown, code: string, message: string | RegExp): void {
  assert.throws(fn, (err: { code?: string; message?: string }) => {
    assert.equal(err.code, code);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message ?? '', message);
    return true;
  });
}

test('defaults: 1s ticks, TPCH scale factor 0.01', () => {
  const c = planLoadGenerator('COUNTER', [], false);
  assert.equal(c.tickMicros, 1_000_000);
  assert.equal(c.maxCardinality, null);
  assert.equal(c.upTo, null);
  assert.equal(planLoadGenerator('TPCH', [], true).scaleFactor, 0.01);
});

test('options each generator accepts', () => {
  const p = planLoadGenerator(
    'COUNTER',
    [str('TICK INTERVAL', '250ms'), num('MAX CARDINALITY', '10'), num('UP TO', '100'), num('AS OF', '5')],
    false,
  );
  assert.deepEqual([p.tickMicros, p.maxCardinality, p.upTo, p.asOf], [250_000, 10, 100, 5]);
  assert.equal(planLoadGenerator('TPCH', [num('SCALE FACTOR', '0.5')], true).scaleFactor, 0.5);
  fails(
    () => planLoadGenerator('COUNTER', [num('SCALE FACTOR', '1')], false),
    '22023',
    'COUNTER load generators do not support SCALE FACTOR values',
  );
  fails(
    () => planLoadGenerator('AUCTION', [num('MAX CARDINALITY', '1'), num('SCALE FACTOR', '1')], true),
    '22023',
    'AUCTION load generators do not support MAX CARDINALITY, SCALE FACTOR values',
  );
  fails(
    () => planLoadGenerator('TPCH', [num('KEYS', '1')], true),
    '22023',
    'TPCH load generators do not support KEYS values',
  );
  fails(
    () => planLoadGenerator('TPCH', [num('SCALE FACTOR', '1'), num('SCALE FACTOR', '2')], true),
    '42601',
    'SCALE FACTOR specified more than once',
  );
  fails(() => planLoadGenerator('TPCH', [num('SCALE FACTOR', '-1')], true), '22023', 'unsupported scale factor -1');
  fails(() => planLoadGenerator('COUNTER', [num('UP TO', '1'), num('AS OF', '2')], false), '22023', /UP TO/);
  fails(() => planLoadGenerator('COUNTER', [num('MAX CARDINALITY', '1.5')], false), '22023', /MAX CARDINALITY/);
});

test('FOR ALL TABLES only for multi-output generators, and required by them', () => {
  fails(() => planLoadGenerator('COUNTER', [], true), '42601', 'FOR ALL TABLES is only valid for multi-output sources');
  fails(
    () => planLoadGenerator('AUCTION', [], false),
    '42601',
    'multi-output sources require a FOR TABLES (..) or FOR ALL TABLES statement',
  );
  fails(
    () => planLoadGenerator('TPCH', [], false),
    '42601',
    'multi-output sources require a FOR TABLES (..) or FOR ALL TABLES statement',
  );
});

test('generators Ferry does not implement', () => {
  for (const g of ['MARKETING', 'DATUMS', 'CLOCK'])
    fails(() => planLoadGenerator(g, [], true), '0A000', `LOAD GENERATOR ${g} not yet supported`);
  fails(() => planLoadGenerator('KEY', [], false), '0A000', 'LOAD GENERATOR KEY VALUE not yet supported');
  fails(() => planLoadGenerator('BOGUS', [], false), '42601', 'unknown load generator BOGUS');
});

test('tick intervals', () => {
  assert.equal(parseInterval('1s'), 1_000_000);
  assert.equal(parseInterval('500ms'), 500_000);
  assert.equal(parseInterval('2 minutes'), 120_000_000);
  assert.equal(parseInterval('1m 30s'), 90_000_000);
  assert.equal(parseInterval('00:00:01.5'), 1_500_000);
  fails(() => parseInterval('0s'), '22023', 'TICK INTERVAL must be positive');
  fails(() => parseInterval('soon'), '22007', /interval/);
});

test('TPC-H row counts per scale factor (floored, at least one)', () => {
  assert.deepEqual(tpchCounts(1), {
    supplier: 10_000,
    part: 200_000,
    customer: 150_000,
    orders: 1_500_000,
    clerk: 1_000,
  });
  assert.deepEqual(tpchCounts(0.01), { supplier: 100, part: 2_000, customer: 1_500, orders: 15_000, clerk: 10 });
  assert.deepEqual(tpchCounts(0), { supplier: 1, part: 1, customer: 1, orders: 1, clerk: 1 });
});
