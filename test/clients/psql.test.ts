// test-needs: psql
/**
 * psql (the PostgreSQL 15 command-line client) against a real Ferry server: describe
 * commands answered from pg_catalog (src/catalog/pg-compat.ts), variables as parameters,
 * SQLSTATEs, \copy both ways, \timing, transactions and Ctrl-C (psql sends a CancelRequest).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFerry, type FerryProcess } from '../support/ferry.js';
import { LONG_QUERY, libpqEnv, run, sleep } from './helpers.js';

let ferry: FerryProcess;
const dir = mkdtempSync(join(tmpdir(), 'clients-psql-'));

/** Runs psql non-interactively with `input` on stdin; fails the test on a non-zero exit unless allowed. */
async function psql(input: string, extra: string[] = [], allowFail = false): Promise<string> {
  const r = await run('psql', ['-X', '-v', 'ON_ERROR_STOP=1', ...extra], { input, env: libpqEnv(ferry.pgPort) });
  if (!allowFail) assert.equal(r.code, 0, `psql failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout + r.stderr;
}

before(async () => {
  ferry = await startFerry();
  await psql(`
    CREATE TABLE t (a int NOT NULL, b text DEFAULT 'x', c numeric(10,2), d numeric, e int list, f jsonb);
    CREATE VIEW v AS SELECT a, b FROM t;
    CREATE MATERIALIZED VIEW mv AS SELECT count(*) AS n FROM t;
    CREATE ROLE alice LOGIN;
  `);
});
after(async () => {
  await ferry.stop();
});

describe('psql describe commands', () => {
  test('\\d lists relations of the search path with Ferry role owners', async () => {
    const out = await psql('\\d');
    assert.match(out, /public \| mv\s+\| materialized view \| materialize/);
    assert.match(out, /public \| t\s+\| table\s+\| materialize/);
    assert.match(out, /public \| v\s+\| view\s+\| materialize/);
    assert.doesNotMatch(out, /__ferry|mz_tables/);
  });

  test('\\dt, \\dv, \\dm list one kind each', async () => {
    assert.match(await psql('\\dt'), /public \| t +\| table/);
    const dv = await psql('\\dv');
    assert.match(dv, /public \| v +\| view/);
    assert.doesNotMatch(dv, /\| t +\|/);
    assert.match(await psql('\\dm'), /public \| mv +\| materialized view/);
  });

  test('\\d t shows columns with PostgreSQL type names, nullability and defaults', async () => {
    const out = await psql('\\d t');
    assert.match(out, /Table "public\.t"/);
    assert.match(out, /a +\| integer +\| +\| not null \|/);
    assert.match(out, /b +\| text +\| +\| +\| 'x'/);
    assert.match(out, /c +\| numeric\(10,2\)/);
    assert.match(out, /d +\| numeric +\|/);
    assert.match(out, /e +\| integer\[\]/);
    assert.match(out, /f +\| jsonb/);
  });

  test('\\d+ v shows the view definition; \\d of a system view works', async () => {
    assert.match(await psql('\\d+ v'), /View definition:\n.*SELECT a, b FROM t/i);
    assert.match(await psql('\\d mz_catalog.mz_tables'), /View "mz_catalog\.mz_tables"[\s\S]*owner_id/);
  });

  test('\\dn shows Materialize schemas, never the internal one', async () => {
    const out = await psql('\\dn');
    for (const s of ['mz_catalog', 'mz_internal', 'public']) assert.match(out, new RegExp(`\\b${s}\\b`));
    assert.doesNotMatch(out, /__ferry|\bmain\b/);
  });

  test('\\du and \\l', async () => {
    const du = await psql('\\du');
    assert.match(du, /materialize \| Superuser, Create role, Create DB/);
    assert.match(du, /alice/);
    const l = await psql('\\l');
    assert.match(l, /materialize \| materialize \| UTF8/);
  });
});

describe('psql sessions', () => {
  test('variables as query parameters, SQLSTATE in verbose errors', async () => {
    const out = await psql(
      `
      INSERT INTO t (a, b) VALUES (1, 'one'), (2, 'two');
      \\set wanted 2
      SELECT b FROM t WHERE a = :wanted;
      \\set VERBOSITY verbose
      SELECT * FROM no_such_table;
    `,
      ['-A', '-t'],
      true,
    );
    assert.match(out, /^two$/m);
    assert.match(out, /ERROR: {2}42P01: /);
  });

  test('\\copy from a file and to a file', async () => {
    const src = join(dir, 'in.tsv');
    const dst = join(dir, 'out.csv');
    writeFileSync(src, '10\tten\n11\t\\N\n');
    const out = await psql(
      `\\copy t (a, b) from '${src}'\n\\copy (SELECT a, b FROM t WHERE a >= 10 ORDER BY a) to '${dst}' csv header\n`,
    );
    assert.match(out, /COPY 2\n[\s\S]*COPY 2/);
    assert.equal(readFileSync(dst, 'utf8'), 'a,b\n10,ten\n11,\n');
  });

  test('\\timing prints durations', async () => {
    assert.match(await psql('\\timing on\nSELECT 1;\n'), /Time: \d+\.\d+ ms/);
  });

  test('transactions: rollback, and 25P02 after an error inside a block', async () => {
    const out = await psql(
      `
      BEGIN;
      INSERT INTO t (a) VALUES (100);
      SELECT count(*) FROM t WHERE a = 100;
      ROLLBACK;
      SELECT count(*) FROM t WHERE a = 100;
      \\set VERBOSITY verbose
      \\set ON_ERROR_STOP 0
      BEGIN;
      SELECT * FROM no_such_table;
      SELECT 1;
      ROLLBACK;
    `,
      ['-A', '-t'],
      true,
    );
    assert.match(out, /INSERT 0 1\n1\nROLLBACK\n0\n/);
    assert.match(out, /25P02: current transaction is aborted/);
  });

  test('Ctrl-C cancels a long query and psql keeps its connection', async () => {
    const t0 = Date.now();
    const r = await run('psql', ['-X', '-c', LONG_QUERY, '-c', "SELECT 'still here'"], {
      env: libpqEnv(ferry.pgPort),
      timeoutMs: 30_000,
      // Late enough that psql has connected and sent the query even on a loaded machine.
      onStart: (child) => void sleep(2500).then(() => child.kill('SIGINT')),
    });
    const out = r.stdout + r.stderr;
    assert.match(out, /Cancel request sent/);
    assert.match(out, /ERROR: {2}canceling statement due to user request/);
    assert.ok(Date.now() - t0 < 20_000, 'cancel took too long');
    // The server still answers on a fresh connection.
    assert.match(await psql('SELECT 40 + 2;', ['-A', '-t']), /^42$/m);
  });
});
