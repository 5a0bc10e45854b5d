/**
 * One client connection: the PostgreSQL v3 message flow from the startup packet to
 * Terminate (https://www.postgresql.org/docs/current/protocol-flow.html). Messages are
 * pulled one at a time by an async loop, so a statement, a COPY FROM STDIN and the
 * authentication exchange all read the socket the same way and nothing runs concurrently
 * on one session.
 */
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import type { FerryConfig } from '../config/index.js';
import {
  type Coordinator,
  type ExecContext,
  type ExecOutcome,
  type FieldDesc,
  type PreparedStatement,
  type RowStream,
  type Session,
  underStatementTimeout,
} from '../adapter/api.js';
import { SqlError, toSqlError, quoteIdent, type SqlState } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import {
  BodyReader,
  CANCEL_REQUEST_CODE,
  CONST,
  FrameReader,
  GSSENC_REQUEST_CODE,
  SSL_REQUEST_CODE,
  Writer,
  backend,
  utf8,
  type Frame,
} from './codec.js';
import { binarySupported, binaryToText, textToBinary } from './binary.js';
import { ScramExchange } from './scram.js';
import type { CancelRegistry } from './cancel.js';

/** What every connection of one server shares. */
export interface ServerContext {
  config: FerryConfig;
  coordinator: Coordinator;
  log: Logger;
  tls: SecureContext | null;
  registry: CancelRegistry;
  /** Derives stable fake salts for unknown roles (see ScramExchange). */
  mockSecret: Buffer;
}

/** Unprocessed input beyond this pauses the socket until the message loop catches up. */
const INPUT_HIGH_WATER = 1 << 20;
/** Rows asked of a RowStream at a time. */
const ROW_BATCH = 256;
/** Pending output beyond this is written out (and waits for 'drain') mid-result. */
const FLUSH_BYTES = 64 * 1024;
/** Like PostgreSQL's authentication_timeout: a silent client cannot hold a slot forever. */
const STARTUP_TIMEOUT_MS = 60_000;

/** Frontend message type bytes (https://www.postgresql.org/docs/current/protocol-message-formats.html). */
const MSG = {
  bind: 0x42,
  close: 0x43,
  describe: 0x44,
  execute: 0x45,
  flush: 0x48,
  parse: 0x50,
  query: 0x51,
  sync: 0x53,
  terminate: 0x58,
  copyData: 0x64,
  copyDone: 0x63,
  copyFail: 0x66,
  password: 0x70,
} as const;

/** Thrown to unwind a handler when the client has gone; never reaches the client. */
class ClientGone extends Error {}

interface Portal {
  stmt: PreparedStatement;
  params: (string | null)[];
  /** Result format codes as sent in Bind (none, one for all, or one per column). */
  formats: number[];
  outcome: ExecOutcome | null;
  /** A row result that reached its end; further Executes complete with zero rows. */
  done: boolean;
}

type Handler = (c: Connection, r: BodyReader) => Promise<void>;

function fatal(code: SqlState, message: string): SqlError {
  return new SqlError(code, message, { severity: 'FATAL' });
}

/** Result format per column from Bind's list: none = text, one = for all, else per column. */
function expandFormats(formats: number[], n: number): number[] {
  if (formats.length === 0) return new Array<number>(n).fill(0);
  if (formats.length === 1) return new Array<number>(n).fill(formats[0]!);
  return formats;
}

export class Connection {
  private socket: Socket;
  private readonly reader: FrameReader;
  private readonly out = new Writer();
  private readonly log: Logger;
  private closed = false;
  private paused = false;
  private wake: (() => void) | null = null;
  /** A framing error makes the stream unreadable; it ends the connection. */
  private broken: SqlError | null = null;
  private session: Session | null = null;
  /** BackendKeyData process id; 0 until the session is registered for CancelRequests. */
  private pid = 0;
  /** A statement is executing: a vanishing client must cancel it. */
  private busy = false;
  private skipUntilSync = false;
  /** Ends the connection when it sits idle inside a transaction too long (readyForQuery). */
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly statements = new Map<string, PreparedStatement>();
  private readonly portals = new Map<string, Portal>();
  private readonly execCtx: ExecContext;
  /** Settles once the connection is over and its session closed. */
  readonly done: Promise<void>;

  constructor(
    socket: Socket,
    private readonly ctx: ServerContext,
  ) {
    this.socket = socket;
    this.reader = new FrameReader(ctx.config.maxMessageBytes, ctx.config.maxStatementBytes);
    this.log = ctx.log;
    this.execCtx = {
      notice: (n) => {
        backend.noticeResponse(this.out, n);
        void this.flush();
      },
    };
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    this.attach(socket);
    this.done = this.run();
  }

  /** Ends the connection from the server side (shutdown): FATAL 57P01, then close. */
  terminate(): void {
    if (this.closed) return;
    const w = new Writer();
    backend.errorResponse(w, fatal('57P01', 'terminating connection due to administrator command'));
    this.socket.end(w.take());
    this.onClose();
  }

  // ---- input

  private readonly onData = (chunk: Buffer): void => {
    this.reader.push(chunk);
    // Only pause while the loop is busy elsewhere; a waiting loop drains the reader at once.
    // The price, as in PostgreSQL: a paused socket is not read, so a client that pipelined
    // this much and then vanished is noticed when its statement's answer fails to send.
    if (this.wake === null && this.reader.buffered > INPUT_HIGH_WATER && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    this.wake?.();
  };

  private readonly onClose = (): void => {
    if (this.closed) return;
    this.closed = true;
    // A client vanishing mid-statement must not leave the engine working for nobody.
    if (this.busy) this.session?.cancel();
    this.wake?.();
  };

  private readonly onError = (err: Error): void => {
    this.log.debug('socket error', { pid: this.pid, err: err.message });
    this.onClose();
  };

  private attach(s: Socket): void {
    s.on('data', this.onData);
    s.on('end', this.onClose);
    s.on('close', this.onClose);
    s.on('error', this.onError);
  }

  private detach(s: Socket): void {
    s.off('data', this.onData);
    s.off('end', this.onClose);
    s.off('close', this.onClose);
    s.off('error', this.onError);
  }

  /** The next frontend message, or null once the client is gone. */
  private async next(): Promise<Frame | null> {
    for (;;) {
      if (this.broken) throw this.broken;
      try {
        const f = this.reader.next();
        if (f) {
          this.clearIdleTimer();
          return f;
        }
      } catch (err) {
        this.broken = toSqlError(err);
        throw this.broken;
      }
      if (this.closed) return null;
      if (this.paused) {
        this.paused = false;
        this.socket.resume();
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }

  // ---- output

  /** Writes pending output; waits for 'drain' when the socket buffer is full. Never rejects. */
  private async flush(): Promise<void> {
    if (this.out.length === 0) return;
    const buf = this.out.take();
    if (this.closed || this.socket.destroyed) return;
    if (this.socket.write(buf)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  private sendError(err: unknown): void {
    backend.errorResponse(this.out, toSqlError(err));
  }

  private sendChangedParameters(): void {
    if (!this.session) return;
    for (const [k, v] of this.session.takeChangedParameters()) backend.parameterStatus(this.out, k, v);
  }

  private async readyForQuery(): Promise<void> {
    this.sendChangedParameters();
    const status = this.session?.txnStatus() ?? 'I';
    backend.readyForQuery(this.out, status);
    await this.flush();
    this.clearIdleTimer();
    const idleMs = status === 'I' ? 0 : (this.session?.timeouts().idleInTransactionMs ?? 0);
    if (idleMs > 0) {
      // As PostgreSQL's idle_in_transaction_session_timeout: the session ends (its
      // transaction rolls back in teardown) and the client is told why.
      this.idleTimer = setTimeout(() => {
        this.broken = fatal('25P03', 'terminating connection due to idle-in-transaction timeout');
        this.wake?.();
      }, idleMs);
      this.idleTimer.unref();
    }
  }

  private clearIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  // ---- lifecycle

  private async run(): Promise<void> {
    const timer = setTimeout(() => {
      if (!this.session) this.socket.destroy();
    }, STARTUP_TIMEOUT_MS);
    timer.unref();
    try {
      if (await this.startup()) await this.serve();
    } catch (err) {
      if (!(err instanceof ClientGone)) await this.fail(err);
    } finally {
      clearTimeout(timer);
      await this.teardown();
    }
  }

  /** Reports a connection-ending error to the client (as FATAL) and to the log. */
  private async fail(err: unknown): Promise<void> {
    const e = toSqlError(err);
    this.log.debug('connection ended with error', { pid: this.pid, code: e.code, message: e.message });
    if (this.closed) return;
    const fatalErr =
      e.severity === 'FATAL'
        ? e
        : new SqlError(e.code, e.message, { detail: e.detail, hint: e.hint, severity: 'FATAL' });
    backend.errorResponse(this.out, fatalErr);
    await this.flush();
  }

  private async teardown(): Promise<void> {
    this.closed = true;
    this.clearIdleTimer();
    if (this.pid !== 0) this.ctx.registry.remove(this.pid);
    for (const name of [...this.portals.keys()]) await this.dropPortal(name);
    this.statements.clear();
    if (this.session) {
      try {
        await this.session.close();
      } catch (err) {
        this.log.warn('session close failed', { pid: this.pid, err: String(err) });
      }
    }
    this.socket.end();
    // Give a polite close a moment, then make sure the descriptor is released.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  // ---- startup (https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP)

  /** Runs the startup phase; true when a session is open and ReadyForQuery was sent. */
  private async startup(): Promise<boolean> {
    for (;;) {
      const f = await this.next();
      if (!f) return false;
      const r = new BodyReader(f.body);
      const code = r.i32();
      if (code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) {
        if (code === SSL_REQUEST_CODE && this.ctx.tls && !(this.socket instanceof TLSSocket)) {
          await this.upgradeTls(this.ctx.tls);
        } else {
          this.out.bytes(CONST.sslNo);
          await this.flush();
        }
        continue;
      }
      if (code === CANCEL_REQUEST_CODE) {
        const pid = r.i32();
        this.ctx.registry.cancel(pid, r.bytes(4));
        return false;
      }
      const major = code >>> 16;
      const minor = code & 0xffff;
      if (major !== 3)
        throw fatal('0A000', `unsupported frontend protocol ${major}.${minor}: server supports 3.0 to 3.0`);
      const params: Record<string, string> = {};
      for (;;) {
        const key = r.cstring();
        if (key === '') break;
        params[key] = r.cstring();
      }
      // Typed messages from here on, whatever is already buffered.
      this.reader.startup = false;
      const unknown = Object.keys(params).filter((k) => k.startsWith('_pq_.'));
      if (minor > 0 || unknown.length > 0) backend.negotiateProtocolVersion(this.out, 0, unknown);
      return this.authenticate(params);
    }
  }

  /** Answers 'S' and continues the startup phase over TLS on the same socket. */
  private async upgradeTls(secureContext: SecureContext): Promise<void> {
    // Bytes after SSLRequest but before the handshake would be trusted without encryption
    // (CVE-2021-23214), so a client that pipelines them is refused.
    if (this.reader.buffered > 0) throw fatal('08P01', 'received unencrypted data after SSL request');
    const raw = this.socket;
    this.detach(raw);
    // The TLS socket reports failures from now on; this only keeps a stray one from crashing.
    raw.on('error', (err) => this.log.debug('socket error under TLS', { err: err.message }));
    raw.write(CONST.sslYes);
    const secure = new TLSSocket(raw, { isServer: true, secureContext });
    this.socket = secure;
    this.attach(secure);
    await new Promise<void>((resolve) => {
      const settle = (): void => {
        secure.off('secure', settle);
        secure.off('close', settle);
        resolve();
      };
      secure.on('secure', settle);
      secure.on('close', settle);
    });
  }

  /** The body of the client's next SASL message ('p'); anything else ends the connection. */
  private async saslMessage(): Promise<Buffer> {
    const f = await this.next();
    if (!f) throw new ClientGone();
    if (f.type !== MSG.password) throw fatal('08P01', `expected SASL response, got message type ${f.type}`);
    return f.body;
  }

  private async authenticate(params: Record<string, string>): Promise<boolean> {
    const user = params['user'];
    if (!user) throw fatal('28000', 'no PostgreSQL user name specified in startup packet');
    const { coordinator, config } = this.ctx;
    const role = await coordinator.lookupRole(user);
    if (config.auth === 'password') {
      // https://www.postgresql.org/docs/current/sasl-authentication.html#SASL-SCRAM-SHA-256
      const scram = new ScramExchange(role?.scram ?? null, user, this.ctx.mockSecret);
      this.out.bytes(CONST.authSasl);
      await this.flush();
      const r = new BodyReader(await this.saslMessage());
      const mechanism = r.cstring();
      const len = r.i32();
      const first = len < 0 ? '' : r.bytes(len).toString('utf8');
      backend.authSaslContinue(this.out, scram.first(mechanism, first));
      await this.flush();
      const final = scram.final((await this.saslMessage()).toString('utf8'));
      if (final === null) throw fatal('28P01', `password authentication failed for user ${quoteIdent(user)}`);
      backend.authSaslFinal(this.out, final);
    }
    // As in PostgreSQL, LOGIN is checked after the password, so a wrong password never
    // reveals whether the role may log in. Without passwords (trust) every role may
    // connect, as in Materialize (docs/compat.md, "Roles").
    if (config.auth === 'password' && role && !role.canLogin)
      throw fatal('28000', `role ${quoteIdent(user)} is not permitted to log in`);
    this.out.bytes(CONST.authOk);
    const session = await coordinator.openSession({ user, database: params['database'] || 'materialize', params });
    this.session = session;
    if (this.closed) return false;
    const key = this.ctx.registry.register(() => session.cancel());
    this.pid = key.pid;
    // Counted once registered, so that two logins at once cannot both take the last slot.
    const current = this.ctx.registry.size - 1;
    if (current >= config.maxConnections) {
      throw fatal(
        '53300',
        `creating connection would violate max_connections limit (desired: ${current + 1}, limit: ${config.maxConnections}, current: ${current})`,
      );
    }
    for (const [k, v] of session.parameterStatus()) backend.parameterStatus(this.out, k, v);
    backend.backendKeyData(this.out, key.pid, key.secret);
    this.log.debug('session started', { pid: this.pid, user });
    await this.readyForQuery();
    return true;
  }

  // ---- the message loop

  private static readonly handlers: (Handler | undefined)[] = (() => {
    const t = new Array<Handler | undefined>(256);
    t[MSG.query] = (c, r) => c.onQuery(r);
    t[MSG.parse] = (c, r) => c.onParse(r);
    t[MSG.bind] = (c, r) => c.onBind(r);
    t[MSG.describe] = (c, r) => c.onDescribe(r);
    t[MSG.execute] = (c, r) => c.onExecute(r);
    t[MSG.close] = (c, r) => c.onClosePortalOrStatement(r);
    t[MSG.flush] = (c) => c.flush();
    t[MSG.sync] = (c) => c.onSync();
    // Leftovers of a COPY FROM STDIN that failed early; PostgreSQL ignores them too.
    const ignore: Handler = async () => {};
    t[MSG.copyData] = ignore;
    t[MSG.copyDone] = ignore;
    t[MSG.copyFail] = ignore;
    return t;
  })();

  private async serve(): Promise<void> {
    for (;;) {
      const f = await this.next();
      if (!f || f.type === MSG.terminate) return;
      // After an error in the extended protocol, everything up to Sync is skipped.
      if (this.skipUntilSync && f.type !== MSG.sync) continue;
      if (f.tooLarge !== undefined) {
        await this.onTooLarge(f.type, f.tooLarge);
        continue;
      }
      const handler = Connection.handlers[f.type];
      if (!handler) throw fatal('08P01', `invalid frontend message type ${f.type}`);
      await handler(this, new BodyReader(f.body));
    }
  }

  /** A Query or Parse over --max-statement-bytes: refused, its bytes dropped, the session goes on. */
  private async onTooLarge(type: number, bytes: number): Promise<void> {
    this.handleError(
      new SqlError('54000', 'statement too large', {
        detail: `The statement is ${bytes} bytes; the limit is ${this.ctx.config.maxStatementBytes} bytes.`,
        hint: 'Pass large values as parameters or with COPY FROM STDIN.',
      }),
    );
    if (type === MSG.query) await this.readyForQuery();
    else this.skipUntilSync = true;
  }

  /** Error path shared by all handlers: fatal conditions unwind, the rest become ErrorResponse. */
  private handleError(err: unknown): void {
    if (this.broken) throw this.broken;
    if (this.closed || err instanceof ClientGone) throw new ClientGone();
    this.sendError(err);
  }

  // ---- simple query (https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-SIMPLE-QUERY)

  private async onQuery(r: BodyReader): Promise<void> {
    const session = this.session!;
    // A simple Query destroys the unnamed statement and portal, as in PostgreSQL.
    await this.dropPortal('');
    this.statements.delete('');
    this.busy = true;
    try {
      const sql = r.cstring();
      // A NUL inside the text would silently cut the statement short.
      if (!r.atEnd())
        throw new SqlError('08P01', 'invalid message format', { detail: 'Query text contains a NUL byte.' });
      await underStatementTimeout(session, async () => {
        for await (const outcome of session.simpleQuery(sql, this.execCtx)) {
          if (outcome.kind === 'rows') backend.rowDescription(this.out, outcome.fields, []);
          await this.sendOutcome(outcome, null, 0);
          this.sendChangedParameters();
        }
      });
    } catch (err) {
      this.handleError(err);
    } finally {
      this.busy = false;
    }
    await this.readyForQuery();
  }

  /**
   * Sends one statement's result. `formats` are per-column result formats (null: text);
   * `limit` caps the rows sent (0: all). Returns false when a row result was suspended.
   */
  private async sendOutcome(o: ExecOutcome, formats: number[] | null, limit: number): Promise<boolean> {
    switch (o.kind) {
      case 'rows': {
        let sent: number;
        try {
          sent = await this.sendRows(o.rows, o.fields, formats, limit);
        } catch (err) {
          await this.release(o.rows);
          throw err;
        }
        if (sent < 0) return false;
        await this.release(o.rows);
        backend.commandComplete(this.out, o.tag(sent));
        return true;
      }
      case 'command':
        backend.commandComplete(this.out, o.tag);
        return true;
      case 'empty':
        this.out.bytes(CONST.emptyQuery);
        return true;
      case 'copy_out':
        backend.copyResponse(this.out, 'out', o.columnCount);
        for await (const chunk of o.data) {
          backend.copyData(this.out, chunk);
          await this.flushIfFull();
        }
        this.out.bytes(CONST.copyDone);
        backend.commandComplete(this.out, o.tag());
        return true;
      case 'copy_in':
        backend.copyResponse(this.out, 'in', o.columnCount);
        await this.flush();
        backend.commandComplete(this.out, await this.copyIn(o.consume));
        return true;
    }
  }

  private async flushIfFull(): Promise<void> {
    if (this.out.length >= FLUSH_BYTES) await this.flush();
    if (this.closed) throw new ClientGone();
  }

  /**
   * Streams DataRows, pulling from the engine only as fast as the client reads. Returns the
   * number sent, or -1 when `limit` rows were sent (the portal is suspended, not finished).
   */
  private async sendRows(
    rows: RowStream,
    fields: FieldDesc[],
    formats: number[] | null,
    limit: number,
  ): Promise<number> {
    const binary = formats !== null && formats.some((f) => f === 1);
    let sent = 0;
    for (;;) {
      const want = limit === 0 ? ROW_BATCH : Math.min(ROW_BATCH, limit - sent);
      if (want === 0) return -1;
      const batch = await rows.next(want);
      if (batch === null) return sent;
      for (const row of batch) {
        backend.dataRow(
          this.out,
          binary ? row.map((v, i) => (v === null || formats[i] !== 1 ? v : textToBinary(fields[i]!.typeOid, v))) : row,
        );
        // Per row, so a batch of wide rows cannot pile up in memory before the first write.
        await this.flushIfFull();
      }
      sent += batch.length;
    }
  }

  /** COPY FROM STDIN: hands CopyData payloads to the adapter until CopyDone or CopyFail. */
  private async copyIn(consume: (data: AsyncIterable<Buffer>) => Promise<string>): Promise<string> {
    let finished = false;
    const next = (): Promise<Frame | null> => this.next();
    async function* payloads(): AsyncGenerator<Buffer> {
      for (;;) {
        const f = await next();
        if (!f) throw new ClientGone();
        switch (f.type) {
          case MSG.copyData:
            yield f.body;
            break;
          case MSG.copyDone:
            finished = true;
            return;
          case MSG.copyFail:
            finished = true;
            throw new SqlError('57014', `COPY from stdin failed: ${new BodyReader(f.body).cstring()}`);
          case MSG.terminate:
            throw new ClientGone();
          // Flush and Sync may be interleaved by extended-protocol clients; they mean nothing here.
          case MSG.flush:
          case MSG.sync:
            break;
          default:
            finished = true;
            throw new SqlError('08P01', `unexpected message type 0x${f.type.toString(16)} during COPY from stdin`);
        }
      }
    }
    const tag = await consume(payloads());
    // The adapter stopped reading early: the rest of the client's data still has to go.
    while (!finished) {
      const f = await this.next();
      if (!f) throw new ClientGone();
      finished = f.type === MSG.copyDone || f.type === MSG.copyFail;
    }
    return tag;
  }

  // ---- extended query (https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY)

  /** Runs one extended-protocol message; an error is reported and the rest skipped until Sync. */
  private async extended(fn: () => void | Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.handleError(err);
      this.skipUntilSync = true;
    }
  }

  private onParse(r: BodyReader): Promise<void> {
    return this.extended(async () => {
      const name = r.cstring();
      const sql = r.cstring();
      const n = r.i16();
      const oids: number[] = [];
      for (let i = 0; i < n; i++) oids.push(r.u32());
      // The unnamed statement is silently replaced; named ones must be closed first.
      if (name !== '' && this.statements.has(name)) {
        throw new SqlError('42P05', `prepared statement ${quoteIdent(name)} already exists`);
      }
      this.statements.set(name, await this.session!.prepare(sql, oids));
      this.out.bytes(CONST.parseComplete);
    });
  }

  private onBind(r: BodyReader): Promise<void> {
    return this.extended(async () => {
      const portalName = r.cstring();
      const stmtName = r.cstring();
      const stmt = this.statement(stmtName);
      const paramFormats: number[] = [];
      for (let i = r.i16(); i > 0; i--) paramFormats.push(r.i16());
      const n = r.i16();
      if (n !== stmt.paramOids.length) {
        throw new SqlError(
          '08P01',
          `bind message supplies ${n} parameters, but prepared statement ${quoteIdent(stmtName)} requires ${stmt.paramOids.length}`,
        );
      }
      if (paramFormats.length > 1 && paramFormats.length !== n) {
        throw new SqlError('08P01', `bind message has ${paramFormats.length} parameter formats but ${n} parameters`);
      }
      const formatOfParam = expandFormats(paramFormats, n);
      const params: (string | null)[] = [];
      for (let i = 0; i < n; i++) {
        const len = r.i32();
        // A length of -1 is NULL; the bytes are a view into the frame, never a fresh copy.
        const value = len < 0 ? null : r.bytes(len);
        const fmt = formatOfParam[i]!;
        if (value === null) params.push(null);
        else if (fmt === 0) params.push(utf8(value));
        else if (fmt === 1) params.push(binaryToText(stmt.paramOids[i]!, value, i));
        else throw new SqlError('22023', `unsupported format code: ${fmt}`);
      }
      const formats: number[] = [];
      for (let i = r.i16(); i > 0; i--) formats.push(r.i16());
      const fields = stmt.fields ?? [];
      if (formats.length > 1 && formats.length !== fields.length) {
        throw new SqlError(
          '08P01',
          `bind message has ${formats.length} result formats but query has ${fields.length} columns`,
        );
      }
      // Checked at Bind rather than mid-result, so a client never gets half a result set
      // before learning that a column cannot be sent in binary.
      const perColumn = expandFormats(formats, fields.length);
      perColumn.forEach((fmt, i) => {
        if (fmt !== 0 && fmt !== 1) throw new SqlError('22023', `unsupported format code: ${fmt}`);
        const oid = fields[i]!.typeOid;
        if (fmt === 1 && !binarySupported(oid))
          throw new SqlError('0A000', `binary format for type ${oid} not yet supported`);
      });
      if (portalName !== '' && this.portals.has(portalName)) {
        throw new SqlError('42P03', `cursor ${quoteIdent(portalName)} already exists`);
      }
      await this.dropPortal(portalName);
      this.portals.set(portalName, { stmt, params, formats, outcome: null, done: false });
      this.out.bytes(CONST.bindComplete);
    });
  }

  private onDescribe(r: BodyReader): Promise<void> {
    return this.extended(() => {
      const kind = r.i8();
      const name = r.cstring();
      if (kind === 0x53) {
        const stmt = this.statement(name);
        backend.parameterDescription(this.out, stmt.paramOids);
        if (stmt.fields) backend.rowDescription(this.out, stmt.fields, []);
        else this.out.bytes(CONST.noData);
      } else if (kind === 0x50) {
        const p = this.portal(name);
        const fields = p.stmt.fields;
        if (fields) backend.rowDescription(this.out, fields, expandFormats(p.formats, fields.length));
        else this.out.bytes(CONST.noData);
      } else {
        throw new SqlError('08P01', `invalid DESCRIBE message subtype ${kind}`);
      }
    });
  }

  private onExecute(r: BodyReader): Promise<void> {
    return this.extended(async () => {
      const name = r.cstring();
      const maxRows = r.i32();
      const p = this.portal(name);
      this.busy = true;
      try {
        await underStatementTimeout(this.session!, async () => {
          // The statement runs at the portal's first Execute; later ones resume its RowStream.
          p.outcome ??= await this.session!.execute(p.stmt, p.params, this.execCtx);
          const o = p.outcome;
          if (p.done) {
            // Re-executing a finished portal: nothing more to send, as in PostgreSQL.
            backend.commandComplete(this.out, o.kind === 'rows' ? o.tag(0) : o.kind === 'command' ? o.tag : 'SELECT 0');
          } else {
            const formats = o.kind === 'rows' ? expandFormats(p.formats, o.fields.length) : null;
            const finished = await this.sendOutcome(o, formats, maxRows > 0 ? maxRows : 0);
            if (finished) p.done = true;
            else this.out.bytes(CONST.portalSuspended);
          }
          this.sendChangedParameters();
        });
      } finally {
        this.busy = false;
      }
    });
  }

  private onClosePortalOrStatement(r: BodyReader): Promise<void> {
    return this.extended(async () => {
      const kind = r.i8();
      const name = r.cstring();
      if (kind === 0x53) this.statements.delete(name);
      else if (kind === 0x50) await this.dropPortal(name);
      else throw new SqlError('08P01', `invalid CLOSE message subtype ${kind}`);
      // Closing something that does not exist is not an error.
      this.out.bytes(CONST.closeComplete);
    });
  }

  private async onSync(): Promise<void> {
    this.skipUntilSync = false;
    const session = this.session!;
    try {
      // The adapter ends the implicit transaction here (commit, or rollback after an error).
      await session.sync();
    } catch (err) {
      this.handleError(err);
    }
    // Portals live as long as their transaction; outside a block, Sync ends it.
    if (session.txnStatus() === 'I') {
      for (const name of [...this.portals.keys()]) await this.dropPortal(name);
    }
    await this.readyForQuery();
  }

  private statement(name: string): PreparedStatement {
    const s = this.statements.get(name);
    if (!s) throw new SqlError('26000', `prepared statement ${quoteIdent(name)} does not exist`);
    return s;
  }

  private portal(name: string): Portal {
    const p = this.portals.get(name);
    if (!p) throw new SqlError('34000', `portal ${quoteIdent(name)} does not exist`);
    return p;
  }

  private async dropPortal(name: string): Promise<void> {
    const p = this.portals.get(name);
    if (!p) return;
    this.portals.delete(name);
    if (p.outcome?.kind === 'rows') await this.release(p.outcome.rows);
  }

  /** Closes a result; a failure there must not replace the error being reported. */
  private async release(rows: RowStream): Promise<void> {
    try {
      await rows.close();
    } catch (err) {
      this.log.warn('closing a result failed', { pid: this.pid, err: String(err) });
    }
  }
}
