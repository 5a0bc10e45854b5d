/**
 * The scheduler's durable records: one row per run in `__ferry.export_runs` (shown as
 * mz_internal.mz_export_runs) and each export's next due time in
 * `__ferry.export_schedule_state`, which is what lets a restarted server tell the one
 * catch-up run from the `missed` ones. All writes go through one engine connection of the
 * scheduler's own, one statement at a time (a DuckDB connection runs one query at a time).
 */
import { randomBytes } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import * as catalog from '../catalog/index.js';

const T = catalog.INTERNAL_SCHEMA;

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'skipped' | 'missed';

/** Created at every start (IF NOT EXISTS): the state is the scheduler's, not the catalog's. */
export const SCHEDULE_STATE_SQL = `
CREATE TABLE IF NOT EXISTS ${T}.export_schedule_state (export_id TEXT NOT NULL, next_run_at TIMESTAMPTZ);
CREATE OR REPLACE VIEW mz_internal.mz_exports AS
  SELECT o.id, o.name, o.owner_id,
    json_extract_string(o.details, '$.schedule') AS schedule,
    coalesce(json_extract(o.details, '$.paused')::BOOLEAN, false) AS paused,
    CASE WHEN NOT coalesce(json_extract(o.details, '$.paused')::BOOLEAN, false) THEN s.next_run_at END AS next_run_at,
    o.create_sql
  FROM ${T}.objects o LEFT JOIN ${T}.export_schedule_state s ON s.export_id = o.id
  WHERE o.kind = 'export';
`;

const iso = (ms: number): string => new Date(ms).toISOString();

export function newRunId(): string {
  return `r${randomBytes(5).toString('hex')}`;
}

export class RunLog {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly conn: DuckDBConnection) {}

  /** Runs `fn` after every write queued before it. */
  private serial<R>(fn: () => Promise<R>): Promise<R> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private run(sql: string, params: (string | number | null)[]): Promise<void> {
    return this.serial(async () => {
      await this.conn.run(sql, params);
    });
  }

  started(exportId: string, runId: string, scheduledFor: number): Promise<void> {
    return this.run(
      `INSERT INTO ${T}.export_runs (export_id, run_id, scheduled_for, started_at, status, rows, bytes, files) VALUES ($1, $2, $3::TIMESTAMPTZ, now(), 'running', 0, 0, 0)`,
      [exportId, runId, iso(scheduledFor)],
    );
  }

  progress(runId: string, p: { rows: number; bytes: number; files: number }): Promise<void> {
    return this.run(
      `UPDATE ${T}.export_runs SET rows = $2, bytes = $3, files = $4 WHERE run_id = $1 AND status = 'running'`,
      [runId, p.rows, p.bytes, p.files],
    );
  }

  succeeded(runId: string, r: { rows: number; bytes: number; files: number; uri: string }): Promise<void> {
    return this.run(
      `UPDATE ${T}.export_runs SET status = 'succeeded', finished_at = now(), rows = $2, bytes = $3, files = $4, uri = $5 WHERE run_id = $1`,
      [runId, r.rows, r.bytes, r.files, r.uri],
    );
  }

  failed(runId: string, error: string, uri: string | null): Promise<void> {
    return this.run(
      `UPDATE ${T}.export_runs SET status = 'failed', finished_at = now(), error = $2, uri = $3 WHERE run_id = $1`,
      [runId, error, uri],
    );
  }

  /** A due time that produced no run: `skipped` (one was going) or `missed` (server down). */
  notRun(exportId: string, scheduledFor: number, status: 'skipped' | 'missed', reason: string): Promise<void> {
    return this.run(
      `INSERT INTO ${T}.export_runs (export_id, run_id, scheduled_for, started_at, finished_at, status, rows, bytes, files, error) VALUES ($1, $2, $3::TIMESTAMPTZ, NULL, now(), $4, 0, 0, 0, $5)`,
      [exportId, newRunId(), iso(scheduledFor), status, reason],
    );
  }

  /** Runs a stop interrupted can never finish; the due time they served is not run again. */
  markInterrupted(): Promise<void> {
    return this.run(
      `UPDATE ${T}.export_runs SET status = 'failed', finished_at = now(), error = 'the server stopped while the run was going' WHERE status = 'running'`,
      [],
    );
  }

  setNextRun(exportId: string, at: number | null): Promise<void> {
    return this.serial(async () => {
      await this.conn.run(`DELETE FROM ${T}.export_schedule_state WHERE export_id = $1`, [exportId]);
      await this.conn.run(`INSERT INTO ${T}.export_schedule_state VALUES ($1, $2::TIMESTAMPTZ)`, [
        exportId,
        at === null ? null : iso(at),
      ] as never);
    });
  }

  forget(exportId: string): Promise<void> {
    return this.run(`DELETE FROM ${T}.export_schedule_state WHERE export_id = $1`, [exportId]);
  }

  /** Every export's stored next due time (epoch ms). */
  nextRuns(): Promise<Map<string, number | null>> {
    return this.serial(async () => {
      const rows = await catalog.queryRows(
        this.conn,
        `SELECT export_id, epoch_ms(next_run_at) AS at FROM ${T}.export_schedule_state`,
      );
      return new Map(rows.map((r) => [String(r.export_id), r.at === null ? null : Number(r.at)]));
    });
  }

  /** Catalog reads share the connection, so they queue too. */
  read<R>(fn: (conn: DuckDBConnection) => Promise<R>): Promise<R> {
    return this.serial(() => fn(this.conn));
  }
}
