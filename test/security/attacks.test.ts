// The attack classes of an unprivileged login role, run as that role through every way a
// statement reaches Ferry: the simple query protocol, the extended protocol, COPY … TO
// STDOUT and the HTTP SQL API, against a server with `--auth password`. Each attempt must
// be refused with its SQLSTATE, and afterwards nothing has changed: the owner's rows, the
// catalog, the roles, the files of the data directory and of /tmp, the server log (no
// forged lines, no secret), and the owner's session still works.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { startFerry, type FerryProcess } from '../support/ferry.js';

let ferry: FerryProcess;
let owner: pg.Client;
const SECRET_VALUE = 'hunter2-not-for-alice';

interface Attack {
  sql: string;
  /** Expected SQLSTATEs (any of them): the refusal's class. */
  codes: string[];
  /** Also tried as the query of COPY (…) TO STDOUT. */
  query?: boolean;
}

const A = (sql: string, codes: string[], query = false): Attack => ({ sql, codes, query });
const NO_FN = ['42883'];
const NO_REL = ['42P01'];
const NO_SCHEMA = ['3F000'];
const DENIED = ['42501'];
const SYNTAX = ['42601', '0A000'];

/** Every class of the front-end issue, as alice (no grants, LOGIN only). */
function attacks(dataDir: string): Attack[] {
  return [
    // Becoming superuser through Ferry's internal catalog, in every spelling.
    A(`UPDATE __ferry.roles SET superuser = true WHERE name = 'alice'`, [...NO_SCHEMA, ...NO_REL]),
    A(`UPDATE "__ferry".roles SET superuser = true`, [...NO_SCHEMA, ...NO_REL]),
    A(`UPDATE materialize.__ferry.roles SET superuser = true`, [...NO_SCHEMA, ...NO_REL]),
    A(`SELECT * FROM __ferry.secret_values`, [...NO_SCHEMA, ...NO_REL], true),
    A(`SELECT * FROM main.priv`, [...NO_SCHEMA, ...NO_REL], true),
    A(`SELECT * FROM __ferry_pg.pg_class`, [...NO_SCHEMA, ...NO_REL], true),
    A(`ALTER ROLE alice SUPERUSER`, DENIED),
    A(`GRANT USAGE ON CONNECTION conn TO alice`, DENIED),
    // Smuggling a second statement past the splitter (\r ends a DuckDB comment, not ours).
    A(`DROP TABLE IF EXISTS x --x\r; UPDATE __ferry.roles SET superuser = true`, [...DENIED, ...NO_SCHEMA, ...SYNTAX]),
    // Reading files and the network.
    A(`SELECT read_text('/etc/hostname')`, NO_FN, true),
    A(`SELECT * FROM read_text('${dataDir}/secrets.key')`, NO_FN, true),
    A(`SELECT * FROM read_blob('${dataDir}/*')`, NO_FN, true),
    A(`SELECT * FROM read_csv('/etc/passwd')`, NO_FN, true),
    A(`SELECT * FROM read_parquet('/tmp/x.parquet')`, NO_FN, true),
    A(`SELECT * FROM read_json('/etc/passwd')`, NO_FN, true),
    A(`SELECT * FROM glob('/tmp/*')`, NO_FN, true),
    A(`SELECT * FROM sniff_csv('/etc/passwd')`, NO_FN, true),
    A(`SELECT * FROM '/etc/passwd'`, [...NO_REL, ...NO_SCHEMA, ...SYNTAX], true),
    A(`SELECT * FROM read_text('http://127.0.0.1:1/')`, NO_FN, true),
    // Running SQL that Ferry did not see.
    A(`SELECT * FROM query('SELECT * FROM __ferry.secret_values')`, NO_FN, true),
    A(`SELECT * FROM query_table('priv')`, NO_FN, true),
    A(`SELECT json_execute_serialized_sql('{}')`, NO_FN, true),
    A(`SELECT * FROM pragma_storage_info('priv')`, NO_FN, true),
    A(`SUMMARIZE priv`, SYNTAX),
    A(`PRAGMA database_list`, SYNTAX),
    A(`ATTACH '/tmp/evil.duckdb' AS evil`, SYNTAX),
    A(`INSTALL httpfs`, SYNTAX),
    A(`LOAD httpfs`, SYNTAX),
    // Writing files and global engine state.
    A(`SELECT * FROM enable_profiling(save_location := '/tmp/ferry-attack-profile', format := 'json')`, NO_FN, true),
    A(`CALL enable_logging(storage := 'file', storage_path := '/tmp/ferry-attack-logs')`, SYNTAX),
    A(`SELECT enable_logging()`, NO_FN, true),
    A(`SELECT write_log('forged line')`, NO_FN, true),
    A(`SELECT * FROM duckdb_settings()`, NO_FN, true),
    A(`SELECT checkpoint()`, NO_FN, true),
    A(`CREATE MACRO public.upper(x) AS 'hijacked'`, SYNTAX),
    A(`CREATE FUNCTION public.upper(text) RETURNS text AS 'select 1' LANGUAGE sql`, SYNTAX),
    A(`SET enable_external_access = true`, ['42704']),
    A(`SET memory_limit = '1TB'`, ['42704']),
    // Reading the owner's table in every spelling.
    A(`SELECT * FROM priv`, DENIED, true),
    A(`SELECT * FROM PRIV`, DENIED, true),
    A(`SELECT * FROM "priv"`, DENIED, true),
    A(`SELECT * FROM public.priv`, DENIED, true),
    A(`SELECT * FROM materialize.PUBLIC.priv`, DENIED, true),
    A(`WITH priv AS (SELECT * FROM priv) SELECT * FROM priv`, DENIED, true),
    A(`SELECT (SELECT max(secret) FROM priv)`, DENIED, true),
    A(`SELECT * FROM pv`, DENIED, true),
    A(`SELECT * FROM "PRIV"`, NO_REL, true),
    // Changing or destroying the owner's objects.
    A(`INSERT INTO priv VALUES ('alice was here')`, DENIED),
    A(`UPDATE priv SET secret = 'x'`, DENIED),
    A(`DELETE FROM PRIV`, DENIED),
    A(`TRUNCATE priv`, [...DENIED, ...SYNTAX]),
    A(`ALTER TABLE priv RENAME TO gone`, DENIED),
    A(`DROP TABLE priv`, DENIED),
    A(`DROP VIEW pv`, DENIED),
    A(`DROP SCHEMA s2 CASCADE`, DENIED),
    A(`CREATE OR REPLACE VIEW pv AS SELECT 1 AS secret`, DENIED),
    A(`CREATE TABLE public.mine (a int)`, DENIED),
    A(`DROP VIEW mz_catalog.mz_tables`, [...DENIED, ...NO_SCHEMA, ...SYNTAX]),
    A(`DROP SECRET sec`, DENIED),
    A(`DROP CONNECTION conn`, DENIED),
    // Secrets never come back as text, to anyone.
    A(`SELECT * FROM sec`, [...DENIED, ...NO_REL, '42809', '0A000'], true),
  ];
}

function fingerprint(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      // The database and its WAL change with the owner's own checks; their content is
      // compared through SQL below. Everything else must be byte-for-byte the same.
      else if (!/materialize\.duckdb(\.wal)?$/.test(p))
        out[p] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

async function catalogState(): Promise<unknown> {
  const q = async (sql: string): Promise<unknown[]> => (await owner.query<Record<string, unknown>>(sql)).rows;
  return {
    rows: await q('SELECT secret FROM priv ORDER BY secret'),
    roles: await q('SELECT name FROM mz_roles ORDER BY name'),
    tables: await q('SELECT name FROM mz_tables ORDER BY name'),
    views: await q('SELECT name FROM mz_views ORDER BY name'),
    schemas: await q('SELECT name FROM mz_schemas ORDER BY name'),
    secrets: await q('SELECT name FROM mz_secrets ORDER BY name'),
    privileges: await q('SELECT name, privileges::text AS p FROM mz_tables ORDER BY name'),
    superuser: await q(`SELECT rolsuper FROM pg_roles WHERE rolname = 'alice'`),
  };
}

function tmpEntries(): string[] {
  return readdirSync(tmpdir()).filter((f) => f.startsWith('ferry-attack') || f.startsWith('evil'));
}

/** Sets the objects up in trust mode, then serves them in `mode`. */
async function serve(mode: 'trust' | 'password'): Promise<void> {
  const setup = await startFerry();
  const c = new pg.Client(setup.pgConfig());
  await c.connect();
  for (const stmt of [
    `ALTER ROLE materialize PASSWORD 'owner-pw'`,
    `CREATE ROLE alice LOGIN PASSWORD 'alice-pw'`,
    `CREATE TABLE priv (secret text)`,
    `INSERT INTO priv VALUES ('owner data')`,
    `CREATE VIEW pv AS SELECT secret FROM priv`,
    `CREATE SCHEMA s2`,
    `CREATE TABLE s2.t (a int)`,
    `CREATE SECRET sec AS '${SECRET_VALUE}'`,
    `CREATE CONNECTION conn TO AWS (ACCESS KEY ID = 'AKIAFAKE', SECRET ACCESS KEY = SECRET sec) WITH (VALIDATE = false)`,
  ])
    await c.query(stmt);
  await c.end();
  await setup.stop();
  ferry = await startFerry({ dataDir: setup.dataDir, args: mode === 'password' ? ['--auth', 'password'] : [] });
  owner = new pg.Client(ferry.pgConfig('materialize', 'owner-pw'));
  await owner.connect();
}

async function refusedCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { code?: string }).code ?? `no code: ${(err as Error).message}`;
  }
  return 'accepted';
}

for (const mode of ['password', 'trust'] as const) {
  describe(`an unprivileged role, every attack class, every entry point (--auth ${mode})`, { timeout: 300_000 }, () => {
    before(() => serve(mode));
    after(async () => {
      await owner?.end();
      await ferry?.stop();
    });

    test('each attempt is refused with its SQLSTATE and nothing changes', async () => {
      const before = { catalog: await catalogState(), files: fingerprint(ferry.dataDir), tmp: tmpEntries() };
      const logBefore = ferry.log().length;
      const alice = new pg.Client(ferry.pgConfig('alice', 'alice-pw'));
      await alice.connect();
      const auth = 'Basic ' + Buffer.from('alice:alice-pw').toString('base64');
      const failures: string[] = [];
      let named = 0;
      const check = (via: string, a: Attack, code: string): void => {
        if (!a.codes.includes(code)) failures.push(`${via}: ${a.sql}\n  got ${code}, want one of ${a.codes.join(' ')}`);
      };
      for (const a of attacks(ferry.dataDir)) {
        check('simple', a, await refusedCode(alice.query(a.sql)));
        // A named statement: Parse, Bind, Execute, Sync.
        check('extended', a, await refusedCode(alice.query({ name: `s${++named}`, text: a.sql })));
        if (a.query) check('copy', a, await refusedCode(alice.query(`COPY (${a.sql}) TO STDOUT`)));
        const res = await fetch(`http://127.0.0.1:${ferry.httpPort}/api/sql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: auth },
          body: JSON.stringify({ query: a.sql }),
        });
        const body = (await res.json()) as { results?: { error?: { code: string } }[]; error?: { code: string } };
        check(
          'http',
          a,
          body.results?.find((r) => r.error)?.error?.code ?? body.error?.code ?? `accepted (${res.status})`,
        );
        // The role's session survives every refusal.
        assert.deepEqual((await alice.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
      }
      await alice.end();
      assert.deepEqual(failures, []);

      assert.deepEqual(await catalogState(), before.catalog);
      assert.deepEqual(fingerprint(ferry.dataDir), before.files);
      assert.deepEqual(tmpEntries(), before.tmp);
      const log = ferry.log().slice(logBefore);
      assert.doesNotMatch(log, /forged line/);
      assert.doesNotMatch(log, new RegExp(SECRET_VALUE));
      // The owner still works, and sees its data.
      assert.deepEqual((await owner.query('SELECT secret FROM pv')).rows, [{ secret: 'owner data' }]);
      assert.ok(statSync(join(ferry.dataDir, 'secrets.key')).isFile());
    });

    test('statements kept in a session (PREPARE, EXECUTE, SHOW … WHERE) are authorized when they run, and change nothing', async () => {
      const before = await catalogState();
      const alice = new pg.Client(ferry.pgConfig('alice', 'alice-pw'));
      await alice.connect();
      try {
        // A condition of SHOW reads what the role may not read.
        assert.equal(
          await refusedCode(alice.query(`SHOW SCHEMAS WHERE name = (SELECT max(secret) FROM priv)`)),
          '42501',
        );
        // A prepared body that reads or writes the owner's table is refused when prepared…
        assert.equal(await refusedCode(alice.query(`PREPARE rd AS SELECT secret FROM priv`)), '42501');
        assert.equal(await refusedCode(alice.query(`PREPARE wr AS DELETE FROM priv`)), '42501');
        assert.equal(await refusedCode(alice.query(`EXECUTE wr`)), '26000');
        // …and an allowed body cannot be handed a forbidden argument.
        await alice.query(`PREPARE echo(text) AS SELECT $1 AS v`);
        assert.equal(await refusedCode(alice.query(`EXECUTE echo((SELECT max(secret) FROM priv))`)), '42501');
        // A grant revoked after PREPARE is missing at EXECUTE.
        await owner.query(`GRANT SELECT, DELETE ON priv TO alice`);
        await alice.query(`PREPARE later AS SELECT secret FROM priv`);
        await alice.query(`PREPARE later_del AS DELETE FROM priv`);
        await owner.query(`REVOKE SELECT, DELETE ON priv FROM alice`);
        assert.equal(await refusedCode(alice.query(`EXECUTE later`)), '42501');
        assert.equal(await refusedCode(alice.query(`EXECUTE later_del`)), '42501');
        assert.deepEqual((await alice.query(`EXECUTE echo('fine')`)).rows, [{ v: 'fine' }]);
      } finally {
        await alice.end();
      }
      assert.deepEqual(await catalogState(), before);
    });

    // Passwords only exist under --auth password.
    if (mode === 'password')
      test('a wrong password and an unknown role are refused alike, and change nothing', async () => {
        for (const [user, pw] of [
          ['alice', 'wrong'],
          ['nobody', 'x'],
        ] as const) {
          const c = new pg.Client(ferry.pgConfig(user, pw));
          const code = await refusedCode(c.connect());
          assert.equal(code, '28P01');
        }
        assert.deepEqual((await owner.query('SELECT secret FROM priv')).rows, [{ secret: 'owner data' }]);
      });
  });
}
