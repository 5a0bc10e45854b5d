/**
 * src/sink/csv-cutter.ts against a plain reference: CSV rows (with quoted line breaks,
 * doubled quotes, a separate escape byte and multibyte text) fed in chunks of every size
 * from 1 byte up, cut at many MAX FILE SIZE values. The files must be the reference's
 * greedy split, byte for byte, with the right row counts, wherever the chunk boundaries fall.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CsvCutter, type CutterOptions } from '../../src/sink/csv-cutter.js';
import { csvField } from '../../src/sink/csv.js';

/** Deterministic pseudo-random numbers (a 32-bit LCG), so failures reproduce. */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

const PIECES = ['a', 'bc', ',', '"', '\\', '\n', '\r\n', 'é', '日本', ' ', 'x\ny', '""', '\\"'];

function rowsFor(
  seed: number,
  n: number,
  o: { delimiter: string; quote: string; escape: string; null: string },
): string[] {
  const r = rng(seed);
  const rows: string[] = [];
  for (let i = 0; i < n; i++) {
    const fields: (string | null)[] = [];
    const cols = 1 + Math.floor(r() * 3);
    for (let c = 0; c < cols; c++) {
      if (r() < 0.1) fields.push(null);
      else
        fields.push(
          Array.from({ length: Math.floor(r() * 6) }, () => PIECES[Math.floor(r() * PIECES.length)]).join(''),
        );
    }
    rows.push(fields.map((f) => csvField(f, { header: false, ...o }, cols === 1)).join(o.delimiter) + '\n');
  }
  return rows;
}

/** The greedy split of docs/exports.md "File splitting". */
function reference(rows: string[], header: string, max: number): { text: string; rows: number }[] {
  const files: { text: string; rows: number }[] = [];
  let cur = { text: header, rows: 0 };
  for (const row of rows) {
    if (cur.rows > 0 && Buffer.byteLength(cur.text + row) > max) {
      files.push(cur);
      cur = { text: header, rows: 0 };
    }
    cur.text += row;
    cur.rows++;
  }
  files.push(cur);
  return files;
}

function cut(stream: Buffer, chunkSizes: () => number, o: CutterOptions): { text: string; rows: number }[] {
  const cutter = new CsvCutter(o);
  const files: { parts: Buffer[]; rows: number }[] = [{ parts: [], rows: 0 }];
  for (let at = 0; at < stream.length;) {
    const n = Math.max(1, chunkSizes());
    for (const p of cutter.push(stream.subarray(at, at + n))) {
      if (p.kind === 'cut') files.push({ parts: [], rows: 0 });
      else {
        files.at(-1)!.parts.push(p.bytes);
        files.at(-1)!.rows += p.rows;
      }
    }
    at += n;
  }
  cutter.end();
  assert.equal(
    cutter.rows,
    files.reduce((n, f) => n + f.rows, 0),
  );
  return files.map((f) => ({ text: Buffer.concat(f.parts).toString('utf8'), rows: f.rows }));
}

const DIALECTS = [
  { delimiter: ',', quote: '"', escape: '"', null: '' },
  { delimiter: ';', quote: '"', escape: '\\', null: 'NULL' },
  { delimiter: '|', quote: "'", escape: "'", null: '\\N' },
];

test('cuts are the greedy reference split for every chunking and dialect', () => {
  for (const [d, o] of DIALECTS.entries()) {
    const rows = rowsFor(7 + d, 400, o);
    const stream = Buffer.from(rows.join(''), 'utf8');
    const header = 'h1,h2\n';
    for (const max of [1, 20, 64, 333, 1000, stream.length, stream.length * 2]) {
      const want = reference(rows, header, max);
      const r = rng(max + d);
      for (const [name, sizes] of [
        ['1 byte', () => 1],
        ['7 bytes', () => 7],
        ['random', () => Math.floor(r() * 50)],
        ['whole', () => stream.length],
      ] as const) {
        const got = cut(stream, sizes, {
          quote: o.quote,
          escape: o.escape,
          maxFileSize: max,
          headerBytes: Buffer.byteLength(header),
        });
        // The cutter hands out data only; each file's header is the caller's.
        assert.deepEqual(
          got.map((f) => ({ text: header + f.text, rows: f.rows })),
          want,
          `dialect ${d}, max ${max}, chunks ${name}`,
        );
      }
    }
  }
});

test('a quoted line break is not a row end; a single row larger than the limit stands alone', () => {
  const o = { quote: '"', escape: '"', maxFileSize: 10, headerBytes: 0 };
  const stream = Buffer.from('"a\nb",1\n' + 'x'.repeat(30) + '\n' + 'y\n' + 'z\n');
  const got = cut(stream, () => 4, o);
  assert.deepEqual(got, [
    { text: '"a\nb",1\n', rows: 1 },
    { text: 'x'.repeat(30) + '\n', rows: 1 },
    { text: 'y\nz\n', rows: 2 },
  ]);
});

test('a stream that stops inside a row or inside quotes is an error, not a short file', () => {
  for (const text of ['a,b\nc', 'a,"b\n', '"a""']) {
    const c = new CsvCutter({ quote: '"', escape: '"', maxFileSize: 1 << 20, headerBytes: 0 });
    c.push(Buffer.from(text));
    assert.throws(() => c.end(), /ended inside a row/, JSON.stringify(text));
  }
  const c = new CsvCutter({ quote: '"', escape: '\\', maxFileSize: 1 << 20, headerBytes: 0 });
  c.push(Buffer.from('"a\\'));
  assert.throws(() => c.end(), /ended inside a row/);
});
