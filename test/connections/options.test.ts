// Every error of the "Legal combinations" table (docs/aws-connections.md), word for
// word, plus the Beyond checks (ARN shape, session name) and ALTER's merge.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqlError } from '../../src/errors/index.js';
import {
  alterAwsConnectionOptions,
  planAwsConnectionOptions,
  referencedSecrets,
  type RawOption,
} from '../../src/connections/aws/options.js';

const str = (name: string, text: string): RawOption => ({ name, value: { kind: 'string', text } });
const sec = (name: string, secret: string): RawOption => ({ name, value: { kind: 'secret', name: secret } });
const ARN = 'arn:aws:iam::123456789012:role/ferry-export';

function rejects(options: RawOption[], code: string, message: string): void {
  assert.throws(
    () => planAwsConnectionOptions(options),
    (err: unknown) => {
      assert.ok(err instanceof SqlError);
      assert.equal(err.message, message);
      assert.equal(err.code, code);
      return true;
    },
  );
}

test('credentials mode with optional session token', () => {
  const spec = planAwsConnectionOptions([
    str('ACCESS KEY ID', 'AKIAEXAMPLE'),
    sec('SECRET ACCESS KEY', 'aws_secret'),
    sec('SESSION TOKEN', 'tok'),
    str('REGION', 'eu-west-1'),
  ]);
  assert.deepEqual(spec, {
    mode: 'credentials',
    endpoint: null,
    region: 'eu-west-1',
    accessKeyId: { kind: 'string', text: 'AKIAEXAMPLE' },
    secretAccessKey: { kind: 'secret', name: 'aws_secret' },
    sessionToken: { kind: 'secret', name: 'tok' },
  });
  assert.deepEqual(
    referencedSecrets(spec).map((r) => r.name),
    ['aws_secret', 'tok'],
  );
  const bare = planAwsConnectionOptions([sec('ACCESS KEY ID', 'ak'), sec('SECRET ACCESS KEY', 'sk')]);
  assert.equal(bare.mode === 'credentials' && bare.sessionToken, null);
  assert.deepEqual(
    referencedSecrets(bare).map((r) => r.name),
    ['ak', 'sk'],
  );
});

test('role mode with endpoint and session name; ENDPOINT = empty means unset', () => {
  assert.deepEqual(
    planAwsConnectionOptions([
      str('ENDPOINT', 'http://127.0.0.1:7480'),
      str('ASSUME ROLE ARN', ARN),
      str('ASSUME ROLE SESSION NAME', 'my-session'),
    ]),
    {
      mode: 'role',
      endpoint: 'http://127.0.0.1:7480',
      region: null,
      assumeRoleArn: ARN,
      assumeRoleSessionName: 'my-session',
    },
  );
  const spec = planAwsConnectionOptions([str('ENDPOINT', ''), str('ASSUME ROLE ARN', ARN)]);
  assert.equal(spec.endpoint, null);
  assert.deepEqual(referencedSecrets(spec), []);
});

test('role ARNs: AWS accounts, partitions, paths, and RGW tenants are accepted', () => {
  for (const arn of [
    ARN,
    'arn:aws-cn:iam::123456789012:role/a/b/c',
    'arn:aws-us-gov:iam::123456789012:role/x+=,.@_-y',
    'arn:aws:iam:::role/ferryexport',
    'arn:aws:iam::tenant1:role/r',
  ]) {
    assert.equal(planAwsConnectionOptions([str('ASSUME ROLE ARN', arn)]).mode, 'role', arn);
  }
});

test('malformed ARNs are rejected (Beyond)', () => {
  for (const arn of [
    'not-an-arn',
    'arn:aws:iam::123456789012:user/bob',
    'arn:aws:s3:::bucket',
    'arn:aws:iam::123456789012:role/',
    'arn:aws:iam::12345:role/r',
    'arn:aws:iam::123456789012:role/has space',
  ]) {
    rejects(
      [str('ASSUME ROLE ARN', arn)],
      '22023',
      `invalid ASSUME ROLE ARN: ${JSON.stringify(arn)} is not an IAM role ARN (expected arn:aws:iam::<account id>:role/<role name>)`,
    );
  }
});

test('partial credentials', () => {
  const msg = 'must specify both ACCESS KEY ID and SECRET ACCESS KEY with optional SESSION TOKEN';
  rejects([str('ACCESS KEY ID', 'AK')], '22023', msg);
  rejects([sec('SECRET ACCESS KEY', 's')], '22023', msg);
  rejects([str('SESSION TOKEN', 't')], '22023', msg);
  rejects([str('ACCESS KEY ID', 'AK'), str('SESSION TOKEN', 't')], '22023', msg);
  rejects([sec('SECRET ACCESS KEY', 's'), sec('SESSION TOKEN', 't'), str('REGION', 'r')], '22023', msg);
});

test('session name without ARN', () => {
  const msg = 'must specify ASSUME ROLE ARN with optional ASSUME ROLE SESSION NAME';
  rejects([str('ASSUME ROLE SESSION NAME', 'sess')], '22023', msg);
  rejects(
    [str('ACCESS KEY ID', 'AK'), sec('SECRET ACCESS KEY', 's'), str('ASSUME ROLE SESSION NAME', 'sess')],
    '22023',
    msg,
  );
});

test('credentials and role together', () => {
  const msg = 'cannot specify both ACCESS KEY ID and ASSUME ROLE ARN';
  rejects([str('ACCESS KEY ID', 'AK'), sec('SECRET ACCESS KEY', 's'), str('ASSUME ROLE ARN', ARN)], '22023', msg);
  rejects([str('ACCESS KEY ID', 'AK'), str('ASSUME ROLE ARN', ARN)], '22023', msg);
  rejects([sec('SESSION TOKEN', 't'), str('ASSUME ROLE ARN', ARN)], '22023', msg);
});

test('neither mode', () => {
  const msg = 'must specify either ASSUME ROLE ARN or ACCESS KEY ID and SECRET ACCESS KEY';
  rejects([], '22023', msg);
  rejects([str('REGION', 'us-east-1')], '22023', msg);
  rejects([str('ENDPOINT', 'http://localhost:1'), str('REGION', 'x')], '22023', msg);
});

test('SECRET ACCESS KEY must be a secret', () => {
  const msg = 'invalid SECRET ACCESS KEY: must provide a secret value';
  rejects([str('ACCESS KEY ID', 'AK'), str('SECRET ACCESS KEY', 'plain')], '22023', msg);
  rejects(
    [str('ACCESS KEY ID', 'AK'), { name: 'SECRET ACCESS KEY', value: { kind: 'ident', text: 'plain' } }],
    '22023',
    msg,
  );
});

test('unsupported options', () => {
  rejects([str('BROKER', 'x'), str('ASSUME ROLE ARN', ARN)], '42601', 'AWS connections do not support BROKER values');
  rejects(
    [str('ASSUME ROLE ARN', ARN), str('AWS PRIVATELINK', 'x')],
    '42601',
    'AWS connections do not support AWS PRIVATELINK values',
  );
});

test('the same option twice', () => {
  rejects(
    [str('REGION', 'a'), str('REGION', 'b'), str('ASSUME ROLE ARN', ARN)],
    '42601',
    'REGION specified more than once',
  );
  rejects(
    [str('ASSUME ROLE ARN', ARN), str('ASSUME ROLE ARN', ARN)],
    '42601',
    'ASSUME ROLE ARN specified more than once',
  );
});

test('value kinds and shapes', () => {
  rejects(
    [str('ASSUME ROLE ARN', ARN), { name: 'REGION', value: { kind: 'number', text: '1' } }],
    '22023',
    'invalid REGION: must provide a string value',
  );
  rejects(
    [str('ASSUME ROLE ARN', ARN), sec('ENDPOINT', 's')],
    '22023',
    'invalid ENDPOINT: must provide a string value, not a secret',
  );
  rejects([sec('ASSUME ROLE ARN', 's')], '22023', 'invalid ASSUME ROLE ARN: must provide a string value, not a secret');
  rejects(
    [{ name: 'ACCESS KEY ID', value: { kind: 'bool', text: 'true' } }, sec('SECRET ACCESS KEY', 's')],
    '22023',
    'invalid ACCESS KEY ID: must provide a string or secret value',
  );
  rejects(
    [str('ASSUME ROLE ARN', ARN), str('ENDPOINT', 'not a url')],
    '22023',
    'invalid ENDPOINT: "not a url" is not a URL',
  );
  rejects(
    [str('ASSUME ROLE ARN', ARN), str('ENDPOINT', 'ftp://h')],
    '22023',
    'invalid ENDPOINT: "ftp://h" must use http:// or https://',
  );
  rejects(
    [str('ASSUME ROLE ARN', ARN), str('ASSUME ROLE SESSION NAME', 'x')],
    '22023',
    'invalid ASSUME ROLE SESSION NAME: "x" must be 2 to 64 characters of letters, digits and +=,.@_-',
  );
  // Identifiers read as strings, as in PostgreSQL option lists.
  const spec = planAwsConnectionOptions([
    str('ASSUME ROLE ARN', ARN),
    { name: 'REGION', value: { kind: 'ident', text: 'us_east_1' } },
  ]);
  assert.equal(spec.region, 'us_east_1');
});

test('ALTER: SET, DROP, RESET re-validated like CREATE', () => {
  const created = [str('ASSUME ROLE ARN', ARN), str('REGION', 'us-east-1')];
  const a = alterAwsConnectionOptions(created, [
    { kind: 'set', option: str('REGION', 'eu-west-1') },
    { kind: 'set', option: str('ENDPOINT', 'http://127.0.0.1:7480') },
  ]);
  assert.deepEqual(a.options, [
    str('ASSUME ROLE ARN', ARN),
    str('REGION', 'eu-west-1'),
    str('ENDPOINT', 'http://127.0.0.1:7480'),
  ]);
  assert.equal(a.spec.region, 'eu-west-1');
  assert.equal(a.spec.endpoint, 'http://127.0.0.1:7480');

  const b = alterAwsConnectionOptions(a.options, [
    { kind: 'drop', name: 'ENDPOINT' },
    { kind: 'reset', name: 'REGION' },
  ]);
  assert.deepEqual(b.options, [str('ASSUME ROLE ARN', ARN)]);
  // Dropping an unset option is a no-op.
  assert.deepEqual(alterAwsConnectionOptions(b.options, [{ kind: 'drop', name: 'SESSION TOKEN' }]).options, b.options);

  // Switching modes needs every action in one statement.
  const c = alterAwsConnectionOptions(b.options, [
    { kind: 'drop', name: 'ASSUME ROLE ARN' },
    { kind: 'set', option: str('ACCESS KEY ID', 'AK') },
    { kind: 'set', option: sec('SECRET ACCESS KEY', 'sk') },
  ]);
  assert.equal(c.spec.mode, 'credentials');

  const check = (fn: () => unknown, code: string, message: string): void =>
    assert.throws(fn, (e: unknown) => e instanceof SqlError && e.code === code && e.message === message);
  check(
    () => alterAwsConnectionOptions(b.options, [{ kind: 'set', option: str('ACCESS KEY ID', 'AK') }]),
    '22023',
    'cannot specify both ACCESS KEY ID and ASSUME ROLE ARN',
  );
  check(
    () => alterAwsConnectionOptions(b.options, [{ kind: 'drop', name: 'ASSUME ROLE ARN' }]),
    '22023',
    'must specify either ASSUME ROLE ARN or ACCESS KEY ID and SECRET ACCESS KEY',
  );
  check(
    () => alterAwsConnectionOptions(c.options, [{ kind: 'reset', name: 'SECRET ACCESS KEY' }]),
    '22023',
    'must specify both ACCESS KEY ID and SECRET ACCESS KEY with optional SESSION TOKEN',
  );
  check(
    () => alterAwsConnectionOptions(c.options, [{ kind: 'set', option: str('SECRET ACCESS KEY', 'plain') }]),
    '22023',
    'invalid SECRET ACCESS KEY: must provide a secret value',
  );
  check(
    () => alterAwsConnectionOptions(b.options, [{ kind: 'set', option: str('BROKER', 'x') }]),
    '42601',
    'AWS connections do not support BROKER values',
  );
  check(
    () => alterAwsConnectionOptions(b.options, [{ kind: 'reset', name: 'BROKER' }]),
    '42601',
    'AWS connections do not support BROKER values',
  );
  check(
    () =>
      alterAwsConnectionOptions(b.options, [
        { kind: 'set', option: str('REGION', 'a') },
        { kind: 'drop', name: 'REGION' },
      ]),
    '42601',
    'REGION specified more than once',
  );
  check(
    () => alterAwsConnectionOptions(b.options, [{ kind: 'set', option: str('ASSUME ROLE ARN', 'arn:nope') }]),
    '22023',
    'invalid ASSUME ROLE ARN: "arn:nope" is not an IAM role ARN (expected arn:aws:iam::<account id>:role/<role name>)',
  );
  // The stored options are never mutated by a failed or successful ALTER.
  assert.deepEqual(created, [str('ASSUME ROLE ARN', ARN), str('REGION', 'us-east-1')]);
});
