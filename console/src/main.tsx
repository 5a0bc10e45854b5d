/**
 * The Ferry web console: a single page with three views (SQL shell, Connections,
 * Exports) chosen by the URL hash, and a login page when the server asks for passwords.
 * Everything goes through Ferry's HTTP API; nothing is loaded from elsewhere.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { getSession, logout, setAuthRequiredHandler, type SessionInfo } from './api';
import { ErrorBox } from './components';
import { Connections } from './pages/Connections';
import { Exports } from './pages/Exports';
import { Login } from './pages/Login';
import { Shell } from './pages/Shell';

const PAGES = [
  { hash: '#/shell', label: 'SQL shell', view: Shell },
  { hash: '#/connections', label: 'Connections', view: Connections },
  { hash: '#/exports', label: 'Exports', view: Exports },
] as const;

function currentHash(): string {
  return PAGES.some((p) => p.hash === location.hash) ? location.hash : '#/shell';
}

function App() {
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
  const [failure, setFailure] = useState<string | null>(null);
  const [hash, setHash] = useState(currentHash);

  useEffect(() => {
    setAuthRequiredHandler(() => setSession(null));
    getSession().then(setSession, (err) => setFailure(err instanceof Error ? err.message : String(err)));
    const onHash = () => setHash(currentHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    const page = PAGES.find((p) => p.hash === hash);
    document.title = `${page?.label ?? 'Ferry'} · Ferry`;
  }, [hash]);

  if (failure)
    return (
      <main class="login">
        <ErrorBox error={failure} title="Ferry is not answering" />
      </main>
    );
  if (session === undefined) return <p class="muted center">Loading…</p>;
  if (session === null) return <Login onLogin={setSession} />;

  // Called without waiting from the button: a failed request stays an unhandled rejection, as before.
  const signOut = async (current: SessionInfo) => {
    await logout();
    setSession(current.auth === 'password' ? null : await getSession());
  };
  const page = PAGES.find((p) => p.hash === hash) ?? PAGES[0];
  const View = page.view;
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Ferry</span>
        <nav aria-label="Main">
          <ul>
            {PAGES.map((p) => (
              <li key={p.hash}>
                <a href={p.hash} aria-current={p.hash === page.hash ? 'page' : undefined}>
                  {p.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who">
          <span class="muted">Signed in as</span> <strong>{session.user}</strong>
          {session.via === 'cookie' ? (
            <button type="button" class="link" onClick={() => void signOut(session)}>
              Sign out
            </button>
          ) : null}
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        <View />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
