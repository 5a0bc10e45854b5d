/**
 * PostgreSQL 15 from Debian for the "what users do today" path and the wire comparison:
 * installed when missing (idempotent, like scripts/install-test-deps.sh), a throw-away
 * cluster in a temporary directory on a loopback port, run as the unprivileged `postgres`
 * user when the benchmark runs as root (PostgreSQL refuses to run as root).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const BIN = '/usr/lib/postgresql/15/bin';

export interface Postgres {
  port: number;
  dir: string;
  config: { host: string; port: number; user: string; database: string };
  /** A fast shutdown and a start on the same data (the tests' "PostgreSQL restarted"). */
  restart(): void;
  stop(): void;
}

function sudoPrefix(): string[] {
  return process.getuid?.() === 0 ? [] : ['sudo'];
}

/** apt-get install postgresql-15 when its server binary is missing. */
export function ensurePostgresInstalled(): void {
  if (existsSync(path.join(BIN, 'postgres'))) return;
  process.stderr.write('bench: installing Debian package postgresql-15\n');
  const sudo = sudoPrefix();
  const run = (args: string[]): void => {
    const r = spawnSync(sudo[0] ?? args[0]!, sudo.length ? args : args.slice(1), {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed`);
  };
  run(['apt-get', 'update', '-qq']);
  run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'postgresql-15']);
}

/** Runs a PostgreSQL binary as the `postgres` user when we are root. */
function asPg(bin: string, args: string[]): void {
  const cmd =
    process.getuid?.() === 0
      ? ['runuser', '-u', 'postgres', '--', path.join(BIN, bin), ...args]
      : [path.join(BIN, bin), ...args];
  execFileSync(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
}

export interface PostgresOptions {
  /** `-c name=value` server settings (wal_level, max_wal_senders, …). */
  settings?: Record<string, string>;
  /**
   * The `postgres` superuser's password. When given, TCP connections authenticate with
   * SCRAM (the Unix socket stays trusted); without it every connection is trusted.
   */
  password?: string;
}

export function startPostgres(port: number, opts: PostgresOptions = {}): Postgres {
  ensurePostgresInstalled();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ferry-bench-pg-'));
  chmodSync(dir, 0o755);
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const data = path.join(dir, 'data');
  const auth = ['-A', 'trust'];
  if (opts.password !== undefined) {
    const pwfile = path.join(dir, 'pwfile');
    writeFileSync(pwfile, opts.password + '\n', { mode: 0o644 });
    auth.splice(0, 2, '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwfile}`);
  }
  asPg('initdb', ['-D', data, ...auth, '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale', 'C']);
  // fsync off: only the load gets faster; COPY TO and SELECT 1 do not write.
  const extra = Object.entries(opts.settings ?? {})
    .map(([k, v]) => ` -c ${k}=${v}`)
    .join('');
  const serverOpts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=100${extra}`;
  asPg('pg_ctl', ['-D', data, '-o', serverOpts, '-l', path.join(dir, 'log'), '-w', 'start']);
  let stopped = false;
  const pgServer: Postgres = {
    port,
    dir,
    config: { host: '127.0.0.1', port, user: 'postgres', database: 'postgres' },
    restart() {
      asPg('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'restart']);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        asPg('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  // Even when the benchmark dies on an unexpected error, the cluster it started goes away.
  process.once('exit', () => pgServer.stop());
  return pgServer;
}
