/**
 * Named builders for frontend messages and a small raw-socket client, so wire tests can
 * say exactly which bytes a client sends. Built independently of src/wire/codec.ts, so a
 * bug in the server's codec cannot hide in the test's.
 */
import { connect, type Socket } from 'node:net';

function cstr(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
}
function i16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}
function i32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}
function typed(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from(type, 'ascii'), i32(body.length + 4), body]);
}
function untyped(...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  return Buffer.concat([i32(body.length + 4), body]);
}

export const fe = {
  startup(params: Record<string, string>, version = 196608): Buffer {
    const kv = Object.entries(params).flatMap(([k, v]) => [cstr(k), cstr(v)]);
    return untyped(i32(version), ...kv, Buffer.from([0]));
  },
  sslRequest: (): Buffer => untyped(i32(80877103)),
  gssencRequest: (): Buffer => untyped(i32(80877104)),
  cancelRequest: (pid: number, secret: number): Buffer => untyped(i32(80877102), i32(pid), i32(secret)),
  query: (sql: string): Buffer => typed('Q', cstr(sql)),
  parse: (name: string, sql: string, oids: number[] = []): Buffer =>
    typed('P', cstr(name), cstr(sql), i16(oids.length), ...oids.map(i32)),
  bind(
    portal: string,
    stmt: string,
    params: (Buffer | string | null)[],
    paramFormats: number[] = [],
    resultFormats: number[] = [],
  ): Buffer {
    const values = params.flatMap((p) => {
      if (p === null) return [i32(-1)];
      const b = typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
      return [i32(b.length), b];
    });
    return typed(
      'B',
      cstr(portal),
      cstr(stmt),
      i16(paramFormats.length),
      ...paramFormats.map(i16),
      i16(params.length),
      ...values,
      i16(resultFormats.length),
      ...resultFormats.map(i16),
    );
  },
  describe: (kind: 'S' | 'P', name: string): Buffer => typed('D', Buffer.from(kind), cstr(name)),
  execute: (portal: string, maxRows = 0): Buffer => typed('E', cstr(portal), i32(maxRows)),
  close: (kind: 'S' | 'P', name: string): Buffer => typed('C', Buffer.from(kind), cstr(name)),
  sync: (): Buffer => typed('S'),
  flush: (): Buffer => typed('H'),
  terminate: (): Buffer => typed('X'),
  copyData: (data: string | Buffer): Buffer => typed('d', typeof data === 'string' ? Buffer.from(data) : data),
  copyDone: (): Buffer => typed('c'),
  copyFail: (msg: string): Buffer => typed('f', cstr(msg)),
  /** A message header that declares `len` (including the length field) with no body. */
  header: (type: string, len: number): Buffer => Buffer.concat([Buffer.from(type, 'ascii'), i32(len)]),
};

export interface BackendMessage {
  type: string;
  body: Buffer;
}

/** Reads the fields of an ErrorResponse / NoticeResponse body into a map keyed by field code. */
export function errorFields(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < body.length && body[pos] !== 0) {
    const code = String.fromCharCode(body[pos]!);
    const end = body.indexOf(0, pos + 1);
    out[code] = body.toString('utf8', pos + 1, end);
    pos = end + 1;
  }
  return out;
}

/** DataRow body -> column values (text, or null). */
export function dataRowValues(body: Buffer): (Buffer | null)[] {
  const n = body.readInt16BE(0);
  const out: (Buffer | null)[] = [];
  let pos = 2;
  for (let i = 0; i < n; i++) {
    const len = body.readInt32BE(pos);
    pos += 4;
    if (len < 0) out.push(null);
    else {
      out.push(body.subarray(pos, pos + len));
      pos += len;
    }
  }
  return out;
}

/** A client that speaks raw bytes and reads backend messages one by one. */
export class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  ended = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => {
      this.buf = Buffer.concat([this.buf, c]);
      this.notify();
    });
    socket.on('close', () => {
      this.ended = true;
      this.notify();
    });
    socket.on('error', () => undefined);
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** Connects and completes a trust-mode startup, returning the client and its key data. */
  static async login(port: number, user = 'materialize'): Promise<{ c: RawClient; pid: number; secret: number }> {
    const c = await RawClient.connect(port);
    c.send(fe.startup({ user, database: 'materialize' }));
    const msgs = await c.until('Z');
    const k = msgs.find((m) => m.type === 'K');
    if (!k) throw new Error('no BackendKeyData');
    return { c, pid: k.body.readInt32BE(0), secret: k.body.readInt32BE(4) };
  }

  send(...bufs: Buffer[]): void {
    this.socket.write(Buffer.concat(bufs));
  }

  private async need(n: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.buf.length < n) {
      if (this.ended) return false;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${n} bytes (have ${this.buf.length})`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return true;
  }

  /** One raw byte (the answer to SSLRequest / GSSENCRequest). */
  async byte(timeoutMs = 5000): Promise<string | null> {
    if (!(await this.need(1, timeoutMs))) return null;
    const b = this.buf.subarray(0, 1).toString('ascii');
    this.buf = this.buf.subarray(1);
    return b;
  }

  /** The next backend message, or null when the server closed the connection. */
  async read(timeoutMs = 5000): Promise<BackendMessage | null> {
    if (!(await this.need(5, timeoutMs))) return null;
    const len = this.buf.readInt32BE(1);
    if (!(await this.need(1 + len, timeoutMs))) return null;
    const msg = { type: String.fromCharCode(this.buf[0]!), body: Buffer.from(this.buf.subarray(5, 1 + len)) };
    this.buf = this.buf.subarray(1 + len);
    return msg;
  }

  /** Messages up to and including the first of `type`; throws if the connection ends first. */
  async until(type: string, timeoutMs = 5000): Promise<BackendMessage[]> {
    const out: BackendMessage[] = [];
    for (;;) {
      const m = await this.read(timeoutMs);
      if (!m) throw new Error(`connection closed before '${type}'; got ${out.map((x) => x.type).join('')}`);
      out.push(m);
      if (m.type === type) return out;
    }
  }

  /** Resolves once the server has closed the connection. */
  async closed(timeoutMs = 5000): Promise<void> {
    while (!this.ended) await this.need(this.buf.length + 1, timeoutMs);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
