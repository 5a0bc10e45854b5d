/**
 * Who Ferry is to AWS, per connection: the external ID, the default session name, the
 * principal a user's trust policy must name, and the two policy documents Ferry hands the
 * user to paste (trust policy and least-privilege permission policy).
 * Reference: docs/aws-connections.md, "External ID and principal" and "Catalog rows".
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { sharedAmbientCredentials, withDeadline, type AmbientAws } from './ambient.js';
import { awsErrorCode, awsErrorMessage } from './errors.js';
import { createLogger } from '../../log/index.js';

const log = createLogger('connections.aws');

/** Deployment-wide facts every AWS connection derives its identity from. */
export interface AwsIdentityConfig {
  /** The deployment's UUID (`SELECT mz_environment_id()` returns it). */
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
 * The exact trust policy of docs/aws-connections.md ("Catalog rows"), key order as there
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
 * (docs/exports.md, "Failure and cancellation"; src/sink/store.ts sends
 * AbortMultipartUpload), and without it the parts of a failed export would stay billed in
 * the bucket. s3:GetObject is the read side, for COPY … FROM 's3://…' (docs/sources.md);
 * with s3:ListBucket it is all a load needs. Keys are alphabetical, like the trust
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
        Action: ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:GetObject'],
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

/** Deadline for one principal lookup (ambient credentials, then sts:GetCallerIdentity). */
export const PRINCIPAL_LOOKUP_TIMEOUT_MS = 5000;
/** A known principal is looked up again after this long: the server's role can change. */
export const PRINCIPAL_TTL_MS = 15 * 60_000;
/** After a failed lookup the watcher retries after 1 s, doubling up to this. */
export const PRINCIPAL_MAX_RETRY_MS = 30_000;

export interface PrincipalResolverOptions {
  /** Called, and awaited, each time a lookup yields a principal different from the last one. */
  onChange?: (principal: string) => Promise<void> | void;
  /** Called, and awaited, when a lookup fails while no principal is known: why, in a few words. */
  onUnknown?: (reason: string) => Promise<void> | void;
  /** Deadline of one lookup; default PRINCIPAL_LOOKUP_TIMEOUT_MS. */
  lookupTimeoutMs?: number;
  /** How long a found principal is reused without a lookup; default PRINCIPAL_TTL_MS. */
  ttlMs?: number;
  /** The watcher's first retry after a failure; default 1 s, doubling per failure. */
  firstRetryMs?: number;
  /** The longest wait between the watcher's retries; default PRINCIPAL_MAX_RETRY_MS. */
  maxRetryMs?: number;
}

/**
 * The principal users must trust: the connection role when configured, else the ARN of the
 * ambient identity from sts:GetCallerIdentity.
 *
 * The ambient principal is resolved when asked (and by `watch()` in the background), not
 * once for good: the server may start before its credentials or STS are reachable, and its
 * identity may change while it runs (a new instance role). A principal is cached for
 * `ttlMs`; a failure is not cached, so the next call tries again; every lookup is bounded
 * by `lookupTimeoutMs`, so no caller waits long on an unreachable STS or metadata service.
 * After a failure the last known principal stays known (an STS outage does not change who
 * the server is).
 */
export class PrincipalResolver {
  private last: { principal: string; at: number } | null = null;
  private inflight: Promise<string> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private watching = false;
  private failures = 0;
  private readonly opts: Required<Omit<PrincipalResolverOptions, 'onChange' | 'onUnknown'>> &
    Pick<PrincipalResolverOptions, 'onChange' | 'onUnknown'>;

  constructor(
    private readonly cfg: AwsIdentityConfig,
    private readonly ambient: AmbientAws = {},
    opts: PrincipalResolverOptions = {},
  ) {
    this.opts = {
      lookupTimeoutMs: opts.lookupTimeoutMs ?? PRINCIPAL_LOOKUP_TIMEOUT_MS,
      ttlMs: opts.ttlMs ?? PRINCIPAL_TTL_MS,
      firstRetryMs: opts.firstRetryMs ?? 1000,
      maxRetryMs: opts.maxRetryMs ?? PRINCIPAL_MAX_RETRY_MS,
      ...(opts.onChange ? { onChange: opts.onChange } : {}),
      ...(opts.onUnknown ? { onUnknown: opts.onUnknown } : {}),
    };
  }

  /** The last principal a lookup found, without waiting; null before the first success. */
  known(): string | null {
    return this.last?.principal ?? null;
  }

  /**
   * The principal: a cached one younger than the TTL at once, else one bounded lookup
   * shared by concurrent callers. Rejects when the lookup fails or times out.
   */
  principal(): Promise<string> {
    if (this.last !== null && Date.now() - this.last.at < this.opts.ttlMs) return Promise.resolve(this.last.principal);
    this.inflight ??= this.lookupAndRecord().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  /**
   * Keeps the principal fresh in the background: a lookup now, then again after the TTL, or
   * after a backoff when it failed. Each failure streak is logged once at warn, with the
   * reason. Idempotent; `stop()` ends it.
   */
  watch(): void {
    if (this.watching) return;
    this.watching = true;
    this.schedule(0);
  }

  stop(): void {
    this.watching = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(ms: number): void {
    if (!this.watching) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = null;
    try {
      await this.principal();
      this.failures = 0;
      // With a connection role nothing can change: no lookup, so no need to look again.
      if (this.cfg.connectionRoleArn === null) this.schedule(this.opts.ttlMs);
    } catch (err) {
      this.failures++;
      const retryMs = Math.min(this.opts.firstRetryMs * 2 ** (this.failures - 1), this.opts.maxRetryMs);
      const fields = { error: awsErrorCode(err), reason: awsErrorMessage(err), retry_in_ms: retryMs };
      // Once per failure streak at warn: a server without any AWS identity should not log every 30 s.
      if (this.failures === 1) {
        log.warn(
          this.last === null
            ? "could not determine the server's AWS principal; it stays unknown (NULL in catalog rows) until a retry succeeds"
            : "could not refresh the server's AWS principal; keeping the last known one",
          fields,
        );
      } else log.debug('AWS principal lookup failed again', { ...fields, failures: this.failures });
      this.schedule(retryMs);
    }
  }

  private async lookupAndRecord(): Promise<string> {
    let p: string;
    try {
      p = await this.lookup();
    } catch (err) {
      if (this.last === null && this.opts.onUnknown) {
        await Promise.resolve(
          this.opts.onUnknown(`sts:GetCallerIdentity failed (${awsErrorCode(err)}: ${awsErrorMessage(err)}); retrying`),
        ).catch(() => undefined);
      }
      throw err;
    }
    if (this.last?.principal !== p) {
      // Recorded only once the listener has it: if it fails, the next lookup tells it again.
      if (this.opts.onChange) await this.opts.onChange(p);
      log.info('AWS principal determined', {
        principal: p,
        source: this.cfg.connectionRoleArn === null ? 'sts:GetCallerIdentity' : '--aws-connection-role-arn',
      });
    }
    this.last = { principal: p, at: Date.now() };
    return p;
  }

  private async lookup(): Promise<string> {
    if (this.cfg.connectionRoleArn !== null) return this.cfg.connectionRoleArn;
    const ms = this.opts.lookupTimeoutMs;
    const sts = new STSClient({
      region: this.ambient.region ?? process.env.AWS_REGION ?? 'us-east-1',
      ...(this.ambient.stsEndpoint ? { endpoint: this.ambient.stsEndpoint } : {}),
      credentials: this.ambient.credentials ?? sharedAmbientCredentials(),
      maxAttempts: 3,
    });
    // The abort ends the HTTP request; the race also bounds the credential phase, which
    // does not observe the signal.
    const abort = new AbortController();
    try {
      const out = await withDeadline(
        sts.send(new GetCallerIdentityCommand({}), { abortSignal: abort.signal }),
        ms,
        () => {
          abort.abort();
          return new PrincipalLookupTimeout(ms);
        },
      );
      if (!out.Arn) throw new Error('sts:GetCallerIdentity returned no Arn');
      return principalFromCallerArn(out.Arn);
    } finally {
      sts.destroy();
    }
  }
}

/** sts:GetCallerIdentity (with the credentials it needs) did not answer in time. */
export class PrincipalLookupTimeout extends Error {
  constructor(ms: number) {
    super(`sts:GetCallerIdentity did not answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}
