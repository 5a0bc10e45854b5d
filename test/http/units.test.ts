/** Unit tests of the HTTP layer's pure parts: JSON rendering of text values, request
 * validation, and where passwords may travel. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { requireSafeChannel } from '../../src/http/auth.js';
import { HttpError } from '../../src/http/body.js';
import { jsonRow, jsonValue } from '../../src/http/json-values.js';
import { parseSqlRequest } from '../../src/http/sql-api.js';
import { MZ_OID } from '../../src/types/pgtype.js';

describe('jsonValue', () => {
  test('booleans, integers and floats become JSON values; the rest stays text', () => {
    assert.equal(jsonValue('t', 16), 'true');
    assert.equal(jsonValue('f', 16), 'false');
    assert.equal(jsonValue('-42', 23), '-42');
    assert.equal(jsonValue('18446744073709551615', MZ_OID.uint8), '18446744073709551615');
    assert.equal(jsonValue('1.5e+20', 701), '1.5e+20');
    assert.equal(jsonValue('NaN', 701), '"NaN"');
    assert.equal(jsonValue('-Infinity', 700), '"-Infinity"');
    assert.equal(jsonValue('1.50', 1700), '"1.50"');
    assert.equal(jsonValue('2026-01-02', 1082), '"2026-01-02"');
    assert.equal(jsonValue('{1,2}', 1007), '"{1,2}"');
    assert.equal(jsonValue(null, 23), 'null');
  });

  test('jsonb is embedded; text that is not JSON stays a string', () => {
    assert.equal(jsonValue('{"a": [1, null]}', 3802), '{"a": [1, null]}');
    assert.equal(jsonValue('{"big": 9007199254740993}', 3802), '{"big": 9007199254740993}');
    assert.equal(jsonValue('not json', 3802), '"not json"');
  });

  test('rows quote strings safely', () => {
    assert.equal(jsonRow(['a"b\n', null, '7'], [25, 25, 20]), '["a\\"b\\n",null,7]');
    assert.deepEqual(JSON.parse(jsonRow(['</script>', 'x'], [25, 25])), ['</script>', 'x']);
  });
});

describe('parseSqlRequest', () => {
  test('simple and extended forms', () => {
    assert.deepEqual(parseSqlRequest({ query: 'SELECT 1' }), { kind: 'simple', query: 'SELECT 1' });
    assert.deepEqual(
      parseSqlRequest({ queries: [{ query: 'SELECT $1', params: ['1', null] }, { query: 'SELECT 2' }] }),
      {
        kind: 'extended',
        queries: [
          { query: 'SELECT $1', params: ['1', null] },
          { query: 'SELECT 2', params: [] },
        ],
      },
    );
  });

  test('malformed bodies are 400', () => {
    for (const body of [
      {},
      { query: 1 },
      { query: 'x', queries: [] },
      { queries: {} },
      { queries: [{}] },
      { queries: [{ query: 'x', params: [true] }] },
    ]) {
      assert.throws(
        () => parseSqlRequest(body),
        (e: unknown) => e instanceof HttpError && e.status === 400,
        JSON.stringify(body),
      );
    }
  });
});

describe('requireSafeChannel', () => {
  const req = (remoteAddress: string, headers: Record<string, string> = {}, encrypted = false) =>
    ({ socket: { remoteAddress, encrypted }, headers }) as unknown as IncomingMessage;

  test('loopback, TLS and a TLS proxy may carry passwords', () => {
    requireSafeChannel(req('127.0.0.1'));
    requireSafeChannel(req('::1'));
    requireSafeChannel(req('::ffff:127.0.0.1'));
    requireSafeChannel(req('10.1.2.3', {}, true));
    requireSafeChannel(req('10.1.2.3', { 'x-forwarded-proto': 'https' }));
  });

  test('plain HTTP from another host is refused with 403', () => {
    assert.throws(
      () => requireSafeChannel(req('10.1.2.3')),
      (e: unknown) => e instanceof HttpError && e.status === 403,
    );
  });
});
