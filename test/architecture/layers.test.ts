// The folders are the architecture (docs: README "Layout"): imports point one way.
// This test reads every source file's imports and fails on an import against the flow,
// so the rule is enforced, not just written down.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../support/ferry.js';

/** For each layer, the layers it must never import. */
const FORBIDDEN: Record<string, string[]> = {
  errors: [
    'wire',
    'adapter',
    'sql',
    'catalog',
    'engine',
    'sink',
    'connections',
    'http',
    'cli',
    'server',
    'schedule',
    'loadgen',
    'types',
  ],
  config: [
    'wire',
    'adapter',
    'sql',
    'catalog',
    'engine',
    'sink',
    'connections',
    'http',
    'cli',
    'server',
    'schedule',
    'loadgen',
  ],
  types: ['wire', 'adapter', 'sql', 'catalog', 'sink', 'connections', 'http', 'cli', 'server', 'schedule', 'loadgen'],
  engine: ['wire', 'adapter', 'sql', 'sink', 'connections', 'http', 'cli', 'server', 'schedule', 'loadgen'],
  sql: ['wire', 'adapter', 'catalog', 'engine', 'sink', 'connections', 'http', 'cli', 'server', 'schedule', 'loadgen'],
  catalog: ['wire', 'adapter', 'sql', 'sink', 'connections', 'http', 'cli', 'server', 'schedule', 'loadgen'],
  sink: ['wire', 'adapter', 'sql', 'catalog', 'connections', 'http', 'cli', 'server', 'schedule', 'loadgen'],
  connections: ['wire', 'adapter', 'sql', 'catalog', 'engine', 'sink', 'http', 'cli', 'server', 'schedule', 'loadgen'],
  wire: [
    'adapter/session',
    'sql',
    'catalog',
    'engine',
    'sink',
    'connections',
    'http',
    'cli',
    'server',
    'schedule',
    'loadgen',
  ],
  adapter: ['wire', 'http', 'cli', 'server'],
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('imports follow the layer order', () => {
  const src = join(PROJECT_ROOT, 'src');
  const violations: string[] = [];
  for (const file of sourceFiles(src)) {
    const rel = relative(src, file);
    const layer = rel.split('/')[0]!;
    const forbidden = FORBIDDEN[layer];
    if (!forbidden) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
      const target = relative(src, join(file, '..', m[1]!)).replace(/\.js$/, '');
      if (target.startsWith('..')) continue;
      if (
        forbidden.some((f) => target === f || target.startsWith(f + '/') || (f.includes('/') && target.startsWith(f)))
      ) {
        violations.push(`${rel} imports ${target}`);
      }
    }
  }
  assert.deepEqual(violations, []);
});
