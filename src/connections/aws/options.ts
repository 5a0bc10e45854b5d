/**
 * AWS connection options: raw `name = value` pairs (as parsed, not yet understood) to a
 * typed `AwsConnectionSpec`, or the exact errors of the "Legal combinations" table of
 * docs/aws-connections.md. Pure: no network, no clock, no catalog lookups — secret
 * references stay references (by name as written); the SQL layer resolves them.
 *
 * SQLSTATE choice (Materialize itself reports these planning errors as XX000, which
 * PostgreSQL reserves for internal bugs, so we follow PostgreSQL's option handling):
 * - `42601 syntax_error` for an option name that does not apply or is repeated, as
 *   PostgreSQL does for `option "x" not recognized` and `conflicting or redundant options`
 *   (src/backend/commands/define.c, errorConflictingDefElem);
 * - `22023 invalid_parameter_value` for a value of the wrong kind or shape and for an
 *   illegal combination of otherwise valid options, as PostgreSQL does for option values
 *   that do not make sense together (e.g. reloptions, CREATE SUBSCRIPTION).
 */
import { SqlError } from '../../errors/index.js';

/** A value exactly as the parser saw it. */
export type RawOptionValue =
  | { kind: 'string'; text: string }
  | { kind: 'secret'; name: string }
  | { kind: 'ident'; text: string }
  | { kind: 'number'; text: string }
  | { kind: 'bool'; text: string };

/** One option; `name` is upper-cased words joined by one space, e.g. `ACCESS KEY ID`. */
export interface RawOption {
  name: string;
  value: RawOptionValue;
}

/**
 * A reference to a catalog secret. `name` is as written in the statement; the SQL layer
 * may fill `id` once it has resolved the name, so later renames do not break the link.
 */
export interface SecretRef {
  kind: 'secret';
  name: string;
  id?: string;
}

export type StringOrSecret = { kind: 'string'; text: string } | SecretRef;

interface AwsCommon {
  /** S3-compatible endpoint URL for both S3 and STS; null when unset (or set to ''). */
  endpoint: string | null;
  region: string | null;
}

/** Long-lived (or user-supplied temporary) keys; the secret key is always a catalog secret. */
export interface AwsCredentialsSpec extends AwsCommon {
  mode: 'credentials';
  accessKeyId: StringOrSecret;
  secretAccessKey: SecretRef;
  sessionToken: StringOrSecret | null;
}

/** The recommended mode: assume a role in the user's account with an external ID. */
export interface AwsRoleSpec extends AwsCommon {
  mode: 'role';
  assumeRoleArn: string;
  /** Overrides the default `<environment id>-<connection id>` session name. */
  assumeRoleSessionName: string | null;
}

export type AwsConnectionSpec = AwsCredentialsSpec | AwsRoleSpec;

/** Every option an AWS connection takes, in the fixed order SHOW CREATE prints them. */
export const AWS_OPTION_NAMES = [
  'ENDPOINT',
  'REGION',
  'ACCESS KEY ID',
  'SECRET ACCESS KEY',
  'SESSION TOKEN',
  'ASSUME ROLE ARN',
  'ASSUME ROLE SESSION NAME',
] as const;
export type AwsOptionName = (typeof AWS_OPTION_NAMES)[number];

function isAwsOption(name: string): name is AwsOptionName {
  return (AWS_OPTION_NAMES as readonly string[]).includes(name);
}

function invalid(message: string): SqlError {
  return new SqlError('22023', message);
}

/**
 * Role ARN shape (IAM User Guide, "IAM identifiers" → ARNs):
 * `arn:<partition>:iam::<account>:role/<optional path/><name>`. The account is 12 digits on
 * AWS; Ceph RGW (the local S3/STS) puts its tenant there, which may be empty, so a tenant
 * name (not all digits, to still catch mistyped account ids) is accepted too. Role names:
 * 1-64 of `[\w+=,.@-]` (IAM quotas page); path segments use the same characters.
 */
const ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::(\d{12}|(?!\d+:)[A-Za-z0-9_-]{0,64}):role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

/** sts:AssumeRole RoleSessionName: 2-64 characters of `[\w+=,.@-]` (STS API reference). */
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

/** Exported so other layers (e.g. the principal lookup) judge ARNs the same way. */
export function isRoleArn(arn: string): boolean {
  return ROLE_ARN.test(arn);
}

function stringValue(name: AwsOptionName, v: RawOptionValue): string {
  // Identifiers are accepted where a string is expected, as PostgreSQL's option lists
  // (DefElem) do: `REGION = us_east_1` reads the word as written.
  if (v.kind === 'string' || v.kind === 'ident') return v.text;
  if (v.kind === 'secret') return invalidSecretUse(name);
  throw invalid(`invalid ${name}: must provide a string value`);
}

function invalidSecretUse(name: AwsOptionName): never {
  throw invalid(`invalid ${name}: must provide a string value, not a secret`);
}

function stringOrSecret(name: AwsOptionName, v: RawOptionValue): StringOrSecret {
  if (v.kind === 'secret') return { kind: 'secret', name: v.name };
  if (v.kind === 'string' || v.kind === 'ident') return { kind: 'string', text: v.text };
  throw invalid(`invalid ${name}: must provide a string or secret value`);
}

function endpointValue(v: RawOptionValue): string | null {
  const text = stringValue('ENDPOINT', v);
  // `ENDPOINT = ''` means unset (docs/aws-connections.md, "Legal combinations"), so ALTER
  // can clear it too.
  if (text === '') return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(`invalid ENDPOINT: ${JSON.stringify(text)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(`invalid ENDPOINT: ${JSON.stringify(text)} must use http:// or https://`);
  }
  return text;
}

/**
 * Turns raw options into a spec or throws the exact error of docs/aws-connections.md.
 * Checks run in this order, so that one statement always yields the same error: unknown option, repeated option,
 * each value's kind and shape, then the combination table.
 */
export function planAwsConnectionOptions(options: readonly RawOption[]): AwsConnectionSpec {
  const seen = new Map<AwsOptionName, RawOptionValue>();
  for (const opt of options) {
    if (!isAwsOption(opt.name)) {
      // Mirrors Materialize's wording for options of other connection types (BROKER, ...).
      throw new SqlError('42601', `AWS connections do not support ${opt.name} values`);
    }
    if (seen.has(opt.name)) throw new SqlError('42601', `${opt.name} specified more than once`);
    seen.set(opt.name, opt.value);
  }

  const raw = (n: AwsOptionName): RawOptionValue | undefined => seen.get(n);
  const endpointRaw = raw('ENDPOINT');
  const regionRaw = raw('REGION');
  const endpoint = endpointRaw === undefined ? null : endpointValue(endpointRaw);
  const regionText = regionRaw === undefined ? null : stringValue('REGION', regionRaw);
  const region = regionText === '' ? null : regionText;

  const akRaw = raw('ACCESS KEY ID');
  const skRaw = raw('SECRET ACCESS KEY');
  const stRaw = raw('SESSION TOKEN');
  const arnRaw = raw('ASSUME ROLE ARN');
  const snRaw = raw('ASSUME ROLE SESSION NAME');

  const accessKeyId = akRaw === undefined ? undefined : stringOrSecret('ACCESS KEY ID', akRaw);
  let secretAccessKey: SecretRef | undefined;
  if (skRaw !== undefined) {
    // A secret key must never sit in the catalog's create_sql in clear text.
    if (skRaw.kind !== 'secret') throw invalid('invalid SECRET ACCESS KEY: must provide a secret value');
    secretAccessKey = { kind: 'secret', name: skRaw.name };
  }
  const sessionToken = stRaw === undefined ? undefined : stringOrSecret('SESSION TOKEN', stRaw);
  const arn = arnRaw === undefined ? undefined : stringValue('ASSUME ROLE ARN', arnRaw);
  if (arn !== undefined && !ROLE_ARN.test(arn)) {
    // Beyond Materialize (which accepts any string and fails only at first use).
    throw invalid(
      `invalid ASSUME ROLE ARN: ${JSON.stringify(arn)} is not an IAM role ARN ` +
        '(expected arn:aws:iam::<account id>:role/<role name>)',
    );
  }
  const sessionName = snRaw === undefined ? undefined : stringValue('ASSUME ROLE SESSION NAME', snRaw);
  if (sessionName !== undefined && !SESSION_NAME.test(sessionName)) {
    throw invalid(
      `invalid ASSUME ROLE SESSION NAME: ${JSON.stringify(sessionName)} must be 2 to 64 characters ` +
        'of letters, digits and +=,.@_-',
    );
  }

  // The combination table, most specific conflict first.
  const anyCredential = akRaw !== undefined || skRaw !== undefined || stRaw !== undefined;
  if (anyCredential && arn !== undefined) {
    throw invalid('cannot specify both ACCESS KEY ID and ASSUME ROLE ARN');
  }
  if (sessionName !== undefined && arn === undefined) {
    throw invalid('must specify ASSUME ROLE ARN with optional ASSUME ROLE SESSION NAME');
  }
  if (anyCredential) {
    if (accessKeyId === undefined || secretAccessKey === undefined) {
      throw invalid('must specify both ACCESS KEY ID and SECRET ACCESS KEY with optional SESSION TOKEN');
    }
    return { mode: 'credentials', endpoint, region, accessKeyId, secretAccessKey, sessionToken: sessionToken ?? null };
  }
  if (arn !== undefined) {
    return { mode: 'role', endpoint, region, assumeRoleArn: arn, assumeRoleSessionName: sessionName ?? null };
  }
  throw invalid('must specify either ASSUME ROLE ARN or ACCESS KEY ID and SECRET ACCESS KEY');
}

/** One action of `ALTER CONNECTION name SET (...) | DROP (...) | RESET (...)`. */
export type AlterAction =
  { kind: 'set'; option: RawOption } | { kind: 'drop'; name: string } | { kind: 'reset'; name: string };

/**
 * Applies ALTER CONNECTION actions to the options stored for a connection and re-plans the
 * result with `planAwsConnectionOptions`, so an ALTER can never produce a connection that
 * CREATE would refuse. DROP and RESET both return an option to its default, which for every
 * AWS option is "unset" (Materialize treats them alike). Dropping an option that is not set
 * is a no-op. Naming one option in two actions of the same statement is an error, since
 * the outcome would depend on action order. Returns the new option list (stored options in
 * their original order, new ones appended) and its spec.
 */
export function alterAwsConnectionOptions(
  current: readonly RawOption[],
  actions: readonly AlterAction[],
): { options: RawOption[]; spec: AwsConnectionSpec } {
  const touched = new Set<string>();
  const next = current.map((o) => ({ ...o }));
  for (const action of actions) {
    const name = action.kind === 'set' ? action.option.name : action.name;
    if (!isAwsOption(name)) throw new SqlError('42601', `AWS connections do not support ${name} values`);
    if (touched.has(name)) throw new SqlError('42601', `${name} specified more than once`);
    touched.add(name);
    const at = next.findIndex((o) => o.name === name);
    if (action.kind === 'set') {
      if (at === -1) next.push({ ...action.option });
      else next[at] = { ...action.option };
    } else if (at !== -1) {
      next.splice(at, 1);
    }
  }
  return { options: next, spec: planAwsConnectionOptions(next) };
}

/** Names of the secrets a spec references (for USAGE checks and DROP SECRET ... RESTRICT). */
export function referencedSecrets(spec: AwsConnectionSpec): SecretRef[] {
  if (spec.mode !== 'credentials') return [];
  const refs: SecretRef[] = [spec.secretAccessKey];
  if (spec.accessKeyId.kind === 'secret') refs.unshift(spec.accessKeyId);
  if (spec.sessionToken?.kind === 'secret') refs.push(spec.sessionToken);
  return refs;
}
