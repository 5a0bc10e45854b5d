/**
 * The HTTP surface: `GET /api/readyz`, `GET /metrics` (Prometheus text format). Every other
 * route (the SQL API, the console) and the metric lines of other units are passed to
 * `startHttpServer` by the server's start-up (src/server/units.ts); nothing registers itself.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { FerryCoordinator } from '../adapter/coordinator.js';
import type { Services } from '../adapter/services.js';
import type { FerryConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';

export interface HttpServer {
  port: number;
  close(): Promise<void>;
}

export interface HttpContext {
  config: FerryConfig;
  coordinator: FerryCoordinator;
  services: Services;
  log: Logger;
}

/** A route beyond readiness and metrics (SQL API, console): true when it handled the request. */
export type Route = (req: IncomingMessage, res: ServerResponse, ctx: HttpContext) => Promise<boolean>;
/** Lines a unit adds to `GET /metrics` (e.g. the SQL API's counters). */
export type MetricSource = () => string[];

/** What the server adds to the built-in endpoints, in the order given. */
export interface HttpExtensions {
  routes: readonly Route[];
  metricSources: readonly MetricSource[];
}

function metrics(ctx: HttpContext, sources: readonly MetricSource[]): string {
  const mem = process.memoryUsage();
  const lines = [
    '# HELP ferry_sessions Open pgwire sessions.',
    '# TYPE ferry_sessions gauge',
    `ferry_sessions ${ctx.coordinator.sessions.size}`,
    '# HELP process_resident_memory_bytes Resident memory size in bytes.',
    '# TYPE process_resident_memory_bytes gauge',
    `process_resident_memory_bytes ${mem.rss}`,
    '# HELP process_uptime_seconds Seconds since the server started.',
    '# TYPE process_uptime_seconds gauge',
    `process_uptime_seconds ${process.uptime().toFixed(3)}`,
  ];
  for (const m of sources) lines.push(...m());
  return lines.join('\n') + '\n';
}

export async function startHttpServer(ctx: HttpContext, ext: HttpExtensions): Promise<HttpServer> {
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://localhost');
        if (req.method === 'GET' && url.pathname === '/api/readyz') {
          res.writeHead(200, { 'content-type': 'text/plain' }).end('ready\n');
          return;
        }
        if (req.method === 'GET' && url.pathname === '/metrics') {
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metrics(ctx, ext.metricSources));
          return;
        }
        for (const r of ext.routes) if (await r(req, res, ctx)) return;
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found' }));
      } catch (err) {
        ctx.log.error('http handler failed', { error: err instanceof Error ? err.message : String(err) });
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'internal error' }));
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(ctx.config.httpListen.port, ctx.config.httpListen.host, () => resolve());
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : ctx.config.httpListen.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
