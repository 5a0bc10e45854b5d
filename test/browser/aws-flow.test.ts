// test-needs: chromium local-s3
/**
 * The "done means" in a browser: from an empty Ferry to a validated AWS
 * connection and a finished, monitored export, without leaving the console. Runs against
 * the local RGW and the STS front (test/support/localaws.ts), which checks signatures,
 * external-ID trust conditions and the role's permission policy for real.
 *
 * The only steps outside the browser are the ones a user does in the AWS console: creating
 * the role from the trust policy the page copied to the clipboard.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Page } from 'playwright-core';
import { startFerry, type FerryProcess } from '../support/ferry.js';
import { localAws, type LocalAws } from '../support/localaws.js';
import { SKIP, openBrowser, setupSql, signIn, type Browser } from './support.js';

const PASSWORD = 'aws flow pw';

describe('console: connection to export against the local S3 and STS', { timeout: 600_000, skip: SKIP }, () => {
  let aws: LocalAws;
  let ferry: FerryProcess;
  let browser: Browser;
  let page: Page;
  let base: string;
  let trust: { Statement: { Principal: { AWS: string }; Condition: { StringEquals: { 'sts:ExternalId': string } } }[] };
  let roleArn = '';
  let bucket = '';
  let prefix = '';

  before(async () => {
    aws = await localAws();
    // The server's own (ambient) AWS identity: the principal its trust policies name.
    const env = {
      AWS_ACCESS_KEY_ID: aws.ferry.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: aws.ferry.credentials.secretAccessKey,
      AWS_REGION: aws.region,
      AWS_ENDPOINT_URL_STS: aws.endpoint,
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const setup = await startFerry({ env });
    try {
      await setupSql(setup, `ALTER ROLE materialize PASSWORD '${PASSWORD}'`);
    } finally {
      await setup.stop();
    }
    ferry = await startFerry({ dataDir: setup.dataDir, env, args: ['--auth', 'password'] });
    base = `http://127.0.0.1:${ferry.httpPort}`;
    browser = await openBrowser(base);
    page = browser.page;
    await signIn(page, base, 'materialize', PASSWORD);
  });

  after(async () => {
    await browser?.close();
    await ferry?.stop();
    await aws?.cleanup();
  });

  async function runInShell(sql: string): Promise<void> {
    await page.getByRole('link', { name: 'SQL shell' }).click();
    await page.getByLabel('SQL', { exact: true }).fill(sql);
    await page.getByRole('button', { name: 'Run' }).click();
  }

  test('creates a connection and copies its trust policy', async () => {
    await page.getByRole('link', { name: 'Connections' }).click();
    await page.getByRole('button', { name: 'New AWS connection' }).click();
    await page.getByLabel('Name', { exact: true }).fill('s3_exports');
    // The role does not exist yet: its trust policy needs this connection's external ID.
    await page.getByLabel('Role ARN').fill(`arn:aws:iam::${aws.accountId}:role/placeholder`);
    await page.getByLabel('Region (optional)').fill(aws.region);
    await page.getByLabel('Endpoint (optional, S3-compatible stores)').fill(aws.endpoint);
    await page.getByRole('button', { name: 'Create connection' }).click();
    await page.getByRole('region', { name: 's3_exports' }).waitFor();
    await page.getByRole('button', { name: 'Copy trust policy' }).click();
    await page.getByText('Copied').waitFor();
    trust = JSON.parse(await page.evaluate<string>('navigator.clipboard.readText()')) as typeof trust;
    const statement = trust.Statement[0]!;
    assert.equal(statement.Principal.AWS, aws.ferry.arn);
    assert.equal(statement.Condition.StringEquals['sts:ExternalId'], await page.locator('#external-id').innerText());
    await browser.shot('20-aws-connection-created');
  });

  test('validates the connection once the role trusts it, including the export prefix', async () => {
    const statement = trust.Statement[0]!;
    // What the user does in AWS: a role with the copied trust policy and the export permissions.
    const role = await aws.createExportRole({
      trustPrincipal: statement.Principal.AWS,
      externalId: statement.Condition.StringEquals['sts:ExternalId'],
    });
    roleArn = role.roleArn;
    bucket = role.bucket;
    prefix = role.prefix;
    await runInShell(`ALTER CONNECTION s3_exports SET (ASSUME ROLE ARN = '${roleArn}')`);
    await page.getByText('ALTER CONNECTION', { exact: true }).waitFor();

    await page.getByRole('link', { name: 'Connections' }).click();
    await page.getByRole('button', { name: 'public.s3_exports' }).click();
    await page.getByLabel('Bucket', { exact: true }).fill(bucket);
    await page.getByLabel('Prefix', { exact: true }).fill(prefix);
    await page.getByLabel(/Also check export permissions/).check();
    await page.getByRole('button', { name: 'Validate' }).click();
    const ok = page.getByRole('status').filter({ hasText: 'the connection works' });
    await ok.waitFor({ timeout: 60_000 });
    assert.match(await ok.innerText(), new RegExp(`can list, write and delete under s3://${bucket}/${prefix}`));
    await browser.shot('21-aws-connection-validated');
  });

  test('a wrong prefix fails validation with the exact missing permission', async () => {
    await page.getByLabel('Prefix', { exact: true }).fill('elsewhere');
    await page.getByRole('button', { name: 'Validate' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor({ timeout: 60_000 });
    assert.match(await alert.innerText(), /58000/);
    await browser.shot('22-aws-connection-validation-error');
  });

  test('an export started in the shell shows live progress, then lands in history', async () => {
    const target = `s3://${bucket}/${prefix}/console`;
    await runInShell(
      `COPY (SELECT i, md5(i::text) AS h FROM generate_series(0, 2999999) t(i)) TO '${target}' WITH (AWS CONNECTION = s3_exports, FORMAT = 'csv')`,
    );
    await page.getByRole('status').filter({ hasText: 'Running…' }).waitFor();
    await page.getByRole('link', { name: 'Exports' }).click();
    const running = page.locator('li.running').filter({ hasText: target });
    await running.waitFor({ timeout: 60_000 });
    // Live progress: the row count moves while the export runs (polled once a second).
    const rows = running.locator('dd').first();
    let seen = 0;
    for (let i = 0; i < 200 && seen === 0 && (await running.count()) > 0; i++) {
      seen = Number((await rows.innerText({ timeout: 1000 }).catch(() => '0')).replace(/,/g, '')) || 0;
      if (seen === 0) await page.waitForTimeout(100);
    }
    assert.ok(seen > 0, 'no progress was shown while the export ran');
    await browser.shot('23-aws-export-running');
    const row = page.getByRole('table', { name: 'Recent exports' }).locator('tr').filter({ hasText: target });
    await row.waitFor({ timeout: 180_000 });
    assert.match(await row.innerText(), /succeeded/);
    assert.match(await row.innerText(), /3,000,000/);
    await browser.shot('24-aws-export-history');
    // The files are really there.
    const listed = await aws
      .s3(aws.admin, aws.rgwEndpoint)
      .send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/console` }));
    assert.ok(
      (listed.Contents ?? []).some((o) => o.Key!.endsWith('.csv')),
      JSON.stringify(listed.Contents?.map((o) => o.Key)),
    );
    // Back in the shell, the statement's result and its progress notices are waiting.
    await page.getByRole('link', { name: 'SQL shell' }).click();
    await page.getByText('COPY 3000000').waitFor();
  });
});
