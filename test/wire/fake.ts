/**
 * A small fake of the adapter (Coordinator / Session) for wire-layer tests. It understands a
 * handful of made-up statements, enough to exercise every message flow; the adapter itself
 * is tested elsewhere. Each session records what the wire layer asked of it.
 */
import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import type {
  Coordinator,
  ExecContext,
  ExecOutcome,
  FieldDesc,
  PreparedStatement,
  RoleAuth,
  RowStream,
  Session,
  TxnStatus,
} from '../../src/adapter/api.js';
import type { FerryConfig } from '../../src/config/index.js';
import { SqlError } from '../../src/errors/index.js';
import { scramVerifier } from '../../src/wire/scram.js';
import { startPgServer, type PgServer } from '../../src/wire/index.js';
import { createLogger } from '../../src/log/index.js';

export function field(name: string, typeOid: number): FieldDesc {
  return { name, tableOid: 0, columnAttr: 0, typeOid, typeSize: -1, typeMod: -1 };
}

const TYPE_NAMES: Record<string, number> = {
  bool: 16,
  bytea: 17,
  int8: 20,
  int2: 21,
  int4: 23,
  int: 23,
  text: 25,
  float4: 700,
  float8: 701,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
  point: 600,
};

/** Rows 1..n of one int4 column, pulled in batches; records whether it was closed. */
export class SeriesStream implements RowStream {
  private i = 0;
  closed = false;
  pulled = 0;
  constructor(private readonly n: number) {}
  next(max: number): Promise<(string | null)[][] | null> {
    if (this.i >= this.n) return Promise.resolve(null);
    const rows: string[][] = [];
    while (rows.length < max && this.i < this.n) rows.push([String(++this.i)]);
    this.pulled += rows.length;
    return Promise.resolve(rows);
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

function rowsOf(fields: FieldDesc[], data: (string | null)[][]): ExecOutcome {
  let done = false;
  return {
    kind: 'rows',
    fields,
    rows: {
      next: () => Promise.resolve(done || data.length === 0 ? null : ((done = true), data)),
      close: () => Promise.resolve(),
    },
    tag: (n) => `SELECT ${n}`,
  };
}

export class FakeSession implements Session {
  cancels = 0;
  closes = 0;
  syncs = 0;
  copied = '';
  streams: SeriesStream[] = [];
  /** Resolves when a `sleep` statement starts running. */
  sleeping: Promise<void>;
  private startSleep!: () => void;
  private wakeSleeper: (() => void) | null = null;
  private txn: TxnStatus = 'I';
  private changed: [string, string][] = [];
  private readonly params = new Map<string, string>([
    ['server_version', '9.5.0'],
    ['client_encoding', 'UTF8'],
    ['DateStyle', 'ISO, MDY'],
    ['TimeZone', 'UTC'],
    ['integer_datetimes', 'on'],
    ['standard_conforming_strings', 'on'],
  ]);

  constructor(readonly user: string) {
    this.sleeping = new Promise((r) => (this.startSleep = r));
  }

  parameterStatus(): [string, string][] {
    return [...this.params];
  }
  takeChangedParameters(): [string, string][] {
    const c = this.changed;
    this.changed = [];
    return c;
  }
  statementMs = 0;
  idleInTransactionMs = 0;
  timeouts(): { statementMs: number; idleInTransactionMs: number } {
    return { statementMs: this.statementMs, idleInTransactionMs: this.idleInTransactionMs };
  }
  txnStatus(): TxnStatus {
    return this.txn;
  }

  async *simpleQuery(sql: string, ctx: ExecContext): AsyncIterable<ExecOutcome> {
    const stmts = sql.split(';').map((s) => s.trim());
    if (stmts.every((s) => s === '')) {
      yield { kind: 'empty' };
      return;
    }
    for (const s of stmts) if (s !== '') yield await this.run(s, [], ctx);
  }

  prepare(sql: string, paramOids: number[]): Promise<PreparedStatement> {
    if (/^fail_parse/i.test(sql))
      return Promise.reject(new SqlError('42601', 'syntax error at or near "fail_parse"', { position: 1 }));
    // Parameters: the client's OIDs, else the `$n::type` cast, else text.
    const count = Math.max(0, ...[...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
    const oids: number[] = [];
    for (let i = 0; i < count; i++) {
      const cast = new RegExp(`\\$${i + 1}::(\\w+)`).exec(sql);
      oids.push(paramOids[i] || (cast ? (TYPE_NAMES[cast[1]!] ?? 25) : 25));
    }
    let fields: FieldDesc[] | null = null;
    if (/^select/i.test(sql)) fields = count > 0 ? oids.map((o, i) => field(`p${i + 1}`, o)) : this.shape(sql);
    return Promise.resolve({ sql, paramOids: oids, fields });
  }

  async execute(stmt: PreparedStatement, params: (string | null)[], ctx: ExecContext): Promise<ExecOutcome> {
    if (params.length > 0) return rowsOf(stmt.fields!, [params]);
    return this.run(stmt.sql, params, ctx);
  }

  sync(): Promise<void> {
    this.syncs++;
    return Promise.resolve();
  }
  cancel(): void {
    this.cancels++;
    this.wakeSleeper?.();
  }
  close(): Promise<void> {
    this.closes++;
    this.wakeSleeper?.();
    return Promise.resolve();
  }

  private shape(sql: string): FieldDesc[] | null {
    const s = sql.toLowerCase();
    if (s.startsWith('select series')) return [field('n', 23)];
    if (s.startsWith('select types')) return TYPED.map(([name, oid]) => field(name, oid));
    if (s.startsWith('select point')) return [field('p', 600)];
    if (s.startsWith('select')) return [field('?column?', 23)];
    return null;
  }

  private async run(sql: string, _params: (string | null)[], ctx: ExecContext): Promise<ExecOutcome> {
    const s = sql.toLowerCase();
    let m: RegExpExecArray | null;
    if ((m = /^select series (\d+)$/.exec(s))) {
      const stream = new SeriesStream(Number(m[1]));
      this.streams.push(stream);
      return { kind: 'rows', fields: [field('n', 23)], rows: stream, tag: (n) => `SELECT ${n}` };
    }
    if (s === 'select types')
      return rowsOf(
        TYPED.map(([n, o]) => field(n, o)),
        [TYPED.map(([, , v]) => v)],
      );
    if (s === 'select point') return rowsOf([field('p', 600)], [['(1,2)']]);
    if ((m = /^select (\d+)$/.exec(s))) return rowsOf([field('?column?', 23)], [[m[1]!]]);
    if (s === 'fail') {
      throw new SqlError('22012', 'division by zero', { detail: 'some detail', hint: 'some hint', position: 3 });
    }
    if (s === 'crash') throw new Error('secret internal failure');
    if (s === 'notice') {
      ctx.notice({ severity: 'NOTICE', code: '00000', message: 'hello from the adapter', detail: 'd' });
      return { kind: 'command', tag: 'DO' };
    }
    if (s === 'sleep') {
      this.startSleep();
      await new Promise<void>((r) => (this.wakeSleeper = r));
      this.wakeSleeper = null;
      throw new SqlError('57014', 'canceling statement due to user request');
    }
    if ((m = /^set (\w+) = (\w+)$/.exec(s))) {
      this.params.set(m[1]!, m[2]!);
      this.changed.push([m[1]!, m[2]!]);
      return { kind: 'command', tag: 'SET' };
    }
    if (s === 'begin') {
      this.txn = 'T';
      return { kind: 'command', tag: 'BEGIN' };
    }
    if (s === 'commit') {
      this.txn = 'I';
      return { kind: 'command', tag: 'COMMIT' };
    }
    if (s === 'copy t to stdout') {
      const lines = ['1\ta\n', '2\tb\n', '3\t\\N\n'];
      return {
        kind: 'copy_out',
        format: 'text',
        columnCount: 2,
        // eslint-disable-next-line @typescript-eslint/require-await -- an async generator is the plain way to stream fixed chunks as the AsyncIterable a COPY TO STDOUT result is
        data: (async function* () {
          for (const l of lines) yield Buffer.from(l);
        })(),
        tag: () => `COPY ${lines.length}`,
      };
    }
    if (s === 'copy t from stdin' || s === 'copy bad from stdin') {
      const reject = s.startsWith('copy bad');
      return {
        kind: 'copy_in',
        format: 'text',
        columnCount: 2,
        consume: async (data) => {
          let text = '';
          for await (const chunk of data) {
            text += chunk.toString();
            if (reject) throw new SqlError('22P02', 'invalid input syntax for type integer: "x"');
          }
          this.copied += text;
          return `COPY ${text.split('\n').filter((l) => l !== '').length}`;
        },
      };
    }
    if (s.startsWith('insert')) return { kind: 'command', tag: 'INSERT 0 1' };
    throw new SqlError('42601', `syntax error at or near "${sql.split(' ')[0]}"`);
  }
}

/** One value of each binary-capable type, as the adapter would send it in text. */
export const TYPED: [string, number, string][] = [
  ['b', 16, 't'],
  ['i2', 21, '-12'],
  ['i4', 23, '123456'],
  ['i8', 20, '9007199254740993'],
  ['f4', 700, '1.5'],
  ['f8', 701, '3.25'],
  ['n', 1700, '-12345.6789'],
  ['t', 25, 'héllo'],
  ['ts', 1114, '2010-10-10 10:10:10.5'],
  ['tz', 1184, '2010-10-10 08:10:10+00'],
  ['d', 1082, '2010-10-10'],
  ['by', 17, '\\x0102ff'],
  ['u', 2950, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
  ['j', 3802, '{"a": 1}'],
];

export class FakeCoordinator implements Coordinator {
  sessions: FakeSession[] = [];
  roles = new Map<string, RoleAuth>();

  /** Adds a role; with a password it gets a SCRAM verifier like CREATE ROLE ... PASSWORD. */
  addRole(name: string, password: string | null, canLogin = true): void {
    this.roles.set(name, {
      name,
      canLogin,
      scram: password === null ? null : scramVerifier(password, randomBytes(16), 4096),
    });
  }

  lookupRole(name: string): Promise<RoleAuth | null> {
    return Promise.resolve(this.roles.get(name) ?? null);
  }

  openSession(opts: { user: string; database: string }): Promise<Session> {
    if (opts.database === 'nope')
      return Promise.reject(new SqlError('3D000', `database "${opts.database}" does not exist`));
    const s = new FakeSession(opts.user);
    this.sessions.push(s);
    return Promise.resolve(s);
  }

  last(): FakeSession {
    const s = this.sessions[this.sessions.length - 1];
    if (!s) throw new Error('no session');
    return s;
  }
}

export function testConfig(over: Partial<FerryConfig> = {}): FerryConfig {
  return {
    dataDir: '/nonexistent',
    pgListen: { host: '127.0.0.1', port: 0 },
    httpListen: { host: '127.0.0.1', port: 0 },
    auth: 'trust',
    tlsCert: null,
    tlsKey: null,
    maxMessageBytes: 1024 * 1024,
    maxStatementBytes: 1024 * 1024,
    maxConnections: 1000,
    awsConnectionRoleArn: null,
    awsExternalIdPrefix: null,
    secretsKey: null,
    memoryLimit: null,
    logLevel: 'error',
    ...over,
  };
}

/** A wire server in trust mode over a fresh FakeCoordinator, shared by the tests of one
 * file: started in `before`, closed in `after` (so `server` is there once tests run). */
export function fakeWireServer(): { coord: FakeCoordinator; readonly server: PgServer } {
  const coord = new FakeCoordinator();
  let server: PgServer | undefined;
  before(async () => {
    server = await startPgServer({ config: testConfig(), coordinator: coord, log: createLogger('test') });
  });
  after(async () => {
    await server?.close();
  });
  return {
    coord,
    get server(): PgServer {
      if (!server) throw new Error('the wire server starts in before()');
      return server;
    },
  };
}
