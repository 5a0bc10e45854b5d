// test-needs: ceph
// Bring-up from nothing (an empty state directory, separate ports, so it does not touch the
// shared instance), a second `up` that reuses the running instance, and `down` by PID.
// Also measures start-up time and memory for docs/local-aws.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../support/localaws.js';

const run = promisify(execFile);
const script = join(projectRoot(), 'scripts', 'local-aws.sh');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}

test(
  'up from an empty directory, a second up reuses it, down stops exactly its PIDs',
  { timeout: 240_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-aws-fresh-'));
    // Ports from the PID (below Linux's ephemeral range), so two test runs on one machine
    // do not fight over them.
    const base = 17000 + (process.pid % 1000) * 3;
    const env = {
      ...process.env,
      LOCAL_AWS_DIR: dir,
      LOCAL_AWS_RGW_PORT: String(base),
      LOCAL_AWS_MON_PORT: String(base + 1),
      LOCAL_AWS_GATEWAY_PORT: String(base + 2),
      LOCAL_AWS_MEM_BYTES: String(256 << 20),
    };
    let passed = false;
    try {
      const t0 = Date.now();
      const first = await run('bash', [script, 'up'], { env });
      const startMs = Date.now() - t0;
      // stdout is nothing but export lines (scripts/test.sh evals it).
      const lines = first.stdout.trim().split('\n');
      assert.ok(
        lines.every((l) => /^export AWS_[A-Z0-9_]+=\S+$/.test(l)),
        first.stdout,
      );
      assert.ok(lines.includes(`export AWS_LOCAL_RGW_ENDPOINT=http://127.0.0.1:${base}`));
      const pids = ['mon', 'osd', 'rgw'].map((d) => Number(readFileSync(join(dir, `${d}.pid`), 'utf8')));
      assert.ok(pids.every(alive));
      const rss = pids.reduce((sum, p) => sum + rssKiB(p), 0);
      console.log(
        `# fresh bring-up ${(startMs / 1000).toFixed(1)} s; RSS mon+osd+rgw ${(rss / 1024).toFixed(0)} MiB (idle, empty)`,
      );
      const res = await fetch(`http://127.0.0.1:${base}/`);
      assert.equal(res.status, 200);

      const t1 = Date.now();
      const second = await run('bash', [script, 'up'], { env });
      assert.equal(second.stdout, first.stdout);
      assert.match(second.stderr, /reusing the running instance/);
      assert.ok(Date.now() - t1 < 5000);
      assert.deepEqual(
        ['mon', 'osd', 'rgw'].map((d) => Number(readFileSync(join(dir, `${d}.pid`), 'utf8'))),
        pids,
      );

      await run('bash', [script, 'status'], { env });
      await run('bash', [script, 'down'], { env });
      assert.ok(pids.every((p) => !alive(p)));
      await assert.rejects(run('bash', [script, 'status'], { env }));
      passed = true;
    } finally {
      await run('bash', [script, 'down'], { env }).catch(() => undefined);
      // Logs of a failed bring-up stay for inspection.
      if (passed) rmSync(dir, { recursive: true, force: true });
      else console.log(`# bring-up state and logs kept in ${dir}`);
    }
  },
);
