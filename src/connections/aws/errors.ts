/**
 * What an AWS SDK (or network) error is called and says, for messages and logs: the AWS
 * error code (`AccessDenied`, ...) and AWS's own message, which never echoes a key or token.
 */
/** AWS error code of an SDK or network error. */
export function awsErrorCode(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const e = err as { Code?: unknown; code?: unknown; name?: unknown; $metadata?: { httpStatusCode?: number } };
    if (typeof e.Code === 'string' && e.Code !== '' && e.Code !== 'Unknown') return e.Code;
    // The SDK names an error `Unknown` when the body carried no code (RGW does this for
    // some 400s); the HTTP status is then the most precise thing to report.
    if (typeof e.name === 'string' && e.name !== '' && e.name !== 'Error' && e.name !== 'Unknown') return e.name;
    if (typeof e.code === 'string' && e.code !== '') return e.code;
    const status = e.$metadata?.httpStatusCode;
    if (status !== undefined) return `HTTP ${status}`;
  }
  return 'UnknownError';
}

/** AWS's error message, or '' when it only repeats the code. */
export function awsErrorMessage(err: unknown): string {
  if (err instanceof Error) {
    const m = err.message.trim();
    if (m === '' || m === awsErrorCode(err) || m === 'UnknownError' || m === 'Unknown') return '';
    return m;
  }
  return '';
}
