/**
 * The null S3 endpoint (test/support/null-s3.ts) in a process of its own, so that its CPU
 * seconds are counted apart from Ferry's and the bench's: exports and reference uploads run
 * against it to show what they cost when no S3 server shares the cores. It looks like a
 * LocalAws to the rest of the bench; `rgwPid` is the null endpoint's process, so the CPU
 * columns that read "radosgw" hold its (small) CPU for these rows.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../test/support/ferry.js';
import type { LocalAws } from './aws.js';

export interface NullAws extends LocalAws {
  stop(): void;
}

const ACCESS_KEY = 'nullbench';

export async function startNullAws(): Promise<NullAws> {
  const script = path.join(PROJECT_ROOT, 'dist', 'test', 'support', 'null-s3.js');
  const proc: ChildProcess = spawn(process.execPath, [script, '--port', '0', '--access-key-id', ACCESS_KEY], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /null-s3 listening (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    proc.once('exit', (code) => reject(new Error(`null S3 endpoint exited with ${code}`)));
  });
  const stop = (): void => {
    if (proc.exitCode === null) proc.kill('SIGTERM');
  };
  process.once('exit', stop);
  return {
    endpoint,
    region: 'us-east-1',
    accessKeyId: ACCESS_KEY,
    secretAccessKey: 'nullbench-secret',
    bucket: 'ferry-bench',
    dir: '',
    rgwPid: proc.pid,
    osdPid: undefined,
    startedHere: true,
    stop,
  };
}
