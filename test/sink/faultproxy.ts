/**
 * A small fault-injecting HTTP proxy in front of the test S3 (local-aws.md "fault-injecting
 * HTTP proxy"): forwards every request unchanged (SigV4 signs the Host header, which is
 * passed through as is) except those matching a rule, which get a 503 SlowDown, a 500,
 * a 403 or a reset connection. Replace with test/support's proxy once it is committed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type S3Op = 'CreateMultipartUpload' | 'UploadPart' | 'CompleteMultipartUpload' | 'AbortMultipartUpload' | 'PutObject' | 'DeleteObject' | 'ListObjectsV2' | 'Other';

export interface FaultRule {
  op: S3Op;
  fault: 503 | 500 | 403 | 'reset';
  /** How many matching requests to fail (Infinity = all); later ones pass. */
  times: number;
  /** Skip this many matching requests before failing. */
  after?: number;
}

export function classify(req: http.IncomingMessage): S3Op {
  const u = new URL(req.url ?? '/', 'http://x');
  const q = u.searchParams;
  if (req.method === 'POST' && q.has('uploads')) return 'CreateMultipartUpload';
  if (req.method === 'PUT' && q.has('partNumber')) return 'UploadPart';
  if (req.method === 'POST' && q.has('uploadId')) return 'CompleteMultipartUpload';
  if (req.method === 'DELETE' && q.has('uploadId')) return 'AbortMultipartUpload';
  if (req.method === 'PUT') return 'PutObject';
  if (req.method === 'DELETE') return 'DeleteObject';
  if (req.method === 'GET' && q.get('list-type') === '2') return 'ListObjectsV2';
  return 'Other';
}

const BODY: Record<number, [string, string]> = {
  503: ['SlowDown', 'Please reduce your request rate.'],
  500: ['InternalError', 'We encountered an internal error. Please try again.'],
  403: ['AccessDenied', 'Access Denied'],
};

export interface FaultProxy {
  endpoint: string;
  rules: FaultRule[];
  /** Requests seen per operation, and how many were failed. */
  seen: Record<string, number>;
  failed: Record<string, number>;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const t = new URL(target);
  const state: FaultProxy = { endpoint: '', rules: [], seen: {}, failed: {}, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const op = classify(req);
    state.seen[op] = (state.seen[op] ?? 0) + 1;
    const rule = state.rules.find((r) => r.op === op);
    if (rule) {
      const skipped = (state.seen[op] ?? 0) - 1 - (state.failed[op] ?? 0);
      if ((rule.after ?? 0) <= skipped && rule.times > 0) {
        rule.times--;
        state.failed[op] = (state.failed[op] ?? 0) + 1;
        req.resume();
        req.on('end', () => {
          if (rule.fault === 'reset') {
            req.socket.destroy();
            return;
          }
          const [code, message] = BODY[rule.fault]!;
          res.writeHead(rule.fault, { 'content-type': 'application/xml' });
          res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`);
        });
        return;
      }
    }
    const up = http.request(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
