/**
 * The SQL side of secrets and AWS connections (docs/aws-connections.md): resolving
 * names, privileges, catalog rows, encryption at rest, and calling src/connections/aws for
 * option planning, credential chains and VALIDATE. The AWS unit never sees the catalog;
 * this module hands it specs with resolved secret ids and a `resolveSecret` callback that
 * decrypts the current value at each use (so ALTER SECRET takes effect at the next use).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { DuckDBConnection } from '@duckdb/node-api';
import * as catalog from '../catalog/index.js';
import { SecretBox } from '../catalog/secret-box.js';
import {
  AWS_OPTION_NAMES,
  AwsChainError,
  type AmbientAws,
  type AwsConnectionContext,
  type AwsConnectionSpec,
  type AwsIdentityConfig,
  type RawOption as AwsRawOption,
  type SecretRef,
  PrincipalResolver,
  alterAwsConnectionOptions,
  assumeRoleFailure,
  awsConnectionRow,
  credentialsFor,
  exampleTrustPolicy,
  externalId,
  leastPrivilegePolicy,
  parseS3Uri,
  planAwsConnectionOptions,
  referencedSecrets,
  s3ClientFor,
  sharedAmbientCredentials,
  validateAwsConnection,
  withDeadline,
} from '../connections/aws/index.js';
import {
  POSTGRES_OPTION_NAMES,
  type PostgresConnectionSpec,
  alterPostgresConnectionOptions,
  planPostgresConnectionOptions,
  postgresReferencedSecrets,
  validatePostgresConnection,
} from '../connections/postgres/index.js';
import { SqlError, quoteIdent, unsupported } from '../errors/index.js';
import type { RawOption, Statement } from '../sql/ast.js';
import type { ExecContext, ExecOutcome } from './api.js';
import { staticRows, textField } from './results.js';
import type { AwsAccess, HandlerSession, Services } from './services.js';

const JSONB_OID = 3802;

const T = catalog.INTERNAL_SCHEMA;

/**
 * How long a role-mode CREATE CONNECTION (or SHOW PERMISSION POLICY, or start-up) waits for
 * the principal when it is not known yet, so that a catalog read right after it shows the
 * principal; after that the statement goes on and the columns stay NULL until the
 * background lookup succeeds. The statement never needs the principal itself.
 */
export const PRINCIPAL_WAIT_MS = 2000;

/**
 * While the server's principal is not known, mz_aws_connections.principal says why
 * (`unknown: <reason>`), and the example trust policy names this placeholder where the
 * principal goes, so the rest of the policy (the external ID condition) can be prepared;
 * AWS refuses the placeholder, so the policy cannot be applied before it is replaced.
 */
export const PRINCIPAL_UNKNOWN_PREFIX = 'unknown: ';
export const PRINCIPAL_PLACEHOLDER = "<this server's AWS principal: see mz_aws_connections.principal>";

/** Deployment-wide AWS state, built once at start-up. */
export class AwsConnections implements AwsAccess {
  readonly identity: AwsIdentityConfig;
  /** The server's own credentials, through the SDK's default chain with a deadline. */
  readonly ambient: AmbientAws = { credentials: sharedAmbientCredentials() };
  readonly principals: PrincipalResolver;
  /** The engine connection that writes the current principal (see `start`). */
  private conn: DuckDBConnection | null = null;

  constructor(
    readonly services: Services,
    readonly box: SecretBox,
  ) {
    this.identity = {
      environmentId: services.environmentId,
      externalIdPrefix: services.config.awsExternalIdPrefix,
      connectionRoleArn: services.config.awsConnectionRoleArn,
    };
    this.principals = new PrincipalResolver(this.identity, this.ambient, {
      onChange: (p) => this.recordPrincipal(p),
      onUnknown: (reason) => this.recordUnknown(reason),
    });
  }

  /**
   * Start-up: mz_aws_connections reads the principal from a one-row table written here
   * whenever the resolver finds a different one, so catalog reads never wait on AWS. The
   * background lookup runs only once some role-mode connection exists (a server that
   * exports nothing makes no AWS calls); when one does at start-up, the first lookup gets
   * the same short wait as CREATE CONNECTION, so reads right after start see it.
   */
  async start(): Promise<void> {
    this.conn = await this.services.engine.connect();
    const rows = await catalog.queryRows(
      this.conn,
      `SELECT 1 FROM mz_internal.mz_aws_connections WHERE external_id IS NOT NULL LIMIT 1`,
    );
    if (rows.length > 0) await this.principalSoon();
  }

  stop(): void {
    this.principals.stop();
    this.conn?.closeSync();
    this.conn = null;
  }

  private async recordPrincipal(principal: string): Promise<void> {
    if (this.conn === null) throw new Error('AWS connections not started');
    await this.conn.run(`UPDATE ${T}.aws_principal SET principal = $1, reason = NULL`, [principal]);
  }

  /** Why the principal is not known (shown in mz_aws_connections.principal until it is). */
  private async recordUnknown(reason: string): Promise<void> {
    if (this.conn === null) return;
    await this.conn.run(`UPDATE ${T}.aws_principal SET reason = $1 WHERE principal IS NULL`, [reason]);
  }

  /**
   * For statements that create or show a role-mode connection: starts the background
   * lookup, and when no principal is known yet waits for one at most PRINCIPAL_WAIT_MS.
   * Never fails; a failed lookup is logged by the resolver.
   */
  async principalSoon(): Promise<void> {
    this.principals.watch();
    if (this.principals.known() !== null) return;
    await withDeadline(
      this.principals.principal(),
      PRINCIPAL_WAIT_MS,
      () => new Error('principal not known yet'),
    ).catch(() => undefined);
  }

  /** Credentials context of a connection; secrets are read through `conn` at each use. */
  context(conn: DuckDBConnection, connectionId: string): AwsConnectionContext {
    return {
      identity: this.identity,
      connectionId,
      ambient: this.ambient,
      resolveSecret: (ref: SecretRef) => this.secretValue(conn, ref),
    };
  }

  /** Decrypts the current value of a referenced secret (by id, as stored at CREATE). */
  async secretValue(conn: DuckDBConnection, ref: SecretRef): Promise<string> {
    if (!ref.id) throw new SqlError('XX000', 'internal error', { cause: new Error('secret reference without id') });
    const sealed = await catalog.getSecretValue(conn, ref.id);
    if (!sealed) throw new SqlError('42704', `unknown secret '${ref.name}'`);
    return this.box.open(sealed.toString('utf8'), ref.id);
  }

  /** Looks up an AWS connection for use by COPY / VALIDATE: kind and USAGE checked. */
  async forUse(
    session: HandlerSession,
    name: string,
  ): Promise<{ obj: catalog.CatalogObject; spec: AwsConnectionSpec; ctx: AwsConnectionContext }> {
    const obj = await session.resolveItem({ parts: name.split('.') });
    if (obj.kind !== 'connection') throw new SqlError('42809', `${catalog.fullName(obj)} is not a connection`);
    if (obj.details.type !== 'aws')
      throw new SqlError('42809', 'only AWS CONNECTION is supported for COPY ... TO <expr>');
    await session.requirePrivilege(obj, 'U', 'USAGE');
    const spec = obj.details.spec as AwsConnectionSpec;
    return { obj, spec, ctx: this.context(session.conn, obj.id) };
  }

  s3Client(spec: AwsConnectionSpec, ctx: AwsConnectionContext): S3Client {
    return s3ClientFor(spec, ctx);
  }

  /**
   * The S3 client of an export, with the connection's credentials obtained first: a chain
   * that cannot be walked (no ambient identity, a role that refuses) fails the export as
   * itself, as VALIDATE reports it, before any request touches the target path, and not
   * as an error of the first S3 call. The provider keeps what it obtained for the client.
   */
  async exportClient(spec: AwsConnectionSpec, ctx: AwsConnectionContext): Promise<S3Client> {
    const credentials = credentialsFor(spec, ctx);
    try {
      await credentials();
    } catch (err) {
      throw err instanceof AwsChainError ? assumeRoleFailure(err, externalId(ctx.identity, ctx.connectionId)) : err;
    }
    return s3ClientFor(spec, ctx, { credentials });
  }
}

function toAwsOption(o: RawOption): AwsRawOption {
  const v = o.value;
  switch (v.kind) {
    case 'secret':
      return { name: o.name, value: { kind: 'secret', name: v.name.parts.join('.') } };
    case 'list':
      throw new SqlError('22023', `invalid ${o.name}: expected a single value`);
    case 'none':
      throw new SqlError('22023', `invalid ${o.name}: a value is required`);
    default:
      return { name: o.name, value: { kind: v.kind, text: v.text } };
  }
}

function sqlLiteral(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** Resolves every secret a spec references: fills ids, checks USAGE. */
async function resolveSecretRefs(session: HandlerSession, refs: SecretRef[]): Promise<catalog.CatalogObject[]> {
  const out: catalog.CatalogObject[] = [];
  for (const ref of refs) {
    const obj = await session.findItem({ parts: ref.name.split('.') });
    if (!obj || obj.kind !== 'secret') throw new SqlError('42704', `unknown catalog item '${ref.name}'`);
    await session.requirePrivilege(obj, 'U', 'USAGE');
    ref.id = obj.id;
    out.push(obj);
  }
  return out;
}

/** Normalized SHOW CREATE text: qualified quoted names, fixed option order, `=` always. */
async function connectionCreateSql(
  session: HandlerSession,
  schemaName: string,
  name: string,
  options: AwsRawOption[],
  type: 'AWS' | 'POSTGRES' = 'AWS',
): Promise<string> {
  const parts: string[] = [];
  for (const optName of type === 'AWS' ? AWS_OPTION_NAMES : POSTGRES_OPTION_NAMES) {
    const o = options.find((x) => x.name === optName);
    if (!o) continue;
    const v = o.value;
    // `ENDPOINT = ''` (and an empty REGION) mean unset: the normalized text leaves them out.
    if ((optName === 'ENDPOINT' || optName === 'REGION') && v.kind !== 'secret' && v.text === '') continue;
    if (v.kind === 'secret') {
      const obj = await session.findItem({ parts: v.name.split('.') });
      parts.push(`${optName} = SECRET ${obj ? qualified(obj) : v.name}`);
    } else if (optName === 'PORT') parts.push(`${optName} = ${Number(v.text)}`);
    else parts.push(`${optName} = ${sqlLiteral(v.text)}`);
  }
  return `CREATE CONNECTION ${quoteIdent(catalog.DEFAULT_DATABASE)}.${quoteIdent(schemaName)}.${quoteIdent(name)} TO ${type} (${parts.join(', ')})`;
}

function qualified(o: catalog.CatalogObject): string {
  return `${quoteIdent(catalog.DEFAULT_DATABASE)}.${quoteIdent(o.schemaName!)}.${quoteIdent(o.name)}`;
}

export function installConnectionHandlers(services: Services, aws: AwsConnections): void {
  const h = services.extraHandlers;

  h.set('create-secret', async (session, stmt) => {
    const s = stmt as Statement & { kind: 'create-secret' };
    return session.atomically(async () => {
      const schemaName = session.creationSchema(s.name);
      const name = s.name.parts[s.name.parts.length - 1]!;
      await session.requireCreateIn(schemaName);
      if (await catalog.findItem(session.conn, schemaName, name)) {
        if (s.ifNotExists) return { kind: 'command', tag: 'CREATE SECRET' };
        throw new SqlError('42710', `catalog item '${name}' already exists`);
      }
      const id = await catalog.allocateId(session.conn, 'item');
      const createSql = `CREATE SECRET ${quoteIdent(catalog.DEFAULT_DATABASE)}.${quoteIdent(schemaName)}.${quoteIdent(name)} AS '********'`;
      await catalog.insertObject(session.conn, {
        id,
        kind: 'secret',
        schemaName,
        name,
        ownerId: session.role.id,
        createSql,
        redactedSql: createSql,
        details: {},
      });
      await catalog.putSecretValue(session.conn, id, Buffer.from(aws.box.seal(s.value, id)));
      session.log.info('secret created', { id, name });
      return { kind: 'command', tag: 'CREATE SECRET' };
    });
  });

  h.set('alter-secret', async (session, stmt) => {
    const s = stmt as Statement & { kind: 'alter-secret' };
    return session.atomically(async () => {
      const obj = await session.findItem(s.name);
      if (!obj) {
        if (s.ifExists) return { kind: 'command', tag: 'ALTER SECRET' };
        throw new SqlError('42704', `unknown catalog item '${s.name.parts.join('.')}'`);
      }
      if (obj.kind !== 'secret') throw new SqlError('42809', `${catalog.fullName(obj)} is not a secret`);
      await session.requireOwner(obj);
      await catalog.putSecretValue(session.conn, obj.id, Buffer.from(aws.box.seal(s.value, obj.id)));
      session.log.info('secret altered', { id: obj.id, name: obj.name });
      return { kind: 'command', tag: 'ALTER SECRET' };
    });
  });

  const dropKind =
    (kind: 'secret' | 'connection') =>
    async (session: HandlerSession, stmt: Statement, _sql: string, ctx: ExecContext): Promise<ExecOutcome> => {
      const s = stmt as Statement & { kind: 'drop-objects' };
      return session.atomically(async () => {
        for (const name of s.names) {
          const obj = await session.findItem(name);
          if (!obj) {
            if (s.ifExists) {
              ctx.notice({
                severity: 'NOTICE',
                code: '00000',
                message: `${kind} "${name.parts.join('.')}" does not exist, skipping`,
              });
              continue;
            }
            throw new SqlError('42704', `unknown catalog item '${name.parts.join('.')}'`);
          }
          if (obj.kind !== kind) throw new SqlError('42809', `${catalog.fullName(obj)} is not a ${kind}`);
          await session.requireOwner(obj);
          const deps = await catalog.dependents(session.conn, obj.id);
          // Directly, or through a connection a CASCADE would drop (a secret's dependents).
          let source = deps.find((d) => d.kind === 'source');
          for (const d of deps)
            source ??= (await catalog.dependents(session.conn, d.id)).find((x) => x.kind === 'source');
          if (source) {
            // A source owns tables and a replication slot: DROP SOURCE removes them.
            throw new SqlError(
              '2BP01',
              `cannot drop ${kind} ${catalog.fullName(obj)}: still depended upon by source "${source.name}"`,
              { hint: `Drop the source first: DROP SOURCE ${catalog.fullName(source)};` },
            );
          }
          if (deps.length && !s.cascade) {
            throw new SqlError(
              '2BP01',
              `cannot drop ${kind} ${catalog.fullName(obj)}: still depended upon by ${catalog.kindLabel(deps[0]!.kind).toLowerCase()} "${deps[0]!.name}"`,
              {
                hint: 'Use DROP ... CASCADE to drop the dependent objects too.',
              },
            );
          }
          for (const d of deps) await catalog.deleteObject(session.conn, d.id);
          await catalog.deleteObject(session.conn, obj.id);
          session.log.info(`${kind} dropped`, { id: obj.id, name: obj.name });
        }
        return { kind: 'command', tag: `DROP ${kind.toUpperCase()}` };
      });
    };
  h.set('drop-secret', dropKind('secret'));
  h.set('drop-connection', dropKind('connection'));

  /** Stores a connection's spec and its mz_aws_connections row; re-run on ALTER. */
  const storeConnection = async (
    session: HandlerSession,
    obj: { id: string; schemaName: string; name: string },
    options: AwsRawOption[],
    spec: AwsConnectionSpec,
    isNew: boolean,
  ): Promise<void> => {
    const secrets = await resolveSecretRefs(session, referencedSecrets(spec));
    // The principal is not stored: the view reads the server's current one (AWS_CONNECTIONS_VIEW_SQL).
    const row = awsConnectionRow(spec, aws.identity, obj.id, null);
    // Secret references in stored options carry ids so SHOW CREATE follows renames.
    const createSql = await connectionCreateSql(session, obj.schemaName, obj.name, options);
    const details = { type: 'aws', options, spec, awsRow: row };
    if (isNew) {
      await catalog.insertObject(session.conn, {
        id: obj.id,
        kind: 'connection',
        schemaName: obj.schemaName,
        name: obj.name,
        ownerId: session.role.id,
        createSql,
        redactedSql: createSql,
        details,
      });
    } else {
      await catalog.updateObject(session.conn, obj.id, { createSql, redactedSql: createSql, details });
      await session.conn.run(`DELETE FROM ${T}.dependencies WHERE object_id = $1`, [obj.id]);
    }
    for (const s of secrets) await catalog.addDependency(session.conn, obj.id, s.id);
  };

  /** Stores a PostgreSQL connection's options and spec; re-run on ALTER. */
  const storePostgres = async (
    session: HandlerSession,
    obj: { id: string; schemaName: string; name: string },
    options: AwsRawOption[],
    spec: PostgresConnectionSpec,
    isNew: boolean,
  ): Promise<void> => {
    const secrets = await resolveSecretRefs(session, postgresReferencedSecrets(spec));
    const createSql = await connectionCreateSql(session, obj.schemaName, obj.name, options, 'POSTGRES');
    const details = { type: 'postgres', options, spec };
    if (isNew) {
      await catalog.insertObject(session.conn, {
        id: obj.id,
        kind: 'connection',
        schemaName: obj.schemaName,
        name: obj.name,
        ownerId: session.role.id,
        createSql,
        redactedSql: createSql,
        details,
      });
    } else {
      await catalog.updateObject(session.conn, obj.id, { createSql, redactedSql: createSql, details });
      await session.conn.run(`DELETE FROM ${T}.dependencies WHERE object_id = $1`, [obj.id]);
    }
    for (const sec of secrets) await catalog.addDependency(session.conn, obj.id, sec.id);
  };

  // PostgreSQL connections are validated when created or altered unless VALIDATE = false,
  // as in Materialize (an AWS connection is validated only when asked).
  const createPostgres = async (
    session: HandlerSession,
    s: Statement & { kind: 'create-connection' },
  ): Promise<ExecOutcome> => {
    const options = s.options.map(toAwsOption);
    const spec = planPostgresConnectionOptions(options);
    const schemaName = session.creationSchema(s.name);
    const name = s.name.parts[s.name.parts.length - 1]!;
    return session.atomically(async () => {
      await session.requireCreateIn(schemaName);
      if (await catalog.findItem(session.conn, schemaName, name)) {
        if (s.ifNotExists) return { kind: 'command', tag: 'CREATE CONNECTION' };
        throw new SqlError('42710', `catalog item '${name}' already exists`);
      }
      const id = await catalog.allocateId(session.conn, 'item');
      await storePostgres(session, { id, schemaName, name }, options, spec, true);
      if (s.validate !== false) await validatePostgresConnection(spec, (ref) => aws.secretValue(session.conn, ref));
      session.log.info('connection created', { id, name, type: 'postgres', host: spec.host, port: spec.port });
      return { kind: 'command', tag: 'CREATE CONNECTION' };
    });
  };

  const alterPostgres = async (
    session: HandlerSession,
    obj: catalog.CatalogObject,
    s: Statement & { kind: 'alter-connection' },
  ): Promise<ExecOutcome> => {
    const current = (obj.details.options ?? []) as AwsRawOption[];
    const { options, spec } = alterPostgresConnectionOptions(
      current,
      s.actions.map((a) =>
        a.action === 'set' ? { kind: 'set', option: toAwsOption(a.option) } : { kind: a.action, name: a.option.name },
      ),
    );
    await storePostgres(session, { id: obj.id, schemaName: obj.schemaName!, name: obj.name }, options, spec, false);
    if (s.validate !== false) await validatePostgresConnection(spec, (ref) => aws.secretValue(session.conn, ref));
    session.log.info('connection altered', { id: obj.id, name: obj.name, type: 'postgres' });
    return { kind: 'command', tag: 'ALTER CONNECTION' };
  };

  h.set('create-connection', async (session, stmt) => {
    const s = stmt as Statement & { kind: 'create-connection' };
    if (s.connType === 'POSTGRES') return createPostgres(session, s);
    if (s.connType !== 'AWS') throw unsupported(`CREATE CONNECTION ... TO ${s.connType}`);
    const options = s.options.map(toAwsOption);
    const spec = planAwsConnectionOptions(options);
    const schemaName = session.creationSchema(s.name);
    const name = s.name.parts[s.name.parts.length - 1]!;
    // Outside the transaction: the wait is bounded, but no catalog write should be held for it.
    if (spec.mode === 'role') await aws.principalSoon();
    return session.atomically(async () => {
      await session.requireCreateIn(schemaName);
      if (await catalog.findItem(session.conn, schemaName, name)) {
        if (s.ifNotExists) return { kind: 'command', tag: 'CREATE CONNECTION' };
        throw new SqlError('42710', `catalog item '${name}' already exists`);
      }
      const id = await catalog.allocateId(session.conn, 'item');
      await storeConnection(session, { id, schemaName, name }, options, spec, true);
      if (s.validate === true) await validateAwsConnection(spec, aws.context(session.conn, id));
      session.log.info('connection created', { id, name, mode: spec.mode });
      return { kind: 'command', tag: 'CREATE CONNECTION' };
    });
  });

  h.set('alter-connection', async (session, stmt) => {
    const s = stmt as Statement & { kind: 'alter-connection' };
    let alteredId: string | null = null;
    const out = await session.atomically(async (): Promise<ExecOutcome> => {
      const obj = await session.findItem(s.name);
      if (!obj) {
        if (s.ifExists) return { kind: 'command', tag: 'ALTER CONNECTION' };
        throw new SqlError('42704', `unknown catalog item '${s.name.parts.join('.')}'`);
      }
      if (obj.kind !== 'connection') throw new SqlError('42809', `${catalog.fullName(obj)} is not a connection`);
      await session.requireOwner(obj);
      if (obj.details.type === 'postgres') {
        alteredId = obj.id;
        return alterPostgres(session, obj, s);
      }
      const current = (obj.details.options ?? []) as AwsRawOption[];
      const { options, spec } = alterAwsConnectionOptions(
        current,
        s.actions.map((a) =>
          a.action === 'set' ? { kind: 'set', option: toAwsOption(a.option) } : { kind: a.action, name: a.option.name },
        ),
      );
      // Inside the transaction: start the lookup, but do not wait for it here.
      if (spec.mode === 'role') aws.principals.watch();
      await storeConnection(session, { id: obj.id, schemaName: obj.schemaName!, name: obj.name }, options, spec, false);
      if (s.validate === true) await validateAwsConnection(spec, aws.context(session.conn, obj.id));
      session.log.info('connection altered', { id: obj.id, name: obj.name, mode: spec.mode });
      return { kind: 'command', tag: 'ALTER CONNECTION' };
    });
    // Sources on the connection reconnect with its new options (once they are committed).
    if (alteredId && !session.inTransactionBlock()) await session.services.connectionAltered?.(alteredId);
    return out;
  });

  h.set('show-permission-policy', async (session, stmt) => {
    const s = stmt as Statement & { kind: 'show-permission-policy' };
    const obj = await session.resolveItem(s.name);
    if (obj.kind !== 'connection' || obj.details.type !== 'aws')
      throw new SqlError('42809', `${catalog.fullName(obj)} is not an AWS connection`);
    await session.requirePrivilege(obj, 'U', 'USAGE');
    const target = parseS3Uri(s.uri);
    if (!target) throw new SqlError('22023', `invalid S3 URI: ${JSON.stringify(s.uri)} (expected s3://bucket/prefix)`);
    const row = obj.details.awsRow as { external_id?: string | null } | undefined;
    let trust: string | null = null;
    if (row?.external_id) {
      await aws.principalSoon();
      trust = exampleTrustPolicy(aws.principals.known() ?? PRINCIPAL_PLACEHOLDER, row.external_id);
    }
    return staticRows(
      [
        textField('connection'),
        textField('uri'),
        textField('permission_policy', JSONB_OID),
        textField('trust_policy', JSONB_OID),
      ],
      [[catalog.fullName(obj), s.uri, leastPrivilegePolicy(target.bucket, target.prefix), trust]],
      () => 'SELECT 1',
    );
  });

  h.set('validate-connection', async (session, stmt) => {
    const s = stmt as Statement & { kind: 'validate-connection' };
    const obj = await session.resolveItem(s.name);
    if (obj.kind !== 'connection')
      throw new SqlError('42809', `cannot validate ${obj.kind.replace('-', ' ')} "${obj.name}"`);
    await session.requirePrivilege(obj, 'U', 'USAGE');
    if (obj.details.type === 'postgres') {
      await validatePostgresConnection(obj.details.spec as PostgresConnectionSpec, (ref) =>
        aws.secretValue(session.conn, ref),
      );
      session.log.info('connection validated', { id: obj.id, name: obj.name, type: 'postgres' });
      return { kind: 'command', tag: 'VALIDATE CONNECTION' };
    }
    const spec = obj.details.spec as AwsConnectionSpec;
    await validateAwsConnection(
      spec,
      aws.context(session.conn, obj.id),
      s.forUri === null ? {} : { forS3Uri: s.forUri },
    );
    session.log.info('connection validated', { id: obj.id, name: obj.name });
    return { kind: 'command', tag: 'VALIDATE CONNECTION' };
  });
}

/**
 * mz_internal.mz_aws_connections: one row per AWS connection. Everything but the principal
 * comes from the row stored at CREATE / ALTER. `principal` and `example_trust_policy` are
 * the server's identity *now*: they read `aws_principal`, the one-row table the background
 * lookup keeps current (recreated empty at every start, so a principal from an earlier run
 * with other credentials never shows). The policy is built with DuckDB's json_object in the
 * exact key order of `exampleTrustPolicy` (src/connections/aws/identity.ts);
 * test/connections/ambient.test.ts checks that the two texts are equal.
 */
export const AWS_CONNECTIONS_VIEW_SQL = `
CREATE OR REPLACE TABLE ${T}.aws_principal AS
  SELECT NULL::TEXT AS principal, 'the lookup (sts:GetCallerIdentity) has not answered yet'::TEXT AS reason;
CREATE OR REPLACE VIEW mz_internal.mz_aws_connections AS
  SELECT r.id, r.endpoint, r.region, r.access_key_id, r.access_key_id_secret_id, r.secret_access_key_secret_id,
    r.session_token, r.session_token_secret_id, r.assume_role_arn, r.assume_role_session_name,
    CASE WHEN r.external_id IS NOT NULL THEN coalesce(r.principal, '${PRINCIPAL_UNKNOWN_PREFIX}' || r.reason) END AS principal,
    r.external_id,
    CASE WHEN r.external_id IS NOT NULL THEN json_object('Statement', json_array(json_object(
      'Action', 'sts:AssumeRole',
      'Condition', json_object('StringEquals', json_object('sts:ExternalId', r.external_id)),
      'Effect', 'Allow',
      'Principal', json_object('AWS', coalesce(r.principal, '${PRINCIPAL_PLACEHOLDER.replace(/'/g, "''")}')))), 'Version', '2012-10-17') END AS example_trust_policy
  FROM (
    SELECT o.id,
      json_extract_string(o.details, '$.awsRow.endpoint') AS endpoint,
      json_extract_string(o.details, '$.awsRow.region') AS region,
      json_extract_string(o.details, '$.awsRow.access_key_id') AS access_key_id,
      json_extract_string(o.details, '$.awsRow.access_key_id_secret_id') AS access_key_id_secret_id,
      json_extract_string(o.details, '$.awsRow.secret_access_key_secret_id') AS secret_access_key_secret_id,
      json_extract_string(o.details, '$.awsRow.session_token') AS session_token,
      json_extract_string(o.details, '$.awsRow.session_token_secret_id') AS session_token_secret_id,
      json_extract_string(o.details, '$.awsRow.assume_role_arn') AS assume_role_arn,
      json_extract_string(o.details, '$.awsRow.assume_role_session_name') AS assume_role_session_name,
      -- Filled in role mode only (docs/aws-connections.md, "Catalog rows"); the external
      -- ID marks role mode.
      CASE WHEN json_extract_string(o.details, '$.awsRow.external_id') IS NOT NULL
        THEN (SELECT p.principal FROM ${T}.aws_principal p) END AS principal,
      (SELECT p.reason FROM ${T}.aws_principal p) AS reason,
      json_extract_string(o.details, '$.awsRow.external_id') AS external_id
    FROM ${T}.objects o WHERE o.kind = 'connection' AND json_extract_string(o.details, '$.type') = 'aws'
  ) r;
`;
