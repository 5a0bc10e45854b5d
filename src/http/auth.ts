/**
 * Who is making an HTTP request. The HTTP API uses the same roles and passwords as the
 * PostgreSQL wire protocol:
 *
 * - `--auth password`: HTTP Basic (RFC 7617) on every request, checked against the role's
 *   SCRAM-SHA-256 verifier by recomputing it from the offered password; or the session
 *   cookie the console gets from `POST /api/login`. Anything else is 401.
 * - `--auth trust`: no password is asked; the user is the Basic user name, the cookie's
 *   user, or `materialize`.
 *
 * Console sessions are random 256-bit tokens in a server-side map (nothing is encoded in
 * the cookie), sent as an HttpOnly, SameSite=Strict cookie; they end on logout, after
 * an idle period, or when the server stops. Passwords are never stored or logged.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { makeScramVerifier, parseScramVerifier } from '../catalog/scram.js';
import type { HttpContext } from './index.js';
import { HttpError } from './body.js';

export const SESSION_COOKIE = 'ferry_session';
/** A console session unused for this long is forgotten. */
export const SESSION_IDLE_MS = 8 * 60 * 60 * 1000;
/** Bound on remembered console sessions; the least recently used goes first. */
const MAX_SESSIONS = 10_000;
/** Ferry's default user, as in Materialize. */
export const DEFAULT_USER = 'materialize';

export interface Principal {
  user: string;
  /** How the request proved it: Basic credentials, a console cookie, or trust. */
  via: 'basic' | 'cookie' | 'trust';
}

interface ConsoleSession {
  user: string;
  lastSeen: number;
}

/** token → session; a Map keeps insertion order, which the LRU eviction relies on. */
const sessions = new Map<string, ConsoleSession>();

export function createConsoleSession(user: string): string {
  const token = randomBytes(32).toString('base64url');
  if (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
  sessions.set(token, { user, lastSeen: Date.now() });
  return token;
}

export function endConsoleSession(req: IncomingMessage): void {
  const token = cookieValue(req, SESSION_COOKIE);
  if (token) sessions.delete(token);
}

function consoleSessionUser(token: string): string | null {
  const s = sessions.get(token);
  if (!s) return null;
  const now = Date.now();
  if (now - s.lastSeen > SESSION_IDLE_MS) {
    sessions.delete(token);
    return null;
  }
  s.lastSeen = now;
  // Move to the end: most recently used.
  sessions.delete(token);
  sessions.set(token, s);
  return s.user;
}

/** `Set-Cookie` value for a new console session. */
export function sessionCookie(token: string): string {
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(SESSION_IDLE_MS / 1000)}`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
}

export function cookieValue(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

function basicCredentials(req: IncomingMessage): { user: string; password: string } | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(h);
  if (!m) throw new HttpError(401, 'unsupported Authorization scheme: expected Basic');
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) throw new HttpError(401, 'malformed Basic credentials');
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Checks a password against the role's stored SCRAM verifier: StoredKey and ServerKey
 * are recomputed with the verifier's own salt and iteration count (RFC 5802 §3).
 * The same answer (false) for an unknown role, a role without a password and a wrong
 * password, so the API does not reveal which roles exist.
 */
export async function verifyPassword(ctx: HttpContext, user: string, password: string): Promise<boolean> {
  const role = await ctx.coordinator.lookupRole(user);
  if (!role || !role.canLogin || !role.scram) return false;
  const offered = parseScramVerifier(makeScramVerifier(password, role.scram.iterations, Buffer.from(role.scram.salt)));
  if (!offered) return false;
  return equalBytes(offered.storedKey, role.scram.storedKey) && equalBytes(offered.serverKey, role.scram.serverKey);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** 401 for a request without valid credentials. The console asks (header
 * `x-ferry-console`) not to get a `WWW-Authenticate` challenge, which would make the
 * browser show its own password dialog instead of the console's login page. */
function unauthorized(req: IncomingMessage, message: string): HttpError {
  const challenge: Record<string, string> = req.headers['x-ferry-console']
    ? {}
    : { 'www-authenticate': 'Basic realm="Ferry", charset="UTF-8"' };
  return new HttpError(401, message, challenge);
}

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/**
 * Passwords travel only where no one else can read them: over TLS, from this machine
 * (loopback), or from a TLS-terminating proxy that says so with `X-Forwarded-Proto:
 * https`. A password sent in clear text across a network is refused (403) before it is
 * checked, so a misconfigured client learns of the problem instead of leaking silently.
 */
export function requireSafeChannel(req: IncomingMessage): void {
  const tls = (req.socket as { encrypted?: boolean }).encrypted === true;
  const proxied = String(req.headers['x-forwarded-proto'] ?? '').toLowerCase() === 'https';
  if (tls || proxied || isLoopback(req.socket.remoteAddress)) return;
  throw new HttpError(
    403,
    'passwords are accepted over plain HTTP only from loopback clients; use TLS (e.g. a TLS-terminating proxy)',
  );
}

/** The principal of a request, or throws HttpError 401. */
export async function authenticate(req: IncomingMessage, ctx: HttpContext): Promise<Principal> {
  const basic = basicCredentials(req);
  if (basic) {
    if (ctx.config.auth === 'trust') return { user: basic.user || DEFAULT_USER, via: 'trust' };
    requireSafeChannel(req);
    if (await verifyPassword(ctx, basic.user, basic.password)) return { user: basic.user, via: 'basic' };
    throw unauthorized(req, `password authentication failed for user "${basic.user}"`);
  }
  const token = cookieValue(req, SESSION_COOKIE);
  const cookieUser = token ? consoleSessionUser(token) : null;
  if (cookieUser !== null) return { user: cookieUser, via: 'cookie' };
  if (ctx.config.auth === 'trust') return { user: DEFAULT_USER, via: 'trust' };
  throw unauthorized(req, 'authentication required');
}
