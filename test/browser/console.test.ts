// test-needs: chromium
/**
 * The web console in a real browser: playwright-core driving Debian's Chromium
 * (/usr/bin/chromium, installed by scripts/install-test-deps.sh) against a real server
 * with `--auth password`. Logs in, runs queries, creates an AWS connection through the
 * form and reads its trust policy, and opens the exports page. Screenshots go to
 * test-artifacts/console/ for a person to look at.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startFerry, type FerryProcess } from '../support/ferry.js';
import { SKIP, openBrowser, setupSql, type Browser } from './support.js';

const PASSWORD = 'console pw';

describe('web console', { timeout: 300_000, skip: SKIP }, () => {
  let ferry: FerryProcess;
  let browser: Browser;
  let page: Page;
  let base: string;

  const shot = (name: string) => browser.shot(name);

  before(async () => {
    // Roles, passwords and data are set up in trust mode; the console is tested with passwords on.
    const setup = await startFerry();
    try {
      await setupSql(
        setup,
        `ALTER ROLE materialize PASSWORD '${PASSWORD}'; CREATE TABLE boats (id int, name text, tons numeric(8,1)); ` +
          "INSERT INTO boats VALUES (1, 'Skidbladnir', 12.5), (2, 'Argo', 40.0), (3, 'Naglfar', NULL)",
      );
      // CREATE EXPORT runs outside any transaction block: a request of its own.
      const dir = mkdtempSync(join(tmpdir(), 'ferry-console-nightly-'));
      await setupSql(
        setup,
        `CREATE EXPORT nightly REFRESH EVERY '1 day' AS COPY boats TO 'file://${dir}' WITH (FORMAT = 'csv')`,
      );
    } finally {
      await setup.stop();
    }
    ferry = await startFerry({ dataDir: setup.dataDir, args: ['--auth', 'password'] });
    base = `http://127.0.0.1:${ferry.httpPort}`;
    browser = await openBrowser(base);
    page = browser.page;
  });

  after(async () => {
    await browser?.close();
    await ferry?.stop();
  });

  test('asks for a password and signs in', async () => {
    await page.goto(base + '/');
    await page.getByRole('heading', { name: 'Sign in to Ferry' }).waitFor();
    await page.getByLabel('User').fill('materialize');
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'password authentication failed' }).waitFor();
    await shot('01-login-failed');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Password').press('Enter');
    await page.getByRole('heading', { name: 'SQL shell' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'SQL shell' }).getAttribute('aria-current'), 'page');
    // The password is nowhere on the page, and the session cookie is not readable by scripts.
    assert.ok(!(await page.content()).includes(PASSWORD));
    assert.equal(await page.evaluate('document.cookie'), '');
  });

  test('runs a query and shows rows, then an error with its SQLSTATE', async () => {
    const editor = page.getByLabel('SQL', { exact: true });
    await editor.fill('SELECT * FROM boats ORDER BY id;\nSELECT count(*) AS n FROM boats');
    await page.getByRole('button', { name: 'Run' }).click();
    const grid = page.getByRole('region', { name: 'Rows of result 1' });
    await grid.waitFor();
    assert.deepEqual(await grid.locator('th').allInnerTexts(), ['id', 'name', 'tons']);
    assert.deepEqual(await grid.locator('tbody tr').first().locator('td').allInnerTexts(), [
      '1',
      'Skidbladnir',
      '12.5',
    ]);
    assert.equal(await grid.locator('tbody tr').count(), 3);
    assert.equal(await page.getByRole('region', { name: 'Rows of result 2' }).locator('td').innerText(), '3');
    await shot('02-shell-rows');

    await editor.fill('SELECT * FROM no_such_boats');
    await editor.press('Control+Enter');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /42P01/);
    assert.match(await alert.innerText(), /no_such_boats/);
    // History keeps both, newest first.
    const history = page.getByRole('complementary', { name: 'History' }).getByRole('button');
    assert.equal(await history.count(), 2);
    await shot('03-shell-error');
  });

  test('cancels a running statement', async () => {
    await page.getByLabel('SQL', { exact: true }).fill('SELECT count(*) FROM generate_series(0, 99999999999) a');
    await page.getByRole('button', { name: 'Run' }).click();
    await page.getByRole('status').filter({ hasText: 'Running…' }).waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('alert').filter({ hasText: '57014' }).waitFor({ timeout: 30_000 });
    assert.ok(await page.getByRole('button', { name: 'Run' }).isEnabled());
  });

  test('creates an AWS connection through the form and shows its external ID and trust policy', async () => {
    await page.getByRole('link', { name: 'Connections' }).click();
    await page.getByRole('heading', { name: 'Connections', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'New AWS connection' }).click();
    await page.getByLabel('Name', { exact: true }).fill('exports_role');
    await page.getByLabel('Role ARN').fill('arn:aws:iam::123456789012:role/ferry-export');
    await page.getByLabel('Region (optional)').fill('us-east-1');
    await shot('04-connection-form');
    await page.getByRole('button', { name: 'Create connection' }).click();
    const detail = page.getByRole('region', { name: 'exports_role' });
    await detail.waitFor();
    const externalId = await page.locator('#external-id').innerText();
    assert.match(externalId, /^mz_[0-9a-f-]{36}_u\d+$/);
    await page.getByLabel('Bucket', { exact: true }).fill('ferry-bucket');
    await page.getByLabel('Prefix', { exact: true }).fill('daily/');
    const policy = JSON.parse(await page.getByLabel('Permission policy').innerText()) as {
      Statement: { Resource: string }[];
    };
    assert.equal(policy.Statement[1]!.Resource, 'arn:aws:s3:::ferry-bucket/daily/*');
    const trustText = page.getByLabel('Example trust policy');
    if (await trustText.count()) {
      const trust = await trustText.innerText();
      assert.ok(trust.includes(externalId));
      await page.getByRole('button', { name: 'Copy trust policy' }).click();
      await page.getByText('Copied').waitFor();
      assert.equal(await page.evaluate('navigator.clipboard.readText()'), trust);
    }
    // No AWS here: validation must show the server's exact error, with its SQLSTATE.
    await page.getByRole('button', { name: 'Validate' }).click();
    const outcome = page.getByRole('alert').or(page.getByRole('status').filter({ hasText: 'VALIDATE CONNECTION' }));
    await outcome.first().waitFor({ timeout: 60_000 });
    await shot('05-connection-detail');
  });

  test('creates an access-key connection with a new secret whose value is never shown again', async () => {
    const value = 'wJalrXUtnFEMI-console-secret-value';
    await page.getByRole('button', { name: 'New AWS connection' }).click();
    await page.getByLabel('Name', { exact: true }).fill('keys_conn');
    await page.getByLabel('Access key stored as a secret').check();
    await page.getByLabel('Access key ID').fill('AKIAEXAMPLEKEY000001');
    await page.getByLabel('Secret access key (a secret)').selectOption({ label: 'New secret…' });
    await page.getByLabel('New secret name').fill('aws_secret_key');
    await page.getByLabel('Secret access key value').fill(value);
    await page.locator('summary', { hasText: 'Statement' }).click();
    assert.ok(!(await page.locator('form').innerText()).includes(value));
    await page.getByRole('button', { name: 'Create connection' }).click();
    const row = page.getByRole('table', { name: 'Connections' }).locator('tr').filter({ hasText: 'keys_conn' });
    await row.waitFor();
    assert.match(await row.innerText(), /access key/);
    await page.getByRole('region', { name: 'keys_conn' }).waitFor();
    assert.ok(!(await page.content()).includes(value));
    await shot('05b-access-key-connection');
  });

  test('exports page renders its three sections', async () => {
    await page.getByRole('link', { name: 'Exports' }).click();
    for (const name of ['Running', 'Scheduled exports', 'Recent exports']) {
      await page.getByRole('heading', { name, level: 2 }).waitFor();
    }
    await page.getByText('Loading…').first().waitFor({ state: 'hidden' });
    await shot('06-exports');
  });

  test('pauses, resumes and runs a scheduled export', async () => {
    const row = page.getByRole('table', { name: 'Scheduled exports' }).locator('tr').filter({ hasText: 'nightly' });
    await row.getByRole('button', { name: 'Pause' }).click();
    await row.getByText('paused', { exact: true }).waitFor();
    await row.getByRole('button', { name: 'Resume' }).click();
    await row.getByRole('button', { name: 'Pause' }).waitFor();
    await row.getByRole('button', { name: 'Run now' }).click();
    await row.getByText('succeeded').waitFor({ timeout: 30_000 });
    assert.match(await row.innerText(), /3 rows/);
    await shot('06b-scheduled-export');
  });

  test('watches a running export to completion and finds it in history', async () => {
    // A file:// export (superusers only) stands in for S3 here: same progress records.
    const target = 'file://' + mkdtempSync(join(tmpdir(), 'ferry-console-export-'));
    const auth = 'Basic ' + Buffer.from(`materialize:${PASSWORD}`).toString('base64');
    const copy = fetch(`${base}/api/sql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: auth },
      body: JSON.stringify({
        query: `COPY (SELECT i, md5(i::text) AS h FROM generate_series(0, 1999999) t(i)) TO '${target}' WITH (FORMAT = 'csv')`,
      }),
    }).then((r) => r.json() as Promise<{ results: Record<string, unknown>[] }>);
    const running = page.locator('li.running').filter({ hasText: target });
    await running.waitFor({ timeout: 30_000 });
    assert.ok(await running.getByRole('progressbar').count());
    await shot('07-export-running');
    const done = await copy;
    assert.deepEqual(
      done.results.map((r) => r.ok),
      ['COPY 2000000'],
    );
    const row = page.getByRole('table', { name: 'Recent exports' }).locator('tr').filter({ hasText: target });
    await row.waitFor({ timeout: 30_000 });
    assert.match(await row.innerText(), /succeeded/);
    assert.match(await row.innerText(), /2,000,000/);
    await shot('08-export-history');
  });

  test('narrow window: pages fit the width, wide tables scroll inside their frame', async () => {
    await page.setViewportSize({ width: 420, height: 800 });
    for (const [link, heading, name] of [
      ['SQL shell', 'SQL shell', '09-shell-narrow'],
      ['Connections', 'Connections', '10-connections-narrow'],
      ['Exports', 'Exports', '11-exports-narrow'],
    ] as const) {
      await page.getByRole('link', { name: link }).click();
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      await page.getByText('Loading…').first().waitFor({ state: 'hidden' });
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      assert.ok(overflow <= 0, `${link} is ${overflow}px wider than the window`);
      await shot(name);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});
