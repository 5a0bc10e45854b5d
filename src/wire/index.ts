/**
 * The PostgreSQL wire protocol layer (protocol version 3.0,
 * https://www.postgresql.org/docs/current/protocol.html).
 *
 * It does: accept TCP connections, negotiate TLS (SSLRequest), authenticate (trust or
 * SCRAM-SHA-256), run the simple and extended query flows and COPY TO STDOUT / FROM STDIN,
 * convert values between text and binary format, route CancelRequests, apply
 * back-pressure in both directions, and cap the size of every client message.
 *
 * It does not: parse or plan SQL, manage transactions, know about the catalog, roles'
 * privileges or the engine. All of that sits behind the adapter's `Coordinator` and
 * `Session` (src/adapter/api.ts); values cross that boundary in text format only.
 */
import { createServer, type AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import type { FerryConfig } from '../config/index.js';
import type { Coordinator } from '../adapter/api.js';
import type { Logger } from '../log/index.js';
import { CancelRegistry } from './cancel.js';
import { Connection, type ServerContext } from './connection.js';

export interface PgServer {
  /** The port actually bound (useful when the configured port is 0). */
  port: number;
  /** Connections open now and accepted since start. */
  connectionCount(): { open: number; accepted: number };
  /** Stops accepting, ends every connection (FATAL 57P01) and waits for their sessions to close. */
  close(): Promise<void>;
}

export async function startPgServer(opts: {
  config: FerryConfig;
  coordinator: Coordinator;
  log: Logger;
}): Promise<PgServer> {
  const { config, coordinator } = opts;
  const log = opts.log.child('pgwire');
  // Read the certificate once at start so a bad path fails the server, not the first client.
  const tls =
    config.tlsCert !== null && config.tlsKey !== null
      ? createSecureContext({ cert: await readFile(config.tlsCert), key: await readFile(config.tlsKey) })
      : null;
  const ctx: ServerContext = {
    config,
    coordinator,
    log,
    tls,
    registry: new CancelRegistry(),
    mockSecret: randomBytes(32),
  };
  const open = new Set<Connection>();
  let accepted = 0;

  const server = createServer((socket) => {
    accepted++;
    const conn = new Connection(socket, ctx);
    open.add(conn);
    void conn.done.then(
      () => open.delete(conn),
      (err: unknown) => {
        open.delete(conn);
        log.error('connection failed', { err: String(err) });
      },
    );
  });
  server.on('error', (err) => log.error('listener error', { err: err.message }));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.pgListen.port, config.pgListen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info('listening', { host: config.pgListen.host, port, auth: config.auth, tls: tls !== null });

  return {
    port,
    connectionCount: () => ({ open: open.size, accepted }),
    async close() {
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      const conns = [...open];
      for (const c of conns) c.terminate();
      await Promise.all(conns.map((c) => c.done.catch(() => undefined)));
      await closing;
    },
  };
}
