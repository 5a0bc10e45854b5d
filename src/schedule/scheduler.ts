/**
 * The export scheduler (docs/scheduling.md): one timer per active export, armed for
 * its next due time. At a due time the export is read again from the catalog (so a DROP …
 * CASCADE or a PAUSED it was not told about still stops it), and either a run starts or,
 * while the previous run is still going, the due time is recorded `skipped` — never two
 * runs of one export at once. The next due time is persisted before the run starts, so a
 * restart neither repeats nor forgets a due time; due times that passed while the server
 * was down run once (the latest) and the older ones are recorded `missed`.
 *
 * A run is the export's COPY, planned and checked again as the export's owner (privileges
 * may have changed since CREATE) with `now()` in the target pinned to the scheduled time,
 * then run through the adapter's runPlannedCopy. Transient storage failures that outlive
 * the sink's per-request retries are retried here, a bounded number of times.
 *
 * Timers are unref'd: they never keep the process alive, and stop() clears them.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import * as catalog from '../catalog/index.js';
import { planCopy, runPlannedCopy } from '../adapter/copy-to.js';
import type { Services } from '../adapter/services.js';
import { FerrySession } from '../adapter/session.js';
import { SqlError, toSqlError } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import { isRetryable, sleep } from '../sink/retry.js';
import type { Statement } from '../sql/ast.js';
import { splitStatements } from '../sql/lexer.js';
import { parseStatement } from '../sql/parser.js';
import { RunLog, newRunId } from './runs.js';
import { type ScheduleSpec, dueTimesBetween, nextDueAfter } from './schedule.js';

/** What an export keeps in its catalog details. */
export interface ExportDetails {
  /** As SHOW EXPORTS prints it. */
  schedule: string;
  paused: boolean;
  spec: ScheduleSpec;
  /** The `COPY … TO …` text, planned again at every run. */
  copySql: string;
}

/** Attempts of one run when the failure is transient (the sink retried each request already). */
export const RUN_MAX_ATTEMPTS = 3;
const RUN_RETRY_BASE_MS = 1000;
const RUN_RETRY_MAX_MS = 15_000;
/** Older missed due times beyond this many are counted in the log, not recorded one by one. */
const MAX_MISSED_RECORDS = 100;
/** setTimeout's limit (2^31-1 ms); a later due time is reached in several hops. */
const MAX_TIMER_MS = 2_147_483_647;

export interface RunResult {
  rows: number;
  bytes: number;
  files: number;
  uri: string;
}

interface Entry {
  id: string;
  timer: NodeJS.Timeout | null;
  /** The first due time not yet handled (epoch ms). */
  nextRunAt: number | null;
  running: AbortController | null;
}

/** True when a failed attempt may succeed if simply tried again. */
export function isTransient(err: SqlError): boolean {
  if (
    err.code === '57014' ||
    err.code === '42501' ||
    err.code.startsWith('42') ||
    err.code.startsWith('22') ||
    err.code === '0A000'
  )
    return false;
  // The sink wraps the storage error it gave up on: look through the causes.
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 6; depth++) {
    if (isRetryable(e)) return true;
    const status = (e as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 500) return true;
    e = (e as { cause?: unknown }).cause;
  }
  // DuckDB's write-write conflict between concurrent transactions.
  return err.code === '40001';
}

export class Scheduler {
  private readonly entries = new Map<string, Entry>();
  private stopped = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly log: Logger;

  constructor(
    private readonly services: Services,
    private readonly runs: RunLog,
    private readonly clock: () => number = Date.now,
  ) {
    this.log = services.log.child('scheduler');
  }

  private async loadExport(id: string): Promise<(catalog.CatalogObject & { details: ExportDetails }) | null> {
    const obj = await this.runs.read((conn) => catalog.getObjectById(conn, id));
    return obj && obj.kind === 'export' ? (obj as catalog.CatalogObject & { details: ExportDetails }) : null;
  }

  private entry(id: string): Entry {
    let e = this.entries.get(id);
    if (!e) {
      e = { id, timer: null, nextRunAt: null, running: null };
      this.entries.set(id, e);
    }
    return e;
  }

  /**
   * Start-up: runs a stop interrupted are marked failed; for each active export the due
   * times that passed while the server was down are settled (latest runs, older `missed`).
   */
  async start(): Promise<void> {
    await this.runs.markInterrupted();
    const stored = await this.runs.nextRuns();
    const exports = await this.runs.read((conn) => catalog.listItems(conn, ['export']));
    const now = this.clock();
    for (const obj of exports) {
      const d = obj.details as unknown as ExportDetails;
      if (d.paused) continue;
      const e = this.entry(obj.id);
      const from = stored.get(obj.id) ?? null;
      if (from !== null && from <= now) {
        const { times, omitted } = dueTimesBetween(d.spec, from, now, MAX_MISSED_RECORDS + 1);
        const latest = times.pop();
        for (const t of times)
          await this.runs.notRun(
            obj.id,
            t,
            'missed',
            'the server was not running; only the latest missed run is executed',
          );
        if (omitted > 0)
          this.log.warn('older missed runs not recorded one by one', { export_id: obj.id, count: omitted });
        e.nextRunAt = nextDueAfter(d.spec, now);
        await this.runs.setNextRun(obj.id, e.nextRunAt);
        if (latest !== undefined) {
          this.log.info('catching up on a run missed while the server was down', {
            export_id: obj.id,
            scheduled_for: new Date(latest).toISOString(),
            missed: times.length + omitted,
          });
          this.launch(obj.id, latest);
        }
      } else {
        e.nextRunAt = from ?? nextDueAfter(d.spec, now);
        if (from === null) await this.runs.setNextRun(obj.id, e.nextRunAt);
      }
      this.arm(e);
    }
  }

  /**
   * Brings one export's timer in line with its committed catalog entry: called after
   * CREATE, ALTER … SET (PAUSED) and DROP. `resume` recomputes the next due time from now
   * (unpausing never replays the due times of the pause).
   */
  async sync(id: string, opts: { resume?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    const obj = await this.loadExport(id);
    const e = this.entry(id);
    this.disarm(e);
    if (!obj) {
      e.running?.abort(new SqlError('57014', 'the export was dropped while it ran'));
      this.entries.delete(id);
      await this.runs.forget(id);
      return;
    }
    if (obj.details.paused) {
      e.nextRunAt = null;
      return;
    }
    if (opts.resume || e.nextRunAt === null) {
      const stored = opts.resume ? null : ((await this.runs.nextRuns()).get(id) ?? null);
      e.nextRunAt = stored ?? nextDueAfter(obj.details.spec, this.clock());
      await this.runs.setNextRun(id, e.nextRunAt);
    }
    this.arm(e);
  }

  private disarm(e: Entry): void {
    if (e.timer) clearTimeout(e.timer);
    e.timer = null;
  }

  private arm(e: Entry): void {
    this.disarm(e);
    if (this.stopped || e.nextRunAt === null) return;
    const wait = Math.max(0, Math.min(e.nextRunAt - this.clock(), MAX_TIMER_MS));
    e.timer = setTimeout(() => {
      e.timer = null;
      this.track(this.onTimer(e));
    }, wait);
    e.timer.unref();
  }

  private track(p: Promise<unknown>): void {
    const t = p.catch((err) =>
      this.log.error('scheduler error', { error: err instanceof Error ? err.message : String(err) }),
    );
    this.inFlight.add(t);
    void t.finally(() => this.inFlight.delete(t));
  }

  private async onTimer(e: Entry): Promise<void> {
    if (this.stopped || e.nextRunAt === null) return;
    if (e.nextRunAt > this.clock()) return this.arm(e); // a long wait hopped
    const obj = await this.loadExport(e.id);
    if (!obj) {
      // Dropped without telling us (DROP CONNECTION … CASCADE): forget it.
      this.entries.delete(e.id);
      await this.runs.forget(e.id);
      return;
    }
    if (obj.details.paused) {
      e.nextRunAt = null;
      return;
    }
    const due = e.nextRunAt;
    e.nextRunAt = nextDueAfter(obj.details.spec, due);
    await this.runs.setNextRun(e.id, e.nextRunAt);
    if (e.running) {
      this.log.info('run skipped: the previous run is still going', {
        export_id: e.id,
        scheduled_for: new Date(due).toISOString(),
      });
      await this.runs.notRun(e.id, due, 'skipped', 'the previous run was still going');
    } else {
      this.launch(e.id, due);
    }
    this.arm(e);
  }

  /** Starts a scheduled run in the background; its outcome is recorded, never thrown. */
  private launch(id: string, scheduledFor: number): void {
    this.track(this.run(id, scheduledFor).catch(() => undefined));
  }

  /** Whether a run of this export is going (EXECUTE EXPORT refuses to start a second). */
  isRunning(id: string): boolean {
    return this.entries.get(id)?.running != null;
  }

  /**
   * Runs an export once for `scheduledFor` as its owner, records the run, and returns its
   * result or throws its (recorded) error. EXECUTE EXPORT calls this directly.
   */
  async run(
    id: string,
    scheduledFor: number,
    hooks: { onProgress?: (p: { rows: number; bytes: number; files: number }) => void; signal?: AbortSignal } = {},
  ): Promise<RunResult> {
    const e = this.entry(id);
    if (e.running) {
      await this.runs.notRun(id, scheduledFor, 'skipped', 'the previous run was still going');
      throw new SqlError('55006', 'export is already running', {
        hint: 'Wait for the run in progress to finish; every run is listed in mz_internal.mz_export_runs.',
      });
    }
    const abort = new AbortController();
    e.running = abort;
    const onOuterAbort = (): void => abort.abort(hooks.signal?.reason);
    hooks.signal?.addEventListener('abort', onOuterAbort, { once: true });
    const runId = newRunId();
    let uri: string | null = null;
    let conn: DuckDBConnection | null = null;
    let session: FerrySession | null = null;
    try {
      await this.runs.started(id, runId, scheduledFor);
      try {
        const obj = await this.loadExport(id);
        if (!obj) throw new SqlError('42704', `unknown catalog item '${id}'`);
        const owner = await this.runs.read((c) => catalog.getRoleById(c, obj.ownerId));
        if (!owner) throw new SqlError('42704', `role ${obj.ownerId} does not exist`);
        const copy = parseCopy(obj.details.copySql);
        // A session of the owner's, not opened through the coordinator: an owner need not
        // have LOGIN, and this session has no client.
        conn = await this.services.engine.connect();
        session = new FerrySession(this.services, conn, owner, {}, 0);
        let lastProgress = 0;
        for (let attempt = 1; ; attempt++) {
          try {
            const plan = await planCopy(session, copy, this.services, { now: new Date(scheduledFor) });
            uri = plan.uri;
            // A retried attempt finds the objects of the failed one (at least its
            // sentinel) under the same path; they are this server's own `mz-*` objects.
            const attemptPlan = attempt === 1 ? plan : { ...plan, options: { ...plan.options, overwrite: true } };
            const { result } = await runPlannedCopy(this.services, attemptPlan, {
              stmtSql: obj.details.copySql,
              roleId: owner.id,
              signal: abort.signal,
              onProgress: (p) => {
                hooks.onProgress?.(p);
                if (Date.now() - lastProgress > 1000) {
                  lastProgress = Date.now();
                  void this.runs.progress(runId, p).catch(() => undefined);
                }
              },
            });
            const out = { rows: result.rows, bytes: result.bytes, files: result.files.length, uri: plan.uri };
            await this.runs.succeeded(runId, out);
            this.log.info('export run succeeded', {
              export_id: id,
              run_id: runId,
              rows: out.rows,
              files: out.files,
              uri: out.uri,
            });
            return out;
          } catch (err) {
            const sqlErr = toSqlError(err);
            if (abort.signal.aborted || attempt >= RUN_MAX_ATTEMPTS || !isTransient(sqlErr)) throw sqlErr;
            const delay = Math.floor(Math.random() * Math.min(RUN_RETRY_MAX_MS, RUN_RETRY_BASE_MS * 2 ** attempt));
            this.log.warn('export run attempt failed, retrying', {
              export_id: id,
              run_id: runId,
              attempt,
              delay_ms: delay,
              code: sqlErr.code,
              error: sqlErr.message,
            });
            await sleep(delay, abort.signal);
          }
        }
      } catch (err) {
        // Stopped by DROP EXPORT or shutdown: record why, not the sink's generic cancel.
        const reason: unknown = abort.signal.aborted ? abort.signal.reason : undefined;
        const sqlErr = reason instanceof SqlError ? reason : toSqlError(err);
        await this.runs.failed(runId, sqlErr.message, uri).catch(() => undefined);
        this.log.warn('export run failed', { export_id: id, run_id: runId, code: sqlErr.code, error: sqlErr.message });
        throw sqlErr;
      }
    } finally {
      hooks.signal?.removeEventListener('abort', onOuterAbort);
      if (e.running === abort) e.running = null;
      if (session) await session.close();
      else if (conn) conn.closeSync();
    }
  }

  /** Clears every timer, cancels runs in progress and waits for their records. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const e of this.entries.values()) {
      this.disarm(e);
      e.running?.abort(new SqlError('57014', 'the server is shutting down'));
    }
    await Promise.allSettled([...this.inFlight]);
  }
}

/** The stored COPY text back to its statement (it was parsed the same way at CREATE). */
export function parseCopy(copySql: string): Statement & { kind: 'copy' } {
  const text = splitStatements(copySql)[0];
  const stmt = text ? parseStatement(text) : null;
  if (!stmt || stmt.kind !== 'copy') throw new SqlError('XX000', 'stored export statement is not a COPY');
  return stmt;
}
