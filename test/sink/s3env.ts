/**
 * The S3 the sink tests run against: the local RGW when `scripts/local-aws.sh up` exported
 * its environment (AWS_LOCAL_RGW_ENDPOINT, AWS_LOCAL_BUCKET, AWS_ACCESS_KEY_ID …), and
 * s3rver otherwise (no signatures checked; the spec's documented quirks apply). Move to
 * test/support/localaws.ts once that helper is committed.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export interface S3Env {
  client: S3Client;
  bucket: string;
  endpoint: string;
  kind: 'rgw' | 's3rver';
  close(): Promise<void>;
}

let shared: Promise<S3Env> | undefined;

export function s3env(): Promise<S3Env> {
  shared ??= start();
  return shared;
}

async function start(): Promise<S3Env> {
  const rgw = process.env.AWS_LOCAL_RGW_ENDPOINT;
  if (rgw) {
    const client = new S3Client({
      endpoint: rgw,
      region: process.env.AWS_REGION ?? 'us-east-1',
      forcePathStyle: true,
      // The bucket owner's keys; the least-privilege role path is exercised by the
      // adapter's end-to-end tests through the STS front.
      credentials: {
        accessKeyId: process.env.AWS_LOCAL_ADMIN_ACCESS_KEY_ID ?? process.env.AWS_ACCESS_KEY_ID ?? '',
        secretAccessKey: process.env.AWS_LOCAL_ADMIN_SECRET_ACCESS_KEY ?? process.env.AWS_SECRET_ACCESS_KEY ?? '',
      },
    });
    return { client, bucket: process.env.AWS_LOCAL_BUCKET ?? 'ferry-test', endpoint: rgw, kind: 'rgw', close: async () => client.destroy() };
  }
  const { default: S3rver } = (await import('s3rver' as string)) as { default: new (o: object) => { run(): Promise<{ port: number }>; close(): Promise<void> } };
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ferry-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    // s3rver stores aws-chunked framing inside objects otherwise (local-aws.md).
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  await client.send(new CreateBucketCommand({ Bucket: 'ferry-test' }));
  return {
    client,
    bucket: 'ferry-test',
    endpoint,
    kind: 's3rver',
    close: async () => {
      client.destroy();
      await server.close();
    },
  };
}

let n = 0;
/** A fresh key prefix per test. */
export function freshPrefix(label: string): string {
  return `sink-test/${label}-${process.pid}-${Date.now()}-${n++}`;
}

export async function listKeys(env: S3Env, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const r = await env.client.send(new ListObjectsV2Command({ Bucket: env.bucket, Prefix: prefix, ContinuationToken: token }));
    for (const c of r.Contents ?? []) if (c.Key) out.push(c.Key);
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out.sort();
}

export async function getObject(env: S3Env, key: string): Promise<Buffer> {
  const r = await env.client.send(new GetObjectCommand({ Bucket: env.bucket, Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

export async function multipartUploads(env: S3Env, prefix: string): Promise<string[]> {
  const r = await env.client.send(new ListMultipartUploadsCommand({ Bucket: env.bucket, Prefix: prefix }));
  return (r.Uploads ?? []).map((u) => u.Key ?? '');
}

export async function duck(): Promise<DuckDBConnection> {
  const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
  return inst.connect();
}

export async function tempDir(label: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `ferry-${label}-`));
}
