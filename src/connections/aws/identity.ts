/**
 * Who Ferry is to AWS, per connection: the external ID, the default session name, the
 * principal a user's trust policy must name, and the two policy documents Ferry hands the
 * user to paste (trust policy and least-privilege permission policy).
 * Spec: shared/spec/aws-connections.md, "External ID and principal" and "Catalog rows".
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/** Deployment-wide facts every AWS connection derives its identity from. */
export interface AwsIdentityConfig {
  /** The deployment's UUID (product.md: `SELECT mz_environment_id()`). */
  environmentId: string;
  /** Operator override of `mz_<environment id>` (`--aws-external-id-prefix`), or null. */
  externalIdPrefix: string | null;
  /** Operator's connection role (`--aws-connection-role-arn`): enables two-hop chains. */
  connectionRoleArn: string | null;
}

/**
 * `mz_<environment id>_<connection id>`, e.g. `mz_eb5cb59b-..._u3`. It depends only on the
 * connection's catalog id, so ALTER CONNECTION keeps it and DROP + CREATE changes it.
 */
export function externalId(cfg: AwsIdentityConfig, connectionId: string): string {
  const prefix = cfg.externalIdPrefix ?? `mz_${cfg.environmentId}`;
  return `${prefix}_${connectionId}`;
}

/** `<environment id>-<connection id>`; a UUID plus a short id fits STS's 64-char limit. */
export function defaultSessionName(cfg: AwsIdentityConfig, connectionId: string): string {
  return `${cfg.environmentId}-${connectionId}`;
}

/**
 * The exact trust policy of the spec ("Catalog rows"), key order as written there
 * (alphabetical, as Materialize's jsonb prints it), no whitespace.
 */
export function exampleTrustPolicy(principal: string, extId: string): string {
  return JSON.stringify({
    Statement: [
      {
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'sts:ExternalId': extId } },
        Effect: 'Allow',
        Principal: { AWS: principal },
      },
    ],
    Version: '2012-10-17',
  });
}

/** Splits `s3://bucket/prefix` (prefix optional; surrounding slashes dropped). */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } | null {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(uri);
  if (!m || m[1] === undefined) return null;
  return { bucket: m[1], prefix: (m[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

/** `arn:aws:s3:::bucket/prefix/*` — the object resources an export writes (S3 ARN format). */
export function objectResourceArn(bucket: string, prefix: string): string {
  return prefix === '' ? `arn:aws:s3:::${bucket}/*` : `arn:aws:s3:::${bucket}/${prefix}/*`;
}

/**
 * Beyond: the least-privilege permission policy for exporting to `s3://bucket/prefix`, as
 * the S3 guide writes it — put and delete on objects under the prefix, list on the bucket
 * restricted by the `s3:prefix` condition key (S3 User Guide, "Actions, resources, and
 * condition keys for Amazon S3"). s3:AbortMultipartUpload is included because the export
 * aborts every unfinished multipart upload on failure or cancellation
 * (shared/spec/copy-to-s3.md, "Failure and cancellation"; src/sink/store.ts sends
 * AbortMultipartUpload), and without it the parts of a failed export would stay billed in
 * the bucket. Keys are alphabetical, like the trust
 * policy, so both read the same way in jsonb.
 */
export function leastPrivilegePolicy(bucket: string, prefix: string): string {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  const list: Record<string, unknown> = {
    Action: 's3:ListBucket',
    Effect: 'Allow',
    Resource: `arn:aws:s3:::${bucket}`,
  };
  // With no prefix the whole bucket is the export's, so no condition narrows the listing.
  if (p !== '') list.Condition = { StringLike: { 's3:prefix': [`${p}/*`] } };
  const ordered = Object.fromEntries(Object.entries(list).sort(([a], [b]) => (a < b ? -1 : 1)));
  return JSON.stringify({
    Statement: [
      {
        Action: ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
        Effect: 'Allow',
        Resource: objectResourceArn(bucket, p),
      },
      ordered,
    ],
    Version: '2012-10-17',
  });
}

/**
 * An STS `assumed-role` session ARN names one session, not the role; a trust policy should
 * name the role. `arn:aws:sts::123:assumed-role/R/s` → `arn:aws:iam::123:role/R` (the IAM
 * User Guide, "AWS JSON policy elements: Principal", role sessions). A role path, which the
 * session ARN does not carry, cannot be recovered; operators with pathed roles configure
 * `--aws-connection-role-arn` instead.
 */
export function principalFromCallerArn(arn: string): string {
  const m = /^arn:([^:]+):sts::([^:]*):assumed-role\/([^/]+)\/.+$/.exec(arn);
  if (!m) return arn;
  return `arn:${m[1]}:iam::${m[2]}:role/${m[3]}`;
}

/** How to reach STS with the server's own (ambient) identity. */
export interface AmbientAws {
  /** Default: the SDK's default provider chain (environment, profile, IMDS, ...). */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** STS endpoint for ambient calls; default: the SDK's (which honours AWS_ENDPOINT_URL_STS). */
  stsEndpoint?: string;
  /** Default: the SDK's region resolution, else us-east-1. */
  region?: string;
}

/**
 * The principal users must trust: the connection role when configured, else the ARN of the
 * ambient identity from sts:GetCallerIdentity. The ambient lookup is cached for the life of
 * the resolver (one per server), because the server's identity does not change while it
 * runs; a failed lookup is not cached so a later call can succeed.
 */
export class PrincipalResolver {
  private cached: Promise<string> | null = null;

  constructor(
    private readonly cfg: AwsIdentityConfig,
    private readonly ambient: AmbientAws = {},
  ) {}

  principal(): Promise<string> {
    if (this.cfg.connectionRoleArn !== null) return Promise.resolve(this.cfg.connectionRoleArn);
    if (this.cached === null) {
      const p = this.lookup();
      this.cached = p;
      p.catch(() => {
        if (this.cached === p) this.cached = null;
      });
    }
    return this.cached;
  }

  private async lookup(): Promise<string> {
    const sts = new STSClient({
      region: this.ambient.region ?? process.env.AWS_REGION ?? 'us-east-1',
      ...(this.ambient.stsEndpoint ? { endpoint: this.ambient.stsEndpoint } : {}),
      ...(this.ambient.credentials ? { credentials: this.ambient.credentials } : {}),
      maxAttempts: 3,
    });
    try {
      const out = await sts.send(new GetCallerIdentityCommand({}));
      if (!out.Arn) throw new Error('sts:GetCallerIdentity returned no Arn');
      return principalFromCallerArn(out.Arn);
    } finally {
      sts.destroy();
    }
  }
}
