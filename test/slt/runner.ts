/**
 * A small sqllogictest runner: every `.slt` file under test/slt/files runs over the
 * PostgreSQL wire protocol against a real Ferry server, so every SQL test is also a
 * protocol test.
 *
 * Records:
 *   statement ok
 *   statement error [pgcode XXXXX] [message substring]
 *   query <types> [rowsort]          followed by SQL, `----`, expected rows
 *   connection <name> [user=<role>]  switch to (or open) a named connection
 *   restart                          stop and start the server on the same data directory
 *
 * Rows print one per line, values separated by a single space; NULL as `NULL`, the empty
 * string as `(empty)`. With FERRY_SLT_REWRITE=1 the runner writes the actual results back
 * into the file for review (`git diff`).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { type FerryProcess, startFerry } from '../support/ferry.js';

type Rec =
  | { kind: 'statement'; line: number; sql: string; expectError: null | { code: string | null; message: string } }
  | {
      kind: 'query';
      line: number;
      sql: string;
      types: string;
      rowsort: boolean;
      expected: string[];
      headerEnd: number;
      end: number;
    }
  | { kind: 'connection'; line: number; name: string; user: string }
  | { kind: 'restart'; line: number };

export function parseSlt(text: string): Rec[] {
  const lines = text.split('\n');
  const recs: Rec[] = [];
  let i = 0;
  const readSql = (): string[] => {
    const out: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '' && lines[i]!.trim() !== '----') out.push(lines[i++]!);
    return out;
  };
  while (i < lines.length) {
    const line = lines[i]!.trim();
    const lineNo = i + 1;
    if (line === '' || line.startsWith('#')) {
      i++;
      continue;
    }
    if (line === 'statement ok' || line.startsWith('statement error')) {
      i++;
      let expectError: null | { code: string | null; message: string } = null;
      if (line.startsWith('statement error')) {
        const m = /^statement error(?:\s+pgcode\s+(\S+))?\s*(.*)$/.exec(line)!;
        expectError = { code: m[1] ?? null, message: m[2] ?? '' };
      }
      recs.push({ kind: 'statement', line: lineNo, sql: readSql().join('\n'), expectError });
      continue;
    }
    if (line.startsWith('query')) {
      const [, types = '', ...flags] = line.split(/\s+/);
      i++;
      const sql = readSql().join('\n');
      if (lines[i]?.trim() !== '----') throw new Error(`line ${lineNo}: query without ----`);
      const headerEnd = i;
      i++;
      const expected: string[] = [];
      while (i < lines.length && lines[i]!.trim() !== '') expected.push(lines[i++]!);
      recs.push({
        kind: 'query',
        line: lineNo,
        sql,
        types,
        rowsort: flags.includes('rowsort'),
        expected,
        headerEnd,
        end: i,
      });
      continue;
    }
    if (line.startsWith('connection')) {
      const [, name = 'default', ...rest] = line.split(/\s+/);
      const user = rest.find((r) => r.startsWith('user='))?.slice(5) ?? 'materialize';
      recs.push({ kind: 'connection', line: lineNo, name, user });
      i++;
      continue;
    }
    if (line === 'restart') {
      recs.push({ kind: 'restart', line: lineNo });
      i++;
      continue;
    }
    throw new Error(`line ${lineNo}: unknown record ${JSON.stringify(line)}`);
  }
  return recs;
}

/** A value as the runner's clients get it: its text (no type parsers), or null. */
function fmt(v: string | null | undefined): string {
  if (v === null || v === undefined) return 'NULL';
  return v === '' ? '(empty)' : v;
}

type TextRows = pg.QueryArrayResult<(string | null)[]>;

/** Runs one file; returns failures (empty when it passed). */
export async function runSltFile(path: string, rewrite: boolean): Promise<string[]> {
  const text = readFileSync(path, 'utf8');
  const recs = parseSlt(text);
  let ferry: FerryProcess = await startFerry();
  const conns = new Map<string, pg.Client>();
  const users = new Map<string, string>([['default', 'materialize']]);
  let current = 'default';
  const failures: string[] = [];
  const rewrites: { from: number; to: number; rows: string[] }[] = [];
  const client = async (): Promise<pg.Client> => {
    let c = conns.get(current);
    if (!c) {
      c = new pg.Client({
        ...ferry.pgConfig(users.get(current) ?? 'materialize'),
        types: { getTypeParser: () => (v: string) => v },
      });
      c.on('error', () => undefined);
      await c.connect();
      conns.set(current, c);
    }
    return c;
  };
  const closeAll = async (): Promise<void> => {
    for (const c of conns.values()) await c.end().catch(() => undefined);
    conns.clear();
  };
  try {
    for (const rec of recs) {
      const where = `${path}:${rec.line}`;
      if (rec.kind === 'connection') {
        current = rec.name;
        users.set(rec.name, rec.user);
        continue;
      }
      if (rec.kind === 'restart') {
        await closeAll();
        await ferry.stop();
        ferry = await startFerry({ dataDir: ferry.dataDir });
        continue;
      }
      const c = await client();
      if (rec.kind === 'statement') {
        try {
          await c.query(rec.sql);
          if (rec.expectError)
            failures.push(
              `${where}: expected error ${rec.expectError.code ?? ''} ${rec.expectError.message}, statement succeeded`,
            );
        } catch (err) {
          const e = err as { code?: string; message: string };
          if (!rec.expectError) failures.push(`${where}: unexpected error ${e.code} ${e.message}`);
          else {
            if (rec.expectError.code && e.code !== rec.expectError.code)
              failures.push(`${where}: expected SQLSTATE ${rec.expectError.code}, got ${e.code} (${e.message})`);
            if (rec.expectError.message && !e.message.includes(rec.expectError.message))
              failures.push(
                `${where}: expected message containing ${JSON.stringify(rec.expectError.message)}, got ${JSON.stringify(e.message)}`,
              );
          }
        }
        continue;
      }
      let actual: string[];
      try {
        // Several statements in one text resolve to one result each, which pg's types leave out.
        const res: TextRows | TextRows[] = await c.query<(string | null)[]>({ text: rec.sql, rowMode: 'array' });
        const results = [res].flat().at(-1)!;
        actual = results.rows.map((r) => r.map(fmt).join(' '));
        if (results.fields.length !== rec.types.length)
          failures.push(`${where}: expected ${rec.types.length} columns, got ${results.fields.length}`);
      } catch (err) {
        const e = err as { code?: string; message: string };
        failures.push(`${where}: query failed: ${e.code} ${e.message}`);
        continue;
      }
      if (rec.rowsort) actual.sort();
      const expected = rec.rowsort ? [...rec.expected].sort() : rec.expected;
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        if (rewrite) rewrites.push({ from: rec.headerEnd + 1, to: rec.end, rows: actual });
        else
          failures.push(
            `${where}: result mismatch\n  expected:\n    ${expected.join('\n    ')}\n  actual:\n    ${actual.join('\n    ')}`,
          );
      }
    }
  } finally {
    await closeAll();
    await ferry.stop();
  }
  if (rewrite && rewrites.length) {
    const lines = text.split('\n');
    for (const r of rewrites.reverse()) lines.splice(r.from, r.to - r.from, ...r.rows);
    writeFileSync(path, lines.join('\n'));
  }
  return failures;
}
