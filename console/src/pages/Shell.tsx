/**
 * The SQL shell: an editor (Ctrl/⌘+Enter runs, Ctrl+↑/↓ walks the history), Run and
 * Cancel, and every statement's result: a grid of rows, the command tag, notices, or the
 * error with its SQLSTATE, detail and hint. History stays in this browser (localStorage).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { AuthRequired, cancel, newRequestId, runSql, type Result } from '../api';
import { ErrorBox, ResultView } from '../components';
import { formatDuration } from '../format';

const HISTORY_KEY = 'ferry.shell.history';
const HISTORY_MAX = 50;

function loadHistory(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(HISTORY_KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').slice(0, HISTORY_MAX) : [];
  } catch {
    return [];
  }
}

/** The last results, kept while the page is open so switching views does not lose them. */
let lastResults: Result[] | null = null;

export function Shell() {
  const [sql, setSql] = useState(() => loadHistory()[0] ?? 'SELECT 1 AS one;');
  const [history, setHistory] = useState<string[]>(loadHistory);
  const [results, setResultsState] = useState<Result[] | null>(lastResults);
  const setResults = (r: Result[] | null) => {
    lastResults = r;
    setResultsState(r);
  };
  const [failure, setFailure] = useState<string | null>(null);
  const [running, setRunning] = useState<string | null>(null);
  const [elapsed, setElapsed] = useState<number | null>(null);
  const [cursor, setCursor] = useState(-1);
  const editor = useRef<HTMLTextAreaElement>(null);

  useEffect(() => editor.current?.focus(), []);

  const run = async () => {
    const text = sql.trim();
    if (text === '' || running) return;
    const id = newRequestId();
    setRunning(id);
    setFailure(null);
    const next = [text, ...history.filter((h) => h !== text)].slice(0, HISTORY_MAX);
    setHistory(next);
    setCursor(-1);
    try {
      localStorage.setItem(HISTORY_KEY, JSON.stringify(next));
    } catch {
      // Private windows may refuse storage; history then lasts for this page only.
    }
    const started = performance.now();
    try {
      setResults(await runSql(text, id));
    } catch (err) {
      if (!(err instanceof AuthRequired)) setFailure(err instanceof Error ? err.message : String(err));
      setResults(null);
    } finally {
      setElapsed(performance.now() - started);
      setRunning(null);
    }
  };

  const stop = async () => {
    if (running) await cancel(running).catch(() => false);
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void run();
    } else if ((e.key === 'ArrowUp' || e.key === 'ArrowDown') && e.ctrlKey && history.length > 0) {
      e.preventDefault();
      const c = Math.max(-1, Math.min(history.length - 1, cursor + (e.key === 'ArrowUp' ? 1 : -1)));
      setCursor(c);
      if (c >= 0) setSql(history[c]!);
    } else if (e.key === 'Escape' && running) {
      void stop();
    }
  };

  return (
    <div class="shell">
      <h1>SQL shell</h1>
      <form
        class="editor"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <label for="sql-editor">SQL</label>
        <textarea
          id="sql-editor"
          ref={editor}
          value={sql}
          spellcheck={false}
          rows={8}
          aria-describedby="sql-keys"
          onInput={(e) => setSql((e.target as HTMLTextAreaElement).value)}
          onKeyDown={onKeyDown}
        />
        <div class="toolbar">
          <button type="submit" class="primary" disabled={running !== null}>
            Run
          </button>
          <button type="button" onClick={() => void stop()} disabled={running === null}>
            Cancel
          </button>
          <span id="sql-keys" class="muted">
            Ctrl+Enter runs · Ctrl+↑/↓ history · Esc cancels
          </span>
          <span class="muted" role="status" aria-live="polite">
            {running ? 'Running…' : elapsed !== null ? `Done in ${formatDuration(elapsed)}` : ''}
          </span>
        </div>
      </form>
      <div class="shell-body">
        <section class="results" aria-label="Results">
          {failure ? <ErrorBox error={failure} title="Request failed" /> : null}
          {results?.length === 0 ? <p class="muted">No statements.</p> : null}
          {results?.map((r, i) => (
            <ResultView key={i} result={r} index={i} />
          ))}
        </section>
        <aside class="history" aria-label="History">
          <h2>History</h2>
          {history.length === 0 ? <p class="muted">Statements you run appear here.</p> : null}
          <ol>
            {history.map((h, i) => (
              <li key={i}>
                <button
                  type="button"
                  class="link"
                  title={h}
                  onClick={() => {
                    setSql(h);
                    setCursor(i);
                    editor.current?.focus();
                  }}
                >
                  {h.length > 80 ? h.slice(0, 80) + '…' : h}
                </button>
              </li>
            ))}
          </ol>
        </aside>
      </div>
    </div>
  );
}
