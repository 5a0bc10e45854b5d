/**
 * The objects a `COPY … FROM 's3://…'` reads (docs/sources.md, "COPY FROM object storage"):
 * which keys the URI and its FILES or PATTERN option select, and each object's bytes as a
 * stream, so that a load never holds a whole object in memory.
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { SqlError } from '../errors/index.js';

/** Which objects under the URI are loaded. */
export type ObjectFilter = { kind: 'none' } | { kind: 'files'; files: string[] } | { kind: 'pattern'; glob: string };

export interface SelectedObject {
  key: string;
  size: number;
}

/** `s3://bucket/key-or-prefix` → bucket and key (the key without a leading slash). */
export function parseSourceUri(uri: string): { bucket: string; key: string } {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/]*)(\/.*)?$/.exec(uri);
  if (!m || m[1]!.toLowerCase() !== 's3') {
    throw new SqlError('0A000', "only 's3://...' urls are supported as COPY FROM target");
  }
  if (m[2] === '') throw new SqlError('22023', "missing bucket name from 's3://...' url");
  let key: string;
  try {
    key = decodeURIComponent((m[3] ?? '').replace(/^\/+/, ''));
  } catch {
    throw new SqlError('22023', `could not parse COPY FROM target url: invalid percent-encoding`);
  }
  return { bucket: m[2]!, key };
}

/**
 * A glob over keys relative to the URI's prefix, as a regular expression: `*` and `?` stay
 * within one path segment, `**` crosses segments (`**\/` also matches no segment at all),
 * `[abc]` / `[!abc]` are character classes and `{a,b}` alternatives. Everything else is literal.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) throw new SqlError('22023', `invalid PATTERN: unterminated character class in '${glob}'`);
      let body = glob.slice(i + 1, end);
      const negated = body.startsWith('!') || body.startsWith('^');
      if (negated) body = body.slice(1);
      re += `[${negated ? '^' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`;
      i = end;
    } else if (c === '{') {
      braces++;
      re += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (c === ',' && braces > 0) re += '|';
    else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  if (braces > 0) throw new SqlError('22023', `invalid PATTERN: unterminated '{' in '${glob}'`);
  return new RegExp(`^${re}$`);
}

/** The key under which FILES and PATTERN names are taken: the URI's key as a directory. */
function directoryOf(key: string): string {
  return key === '' || key.endsWith('/') ? key : `${key}/`;
}

function isMissing(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

function isDenied(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'AccessDenied' || e?.$metadata?.httpStatusCode === 403;
}

/** An S3 failure as the user sees it: the operation and the object, never a credential. */
export function objectError(operation: string, bucket: string, key: string, err: unknown): SqlError {
  if (err instanceof SqlError) return err;
  const url = `s3://${bucket}/${key}`;
  if ((err as { name?: string })?.name === 'AbortError')
    return new SqlError('57014', 'canceling statement due to user request');
  if (isDenied(err))
    return new SqlError('42501', `AccessDenied error when using ${operation}`, {
      detail: `${operation} of ${url} was refused by the connection's role`,
    });
  if (isMissing(err)) return new SqlError('58P01', `object '${url}' does not exist`);
  const e = err as { name?: string; message?: string };
  return new SqlError('58000', `${operation} of ${url} failed: ${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`);
}

/**
 * The objects to load, in key order. Without FILES or PATTERN the URI names one object
 * (a URI ending in `/` names a prefix, which needs one of them). FILES are names relative
 * to the URI and must all exist; PATTERN matches the keys listed under the URI.
 */
export async function selectObjects(
  client: S3Client,
  bucket: string,
  key: string,
  filter: ObjectFilter,
  signal: AbortSignal,
): Promise<SelectedObject[]> {
  const head = async (k: string): Promise<SelectedObject> => {
    try {
      const r = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: k }), { abortSignal: signal });
      return { key: k, size: Number(r.ContentLength ?? 0) };
    } catch (err) {
      throw objectError('GetObject', bucket, k, err);
    }
  };
  switch (filter.kind) {
    case 'none':
      if (key === '' || key.endsWith('/'))
        throw new SqlError('42601', 'must specify one of FILES or PATTERN', {
          detail: `'s3://${bucket}/${key}' names a prefix, not an object.`,
        });
      return [await head(key)];
    case 'files': {
      const dir = directoryOf(key);
      const out: SelectedObject[] = [];
      for (const f of filter.files) out.push(await head(dir + f.replace(/^\/+/, '')));
      return out;
    }
    case 'pattern': {
      const dir = directoryOf(key);
      const re = globToRegExp(filter.glob);
      const out: SelectedObject[] = [];
      let token: string | undefined;
      do {
        let page;
        try {
          page = await client.send(
            new ListObjectsV2Command({ Bucket: bucket, Prefix: dir, ContinuationToken: token }),
            { abortSignal: signal },
          );
        } catch (err) {
          throw objectError('ListObjectsV2', bucket, dir, err);
        }
        for (const o of page.Contents ?? []) {
          if (!o.Key || o.Key.endsWith('/')) continue;
          if (re.test(o.Key.slice(dir.length))) out.push({ key: o.Key, size: Number(o.Size ?? 0) });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    }
  }
}

/** One object's bytes as they arrive (never buffered whole). */
export async function* objectChunks(
  client: S3Client,
  bucket: string,
  key: string,
  signal: AbortSignal,
): AsyncGenerator<Buffer> {
  let body: Readable;
  try {
    const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
    body = r.Body as Readable;
  } catch (err) {
    throw objectError('GetObject', bucket, key, err);
  }
  try {
    for await (const chunk of body) yield chunk as Buffer;
  } catch (err) {
    throw objectError('GetObject', bucket, key, err);
  } finally {
    body.destroy();
  }
}

/** Streams one object into `path` (for readers that need random access, such as Parquet's). */
export async function downloadObject(
  client: S3Client,
  bucket: string,
  key: string,
  path: string,
  signal: AbortSignal,
): Promise<void> {
  await pipeline(objectChunks(client, bucket, key, signal), createWriteStream(path, { mode: 0o600 }), { signal });
}
