/**
 * The S3 the sink tests run against: the local RGW through test/support/localaws.ts.
 * Exports run as an RGW user holding only the documented least-privilege export policy
 * (ListBucket with the `<prefix>/*` condition, PutObject, DeleteObject and
 * AbortMultipartUpload on `<prefix>/*`, as src/connections/aws/identity.ts documents it),
 * through the fault proxy; checks read back with the bucket owner's keys, directly.
 */
import { mkdtemp, readdir, readlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { openConfined } from '../../src/engine/index.js';
import { exportPolicy, localAws, type ExportPermission, type Faults, type LocalAws } from '../support/localaws.js';

export interface S3Env {
  aws: LocalAws;
  /** Export client: least-privilege user, through the fault proxy, SDK retries off. */
  client: S3Client;
  /** Bucket owner, straight to RGW: for setup, listing and ListMultipartUploads. */
  admin: S3Client;
  /** A GetObject-only user, straight to RGW: RGW does not let the bucket owner read
   * objects another user uploaded (ACLs), so read-backs use their own identity. */
  reader: S3Client;
  bucket: string;
  /** Every test key lives under this prefix (the user's policy prefix). */
  base: string;
  faults: Faults;
  /** A client for a user whose policy lacks `omit`, for the permission tests. */
  clientWithout(omit: ExportPermission): Promise<S3Client>;
}

let shared: Promise<S3Env> | undefined;

export function s3env(): Promise<S3Env> {
  shared ??= start();
  return shared;
}

function client(
  aws: LocalAws,
  credentials: { accessKeyId: string; secretAccessKey: string },
  endpoint: string,
): S3Client {
  return new S3Client({
    endpoint,
    region: aws.region,
    forcePathStyle: true,
    credentials,
    // Only the sink's own retry layer is under test: the SDK's would hide single faults.
    maxAttempts: 1,
  });
}

async function start(): Promise<S3Env> {
  const aws = await localAws();
  const base = aws.uniquePrefix('sink');
  const user = await aws.createUser({
    prefix: base,
    policy: exportPolicy(aws.bucket, base, undefined, ['s3:AbortMultipartUpload']),
  });
  const reader = await aws.createUser({
    prefix: base,
    policy: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::${aws.bucket}/${base}/*`] }],
    },
  });
  return {
    aws,
    client: client(aws, user.credentials, aws.endpoint),
    admin: client(aws, aws.admin, aws.rgwEndpoint),
    reader: client(aws, reader.credentials, aws.rgwEndpoint),
    bucket: aws.bucket,
    base,
    faults: aws.faults,
    async clientWithout(omit) {
      const u = await aws.createUser({ prefix: base, omit });
      return client(aws, u.credentials, aws.endpoint);
    },
  };
}

let n = 0;
/** A fresh key prefix per test, inside the policy's prefix. */
export function freshPrefix(env: S3Env, label: string): string {
  return `${env.base}/${label}-${n++}`;
}

export async function listKeys(env: S3Env, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const r = await env.admin.send(
      new ListObjectsV2Command({ Bucket: env.bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const c of r.Contents ?? []) if (c.Key) out.push(c.Key);
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out.sort();
}

export async function getObject(env: S3Env, key: string): Promise<Buffer> {
  const r = await env.reader.send(new GetObjectCommand({ Bucket: env.bucket, Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

export async function multipartUploads(env: S3Env, prefix: string): Promise<string[]> {
  const r = await env.admin.send(new ListMultipartUploadsCommand({ Bucket: env.bucket, Prefix: prefix }));
  return (r.Uploads ?? []).map((u) => u.Key ?? '');
}

/** A DuckDB of the kind a consumer of the files runs: unconfined, to read them back. */
export async function consumerDuck(): Promise<DuckDBConnection> {
  return (await DuckDBInstance.create(':memory:')).connect();
}

/** The private directory of the engines duck() opens: exports put their pipes there. */
export const DUCK_IO_DIR = path.join(os.tmpdir(), `ferry-sink-io-${process.pid}`);

/** A connection to an engine confined as the server's is (src/engine openConfined). */
export async function duck(): Promise<DuckDBConnection> {
  const inst = await openConfined(':memory:', DUCK_IO_DIR, { threads: '2' });
  return inst.connect();
}

export async function tempDir(label: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `ferry-${label}-`));
}

/**
 * Descriptors of this process that still point into an export's private pipe directory
 * (src/sink/encoders.ts). Every export, finished or failed, must have closed them all: one
 * left open is a leaked descriptor in the server, and keeps a test process from exiting.
 */
export async function openExportPipes(): Promise<string[]> {
  const out: string[] = [];
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target.includes('ferry-export-')) out.push(`${fd} -> ${target}`);
  }
  return out;
}
