/**
 * `node dist/bench/wire-only.js [--rounds N] [--samples N] [--seconds N] [--pg-port P]`:
 * only the wire path of `npm run bench` (`SELECT 1` over pgwire with the `pg` client),
 * Ferry on a fresh data directory and a throw-away PostgreSQL 15, measured in alternating
 * rounds so both see the same machine load. Needs no RGW. Prints one line per round and
 * the median of the rounds, with Ferry's p50 as a ratio of PostgreSQL's.
 */
import { startFerry } from '../test/support/ferry.js';
import { numberFlag, readFlags } from './flags.js';
import { startPostgres } from './postgres.js';
import { wireBench, type WireResult } from './wire.js';

const USAGE =
  'usage: node dist/bench/wire-only.js [--rounds N (3)] [--samples N (2000)] [--seconds N (2)] [--pg-port P (7496)]';

function parseArgs(argv: string[]): { rounds: number; samples: number; seconds: number; pgPort: number } {
  const a = { rounds: 3, samples: 2000, seconds: 2, pgPort: 7496 };
  readFlags(argv, USAGE, {
    '--rounds': numberFlag('--rounds', (x) => (a.rounds = x)),
    '--samples': numberFlag('--samples', (x) => (a.samples = x)),
    '--seconds': numberFlag('--seconds', (x) => (a.seconds = x)),
    '--pg-port': numberFlag('--pg-port', (x) => (a.pgPort = x)),
  });
  return a;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const line = (name: string, r: WireResult): string =>
  `${name.padEnd(10)} p50 ${r.p50Ms.toFixed(3)} ms  p99 ${r.p99Ms.toFixed(3)} ms  ${r.qps1.toFixed(0)} q/s (1)  ${r.qps16.toFixed(0)} q/s (16)`;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const pgServer = startPostgres(args.pgPort);
  const ferry = await startFerry();
  const results: { ferry: WireResult; postgres: WireResult }[] = [];
  try {
    for (let i = 0; i < args.rounds; i++) {
      const opts = { samples: args.samples, seconds: args.seconds };
      const round = {
        ferry: await wireBench(ferry.pgConfig(), opts),
        postgres: await wireBench(pgServer.config, opts),
      };
      results.push(round);
      console.log(
        `round ${i + 1}\n  ${line('Ferry', round.ferry)}\n  ${line('PostgreSQL', round.postgres)}\n  ratio p50 ${(round.ferry.p50Ms / round.postgres.p50Ms).toFixed(2)}`,
      );
    }
  } finally {
    await ferry.stop();
    pgServer.stop();
  }
  const med = (pick: (r: { ferry: WireResult; postgres: WireResult }) => number): number => median(results.map(pick));
  console.log(
    `median of ${results.length} rounds: Ferry p50 ${med((r) => r.ferry.p50Ms).toFixed(3)} / p99 ${med((r) => r.ferry.p99Ms).toFixed(3)} ms, ` +
      `${med((r) => r.ferry.qps1).toFixed(0)} q/s (1), ${med((r) => r.ferry.qps16).toFixed(0)} q/s (16); ` +
      `PostgreSQL p50 ${med((r) => r.postgres.p50Ms).toFixed(3)} / p99 ${med((r) => r.postgres.p99Ms).toFixed(3)} ms, ` +
      `${med((r) => r.postgres.qps1).toFixed(0)} q/s (1), ${med((r) => r.postgres.qps16).toFixed(0)} q/s (16); ` +
      `ratio p50 ${med((r) => r.ferry.p50Ms / r.postgres.p50Ms).toFixed(2)}`,
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
