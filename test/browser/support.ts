/**
 * Shared pieces of the browser tests: Debian's Chromium driven by playwright-core with a
 * fresh profile, where screenshots go, and SQL set-up over the HTTP API.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { PROJECT_ROOT, type FerryProcess } from '../support/ferry.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(PROJECT_ROOT, 'test-artifacts', 'console');
/** Why a browser suite cannot run here, or false. */
export const SKIP: string | false = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is not installed (scripts/install-test-deps.sh)`;

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Saves a full-page screenshot as test-artifacts/console/<name>.png. */
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Chromium headless with a fresh profile, at 1280×800, allowed to use the clipboard.
 * Every request the page makes must go to `origin`: the console loads nothing else. */
export async function openBrowser(origin: string): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), 'ferry-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 800 },
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const foreign: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) foreign.push(r.url());
  });
  return {
    context,
    page,
    shot: async (name) => {
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
    },
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
      assert.deepEqual(foreign, [], 'the console requested something from another origin');
    },
  };
}

/** Runs SQL over the HTTP API (trust mode, or with `authorization`) and fails on any error. */
export async function setupSql(ferry: FerryProcess, query: string, authorization?: string): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${ferry.httpPort}/api/sql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ query }),
  });
  const body = (await res.json()) as { results: Record<string, unknown>[] };
  assert.ok(
    body.results.every((r) => !('error' in r)),
    JSON.stringify(body),
  );
}

/** Signs in through the login page. */
export async function signIn(page: Page, origin: string, user: string, password: string): Promise<void> {
  await page.goto(origin + '/');
  await page.getByRole('heading', { name: 'Sign in to Ferry' }).waitFor();
  await page.getByLabel('User').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'SQL shell' }).waitFor();
}
