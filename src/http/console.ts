/**
 * Serves the web console: the files `npm run build` writes to `dist/console/` (see
 * console/build.mjs), from memory, with a strict Content-Security-Policy. Only the files
 * present in that folder at first use are served, so no request path can reach anything
 * else on disk. Everything the console needs comes from this server: no CDN.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** The project root: the nearest folder above this module that holds package.json. */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

export const CONSOLE_DIR = join(projectRoot(), 'dist', 'console');

let files: Map<string, Buffer> | null = null;

function load(): Map<string, Buffer> {
  if (files) return files;
  const m = new Map<string, Buffer>();
  if (existsSync(CONSOLE_DIR)) {
    for (const name of readdirSync(CONSOLE_DIR)) {
      const p = join(CONSOLE_DIR, name);
      if (statSync(p).isFile() && TYPES[extname(name)]) m.set('/' + name, readFileSync(p));
    }
  }
  // Keep an empty result uncached so a build finishing later is picked up.
  if (m.size > 0) files = m;
  return m;
}

/** Answers GET for a console path; false when the path is not the console's. */
export function serveConsole(pathname: string, res: ServerResponse, head: boolean): boolean {
  const m = load();
  const name = pathname === '/' || pathname === '/index.html' ? '/index.html' : pathname;
  const body = m.get(name);
  if (!body) {
    if (pathname !== '/') return false;
    res
      .writeHead(503, { 'content-type': 'text/plain; charset=utf-8' })
      .end('The console is not built: run `npm run build`.\n');
    return true;
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(name)]!,
    'content-length': String(body.length),
    // Asset names are fixed, so browsers must revalidate; the files are small.
    'cache-control': 'no-cache',
    ...SECURITY_HEADERS,
  });
  res.end(head ? undefined : body);
  return true;
}
