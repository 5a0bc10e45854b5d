/**
 * The server's own (ambient) AWS identity: the credentials of the SDK's default provider
 * chain (environment, shared config files, SSO, process, web identity, container and EC2
 * instance metadata), obtained within a bounded time.
 *
 * Why a bound: on a host with no AWS environment at all the chain ends at the EC2 instance
 * metadata service (IMDS). The SDK's IMDS provider takes a `timeout` and `maxRetries`
 * (@smithy/credential-provider-imds, `providerConfigFromInit`), but its timeout is a socket
 * *idle* timeout per request (token, then role name, then credentials), so a metadata
 * endpoint that answers slowly, or a blackholed one on some networks, holds a caller for
 * seconds or without end. Every statement that needs the ambient identity would wait with
 * it. So the whole chain gets one deadline here, and a failure becomes one error that says
 * the server has no credentials of its own, and is not retried by the SDK.
 */
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/** Per-request IMDS / container-metadata timeout (the SDK's default, stated). */
export const AMBIENT_IMDS_TIMEOUT_MS = 1000;
/** IMDS retries per credential fetch: none (the SDK's default); callers retry on their own schedule. */
export const AMBIENT_IMDS_MAX_RETRIES = 0;
/** Deadline for the whole default chain: enough for IMDSv2's token and two reads. */
export const AMBIENT_CREDENTIALS_TIMEOUT_MS = 3000;

/** How to reach STS with the server's own (ambient) identity. */
export interface AmbientAws {
  /** Default: the SDK's default provider chain, bounded (`ambientCredentials()`). */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** STS endpoint for ambient calls; default: the SDK's (which honours AWS_ENDPOINT_URL_STS). */
  stsEndpoint?: string;
  /** Default: the SDK's region resolution, else us-east-1. */
  region?: string;
}

/**
 * The server has no usable AWS credentials of its own. The message carries the SDK's reason
 * (which names providers and files, never a key); no `cause` is attached, so the SDK's retry
 * strategy, which looks into causes for network error codes, does not retry it.
 */
export class NoAmbientCredentialsError extends Error {
  constructor(reason: string) {
    super(`the server has no AWS credentials of its own: ${reason}`);
    this.name = 'NoAmbientCredentials';
  }
}

/** Rejects with `onTimeout()` when `p` has not settled within `ms`. The timer never holds the process. */
export function withDeadline<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
    timer.unref();
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

export interface AmbientCredentialsOptions {
  /** Deadline for the whole chain; default `AMBIENT_CREDENTIALS_TIMEOUT_MS`. */
  timeoutMs?: number;
}

/**
 * The SDK's default chain with a deadline. The chain memoizes what it obtained (and renews
 * expiring credentials), and shares one fetch among concurrent callers; a failure is not
 * remembered, so credentials that appear later (a profile written, IMDS reachable again)
 * are found by the next call.
 */
export function ambientCredentials(opts: AmbientCredentialsOptions = {}): AwsCredentialIdentityProvider {
  const timeoutMs = opts.timeoutMs ?? AMBIENT_CREDENTIALS_TIMEOUT_MS;
  const chain = defaultProvider({ timeout: AMBIENT_IMDS_TIMEOUT_MS, maxRetries: AMBIENT_IMDS_MAX_RETRIES });
  return async (props) => {
    try {
      return await withDeadline(
        chain(props),
        timeoutMs,
        () => new NoAmbientCredentialsError(`the default credential chain did not answer within ${timeoutMs} ms`),
      );
    } catch (err) {
      if (err instanceof NoAmbientCredentialsError) throw err;
      throw new NoAmbientCredentialsError(
        err instanceof Error && err.message !== '' ? err.message : 'no provider in the default chain had credentials',
      );
    }
  };
}

let shared: AwsCredentialIdentityProvider | undefined;

/** One bounded default chain per process, for callers that were given no ambient credentials. */
export function sharedAmbientCredentials(): AwsCredentialIdentityProvider {
  shared ??= ambientCredentials();
  return shared;
}
