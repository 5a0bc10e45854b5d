/**
 * Secret values at rest (docs/aws-connections.md, "Secrets at rest"): AES-256-GCM
 * under a key kept outside the catalog — a key file in the data directory (mode 0600,
 * created atomically on first start, reused afterwards) or a base64 key from configuration
 * (`--secrets-key`) for deployments that keep it elsewhere.
 *
 * Sealed format, version 1, as text so it fits any catalog column:
 *   `v1:` + base64( nonce (12 bytes) || ciphertext || GCM tag (16 bytes) )
 * A fresh random 96-bit nonce per value, as NIST SP 800-38D recommends for GCM. The
 * optional associated data (the secret's catalog id) binds a ciphertext to its row, so
 * values cannot be swapped between secrets by editing the catalog.
 *
 * Errors name files and versions, never a plaintext or key byte.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1:';
/** Name of the key file inside the data directory. */
export const SECRETS_KEY_FILE = 'secrets.key';

export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

function decodeKey(b64: string, where: string): Buffer {
  const text = b64.trim();
  const key = Buffer.from(text, 'base64');
  // Buffer.from ignores bad characters; re-encoding catches keys that are not base64.
  if (key.length !== KEY_BYTES || key.toString('base64').replace(/=+$/, '') !== text.replace(/=+$/, '')) {
    throw new SecretBoxError(`${where} must be ${KEY_BYTES} bytes of base64`);
  }
  return key;
}

/**
 * Reads the key file, creating it first if absent. Creation writes a complete key to a
 * private temporary file and then hard-links it into place: link() fails with EEXIST if
 * another process won the race, and readers never see a half-written key.
 */
async function loadOrCreateKeyFile(dataDir: string): Promise<Buffer> {
  await fs.mkdir(dataDir, { recursive: true });
  const file = path.join(dataDir, SECRETS_KEY_FILE);
  try {
    return await readKeyFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await fs.open(tmp, 'wx', 0o600);
  try {
    // The umask can only narrow 0600, but be explicit: this file is the whole secret.
    await handle.chmod(0o600);
    await handle.writeFile(randomBytes(KEY_BYTES).toString('base64') + '\n');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.link(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await fs.unlink(tmp);
  }
  return readKeyFile(file);
}

async function readKeyFile(file: string): Promise<Buffer> {
  const st = await fs.stat(file);
  if ((st.mode & 0o077) !== 0) {
    // Like ssh with private keys: a key others can read protects nothing.
    throw new SecretBoxError(
      `secrets key file ${file} is accessible by group or others (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`,
    );
  }
  return decodeKey(await fs.readFile(file, 'utf8'), `secrets key file ${file}`);
}

export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** The key from `keyBase64` when given (config `secretsKey`), else `<dataDir>/secrets.key`. */
  static async open(opts: { dataDir: string; keyBase64: string | null }): Promise<SecretBox> {
    if (opts.keyBase64 !== null) return new SecretBox(decodeKey(opts.keyBase64, '--secrets-key'));
    return new SecretBox(await loadOrCreateKeyFile(opts.dataDir));
  }

  /** For tests and tools that hold a raw key. */
  static fromKey(key: Buffer): SecretBox {
    if (key.length !== KEY_BYTES) throw new SecretBoxError(`secrets key must be ${KEY_BYTES} bytes`);
    return new SecretBox(Buffer.from(key));
  }

  /** Encrypts `plaintext`; `aad` (e.g. the secret's id) must be given again to open it. */
  seal(plaintext: string, aad = ''): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return VERSION + Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64');
  }

  /** Decrypts a value from `seal`; throws SecretBoxError (no plaintext) when it cannot. */
  open(sealed: string, aad = ''): string {
    if (!sealed.startsWith(VERSION)) {
      throw new SecretBoxError('sealed secret has an unknown format version');
    }
    const raw = Buffer.from(sealed.slice(VERSION.length), 'base64');
    if (raw.length < NONCE_BYTES + TAG_BYTES) throw new SecretBoxError('sealed secret is truncated');
    const nonce = raw.subarray(0, NONCE_BYTES);
    const tag = raw.subarray(raw.length - TAG_BYTES);
    const body = raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      // OpenSSL's message says nothing useful and the cause is not worth keeping.
      throw new SecretBoxError('secret could not be decrypted: wrong secrets key or corrupted value');
    }
  }
}
