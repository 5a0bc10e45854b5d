/**
 * Starts a real Ferry server process for tests (`node bin/ferry.js serve`), on ports the
 * OS picks, with its own data directory. The server's log is kept in memory so a test can
 * assert on it (e.g. that no secret ever appears there).
 *
 *   const ferry = await startFerry();            // fresh data directory
 *   const client = new pg.Client(ferry.pgConfig());
 *   await ferry.stop();                          // SIGTERM; ferry.kill() is SIGKILL
 *   const again = await startFerry({ dataDir: ferry.dataDir });   // restart on the same data
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root, from <build dir>/test/support/ferry.js. */
export const PROJECT_ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (dir.endsWith('/test/support')) {
      // <root>/<build dir…>/test/support: walk up until package.json is found.
      let root = dirname(dirname(dir));
      for (let j = 0; j < 4; j++) {
        try {
          require_exists(join(root, 'package.json'));
          return root;
        } catch {
          root = dirname(root);
        }
      }
    }
    dir = dirname(dir);
  }
  return process.cwd();
})();

import { statSync } from 'node:fs';
function require_exists(p: string): void {
  statSync(p);
}

export interface FerryProcess {
  dataDir: string;
  pgPort: number;
  httpPort: number;
  proc: ChildProcess;
  /** Everything the server wrote to stderr/stdout so far. */
  log(): string;
  pgConfig(
    user?: string,
    password?: string,
  ): { host: string; port: number; user: string; database: string; password?: string };
  url(user?: string): string;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export interface StartOptions {
  dataDir?: string;
  args?: string[];
  /** Added to this process's environment; `undefined` removes a variable (e.g. AWS_ACCESS_KEY_ID). */
  env?: Record<string, string | undefined>;
}

/** Data directories this process created; removed when it exits. */
const createdDirs = new Set<string>();
process.once('exit', () => {
  for (const d of createdDirs) rmSync(d, { recursive: true, force: true });
});

export async function startFerry(opts: StartOptions = {}): Promise<FerryProcess> {
  let dataDir = opts.dataDir;
  if (dataDir === undefined) {
    dataDir = mkdtempSync(join(tmpdir(), 'ferry-test-'));
    createdDirs.add(dataDir);
  }
  const proc = spawn(
    process.execPath,
    [
      join(PROJECT_ROOT, 'bin', 'ferry.js'),
      'serve',
      '--data-dir',
      dataDir,
      '--listen',
      '127.0.0.1:0',
      '--http-listen',
      '127.0.0.1:0',
      ...(opts.args ?? []),
    ],
    {
      env: Object.fromEntries(Object.entries({ ...process.env, ...opts.env }).filter(([, v]) => v !== undefined)),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const ports = await new Promise<{ pg: number; http: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ferry did not start in time:\n${out}`)), 30_000);
    const check = (): void => {
      const m = /listening pgwire=[^:\s]+:(\d+) http=[^:\s]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ pg: Number(m[1]), http: Number(m[2]) });
      }
    };
    proc.stderr.on('data', check);
    proc.stdout.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ferry exited with ${code} before listening:\n${out}`));
    });
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    dataDir: dataDir,
    pgPort: ports.pg,
    httpPort: ports.http,
    proc,
    log: () => out,
    pgConfig: (user = 'materialize', password?: string) => ({
      host: '127.0.0.1',
      port: ports.pg,
      user,
      database: 'materialize',
      ...(password === undefined ? {} : { password }),
    }),
    url: (user = 'materialize') => `postgres://${user}@127.0.0.1:${ports.pg}/materialize`,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}
