/** Binary send/recv formats by type OID, checked against PostgreSQL's byte layouts. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OID, binarySupported, binaryToText, textToBinary } from '../../src/wire/binary.js';
import { SqlError } from '../../src/errors/index.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s/g, ''), 'hex');

/** [type, text, binary]: text -> binary -> the same text. */
const EXACT: [number, string, string][] = [
  [OID.bool, 't', '01'],
  [OID.bool, 'f', '00'],
  [OID.int2, '-2', 'fffe'],
  [OID.int4, '2147483647', '7fffffff'],
  [OID.int8, '-9223372036854775808', '8000000000000000'],
  [OID.oid, '4294967295', 'ffffffff'],
  [OID.float8, '0.1', '3fb999999999999a'],
  [OID.float8, 'NaN', '7ff8000000000000'],
  [OID.float8, '-Infinity', 'fff0000000000000'],
  [OID.float4, '1.1', '3f8ccccd'],
  [OID.text, 'é', 'c3a9'],
  [OID.varchar, 'ab', '6162'],
  [OID.bpchar, 'a ', '6120'],
  [OID.json, '{}', '7b7d'],
  [OID.jsonb, '{}', '01 7b7d'],
  [OID.bytea, '\\x00ff', '00ff'],
  [OID.uuid, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'a0eebc999c0b4ef8bb6d6bb9bd380a11'],
  [OID.date, '2000-01-02', '00000001'],
  [OID.date, '1999-12-31', 'ffffffff'],
  [OID.date, 'infinity', '7fffffff'],
  [OID.time, '00:00:01.5', '000000000016e360'],
  [OID.timestamp, '2000-01-01 00:00:00', '0000000000000000'],
  [OID.timestamp, '2000-01-01 00:00:00.000001', '0000000000000001'],
  [OID.timestamp, '1999-12-31 23:59:59', 'fffffffffff0bdc0'],
  [OID.timestamp, '-infinity', '8000000000000000'],
  [OID.timestamptz, '2000-01-01 00:00:01+00', '00000000000f4240'],
  [OID.interval, '1 year 2 mons 3 days 04:05:06.5', '000000036c9361a0 00000003 0000000e'],
  [OID.interval, '-1 days +02:03:00', '00000001b7e1dd00 ffffffff 00000000'],
  [OID.interval, '00:00:00', '0000000000000000 00000000 00000000'],
  [OID.numeric, '0', '0000 0000 0000 0000'],
  [OID.numeric, '123.45', '0002 0000 0000 0002 007b 1194'],
  [OID.numeric, '-12345.6789', '0003 0001 4000 0004 0001 0929 1a85'],
  [OID.numeric, '10000', '0001 0001 0000 0000 0001'],
  [OID.numeric, '0.00001', '0001 fffe 0000 0005 03e8'],
  [OID.numeric, '1.10', '0002 0000 0000 0002 0001 03e8'],
  [OID.numeric, 'NaN', '0000 0000 c000 0000'],
];

describe('binary formats', () => {
  for (const [oid, text, bin] of EXACT) {
    test(`${oid} ${JSON.stringify(text)}`, () => {
      assert.equal(textToBinary(oid, text).toString('hex'), hex(bin).toString('hex'));
      assert.equal(binaryToText(oid, hex(bin), 0), text);
    });
  }

  test('other text spellings normalize', () => {
    assert.equal(
      binaryToText(OID.timestamptz, textToBinary(OID.timestamptz, '2010-10-10 10:10:10.25+02'), 0),
      '2010-10-10 08:10:10.25+00',
    );
    assert.equal(
      binaryToText(OID.timestamptz, textToBinary(OID.timestamptz, '2010-10-10T10:10:10-05:30'), 0),
      '2010-10-10 15:40:10+00',
    );
    assert.equal(
      binaryToText(OID.timestamp, textToBinary(OID.timestamp, '0001-01-01 00:00:00 BC'), 0),
      '0001-01-01 00:00:00 BC',
    );
    assert.equal(binaryToText(OID.date, textToBinary(OID.date, '0044-03-15 BC'), 0), '0044-03-15 BC');
    assert.equal(binaryToText(OID.date, textToBinary(OID.date, '0001-01-01'), 0), '0001-01-01');
    assert.equal(binaryToText(OID.numeric, textToBinary(OID.numeric, '1.5e3'), 0), '1500');
    assert.equal(binaryToText(OID.numeric, textToBinary(OID.numeric, '-0.000'), 0), '0.000');
    assert.equal(binaryToText(OID.bool, textToBinary(OID.bool, 'true'), 0), 't');
    assert.deepEqual(textToBinary(OID.bytea, 'a\\000\\\\'), Buffer.from([0x61, 0, 0x5c]));
    assert.deepEqual(textToBinary(OID.bytea, 'é😀\\001'), Buffer.concat([Buffer.from('é😀'), Buffer.from([1])]));
    assert.throws(
      () => textToBinary(OID.bytea, 'a\\9'),
      (e: SqlError) => e.code === '22P02',
    );
    assert.equal(
      binaryToText(OID.interval, textToBinary(OID.interval, '2 years 1 month 1 week'), 0),
      '2 years 1 mon 7 days',
    );
    assert.equal(binaryToText(OID.float4, textToBinary(OID.float4, '3.4028235e38'), 0), '3.4028235e+38');
  });

  test('every listed OID is supported; others are 0A000', () => {
    for (const oid of Object.values(OID)) assert.ok(binarySupported(oid), String(oid));
    assert.throws(
      () => textToBinary(600, '(1,2)'),
      (e: SqlError) => e.code === '0A000' && e.message === 'binary format for type 600 not yet supported',
    );
  });

  test('malformed binary parameters are 22P03 naming the parameter', () => {
    assert.throws(
      () => binaryToText(OID.int4, Buffer.from([1, 2]), 1),
      (e: SqlError) => e.code === '22P03' && e.message === 'incorrect binary data format in bind parameter 2',
    );
    assert.throws(
      () => binaryToText(OID.numeric, Buffer.from([0, 5, 0, 0, 0, 0, 0, 0]), 0),
      (e: SqlError) => e.code === '22P03',
    );
  });

  test('bad text values are reported, not mis-encoded', () => {
    assert.throws(
      () => textToBinary(OID.int2, '40000'),
      (e: SqlError) => e.code === '22003',
    );
    assert.throws(
      () => textToBinary(OID.int4, '1.5'),
      (e: SqlError) => e.code === '22P02',
    );
    assert.throws(
      () => textToBinary(OID.uuid, 'nope'),
      (e: SqlError) => e.code === '22P02',
    );
    assert.throws(
      () => textToBinary(OID.timestamp, '2010-13-01 00:00:00'),
      (e: SqlError) => e.code === '22P02',
    );
  });
});
