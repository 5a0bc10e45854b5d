/**
 * The S3 side of the benchmark: a local Ceph RGW started by scripts/local-aws.sh (by
 * default a private instance on its own ports and state directory, so a multi-gigabyte
 * benchmark neither fills the memstore nor slows the instance other test runs share), an
 * S3 client with the same settings as Ferry's (src/connections/aws/credentials.ts
 * `s3ClientFor`), and clean-up between measurements.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';

export interface LocalAws {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  /** State directory of the instance (ceph.conf, pid files). */
  dir: string;
  rgwPid: number | undefined;
  osdPid: number | undefined;
  /** True when this run started the instance (and so stops it at the end). */
  startedHere: boolean;
}

export interface LocalAwsOptions {
  root: string;
  /** 'private': own instance in `dir` on `port`..`port+2`; 'shared': the default instance. */
  mode: 'private' | 'shared';
  dir: string;
  port: number;
  memBytes: number;
  keep: boolean;
}

function readPid(dir: string, name: string): number | undefined {
  try {
    return Number(readFileSync(path.join(dir, `${name}.pid`), 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

function env(o: LocalAwsOptions): NodeJS.ProcessEnv {
  if (o.mode === 'shared') return { ...process.env };
  return {
    ...process.env,
    LOCAL_AWS_DIR: o.dir,
    LOCAL_AWS_RGW_PORT: String(o.port),
    LOCAL_AWS_MON_PORT: String(o.port + 1),
    LOCAL_AWS_GATEWAY_PORT: String(o.port + 2),
    LOCAL_AWS_MEM_BYTES: String(o.memBytes),
  };
}

export function startLocalAws(o: LocalAwsOptions): LocalAws {
  const script = path.join(o.root, 'scripts', 'local-aws.sh');
  const e = env(o);
  let wasRunning: boolean;
  try {
    execFileSync('bash', [script, 'status'], { env: e, stdio: 'ignore' });
    wasRunning = true;
  } catch {
    wasRunning = false;
  }
  const out = execFileSync('bash', [script, 'up'], { env: e, stdio: ['ignore', 'pipe', 'inherit'] }).toString();
  const vars: Record<string, string> = {};
  for (const m of out.matchAll(/^export (\w+)=(.*)$/gm)) vars[m[1]!] = m[2]!;
  const dir = vars.AWS_LOCAL_DIR ?? o.dir;
  return {
    endpoint: vars.AWS_LOCAL_RGW_ENDPOINT ?? `http://127.0.0.1:${o.port}`,
    region: vars.AWS_REGION ?? 'us-east-1',
    // The admin user owns the buckets the script creates; the bench needs no role policy.
    accessKeyId: vars.AWS_LOCAL_ADMIN_ACCESS_KEY_ID ?? '',
    secretAccessKey: vars.AWS_LOCAL_ADMIN_SECRET_ACCESS_KEY ?? '',
    bucket: 'ferry-bench',
    dir,
    rgwPid: readPid(dir, 'rgw'),
    osdPid: readPid(dir, 'osd'),
    startedHere: !wasRunning && o.mode === 'private' && !o.keep,
  };
}

export function stopLocalAws(o: LocalAwsOptions, aws: LocalAws): void {
  if (!aws.startedHere) return;
  execFileSync('bash', [path.join(o.root, 'scripts', 'local-aws.sh'), 'down'], { env: env(o), stdio: 'inherit' });
}

/** The same client settings as Ferry's s3ClientFor: path style, no SDK retries, checksums only when required. */
export function s3Client(aws: LocalAws): S3Client {
  return new S3Client({
    region: aws.region,
    endpoint: aws.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey },
    maxAttempts: 1,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export async function listObjects(
  client: S3Client,
  bucket: string,
  prefix: string,
): Promise<{ key: string; size: number }[]> {
  const out: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const c of r.Contents ?? []) out.push({ key: c.Key ?? '', size: c.Size ?? 0 });
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out;
}

/**
 * Deletes everything under `prefix` and runs RGW's garbage collector at once: the tails of
 * large objects otherwise stay in the memstore for rgw_gc_obj_min_wait (2 hours).
 */
export async function emptyPrefix(client: S3Client, aws: LocalAws, prefix: string): Promise<void> {
  for (const o of await listObjects(client, aws.bucket, prefix)) {
    await client.send(new DeleteObjectCommand({ Bucket: aws.bucket, Key: o.key }));
  }
  try {
    execFileSync('radosgw-admin', ['-n', 'client.rgw.a', 'gc', 'process', '--include-all'], {
      env: { ...process.env, CEPH_CONF: path.join(aws.dir, 'ceph.conf') },
      stdio: 'ignore',
      timeout: 120_000,
    });
  } catch {
    // A failed collection only costs memstore space; the next one catches up.
  }
}

/**
 * One object written and deleted, one multipart upload started and aborted. RGW creates
 * its data pool at the first object written and its multipart pool at the first
 * multipart upload, about a second each (the monitor's log shows the pools being made);
 * without this, the first export measured paid both.
 */
export async function warmUp(client: S3Client, bucket: string): Promise<void> {
  const key = 'bench-warm-up';
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));
  await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  const mp = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: mp.UploadId }));
}
