/**
 * Retries for every S3 request (docs/exports.md "Retries"): 503 SlowDown, 500 / InternalError
 * and dropped connections are retried with "full jitter" exponential backoff
 * (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/): attempt n
 * sleeps a uniform random time in [0, min(cap, base × 2^n)). Anything else (403, 404,
 * 400 …) fails at once. An aborted signal stops the waiting immediately.
 */
import { RETRY_BASE_DELAY_MS, RETRY_MAX_ATTEMPTS, RETRY_MAX_DELAY_MS } from './limits.js';

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: RETRY_MAX_ATTEMPTS,
  baseDelayMs: RETRY_BASE_DELAY_MS,
  maxDelayMs: RETRY_MAX_DELAY_MS,
};

const RETRYABLE_NAMES = new Set([
  'SlowDown',
  'InternalError',
  'ServiceUnavailable',
  'RequestTimeout',
  'TimeoutError',
  'RequestTimeTooSkewed',
]);
const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

/** HTTP status of an AWS SDK v3 error, if it has one. */
export function httpStatus(err: unknown): number | undefined {
  const m = (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata;
  return m?.httpStatusCode;
}

export function isRetryable(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const e = err as { name?: string; code?: string; message?: string };
  if (e.name === 'AbortError') return false;
  const status = httpStatus(err);
  if (status === 500 || status === 502 || status === 503 || status === 504) return true;
  if (e.name && RETRYABLE_NAMES.has(e.name)) return true;
  if (e.code && RETRYABLE_CODES.has(e.code)) return true;
  // Connection drops surface from the HTTP handler with only a message.
  if (typeof e.message === 'string' && /socket hang up|ECONNRESET|EPIPE|connection reset/i.test(e.message)) return true;
  return false;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    // An aborted wait rejects with the signal's own reason, whatever the aborter gave, as fetch does.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the reason is the caller's value, passed on unchanged
    const aborted = (): void => reject(signal?.reason);
    if (signal?.aborted) return aborted();
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      aborted();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `fn` until it succeeds, fails with a non-retryable error, or `maxAttempts` is
 * reached. `onRetry` sees each retried error (for the log).
 */
export async function withRetry<T>(
  fn: () => Promise<T>,
  opts: {
    signal?: AbortSignal;
    policy?: RetryPolicy;
    onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  } = {},
): Promise<T> {
  const p = opts.policy ?? DEFAULT_RETRY;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (opts.signal?.aborted || attempt >= p.maxAttempts || !isRetryable(err)) throw err;
      const ceiling = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** (attempt - 1));
      const delay = Math.floor(Math.random() * ceiling);
      opts.onRetry?.(err, attempt, delay);
      await sleep(delay, opts.signal);
    }
  }
}
