// Secrets at rest (docs/aws-connections.md, "Secrets at rest").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile, chmod, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { SecretBox, SecretBoxError, SECRETS_KEY_FILE } from '../../src/catalog/secret-box.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-secretbox-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const PLAINTEXT = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

test('key file is created with mode 0600, atomically, and reused', () =>
  withDir(async (dir) => {
    const data = path.join(dir, 'data');
    // Concurrent first starts agree on one key.
    const boxes = await Promise.all([1, 2, 3, 4].map(() => SecretBox.open({ dataDir: data, keyBase64: null })));
    const st = await stat(path.join(data, SECRETS_KEY_FILE));
    assert.equal(st.mode & 0o777, 0o600);
    const sealed = boxes[0]!.seal(PLAINTEXT);
    for (const b of boxes) assert.equal(b.open(sealed), PLAINTEXT);
    const keyBefore = await readFile(path.join(data, SECRETS_KEY_FILE), 'utf8');
    const again = await SecretBox.open({ dataDir: data, keyBase64: null });
    assert.equal(again.open(sealed), PLAINTEXT);
    assert.equal(await readFile(path.join(data, SECRETS_KEY_FILE), 'utf8'), keyBefore);
    // No temporary files are left behind.
    assert.deepEqual(await readdir(data), [SECRETS_KEY_FILE]);
  }));

test('a key file readable by others is refused', () =>
  withDir(async (dir) => {
    await SecretBox.open({ dataDir: dir, keyBase64: null });
    await chmod(path.join(dir, SECRETS_KEY_FILE), 0o644);
    await assert.rejects(SecretBox.open({ dataDir: dir, keyBase64: null }), (e: unknown) => {
      assert.ok(e instanceof SecretBoxError);
      assert.match(e.message, /accessible by group or others \(mode 644\)/);
      return true;
    });
  }));

test('round trip, random nonce, versioned format, associated data', () => {
  const box = SecretBox.fromKey(randomBytes(32));
  const a = box.seal(PLAINTEXT, 'u1');
  const b = box.seal(PLAINTEXT, 'u1');
  assert.notEqual(a, b);
  assert.match(a, /^v1:[A-Za-z0-9+/=]+$/);
  assert.equal(box.open(a, 'u1'), PLAINTEXT);
  assert.equal(box.open(box.seal('', 'x'), 'x'), '');
  assert.equal(box.open(box.seal('ünïcødé ✓'), ''), 'ünïcødé ✓');
  // Bound to its row: the same ciphertext under another secret id does not open.
  assert.throws(() => box.open(a, 'u2'), SecretBoxError);
  assert.throws(() => box.open('v9:' + a.slice(3)), /unknown format version/);
  assert.throws(() => box.open('v1:AAAA'), /truncated/);
});

test('ciphertext does not contain the plaintext', () => {
  const box = SecretBox.fromKey(randomBytes(32));
  const sealed = box.seal(PLAINTEXT);
  assert.ok(!sealed.includes(PLAINTEXT));
  const raw = Buffer.from(sealed.slice(3), 'base64');
  assert.equal(raw.indexOf(Buffer.from(PLAINTEXT)), -1);
  assert.ok(!raw.toString('latin1').includes('EXAMPLEKEY'));
});

test('the wrong key fails without revealing anything', () => {
  const sealed = SecretBox.fromKey(randomBytes(32)).seal(PLAINTEXT);
  const other = SecretBox.fromKey(randomBytes(32));
  assert.throws(
    () => other.open(sealed),
    (e: unknown) => {
      assert.ok(e instanceof SecretBoxError);
      assert.equal(e.message, 'secret could not be decrypted: wrong secrets key or corrupted value');
      assert.ok(!String(e.stack).includes(PLAINTEXT));
      return true;
    },
  );
  // A flipped ciphertext bit is caught by the GCM tag.
  const raw = Buffer.from(sealed.slice(3), 'base64');
  raw[14] = raw[14]! ^ 1;
  assert.throws(() => SecretBox.fromKey(randomBytes(32)).open('v1:' + raw.toString('base64')), SecretBoxError);
});

test('key from configuration', () =>
  withDir(async (dir) => {
    const key = randomBytes(32).toString('base64');
    const box = await SecretBox.open({ dataDir: dir, keyBase64: key });
    const box2 = await SecretBox.open({ dataDir: path.join(dir, 'elsewhere'), keyBase64: key });
    assert.equal(box2.open(box.seal(PLAINTEXT)), PLAINTEXT);
    // No key file is written when the key comes from configuration.
    await assert.rejects(stat(path.join(dir, SECRETS_KEY_FILE)));
    await assert.rejects(
      SecretBox.open({ dataDir: dir, keyBase64: 'c2hvcnQ=' }),
      /--secrets-key must be 32 bytes of base64/,
    );
    await assert.rejects(SecretBox.open({ dataDir: dir, keyBase64: '!'.repeat(44) }), /must be 32 bytes of base64/);
    // A data dir whose key file holds garbage is refused.
    await writeFile(path.join(dir, SECRETS_KEY_FILE), 'garbage', { mode: 0o600 });
    await assert.rejects(SecretBox.open({ dataDir: dir, keyBase64: null }), /must be 32 bytes of base64/);
  }));
