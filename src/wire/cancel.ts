/**
 * Server-wide registry of BackendKeyData keys, so that a CancelRequest arriving on a fresh
 * connection can find the session it names
 * (https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-CANCELING-REQUESTS).
 */
import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

export class CancelRegistry {
  private readonly entries = new Map<number, { secret: Buffer; cancel: () => void }>();
  // Process ids are sequential from a random start; the secret is what protects them.
  private nextPid = randomInt(1000, 1 << 30);

  register(cancel: () => void): { pid: number; secret: Buffer } {
    let pid = this.nextPid;
    while (this.entries.has(pid)) pid = pid >= 0x7fffffff ? 1000 : pid + 1;
    this.nextPid = pid >= 0x7fffffff ? 1000 : pid + 1;
    const secret = randomBytes(4);
    this.entries.set(pid, { secret, cancel });
    return { pid, secret };
  }

  /** Sessions registered now (one per open client session). */
  get size(): number {
    return this.entries.size;
  }

  remove(pid: number): void {
    this.entries.delete(pid);
  }

  /** Cancels when pid and secret match; the secret comparison takes constant time. */
  cancel(pid: number, secret: Buffer): boolean {
    const e = this.entries.get(pid);
    if (!e || secret.length !== e.secret.length || !timingSafeEqual(e.secret, secret)) return false;
    e.cancel();
    return true;
  }
}
