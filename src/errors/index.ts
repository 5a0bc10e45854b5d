/**
 * Errors are data. Every failure a client can see is a `SqlError` carrying a real
 * SQLSTATE, a PostgreSQL-style primary message (lower case, no trailing period,
 * identifiers double-quoted), and optional DETAIL / HINT / position.
 *
 * `toSqlError` is the one place where arbitrary thrown values become client-visible
 * errors: anything that is not already a `SqlError` becomes `XX000 internal error`, and
 * its real cause goes to the server log only (never to the client, never with secrets).
 */
import type { SqlState } from './sqlstate.js';
export type { SqlState } from './sqlstate.js';

export type Severity = 'ERROR' | 'FATAL' | 'PANIC' | 'WARNING' | 'NOTICE' | 'DEBUG' | 'INFO' | 'LOG';

export interface SqlErrorFields {
  detail?: string;
  hint?: string;
  /** 1-based character position in the statement text (ErrorResponse field 'P'). */
  position?: number;
  severity?: Severity;
  /** The underlying cause, logged by the server; never sent to the client. */
  cause?: unknown;
}

export class SqlError extends Error {
  readonly code: SqlState;
  readonly detail: string | undefined;
  readonly hint: string | undefined;
  readonly position: number | undefined;
  readonly severity: Severity;

  constructor(code: SqlState, message: string, fields: SqlErrorFields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = 'SqlError';
    this.code = code;
    this.detail = fields.detail;
    this.hint = fields.hint;
    this.position = fields.position;
    this.severity = fields.severity ?? 'ERROR';
  }
}

/** `0A000 <feature> not yet supported` — the only way Ferry says no to a feature. */
export function unsupported(feature: string, fields: SqlErrorFields = {}): SqlError {
  return new SqlError('0A000', `${feature} not yet supported`, fields);
}

/** Something in the engine or the server itself went wrong; never the user's fault. */
export function internalError(cause: unknown): SqlError {
  return new SqlError('XX000', 'internal error', { cause });
}

/** Hook for the server log; set once at start-up by the CLI (defaults to stderr). */
let logInternal: (err: unknown) => void = (err) => {
  console.error('internal error:', err);
};
export function setInternalErrorLogger(fn: (err: unknown) => void): void {
  logInternal = fn;
}

/**
 * Maps any thrown value to a client-visible SqlError. Unknown exceptions are logged with
 * their stack and replaced by a generic `XX000 internal error`.
 */
export function toSqlError(err: unknown): SqlError {
  if (err instanceof SqlError) {
    if (err.code === 'XX000' && err.cause !== undefined) logInternal(err.cause);
    return err;
  }
  logInternal(err);
  return internalError(err);
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
