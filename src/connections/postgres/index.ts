/**
 * PostgreSQL connections (docs/sources.md, "PostgreSQL connections"): raw
 * `CREATE/ALTER CONNECTION … TO POSTGRES` options to a typed spec, the client settings
 * they mean, and VALIDATE — that the server can be reached and authenticated against as a
 * source would, and that it is set up for logical replication.
 *
 * Does not: parse SQL, touch the catalog, check privileges or decrypt secrets (the
 * caller passes `resolveSecret`). SQLSTATEs follow the AWS options (src/connections/aws/
 * options.ts): 42601 for an option that does not apply or is repeated, 22023 for a value
 * of the wrong kind.
 */
import pg from 'pg';
import { SqlError } from '../../errors/index.js';
import type { RawOption, RawOptionValue, SecretRef, StringOrSecret } from '../aws/options.js';

export type SslMode = 'disable' | 'require' | 'verify-ca' | 'verify-full';

export interface PostgresConnectionSpec {
  host: string;
  port: number;
  user: StringOrSecret;
  password: SecretRef | null;
  database: string;
  sslMode: SslMode;
  sslCertificateAuthority: StringOrSecret | null;
}

/** Every option a PostgreSQL connection takes, in the order SHOW CREATE prints them. */
export const POSTGRES_OPTION_NAMES = [
  'HOST',
  'PORT',
  'USER',
  'PASSWORD',
  'DATABASE',
  'SSL MODE',
  'SSL CERTIFICATE AUTHORITY',
] as const;
type PgOptionName = (typeof POSTGRES_OPTION_NAMES)[number];

function invalid(message: string): SqlError {
  return new SqlError('22023', message);
}

function text(name: PgOptionName, v: RawOptionValue): string {
  if (v.kind === 'string' || v.kind === 'ident') return v.text;
  if (v.kind === 'number' && name === 'PORT') return v.text;
  if (v.kind === 'secret') throw invalid(`invalid ${name}: must provide a string value, not a secret`);
  throw invalid(`invalid ${name}: must provide a string value`);
}

function stringOrSecret(name: PgOptionName, v: RawOptionValue): StringOrSecret {
  if (v.kind === 'secret') return { kind: 'secret', name: v.name };
  return { kind: 'string', text: text(name, v) };
}

const SSL_MODES: Record<string, SslMode> = {
  disable: 'disable',
  require: 'require',
  'verify-ca': 'verify-ca',
  verify_ca: 'verify-ca',
  'verify-full': 'verify-full',
  verify_full: 'verify-full',
};

/** Plans the options of CREATE CONNECTION … TO POSTGRES (or the result of an ALTER). */
export function planPostgresConnectionOptions(options: RawOption[]): PostgresConnectionSpec {
  const seen = new Map<string, RawOptionValue>();
  for (const o of options) {
    if (!(POSTGRES_OPTION_NAMES as readonly string[]).includes(o.name))
      throw new SqlError('42601', `POSTGRES connections do not support ${o.name} values`);
    if (seen.has(o.name)) throw new SqlError('42601', `${o.name} specified more than once`);
    seen.set(o.name, o.value);
  }
  const host = seen.get('HOST');
  if (!host) throw new SqlError('42601', 'POSTGRES connection must specify HOST');
  const user = seen.get('USER');
  if (!user) throw new SqlError('42601', 'POSTGRES connection must specify USER');
  let port = 5432;
  const p = seen.get('PORT');
  if (p) {
    const t = text('PORT', p);
    if (!/^\d+$/.test(t) || Number(t) < 1 || Number(t) > 65535)
      throw invalid(`invalid PORT: ${JSON.stringify(t)} is not a port number (1-65535)`);
    port = Number(t);
  }
  let password: SecretRef | null = null;
  const pw = seen.get('PASSWORD');
  if (pw) {
    if (pw.kind !== 'secret') throw invalid('invalid PASSWORD: must provide a secret value');
    password = { kind: 'secret', name: pw.name };
  }
  let sslMode: SslMode = 'disable';
  const m = seen.get('SSL MODE');
  if (m) {
    const t = text('SSL MODE', m).toLowerCase();
    const mode = SSL_MODES[t];
    if (!mode)
      throw invalid(
        `invalid SSL MODE: ${JSON.stringify(t)}; expected one of 'disable', 'require', 'verify-ca', 'verify-full'`,
      );
    sslMode = mode;
  }
  const ca = seen.get('SSL CERTIFICATE AUTHORITY');
  const sslCertificateAuthority = ca ? stringOrSecret('SSL CERTIFICATE AUTHORITY', ca) : null;
  if (sslCertificateAuthority && (sslMode === 'disable' || sslMode === 'require'))
    throw invalid('invalid SSL CERTIFICATE AUTHORITY: only used with SSL MODE verify-ca or verify-full');
  const hostText = text('HOST', host);
  if (hostText === '') throw invalid('invalid HOST: must not be empty');
  const db = seen.get('DATABASE');
  return {
    host: hostText,
    port,
    user: stringOrSecret('USER', user),
    password,
    database: db ? text('DATABASE', db) : 'postgres',
    sslMode,
    sslCertificateAuthority,
  };
}

/** ALTER CONNECTION's SET / DROP / RESET over the stored options, planned again. */
export function alterPostgresConnectionOptions(
  current: RawOption[],
  actions: ({ kind: 'set'; option: RawOption } | { kind: 'drop' | 'reset'; name: string })[],
): { options: RawOption[]; spec: PostgresConnectionSpec } {
  let options = [...current];
  for (const a of actions) {
    const name = a.kind === 'set' ? a.option.name : a.name;
    if (!(POSTGRES_OPTION_NAMES as readonly string[]).includes(name))
      throw new SqlError('42601', `POSTGRES connections do not support ${name} values`);
    options = options.filter((o) => o.name !== name);
    if (a.kind === 'set') options.push(a.option);
  }
  return { options, spec: planPostgresConnectionOptions(options) };
}

export function postgresReferencedSecrets(spec: PostgresConnectionSpec): SecretRef[] {
  const out: SecretRef[] = [];
  if (spec.user.kind === 'secret') out.push(spec.user);
  if (spec.password) out.push(spec.password);
  if (spec.sslCertificateAuthority?.kind === 'secret') out.push(spec.sslCertificateAuthority);
  return out;
}

export type ResolveSecret = (ref: SecretRef) => Promise<string>;

const CONNECT_TIMEOUT_MS = 10_000;

/** node-postgres settings for the connection; `replication` opens a walsender session. */
export async function clientConfig(
  spec: PostgresConnectionSpec,
  resolveSecret: ResolveSecret,
  replication = false,
): Promise<pg.ClientConfig> {
  const value = (v: StringOrSecret): Promise<string> =>
    v.kind === 'secret' ? resolveSecret(v) : Promise.resolve(v.text);
  const ca = spec.sslCertificateAuthority ? await value(spec.sslCertificateAuthority) : undefined;
  let ssl: pg.ClientConfig['ssl'] = false;
  if (spec.sslMode === 'require') ssl = { rejectUnauthorized: false };
  else if (spec.sslMode === 'verify-ca') ssl = { rejectUnauthorized: true, ca, checkServerIdentity: () => undefined };
  else if (spec.sslMode === 'verify-full') ssl = { rejectUnauthorized: true, ca, servername: spec.host };
  return {
    host: spec.host,
    port: spec.port,
    user: await value(spec.user),
    password: spec.password ? await resolveSecret(spec.password) : undefined,
    database: spec.database,
    ssl,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: 'ferry',
    ...(replication ? { replication: 'database' } : {}),
  };
}

/** An error from the upstream server or the network, as the user sees it. */
export function upstreamError(err: unknown): SqlError {
  if (err instanceof SqlError) return err;
  const e = err as { message?: string; code?: string };
  const message = e?.message ?? String(err);
  return new SqlError('08001', `error connecting to server: ${message}`);
}

/** Connects (as a source would, or as a walsender session), or fails as upstreamError says. */
export async function connectUpstream(
  spec: PostgresConnectionSpec,
  resolveSecret: ResolveSecret,
  replication = false,
): Promise<pg.Client> {
  const client = new pg.Client(await clientConfig(spec, resolveSecret, replication));
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw upstreamError(err);
  }
  return client;
}

/** A source needs one slot for its snapshot and one for the stream, as Materialize counts. */
export const SLOTS_NEEDED = 2;

/**
 * VALIDATE: authenticates as a source would (a normal session and a walsender session),
 * then checks what a source needs — wal_level logical, replication enabled, the role's
 * REPLICATION attribute, two free replication slots — with Materialize's texts.
 */
export async function validatePostgresConnection(
  spec: PostgresConnectionSpec,
  resolveSecret: ResolveSecret,
): Promise<void> {
  const client = await connectUpstream(spec, resolveSecret);
  try {
    const q = async (sql: string): Promise<string> => {
      const r = await client.query<{ v: string }>(sql);
      return String(r.rows[0]?.v ?? '');
    };
    let walLevel: string, senders: number, free: number, canReplicate: string;
    try {
      walLevel = await q(`SELECT current_setting('wal_level') AS v`);
      senders = Number(await q(`SELECT current_setting('max_wal_senders') AS v`));
      free = Number(
        await q(
          `SELECT current_setting('max_replication_slots')::int - (SELECT count(*) FROM pg_replication_slots) AS v`,
        ),
      );
      canReplicate = await q(
        `SELECT (rolreplication OR rolsuper)::text AS v FROM pg_roles WHERE rolname = current_user`,
      );
    } catch (err) {
      throw upstreamError(err);
    }
    if (walLevel !== 'logical')
      throw new SqlError('55000', `server must have wal_level >= logical, but has ${walLevel}`);
    if (senders < 1)
      throw new SqlError('55000', 'replication disabled on server', { hint: 'set max_wal_senders to a value > 0' });
    if (canReplicate !== 'true')
      throw new SqlError('42501', 'insufficient privileges', {
        detail: `user ${String(client.user)} lacks the REPLICATION attribute, which reading a replication slot needs`,
        hint: `ALTER ROLE ${String(client.user)} REPLICATION`,
      });
    if (free < SLOTS_NEEDED)
      throw new SqlError('53400', 'PostgreSQL server has insufficient number of replication slots available', {
        detail: `executing this statement requires ${SLOTS_NEEDED} replication slots`,
        hint: 'you might be able to wait for other sources to finish snapshotting and try again',
      });
  } finally {
    await client.end().catch(() => undefined);
  }
  // The walsender session a source streams through.
  const repl = await connectUpstream(spec, resolveSecret, true);
  try {
    await repl.query('IDENTIFY_SYSTEM');
  } catch (err) {
    throw upstreamError(err);
  } finally {
    await repl.end().catch(() => undefined);
  }
}
