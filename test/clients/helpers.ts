/**
 * Helpers for the real-client tests: run an external client program (psql, python3, java)
 * against a Ferry server process and collect its output.
 */
import { spawn, type SpawnOptions } from 'node:child_process';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program to completion (killed after `timeoutMs`). `onStart` sees the child, e.g.
 * to send it SIGINT as a user pressing Ctrl-C would.
 */
export function run(
  cmd: string,
  args: string[],
  opts: SpawnOptions & { input?: string; timeoutMs?: number; onStart?: (child: ReturnType<typeof spawn>) => void } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...opts });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin!.end(opts.input ?? '');
    opts.onStart?.(child);
  });
}

/** Environment for libpq programs (psql) pointing at a Ferry server, ignoring the user's ~/.psqlrc. */
export function libpqEnv(port: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PGHOST: '127.0.0.1',
    PGPORT: String(port),
    PGUSER: 'materialize',
    PGDATABASE: 'materialize',
    PSQLRC: '/dev/null',
    PGCONNECT_TIMEOUT: '10',
  };
}

/** A query that runs until cancelled: a cross join far too big to finish. */
export const LONG_QUERY = 'SELECT count(*) FROM generate_series(0, 999999999) a, generate_series(0, 999999999) b';

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
