/**
 * node-postgres (`pg`) and postgres.js against a real Ferry server: connecting with their
 * default options (postgres.js fetches array types from pg_type on connect), parameterized
 * queries over the extended protocol, errors with SQLSTATE, COPY both ways and cancel.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import postgres from 'postgres';
import { startFerry, type FerryProcess } from '../support/ferry.js';
import { LONG_QUERY } from './helpers.js';

let ferry: FerryProcess;

before(async () => {
  ferry = await startFerry();
});
after(async () => {
  await ferry.stop();
});

/** COPY support without the pg-copy-streams package: pg's Client accepts any object with `submit`. */
class CopyIn {
  callback: ((err: Error | null, res?: unknown) => void) | null = null;
  private connection: { sendCopyFromChunk(b: Buffer): void; endCopyFrom(): void } | null = null;
  constructor(
    readonly text: string,
    private readonly data: string,
  ) {}
  submit(connection: { sendCopyFromChunk(b: Buffer): void; endCopyFrom(): void; query(t: string): void }): void {
    this.connection = connection;
    connection.query(this.text);
  }
  handleCopyInResponse(): void {
    this.connection!.sendCopyFromChunk(Buffer.from(this.data));
    this.connection!.endCopyFrom();
  }
  handleCommandComplete(msg: { text: string }): void {
    this.tag = msg.text;
  }
  tag = '';
  handleReadyForQuery(): void {
    this.callback?.(null, this.tag);
  }
  handleError(err: Error): void {
    this.callback?.(err);
  }
}

class CopyOut {
  callback: ((err: Error | null, res?: unknown) => void) | null = null;
  chunks: Buffer[] = [];
  tag = '';
  constructor(readonly text: string) {}
  submit(connection: { query(t: string): void }): void {
    connection.query(this.text);
  }
  handleCopyOutResponse(): void {}
  handleCopyData(msg: { chunk: Buffer }): void {
    this.chunks.push(msg.chunk);
  }
  handleCommandComplete(msg: { text: string }): void {
    this.tag = msg.text;
  }
  handleReadyForQuery(): void {
    this.callback?.(null, Buffer.concat(this.chunks).toString());
  }
  handleError(err: Error): void {
    this.callback?.(err);
  }
}

function runSubmittable<T>(
  c: pg.Client,
  q: { callback: ((err: Error | null, res?: unknown) => void) | null },
): Promise<T> {
  return new Promise((resolve, reject) => {
    q.callback = (err, res) => (err ? reject(err) : resolve(res as T));
    void c.query(q as never);
  });
}

describe('node-postgres', () => {
  test('connect, parameters, error SQLSTATE, COPY in and out, cancel', async () => {
    const c = new pg.Client(ferry.pgConfig());
    await c.connect();
    try {
      await c.query('CREATE TABLE pgt (id int, name text, score double)');
      await c.query('INSERT INTO pgt VALUES ($1, $2, $3), ($4, $5, $6)', [1, 'one', 1.5, 2, 'two', null]);
      const r = await c.query('SELECT name, score FROM pgt WHERE id = $1 AND name LIKE $2', [1, 'o%']);
      assert.deepEqual(r.rows, [{ name: 'one', score: 1.5 }]);

      // Many rows of varying widths in one result: each DataRow must be framed exactly,
      // also when the server's write buffer grows in the middle of a value.
      const wide = await c.query({
        text: "SELECT i, repeat('é', (i * 37) % 700) AS s FROM generate_series(0, 3999) t(i) ORDER BY i",
        rowMode: 'array',
      });
      assert.equal(wide.rows.length, 4000);
      assert.ok((wide.rows as [string, string][]).every(([i, s]) => s.length === (Number(i) * 37) % 700));

      await assert.rejects(
        c.query('SELECT * FROM missing_table'),
        (e: Error & { code?: string }) => e.code === '42P01',
      );
      // The session is usable after an error.
      assert.equal((await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pgt')).rows[0]?.n, 2);

      const tagIn = await runSubmittable<string>(
        c,
        new CopyIn('COPY pgt FROM STDIN WITH (FORMAT csv)', '3,three,3.5\n4,,\n'),
      );
      assert.equal(tagIn, 'COPY 2');
      const out = await runSubmittable<string>(c, new CopyOut('COPY (SELECT id, name FROM pgt ORDER BY id) TO STDOUT'));
      assert.equal(out, '1\tone\n2\ttwo\n3\tthree\n4\t\\N\n');

      const started = Date.now();
      const pending = c.query(LONG_QUERY);
      // Cancel every second until the query ends: a CancelRequest that arrives before the
      // statement started has nothing to cancel (as in PostgreSQL).
      const timer = setInterval(() => {
        const canceller = new pg.Client(ferry.pgConfig());
        // pg's cancel() opens its own connection and sends CancelRequest with the key of `c`.
        (canceller as unknown as { cancel(target: pg.Client, q: unknown): void }).cancel(
          c,
          (c as unknown as { activeQuery: unknown }).activeQuery,
        );
      }, 1000);
      await assert
        .rejects(pending, (e: Error & { code?: string }) => e.code === '57014')
        .finally(() => clearInterval(timer));
      assert.ok(Date.now() - started < 20_000);
      assert.equal((await c.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one, 1);
    } finally {
      await c.end();
    }
  });
});

describe('postgres.js', () => {
  test('connect with default options, parameters, error SQLSTATE, COPY in and out, cancel', async () => {
    const sql = postgres({ ...ferry.pgConfig(), max: 1, onnotice: () => undefined });
    try {
      await sql`CREATE TABLE pjs (id int, tags text[], doc jsonb)`;
      await sql`INSERT INTO pjs VALUES (${1}, ${['a', 'b']}, ${sql.json({ k: 1 })}), (2, NULL, NULL)`;
      const rows = await sql`SELECT id, tags FROM pjs WHERE id = ${1}`;
      assert.deepEqual([...rows], [{ id: 1, tags: ['a', 'b'] }]);

      await assert.rejects(sql`SELECT * FROM missing_table`, (e: Error & { code?: string }) => e.code === '42P01');

      const writable = await sql`COPY pjs (id) FROM STDIN`.writable();
      await pipeline(Readable.from(['10\n', '11\n']), writable);
      const readable = await sql`COPY (SELECT id FROM pjs ORDER BY id) TO STDOUT`.readable();
      let text = '';
      await pipeline(
        readable,
        new Writable({
          write(chunk: Buffer, _enc, cb) {
            text += chunk.toString();
            cb();
          },
        }),
      );
      assert.equal(text, '1\n2\n10\n11\n');

      const q = sql.unsafe(LONG_QUERY);
      const result = q.then(
        () => 'finished',
        (e: Error & { code?: string }) => e.code,
      );
      const timer = setInterval(() => q.cancel(), 1000);
      assert.equal(await result.finally(() => clearInterval(timer)), '57014');
      const [row] = await sql`SELECT count(*)::int AS n FROM pjs`;
      const n = (row as { n?: number } | undefined)?.n;
      assert.equal(n, 4);
    } finally {
      await sql.end();
    }
  });
});
