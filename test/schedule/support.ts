/** Helpers of the scheduled-export tests: polling, clients, reading mz_export_runs. */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = 20_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export interface RunRow {
  run_id: string;
  scheduled_for: Date;
  started_at: Date | null;
  finished_at: Date | null;
  status: string;
  rows: number;
  bytes: number;
  files: number;
  uri: string | null;
  error: string | null;
}

/** Every recorded run of the export `name`, by scheduled time. */
export async function runsOf(client: pg.Client, name: string): Promise<RunRow[]> {
  const r = await client.query(
    `SELECT r.run_id, r.scheduled_for, r.started_at, r.finished_at, r.status, r.rows::int AS rows, r.bytes::int AS bytes, r.files, r.uri, r.error
       FROM mz_internal.mz_export_runs r WHERE r.export_id = (SELECT id FROM mz_internal.mz_exports WHERE name = $1)
       ORDER BY r.scheduled_for, r.started_at`,
    [name],
  );
  return r.rows as RunRow[];
}

export async function connect(url: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  c.on('notice', () => undefined);
  await c.connect();
  return c;
}

export async function tempDir(label: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `ferry-sched-${label}-`));
}
