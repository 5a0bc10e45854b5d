/**
 * The console's client for Ferry's HTTP API: `POST /api/sql` (Materialize's shape),
 * log-in, log-out, session and cancel. Requests carry `x-ferry-console` so a 401 does not
 * make the browser show its own password dialog; the console shows its login page.
 */

export interface Column {
  name: string;
  type_oid: number;
  type_len: number;
  type_mod: number;
}

export interface Notice {
  message: string;
  code: string;
  severity: string;
  detail?: string;
  hint?: string;
}

export interface SqlErrorInfo {
  message: string;
  code: string;
  detail?: string;
  hint?: string;
}

export type Result =
  | { tag: string; rows: unknown[][]; desc: { columns: Column[] }; notices: Notice[] }
  | { ok: string; notices: Notice[] }
  | { error: SqlErrorInfo; notices: Notice[] };

export type RowsResult = Extract<Result, { rows: unknown[][] }>;

export interface SessionInfo {
  user: string;
  auth: 'trust' | 'password';
  via: 'basic' | 'cookie' | 'trust';
}

/** The server said 401: the console goes back to its login page. */
export class AuthRequired extends Error {}

/** A SQL error as an exception, for the pages that run one statement at a time. */
export class SqlFailure extends Error {
  constructor(readonly info: SqlErrorInfo) {
    super(info.message);
  }
}

const HEADERS = { 'content-type': 'application/json', 'x-ferry-console': '1' };

let onAuthRequired: () => void = () => undefined;
export function setAuthRequiredHandler(fn: () => void): void {
  onAuthRequired = fn;
}

async function post(path: string, body: unknown, extra: Record<string, string> = {}): Promise<Response> {
  const res = await fetch(path, {
    method: 'POST',
    headers: { ...HEADERS, ...extra },
    body: JSON.stringify(body),
    credentials: 'same-origin',
  });
  if (res.status === 401 && path !== '/api/login') {
    onAuthRequired();
    throw new AuthRequired('authentication required');
  }
  return res;
}

async function failure(res: Response): Promise<Error> {
  try {
    const j = (await res.json()) as { error?: { message?: string } };
    return new Error(j.error?.message ?? `HTTP ${res.status}`);
  } catch {
    return new Error(`HTTP ${res.status}`);
  }
}

/** Runs SQL text (simple protocol: several statements allowed) and returns every result. */
export async function runSql(query: string, requestId?: string): Promise<Result[]> {
  const res = await post('/api/sql', { query }, requestId ? { 'x-ferry-request-id': requestId } : {});
  if (!res.ok) throw await failure(res);
  return ((await res.json()) as { results: Result[] }).results;
}

/** Runs one statement with parameters (extended protocol) and returns its one result. */
export async function runOne(query: string, params: (string | null)[] = []): Promise<Result> {
  const res = await post('/api/sql', { queries: [{ query, params }] });
  if (!res.ok) throw await failure(res);
  const results = ((await res.json()) as { results: Result[] }).results;
  return results[0] ?? { ok: '', notices: [] };
}

/** Rows of one query as objects keyed by column name; throws SqlFailure on a SQL error. */
export async function queryObjects(query: string, params: (string | null)[] = []): Promise<Record<string, unknown>[]> {
  const r = await runOne(query, params);
  if ('error' in r) throw new SqlFailure(r.error);
  if (!('rows' in r)) return [];
  const names = r.desc.columns.map((c) => c.name);
  return r.rows.map((row) => Object.fromEntries(names.map((n, i) => [n, row[i]])));
}

/** Runs one statement for its effect; throws SqlFailure on a SQL error. */
export async function execute(query: string, params: (string | null)[] = []): Promise<string> {
  const r = await runOne(query, params);
  if ('error' in r) throw new SqlFailure(r.error);
  return 'ok' in r ? r.ok : r.tag;
}

export async function cancel(requestId: string): Promise<boolean> {
  const res = await post('/api/cancel', { request_id: requestId });
  return res.ok && ((await res.json()) as { cancelled: boolean }).cancelled;
}

export async function getSession(): Promise<SessionInfo | null> {
  const res = await fetch('/api/session', { headers: { 'x-ferry-console': '1' }, credentials: 'same-origin' });
  if (res.status === 401) return null;
  if (!res.ok) throw await failure(res);
  return (await res.json()) as SessionInfo;
}

export async function login(user: string, password: string): Promise<SessionInfo> {
  const res = await post('/api/login', { user, password });
  if (!res.ok) throw await failure(res);
  return { ...((await res.json()) as { user: string; auth: 'trust' | 'password' }), via: 'cookie' };
}

export async function logout(): Promise<void> {
  await fetch('/api/logout', { method: 'POST', headers: HEADERS, body: '{}', credentials: 'same-origin' });
}

/** A SQL identifier, always quoted. */
export function ident(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

/** A SQL string literal. */
export function literal(value: string): string {
  return "'" + value.replace(/'/g, "''") + "'";
}

export function newRequestId(): string {
  return crypto.randomUUID();
}
