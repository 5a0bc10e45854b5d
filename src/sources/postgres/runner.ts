/**
 * One PostgreSQL source at run time (docs/sources.md, "How a source runs"): the initial
 * snapshot, then the replication stream, applied to the subsource tables.
 *
 *  - Snapshot: a walsender session creates the replication slot with an exported snapshot
 *    (`CREATE_REPLICATION_SLOT … LOGICAL pgoutput EXPORT_SNAPSHOT`); a second session
 *    imports it in a REPEATABLE READ transaction and reads every table through a cursor,
 *    FETCH_ROWS at a time. The rows, the slot's consistent point in the progress table and
 *    nothing else commit in one engine transaction: a subsource is either empty and
 *    unreadable or holds the whole snapshot.
 *  - Stream: pgoutput through pg-logical-replication, with flow control (the socket is
 *    paused while a message is applied, so a slow engine never buffers the WAL in memory).
 *    Each upstream transaction is applied in one engine transaction together with its end
 *    LSN in the progress table; only after that commit is the LSN acknowledged upstream.
 *    A restart resumes from the stored LSN and skips any transaction at or before it, so
 *    nothing is lost and nothing is applied twice.
 *  - Failures: a lost connection, a restarted server or a missing slot leave the source
 *    `stalled` with the error and retry with backoff; TRUNCATE and incompatible schema
 *    changes put the subsource in an error state that reads report (Materialize's texts).
 *
 * Does not: touch the catalog, check privileges, or decide names; the adapter passes the
 * spec and writes statuses and statistics where users read them.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { LogicalReplicationService, PgoutputPlugin } from 'pg-logical-replication';
import type { Pgoutput } from 'pg-logical-replication';
import pg from 'pg';
import { engineError } from '../../engine/errors.js';
import { SqlError } from '../../errors/index.js';
import type { Logger } from '../../log/index.js';
import { type SourceTable } from './upstream.js';
import { type SubsourceColumn, prepareText, valueSql } from './types.js';

/** Rows a snapshot cursor fetches at once. */
const FETCH_ROWS = 5000;
/** Rows one INSERT statement carries. */
const INSERT_ROWS = 5000;
/**
 * Upstream transactions applied in one engine transaction while more are already waiting
 * (each is still all-or-nothing: a group holds whole transactions only), and for how long
 * a group may stay open before it commits.
 */
const GROUP_TRANSACTIONS = 1000;
const GROUP_MS = 100;
/** A group commits once no new transaction has arrived for this long. */
const GROUP_IDLE_MS = 5;
/** How often the applied position is reported upstream while the stream is quiet. */
const STATUS_INTERVAL_MS = 10_000;
const BACKOFF_MS = [500, 1000, 2000, 5000, 10_000, 30_000];
/** How long an orderly end of the replication connection may take before its socket is cut. */
const STOP_MS = 2000;

export type SourceStatus = 'created' | 'starting' | 'running' | 'stalled' | 'failed' | 'dropped';

export interface RunnerTable extends SourceTable {
  /** The subsource's catalog id. */
  id: string;
  /** `"schema"."name"` of the subsource's engine table. */
  engineTable: string;
}

export interface RunnerSpec {
  id: string;
  /** For logs: `materialize.public.pg_source`. */
  name: string;
  slot: string;
  publication: string;
  tables: RunnerTable[];
  /** `"schema"."name"` of the progress table (one row, `lsn`). */
  progressTable: string;
}

export interface SourceStatistics {
  messagesReceived: number;
  bytesReceived: number;
  updatesStaged: number;
  updatesCommitted: number;
  snapshotRecordsKnown: number;
  snapshotRecordsStaged: number;
  snapshotCommitted: boolean;
  offsetKnown: bigint;
  offsetCommitted: bigint;
}

export interface RunnerDeps {
  /** A new engine connection the runner owns. */
  connect(): Promise<DuckDBConnection>;
  /** Client settings for the upstream server: a normal session, or a walsender one. */
  clientConfig(replication: boolean): Promise<pg.ClientConfig>;
  log: Logger;
  /** Status of the source (`id` = source) or of one subsource, as it changes. */
  onStatus(id: string, status: SourceStatus, error: string | null): void;
  /** Subsources already in an error state (by catalog id), read when the runner starts. */
  tableErrors(): Promise<Record<string, string>>;
  /** A subsource entered an error state; it stays in it until it is dropped. */
  onTableError(id: string, error: string): Promise<void>;
}

/** `16/B374D848` → its 64-bit value. */
export function parseLsn(text: string): bigint {
  const m = /^([0-9A-Fa-f]+)\/([0-9A-Fa-f]+)$/.exec(text);
  if (!m) throw new SqlError('XX000', `invalid LSN ${text}`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

export function formatLsn(v: bigint): string {
  return `${(v >> 32n).toString(16).toUpperCase()}/${(v & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** pgoutput with values left in PostgreSQL's text form (the library would parse them). */
class TextPgoutput extends PgoutputPlugin {
  override parse(buffer: Buffer): Pgoutput.Message {
    const msg = super.parse(buffer);
    if (msg.tag === 'relation') for (const c of msg.columns) c.parser = (raw: unknown) => raw;
    return msg;
  }
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });

const message = (err: unknown): string => (err instanceof Error ? err.message : JSON.stringify(err));

/** A pgoutput value: text (the parsers are identities), or null. */
function textOf(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return JSON.stringify(v);
}

const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;

export class PostgresSourceRunner {
  readonly stats: SourceStatistics = {
    messagesReceived: 0,
    bytesReceived: 0,
    updatesStaged: 0,
    updatesCommitted: 0,
    snapshotRecordsKnown: 0,
    snapshotRecordsStaged: 0,
    snapshotCommitted: false,
    offsetKnown: 0n,
    offsetCommitted: 0n,
  };
  /** Subsources in an error state (by catalog id), with the error reads report. */
  readonly tableErrors = new Map<string, string>();
  private readonly abort = new AbortController();
  private conn: DuckDBConnection | null = null;
  private loop: Promise<void> | null = null;
  private service: LogicalReplicationService | null = null;
  private snapshotWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private firstAttempt = true;

  constructor(
    readonly spec: RunnerSpec,
    private readonly deps: RunnerDeps,
  ) {}

  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  /** Starts the snapshot (when none is committed yet) and then the stream, retrying failures. */
  start(): void {
    this.loop ??= this.run();
  }

  /**
   * Resolves once the snapshot is committed. With `failFast`, the first failure of the
   * first attempt rejects (CREATE SOURCE reports it and removes the source).
   */
  snapshotDone(failFast: boolean): Promise<void> {
    if (this.stats.snapshotCommitted) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.snapshotWaiters.push({
        resolve,
        reject: failFast
          ? reject
          : () => {
              /* keeps waiting for a later attempt */
            },
      });
    });
  }

  /** Stops streaming and closes every connection; an open engine transaction rolls back. */
  async stop(): Promise<void> {
    this.abort.abort();
    for (const w of this.snapshotWaiters) w.reject(new SqlError('57014', 'source dropped'));
    this.snapshotWaiters = [];
    if (this.service) await closeService(this.service);
    await this.loop?.catch(() => undefined);
  }

  private async engine(): Promise<DuckDBConnection> {
    this.conn ??= await this.deps.connect();
    return this.conn;
  }

  private async run(): Promise<void> {
    const log = this.deps.log;
    let failures = 0;
    try {
      const conn = await this.engine();
      const stored = await conn.runAndReadAll(`SELECT CAST(lsn AS VARCHAR) FROM ${this.spec.progressTable}`);
      for (const [id, err] of Object.entries(await this.deps.tableErrors())) this.tableErrors.set(id, err);
      const row = stored.getRowsJS()[0];
      if (row && row[0] !== null) {
        this.stats.snapshotCommitted = true;
        this.stats.offsetCommitted = BigInt(row[0] as string);
        this.stats.offsetKnown = this.stats.offsetCommitted;
      }
    } catch (err) {
      log.error('source cannot read its progress', { source: this.spec.name, error: message(err) });
      this.deps.onStatus(this.spec.id, 'failed', message(err));
      this.rejectWaiters(err);
      return;
    }
    while (!this.stopped) {
      try {
        this.deps.onStatus(this.spec.id, 'starting', null);
        if (!this.stats.snapshotCommitted) await this.snapshot();
        this.firstAttempt = false;
        await this.stream(() => {
          failures = 0;
        });
      } catch (err) {
        if (this.stopped) break;
        const text = message(err);
        log.warn('source stalled', { source: this.spec.name, error: text });
        this.deps.onStatus(this.spec.id, 'stalled', text);
        if (this.firstAttempt) {
          this.firstAttempt = false;
          this.rejectWaiters(err);
        }
        await sleep(BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)]!, this.abort.signal);
        failures++;
      }
    }
    await this.conn?.run('ROLLBACK').catch(() => undefined);
    this.conn?.closeSync();
    this.conn = null;
  }

  private rejectWaiters(err: unknown): void {
    const waiters = this.snapshotWaiters;
    this.snapshotWaiters = [];
    for (const w of waiters) w.reject(err);
  }

  private async upstream(replication: boolean): Promise<pg.Client> {
    const client = new pg.Client(await this.deps.clientConfig(replication));
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  // ---- snapshot ----------------------------------------------------------------------

  private async snapshot(): Promise<void> {
    const { spec, deps } = this;
    const started = Date.now();
    deps.log.info('source snapshot starting', { source: spec.name, tables: spec.tables.length });
    const admin = await this.upstream(false);
    let repl: pg.Client | null = null;
    try {
      // A slot from an attempt that did not commit its snapshot cannot be resumed: its
      // exported snapshot is gone with the session that made it.
      const existing = await admin.query(`SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1`, [
        spec.slot,
      ]);
      if (existing.rows.length) {
        const pid = (existing.rows[0] as { active_pid: number | null }).active_pid;
        if (pid !== null) await admin.query(`SELECT pg_terminate_backend($1)`, [pid]);
        await admin.query(`SELECT pg_drop_replication_slot($1)`, [spec.slot]);
      }
      repl = await this.upstream(true);
      const created = await repl.query(
        // The spelling every PostgreSQL from 10 on accepts (15 added `(SNAPSHOT 'export')`).
        `CREATE_REPLICATION_SLOT ${quoteIdent(spec.slot)} LOGICAL pgoutput EXPORT_SNAPSHOT`,
      );
      const slotRow = created.rows[0] as { consistent_point: string; snapshot_name: string };
      const consistent = parseLsn(slotRow.consistent_point);
      await admin.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await admin.query(`SET TRANSACTION SNAPSHOT '${slotRow.snapshot_name.replace(/'/g, "''")}'`);

      const conn = await this.engine();
      await conn.run('BEGIN');
      try {
        for (const t of spec.tables) await conn.run(`DELETE FROM ${t.engineTable}`);
        const from = (t: RunnerTable): string => `ONLY ${quoteIdent(t.schema)}.${quoteIdent(t.table)}`;
        for (const t of spec.tables) {
          const n = await admin.query(`SELECT count(*) AS n FROM ${from(t)}`);
          this.stats.snapshotRecordsKnown += Number((n.rows[0] as { n: string }).n);
        }
        for (const t of spec.tables) {
          const cols = t.upstreamColumns.map(quoteIdent).join(', ');
          await admin.query(`DECLARE ferry_snapshot NO SCROLL CURSOR FOR SELECT ${cols} FROM ${from(t)}`);
          for (;;) {
            if (this.stopped) throw new SqlError('57014', 'canceling statement due to user request');
            const batch = await admin.query({
              text: `FETCH ${FETCH_ROWS} FROM ferry_snapshot`,
              rowMode: 'array',
              types: { getTypeParser: () => (v: string) => v },
            });
            const rows = batch.rows as (string | null)[][];
            for (let i = 0; i < rows.length; i += INSERT_ROWS) {
              await insertRows(conn, t, rows.slice(i, i + INSERT_ROWS));
            }
            this.stats.snapshotRecordsStaged += rows.length;
            if (rows.length < FETCH_ROWS) break;
          }
          await admin.query('CLOSE ferry_snapshot');
        }
        await conn.run(`DELETE FROM ${spec.progressTable}`);
        await conn.run(`INSERT INTO ${spec.progressTable} VALUES (CAST($1 AS UBIGINT))`, [consistent.toString()]);
        await conn.run('COMMIT');
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
      await admin.query('COMMIT').catch(() => undefined);
      this.stats.snapshotCommitted = true;
      this.stats.offsetCommitted = consistent;
      this.stats.offsetKnown = consistent;
      deps.log.info('source snapshot committed', {
        source: spec.name,
        rows: this.stats.snapshotRecordsStaged,
        lsn: formatLsn(consistent),
        ms: Date.now() - started,
      });
      const waiters = this.snapshotWaiters;
      this.snapshotWaiters = [];
      for (const w of waiters) w.resolve();
    } finally {
      await admin.end().catch(() => undefined);
      await repl?.end().catch(() => undefined);
    }
  }

  // ---- stream ------------------------------------------------------------------------

  private async stream(onRunning: () => void): Promise<void> {
    const { spec, deps } = this;
    const conn = await this.engine();
    const byOid = new Map<number, RunnerTable>(spec.tables.map((t) => [t.oid, t]));
    const service = new LogicalReplicationService(await deps.clientConfig(true), {
      acknowledge: { auto: false, timeoutSeconds: 0 },
      flowControl: { enabled: true },
    });
    this.service = service;
    const plugin = new TextPgoutput({ protoVersion: 1, publicationNames: [spec.publication] });

    let failed: unknown = null;
    let inTxn = false;
    let skipping = false;
    let txnChanges = 0;
    const pending = new Map<RunnerTable, (string | null)[][]>();
    const committed = (): string => formatLsn(this.stats.offsetCommitted);
    /**
     * Reports the committed position upstream as written, flushed and applied. The library
     * reports one byte past the LSN it is given; the server wants the LSN itself (a fast
     * shutdown waits until the reported flush position equals what it sent).
     */
    const acknowledge = (): Promise<boolean> => {
      const at = this.stats.offsetCommitted;
      return service.acknowledge(formatLsn(at > 0n ? at - 1n : 0n));
    };

    const flush = async (): Promise<void> => {
      for (const [t, rows] of pending) {
        for (let i = 0; i < rows.length; i += INSERT_ROWS) await insertRows(conn, t, rows.slice(i, i + INSERT_ROWS));
      }
      pending.clear();
    };
    let groupEnd = 0n;
    let groupTxns = 0;
    let groupChanges = 0;
    let groupStarted = 0;
    // Every use of the engine connection from the stream's handlers runs in this order.
    let serial: Promise<unknown> = Promise.resolve();
    const inOrder = <R>(fn: () => Promise<R>): Promise<R> => {
      const next = serial.then(fn);
      serial = next.catch(() => undefined);
      return next;
    };
    let onFailure: (err: unknown) => void = () => undefined;
    let midTxn = false;
    let idleTimer: NodeJS.Timeout | null = null;
    // Messages received and not yet handed to `apply`: the library's flow-control queue,
    // read each time (the library replaces the array when it connects); -1 when unknown,
    // which stops quiet-stream progress and nothing else.
    const backlog = (): number => {
      const queue = (service as unknown as { _messageQueue?: unknown })._messageQueue;
      return Array.isArray(queue) ? queue.length : -1;
    };
    const begin = async (): Promise<void> => {
      if (inTxn) return;
      await conn.run('BEGIN');
      inTxn = true;
      groupStarted = Date.now();
    };
    /** Commits the open engine transaction (whole upstream transactions), then acknowledges. */
    const commitGroup = async (): Promise<void> => {
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = null;
      if (!inTxn) return;
      // Inserts of the whole group go in as few statements as possible.
      await flush();
      if (groupTxns > 0) {
        await conn.run(`UPDATE ${spec.progressTable} SET lsn = CAST($1 AS UBIGINT)`, [groupEnd.toString()]);
      }
      await conn.run('COMMIT');
      inTxn = false;
      if (groupTxns > 0) {
        this.stats.offsetCommitted = groupEnd;
        this.stats.updatesCommitted += groupChanges;
        await acknowledge();
      }
      groupTxns = 0;
      groupChanges = 0;
    };
    const tableOf = (rel: Pgoutput.MessageRelation): RunnerTable | null => {
      const t = byOid.get(rel.relationOid);
      if (!t || this.tableErrors.has(t.id)) return null;
      return t;
    };
    const tuple = (t: RunnerTable, values: Record<string, unknown> | null): (string | null)[] | null =>
      values ? t.upstreamColumns.map((c) => textOf(values[c])) : null;

    const apply = async (msg: Pgoutput.Message): Promise<void> => {
      switch (msg.tag) {
        case 'begin': {
          // An old group becomes visible before the next transaction joins it.
          if (inTxn && Date.now() - groupStarted >= GROUP_MS) await commitGroup();
          midTxn = true;
          const commitLsn = msg.commitLsn ? parseLsn(msg.commitLsn) : 0n;
          // Already applied before a restart: its end LSN is at or before the stored one.
          skipping = commitLsn < this.stats.offsetCommitted;
          txnChanges = 0;
          return;
        }
        case 'relation': {
          const t = byOid.get(msg.relationOid);
          if (!t || this.tableErrors.has(t.id)) return;
          const problem = schemaChange(t, msg);
          if (problem) this.tableError(t, `incompatible schema change: ${problem}`);
          return;
        }
        case 'insert': {
          if (skipping) return;
          const t = tableOf(msg.relation);
          if (!t) return;
          await begin();
          let rows = pending.get(t);
          if (!rows) pending.set(t, (rows = []));
          rows.push(tuple(t, msg.new)!);
          txnChanges++;
          if (rows.length >= INSERT_ROWS) await flush();
          return;
        }
        case 'update':
        case 'delete': {
          if (skipping) return;
          const t = tableOf(msg.relation);
          if (!t) return;
          await begin();
          await flush();
          const old = tuple(t, msg.old);
          if (!old) {
            this.tableError(t, 'incompatible schema change: the table no longer has REPLICA IDENTITY FULL');
            return;
          }
          await deleteRow(conn, t, old);
          txnChanges++;
          if (msg.tag === 'update') {
            pending.set(t, [tuple(t, msg.new)!]);
            await flush();
            txnChanges++;
          }
          return;
        }
        case 'truncate': {
          if (skipping) return;
          for (const rel of msg.relations) {
            const t = byOid.get(rel.relationOid);
            if (t && !this.tableErrors.has(t.id)) this.tableError(t, 'postgres: table was truncated');
          }
          return;
        }
        case 'commit': {
          const end = msg.commitEndLsn ? parseLsn(msg.commitEndLsn) : 0n;
          if (end > this.stats.offsetKnown) this.stats.offsetKnown = end;
          if (skipping || !inTxn) {
            skipping = false;
            midTxn = false;
            return;
          }
          groupEnd = end;
          groupTxns++;
          groupChanges += txnChanges;
          this.stats.updatesStaged += txnChanges;
          txnChanges = 0;
          midTxn = false;
          // A young group waits a moment for the next transactions to join it; one that is
          // old or full commits now.
          if (groupTxns < GROUP_TRANSACTIONS && Date.now() - groupStarted < GROUP_MS) {
            idleTimer ??= setTimeout(() => {
              idleTimer = null;
              void inOrder(async () => {
                if (!midTxn && !failed) await commitGroup();
              }).catch((err: unknown) => onFailure(err));
            }, GROUP_IDLE_MS);
            return;
          }
          await commitGroup();
          return;
        }
        default:
          return;
      }
    };

    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err: unknown): void => {
        if (settled) return;
        settled = true;
        clearInterval(timer);
        if (idleTimer) clearTimeout(idleTimer);
        void (async () => {
          await closeService(service);
          await serial;
          // An open group was never acknowledged: the server sends it again.
          if (inTxn) await conn.run('ROLLBACK').catch(() => undefined);
          inTxn = false;
          this.service = null;
          if (err === null || this.stopped) resolve();
          else reject(err instanceof Error ? err : new Error(message(err)));
        })();
      };
      const timer = setInterval(() => {
        if (!failed) void acknowledge().catch(() => undefined);
      }, STATUS_INTERVAL_MS);
      onFailure = (err: unknown): void => {
        failed = err;
        finish(err instanceof SqlError ? err : engineError(err));
      };
      service.on('data', async (_lsn: string, msg: Pgoutput.Message) => {
        if (failed || this.stopped) return;
        this.stats.messagesReceived++;
        this.stats.bytesReceived += approximateSize(msg);
        try {
          await inOrder(() => apply(msg));
        } catch (err) {
          onFailure(err);
        }
      });
      service.on('heartbeat', async (lsn: string, _ts: number, shouldRespond: boolean) => {
        if (failed) return;
        const at = parseLsn(lsn);
        await inOrder(async () => {
          // A quiet stream: nothing received is left to apply and no transaction is open,
          // so everything up to the server's sent position is applied; storing it lets the
          // server recycle WAL that only other tables' changes filled.
          if (failed || inTxn || midTxn || skipping || backlog() !== 0) return;
          if (at <= this.stats.offsetCommitted || !this.stats.snapshotCommitted) return;
          await conn.run(`UPDATE ${spec.progressTable} SET lsn = CAST($1 AS UBIGINT)`, [at.toString()]);
          this.stats.offsetCommitted = at;
          if (at > this.stats.offsetKnown) this.stats.offsetKnown = at;
        }).catch(() => undefined);
        if (shouldRespond) await acknowledge().catch(() => undefined);
      });
      service.on('start', () => {
        // Stopped while it was connecting: the connection must not outlive the runner.
        if (settled) {
          void closeService(service);
          return;
        }
        onRunning();
        deps.onStatus(spec.id, 'running', null);
        deps.log.info('source streaming', { source: spec.name, from: committed() });
      });
      service.on('error', (err: Error) => {
        if (!failed) failed = err;
        finish(err);
      });
      // A stop that came while the stream was being set up ends it at once.
      if (this.abort.signal.aborted) {
        finish(null);
        return;
      }
      this.abort.signal.addEventListener('abort', () => finish(null), { once: true });
      service
        .subscribe(plugin, spec.slot, committed())
        .then(() => finish(this.stopped ? null : new Error('replication stream ended')))
        .catch((err: unknown) => finish(err));
    });
  }

  private tableError(t: RunnerTable, error: string): void {
    this.tableErrors.set(t.id, error);
    this.deps.log.warn('subsource in error state', { source: this.spec.name, subsource: t.subsource, error });
    this.deps.onStatus(t.id, 'stalled', error);
    void this.deps.onTableError(t.id, error).catch((err: unknown) => {
      this.deps.log.warn('subsource error state not stored', { subsource: t.subsource, error: message(err) });
    });
  }
}

/**
 * Ends a replication stream for certain. The library pauses the socket while a message is
 * handled and resumes it only while it is not stopping, and the client's end waits for the
 * socket to end: stopping while paused would wait for ever. So the socket is resumed first,
 * and destroyed if the orderly end has not finished within STOP_MS.
 */
async function closeService(service: LogicalReplicationService): Promise<void> {
  const lib = service as unknown as {
    _connection?: { stream?: { resume?: () => void; destroy?: () => void } } | null;
  };
  const socket = lib._connection?.stream;
  socket?.resume?.();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), STOP_MS);
  });
  const ended = service.stop().then(
    () => 'ended' as const,
    () => 'ended' as const,
  );
  if ((await Promise.race([ended, timedOut])) === 'timeout') socket?.destroy?.();
  clearTimeout(timer);
}

/** An incompatible change to a replicated table's columns, or null (added columns are ignored). */
function schemaChange(t: RunnerTable, rel: Pgoutput.MessageRelation): string | null {
  for (const col of t.columns) {
    const up = rel.columns.find((c) => c.name === col.name);
    if (!up) return `column "${col.name}" of "${t.schema}"."${t.table}" was dropped or renamed`;
    if (col.engineType !== 'VARCHAR' || col.sqlType !== 'text' || up.typeOid !== col.typeOid) {
      if (up.typeOid !== col.typeOid || up.typeMod !== col.typmod) {
        return `column "${col.name}" of "${t.schema}"."${t.table}" changed type`;
      }
    }
  }
  return null;
}

function approximateSize(msg: Pgoutput.Message): number {
  const tupleSize = (v: Record<string, unknown> | null | undefined): number =>
    v ? Object.values(v).reduce<number>((n, x) => n + (textOf(x)?.length ?? -4) + 5, 2) : 0;
  switch (msg.tag) {
    case 'insert':
      return 8 + tupleSize(msg.new);
    case 'update':
      return 8 + tupleSize(msg.new) + tupleSize(msg.old);
    case 'delete':
      return 8 + tupleSize(msg.old ?? msg.key);
    default:
      return 21;
  }
}

/**
 * Inserts rows of upstream text into a subsource table in one statement: the batch is one
 * JSON parameter (an array of rows of text or null), unnested and cast by the engine, so a
 * statement costs the same to plan whatever its size.
 */
async function insertRows(conn: DuckDBConnection, t: RunnerTable, rows: (string | null)[][]): Promise<void> {
  if (!rows.length) return;
  const batch = rows.map((r) => t.columns.map((c: SubsourceColumn, i: number) => prepareText(c, r[i] ?? null)));
  const cols = t.columns.map((c) => quoteIdent(c.name)).join(', ');
  const values = t.columns.map((c, i) => valueSql(c, `r[${i + 1}]`)).join(', ');
  try {
    await conn.run(
      `INSERT INTO ${t.engineTable} (${cols}) SELECT ${values} FROM (SELECT unnest(from_json($1, '[["VARCHAR"]]')) AS r)`,
      [JSON.stringify(batch)],
    );
  } catch (err) {
    throw engineError(err);
  }
}

/** Deletes one row equal to `old` in every column (REPLICA IDENTITY FULL). */
async function deleteRow(conn: DuckDBConnection, t: RunnerTable, old: (string | null)[]): Promise<void> {
  const values: (string | null)[] = [];
  const conds = t.columns.map((c, i) => {
    values.push(prepareText(c, old[i] ?? null));
    return `${quoteIdent(c.name)} IS NOT DISTINCT FROM ${valueSql(c, `$${values.length}`)}`;
  });
  try {
    const r = await conn.run(
      `DELETE FROM ${t.engineTable} WHERE rowid IN (SELECT rowid FROM ${t.engineTable} WHERE ${conds.join(' AND ')} LIMIT 1)`,
      values,
    );
    if (Number(r.rowsChanged) !== 1) {
      throw new SqlError('XX000', `postgres: a replicated delete found no matching row in ${t.engineTable}`);
    }
  } catch (err) {
    throw err instanceof SqlError ? err : engineError(err);
  }
}
