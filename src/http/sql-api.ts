/**
 * `POST /api/sql`: Materialize's HTTP SQL API (https://materialize.com/docs/integrations/http-api/).
 *
 * - Simple: `{"query": "<one or more statements>"}` runs like PostgreSQL's simple query
 *   protocol (one implicit transaction for several statements).
 * - Extended: `{"queries": [{"query": "<one statement>", "params": ["text" | null, …]}]}`
 *   prepares and executes each statement with text parameters, like the extended protocol.
 *
 * The answer is `{"results": [...]}` with one entry per statement: `{"tag", "rows", "desc",
 * "notices"}` for statements that return rows, `{"ok": <tag>, "notices"}` for the others,
 * and, where execution stopped, `{"error": {"message", "code", "detail"?, "hint"?},
 * "notices"}` as the last entry (execution ceases at the first error, as in Materialize).
 * Each request runs in a session of its own, closed at the end: there is no state
 * between requests. Privileges are the session's, exactly as over pgwire.
 *
 * Not here: COPY to or from the client (refused with 0A000: there is no copy sub-protocol
 * in a JSON request), streaming results (a result is bounded by MAX_RESULT_BYTES).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type ExecContext,
  type ExecOutcome,
  type Notice,
  type Session,
  underStatementTimeout,
} from '../adapter/api.js';
import { SqlError, toSqlError, unsupported } from '../errors/index.js';
import { authenticate, type Principal } from './auth.js';
import { HttpError, readJsonObject, sendHttpError, sendJson, sendJsonText } from './body.js';
import type { HttpContext } from './index.js';
import { jsonRow } from './json-values.js';

/** Upper bound on the JSON text of one response's rows (in characters, a close and cheap
 * stand-in for bytes); larger results fail with 54000 rather than exhaust memory. */
export const MAX_RESULT_BYTES = 64 * 1024 * 1024;
/** Rows pulled from the engine per batch. */
const BATCH = 1024;

export interface ExtendedQuery {
  query: string;
  params: (string | null)[];
}

export type SqlRequest = { kind: 'simple'; query: string } | { kind: 'extended'; queries: ExtendedQuery[] };

/** Validates a request body into a SqlRequest (400 on anything else). */
export function parseSqlRequest(body: Record<string, unknown>): SqlRequest {
  const hasQuery = 'query' in body;
  const hasQueries = 'queries' in body;
  if (hasQuery === hasQueries) throw new HttpError(400, 'request must have exactly one of "query" or "queries"');
  if (hasQuery) {
    if (typeof body.query !== 'string') throw new HttpError(400, '"query" must be a string');
    return { kind: 'simple', query: body.query };
  }
  if (!Array.isArray(body.queries)) throw new HttpError(400, '"queries" must be an array');
  const queries = body.queries.map((q: unknown, i): ExtendedQuery => {
    if (q === null || typeof q !== 'object' || typeof (q as { query?: unknown }).query !== 'string') {
      throw new HttpError(400, `queries[${i}] must be an object with a string "query"`);
    }
    const params = (q as { params?: unknown }).params ?? [];
    // As in Materialize: parameters are text or null, never JSON numbers or booleans.
    if (!Array.isArray(params) || !params.every((p) => p === null || typeof p === 'string')) {
      throw new HttpError(400, `queries[${i}].params must be an array of strings and nulls`);
    }
    return { query: (q as { query: string }).query, params: params as (string | null)[] };
  });
  return { kind: 'extended', queries };
}

function noticeJson(n: Notice): Record<string, string> {
  const out: Record<string, string> = { message: n.message, code: n.code, severity: n.severity.toLowerCase() };
  if (n.detail !== undefined) out.detail = n.detail;
  if (n.hint !== undefined) out.hint = n.hint;
  return out;
}

export function errorJson(e: SqlError): Record<string, string> {
  const out: Record<string, string> = { message: e.message, code: e.code };
  if (e.detail !== undefined) out.detail = e.detail;
  if (e.hint !== undefined) out.hint = e.hint;
  return out;
}

/** Collects the JSON text of each result; notices go to the statement running now. */
class Results {
  readonly parts: string[] = [];
  private notices: Notice[] = [];
  private rowBytes = 0;
  readonly ctx: ExecContext = { notice: (n) => void this.notices.push(n) };

  private takeNotices(): string {
    const text = JSON.stringify(this.notices.map(noticeJson));
    this.notices = [];
    return text;
  }

  ok(tag: string): void {
    this.parts.push(`{"ok":${JSON.stringify(tag)},"notices":${this.takeNotices()}}`);
  }

  error(err: unknown): void {
    this.parts.push(`{"error":${JSON.stringify(errorJson(toSqlError(err)))},"notices":${this.takeNotices()}}`);
  }

  async rows(outcome: ExecOutcome & { kind: 'rows' }): Promise<void> {
    const oids = outcome.fields.map((f) => f.typeOid);
    const rows: string[] = [];
    try {
      for (;;) {
        const batch = await outcome.rows.next(BATCH);
        if (batch === null) break;
        for (const r of batch) {
          const text = jsonRow(r, oids);
          this.rowBytes += text.length + 1;
          if (this.rowBytes > MAX_RESULT_BYTES) {
            throw new SqlError('54000', `result exceeds max size of ${MAX_RESULT_BYTES / (1024 * 1024)} MiB`, {
              hint: 'Add a LIMIT, or use a PostgreSQL client, which streams results.',
            });
          }
          rows.push(text);
        }
      }
    } finally {
      await outcome.rows.close();
    }
    const columns = outcome.fields.map((f) => ({
      name: f.name,
      type_oid: f.typeOid,
      type_len: f.typeSize,
      type_mod: f.typeMod,
    }));
    this.parts.push(
      `{"tag":${JSON.stringify(outcome.tag(rows.length))},"rows":[${rows.join(',')}],"desc":${JSON.stringify({ columns })},"notices":${this.takeNotices()}}`,
    );
  }

  /** Records one outcome; false when execution must stop (the outcome was refused). */
  async add(outcome: ExecOutcome): Promise<boolean> {
    switch (outcome.kind) {
      case 'rows':
        await this.rows(outcome);
        return true;
      case 'command':
        this.ok(outcome.tag);
        return true;
      case 'empty':
        return true;
      case 'copy_out':
      case 'copy_in':
        this.error(
          unsupported(`COPY ${outcome.kind === 'copy_out' ? 'TO STDOUT' : 'FROM STDIN'} over the HTTP API`, {
            hint: "Use a PostgreSQL client such as psql for COPY to or from the client, or COPY ... TO 's3://...' to export.",
          }),
        );
        return false;
    }
  }

  json(): string {
    return `{"results":[${this.parts.join(',')}]}`;
  }
}

async function runSimple(session: Session, sql: string, out: Results): Promise<void> {
  const it = session.simpleQuery(sql, out.ctx)[Symbol.asyncIterator]();
  try {
    await underStatementTimeout(session, async () => {
      for (;;) {
        const step = await it.next();
        if (step.done) return;
        if (!(await out.add(step.value))) {
          // Abandoning the generator leaves its implicit transaction open; closing the
          // session right after rolls it back, as an error would.
          await it.return?.();
          return;
        }
      }
    });
  } catch (err) {
    out.error(err);
  }
}

async function runExtended(session: Session, queries: ExtendedQuery[], out: Results): Promise<void> {
  for (const q of queries) {
    try {
      const stmt = await session.prepare(q.query, []);
      if (q.params.length !== stmt.paramOids.length) {
        throw new SqlError(
          '08P01',
          `request supplied ${q.params.length} parameters, but the statement requires ${stmt.paramOids.length}`,
        );
      }
      const more = await underStatementTimeout(session, async () =>
        out.add(await session.execute(stmt, q.params, out.ctx)),
      );
      if (!more) return;
    } catch (err) {
      out.error(err);
      await session.sync();
      return;
    }
  }
}

/** Statements running for a request that named itself (header `x-ferry-request-id`), so
 * `POST /api/cancel` can interrupt them: request id → owner and session. */
const running = new Map<string, { user: string; session: Session }>();

export function cancelRequest(principal: Principal, requestId: string): boolean {
  const r = running.get(requestId);
  if (!r || r.user !== principal.user) return false;
  r.session.cancel();
  return true;
}

/** Session parameters from `?options={"cluster":"quickstart",...}` (as Materialize). */
function sessionParams(url: URL): Record<string, string> {
  const raw = url.searchParams.get('options');
  if (raw === null) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new HttpError(400, '"options" must be a JSON object of strings');
  }
  if (
    parsed === null ||
    typeof parsed !== 'object' ||
    Array.isArray(parsed) ||
    !Object.values(parsed).every((v) => typeof v === 'string')
  ) {
    throw new HttpError(400, '"options" must be a JSON object of strings');
  }
  return parsed as Record<string, string>;
}

let requestCount = 0;
let errorCount = 0;
export function sqlApiMetrics(): string[] {
  return [
    '# HELP ferry_http_sql_requests_total Requests answered by POST /api/sql.',
    '# TYPE ferry_http_sql_requests_total counter',
    `ferry_http_sql_requests_total ${requestCount}`,
    '# HELP ferry_http_sql_errors_total Results of POST /api/sql that ended in a SQL error.',
    '# TYPE ferry_http_sql_errors_total counter',
    `ferry_http_sql_errors_total ${errorCount}`,
  ];
}

export async function handleSql(req: IncomingMessage, res: ServerResponse, ctx: HttpContext, url: URL): Promise<void> {
  const principal = await authenticate(req, ctx);
  const request = parseSqlRequest(await readJsonObject(req));
  const params = { application_name: 'ferry_http', ...sessionParams(url) };
  let session: Session;
  try {
    session = await ctx.coordinator.openSession({ user: principal.user, database: 'materialize', params });
  } catch (err) {
    const e = toSqlError(err);
    sendJson(res, e.code.startsWith('28') ? 401 : 400, { error: errorJson(e) });
    return;
  }
  requestCount++;
  const header = req.headers['x-ferry-request-id'];
  const requestId = typeof header === 'string' && header.length > 0 && header.length <= 128 ? header : null;
  if (requestId) running.set(requestId, { user: principal.user, session });
  // A client that goes away cancels its statement rather than leaving it running.
  const onClose = (): void => {
    if (!res.writableFinished) session.cancel();
  };
  res.once('close', onClose);
  const out = new Results();
  try {
    if (request.kind === 'simple') await runSimple(session, request.query, out);
    else await runExtended(session, request.queries, out);
  } finally {
    if (requestId && running.get(requestId)?.session === session) running.delete(requestId);
    await session.close();
  }
  if (out.parts.at(-1)?.startsWith('{"error"')) errorCount++;
  sendJsonText(res, 200, out.json());
}

export { HttpError, sendHttpError };
