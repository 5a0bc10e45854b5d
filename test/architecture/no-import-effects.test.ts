// Extension points (statement installers, HTTP routes, metric sources) are passed to
// startServer explicitly (src/server/units.ts), so importing a module of src/ must never
// register anything: no bare `import './x.js'` for its effect, and no statement at a
// module's top level that calls something (`registerX(…)`, `routes.push(…)`). Definitions
// such as `const log = createLogger(…)` are fine.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../support/ferry.js';

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

const SIDE_EFFECT_IMPORT = /^import\s+['"][^'"]+['"]/;
/** An expression statement at the top level that starts with a call (or await / void of one). */
const TOP_LEVEL_CALL = /^(?:await\s+|void\s+)?[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\s*\(/;

test('importing a module of src/ registers nothing', () => {
  const problems: string[] = [];
  for (const file of tsFiles(join(PROJECT_ROOT, 'src'))) {
    const rel = relative(PROJECT_ROOT, file);
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (SIDE_EFFECT_IMPORT.test(line)) problems.push(`${rel}:${i + 1}: import for its side effects`);
        else if (TOP_LEVEL_CALL.test(line)) problems.push(`${rel}:${i + 1}: call at the top level`);
      });
  }
  assert.deepEqual(problems, [], 'pass extension points to startServer instead (src/server/units.ts)');
});
