/**
 * Server configuration: parsed once at start-up from command-line flags, each with a
 * `FERRY_<FLAG>` environment fallback (precedence: flag > environment > default), into a
 * typed, frozen object that is passed down explicitly. Nothing below this layer reads
 * `process.env` (the AWS SDK's own variables are the exception: they define the server's
 * ambient AWS identity, exactly as for any AWS SDK program).
 */

export interface FerryConfig {
  /** Directory holding the DuckDB database, the catalog and the secrets key. */
  dataDir: string;
  /** host:port of the PostgreSQL wire protocol listener. */
  pgListen: { host: string; port: number };
  /** host:port of the HTTP listener (SQL API, console, metrics). */
  httpListen: { host: string; port: number };
  /** `trust`: no password asked; `password`: SCRAM-SHA-256 for every login. */
  auth: 'trust' | 'password';
  /** PEM certificate and key; when both are set, SSLRequest is answered with 'S'. */
  tlsCert: string | null;
  tlsKey: string | null;
  /** Largest frontend message accepted, in bytes; larger ones are rejected unread. */
  maxMessageBytes: number;
  /** Cap on the SQL text of a Query or Parse message (docs/security.md, "Limits"). */
  maxStatementBytes: number;
  maxConnections: number;
  /** Role ARN assumed first (without external ID) before a connection's own role. */
  awsConnectionRoleArn: string | null;
  /** Replaces `mz_<environment id>` as the external-ID prefix when set. */
  awsExternalIdPrefix: string | null;
  /** Base64 AES-256 key for secrets; when null a 0600 key file in the data dir is used. */
  secretsKey: string | null;
  /** DuckDB memory_limit (e.g. '512MB'); null leaves DuckDB's default (80% of RAM). */
  memoryLimit: string | null;
  /** Log level for the server log on stderr. */
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export interface FlagDef {
  /** Flag name without dashes, e.g. `data-dir`; the env fallback is FERRY_DATA_DIR. */
  name: string;
  description: string;
  default: string | null;
  /** A boolean switch takes no value. */
  boolean?: boolean;
}

/**
 * The engine's default memory limit: an export's peak RSS stays near 350 MB however large
 * the table (DuckDB's own default, 80 % of RAM, lets its buffer pool keep every block an
 * export scans). Measured, with what it costs queries, in docs/benchmarks.md.
 */
export const DEFAULT_MEMORY_LIMIT = '128MB';

export const SERVE_FLAGS: FlagDef[] = [
  { name: 'data-dir', description: 'data directory (DuckDB database, catalog, secrets key)', default: './ferry-data' },
  { name: 'listen', description: 'PostgreSQL wire protocol address host:port', default: '127.0.0.1:6875' },
  { name: 'http-listen', description: 'HTTP address host:port (SQL API, console, metrics)', default: '127.0.0.1:6876' },
  {
    name: 'auth',
    description: "authentication: 'trust' (no passwords) or 'password' (SCRAM-SHA-256)",
    default: 'trust',
  },
  { name: 'tls-cert', description: 'PEM certificate file; enables TLS together with --tls-key', default: null },
  { name: 'tls-key', description: 'PEM private key file for --tls-cert', default: null },
  {
    name: 'max-message-bytes',
    description: 'largest accepted protocol message in bytes (Bind, CopyData, …)',
    default: String(16 * 1024 * 1024),
  },
  {
    name: 'max-statement-bytes',
    description: 'largest accepted SQL text of one Query or Parse message, in bytes',
    default: String(1024 * 1024),
  },
  {
    name: 'max-connections',
    description: 'most pgwire sessions at once; one more is refused with 53300',
    default: '1000',
  },
  {
    name: 'aws-connection-role-arn',
    description: 'role assumed first (no external ID) before each connection role',
    default: null,
  },
  { name: 'aws-external-id-prefix', description: "external ID prefix instead of 'mz_<environment id>'", default: null },
  {
    name: 'secrets-key',
    description: 'base64 AES-256 key for secrets (default: key file in the data dir)',
    default: null,
  },
  {
    name: 'memory-limit',
    description:
      "engine memory limit, e.g. '2GB' (the default keeps an export's memory flat; larger intermediates spill to <data dir>/engine-io/spill)",
    default: DEFAULT_MEMORY_LIMIT,
  },
  { name: 'log-level', description: 'debug, info, warn or error', default: 'info' },
];

export function envName(flag: string): string {
  return 'FERRY_' + flag.toUpperCase().replace(/-/g, '_');
}

export class ConfigError extends Error {}

/** Parses `--flag value` / `--flag=value` arguments with env fallback into raw strings. */
export function parseFlags(
  defs: FlagDef[],
  argv: string[],
  env: Record<string, string | undefined>,
): { values: Map<string, string | null>; positional: string[] } {
  const byName = new Map(defs.map((d) => [d.name, d]));
  const given = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const def = byName.get(name);
    if (!def) throw new ConfigError(`unknown flag --${name}`);
    if (def.boolean) {
      given.set(name, eq === -1 ? 'true' : arg.slice(eq + 1));
    } else if (eq !== -1) {
      given.set(name, arg.slice(eq + 1));
    } else {
      const v = argv[++i];
      if (v === undefined) throw new ConfigError(`flag --${name} needs a value`);
      given.set(name, v);
    }
  }
  const values = new Map<string, string | null>();
  for (const d of defs) values.set(d.name, given.get(d.name) ?? env[envName(d.name)] ?? d.default);
  return { values, positional };
}

function hostPort(flag: string, v: string): { host: string; port: number } {
  const i = v.lastIndexOf(':');
  const port = Number(v.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`--${flag}: expected host:port, got ${JSON.stringify(v)}`);
  }
  return { host: v.slice(0, i).replace(/^\[|\]$/g, ''), port };
}

function memoryLimit(v: string | null): string | null {
  if (v === null || v === '') return null;
  if (!/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(v.trim())) {
    throw new ConfigError(`--memory-limit: expected a size such as 512MB or 2GB, got ${JSON.stringify(v)}`);
  }
  return v.trim();
}

export function buildServeConfig(values: Map<string, string | null>): FerryConfig {
  const get = (n: string): string | null => values.get(n) ?? null;
  const auth = get('auth');
  if (auth !== 'trust' && auth !== 'password') throw new ConfigError(`--auth must be 'trust' or 'password'`);
  const logLevel = get('log-level');
  if (logLevel !== 'debug' && logLevel !== 'info' && logLevel !== 'warn' && logLevel !== 'error') {
    throw new ConfigError('--log-level must be debug, info, warn or error');
  }
  const maxMessageBytes = Number(get('max-message-bytes'));
  if (!Number.isInteger(maxMessageBytes) || maxMessageBytes < 1024) {
    throw new ConfigError('--max-message-bytes must be an integer of at least 1024');
  }
  const maxStatementBytes = Number(get('max-statement-bytes'));
  if (!Number.isInteger(maxStatementBytes) || maxStatementBytes < 1024) {
    throw new ConfigError('--max-statement-bytes must be an integer of at least 1024');
  }
  const maxConnections = Number(get('max-connections'));
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    throw new ConfigError('--max-connections must be a positive integer');
  }
  const tlsCert = get('tls-cert');
  const tlsKey = get('tls-key');
  if ((tlsCert === null) !== (tlsKey === null)) throw new ConfigError('--tls-cert and --tls-key go together');
  return Object.freeze({
    dataDir: get('data-dir') ?? './ferry-data',
    pgListen: hostPort('listen', get('listen') ?? ''),
    httpListen: hostPort('http-listen', get('http-listen') ?? ''),
    auth,
    tlsCert,
    tlsKey,
    maxMessageBytes,
    maxStatementBytes,
    maxConnections,
    awsConnectionRoleArn: get('aws-connection-role-arn'),
    awsExternalIdPrefix: get('aws-external-id-prefix'),
    secretsKey: get('secrets-key'),
    memoryLimit: memoryLimit(get('memory-limit')),
    logLevel,
  });
}
