/**
 * Where export objects go: one small interface (list, delete, put, streamed upload) with
 * an S3 implementation (any S3-compatible endpoint, through the S3Client the connection
 * layer built) and a local-directory implementation for `file://` targets. The export
 * phases (export.ts) only speak this interface, so both targets share names, sentinel and
 * checks (docs/exports.md "`file://` targets").
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { PART_SIZE, PARTS_IN_FLIGHT, S3_MAX_PARTS } from './limits.js';
import { withRetry, type RetryPolicy } from './retry.js';
import type { Logger } from '../log/index.js';

/** A file being written: chunks in order, then complete() or abort(). */
export interface FileUpload {
  /** Resolves once the chunk is accepted; awaiting it is the back-pressure. */
  write(chunk: Buffer): Promise<void>;
  /** Finishes the object; resolves to its size and SHA-256 (hex). */
  complete(): Promise<{ bytes: number; sha256: string }>;
  /** Drops the object (AbortMultipartUpload / unlink). Never throws. */
  abort(): Promise<void>;
}

export interface ObjectStore {
  /** `s3://bucket/key` or `file:///dir/key`, for messages. */
  url(key: string): string;
  /** Every key starting with `prefix`. */
  list(prefix: string): Promise<string[]>;
  /** Deletes one object; a missing object is fine. */
  delete(key: string): Promise<void>;
  put(key: string, body: Buffer): Promise<void>;
  upload(key: string): FileUpload;
}

/** Which S3 API call failed, kept on errors so preflight can name it (`... when using DeleteObject`). */
export class StoreError extends Error {
  constructor(
    readonly operation: string,
    readonly url: string,
    override readonly cause: unknown,
  ) {
    super(`${operation} ${url}: ${describeAwsError(cause)}`);
    this.name = 'StoreError';
  }
  get awsName(): string | undefined {
    return (this.cause as { name?: string } | null)?.name;
  }
  get status(): number | undefined {
    return (this.cause as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  }
}

export function describeAwsError(err: unknown): string {
  if (err instanceof Error) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    return `${err.name}${status ? ` (HTTP ${status})` : ''}: ${err.message}`;
  }
  return String(err);
}

export interface S3StoreOptions {
  client: S3Client;
  bucket: string;
  /** The export's signal: cancels data requests. Cleanup requests ignore it. */
  signal: AbortSignal;
  log: Logger;
  retry?: RetryPolicy;
  partSize?: number;
  partsInFlight?: number;
  /** Multipart upload lifecycle, so a restarted server can abort what a crash left behind. */
  onUpload?: (e: UploadEvent) => void;
}

/** `started` once CreateMultipartUpload answered; `ended` once completed or aborted. */
export interface UploadEvent {
  state: 'started' | 'ended';
  bucket: string;
  key: string;
  uploadId: string;
}

export class S3Store implements ObjectStore {
  constructor(private readonly o: S3StoreOptions) {}

  url(key: string): string {
    return `s3://${this.o.bucket}/${key}`;
  }

  /** Sends one command with retries; `cleanup` requests run even after the export was aborted. */
  async send<T>(operation: string, key: string, make: () => unknown, cleanup = false): Promise<T> {
    const signal = cleanup ? undefined : this.o.signal;
    // The SDK's overloads tie each command to its output type; this layer types outputs
    // itself, so one untyped call site is enough.
    const send = this.o.client.send.bind(this.o.client) as (
      cmd: unknown,
      opts: { abortSignal?: AbortSignal },
    ) => Promise<unknown>;
    try {
      return await withRetry(() => send(make(), signal ? { abortSignal: signal } : {}) as Promise<T>, {
        signal,
        policy: this.o.retry,
        onRetry: (err, attempt, delayMs) =>
          this.o.log.warn('retrying S3 request', {
            operation,
            key,
            attempt,
            delay_ms: delayMs,
            error: describeAwsError(err),
          }),
      });
    } catch (err) {
      throw new StoreError(operation, this.url(key), err);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.send<{
        Contents?: { Key?: string }[];
        NextContinuationToken?: string;
        IsTruncated?: boolean;
      }>(
        'ListObjectsV2',
        prefix,
        () => new ListObjectsV2Command({ Bucket: this.o.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const c of out.Contents ?? []) if (c.Key !== undefined) keys.push(c.Key);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async delete(key: string, cleanup = false): Promise<void> {
    try {
      await this.send('DeleteObject', key, () => new DeleteObjectCommand({ Bucket: this.o.bucket, Key: key }), cleanup);
    } catch (err) {
      // S3 answers 204 for a missing key; GCS's interoperability API answers 404 (docs/exports.md "What is written").
      if (err instanceof StoreError && err.status === 404) return;
      throw err;
    }
  }

  async put(key: string, body: Buffer): Promise<void> {
    await this.send('PutObject', key, () => new PutObjectCommand({ Bucket: this.o.bucket, Key: key, Body: body }));
  }

  upload(key: string): FileUpload {
    return new S3Upload(
      this,
      this.o.bucket,
      key,
      this.o.partSize ?? PART_SIZE,
      this.o.partsInFlight ?? PARTS_IN_FLIGHT,
      this.o.onUpload,
    );
  }
}

/**
 * One object as a multipart upload, parts sent while later bytes are still being
 * produced. Memory: at most `partsInFlight` parts on the wire plus one being filled. A
 * file smaller than one part (or empty) becomes a single PutObject instead.
 */
class S3Upload implements FileUpload {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private bytes = 0;
  private readonly hash = createHash('sha256');
  private uploadId: string | undefined;
  private creating: Promise<string> | undefined;
  private nextPart = 1;
  private readonly etags: { PartNumber: number; ETag: string }[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined; // the first failed part's error
  private aborted = false;

  constructor(
    private readonly store: S3Store,
    private readonly bucket: string,
    private readonly key: string,
    private readonly partSize: number,
    private readonly partsInFlight: number,
    private readonly onUpload?: (e: UploadEvent) => void,
  ) {}

  private emit(state: UploadEvent['state'], uploadId: string): void {
    try {
      this.onUpload?.({ state, bucket: this.bucket, key: this.key, uploadId });
    } catch {
      // A recorder's failure must not break the upload.
    }
  }

  async write(chunk: Buffer): Promise<void> {
    this.check();
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= this.partSize) {
      await this.sendPart(this.take(this.partSize));
    }
  }

  private check(): void {
    if (this.aborted) throw new Error(`upload of ${this.key} was aborted`);
    if (this.failure !== undefined) throw this.failure.error;
  }

  private take(n: number): Buffer {
    const all = Buffer.concat(this.chunks, this.buffered);
    const part = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [Buffer.from(rest)] : [];
    this.buffered = rest.length;
    return part;
  }

  private ensureUpload(): Promise<string> {
    this.creating ??= this.store
      .send<{ UploadId?: string }>(
        'CreateMultipartUpload',
        this.key,
        () => new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.key }),
      )
      .then((out) => {
        if (!out.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
        this.uploadId = out.UploadId;
        this.emit('started', out.UploadId);
        return out.UploadId;
      });
    return this.creating;
  }

  private async sendPart(body: Buffer): Promise<void> {
    // Back-pressure: wait for a slot before starting another part.
    while (this.inFlight.size >= this.partsInFlight) {
      await Promise.race(this.inFlight);
      this.check();
    }
    const partNumber = this.nextPart++;
    if (partNumber > S3_MAX_PARTS) throw new Error(`${this.key} needs more than ${S3_MAX_PARTS} parts`);
    const uploadId = await this.ensureUpload();
    const p = this.store
      .send<{ ETag?: string }>(
        'UploadPart',
        this.key,
        () =>
          new UploadPartCommand({
            Bucket: this.bucket,
            Key: this.key,
            UploadId: uploadId,
            PartNumber: partNumber,
            Body: body,
          }),
      )
      .then((out) => {
        this.etags.push({ PartNumber: partNumber, ETag: out.ETag ?? '' });
      })
      .catch((err: unknown) => {
        this.failure ??= { error: err };
      })
      .finally(() => {
        this.inFlight.delete(p);
      });
    this.inFlight.add(p);
  }

  async complete(): Promise<{ bytes: number; sha256: string }> {
    this.check();
    if (this.creating === undefined) {
      // Never reached one part: a single PutObject (also the empty file of an empty result).
      await this.store.put(this.key, Buffer.concat(this.chunks, this.buffered));
    } else {
      if (this.buffered > 0) await this.sendPart(this.take(this.buffered));
      await Promise.all(this.inFlight);
      this.check();
      const parts = [...this.etags].sort((a, b) => a.PartNumber - b.PartNumber);
      await this.store.send(
        'CompleteMultipartUpload',
        this.key,
        () =>
          new CompleteMultipartUploadCommand({
            Bucket: this.bucket,
            Key: this.key,
            UploadId: this.uploadId,
            MultipartUpload: { Parts: parts },
          }),
      );
      if (this.uploadId) this.emit('ended', this.uploadId);
      this.uploadId = undefined; // completed: nothing left to abort
    }
    return { bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  async abort(): Promise<void> {
    this.aborted = true;
    this.chunks = [];
    await Promise.allSettled([...this.inFlight]);
    if (this.creating) await this.creating.catch(() => undefined);
    const uploadId = this.uploadId;
    if (uploadId === undefined) return;
    this.uploadId = undefined;
    try {
      await this.store.send(
        'AbortMultipartUpload',
        this.key,
        () => new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: uploadId }),
        true,
      );
      this.emit('ended', uploadId);
    } catch {
      // Logged by the caller's cleanup; an unabortable upload must not hide the real error.
    }
  }
}

/** `file://` target: keys are paths relative to `dir`. */
export class FileStore implements ObjectStore {
  constructor(private readonly dir: string) {}

  url(key: string): string {
    return `file://${path.join(this.dir, key)}`;
  }

  private resolve(key: string): string {
    const p = path.resolve(this.dir, key);
    if (p !== this.dir && !p.startsWith(this.dir.endsWith(path.sep) ? this.dir : this.dir + path.sep)) {
      throw new Error(`key ${key} escapes ${this.dir}`);
    }
    return p;
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      let entries;
      try {
        entries = await fs.readdir(path.join(this.dir, rel), { withFileTypes: true });
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT') return;
        throw err;
      }
      for (const e of entries) {
        const k = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) await walk(k);
        else out.push(k);
      }
    };
    await walk('');
    return out.filter((k) => k.startsWith(prefix));
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.resolve(key), { force: true });
  }

  async put(key: string, body: Buffer): Promise<void> {
    const p = this.resolve(key);
    await fs.mkdir(path.dirname(p), { recursive: true });
    await fs.writeFile(p, body);
  }

  upload(key: string): FileUpload {
    const p = this.resolve(key);
    const hash = createHash('sha256');
    let bytes = 0;
    let stream: WriteStream | undefined;
    const open = async (): Promise<WriteStream> => {
      if (!stream) {
        await fs.mkdir(path.dirname(p), { recursive: true });
        stream = createWriteStream(p);
      }
      return stream;
    };
    return {
      async write(chunk) {
        const s = await open();
        hash.update(chunk);
        bytes += chunk.length;
        if (!s.write(chunk)) await once(s, 'drain');
      },
      async complete() {
        const s = await open();
        s.end();
        await once(s, 'close');
        return { bytes, sha256: hash.digest('hex') };
      },
      async abort() {
        if (stream) {
          stream.destroy();
          await once(stream, 'close').catch(() => undefined);
        }
        await fs.rm(p, { force: true }).catch(() => undefined);
      },
    };
  }
}

/**
 * Aborts multipart uploads a crashed server left behind, given the (key, uploadId) pairs
 * recorded through `onUpload` (needs only s3:AbortMultipartUpload, which the documented
 * export policy grants). A missing upload (404 NoSuchUpload) counts as aborted.
 * Returns the uploads that could not be aborted.
 */
export async function abortUploads(
  client: S3Client,
  uploads: readonly { bucket: string; key: string; uploadId: string }[],
  opts: { retry?: RetryPolicy; log: Logger },
): Promise<{ bucket: string; key: string; uploadId: string; error: string }[]> {
  const failed: { bucket: string; key: string; uploadId: string; error: string }[] = [];
  for (const u of uploads) {
    const store = new S3Store({
      client,
      bucket: u.bucket,
      signal: new AbortController().signal,
      log: opts.log,
      retry: opts.retry,
    });
    try {
      await store.send(
        'AbortMultipartUpload',
        u.key,
        () => new AbortMultipartUploadCommand({ Bucket: u.bucket, Key: u.key, UploadId: u.uploadId }),
        true,
      );
    } catch (err) {
      if (err instanceof StoreError && (err.status === 404 || err.awsName === 'NoSuchUpload')) continue;
      failed.push({ ...u, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return failed;
}
