// An S3 endpoint that costs (almost) nothing: it answers the object operations Ferry's sink
// and the benchmark's reference uploads use, reads and counts every body byte, keeps only
// each object's size and CRC-32, and throws the data away. It exists so that the benchmark
// can measure an export when no S3 server competes with Ferry for the machine's cores
// (bench/run.ts, "null S3"), and so that tests can check what an export sent.
//
// Path-style requests only (what Ferry uses with an ENDPOINT): PutObject, CreateMultipartUpload,
// UploadPart, CompleteMultipartUpload, AbortMultipartUpload, ListObjectsV2, DeleteObject,
// HeadObject; anything else is 501 NotImplemented. GetObject is 501 too: the bytes are gone.
// Requests must be signed with the configured access key (the Authorization header names it);
// the SigV4 signature itself is not verified, which would mean hashing every body byte
// (docs/benchmarks.md says so). Bodies sent with `Content-Encoding: aws-chunked` are decoded.
//
// `GET /_stats` answers {requests: {operation: n}, bodyBytes, objects}; `POST /_stats/reset`
// clears the counters (objects stay). Bucket names admit no '_', so no bucket collides.
//
// Run alone (its CPU then is its own): `node dist/test/support/null-s3.js [--port N]
// [--access-key-id K]` prints `null-s3 listening http://127.0.0.1:<port>` and serves until
// killed.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { crc32 } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { s3ErrorXml, xmlEscape } from './aws-xml.js';
import { classify } from './fault-proxy.js';
import { startLocalServer, type LocalServer } from './local-server.js';
import { accessKeyOf } from './sigv4.js';

export interface NullObject {
  size: number;
  crc32: number;
  etag: string;
  lastModified: Date;
}

interface Upload {
  key: string;
  parts: Map<number, { size: number; crc32: number; etag: string }>;
}

export interface NullS3 extends LocalServer {
  /** bucket/key → what was stored. */
  objects: Map<string, NullObject>;
  stats(): { requests: Record<string, number>; bodyBytes: number; objects: number };
}

export interface NullS3Options {
  port?: number;
  /** Requests signed with another key are 403 InvalidAccessKeyId. */
  accessKeyId: string;
}

/** Counts a request body's bytes and CRC-32 as they arrive, decoding aws-chunked framing. */
async function consume(req: http.IncomingMessage): Promise<{ size: number; crc32: number }> {
  let size = 0;
  let crc = 0;
  const take = (b: Buffer): void => {
    size += b.length;
    crc = crc32(b, crc);
  };
  const chunked = (req.headers['content-encoding'] ?? '').split(',').some((e) => e.trim() === 'aws-chunked');
  if (!chunked) {
    for await (const b of req) take(b as Buffer);
    return { size, crc32: crc };
  }
  // aws-chunked: `<hex size>[;chunk-signature=…]\r\n<data>\r\n`, a 0-size chunk, then trailers.
  let pending: Buffer = Buffer.alloc(0);
  let remaining = -1; // data bytes left in the current chunk; -1: reading a header line
  let done = false;
  for await (const raw of req) {
    if (done) continue;
    pending = pending.length ? Buffer.concat([pending, raw as Buffer]) : (raw as Buffer);
    while (pending.length > 0 && !done) {
      if (remaining < 0) {
        const eol = pending.indexOf('\r\n');
        if (eol < 0) break;
        remaining = parseInt(pending.subarray(0, eol).toString('latin1').split(';')[0]!, 16);
        pending = pending.subarray(eol + 2);
        if (!(remaining >= 0)) throw new Error('malformed aws-chunked body');
        if (remaining === 0) done = true;
        continue;
      }
      const n = Math.min(remaining, pending.length);
      take(pending.subarray(0, n));
      pending = pending.subarray(n);
      remaining -= n;
      if (remaining === 0) {
        if (pending.length < 2) break;
        pending = pending.subarray(2); // the chunk's CRLF
        remaining = -1;
      }
    }
  }
  return { size, crc32: crc };
}

const etagOf = (crc: number, size: number): string => `"${crc.toString(16).padStart(8, '0')}${size.toString(16)}"`;

export async function startNullS3(opts: NullS3Options): Promise<NullS3> {
  const objects = new Map<string, NullObject>();
  const uploads = new Map<string, Upload>();
  const requests: Record<string, number> = {};
  let bodyBytes = 0;
  const stats = (): { requests: Record<string, number>; bodyBytes: number; objects: number } => ({
    requests: { ...requests },
    bodyBytes,
    objects: objects.size,
  });

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    const send = (status: number, body = '', headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/xml', ...headers });
      res.end(body);
    };
    const fail = (status: number, code: string, message: string): void => send(status, s3ErrorXml(code, message));
    if (url === '/_stats' || url === '/_stats/reset') {
      if (url === '/_stats/reset' && method === 'POST') {
        for (const k of Object.keys(requests)) delete requests[k];
        bodyBytes = 0;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(stats()));
      return;
    }
    const op = classify(method, url, req.headers);
    requests[op] = (requests[op] ?? 0) + 1;
    if (accessKeyOf(req.headers, url) !== opts.accessKeyId) {
      req.resume();
      return fail(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
    }
    const q = url.indexOf('?');
    const path = decodeURIComponent(q < 0 ? url : url.slice(0, q));
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    const slash = path.indexOf('/', 1);
    const bucket = slash < 0 ? path.slice(1) : path.slice(1, slash);
    const key = slash < 0 ? '' : path.slice(slash + 1);
    const id = `${bucket}/${key}`;
    switch (op) {
      case 'PutObject': {
        const body = await consume(req);
        bodyBytes += body.size;
        const etag = etagOf(body.crc32, body.size);
        objects.set(id, { ...body, etag, lastModified: new Date() });
        return send(200, '', { etag });
      }
      case 'CreateMultipartUpload': {
        req.resume();
        const uploadId = randomUUID();
        uploads.set(uploadId, { key: id, parts: new Map() });
        return send(
          200,
          `<?xml version="1.0" encoding="UTF-8"?>\n<InitiateMultipartUploadResult><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
        );
      }
      case 'UploadPart': {
        const up = uploads.get(query.get('uploadId') ?? '');
        if (!up || up.key !== id) {
          req.resume();
          return fail(404, 'NoSuchUpload', 'The specified upload does not exist.');
        }
        const body = await consume(req);
        bodyBytes += body.size;
        const etag = etagOf(body.crc32, body.size);
        up.parts.set(Number(query.get('partNumber')), { ...body, etag });
        return send(200, '', { etag });
      }
      case 'CompleteMultipartUpload': {
        const uploadId = query.get('uploadId') ?? '';
        const up = uploads.get(uploadId);
        let xml = '';
        for await (const b of req) xml += (b as Buffer).toString('utf8');
        if (!up || up.key !== id) return fail(404, 'NoSuchUpload', 'The specified upload does not exist.');
        const numbers = [...xml.matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) => Number(m[1]));
        if (numbers.length === 0) return fail(400, 'MalformedXML', 'The XML you provided was not well-formed.');
        let size = 0;
        let crc = 0;
        for (const n of numbers) {
          const p = up.parts.get(n);
          if (!p) return fail(400, 'InvalidPart', `Part ${n} was not uploaded.`);
          size += p.size;
          crc = crc ^ p.crc32; // a combined checksum of the parts, not the object's CRC-32
        }
        uploads.delete(uploadId);
        const etag = `"${crc.toString(16).padStart(8, '0')}-${numbers.length}"`;
        objects.set(id, { size, crc32: crc, etag, lastModified: new Date() });
        return send(
          200,
          `<?xml version="1.0" encoding="UTF-8"?>\n<CompleteMultipartUploadResult><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><ETag>${xmlEscape(etag)}</ETag></CompleteMultipartUploadResult>`,
        );
      }
      case 'AbortMultipartUpload':
        req.resume();
        uploads.delete(query.get('uploadId') ?? '');
        return send(204);
      case 'DeleteObject':
        req.resume();
        objects.delete(id);
        return send(204);
      case 'HeadObject': {
        req.resume();
        const o = objects.get(id);
        if (!o) return send(404);
        res.writeHead(200, {
          'content-length': String(o.size),
          etag: o.etag,
          'last-modified': o.lastModified.toUTCString(),
        });
        res.end();
        return;
      }
      case 'ListObjectsV2': {
        req.resume();
        const prefix = query.get('prefix') ?? '';
        const max = Math.min(Number(query.get('max-keys') ?? 1000) || 1000, 1000);
        const after = query.get('continuation-token') ?? query.get('start-after') ?? '';
        const keys = [...objects.keys()]
          .filter((k) => k.startsWith(`${bucket}/${prefix}`) && k > `${bucket}/${after}`)
          .sort();
        const page = keys.slice(0, max);
        const truncated = keys.length > max;
        const contents = page
          .map((k) => {
            const o = objects.get(k)!;
            return `<Contents><Key>${xmlEscape(k.slice(bucket.length + 1))}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(o.etag)}</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
          })
          .join('');
        const next = truncated
          ? `<NextContinuationToken>${xmlEscape(page[page.length - 1]!.slice(bucket.length + 1))}</NextContinuationToken>`
          : '';
        return send(
          200,
          `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult><Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}${next}</ListBucketResult>`,
        );
      }
      default:
        req.resume();
        return fail(501, 'NotImplemented', `${op} is not implemented by the null S3 endpoint.`);
    }
  };

  const server = await startLocalServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(400, { 'content-type': 'application/xml' });
        res.end(s3ErrorXml('IncompleteBody', String(err)));
      } else res.destroy();
    });
  }, opts.port ?? 0);
  return { ...server, objects, stats };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const get = (flag: string, dflt: string): string => {
    const i = args.indexOf(flag);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
  };
  if (args.includes('--help') || args.includes('-h')) {
    console.log('usage: node dist/test/support/null-s3.js [--port N (0: any)] [--access-key-id K (nulls3)]');
    process.exit(0);
  }
  const s = await startNullS3({ port: Number(get('--port', '0')), accessKeyId: get('--access-key-id', 'nulls3') });
  console.log(`null-s3 listening ${s.url}`);
  // startLocalServer unrefs the server so tests can exit; alone, the process must stay up.
  setInterval(() => undefined, 1 << 30);
}
