/**
 * Credentials for one AWS connection, as AWS SDK v3 credential providers, and the S3 client
 * an export uses. Reference: docs/aws-connections.md, "External ID and principal".
 *
 * - Credentials mode: the keys are read through `resolveSecret` every time the provider is
 *   called, never cached here, so `ALTER SECRET` takes effect at the next use (the next
 *   client built by `s3ClientFor`, the next VALIDATE).
 * - Role mode: one hop (ambient identity → user's role, with ExternalId), or two hops when
 *   the operator configured a connection role (ambient → connection role without
 *   ExternalId → user's role with ExternalId), as Materialize Cloud does.
 * - Session credentials are refreshed before they expire (see `refreshing`), so an export
 *   that outlives one session keeps going.
 * - ENDPOINT applies to STS and S3 alike, and switches S3 to path-style addressing
 *   (S3-compatible stores rarely serve virtual-hosted buckets on a bare host:port).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { AwsConnectionSpec, SecretRef, StringOrSecret } from './options.js';
import { defaultSessionName, externalId, type AwsIdentityConfig } from './identity.js';
import { sharedAmbientCredentials, type AmbientAws } from './ambient.js';
import { awsErrorCode, awsErrorMessage } from './errors.js';
import { createLogger } from '../../log/index.js';

const log = createLogger('connections.aws');

/** Everything beyond the spec that obtaining credentials for one connection needs. */
export interface AwsConnectionContext {
  identity: AwsIdentityConfig;
  /** Catalog id of the connection, e.g. `u3`: part of the external ID and session name. */
  connectionId: string;
  /** The server's own identity and STS endpoint (defaults: the SDK's chain, bounded; the SDK's endpoint). */
  ambient?: AmbientAws;
  /** Current value of a catalog secret; called at each use, never cached here. */
  resolveSecret(ref: SecretRef): Promise<string>;
  /** sts:AssumeRole DurationSeconds; default: omitted (AWS default, one hour). */
  sessionDurationSeconds?: number;
  /**
   * Refresh this long before expiry (default 5 minutes, the SDK's own expiry window). For
   * sessions shorter than twice the margin, half the session lifetime is used instead.
   */
  refreshMarginMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

/** Default region when neither REGION nor the ambient configuration names one. */
export const DEFAULT_REGION = 'us-east-1';

/**
 * SDK attempts for STS calls. The sink retries S3 calls itself, but nothing retries a
 * credential fetch, so STS gets the SDK's standard three attempts (throttling, 5xx).
 */
export const STS_MAX_ATTEMPTS = 3;

/**
 * Default SDK attempts for the S3 client handed to the sink: one, because the sink owns
 * its retry policy (backoff, which errors are retryable, cancellation) and SDK retries
 * underneath would multiply its attempts and hide faults from its tests.
 */
export const S3_DEFAULT_MAX_ATTEMPTS = 1;

/** A failure to obtain credentials at one hop of the chain; carries the AWS error code. */
export class AwsChainError extends Error {
  constructor(
    readonly hop: 'connection-role' | 'user-role',
    readonly roleArn: string,
    /** AWS error code (`AccessDenied`, ...) or Node's (`ECONNREFUSED`), else the error name. */
    readonly awsCode: string,
    /** AWS's own message, which names no secret (it never echoes keys or tokens). */
    readonly awsMessage: string,
    options?: { cause: unknown },
  ) {
    super(`sts:AssumeRole on ${roleArn} failed: ${awsCode}${awsMessage ? `: ${awsMessage}` : ''}`, options);
    this.name = 'AwsChainError';
  }
}

function region(spec: AwsConnectionSpec, ctx: AwsConnectionContext): string {
  // AWS_REGION is the SDK's own variable (src/config allows it: it defines the ambient
  // identity); a fixed fallback keeps a region-less deployment from failing at first use.
  return spec.region ?? ctx.ambient?.region ?? process.env.AWS_REGION ?? DEFAULT_REGION;
}

function stsEndpoint(spec: AwsConnectionSpec, ctx: AwsConnectionContext): string | undefined {
  // The connection's ENDPOINT serves every AWS call made for it, the first hop included.
  return spec.endpoint ?? ctx.ambient?.stsEndpoint;
}

async function resolve(v: StringOrSecret, ctx: AwsConnectionContext): Promise<string> {
  return v.kind === 'string' ? v.text : ctx.resolveSecret(v);
}

/**
 * Caches session credentials and fetches new ones before expiry. Concurrent callers share
 * one in-flight fetch. A failed fetch is not cached: the next call tries again.
 */
export function refreshing(
  fetch: () => Promise<AwsCredentialIdentity>,
  marginMs: number,
  now: () => number,
): AwsCredentialIdentityProvider {
  let current: { creds: AwsCredentialIdentity; obtainedAt: number } | null = null;
  let inflight: Promise<AwsCredentialIdentity> | null = null;
  const fresh = (c: { creds: AwsCredentialIdentity; obtainedAt: number }): boolean => {
    const exp = c.creds.expiration?.getTime();
    if (exp === undefined) return true;
    const margin = Math.min(marginMs, (exp - c.obtainedAt) / 2);
    return exp - now() > margin;
  };
  return async () => {
    if (current !== null && fresh(current)) return current.creds;
    if (inflight === null) {
      const obtainedAt = now();
      inflight = fetch()
        .then((creds) => {
          current = { creds, obtainedAt };
          return creds;
        })
        .finally(() => {
          inflight = null;
        });
    }
    return inflight;
  };
}

interface AssumeArgs {
  hop: 'connection-role' | 'user-role';
  roleArn: string;
  sessionName: string;
  externalId: string | undefined;
  /** Credentials of the caller: the ambient identity, or hop 1's session. */
  callerCredentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

function assumeRoleProvider(
  spec: AwsConnectionSpec,
  ctx: AwsConnectionContext,
  a: AssumeArgs,
): AwsCredentialIdentityProvider {
  const now = ctx.now ?? Date.now;
  const endpoint = stsEndpoint(spec, ctx);
  return refreshing(
    async () => {
      const sts = new STSClient({
        region: region(spec, ctx),
        ...(endpoint !== undefined ? { endpoint } : {}),
        credentials: a.callerCredentials,
        maxAttempts: STS_MAX_ATTEMPTS,
      });
      try {
        const out = await sts.send(
          new AssumeRoleCommand({
            RoleArn: a.roleArn,
            RoleSessionName: a.sessionName,
            ...(a.externalId !== undefined ? { ExternalId: a.externalId } : {}),
            ...(ctx.sessionDurationSeconds !== undefined ? { DurationSeconds: ctx.sessionDurationSeconds } : {}),
          }),
        );
        const c = out.Credentials;
        if (!c?.AccessKeyId || !c.SecretAccessKey) {
          throw new AwsChainError(a.hop, a.roleArn, 'InvalidResponse', 'sts:AssumeRole returned no credentials');
        }
        // Names and ids only: never a key, token or secret value in the log.
        log.debug('assumed role', {
          connection: ctx.connectionId,
          hop: a.hop,
          role: a.roleArn,
          expires: c.Expiration?.toISOString(),
        });
        return {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
          ...(c.Expiration ? { expiration: c.Expiration } : {}),
        };
      } catch (err) {
        if (err instanceof AwsChainError) throw err;
        // The caller's own credential failure (e.g. hop 1's) is already a chain error.
        if (err instanceof Error && err.cause instanceof AwsChainError) throw err.cause;
        throw new AwsChainError(a.hop, a.roleArn, awsErrorCode(err), awsErrorMessage(err), { cause: err });
      } finally {
        sts.destroy();
      }
    },
    ctx.refreshMarginMs ?? 5 * 60_000,
    now,
  );
}

export interface CredentialOptions {
  /**
   * Whether to present the external ID to the user's role. Always true for real use; false
   * only for VALIDATE's confused-deputy probe (docs/aws-connections.md, "VALIDATE
   * CONNECTION" step 2).
   */
  withExternalId?: boolean;
}

/** The credential provider for a connection, exactly as an export obtains it. */
export function credentialsFor(
  spec: AwsConnectionSpec,
  ctx: AwsConnectionContext,
  opts: CredentialOptions = {},
): AwsCredentialIdentityProvider {
  if (spec.mode === 'credentials') {
    return async () => {
      const [accessKeyId, secretAccessKey, sessionToken] = await Promise.all([
        resolve(spec.accessKeyId, ctx),
        ctx.resolveSecret(spec.secretAccessKey),
        spec.sessionToken === null ? Promise.resolve(undefined) : resolve(spec.sessionToken, ctx),
      ]);
      return { accessKeyId, secretAccessKey, ...(sessionToken !== undefined ? { sessionToken } : {}) };
    };
  }
  const sessionName = spec.assumeRoleSessionName ?? defaultSessionName(ctx.identity, ctx.connectionId);
  // The first hop runs on the server's own credentials, always through a bounded chain
  // (ambient.ts): with no AWS environment the SDK's own would wait on instance metadata.
  let caller: AwsCredentialIdentity | AwsCredentialIdentityProvider =
    ctx.ambient?.credentials ?? sharedAmbientCredentials();
  const roleArn = ctx.identity.connectionRoleArn;
  if (roleArn !== null) {
    // Hop 1: the operator's connection role trusts the server's ambient identity and needs
    // no external ID (it is the operator's own role, not a user's).
    caller = assumeRoleProvider(spec, ctx, {
      hop: 'connection-role',
      roleArn,
      sessionName: defaultSessionName(ctx.identity, ctx.connectionId),
      externalId: undefined,
      callerCredentials: caller,
    });
  }
  return assumeRoleProvider(spec, ctx, {
    hop: 'user-role',
    roleArn: spec.assumeRoleArn,
    sessionName,
    externalId: opts.withExternalId === false ? undefined : externalId(ctx.identity, ctx.connectionId),
    callerCredentials: caller,
  });
}

export interface S3ClientOptions {
  /** SDK attempts per request; default `S3_DEFAULT_MAX_ATTEMPTS` (the sink retries). */
  maxAttempts?: number;
  /** Use this provider instead of building one (VALIDATE reuses its chain). */
  credentials?: AwsCredentialIdentityProvider;
}

/**
 * The S3 client for a connection. Checksums are computed only when S3 requires them
 * (`WHEN_REQUIRED`): the SDK's newer default (CRC32 trailers in aws-chunked bodies) is not
 * understood by Ceph RGW 16 nor s3rver (docs/local-aws.md), and TLS plus SigV4's
 * payload hash already protect the bytes in transit.
 */
export function s3ClientFor(spec: AwsConnectionSpec, ctx: AwsConnectionContext, opts: S3ClientOptions = {}): S3Client {
  return new S3Client({
    region: region(spec, ctx),
    ...(spec.endpoint !== null ? { endpoint: spec.endpoint, forcePathStyle: true } : {}),
    credentials: opts.credentials ?? credentialsFor(spec, ctx),
    maxAttempts: opts.maxAttempts ?? S3_DEFAULT_MAX_ATTEMPTS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** An STS client for a connection (VALIDATE's GetCallerIdentity). */
export function stsClientFor(
  spec: AwsConnectionSpec,
  ctx: AwsConnectionContext,
  credentials: AwsCredentialIdentityProvider,
): STSClient {
  const endpoint = stsEndpoint(spec, ctx);
  return new STSClient({
    region: region(spec, ctx),
    ...(endpoint !== undefined ? { endpoint } : {}),
    credentials,
    maxAttempts: STS_MAX_ATTEMPTS,
  });
}
