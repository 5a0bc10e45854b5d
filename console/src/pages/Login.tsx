/** The login page, shown when the server asks for passwords (`--auth password`). The
 * password goes to POST /api/login once; the server answers with an HttpOnly cookie, so
 * this page never stores or shows it. */
import { useState } from 'preact/hooks';
import { login, type SessionInfo } from '../api';
import { ErrorBox } from '../components';

export function Login({ onLogin }: { onLogin: (s: SessionInfo) => void }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const s = await login(user, password);
      setPassword('');
      onLogin(s);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form class="card form" onSubmit={(e) => void submit(e)} aria-labelledby="login-title">
        <h1 id="login-title">Sign in to Ferry</h1>
        <p class="muted">Use a role and password, as with psql.</p>
        <label>
          User
          <input
            name="user"
            required
            autocomplete="username"
            value={user}
            onInput={(e) => setUser((e.target as HTMLInputElement).value)}
            autofocus
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            required
            autocomplete="current-password"
            value={password}
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {error ? <ErrorBox error={error} title="Sign-in failed" /> : null}
      </form>
    </main>
  );
}
