/**
 * `node --cpu-prof` is refused in NODE_OPTIONS, so a child started by test/support/ferry.ts
 * cannot get it; this preload does the same through the inspector instead:
 * `NODE_OPTIONS=--import=<dist/bench/cpu-prof-preload.js> BENCH_CPU_PROF_DIR=DIR` writes
 * DIR/ferry-<pid>.cpuprofile when the process exits (read it with dist/bench/cpuprofile.js).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  // The in-process inspector session answers synchronously, so this works in 'exit'.
  process.once('exit', () => {
    session.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(path.join(dir, `ferry-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
