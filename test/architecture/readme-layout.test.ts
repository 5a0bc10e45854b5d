// The README's "Layout" table names every folder of the repository and every folder of
// src/ (with their subfolders, as `src/connections/aws`), so a new folder is explained
// where a reader looks first.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../support/ferry.js';

/** Top-level folders that are not the project's own (build output, installs, artifacts). */
const NOT_OURS = new Set(['node_modules', 'dist', 'ferry-data', 'test-artifacts']);

function folders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name);
}

test('the README layout table lists every folder', () => {
  const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Layout');
  assert.ok(start >= 0, 'README has a "## Layout" section');
  const end = readme.indexOf('\n## ', start + 1);
  const table = readme.slice(start, end === -1 ? undefined : end);
  const listed = new Set([...table.matchAll(/^\| `([^`]+)`/gm)].map((m) => m[1]!.replace(/\/$/, '')));
  const missing: string[] = [];
  for (const top of folders(PROJECT_ROOT).filter((f) => !NOT_OURS.has(f))) {
    if (top !== 'src' && !listed.has(top)) missing.push(`${top}/`);
  }
  for (const layer of folders(join(PROJECT_ROOT, 'src'))) {
    const subs = folders(join(PROJECT_ROOT, 'src', layer));
    const names = subs.length > 0 ? subs.map((s) => `src/${layer}/${s}`) : [`src/${layer}`];
    for (const n of names) if (!listed.has(n)) missing.push(n);
  }
  assert.deepEqual(missing, []);
});
