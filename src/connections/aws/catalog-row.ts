/**
 * The values of one `mz_internal.mz_aws_connections` row (docs/aws-connections.md,
 * "Catalog rows"), derived from a planned spec. The catalog owns storage and the column
 * types; this only decides what each column holds, so the rule "principal, external_id and
 * example_trust_policy are filled in role mode" lives next to the code that makes them.
 */
import type { AwsConnectionSpec, StringOrSecret } from './options.js';
import { exampleTrustPolicy, externalId, type AwsIdentityConfig } from './identity.js';

/** Column name → text value or null; `example_trust_policy` is jsonb text. */
export interface AwsConnectionRow {
  id: string;
  endpoint: string | null;
  region: string | null;
  access_key_id: string | null;
  access_key_id_secret_id: string | null;
  secret_access_key_secret_id: string | null;
  session_token: string | null;
  session_token_secret_id: string | null;
  assume_role_arn: string | null;
  assume_role_session_name: string | null;
  principal: string | null;
  external_id: string | null;
  example_trust_policy: string | null;
}

/** The secret-id column needs `SecretRef.id`, which the SQL layer fills when resolving. */
function split(v: StringOrSecret | null): { text: string | null; secretId: string | null } {
  if (v === null) return { text: null, secretId: null };
  // Literal values are not secret: docs/aws-connections.md allows ACCESS KEY ID and
  // SESSION TOKEN as text.
  return v.kind === 'string' ? { text: v.text, secretId: null } : { text: null, secretId: v.id ?? null };
}

/**
 * `principal` is the server's principal (`PrincipalResolver`), or null when it is not known
 * (role-mode policy columns then stay null rather than showing a wrong policy). The server
 * stores the row with null: the mz_aws_connections view fills principal and policy from the
 * principal as it is at read time (src/adapter/connections.ts), by these same rules.
 */
export function awsConnectionRow(
  spec: AwsConnectionSpec,
  cfg: AwsIdentityConfig,
  connectionId: string,
  principal: string | null,
): AwsConnectionRow {
  const common = { id: connectionId, endpoint: spec.endpoint, region: spec.region };
  if (spec.mode === 'credentials') {
    const ak = split(spec.accessKeyId);
    const st = split(spec.sessionToken);
    return {
      ...common,
      access_key_id: ak.text,
      access_key_id_secret_id: ak.secretId,
      secret_access_key_secret_id: spec.secretAccessKey.id ?? null,
      session_token: st.text,
      session_token_secret_id: st.secretId,
      assume_role_arn: null,
      assume_role_session_name: null,
      principal: null,
      external_id: null,
      example_trust_policy: null,
    };
  }
  const extId = externalId(cfg, connectionId);
  return {
    ...common,
    access_key_id: null,
    access_key_id_secret_id: null,
    secret_access_key_secret_id: null,
    session_token: null,
    session_token_secret_id: null,
    assume_role_arn: spec.assumeRoleArn,
    assume_role_session_name: spec.assumeRoleSessionName,
    principal,
    external_id: extId,
    example_trust_policy: principal === null ? null : exampleTrustPolicy(principal, extId),
  };
}
