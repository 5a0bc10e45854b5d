// Runs every .slt file under test/slt/files (see runner.ts for the format).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PROJECT_ROOT } from '../support/ferry.js';
import { runSltFile } from './runner.js';

const dir = join(PROJECT_ROOT, 'test', 'slt', 'files');
const rewrite = process.env.FERRY_SLT_REWRITE === '1';

for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.slt'))
  .sort()) {
  test(`slt ${file}`, async () => {
    const failures = await runSltFile(join(dir, file), rewrite);
    assert.deepEqual(failures, [], failures.join('\n'));
  });
}
