/**
 * The `ferry` command. Verbs: `serve` (run the server) and the others listed in `VERBS`,
 * each defined in a module of its own (src/cli/verb.ts is their shape). Every verb answers
 * `--help`.
 */
import { ConfigError, SERVE_FLAGS, buildServeConfig, envName, parseFlags } from '../config/index.js';
import { configureLog } from '../log/index.js';
import { exportVerb } from './export.js';
import type { Verb } from './verb.js';

export function helpText(verb: Verb): string {
  const lines = [`Usage: ferry ${verb.name} [flags]`, '', verb.summary, '', 'Flags:'];
  for (const f of verb.flags) {
    const def = f.default === null ? '' : ` (default: ${f.default === '' ? '""' : f.default})`;
    lines.push(`  --${f.name}${f.boolean ? '' : ' <value>'}`);
    lines.push(`      ${f.description}${def}; env ${envName(f.name)}`);
  }
  lines.push('  --help', '      show this help');
  return lines.join('\n') + '\n';
}

const serve: Verb = {
  name: 'serve',
  summary: 'Run the Ferry server: PostgreSQL wire protocol, HTTP API and console, scheduled exports.',
  flags: SERVE_FLAGS,
  async run(values) {
    const config = buildServeConfig(values);
    configureLog({ level: config.logLevel });
    // Loaded here, not at the top: the other verbs need neither DuckDB nor the server.
    const { startServer } = await import('../server/index.js');
    const { ferryUnits } = await import('../server/units.js');
    const server = await startServer(config, ferryUnits());
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`received ${signal}, shutting down\n`);
      server.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    return new Promise<number>(() => undefined);
  },
};

export const VERBS: Verb[] = [serve, exportVerb];

export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === 'help' || name === '-h') {
    const lines = ['Usage: ferry <verb> [flags]', '', 'Verbs:'];
    for (const v of VERBS) lines.push(`  ${v.name.padEnd(10)} ${v.summary}`);
    lines.push('', 'Run `ferry <verb> --help` for the flags of a verb.');
    process.stdout.write(lines.join('\n') + '\n');
    return;
  }
  const verb = VERBS.find((v) => v.name === name);
  if (!verb) {
    process.stderr.write(`ferry: unknown verb "${name}"; run \`ferry --help\`\n`);
    process.exit(2);
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(helpText(verb));
    return;
  }
  try {
    const { values, positional } = parseFlags(verb.flags, rest, process.env);
    const code = await verb.run(values, positional);
    process.exit(code);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`ferry ${verb.name}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}
