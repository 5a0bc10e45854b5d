// The export history shows a role its own exports only (docs/security.md, "What a role can
// and cannot do"): another role's statements and targets must not be readable through
// mz_internal.mz_copy_to_history or mz_copy_to_files, however the relation is spelled.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { type FerryProcess, startFerry } from '../support/ferry.js';

let ferry: FerryProcess;
let owner: pg.Client;
let alice: pg.Client;
const target = join(mkdtempSync(join(tmpdir(), 'ferry-history-')), 'out');

before(async () => {
  ferry = await startFerry();
  owner = new pg.Client(ferry.pgConfig());
  await owner.connect();
  await owner.query(`CREATE TABLE priv (secret text)`);
  await owner.query(`INSERT INTO priv VALUES ('s1')`);
  await owner.query(`COPY priv TO 'file://${target}' WITH (FORMAT = 'csv')`);
  await owner.query(`CREATE ROLE alice LOGIN`);
  alice = new pg.Client(ferry.pgConfig('alice'));
  await alice.connect();
});

after(async () => {
  await alice?.end();
  await owner?.end();
  await ferry?.stop();
});

const count = async (c: pg.Client, sql: string): Promise<number> =>
  Number((await c.query<{ n: string }>({ text: sql, types: { getTypeParser: () => (v: string) => v } })).rows[0]!.n);

test('the owner sees its export, with statement and target', async () => {
  assert.ok(readdirSync(target).length > 0, 'the export wrote files');
  const r = await owner.query<{ statement: string; uri: string }>(
    `SELECT statement, uri FROM mz_internal.mz_copy_to_history`,
  );
  assert.equal(r.rows.length, 1);
  assert.match(r.rows[0]!.statement, /COPY priv TO/);
  assert.ok((await count(owner, `SELECT count(*) AS n FROM mz_internal.mz_copy_to_files`)) > 0);
});

test('another role sees none of it, in any spelling, and nothing changed', async () => {
  for (const sql of [
    `SELECT count(*) AS n FROM mz_internal.mz_copy_to_history`,
    `SELECT count(*) AS n FROM materialize.mz_internal.mz_copy_to_history AS h`,
    `SELECT count(*) AS n FROM (SELECT * FROM mz_internal.mz_copy_to_history) x`,
    `WITH h AS (SELECT * FROM mz_internal.mz_copy_to_history) SELECT count(*) AS n FROM h`,
    `SELECT count(*) AS n FROM mz_internal.mz_copy_to_files`,
  ]) {
    assert.equal(await count(alice, sql), 0, sql);
  }
  await alice.query(`SET search_path = mz_internal`);
  assert.equal(await count(alice, `SELECT count(*) AS n FROM mz_copy_to_history`), 0);
  await alice.query(`RESET search_path`);
  // The owner's history is untouched by her reads.
  assert.equal(await count(owner, `SELECT count(*) AS n FROM mz_internal.mz_copy_to_history`), 1);
});
