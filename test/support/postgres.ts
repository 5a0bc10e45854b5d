/**
 * A real PostgreSQL 15 for the tests of PostgreSQL connections (and, later, sources): a
 * throw-away cluster on a free loopback port (bench/postgres.ts does the initdb and
 * pg_ctl, as the `postgres` user), with TCP logins checked by SCRAM so that a wrong
 * password is refused as it would be in production. `admin()` connects over the trusted
 * Unix socket as the superuser, for setting up roles and tables.
 */
import { createServer } from 'node:net';
import pg from 'pg';
import { type PostgresOptions, startPostgres } from '../../bench/postgres.js';

export interface Upstream {
  port: number;
  /** A superuser session over the Unix socket. */
  admin(): Promise<pg.Client>;
  /** Restarts the server (fast shutdown: sessions are cut, as in a crash of the clients' view). */
  restart(): void;
  stop(): void;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function startUpstream(settings: Record<string, string> = {}): Promise<Upstream> {
  const opts: PostgresOptions = { settings, password: 'postgres-superuser-password' };
  const port = await freePort();
  const server = startPostgres(port, opts);
  return {
    port,
    async admin() {
      const c = new pg.Client({ host: server.dir, port, user: 'postgres', database: 'postgres' });
      c.on('error', () => undefined);
      await c.connect();
      return c;
    },
    restart: () => server.restart(),
    stop: () => server.stop(),
  };
}
