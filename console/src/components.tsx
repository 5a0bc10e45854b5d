/** Small pieces shared by the pages: errors, notices, the results grid, copy buttons. */
import type { ComponentChild, ComponentChildren, VNode } from 'preact';
import { useState } from 'preact/hooks';
import type { Notice, Result, SqlErrorInfo } from './api';
import { cellText } from './format';

/** A SQL error exactly as the server reported it: SQLSTATE, message, detail, hint. */
export function ErrorBox({ error, title }: { error: SqlErrorInfo | string; title?: string }) {
  const e = typeof error === 'string' ? { message: error, code: '' } : error;
  return (
    <div class="error" role="alert">
      <p>
        <strong>{title ?? 'Error'}</strong>
        {e.code ? (
          <span class="sqlstate" title="SQLSTATE">
            {e.code}
          </span>
        ) : null}
        <span class="message">{e.message}</span>
      </p>
      {e.detail ? (
        <p class="detail">
          <span class="label">Detail:</span> {e.detail}
        </p>
      ) : null}
      {e.hint ? (
        <p class="hint">
          <span class="label">Hint:</span> {e.hint}
        </p>
      ) : null}
    </div>
  );
}

export function Notices({ notices }: { notices: Notice[] }) {
  if (notices.length === 0) return null;
  return (
    <ul class="notices" aria-label="Notices">
      {notices.map((n, i) => (
        <li key={i} class={`notice notice-${n.severity}`}>
          <span class="severity">{n.severity.toUpperCase()}</span> <span class="sqlstate">{n.code}</span> {n.message}
          {n.detail ? <div class="detail">Detail: {n.detail}</div> : null}
          {n.hint ? <div class="hint">Hint: {n.hint}</div> : null}
        </li>
      ))}
    </ul>
  );
}

/** Rows shown per result; the rest is counted but not rendered, to keep the page fast. */
const MAX_RENDERED_ROWS = 1000;

export function ResultView({ result, index }: { result: Result; index: number }) {
  if ('error' in result) {
    return (
      <section class="result" aria-label={`Result ${index + 1}: error`}>
        <ErrorBox error={result.error} />
        <Notices notices={result.notices} />
      </section>
    );
  }
  if ('ok' in result) {
    return (
      <section class="result" aria-label={`Result ${index + 1}`}>
        <p class="tag">{result.ok}</p>
        <Notices notices={result.notices} />
      </section>
    );
  }
  const shown = result.rows.slice(0, MAX_RENDERED_ROWS);
  return (
    <section class="result" aria-label={`Result ${index + 1}: ${result.tag}`}>
      <p class="tag">{result.tag}</p>
      <div class="grid-wrap" tabIndex={0} role="region" aria-label={`Rows of result ${index + 1}`}>
        <table class="grid compact">
          <thead>
            <tr>
              {result.desc.columns.map((c, i) => (
                <th key={i} scope="col">
                  {c.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((row, r) => (
              <tr key={r}>
                {row.map((v, i) => (
                  <td key={i} class={v === null ? 'null' : typeof v === 'number' ? 'num' : undefined}>
                    {v === null ? 'NULL' : cellText(v)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {result.rows.length > shown.length ? (
        <p class="muted">
          Showing the first {shown.length} of {result.rows.length} rows.
        </p>
      ) : null}
      <Notices notices={result.notices} />
    </section>
  );
}

/** Copies text to the clipboard and says so (in a live region for screen readers). */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState('failed');
    }
    setTimeout(() => setState('idle'), 2000);
  };
  return (
    <span class="copy">
      <button type="button" onClick={() => void copy()}>
        {label}
      </button>
      <span role="status" aria-live="polite" class="muted">
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed: select the text instead' : ''}
      </span>
    </span>
  );
}

/** Shows what a failed load said, or a spinner-free "Loading…" placeholder. */
export function LoadState({ error, loading }: { error: unknown; loading: boolean }) {
  if (error) return <ErrorBox error={errorInfo(error)} />;
  if (loading)
    return (
      <p class="muted" aria-live="polite">
        Loading…
      </p>
    );
  return null;
}

/** What a list shows before or instead of its rows: the load error, "Loading…" until the
 * first rows arrive, or the `empty` text once a load has found none. */
export function ListState({
  error,
  loading,
  count,
  empty,
}: {
  error: unknown;
  loading: boolean;
  count: number;
  empty: ComponentChildren;
}) {
  return (
    <>
      <LoadState error={error} loading={loading && count === 0} />
      {!loading && !error && count === 0 ? <p class="muted">{empty}</p> : null}
    </>
  );
}

/** A table of catalog rows with one header per column; nothing at all while there are no
 * rows (ListState says why). `row` renders one `<tr>` with a key. */
export function Grid<T>({
  label,
  columns,
  rows,
  row,
}: {
  label: string;
  columns: ComponentChild[];
  rows: T[];
  row: (r: T) => VNode;
}) {
  if (rows.length === 0) return null;
  return (
    <div class="grid-wrap">
      <table class="grid" aria-label={label}>
        <thead>
          <tr>
            {columns.map((c, i) => (
              <th key={i} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{rows.map(row)}</tbody>
      </table>
    </div>
  );
}

/** The header of an actions column: read by screen readers, not shown. */
export const ACTIONS_COLUMN = <span class="visually-hidden">Actions</span>;

/** The result of an action a page ran (validate, pause, run now), or null before any. */
export type Outcome = { ok: true; text: string } | { ok: false; error: SqlErrorInfo | string } | null;

/** Says how the last action went, in a live region so screen readers hear it. */
export function OutcomeView({ outcome, errorTitle }: { outcome: Outcome; errorTitle?: string }) {
  return (
    <div aria-live="polite">
      {outcome?.ok ? (
        <p class="success" role="status">
          {outcome.text}
        </p>
      ) : null}
      {outcome && !outcome.ok ? <ErrorBox error={outcome.error} title={errorTitle} /> : null}
    </div>
  );
}

export function errorInfo(err: unknown): SqlErrorInfo | string {
  if (err && typeof err === 'object' && 'info' in err) return (err as { info: SqlErrorInfo }).info;
  return err instanceof Error ? err.message : String(err);
}
