/**
 * The HTTP routes beyond readiness and metrics: the SQL API, console log-in and
 * cancellation, and the console's files, as one `Route` (src/http/index.ts) that the
 * server's start-up passes to the HTTP server (src/server/units.ts).
 *
 *   POST /api/sql      Materialize's SQL API (sql-api.ts)
 *   POST /api/login    {"user", "password"} → console session cookie
 *   POST /api/logout   ends the console session
 *   GET  /api/session  {"user", "auth"} of the caller, or 401
 *   POST /api/cancel   {"request_id"} cancels the caller's statement of that request
 *   GET  /, /app.js …  the console
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toSqlError } from '../errors/index.js';
import {
  authenticate,
  clearedSessionCookie,
  createConsoleSession,
  endConsoleSession,
  requireSafeChannel,
  sessionCookie,
  verifyPassword,
} from './auth.js';
import { HttpError, readJsonObject, sendHttpError, sendJson } from './body.js';
import { serveConsole } from './console.js';
import type { HttpContext } from './index.js';
import { cancelRequest, handleSql } from './sql-api.js';

/** Small bodies only for the control endpoints. */
const SMALL_BODY = 64 * 1024;
/** A failed log-in answers after this delay, to slow password guessing. */
const LOGIN_FAILURE_DELAY_MS = 300;

async function login(req: IncomingMessage, res: ServerResponse, ctx: HttpContext): Promise<void> {
  const body = await readJsonObject(req, SMALL_BODY);
  const user = typeof body.user === 'string' ? body.user.trim() : '';
  const password = typeof body.password === 'string' ? body.password : '';
  if (user === '') throw new HttpError(400, 'user is required');
  let ok: boolean;
  if (ctx.config.auth === 'password') {
    requireSafeChannel(req);
    ok = await verifyPassword(ctx, user, password);
  } else {
    // Without passwords every existing role may sign in, as over pgwire.
    ok = (await ctx.coordinator.lookupRole(user)) !== null;
  }
  if (!ok) {
    await new Promise((r) => setTimeout(r, LOGIN_FAILURE_DELAY_MS));
    // One message for unknown roles and wrong passwords alike.
    throw new HttpError(401, `password authentication failed for user "${user}"`);
  }
  const token = createConsoleSession(user);
  ctx.log.info('console login', { user });
  sendJson(res, 200, { user, auth: ctx.config.auth }, { 'set-cookie': sessionCookie(token) });
}

/** Every route of the module comment, as one `Route` (src/http/index.ts). */
export async function apiRoute(req: IncomingMessage, res: ServerResponse, ctx: HttpContext): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  const method = req.method ?? 'GET';
  try {
    if (path === '/api/sql') {
      if (method !== 'POST') throw new HttpError(405, 'use POST', { allow: 'POST' });
      await handleSql(req, res, ctx, url);
      return true;
    }
    if (path === '/api/login' && method === 'POST') {
      await login(req, res, ctx);
      return true;
    }
    if (path === '/api/logout' && method === 'POST') {
      endConsoleSession(req);
      sendJson(res, 200, {}, { 'set-cookie': clearedSessionCookie() });
      return true;
    }
    if (path === '/api/session' && method === 'GET') {
      const p = await authenticate(req, ctx);
      sendJson(res, 200, { user: p.user, auth: ctx.config.auth, via: p.via });
      return true;
    }
    if (path === '/api/cancel' && method === 'POST') {
      const p = await authenticate(req, ctx);
      const body = await readJsonObject(req, SMALL_BODY);
      if (typeof body.request_id !== 'string') throw new HttpError(400, '"request_id" must be a string');
      sendJson(res, 200, { cancelled: cancelRequest(p, body.request_id) });
      return true;
    }
    if ((method === 'GET' || method === 'HEAD') && !path.startsWith('/api/')) {
      return serveConsole(path, res, method === 'HEAD');
    }
    return false;
  } catch (err) {
    if (res.headersSent) {
      res.destroy();
      return true;
    }
    if (err instanceof HttpError) sendHttpError(res, err);
    else sendJson(res, 500, { error: { message: toSqlError(err).message } });
    return true;
  }
}
