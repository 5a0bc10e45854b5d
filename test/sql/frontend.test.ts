// Golden tests for the SQL front end (src/sql/frontend.ts), in a datadriven format:
//
//   # comment
//   <directive> [args]
//   <input SQL, one or more lines>
//   ----
//   <expected output>
//   (blank line)
//
// Directives: `print` (the engine SQL, one line per statement), `access` (what the
// statement reads, writes, owns and creates, as authorization sees it, and whether its
// result provably fits one engine chunk, so it is materialized), `error` (the
// SQLSTATE and message). The catalog the statements resolve against is fixed below.
// FERRY_GOLDEN_REWRITE=1 rewrites the expected outputs for review.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { SqlError } from '../../src/errors/index.js';
import { type NameScope, type ResolvedRelation, compile } from '../../src/sql/frontend.js';
import { initPgParser } from '../../src/sql/pg/parse.js';
import { PROJECT_ROOT } from '../support/ferry.js';

const RELATIONS: ResolvedRelation[] = [
  { id: 'u1', schema: 'public', name: 't', kind: 'table' },
  { id: 'u2', schema: 'public', name: 'priv', kind: 'table' },
  { id: 'u3', schema: 'public', name: 'v', kind: 'view' },
  { id: 'u4', schema: 's2', name: 't', kind: 'table' },
  { id: 'u5', schema: 'public', name: 'Mixed', kind: 'table' },
  { id: 'u6', schema: 'public', name: 'src', kind: 'source' },
  { id: null, schema: 'mz_catalog', name: 'mz_tables', kind: 'system' },
  { id: null, schema: 'mz_internal', name: 'mz_copy_to_history', kind: 'system' },
  { id: null, schema: 'mz_internal', name: 'mz_copy_to_files', kind: 'system' },
];

function scope(searchPath: string[]): NameScope {
  return {
    relation: (schema, name) => RELATIONS.find((r) => r.schema === schema && r.name === name) ?? null,
    schemaExists: (s) => ['public', 's2', 'mz_catalog', 'mz_internal', 'pg_catalog', 'information_schema'].includes(s),
    searchPath,
    user: 'alice',
    rowOwner: 'u9',
  };
}

function run(directive: string, args: string[], sql: string): string {
  const path = args
    .find((a) => a.startsWith('search_path='))
    ?.slice('search_path='.length)
    .split(',') ?? ['public'];
  try {
    const out = compile(sql, scope(path));
    if (directive === 'error') return 'no error';
    if (directive === 'print') return out.map((c) => c.engineSql || '(no engine statement)').join('\n');
    return out
      .map((c) => {
        const rel = (r: ResolvedRelation): string => (r.id ? `${r.id}:${r.schema}.${r.name}` : `${r.schema}.${r.name}`);
        const lines = [`verb: ${c.verb}`];
        if (c.reads.length) lines.push(`reads: ${c.reads.map(rel).join(' ')}`);
        if (c.writes.length) lines.push(`writes: ${c.writes.map((w) => `${w.priv} ${rel(w.rel)}`).join(' ')}`);
        if (c.owns.length) lines.push(`owns: ${c.owns.map(rel).join(' ')}`);
        if (c.creates) lines.push(`creates: ${c.creates.kind} ${c.creates.schema}.${c.creates.name}`);
        if (c.fewRows) lines.push('rows: one chunk at most');
        return lines.join('\n');
      })
      .join('\n');
  } catch (err) {
    if (err instanceof SqlError) return `${err.code} ${err.message}`;
    throw err;
  }
}

before(async () => initPgParser());

const dir = join(PROJECT_ROOT, 'test', 'sql', 'golden');
for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt'))) {
  test(`front end golden ${file}`, () => {
    const path = join(dir, file);
    const text = readFileSync(path, 'utf8');
    const blocks = text.split(/\n{2,}(?=\S)/);
    const failures: string[] = [];
    const rewritten: string[] = [];
    for (const block of blocks) {
      const lines = block.replace(/\n+$/, '').split('\n');
      const head = lines.findIndex((l) => !l.startsWith('#'));
      const sep = lines.indexOf('----');
      if (head === -1 || sep === -1) {
        rewritten.push(block.replace(/\n+$/, ''));
        continue;
      }
      const [directive, ...args] = lines[head]!.split(/\s+/);
      const sql = lines.slice(head + 1, sep).join('\n');
      const expected = lines.slice(sep + 1).join('\n');
      const actual = run(directive!, args, sql);
      if (actual !== expected) failures.push(`${file}: ${sql}\n  expected: ${expected}\n  actual:   ${actual}`);
      rewritten.push([...lines.slice(0, sep + 1), actual].join('\n'));
    }
    if (process.env.FERRY_GOLDEN_REWRITE === '1') writeFileSync(path, rewritten.join('\n\n') + '\n');
    else assert.deepEqual(failures, [], failures.join('\n'));
  });
}
