/**
 * Durability across restarts of a real server process on the same data directory: a clean
 * stop (SIGTERM) and an abrupt kill (SIGKILL, so DuckDB replays its write-ahead log) both
 * keep objects, rows, roles, catalog ids and the environment id; ids are never reused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startFerry, type FerryProcess } from '../support/ferry.js';

async function withClient<T>(ferry: FerryProcess, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client(ferry.pgConfig());
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

interface Snapshot {
  env: string;
  objects: string[];
  roles: string[];
  rows: string[];
  viewRows: string[];
  ratio: string;
}

async function snapshot(ferry: FerryProcess): Promise<Snapshot> {
  return withClient(ferry, async (c) => ({
    env: (await c.query<{ e: string }>('SELECT mz_environment_id() AS e')).rows[0]!.e,
    objects: (
      await c.query<{ o: string }>(
        "SELECT id || ' ' || name || ' ' || type AS o FROM mz_catalog.mz_objects ORDER BY id",
      )
    ).rows.map((r) => r.o),
    roles: (
      await c.query<{ r: string }>(
        "SELECT id || ' ' || name || ' ' || rolcanlogin AS r FROM mz_catalog.mz_roles ORDER BY id",
      )
    ).rows.map((r) => r.r),
    rows: (await c.query<{ r: string }>("SELECT id || ':' || name AS r FROM items ORDER BY id")).rows.map((r) => r.r),
    viewRows: (await c.query<{ n: string }>('SELECT n::text AS n FROM item_count')).rows.map((r) => r.n),
    ratio: (await c.query<{ r: string }>('SELECT r::text AS r FROM ratio')).rows[0]!.r,
  }));
}

async function populate(ferry: FerryProcess): Promise<void> {
  await withClient(ferry, async (c) => {
    await c.query('CREATE TABLE items (id int, name text)');
    await c.query("INSERT INTO items VALUES (1, 'a'), (2, 'b')");
    await c.query('CREATE VIEW big_items AS SELECT * FROM items WHERE id > 1');
    await c.query('CREATE MATERIALIZED VIEW item_count AS SELECT count(*) AS n FROM items');
    // Division goes through a function of the in-memory compatibility database, which is
    // rebuilt at every start (src/catalog/pg-compat.ts).
    await c.query('CREATE VIEW ratio AS SELECT sum(id) / count(*) AS r FROM items');
    await c.query('CREATE ROLE reader LOGIN');
    await c.query('GRANT SELECT ON items TO reader');
    // A committed transaction and a rolled-back one.
    await c.query('BEGIN');
    await c.query("INSERT INTO items VALUES (3, 'c')");
    await c.query('COMMIT');
    await c.query('BEGIN');
    await c.query("INSERT INTO items VALUES (4, 'never')");
    await c.query('ROLLBACK');
  });
}

for (const how of ['stop', 'kill'] as const) {
  test(`catalog, rows, roles and ids survive ${how === 'stop' ? 'a clean stop' : 'SIGKILL'} and start`, async () => {
    const first = await startFerry();
    let second: FerryProcess | null = null;
    try {
      await populate(first);
      const before = await snapshot(first);
      assert.deepEqual(before.rows, ['1:a', '2:b', '3:c']);
      assert.equal(before.ratio, '2');
      assert.ok(
        before.objects.some((o) => /^u\d+ items table$/.test(o)),
        before.objects.join('\n'),
      );
      assert.ok(before.roles.includes(before.roles.find((r) => / reader true$/.test(r))!));
      await (how === 'stop' ? first.stop() : first.kill());

      second = await startFerry({ dataDir: first.dataDir });
      const afterRestart = await snapshot(second);
      assert.deepEqual(afterRestart, before);
      // Privileges survived: reader may read items.
      const reader = new pg.Client(second.pgConfig('reader'));
      await reader.connect();
      assert.equal((await reader.query<{ n: number }>('SELECT count(*)::int AS n FROM items')).rows[0]?.n, 3);
      await reader.end();
      // The next object gets a fresh id, above every id handed out before the restart.
      const maxBefore = Math.max(...before.objects.map((o) => Number(/^u(\d+)/.exec(o)![1])));
      const newId = await withClient(second, async (c) => {
        await c.query('CREATE TABLE later (x int)');
        return (await c.query<{ id: string }>("SELECT id FROM mz_catalog.mz_tables WHERE name = 'later'")).rows[0]!.id;
      });
      assert.ok(Number(newId.slice(1)) > maxBefore, `${newId} reuses an id (max before was u${maxBefore})`);
    } finally {
      await second?.stop();
      await first.stop();
    }
  });
}
