/**
 * The command-line flags of the bench programs (run.ts, parse.ts, wire-only.ts), read the
 * same way by all three: `--flag value` or a bare `--switch`, `-h` / `--help` prints the
 * usage and exits 0, an unknown flag, a missing value or a number that is not one is an
 * error that shows the usage.
 */

/** What a flag does: takes the next argument as its value, or is a bare switch. */
export type Flag = { value: (v: string) => void } | { set: () => void };

export function readFlags(argv: string[], usage: string, flags: Record<string, Flag>): void {
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    if (k === '-h' || k === '--help') {
      console.log(usage);
      process.exit(0);
    }
    const f = flags[k];
    if (f === undefined) throw new Error(`unknown option ${k}\n${usage}`);
    if ('set' in f) {
      f.set();
      continue;
    }
    const v = argv[++i];
    if (v === undefined) throw new Error(`${k} needs a value\n${usage}`);
    f.value(v);
  }
}

/** A flag's number, or an error naming the flag. */
export function num(flag: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new Error(`${flag} takes a number, not '${v}'`);
  return n;
}

/** A number flag that stores into `set`. */
export const numberFlag = (flag: string, set: (n: number) => void): Flag => ({ value: (v) => set(num(flag, v)) });
