// Starting and stopping the HTTP servers the test fronts run (the STS front, the fault
// proxy): bound to loopback only, and unref'd so that a test process that forgets to
// stop one can still exit.
import http from 'node:http';

export interface LocalServer {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** Drops every open connection (kept-alive ones included) and waits for the close. */
  stop: () => Promise<void>;
}

/** Listens with `handler` on 127.0.0.1 at `port` (0 or absent: any free port). */
export async function startLocalServer(handler: http.RequestListener, port = 0): Promise<LocalServer> {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  server.unref();
  const bound = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
