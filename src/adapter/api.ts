/**
 * The contract between the wire layer and the adapter. The wire layer speaks bytes and
 * the PostgreSQL message flow; the adapter owns sessions, transactions and the
 * sequencing of plans. Nothing here knows about sockets, and nothing in the wire layer
 * knows about DuckDB or the catalog.
 *
 * Values cross this boundary in PostgreSQL *text* format (`string | null`); the wire
 * layer converts to and from binary format per column / parameter type OID when a
 * client asks for it (src/wire/binary.ts).
 */
import { SqlError, type SqlState } from '../errors/index.js';

/** One column of a RowDescription (PostgreSQL protocol, "RowDescription"). */
export interface FieldDesc {
  name: string;
  /** OID of the table the column comes from, or 0. */
  tableOid: number;
  /** Attribute number within that table, or 0. */
  columnAttr: number;
  typeOid: number;
  /** pg_type.typlen: fixed size in bytes, or -1 for variable length. */
  typeSize: number;
  /** Type modifier (e.g. numeric precision/scale), -1 when none. */
  typeMod: number;
}

/** Transaction status for ReadyForQuery: idle, in a transaction block, or failed block. */
export type TxnStatus = 'I' | 'T' | 'E';

export interface Notice {
  severity: 'NOTICE' | 'WARNING' | 'INFO' | 'DEBUG' | 'LOG';
  code: SqlState;
  message: string;
  detail?: string;
  hint?: string;
}

/** Per-execution context supplied by the wire layer. */
export interface ExecContext {
  /** Delivers a NoticeResponse to the client immediately (e.g. export progress). */
  notice(n: Notice): void;
}

/** A stream of result rows, pulled in batches so the wire layer controls back-pressure and
 * portal suspension (Execute with a row limit). */
export interface RowStream {
  /** Up to `max` more rows (at least one), or null when the result is exhausted. */
  next(max: number): Promise<(string | null)[][] | null>;
  /** Releases the underlying engine result; safe to call more than once. */
  close(): Promise<void>;
}

export type ExecOutcome =
  /** A statement that returns rows. `tag(n)` builds the CommandComplete tag once n rows were sent. */
  | { kind: 'rows'; fields: FieldDesc[]; rows: RowStream; tag: (rowCount: number) => string }
  /** A statement without a result set: tag such as `CREATE TABLE`, `INSERT 0 3`, `COPY 10`. */
  | { kind: 'command'; tag: string }
  /** COPY ... TO STDOUT: `data` yields already-encoded CopyData payloads. */
  | {
      kind: 'copy_out';
      format: 'text' | 'csv';
      columnCount: number;
      data: AsyncIterable<Buffer>;
      /** Available after `data` is exhausted. */
      tag: () => string;
    }
  /** COPY ... FROM STDIN: the wire layer hands the CopyData payloads to `consume`. */
  | {
      kind: 'copy_in';
      format: 'text' | 'csv';
      columnCount: number;
      /** Resolves to the CommandComplete tag (`COPY n`); rejects with a SqlError. */
      consume: (data: AsyncIterable<Buffer>) => Promise<string>;
    }
  /** An empty query string (EmptyQueryResponse). */
  | { kind: 'empty' };

/** A statement prepared by Parse (named or unnamed). */
export interface PreparedStatement {
  readonly sql: string;
  /** Parameter type OIDs (as given by the client, unknown ones resolved by the engine). */
  readonly paramOids: number[];
  /** Row shape, or null when the statement returns no rows. */
  readonly fields: FieldDesc[] | null;
}

export interface Session {
  /** ParameterStatus pairs to send after authentication and whenever one changes. */
  parameterStatus(): [string, string][];
  /** Parameters whose value changed since the last call (sent as ParameterStatus). */
  takeChangedParameters(): [string, string][];
  txnStatus(): TxnStatus;
  /** The session's statement_timeout and idle_in_transaction_session_timeout in ms (0: off). */
  timeouts(): { statementMs: number; idleInTransactionMs: number };
  /**
   * Simple query protocol: one outcome per statement, in order. Errors are thrown as
   * SqlError (the wire layer stops at the first one). The adapter applies PostgreSQL's
   * implicit-transaction rules for multi-statement strings.
   */
  simpleQuery(sql: string, ctx: ExecContext): AsyncIterable<ExecOutcome>;
  /** Extended protocol Parse. `paramOids` may contain 0 for "infer". */
  prepare(sql: string, paramOids: number[]): Promise<PreparedStatement>;
  /** Extended protocol Bind+Execute of a prepared statement with text-format parameters. */
  execute(stmt: PreparedStatement, params: (string | null)[], ctx: ExecContext): Promise<ExecOutcome>;
  /** Called at Sync after an error inside an implicit transaction of the extended protocol. */
  sync(): Promise<void>;
  /** CancelRequest: interrupts the statement that is running, if any. Never throws. */
  cancel(): void;
  /** Connection closed (gracefully or not): roll back and release everything. Never throws. */
  close(): Promise<void>;
}

/** What the wire layer needs to authenticate a role with SCRAM-SHA-256. */
export interface RoleAuth {
  name: string;
  canLogin: boolean;
  /** SCRAM-SHA-256 verifier (RFC 5802 / 7677), or null when the role has no password. */
  scram: { iterations: number; salt: Buffer; storedKey: Buffer; serverKey: Buffer } | null;
}

export interface Coordinator {
  lookupRole(name: string): Promise<RoleAuth | null>;
  /**
   * Opens a session for an authenticated role. Throws SqlError, e.g. `3D000 database
   * "x" does not exist`.
   */
  openSession(opts: { user: string; database: string; params: Record<string, string> }): Promise<Session>;
}

export type { SqlError };

/**
 * statement_timeout, shared by every entry point that runs statements (pgwire, the HTTP
 * SQL API): the work runs with a timer that cancels the session as a CancelRequest would,
 * and the 57014 that results says why (docs/security.md, "Limits").
 */
export async function underStatementTimeout<T>(session: Session, fn: () => Promise<T>): Promise<T> {
  const ms = session.timeouts().statementMs;
  if (ms <= 0) return fn();
  let fired = false;
  const timer = setTimeout(() => {
    fired = true;
    session.cancel();
  }, ms);
  try {
    return await fn();
  } catch (err) {
    if (fired && err instanceof SqlError && err.code === '57014')
      throw new SqlError('57014', 'canceling statement due to statement timeout');
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
