/**
 * VALIDATE CONNECTION for AWS connections (docs/aws-connections.md, "VALIDATE
 * CONNECTION"): every failure is a `58000 system_error` whose message carries the AWS
 * error code; the text of AWS's own message goes to DETAIL.
 *
 * 1. Obtain credentials exactly as an export does (role mode: the whole chain, with the
 *    external ID) and call sts:GetCallerIdentity.
 * 2. Role mode: obtain credentials again *without* the external ID. Success means the
 *    role's trust policy lets anyone who can act as this server's principal assume it —
 *    the confused-deputy problem the external ID exists to prevent (IAM User Guide, "The
 *    confused deputy problem") — and validation fails.
 * 3. `FOR 's3://bucket/prefix'` (Beyond): prove list, delete and put on that prefix and name
 *    each missing permission.
 *
 * No secret value reaches an error: every text built here passes through `scrub`, which
 * removes the secret values this validation resolved.
 */
import { DeleteObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { randomBytes } from 'node:crypto';
import { SqlError } from '../../errors/index.js';
import type { AwsConnectionSpec, SecretRef } from './options.js';
import { AwsChainError, credentialsFor, s3ClientFor, stsClientFor, type AwsConnectionContext } from './credentials.js';
import { awsErrorCode, awsErrorMessage } from './errors.js';
import { externalId, leastPrivilegePolicy, objectResourceArn, parseS3Uri } from './identity.js';
import { createLogger } from '../../log/index.js';

const log = createLogger('connections.aws');

/** SDK attempts for VALIDATE's own calls: a transient 5xx should not fail a validation. */
const VALIDATE_MAX_ATTEMPTS = 3;

export interface ValidateOptions {
  /** `VALIDATE CONNECTION name FOR 's3://bucket/prefix'`. */
  forS3Uri?: string;
}

function isAccessDenied(err: unknown): boolean {
  const code = awsErrorCode(err);
  const status = (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  return code === 'AccessDenied' || code === 'Forbidden' || status === 403;
}

/**
 * Runs the validation steps of docs/aws-connections.md; resolves when the connection is
 * valid, else throws a SqlError (58000, or 22023 for a malformed FOR URI).
 */
export async function validateAwsConnection(
  spec: AwsConnectionSpec,
  ctx: AwsConnectionContext,
  opts: ValidateOptions = {},
): Promise<void> {
  const target = opts.forS3Uri === undefined ? null : parseS3Uri(opts.forS3Uri);
  if (opts.forS3Uri !== undefined && target === null) {
    throw new SqlError('22023', `invalid S3 URI: ${JSON.stringify(opts.forS3Uri)} (expected s3://bucket/prefix)`);
  }

  // Remember every secret value resolved during this validation so no error can echo one.
  const resolved = new Set<string>();
  const vctx: AwsConnectionContext = {
    ...ctx,
    resolveSecret: async (ref: SecretRef) => {
      const v = await ctx.resolveSecret(ref);
      if (v !== '') resolved.add(v);
      return v;
    },
  };
  const scrub = (text: string | undefined): string | undefined => {
    if (text === undefined) return undefined;
    let out = text;
    for (const v of resolved) out = out.split(v).join('<redacted>');
    return out;
  };
  const fail = (message: string, detail?: string, hint?: string, cause?: unknown): SqlError => {
    const d = scrub(detail);
    const h = scrub(hint);
    return new SqlError('58000', scrub(message) ?? message, {
      ...(d ? { detail: d } : {}),
      ...(h ? { hint: h } : {}),
      // The SDK error may hold request details; it is for the server log only.
      // Callers pass the caught SDK or chain error, an Error; anything else is shown as JSON.
      ...(cause !== undefined ? { cause: scrub(cause instanceof Error ? String(cause) : JSON.stringify(cause)) } : {}),
    });
  };
  const extId = externalId(ctx.identity, ctx.connectionId);

  // Step 1: the real chain, then GetCallerIdentity with its credentials.
  const credentials = credentialsFor(spec, vctx);
  const sts = stsClientFor(spec, vctx, credentials);
  try {
    await sts.send(new GetCallerIdentityCommand({}));
  } catch (err) {
    throw chainFailure(err, spec, extId, fail);
  } finally {
    sts.destroy();
  }

  // Step 2: the confused-deputy guard. Only a refusal proves the trust policy checks the
  // external ID; any other failure (network, throttling) proves nothing and is reported.
  if (spec.mode === 'role') {
    const insecure = credentialsFor(spec, vctx, { withExternalId: false });
    let assumed = false;
    try {
      await insecure();
      assumed = true;
    } catch (err) {
      const refused =
        err instanceof AwsChainError &&
        err.hop === 'user-role' &&
        (err.awsCode === 'AccessDenied' || isAccessDenied(err.cause));
      if (!refused) {
        const code = err instanceof AwsChainError ? err.awsCode : awsErrorCode(err);
        throw fail(
          `could not check whether the role trust policy requires an external ID: ${code}`,
          err instanceof AwsChainError ? err.awsMessage : awsErrorMessage(err),
          undefined,
          err,
        );
      }
    }
    if (assumed) {
      log.warn('insecure trust policy', { connection: ctx.connectionId, role: spec.assumeRoleArn });
      throw fail(
        'role trust policy does not require an external ID',
        `The trust policy for the connection's role (${spec.assumeRoleArn}) is insecure and allows any other user of this server's principal to assume the role.`,
        `Add the condition "Condition": {"StringEquals": {"sts:ExternalId": "${extId}"}} to the statement of the role's trust policy that allows sts:AssumeRole.`,
      );
    }
  }

  // Step 3: prove the export's S3 permissions on the exact prefix.
  if (target !== null) {
    const s3 = s3ClientFor(spec, vctx, { credentials, maxAttempts: VALIDATE_MAX_ATTEMPTS });
    try {
      await probeS3(s3, target.bucket, target.prefix, ctx.connectionId, spec, fail);
    } finally {
      s3.destroy();
    }
  }
}

type Fail = (message: string, detail?: string, hint?: string, cause?: unknown) => SqlError;

const systemError: Fail = (message, detail, hint, cause) =>
  new SqlError('58000', message, {
    ...(detail ? { detail } : {}),
    ...(hint ? { hint } : {}),
    ...(cause !== undefined ? { cause } : {}),
  });

/**
 * A role chain that could not be walked, as VALIDATE and COPY … TO report it: `58000`, the
 * AWS error code in the message (`NoAmbientCredentials` when the server has no identity of
 * its own for the first hop), AWS's own message as DETAIL, and a HINT where one helps.
 */
export function assumeRoleFailure(err: AwsChainError, extId: string, fail: Fail = systemError): SqlError {
  if (err.hop === 'connection-role') {
    return fail(
      `sts:AssumeRole on the server's connection role ${err.roleArn} failed: ${err.awsCode}`,
      err.awsMessage,
      "The server's ambient AWS identity must be allowed to assume its connection role (--aws-connection-role-arn).",
      err,
    );
  }
  return fail(
    `sts:AssumeRole on ${err.roleArn} failed: ${err.awsCode}`,
    err.awsMessage,
    err.awsCode === 'AccessDenied'
      ? `The role's trust policy must allow sts:AssumeRole for this server's principal with the condition "sts:ExternalId": "${extId}" (see example_trust_policy in mz_internal.mz_aws_connections).`
      : undefined,
    err,
  );
}

function chainFailure(err: unknown, spec: AwsConnectionSpec, extId: string, fail: Fail): SqlError {
  if (err instanceof AwsChainError) return assumeRoleFailure(err, extId, fail);
  const code = awsErrorCode(err);
  return fail(
    `sts:GetCallerIdentity failed: ${code}`,
    awsErrorMessage(err),
    spec.mode === 'credentials' && (code === 'InvalidClientTokenId' || code === 'SignatureDoesNotMatch')
      ? 'Check the ACCESS KEY ID and the value of the secret used for SECRET ACCESS KEY.'
      : undefined,
    err,
  );
}

async function probeS3(
  s3: S3Client,
  bucket: string,
  prefix: string,
  connectionId: string,
  spec: AwsConnectionSpec,
  fail: Fail,
): Promise<void> {
  const objects = objectResourceArn(bucket, prefix);
  const dir = prefix === '' ? '' : `${prefix}/`;
  // A fresh name per run: two validations never race on one object, and no user object
  // can be overwritten or deleted by the probe.
  const probeKey = `${dir}ferry-validate-${connectionId}-${randomBytes(6).toString('hex')}.probe`;
  const missing: string[] = [];
  const other = (action: string, err: unknown): SqlError =>
    fail(`${action} on s3://${bucket}/${prefix} failed: ${awsErrorCode(err)}`, awsErrorMessage(err), undefined, err);

  try {
    // The export lists its prefix to check it is empty (docs/exports.md "What is written", preflight).
    await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: dir, MaxKeys: 1 }));
  } catch (err) {
    if (!isAccessDenied(err)) throw other('s3:ListBucket', err);
    missing.push(
      prefix === ''
        ? `missing s3:ListBucket on arn:aws:s3:::${bucket}`
        : `missing s3:ListBucket on arn:aws:s3:::${bucket} for prefix ${dir}`,
    );
  }
  // Delete first, of a key that does not exist yet: S3 answers 204 when permitted, so the
  // permission is proven without leaving an object behind when it turns out missing.
  let canDelete = true;
  try {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: probeKey }));
  } catch (err) {
    if (!isAccessDenied(err)) throw other('s3:DeleteObject', err);
    canDelete = false;
  }
  let put = false;
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: probeKey, Body: 'ferry validate probe\n' }));
    put = true;
  } catch (err) {
    if (!isAccessDenied(err)) throw other('s3:PutObject', err);
    missing.push(`missing s3:PutObject on ${objects}`);
  }
  if (!canDelete) missing.push(`missing s3:DeleteObject on ${objects}`);
  if (put && canDelete) {
    try {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: probeKey }));
    } catch (err) {
      if (!isAccessDenied(err)) throw other('s3:DeleteObject', err);
      missing.push(`missing s3:DeleteObject on ${objects}`);
    }
  }
  if (missing.length === 0) return;
  const leftover = put && !canDelete ? ` The probe object s3://${bucket}/${probeKey} could not be removed.` : '';
  const who = spec.mode === 'role' ? `the role ${spec.assumeRoleArn}` : "the connection's access key";
  throw fail(
    missing.join('; '),
    `VALIDATE CONNECTION ... FOR 's3://${bucket}/${prefix}' tried ListObjectsV2, PutObject and DeleteObject as ${who}.${leftover}`,
    `Grant this permission policy: ${leastPrivilegePolicy(bucket, prefix)}`,
  );
}
