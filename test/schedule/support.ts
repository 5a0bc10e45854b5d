/**
 * Helpers of the scheduled-export tests: polling, reading mz_export_runs, and a local S3
 * (s3rver) behind a small fault proxy that can delay requests or answer them with 503
 * SlowDown — the storage faults a scheduled run must survive. The proxy forwards bytes
 * untouched, so it can sit in front of RGW too once test/support/localaws.ts exists.
 */
import http from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 20_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface RunRow {
  run_id: string;
  scheduled_for: Date;
  started_at: Date | null;
  finished_at: Date | null;
  status: string;
  rows: number;
  bytes: number;
  files: number;
  uri: string | null;
  error: string | null;
}

/** Every recorded run of the export `name`, by scheduled time. */
export async function runsOf(client: pg.Client, name: string): Promise<RunRow[]> {
  const r = await client.query(
    `SELECT r.run_id, r.scheduled_for, r.started_at, r.finished_at, r.status, r.rows::int AS rows, r.bytes::int AS bytes, r.files, r.uri, r.error
       FROM mz_internal.mz_export_runs r WHERE r.export_id = (SELECT id FROM mz_internal.mz_exports WHERE name = $1)
       ORDER BY r.scheduled_for, r.started_at`,
    [name],
  );
  return r.rows as RunRow[];
}

export async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  c.on('notice', () => undefined);
  await c.connect();
  return c;
}

export async function tempDir(label: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `ferry-sched-${label}-`));
}

export type Fault = { kind: 'none' } | { kind: 'delay'; ms: number } | { kind: 'slowdown'; remaining: number } | { kind: 'slowdown-forever' };

export interface FaultyS3 {
  /** Endpoint for CREATE CONNECTION … (ENDPOINT = …): the proxy. */
  endpoint: string;
  bucket: string;
  fault: Fault;
  /** Requests answered 503 so far. */
  refused: number;
  close(): Promise<void>;
}

const SLOWDOWN_XML = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';

/** s3rver with bucket `ferry-test`, behind the fault proxy. */
export async function startFaultyS3(): Promise<FaultyS3> {
  const { default: S3rver } = (await import('s3rver' as string)) as { default: new (o: object) => { run(): Promise<{ port: number }>; close(): Promise<void> } };
  const s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: await tempDir('s3rver'), configureBuckets: [{ name: 'ferry-test' }] });
  const { port: s3Port } = await s3.run();
  const state: FaultyS3 = {
    endpoint: '',
    bucket: 'ferry-test',
    fault: { kind: 'none' },
    refused: 0,
    close: async () => {
      proxy.closeAllConnections();
      await new Promise((r) => proxy.close(r));
      await s3.close();
    },
  };
  const proxy = http.createServer((req, res) => {
    const f = state.fault;
    const refuse = f.kind === 'slowdown-forever' || (f.kind === 'slowdown' && f.remaining > 0);
    if (refuse) {
      if (f.kind === 'slowdown') f.remaining--;
      state.refused++;
      req.resume();
      req.on('end', () => {
        res.writeHead(503, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(SLOWDOWN_XML) });
        res.end(SLOWDOWN_XML);
      });
      return;
    }
    const forward = (): void => {
      const up = http.request({ host: '127.0.0.1', port: s3Port, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    };
    if (f.kind === 'delay') setTimeout(forward, f.ms);
    else forward();
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  state.endpoint = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
  return state;
}

/** SQL creating AWS connection `name` to the faulty S3 (s3rver accepts any static keys). */
export function connectionSql(name: string, s3: FaultyS3): string[] {
  return [
    `CREATE SECRET ${name}_key AS 'S3RVER'`,
    `CREATE CONNECTION ${name} TO AWS (ENDPOINT = '${s3.endpoint}', REGION = 'us-east-1', ACCESS KEY ID = 'S3RVER', SECRET ACCESS KEY = SECRET ${name}_key)`,
  ];
}
