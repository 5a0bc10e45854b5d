/**
 * One call gives a test or benchmark a real S3 + STS on loopback (docs/local-aws.md):
 *
 *   import { localAws } from '../support/localaws.js';
 *   const aws = await localAws();          // memoised per process
 *   aws.endpoint        // fault proxy -> STS front -> RGW: S3 *and* STS on one URL (use this)
 *   aws.gatewayEndpoint // STS front -> RGW, no fault proxy
 *   aws.rgwEndpoint     // RGW directly (http://127.0.0.1:7480): S3, IAM, RGW's own STS
 *   aws.region, aws.accountId ('123456789012'), aws.bucket ('ferry-test')
 *   aws.admin           // credentials with caps roles=*;users=*;user-policy=* (IAM role/user API)
 *   aws.ferry           // { credentials, arn }: the Ferry server's ambient identity
 *   aws.faults          // fault rules and counts, see fault-proxy.ts
 *   await aws.createExportRole({ prefix: 'exp1', externalId: 'mz_..._u1' })
 *       // -> { roleName, roleArn, externalId, bucket, prefix }; trust names aws.ferry.arn
 *       //    unless trustPrincipal is given; externalId null = no condition, undefined = generated
 *       //    options: bucket, trustPrincipal (string | string[]), externalIdOperator ('StringLike'),
 *       //    omit ('ListBucket' | 'PutObject' | 'DeleteObject'), extraObjectActions
 *       //    (e.g. ['s3:AbortMultipartUpload'] — RGW checks it apart from PutObject), maxSessionDuration
 *   await aws.createUser({ prefix: 'exp1', omit: 'DeleteObject' })
 *       // -> { userName, arn, credentials }: an RGW user with the export policy minus one permission
 *   aws.s3(credentials, endpoint?) / aws.sts(credentials, endpoint?) // SDK clients: path style, maxAttempts 1 (faults surface)
 *   aws.uniquePrefix('label') // a key prefix no other test uses ('_'-free)
 *   aws.env             // the export lines of `local-aws.sh up`, parsed
 *   await aws.cleanup() // deletes the roles and users this process created
 *   await aws.close()   // cleanup + stop the in-process front and proxy (RGW keeps running)
 *
 * Also exported: exportPolicy(bucket, prefix, omit?) (the policy document), ensureRgw(),
 * projectRoot(); startStsFront / startFaultProxy live in sts-front.ts / fault-proxy.ts for
 * tests that need a front of their own (e.g. minDurationSeconds: 1 for expiry tests).
 *
 * RGW itself is started (or reused) by `scripts/local-aws.sh up`, run from here when needed.
 * The front and the proxy run inside the calling process on ephemeral loopback ports; their
 * servers are unref'd so a test process can exit without calling close().
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import {
  IAMClient,
  CreateRoleCommand,
  PutRolePolicyCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  ListRolePoliciesCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { startStsFront, type Credentials, type StsFront } from './sts-front.js';
import { startFaultProxy, type Faults, type FaultProxy } from './fault-proxy.js';

export type { Credentials } from './sts-front.js';
export type { Faults, FaultRule, FaultAction, Operation, OpCounts } from './fault-proxy.js';

export type ExportPermission = 'ListBucket' | 'PutObject' | 'DeleteObject';

export interface ExportRoleOptions {
  /** Default: the environment's bucket (ferry-test). */
  bucket?: string;
  /** Key prefix without a trailing slash, e.g. "exports/run1". Default: a unique one. */
  prefix?: string;
  /** Principal ARN(s) the trust policy names. Default: the Ferry server identity (aws.ferry.arn). */
  trustPrincipal?: string | string[];
  /** string: StringEquals sts:ExternalId condition; null: no condition; undefined: a generated mz_... id. */
  externalId?: string | null;
  /** Use StringLike instead of StringEquals for the external-ID condition (externalId may hold * and ?). */
  externalIdOperator?: 'StringEquals' | 'StringLike';
  /** Leave one of the three export permissions out (negative tests). */
  omit?: ExportPermission;
  /**
   * Extra object actions on <bucket>/<prefix>/*, e.g. ['s3:AbortMultipartUpload']: RGW, like
   * AWS, checks s3:AbortMultipartUpload separately from s3:PutObject.
   */
  extraObjectActions?: string[];
  /** Role MaxSessionDuration in seconds (default 3600). */
  maxSessionDuration?: number;
}

export interface ExportRole {
  roleName: string;
  /** arn:aws:iam::123456789012:role/<name> — what a Ferry connection's ASSUME ROLE ARN takes. */
  roleArn: string;
  externalId: string | null;
  bucket: string;
  prefix: string;
  trustPolicy: object;
  permissionPolicy: object;
}

export interface UserOptions {
  userName?: string;
  bucket?: string;
  prefix?: string;
  /** The export permission the user's policy lacks. */
  omit?: ExportPermission;
  /** A whole policy document instead of the export policy; null for no policy at all. */
  policy?: object | null;
}

export interface TestUser {
  userName: string;
  arn: string;
  credentials: Credentials;
}

export interface LocalAws {
  endpoint: string;
  gatewayEndpoint: string;
  rgwEndpoint: string;
  region: string;
  accountId: string;
  bucket: string;
  admin: Credentials;
  ferry: { credentials: Credentials; arn: string };
  faults: Faults;
  /** Environment variables as printed by `local-aws.sh up`. */
  env: Record<string, string>;
  createExportRole(opts?: ExportRoleOptions): Promise<ExportRole>;
  createUser(opts?: UserOptions): Promise<TestUser>;
  /** A unique key prefix (no trailing slash) for one test. */
  uniquePrefix(label?: string): string;
  s3(credentials: Credentials, endpoint?: string): S3Client;
  sts(credentials: Credentials, endpoint?: string): STSClient;
  cleanup(): Promise<void>;
  close(): Promise<void>;
}

/** The least-privilege export policy of the S3 export guide, minus `omit`. */
export function exportPolicy(
  bucket: string,
  prefix: string,
  omit?: ExportPermission,
  extraObjectActions: string[] = [],
): object {
  const objectActions = ['s3:PutObject', 's3:DeleteObject']
    .filter((a) => a !== `s3:${omit}`)
    .concat(extraObjectActions);
  const statements: object[] = [];
  if (objectActions.length > 0)
    statements.push({ Effect: 'Allow', Action: objectActions, Resource: [`arn:aws:s3:::${bucket}/${prefix}/*`] });
  if (omit !== 'ListBucket') {
    statements.push({
      Effect: 'Allow',
      Action: ['s3:ListBucket'],
      Resource: [`arn:aws:s3:::${bucket}`],
      Condition: { StringLike: { 's3:prefix': [`${prefix}/*`] } },
    });
  }
  return { Version: '2012-10-17', Statement: statements };
}

const execFileP = promisify(execFile);

/** The checkout holding scripts/local-aws.sh (works from test/ and from any build output dir). */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'scripts', 'local-aws.sh')) && existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('local-aws: cannot find the project root (scripts/local-aws.sh)');
    dir = parent;
  }
}

/** Runs `local-aws.sh up` (fast when already running) and parses its export lines. */
export async function ensureRgw(): Promise<Record<string, string>> {
  const root = projectRoot();
  const { stdout } = await execFileP('bash', [join(root, 'scripts', 'local-aws.sh'), 'up'], {
    cwd: root,
    maxBuffer: 1 << 20,
    timeout: 600_000,
  });
  const env: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

let memo: Promise<LocalAws> | undefined;

/** The environment for this process: RGW up, STS front and fault proxy started (once). */
export function localAws(): Promise<LocalAws> {
  memo ??= create().catch((e: unknown) => {
    memo = undefined;
    throw e;
  });
  return memo;
}

async function create(): Promise<LocalAws> {
  const env = await ensureRgw();
  const need = (k: string): string => {
    const v = env[k];
    if (v === undefined) throw new Error(`local-aws.sh up did not print ${k}`);
    return v;
  };
  const rgwEndpoint = need('AWS_LOCAL_RGW_ENDPOINT');
  const region = need('AWS_REGION');
  const accountId = need('AWS_LOCAL_ACCOUNT_ID');
  const bucket = need('AWS_LOCAL_BUCKET');
  const admin: Credentials = {
    accessKeyId: need('AWS_LOCAL_ADMIN_ACCESS_KEY_ID'),
    secretAccessKey: need('AWS_LOCAL_ADMIN_SECRET_ACCESS_KEY'),
  };
  const ferry = {
    credentials: { accessKeyId: need('AWS_ACCESS_KEY_ID'), secretAccessKey: need('AWS_SECRET_ACCESS_KEY') },
    arn: need('AWS_LOCAL_FERRY_ARN'),
  };
  const front: StsFront = await startStsFront({
    rgwEndpoint,
    admin,
    accountId,
    region,
    sessionsFile: join(need('AWS_LOCAL_DIR'), 'sessions.jsonl'),
  });
  const proxy: FaultProxy = await startFaultProxy({ upstream: front.url });
  const iam = new IAMClient({ endpoint: rgwEndpoint, region, credentials: admin });
  const adminSigner = new SignatureV4({ credentials: admin, region, service: 's3', sha256: Sha256 });
  const roles: string[] = [];
  const users: string[] = [];
  let seq = 0;
  // RGW role names may not contain '_'; user names and prefixes follow the same rule for symmetry.
  const unique = (label: string): string => `${label}-${process.pid}-${++seq}-${randomBytes(3).toString('hex')}`;

  // RGW admin ops API (https://docs.ceph.com/en/pacific/radosgw/adminops/).
  async function adminOps(method: 'PUT' | 'DELETE', query: Record<string, string>): Promise<void> {
    const u = new URL(rgwEndpoint);
    const signed = await adminSigner.sign({
      method,
      protocol: 'http:',
      hostname: u.hostname,
      port: Number(u.port),
      path: '/admin/user',
      query,
      headers: { host: u.host },
    });
    const res = await fetch(`${rgwEndpoint}/admin/user?${new URLSearchParams(query).toString()}`, {
      method,
      headers: signed.headers,
    });
    if (!res.ok && !(method === 'DELETE' && res.status === 404))
      throw new Error(`RGW admin ${method} /admin/user: ${res.status} ${await res.text()}`);
  }

  async function deleteRole(name: string): Promise<void> {
    for (const r of [name, `${name}-twin`]) {
      try {
        const names = (await iam.send(new ListRolePoliciesCommand({ RoleName: r }))).PolicyNames ?? [];
        for (const p of names) await iam.send(new DeleteRolePolicyCommand({ RoleName: r, PolicyName: p }));
        await iam.send(new DeleteRoleCommand({ RoleName: r }));
      } catch (e) {
        if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw e;
      }
    }
  }

  const aws: LocalAws = {
    endpoint: proxy.url,
    gatewayEndpoint: front.url,
    rgwEndpoint,
    region,
    accountId,
    bucket,
    admin,
    ferry,
    faults: proxy.faults,
    env,
    uniquePrefix: (label = 'p') => unique(label),
    async createExportRole(o = {}) {
      const roleName = unique('export');
      const b = o.bucket ?? bucket;
      const prefix = o.prefix ?? unique('exp');
      const externalId = o.externalId === undefined ? `mz_${randomUUID()}_u${seq}` : o.externalId;
      const principals =
        o.trustPrincipal === undefined
          ? [ferry.arn]
          : Array.isArray(o.trustPrincipal)
            ? o.trustPrincipal
            : [o.trustPrincipal];
      const statement: Record<string, unknown> = {
        Effect: 'Allow',
        Principal: { AWS: principals },
        Action: ['sts:AssumeRole'],
      };
      if (externalId !== null)
        statement['Condition'] = { [o.externalIdOperator ?? 'StringEquals']: { 'sts:ExternalId': externalId } };
      const trustPolicy = { Version: '2012-10-17', Statement: [statement] };
      const permissionPolicy = exportPolicy(b, prefix, o.omit, o.extraObjectActions);
      // RGW stores the intended trust policy as given; the STS front evaluates it.
      await iam.send(
        new CreateRoleCommand({
          RoleName: roleName,
          AssumeRolePolicyDocument: JSON.stringify(trustPolicy),
          MaxSessionDuration: o.maxSessionDuration,
        }),
      );
      roles.push(roleName);
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: roleName,
          PolicyName: 'ferry-export',
          PolicyDocument: JSON.stringify(permissionPolicy),
        }),
      );
      return {
        roleName,
        roleArn: `arn:aws:iam::${accountId}:role/${roleName}`,
        externalId,
        bucket: b,
        prefix,
        trustPolicy,
        permissionPolicy,
      };
    },
    async createUser(o = {}) {
      const userName = o.userName ?? unique('user');
      const credentials = {
        accessKeyId: `LA${randomBytes(9).toString('hex').toUpperCase()}`,
        secretAccessKey: randomBytes(20).toString('hex'),
      };
      await adminOps('PUT', {
        uid: userName,
        'display-name': userName,
        'access-key': credentials.accessKeyId,
        'secret-key': credentials.secretAccessKey,
      });
      users.push(userName);
      const policy =
        o.policy === undefined ? exportPolicy(o.bucket ?? bucket, o.prefix ?? unique('exp'), o.omit) : o.policy;
      if (policy !== null)
        await iam.send(
          new PutUserPolicyCommand({
            UserName: userName,
            PolicyName: 'ferry-export',
            PolicyDocument: JSON.stringify(policy),
          }),
        );
      return { userName, arn: `arn:aws:iam::${accountId}:user/${userName}`, credentials };
    },
    s3: (credentials, endpoint = proxy.url) =>
      new S3Client({
        endpoint,
        region,
        credentials,
        forcePathStyle: true,
        maxAttempts: 1,
        requestChecksumCalculation: 'WHEN_REQUIRED',
      }),
    sts: (credentials, endpoint = proxy.url) => new STSClient({ endpoint, region, credentials, maxAttempts: 1 }),
    async cleanup() {
      for (const r of roles.splice(0)) await deleteRole(r);
      for (const u of users.splice(0)) await adminOps('DELETE', { uid: u, 'purge-data': 'true' });
    },
    async close() {
      memo = undefined;
      await aws.cleanup();
      await Promise.all([proxy.close(), front.close()]);
      iam.destroy();
    },
  };
  return aws;
}

/**
 * Environment for a Ferry server process whose ambient AWS identity is the environment's
 * `ferry` user, with STS (for the principal lookup) reached through `aws.endpoint`.
 */
export function ferryServerEnv(a: LocalAws): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: a.ferry.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: a.ferry.credentials.secretAccessKey,
    AWS_REGION: a.region,
    AWS_ENDPOINT_URL_STS: a.endpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}
