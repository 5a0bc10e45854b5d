/**
 * PostgreSQL protocol v3 codec: an incremental frontend frame reader with a hard size cap,
 * a field reader for frame bodies, and backend message builders writing into one growable
 * byte builder. Message layouts follow
 * https://www.postgresql.org/docs/current/protocol-message-formats.html (each builder links
 * its own entry).
 */
import { isUtf8 } from 'node:buffer';
import { SqlError } from '../errors/index.js';
import type { FieldDesc, Notice, TxnStatus } from '../adapter/api.js';

/** Startup packets are capped like PostgreSQL's MAX_STARTUP_PACKET_LENGTH (10000 bytes). */
const MAX_STARTUP_BYTES = 10_000;

/** Request codes that arrive in place of a protocol version in an untyped startup frame
 * (https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-SSLREQUEST). */
export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;

/** One frontend message. `type` is 0 for the untyped startup-phase frames. */
export interface Frame {
  type: number;
  body: Buffer;
  /** Set instead of a body for a Query or Parse over the statement cap: its declared size. */
  tooLarge?: number;
}

/** Query and Parse: the messages that carry SQL text, capped by `maxStatementBytes`. */
const STATEMENT_TYPES = new Set([0x51, 0x50]);

const EMPTY = Buffer.alloc(0);

/**
 * Splits a byte stream into frames. It holds at most the bytes of one unfinished message
 * plus whatever complete frames the consumer has not taken yet, and checks each declared
 * length against the cap as soon as the header is in, so an oversized message is refused
 * before any of its body is read or allocated.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Body length still expected for the frame whose header was consumed, or -1. */
  private need = -1;
  private type = 0;
  /** Untyped frames (StartupMessage, SSLRequest, CancelRequest) until the startup is done. */
  startup = true;
  /** Bytes of an oversized statement still to be thrown away as they arrive, or -1. */
  private discard = -1;
  private discardSize = 0;

  constructor(
    private readonly maxMessageBytes: number,
    private readonly maxStatementBytes = maxMessageBytes,
  ) {}

  /** Bytes received and not yet returned as frames. */
  get buffered(): number {
    return this.size;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** The next complete frame, or null when more bytes are needed. Throws SqlError on a bad header. */
  next(): Frame | null {
    if (this.discard >= 0) {
      // An oversized Query or Parse: its bytes are dropped as they come (never held), and
      // the connection goes on once they are gone.
      while (this.discard > 0 && this.chunks.length > 0) {
        const c = this.chunks[0]!;
        const k = Math.min(c.length, this.discard);
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
        this.size -= k;
        this.discard -= k;
      }
      if (this.discard > 0) return null;
      this.discard = -1;
      return { type: this.type, body: EMPTY, tooLarge: this.discardSize };
    }
    if (this.need < 0) {
      const headerLen = this.startup ? 4 : 5;
      if (this.size < headerLen) return null;
      const header = this.take(headerLen);
      const type = this.startup ? 0 : header[0]!;
      const len = header.readInt32BE(headerLen - 4);
      // The length includes itself, so anything below 4 cannot be a message.
      if (len < 4) throw new SqlError('08P01', 'invalid message length', { severity: 'FATAL' });
      if (
        !this.startup &&
        STATEMENT_TYPES.has(type) &&
        len - 4 > this.maxStatementBytes &&
        len - 4 <= this.maxMessageBytes
      ) {
        this.type = type;
        this.discard = len - 4;
        this.discardSize = len - 4;
        return this.next();
      }
      const cap = this.startup ? MAX_STARTUP_BYTES : this.maxMessageBytes;
      if (len - 4 > cap) {
        throw new SqlError('54000', 'message too large', {
          severity: 'FATAL',
          detail: `The message declares ${len - 4} bytes; the limit is ${cap} bytes.`,
        });
      }
      this.type = type;
      this.need = len - 4;
    }
    if (this.size < this.need) return null;
    const body = this.need === 0 ? EMPTY : this.take(this.need);
    this.need = -1;
    return { type: this.type, body };
  }

  /** Removes and returns exactly n buffered bytes (n <= size); zero-copy when one chunk holds them. */
  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let off = 0;
      while (off < n) {
        const c = this.chunks[0]!;
        const k = Math.min(c.length, n - off);
        c.copy(out, off, 0, k);
        off += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.size -= n;
    return out;
  }
}

/** Reads the fields of one frame body; running past its end is a protocol violation. */
export class BodyReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  private need(n: number): void {
    // The frame boundary is intact, so this is an ERROR and the connection carries on.
    if (n < 0 || this.pos + n > this.buf.length) {
      throw new SqlError('08P01', 'insufficient data left in message');
    }
  }
  i8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  i16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  /** True when every byte of the body has been read. */
  atEnd(): boolean {
    return this.pos >= this.buf.length;
  }
  cstring(): string {
    const end = this.buf.indexOf(0, this.pos);
    if (end < 0) throw new SqlError('08P01', 'invalid string in message');
    const v = utf8(this.buf.subarray(this.pos, end));
    this.pos = end + 1;
    return v;
  }
}

/**
 * Decodes client text. The server encoding is UTF8 and, as in PostgreSQL, invalid input is
 * an error rather than something silently replaced with U+FFFD.
 */
export function utf8(b: Buffer): string {
  if (!isUtf8(b)) throw new SqlError('22021', 'invalid byte sequence for encoding "UTF8"');
  return b.toString('utf8');
}

/**
 * The one byte builder: messages are appended back to back and handed to the socket in a
 * single write by `take()`. After a large result the buffer shrinks back, so one huge row
 * does not pin memory for the rest of the connection.
 */
export class Writer {
  private static readonly INITIAL = 16 * 1024;
  /** A buffer grown past this by one big message is dropped after it is taken. */
  private static readonly SHRINK_ABOVE = 1 << 20;
  private buf = Buffer.allocUnsafe(Writer.INITIAL);
  private pos = 0;
  private start = -1;

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Starts a typed message; its length is patched in by `end()`. */
  begin(type: number): this {
    this.ensure(5);
    this.buf[this.pos] = type;
    this.start = this.pos + 1;
    this.pos += 5;
    return this;
  }
  end(): this {
    this.buf.writeInt32BE(this.pos - this.start, this.start);
    return this;
  }
  i8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }
  i16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }
  i32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }
  /** UTF-8 text without terminator; returns the byte count written. */
  text(s: string): number {
    // 3 bytes per UTF-16 unit bounds any UTF-8 encoding, which saves a byteLength pass on
    // short strings; long ones are measured so a big value does not triple the buffer.
    this.ensure(s.length > 4096 ? Buffer.byteLength(s) : s.length * 3);
    const n = this.buf.write(s, this.pos, 'utf8');
    this.pos += n;
    return n;
  }
  cstring(s: string): this {
    this.text(s);
    return this.i8(0);
  }
  /** A length-prefixed value (Int32 length, -1 for NULL), as in DataRow and Bind. */
  value(v: string | Buffer | null): this {
    if (v === null) return this.i32(-1);
    if (typeof v !== 'string') return this.i32(v.length).bytes(v);
    const at = this.pos;
    this.i32(0);
    const n = this.text(v); // may grow (replace) this.buf, so read it only afterwards
    this.buf.writeInt32BE(n, at);
    return this;
  }

  /** Everything written so far, as a buffer the caller owns; the builder starts empty. */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    if (this.buf.length > Writer.SHRINK_ABOVE) this.buf = Buffer.allocUnsafe(Writer.INITIAL);
    return out;
  }
}

function constant(build: (w: Writer) => void): Buffer {
  const w = new Writer();
  build(w);
  return w.take();
}

/** Pre-encoded messages that never vary; sent with `Writer.bytes`. */
export const CONST = {
  // https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-AUTHENTICATIONOK
  authOk: constant((w) => w.begin(0x52).i32(0).end()),
  // https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-AUTHENTICATIONSASL
  authSasl: constant((w) => w.begin(0x52).i32(10).cstring('SCRAM-SHA-256').i8(0).end()),
  // https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-PARSECOMPLETE
  parseComplete: constant((w) => w.begin(0x31).end()),
  // https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-BINDCOMPLETE
  bindComplete: constant((w) => w.begin(0x32).end()),
  // https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-CLOSECOMPLETE
  closeComplete: constant((w) => w.begin(0x33).end()),
  // https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-NODATA
  noData: constant((w) => w.begin(0x6e).end()),
  // https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-PORTALSUSPENDED
  portalSuspended: constant((w) => w.begin(0x73).end()),
  // https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-EMPTYQUERYRESPONSE
  emptyQuery: constant((w) => w.begin(0x49).end()),
  // https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-COPYDONE
  copyDone: constant((w) => w.begin(0x63).end()),
  // https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-READYFORQUERY
  ready: {
    I: constant((w) => w.begin(0x5a).i8(0x49).end()),
    T: constant((w) => w.begin(0x5a).i8(0x54).end()),
    E: constant((w) => w.begin(0x5a).i8(0x45).end()),
  } satisfies Record<TxnStatus, Buffer>,
  // https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-SSL
  sslYes: Buffer.from('S'),
  sslNo: Buffer.from('N'),
};

/** Builders for messages with contents; each appends one message to `w`. */
export const backend = {
  /** https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-AUTHENTICATIONSASLCONTINUE */
  authSaslContinue(w: Writer, data: string): void {
    w.begin(0x52).i32(11);
    w.text(data);
    w.end();
  },
  /** https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-AUTHENTICATIONSASLFINAL */
  authSaslFinal(w: Writer, data: string): void {
    w.begin(0x52).i32(12);
    w.text(data);
    w.end();
  },
  /** https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-PARAMETERSTATUS */
  parameterStatus(w: Writer, name: string, value: string): void {
    w.begin(0x53).cstring(name).cstring(value).end();
  },
  /** https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-BACKENDKEYDATA */
  backendKeyData(w: Writer, pid: number, secret: Buffer): void {
    w.begin(0x4b).i32(pid).bytes(secret).end();
  },
  /** https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-NEGOTIATEPROTOCOLVERSION */
  negotiateProtocolVersion(w: Writer, newestMinor: number, unrecognized: string[]): void {
    w.begin(0x76).i32(newestMinor).i32(unrecognized.length);
    for (const o of unrecognized) w.cstring(o);
    w.end();
  },
  /** https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-READYFORQUERY */
  readyForQuery(w: Writer, status: TxnStatus): void {
    w.bytes(CONST.ready[status]);
  },
  /** https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-ROWDESCRIPTION */
  rowDescription(w: Writer, fields: FieldDesc[], formats: readonly number[]): void {
    w.begin(0x54).i16(fields.length);
    fields.forEach((f, i) => {
      w.cstring(f.name).i32(f.tableOid).i16(f.columnAttr).i32(f.typeOid).i16(f.typeSize).i32(f.typeMod);
      w.i16(formats[i] ?? 0);
    });
    w.end();
  },
  /** https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-PARAMETERDESCRIPTION */
  parameterDescription(w: Writer, oids: readonly number[]): void {
    w.begin(0x74).i16(oids.length);
    for (const o of oids) w.i32(o);
    w.end();
  },
  /** https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-DATAROW */
  dataRow(w: Writer, values: readonly (string | Buffer | null)[]): void {
    w.begin(0x44).i16(values.length);
    for (const v of values) w.value(v);
    w.end();
  },
  /** https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-COMMANDCOMPLETE */
  commandComplete(w: Writer, tag: string): void {
    w.begin(0x43).cstring(tag).end();
  },
  /**
   * CopyOutResponse ('H') and CopyInResponse ('G') share a layout; text and csv COPY are
   * both "textual" (overall format 0, every column format 0).
   * https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-COPYOUTRESPONSE
   * https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-COPYINRESPONSE
   */
  copyResponse(w: Writer, direction: 'in' | 'out', columnCount: number): void {
    w.begin(direction === 'in' ? 0x47 : 0x48)
      .i8(0)
      .i16(columnCount);
    for (let i = 0; i < columnCount; i++) w.i16(0);
    w.end();
  },
  /** https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-COPYDATA */
  copyData(w: Writer, data: Buffer): void {
    w.begin(0x64).bytes(data).end();
  },
  /**
   * ErrorResponse ('E') and NoticeResponse ('N') share the field layout.
   * https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-ERRORRESPONSE
   * https://www.postgresql.org/docs/current/protocol-error-fields.html
   */
  errorResponse(w: Writer, e: SqlError): void {
    writeFields(w, 0x45, e.severity, e.code, e.message, e.detail, e.hint, e.position);
  },
  /** https://www.postgresql.org/docs/current/protocol-message-formats.html#PROTOCOL-MESSAGE-FORMATS-NOTICERESPONSE */
  noticeResponse(w: Writer, n: Notice): void {
    writeFields(w, 0x4e, n.severity, n.code, n.message, n.detail, n.hint, undefined);
  },
};

function writeFields(
  w: Writer,
  type: number,
  severity: string,
  code: string,
  message: string,
  detail: string | undefined,
  hint: string | undefined,
  position: number | undefined,
): void {
  w.begin(type);
  // S is the localized severity and V the never-localized one; Ferry does not localize.
  w.i8(0x53).cstring(severity).i8(0x56).cstring(severity).i8(0x43).cstring(code).i8(0x4d).cstring(message);
  if (detail !== undefined) w.i8(0x44).cstring(detail);
  if (hint !== undefined) w.i8(0x48).cstring(hint);
  if (position !== undefined) w.i8(0x50).cstring(String(position));
  w.i8(0).end();
}
