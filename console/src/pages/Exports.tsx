/**
 * Exports: COPY … TO statements running now with live progress (polled from
 * mz_internal.mz_copy_to_history), recent history with status, duration, size and the
 * error of failed ones, and scheduled exports (mz_internal.mz_exports, mz_export_runs)
 * with pause / resume (ALTER EXPORT … SET (PAUSED = …)) and run now (EXECUTE EXPORT).
 * Each section shows the SQL error on its own when its relation is not there.
 */
import { useEffect, useState } from 'preact/hooks';
import { execute, ident, queryObjects } from '../api';
import { ACTIONS_COLUMN, ErrorBox, Grid, ListState, OutcomeView, errorInfo, type Outcome } from '../components';
import { cellText, formatBytes, formatCount, formatDuration, formatTime, parseTime, plural } from '../format';

type Row = Record<string, unknown>;

const RUNNING_SQL = `SELECT export_id, statement, uri, format, started_at, rows, bytes, files
FROM mz_internal.mz_copy_to_history WHERE status = 'running' ORDER BY started_at DESC`;
const HISTORY_SQL = `SELECT export_id, statement, uri, format, started_at, finished_at, status, rows, bytes, files, error
FROM mz_internal.mz_copy_to_history WHERE status <> 'running' ORDER BY started_at DESC LIMIT 50`;
const SCHEDULED_SQL = `SELECT id, name, owner_id, schedule, paused, next_run_at FROM mz_internal.mz_exports ORDER BY name`;
const RUNS_SQL = `SELECT export_id, run_id, scheduled_for, started_at, finished_at, status, rows, bytes, files, uri, error
FROM mz_internal.mz_export_runs ORDER BY scheduled_for DESC LIMIT 200`;

/** Polls a query while the page is visible; keeps the last good rows and the last error. */
function usePoll(sql: string, everyMs: number, tick: number) {
  const [rows, setRows] = useState<Row[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const once = async () => {
      if (document.visibilityState === 'visible') {
        try {
          const r = await queryObjects(sql);
          if (!stopped) {
            setRows(r);
            setError(null);
          }
        } catch (err) {
          if (!stopped) setError(err);
        } finally {
          if (!stopped) setLoading(false);
        }
      }
      // once() handles its own errors.
      if (!stopped) timer = setTimeout(() => void once(), everyMs);
    };
    void once();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [sql, everyMs, tick]);
  return { rows, error, loading };
}

function StatusBadge({ status }: { status: unknown }) {
  const s = cellText(status ?? 'unknown');
  return <span class={`badge badge-${s}`}>{s}</span>;
}

export function Exports() {
  const [tick, setTick] = useState(0);
  const refresh = () => setTick((t) => t + 1);
  return (
    <div class="exports">
      <div class="page-head">
        <h1>Exports</h1>
        <button type="button" onClick={refresh}>
          Refresh
        </button>
      </div>
      <Running tick={tick} />
      <Scheduled tick={tick} onChange={refresh} />
      <History tick={tick} />
    </div>
  );
}

function Running({ tick }: { tick: number }) {
  const { rows, error, loading } = usePoll(RUNNING_SQL, 1000, tick);
  // Average rate since the export started (rows and bytes per second).
  const rates = new Map<string, { rows: number; bytes: number }>();
  const now = Date.now();
  for (const r of rows) {
    const id = String(r.export_id);
    const started = parseTime(r.started_at);
    const elapsed = started === null ? null : Math.max(1, now - started);
    if (elapsed !== null)
      rates.set(id, { rows: (Number(r.rows) * 1000) / elapsed, bytes: (Number(r.bytes) * 1000) / elapsed });
  }
  return (
    <section aria-labelledby="running-title" class="card">
      <h2 id="running-title">Running</h2>
      <ListState error={error} loading={loading} count={rows.length} empty="No export is running." />
      <ul class="running-list">
        {rows.map((r) => {
          const id = String(r.export_id);
          const rate = rates.get(id);
          const started = parseTime(r.started_at);
          return (
            <li key={id} class="running">
              <div class="running-head">
                <code>{cellText(r.uri)}</code> <span class="muted">{cellText(r.format)}</span>
              </div>
              <progress
                aria-label={`Progress of export ${id}`}
                aria-valuetext={`${formatCount(r.rows)} rows, ${formatBytes(r.bytes)}, ${formatCount(r.files)} files`}
              />
              <dl class="stats">
                <dt>Rows</dt>
                <dd>{formatCount(r.rows)}</dd>
                <dt>Bytes</dt>
                <dd>{formatBytes(r.bytes)}</dd>
                <dt>Files</dt>
                <dd>{formatCount(r.files)}</dd>
                <dt>Rate</dt>
                <dd>{rate ? `${formatCount(Math.round(rate.rows))} rows/s · ${formatBytes(rate.bytes)}/s` : '—'}</dd>
                <dt>Running for</dt>
                <dd>{formatDuration(started === null ? null : now - started)}</dd>
              </dl>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function History({ tick }: { tick: number }) {
  const { rows, error, loading } = usePoll(HISTORY_SQL, 5000, tick);
  return (
    <section aria-labelledby="history-title" class="card">
      <h2 id="history-title">Recent exports</h2>
      <ListState error={error} loading={loading} count={rows.length} empty="No export has finished yet." />
      <Grid
        label="Recent exports"
        columns={['Status', 'Target', 'Started', 'Duration', 'Rows', 'Size', 'Files', 'Error']}
        rows={rows}
        row={(r) => {
          const s = parseTime(r.started_at);
          const f = parseTime(r.finished_at);
          return (
            <tr key={String(r.export_id)}>
              <td>
                <StatusBadge status={r.status} />
              </td>
              <td title={cellText(r.statement)}>
                <code>{cellText(r.uri)}</code> <span class="muted">{cellText(r.format)}</span>
              </td>
              <td>{formatTime(r.started_at)}</td>
              <td>{formatDuration(s !== null && f !== null ? f - s : null)}</td>
              <td class="num">{formatCount(r.rows)}</td>
              <td class="num">{formatBytes(r.bytes)}</td>
              <td class="num">{formatCount(r.files)}</td>
              <td class="error-cell">{r.error ? cellText(r.error) : ''}</td>
            </tr>
          );
        }}
      />
    </section>
  );
}

function Scheduled({ tick, onChange }: { tick: number; onChange: () => void }) {
  const exports = usePoll(SCHEDULED_SQL, 5000, tick);
  const runs = usePoll(RUNS_SQL, 5000, tick);
  const [action, setAction] = useState<Outcome>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const latest = new Map<string, Row>();
  for (const r of runs.rows) if (!latest.has(String(r.export_id))) latest.set(String(r.export_id), r);

  const act = async (key: string, sql: string, done: string) => {
    setBusy(key);
    setAction(null);
    try {
      await execute(sql);
      setAction({ ok: true, text: done });
      onChange();
    } catch (err) {
      setAction({ ok: false, error: errorInfo(err) });
    } finally {
      setBusy(null);
    }
  };

  return (
    <section aria-labelledby="scheduled-title" class="card">
      <h2 id="scheduled-title">Scheduled exports</h2>
      <ListState
        error={exports.error}
        loading={exports.loading}
        count={exports.rows.length}
        empty={
          <>
            No scheduled export. Create one with <code>CREATE EXPORT name REFRESH EVERY '1 day' AS COPY … TO …</code> in
            the SQL shell.
          </>
        }
      />
      <OutcomeView outcome={action} />
      <Grid
        label="Scheduled exports"
        columns={['Name', 'Schedule', 'Next run', 'Last run', 'Last result', ACTIONS_COLUMN]}
        rows={exports.rows}
        row={(e) => {
          const name = String(e.name);
          const paused = e.paused === true || e.paused === 't';
          const run = latest.get(String(e.id));
          return (
            <tr key={String(e.id)}>
              <td>{name}</td>
              <td>
                <code>{cellText(e.schedule)}</code>
              </td>
              <td>{paused ? <span class="badge badge-paused">paused</span> : formatTime(e.next_run_at)}</td>
              <td>{run ? formatTime(run.scheduled_for) : '—'}</td>
              <td>
                {run ? <StatusBadge status={run.status} /> : '—'}
                {run?.error ? <div class="error-cell">{cellText(run.error)}</div> : null}
                {run && run.status === 'succeeded' ? (
                  <div class="muted">
                    {plural(run.rows, 'row')} · {formatBytes(run.bytes)} · {plural(run.files, 'file')}
                  </div>
                ) : null}
              </td>
              <td class="actions">
                <button
                  type="button"
                  disabled={busy !== null}
                  onClick={() =>
                    void act(
                      `p-${name}`,
                      `ALTER EXPORT ${ident(name)} SET (PAUSED = ${paused ? 'false' : 'true'})`,
                      `${name} ${paused ? 'resumed' : 'paused'}.`,
                    )
                  }
                >
                  {paused ? 'Resume' : 'Pause'}
                </button>
                <button
                  type="button"
                  disabled={busy !== null}
                  onClick={() => void act(`r-${name}`, `EXECUTE EXPORT ${ident(name)}`, `${name} ran.`)}
                >
                  Run now
                </button>
              </td>
            </tr>
          );
        }}
      />
      {runs.error && !exports.error ? <ErrorBox error={errorInfo(runs.error)} title="Could not read runs" /> : null}
    </section>
  );
}
