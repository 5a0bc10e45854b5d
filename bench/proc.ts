/**
 * What the benchmark reads from /proc (Linux only): CPU seconds (user + sys) of a process,
 * busy CPU seconds of the whole machine (to show how much CPU other work took during a
 * measurement), and a process's peak resident set size, sampled and from VmHWM.
 * proc(5): /proc/<pid>/stat fields 14 (utime) and 15 (stime) in clock ticks;
 * /proc/<pid>/clear_refs "5" resets VmHWM, so the peak is per measurement.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * utime + stime of `pid` in seconds; 0 when the process is gone. With `thread`, only that
 * thread (/proc/<pid>/task/<tid>/stat): for a Node process, tid = pid is the JavaScript
 * main thread, the rest are libuv's pool, V8's helpers and DuckDB's workers.
 */
export function cpuSeconds(pid: number | undefined, thread?: number): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; fields after it are space-separated.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** Busy CPU seconds of the machine since boot (all cores): everything but idle and iowait. */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
  return (user + nice + system + irq + softirq + steal) / CLK_TCK;
}

function statusKb(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Peak RSS of one process during a measurement: polled VmRSS and VmHWM (reset at start). */
export class RssSampler {
  private peakKb = 0;
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly pid: number) {}

  start(intervalMs = 20): void {
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
    } catch {
      // Not permitted: VmHWM then covers the process's whole life; the polled peak still holds.
    }
    this.peakKb = statusKb(this.pid, 'VmRSS');
    this.timer = setInterval(() => {
      this.peakKb = Math.max(this.peakKb, statusKb(this.pid, 'VmRSS'));
    }, intervalMs);
  }

  /** Peak in MiB. */
  stop(): number {
    if (this.timer) clearInterval(this.timer);
    this.peakKb = Math.max(this.peakKb, statusKb(this.pid, 'VmRSS'));
    const hwm = statusKb(this.pid, 'VmHWM');
    // VmHWM is only per-measurement when clear_refs worked; it can never be below a sample.
    const peak = hwm >= this.peakKb && hwm < this.peakKb * 4 ? hwm : this.peakKb;
    return peak / 1024;
  }
}

export function rssMb(pid: number): number {
  return statusKb(pid, 'VmRSS') / 1024;
}

/** A description of the machine for the results: CPU model, cores, memory, kernel, Node. */
export function machineInfo(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memory_gb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}

export function loadAverage1(): number {
  return Math.round((os.loadavg()[0] ?? 0) * 100) / 100;
}
