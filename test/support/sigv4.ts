// Server-side AWS Signature Version 4 verification for the STS front: the front answers
// AssumeRole / GetCallerIdentity itself, so it must check the caller's signature the way
// AWS does. Header authentication only (what the SDKs send to STS).
// Algorithm: https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface SigV4Auth {
  accessKeyId: string;
  date: string; // yyyymmdd of the scope
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const AUTH_RE =
  /^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})\s*$/;

/** Parses an `Authorization: AWS4-HMAC-SHA256 ...` header; undefined when absent or malformed. */
export function parseAuthorization(header: string | undefined): SigV4Auth | undefined {
  if (header === undefined) return undefined;
  const m = AUTH_RE.exec(header);
  if (!m) return undefined;
  return {
    accessKeyId: m[1]!,
    date: m[2]!,
    region: m[3]!,
    service: m[4]!,
    signedHeaders: m[5]!.split(';'),
    signature: m[6]!,
  };
}

/** The access key id of a request signed in the header or in the query (presigned URL). */
export function accessKeyOf(headers: IncomingHttpHeaders, url: string): string | undefined {
  const fromHeader = parseAuthorization(headerValue(headers, 'authorization'));
  if (fromHeader) return fromHeader.accessKeyId;
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const cred = new URLSearchParams(url.slice(q + 1)).get('X-Amz-Credential');
  return cred?.split('/')[0];
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

// RFC 3986 unreserved characters stay; everything else is percent-encoded (SigV4 rule).
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function canonicalQuery(rawQuery: string): string {
  if (rawQuery === '') return '';
  const pairs = rawQuery
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      const k = decodeURIComponent((eq < 0 ? p : p.slice(0, eq)).replace(/\+/g, ' '));
      const v = eq < 0 ? '' : decodeURIComponent(p.slice(eq + 1).replace(/\+/g, ' '));
      return [uriEncode(k), uriEncode(v)] as const;
    });
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

const hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/** Largest clock skew AWS accepts between x-amz-date and its own clock (15 minutes). */
const MAX_SKEW_MS = 15 * 60 * 1000;

/**
 * Recomputes the signature of a request from its method, raw URL, headers and body with the
 * given secret, and compares it in constant time.
 */
export function verifySigV4(
  req: { method: string; url: string; headers: IncomingHttpHeaders; body: Buffer },
  auth: SigV4Auth,
  secret: string,
  now: number = Date.now(),
): VerifyResult {
  const amzDate = headerValue(req.headers, 'x-amz-date');
  if (amzDate === undefined || !/^\d{8}T\d{6}Z$/.test(amzDate))
    return { ok: false, reason: 'missing or malformed x-amz-date' };
  if (amzDate.slice(0, 8) !== auth.date)
    return { ok: false, reason: 'credential scope date does not match x-amz-date' };
  const t = Date.UTC(
    +amzDate.slice(0, 4),
    +amzDate.slice(4, 6) - 1,
    +amzDate.slice(6, 8),
    +amzDate.slice(9, 11),
    +amzDate.slice(11, 13),
    +amzDate.slice(13, 15),
  );
  if (Math.abs(now - t) > MAX_SKEW_MS)
    return { ok: false, reason: 'Signature expired: x-amz-date is more than 15 minutes from the server time' };
  if (!auth.signedHeaders.includes('host')) return { ok: false, reason: 'host is not a signed header' };
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const query = q < 0 ? '' : req.url.slice(q + 1);
  const canonicalHeaders = auth.signedHeaders
    .map((h) => `${h}:${(headerValue(req.headers, h) ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const payloadHash = headerValue(req.headers, 'x-amz-content-sha256') ?? hex(req.body);
  const canonicalRequest = [
    req.method,
    path,
    canonicalQuery(query),
    canonicalHeaders,
    auth.signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${auth.date}/${auth.region}/${auth.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, hex(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac('AWS4' + secret, auth.date), auth.region), auth.service), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign).digest();
  const given = Buffer.from(auth.signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return {
      ok: false,
      reason:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    };
  }
  return { ok: true };
}
