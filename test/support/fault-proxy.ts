// A fault-injecting HTTP proxy for S3 and STS traffic: a test picks an operation and the
// Nth matching request, and the proxy answers it with 503 SlowDown, 500 InternalError, a
// reset connection, a delay, or a stall (no answer until released); everything else is
// streamed unchanged to the upstream (the STS front). It counts what passed.
//
// Controlled in-process (`proxy.faults`) or over HTTP on the same port under /_faults
// (a path no S3 bucket can have, bucket names admit no '_'):
//   GET    /_faults           -> { rules, counts }
//   POST   /_faults/rules     body: FaultRule JSON -> { id }
//   DELETE /_faults/rules     remove every rule (stalled requests are released)
//   POST   /_faults/release   release stalled requests
//   POST   /_faults/reset     rules and counts back to empty
//
// Operations are recognised for path-style S3 (what Ferry uses with an ENDPOINT) and for
// STS form posts. S3 operation shapes: https://docs.aws.amazon.com/AmazonS3/latest/API/API_Operations_Amazon_Simple_Storage_Service.html
import http from 'node:http';
import { s3ErrorXml, stsErrorXml } from './aws-xml.js';
import { startLocalServer } from './local-server.js';
import { parseAuthorization, headerValue } from './sigv4.js';

export const OPERATIONS = [
  'PutObject',
  'CreateMultipartUpload',
  'UploadPart',
  'CompleteMultipartUpload',
  'AbortMultipartUpload',
  'ListObjectsV2',
  'ListObjects',
  'DeleteObject',
  'DeleteObjects',
  'GetObject',
  'HeadObject',
  'CopyObject',
  'ListParts',
  'ListMultipartUploads',
  'CreateBucket',
  'DeleteBucket',
  'HeadBucket',
  'ListBuckets',
  'AssumeRole',
  'GetCallerIdentity',
  'OtherSts',
  'Iam',
  'Other',
] as const;
export type Operation = (typeof OPERATIONS)[number];

export type FaultAction =
  | { kind: 'slowDown' } // 503 SlowDown (S3 XML), or 503 Throttling for STS
  | { kind: 'internalError' } // 500 InternalError
  | { kind: 'reset' } // destroy the client's connection without an answer
  | { kind: 'delay'; ms: number } // forward after ms
  | { kind: 'stall' }; // hold until released, then forward

export interface FaultRule {
  op: Operation | '*';
  /** 1-based: the rule fires first on the Nth request matching `op` after it was added. Default 1. */
  nth?: number;
  /** How many consecutive matches it fires on from the Nth (default 1; Infinity = forever). */
  times?: number;
  action: FaultAction;
  /** Only requests whose path starts with this (e.g. "/bucket/prefix/"). */
  pathPrefix?: string;
}

export interface RuleState extends Required<Omit<FaultRule, 'pathPrefix'>> {
  id: number;
  pathPrefix: string | undefined;
  /** Requests matching op (and pathPrefix) seen since the rule was added. */
  matched: number;
  /** How many of them the rule acted on. */
  fired: number;
}

export interface OpCounts {
  /** Requests of this operation that reached the proxy. */
  seen: number;
  /** Requests forwarded upstream (including delayed / released ones). */
  passed: number;
  /** Requests a rule answered or reset instead of forwarding. */
  faulted: number;
}

export interface Faults {
  add(rule: FaultRule): RuleState;
  clear(): void;
  /** Releases every stalled request (they are then forwarded). */
  release(): void;
  /** Number of requests currently stalled. */
  stalled(): number;
  /** Resolves once `n` requests are stalled (for tests that cancel a stalled upload). */
  waitForStalled(n?: number, timeoutMs?: number): Promise<void>;
  rules(): RuleState[];
  counts(): Partial<Record<Operation, OpCounts>>;
  count(op: Operation): OpCounts;
  /** Rules and counts back to empty. */
  reset(): void;
}

export interface FaultProxy {
  url: string;
  port: number;
  faults: Faults;
  close(): Promise<void>;
}

/** Classifies a request by method, path and query (path-style S3) or STS Action. */
export function classify(
  method: string,
  url: string,
  headers: http.IncomingHttpHeaders,
  stsAction?: string,
): Operation {
  const service = parseAuthorization(headerValue(headers, 'authorization'))?.service;
  if (service === 'sts')
    return stsAction === 'AssumeRole' || stsAction === 'GetCallerIdentity' ? stsAction : 'OtherSts';
  if (service === 'iam') return 'Iam';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  const segs = path.split('/').filter((s) => s !== '');
  const hasKey = segs.length >= 2;
  if (segs.length === 0) return method === 'GET' ? 'ListBuckets' : 'Other';
  switch (method) {
    case 'PUT':
      if (!hasKey) return 'CreateBucket';
      if (query.has('partNumber') && query.has('uploadId')) return 'UploadPart';
      return headers['x-amz-copy-source'] !== undefined ? 'CopyObject' : 'PutObject';
    case 'POST':
      if (query.has('uploads')) return 'CreateMultipartUpload';
      if (query.has('uploadId')) return 'CompleteMultipartUpload';
      if (query.has('delete')) return 'DeleteObjects';
      return 'Other';
    case 'DELETE':
      if (!hasKey) return 'DeleteBucket';
      return query.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    case 'GET':
      if (!hasKey) {
        if (query.get('list-type') === '2') return 'ListObjectsV2';
        if (query.has('uploads')) return 'ListMultipartUploads';
        return 'ListObjects';
      }
      return query.has('uploadId') ? 'ListParts' : 'GetObject';
    case 'HEAD':
      return hasKey ? 'HeadObject' : 'HeadBucket';
    default:
      return 'Other';
  }
}

const MAX_STS_BODY = 64 * 1024;

export async function startFaultProxy(opts: { upstream: string; port?: number }): Promise<FaultProxy> {
  const upstream = new URL(opts.upstream);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let rules: RuleState[] = [];
  let nextId = 1;
  let counts: Partial<Record<Operation, OpCounts>> = {};
  let stalledQueue: (() => void)[] = [];
  let stallWaiters: (() => void)[] = [];
  const count = (op: Operation): OpCounts => (counts[op] ??= { seen: 0, passed: 0, faulted: 0 });

  const faults: Faults = {
    add(rule) {
      const r: RuleState = {
        id: nextId++,
        op: rule.op,
        nth: rule.nth ?? 1,
        times: rule.times ?? 1,
        action: rule.action,
        pathPrefix: rule.pathPrefix,
        matched: 0,
        fired: 0,
      };
      if (!Number.isInteger(r.nth) || r.nth < 1) throw new Error('nth must be a positive integer');
      rules.push(r);
      return r;
    },
    clear() {
      rules = [];
      faults.release();
    },
    release() {
      const q = stalledQueue;
      stalledQueue = [];
      for (const go of q) go();
    },
    stalled: () => stalledQueue.length,
    waitForStalled(n = 1, timeoutMs = 10_000) {
      if (stalledQueue.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`fewer than ${n} requests stalled after ${timeoutMs} ms`)),
          timeoutMs,
        );
        const check = (): void => {
          if (stalledQueue.length >= n) {
            clearTimeout(timer);
            resolve();
          } else stallWaiters.push(check);
        };
        stallWaiters.push(check);
      });
    },
    rules: () => rules.map((r) => ({ ...r })),
    counts: () => structuredClone(counts),
    count: (op) => ({ ...count(op) }),
    reset() {
      faults.clear();
      counts = {};
    },
  };

  /** The rule that acts on this request, advancing every matching rule's counter. */
  function pick(op: Operation, path: string): RuleState | undefined {
    let chosen: RuleState | undefined;
    for (const r of rules) {
      if (r.op !== '*' && r.op !== op) continue;
      if (r.pathPrefix !== undefined && !path.startsWith(r.pathPrefix)) continue;
      r.matched++;
      if (!chosen && r.matched >= r.nth && r.matched < r.nth + r.times) {
        r.fired++;
        chosen = r;
      }
    }
    return chosen;
  }

  function forward(req: http.IncomingMessage, res: http.ServerResponse, op: Operation, body: Buffer | undefined): void {
    count(op).passed++;
    const up = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.rawHeaders);
        ur.pipe(res);
        ur.on('error', () => res.destroy());
      },
    );
    up.on('error', () => res.destroy());
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    if (body) up.end(body);
    else {
      req.pipe(up);
      req.on('error', () => up.destroy());
    }
  }

  function answer(res: http.ServerResponse, req: http.IncomingMessage, status: number, body: string): void {
    res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    req.resume(); // drain what the client still sends
  }

  function act(
    rule: RuleState,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    op: Operation,
    body: Buffer | undefined,
  ): void {
    const sts = op === 'AssumeRole' || op === 'GetCallerIdentity' || op === 'OtherSts';
    const a = rule.action;
    switch (a.kind) {
      case 'slowDown':
        count(op).faulted++;
        // S3 throttling: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList
        answer(
          res,
          req,
          503,
          sts
            ? stsErrorXml('Throttling', 'Rate exceeded', 'Receiver')
            : s3ErrorXml('SlowDown', 'Please reduce your request rate.'),
        );
        return;
      case 'internalError':
        count(op).faulted++;
        answer(
          res,
          req,
          500,
          sts
            ? stsErrorXml('InternalFailure', 'Injected internal failure', 'Receiver')
            : s3ErrorXml('InternalError', 'We encountered an internal error. Please try again.'),
        );
        return;
      case 'reset':
        count(op).faulted++;
        req.socket.resetAndDestroy();
        return;
      case 'delay': {
        const t = setTimeout(() => forward(req, res, op, body), a.ms);
        res.on('close', () => clearTimeout(t));
        return;
      }
      case 'stall': {
        let released = false;
        const go = (): void => {
          if (!released && !res.destroyed) {
            released = true;
            forward(req, res, op, body);
          }
        };
        stalledQueue.push(go);
        // A client that gives up on a stalled request leaves the queue.
        res.on('close', () => {
          released = true;
          stalledQueue = stalledQueue.filter((g) => g !== go);
        });
        const waiters = stallWaiters;
        stallWaiters = [];
        for (const w of waiters) w();
        return;
      }
    }
  }

  async function admin(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    const json = (status: number, v: unknown): void => {
      const s = JSON.stringify(v, (_k, val: unknown) => (val === Infinity ? 'Infinity' : val));
      res.writeHead(status, { 'content-type': 'application/json' }).end(s);
    };
    let text = '';
    for await (const c of req as AsyncIterable<Buffer>) {
      text += c.toString('utf8');
      if (text.length > MAX_STS_BODY) return json(413, { error: 'too large' });
    }
    if (req.method === 'GET' && path === '/_faults')
      return json(200, { rules: faults.rules(), counts: faults.counts(), stalled: faults.stalled() });
    if (req.method === 'POST' && path === '/_faults/rules') {
      try {
        const rule = JSON.parse(text, (_k, val: unknown) => (val === 'Infinity' ? Infinity : val)) as FaultRule;
        if (rule.op !== '*' && !OPERATIONS.includes(rule.op))
          return json(400, { error: `unknown op ${String(rule.op)}` });
        return json(200, { id: faults.add(rule).id });
      } catch (e) {
        return json(400, { error: (e as Error).message });
      }
    }
    if (req.method === 'DELETE' && path === '/_faults/rules') {
      faults.clear();
      return json(200, {});
    }
    if (req.method === 'POST' && path === '/_faults/release') {
      faults.release();
      return json(200, {});
    }
    if (req.method === 'POST' && path === '/_faults/reset') {
      faults.reset();
      return json(200, {});
    }
    json(404, { error: 'unknown fault admin request' });
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    if (url === '/_faults' || url.startsWith('/_faults/') || url.startsWith('/_faults?')) return admin(req, res);
    let body: Buffer | undefined;
    let stsAction: string | undefined;
    // STS actions live in the form body; it is small, so it is read whole (S3 bodies never are).
    if (req.method === 'POST' && parseAuthorization(headerValue(req.headers, 'authorization'))?.service === 'sts') {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of req as AsyncIterable<Buffer>) {
        size += c.length;
        if (size > MAX_STS_BODY) {
          res.writeHead(413).end();
          return;
        }
        chunks.push(c);
      }
      body = Buffer.concat(chunks);
      stsAction = new URLSearchParams(body.toString('utf8')).get('Action') ?? undefined;
    }
    const op = classify(req.method ?? 'GET', url, req.headers, stsAction);
    count(op).seen++;
    const rule = pick(op, url.split('?')[0] ?? '/');
    if (rule) act(rule, req, res, op, body);
    else forward(req, res, op, body);
  }

  const server = await startLocalServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  }, opts.port);
  return {
    url: server.url,
    port: server.port,
    faults,
    close: async () => {
      faults.clear();
      await server.stop();
      agent.destroy();
    },
  };
}
