/**
 * Server side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL uses it in SASL
 * authentication (https://www.postgresql.org/docs/current/sasl-authentication.html).
 * Channel binding (SCRAM-SHA-256-PLUS) is not offered.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { SqlError } from '../errors/index.js';
import type { RoleAuth } from '../adapter/api.js';

export type ScramVerifier = NonNullable<RoleAuth['scram']>;

const hmac = (key: Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();
const sha256 = (data: Buffer): Buffer => createHash('sha256').update(data).digest();

/** The stored verifier for a password (what `CREATE ROLE ... PASSWORD` keeps). */
export function scramVerifier(password: string, salt: Buffer, iterations: number): ScramVerifier {
  // RFC 5802 section 3: SaltedPassword := Hi(Normalize(password), salt, i). SASLprep is
  // not applied; PostgreSQL also falls back to the raw bytes for non-normalizable input.
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  const clientKey = hmac(salted, 'Client Key');
  return { iterations, salt, storedKey: sha256(clientKey), serverKey: hmac(salted, 'Server Key') };
}

function protocolError(msg: string): SqlError {
  return new SqlError('08P01', msg, { severity: 'FATAL' });
}

/** Parses `a=1,b=2` attribute lists (values may contain '=' but not ','). */
function attrs(s: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of s.split(',')) {
    const eq = part.indexOf('=');
    if (eq !== 1) throw protocolError('malformed SCRAM message');
    out.set(part[0]!, part.slice(2));
  }
  return out;
}

/**
 * One SCRAM exchange. When the role does not exist or has no password, the exchange still
 * runs against a made-up verifier and fails only at the proof, as PostgreSQL does, so that
 * the answer does not reveal which roles exist.
 */
export class ScramExchange {
  private readonly verifier: ScramVerifier;
  private readonly real: boolean;
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';

  constructor(verifier: ScramVerifier | null, user: string, mockSecret: Buffer) {
    this.real = verifier !== null;
    this.verifier = verifier ?? {
      iterations: 4096,
      salt: createHmac('sha256', mockSecret).update(user).digest().subarray(0, 16),
      storedKey: randomBytes(32),
      serverKey: randomBytes(32),
    };
  }

  /** Handles SASLInitialResponse's client-first-message; returns server-first-message. */
  first(mechanism: string, clientFirst: string): string {
    if (mechanism !== 'SCRAM-SHA-256') {
      throw protocolError('client selected an invalid SASL authentication mechanism');
    }
    // gs2-header: 'n' (no channel binding) or 'y' (client could bind but thinks we cannot).
    const m = /^([ny]),(?:a=[^,]*)?,(.*)$/.exec(clientFirst);
    if (!m) throw protocolError('malformed SCRAM message');
    this.clientFirstBare = m[2]!;
    const a = attrs(this.clientFirstBare);
    const clientNonce = a.get('r');
    if (!clientNonce || !/^[\x21-\x2b\x2d-\x7e]+$/.test(clientNonce)) throw protocolError('malformed SCRAM message');
    this.nonce = clientNonce + randomBytes(18).toString('base64');
    this.serverFirst = `r=${this.nonce},s=${this.verifier.salt.toString('base64')},i=${this.verifier.iterations}`;
    return this.serverFirst;
  }

  /** Checks client-final-message; returns server-final-message, or null when the proof is wrong. */
  final(clientFinal: string): string | null {
    const pIdx = clientFinal.lastIndexOf(',p=');
    if (pIdx < 0) throw protocolError('malformed SCRAM message');
    const withoutProof = clientFinal.slice(0, pIdx);
    const a = attrs(withoutProof);
    if (a.get('r') !== this.nonce) throw protocolError('SCRAM nonce mismatch');
    // c= is base64 of the gs2-header, which must be what the client sent first ("n,," or "y,,").
    const cb = a.get('c');
    if (cb !== 'biws' && cb !== 'eSws') throw protocolError('SCRAM channel binding check failed');
    const proof = Buffer.from(clientFinal.slice(pIdx + 3), 'base64');
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.verifier.storedKey, authMessage);
    if (proof.length !== clientSignature.length) return null;
    const clientKey = Buffer.alloc(32);
    for (let i = 0; i < 32; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    const ok = timingSafeEqual(sha256(clientKey), this.verifier.storedKey);
    if (!ok || !this.real) return null;
    return 'v=' + hmac(this.verifier.serverKey, authMessage).toString('base64');
  }
}
