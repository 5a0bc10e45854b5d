// `npm run test:unit` runs every test file without a `// test-needs: …` line (see
// scripts/test-unit.sh and the README's "Tests"). This test keeps the markers honest: a
// file that reaches the local S3 or a browser through the support modules, or starts one
// of the Debian client programs, must say so, or test:unit would fail on a machine that
// lacks them. Only known needs may be named.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../support/ferry.js';

/** What a marker may name: each is installed or started by `npm test` (scripts/test.sh). */
const KNOWN_NEEDS = ['local-s3', 'ceph', 'psql', 'psycopg', 'jdbc', 'chromium', 'postgres'];

/** Support modules that need the local S3 or a browser as soon as they are loaded. */
const EXTERNAL_SUPPORT = [
  'test/support/localaws.ts',
  'test/sink/s3env.ts',
  'test/browser/support.ts',
  'test/support/postgres.ts',
];

/**
 * Starting one of the client programs the Debian packages bring, or a shell line that runs
 * psql. A test that only uses a program when it is installed, and skips without it
 * (test/loadgen/sources.test.ts), needs no marker.
 */
const SPAWNS_CLIENT =
  /\b(?:run|spawn|spawnSync|execFile|execFileSync)\(\s*['"`](?:psql|javac?|python3|\/usr\/bin\/python3|\/usr\/bin\/chromium)['"`]|['"`]psql\s+["'-]/;

const MARKER = /^\/\/ test-needs: (.+)$/m;

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** The local modules `file` loads at run time (type-only imports are erased). */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^import\s+(?!type\s)[^;]*?from\s+'(\.[^']+)'|^import\s+'(\.[^']+)'/gms)) {
    const spec = (m[1] ?? m[2])!.replace(/\.js$/, '.ts');
    const target = join(dirname(file), spec);
    if (existsSync(target)) out.push(target);
  }
  return out;
}

/** Whether `file` loads one of EXTERNAL_SUPPORT, directly or through other test modules. */
function reachesExternal(file: string, root: string, seen = new Set<string>()): boolean {
  if (seen.has(file)) return false;
  seen.add(file);
  return runtimeImports(file).some(
    (dep) =>
      EXTERNAL_SUPPORT.includes(relative(root, dep)) ||
      (relative(root, dep).startsWith('test/') && reachesExternal(dep, root, seen)),
  );
}

test('test files that need Debian packages or the local S3 carry a test-needs marker', () => {
  const problems: string[] = [];
  for (const file of tsFiles(join(PROJECT_ROOT, 'test')).filter((f) => f.endsWith('.test.ts'))) {
    const rel = relative(PROJECT_ROOT, file);
    const text = readFileSync(file, 'utf8');
    const marker = MARKER.exec(text);
    if (marker) {
      for (const need of marker[1]!.split(/[\s,]+/).filter(Boolean)) {
        if (!KNOWN_NEEDS.includes(need)) problems.push(`${rel}: unknown need "${need}"`);
      }
      continue;
    }
    if (reachesExternal(file, PROJECT_ROOT)) problems.push(`${rel}: loads the local S3 or browser support`);
    if (SPAWNS_CLIENT.test(text)) problems.push(`${rel}: starts a client program from a Debian package`);
  }
  assert.deepEqual(problems, [], 'add a `// test-needs: <need …>` line (README "Tests")');
});
