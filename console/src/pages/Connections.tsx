/**
 * AWS connections: the list (mz_catalog.mz_connections joined with
 * mz_internal.mz_aws_connections), a form that writes the CREATE CONNECTION statement,
 * and for each connection its external ID, principal, the example trust policy to paste
 * into the IAM role, a least-privilege permission policy for a chosen bucket/prefix, and
 * VALIDATE CONNECTION with its exact result. Secret values never reach this page: secrets
 * are chosen by name, and the catalog holds none.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { execute, ident, literal, queryObjects, type SqlErrorInfo } from '../api';
import {
  ACTIONS_COLUMN,
  CopyButton,
  ErrorBox,
  Grid,
  ListState,
  OutcomeView,
  errorInfo,
  type Outcome,
} from '../components';

interface Connection {
  id: string;
  schema_name: string | null;
  name: string;
  type: string | null;
  endpoint: string | null;
  region: string | null;
  access_key_id: string | null;
  assume_role_arn: string | null;
  assume_role_session_name: string | null;
  principal: string | null;
  external_id: string | null;
  example_trust_policy: unknown;
}

const LIST_SQL = `SELECT c.id, s.name AS schema_name, c.name, c.type, a.endpoint, a.region, a.access_key_id,
  a.assume_role_arn, a.assume_role_session_name, a.principal, a.external_id, a.example_trust_policy
FROM mz_catalog.mz_connections c
LEFT JOIN mz_catalog.mz_schemas s ON s.id = c.schema_id
LEFT JOIN mz_internal.mz_aws_connections a ON a.id = c.id
ORDER BY s.name, c.name`;

const SECRETS_SQL = `SELECT s.name, sc.name AS schema_name FROM mz_catalog.mz_secrets s
LEFT JOIN mz_catalog.mz_schemas sc ON sc.id = s.schema_id ORDER BY sc.name, s.name`;

/** The "New secret…" choice of the secret selects. */
const NEW_SECRET = '\u0000new';

function qualified(schema: string | null, name: string): string {
  return schema ? `${ident(schema)}.${ident(name)}` : ident(name);
}

/** The least-privilege policy an export to s3://bucket/prefix needs: list the prefix,
 * write and delete objects under it (COPY TO writes, then removes its probe and aborted
 * parts), and abort its own multipart uploads. */
export function permissionPolicy(bucket: string, prefix: string): string {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  const objects = p === '' ? `arn:aws:s3:::${bucket}/*` : `arn:aws:s3:::${bucket}/${p}/*`;
  const list: Record<string, unknown> = {
    Sid: 'ListExportPrefix',
    Effect: 'Allow',
    Action: 's3:ListBucket',
    Resource: `arn:aws:s3:::${bucket}`,
  };
  if (p !== '') list.Condition = { StringLike: { 's3:prefix': [p, `${p}/*`] } };
  return JSON.stringify(
    {
      Version: '2012-10-17',
      Statement: [
        list,
        {
          Sid: 'WriteExportObjects',
          Effect: 'Allow',
          Action: ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
          Resource: objects,
        },
      ],
    },
    null,
    2,
  );
}

function prettyJson(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  // A JSON value from the API: a string is JSON text to re-indent, shown as is if it is not JSON.
  if (typeof v !== 'string') return JSON.stringify(v, null, 2);
  try {
    return JSON.stringify(JSON.parse(v), null, 2);
  } catch {
    return v;
  }
}

export function Connections() {
  const [list, setList] = useState<Connection[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [selected, setSelected] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);

  const load = async (select?: string) => {
    setLoading(true);
    try {
      const rows = (await queryObjects(LIST_SQL)) as unknown as Connection[];
      setList(rows);
      setError(null);
      if (select) setSelected(rows.find((r) => r.name === select)?.id ?? null);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => void load(), []);

  const current = list.find((c) => c.id === selected) ?? null;
  return (
    <div class="connections">
      <div class="page-head">
        <h1>Connections</h1>
        <button
          type="button"
          class="primary"
          onClick={() => setCreating(!creating)}
          aria-expanded={creating}
          aria-controls="create-connection"
        >
          {creating ? 'Close form' : 'New AWS connection'}
        </button>
      </div>
      {creating ? (
        <CreateForm
          onCreated={(name) => {
            setCreating(false);
            void load(name);
          }}
        />
      ) : null}
      <ListState
        error={error}
        loading={loading}
        count={list.length}
        empty="No connections yet. Create one with “New AWS connection”."
      />
      <Grid
        label="Connections"
        columns={['Name', 'Type', 'Mode', 'Region', 'External ID', ACTIONS_COLUMN]}
        rows={list}
        row={(c) => (
          <tr key={c.id} class={c.id === selected ? 'selected' : undefined}>
            <td>
              <button
                type="button"
                class="link"
                onClick={() => setSelected(c.id === selected ? null : c.id)}
                aria-expanded={c.id === selected}
              >
                {c.schema_name ? `${c.schema_name}.` : ''}
                {c.name}
              </button>
            </td>
            <td>{c.type ?? '—'}</td>
            <td>{c.assume_role_arn ? 'assume role' : c.access_key_id ? 'access key' : '—'}</td>
            <td>{c.region ?? '—'}</td>
            <td>
              <code>{c.external_id ?? '—'}</code>
            </td>
            <td>
              <button
                type="button"
                onClick={() => setSelected(c.id === selected ? null : c.id)}
                aria-expanded={c.id === selected}
              >
                {c.id === selected ? 'Hide' : 'Details'}
              </button>
            </td>
          </tr>
        )}
      />
      {current ? <ConnectionDetail key={current.id} c={current} /> : null}
    </div>
  );
}

function ConnectionDetail({ c }: { c: Connection }) {
  const [bucket, setBucket] = useState('');
  const [prefix, setPrefix] = useState('');
  const [checkPrefix, setCheckPrefix] = useState(false);
  const [validating, setValidating] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const trust = prettyJson(c.example_trust_policy);
  const policy = bucket.trim() ? permissionPolicy(bucket.trim(), prefix.trim()) : null;
  const target = bucket.trim() ? `s3://${bucket.trim()}/${prefix.trim().replace(/^\/+/, '')}` : null;

  const validate = async () => {
    setValidating(true);
    setOutcome(null);
    const sql = `VALIDATE CONNECTION ${qualified(c.schema_name, c.name)}${checkPrefix && target ? ` FOR ${literal(target)}` : ''}`;
    try {
      const tag = await execute(sql);
      setOutcome({
        ok: true,
        text: `${tag}: the connection works${checkPrefix && target ? ` and can list, write and delete under ${target}` : ''}.`,
      });
    } catch (err) {
      setOutcome({ ok: false, error: errorInfo(err) });
    } finally {
      setValidating(false);
    }
  };

  return (
    <section class="card detail" aria-labelledby="conn-detail-title">
      <h2 id="conn-detail-title">{c.name}</h2>
      <dl class="facts">
        {c.assume_role_arn ? (
          <>
            <dt>Role ARN</dt>
            <dd>
              <code>{c.assume_role_arn}</code>
            </dd>
          </>
        ) : null}
        {c.assume_role_session_name ? (
          <>
            <dt>Session name</dt>
            <dd>
              <code>{c.assume_role_session_name}</code>
            </dd>
          </>
        ) : null}
        {c.access_key_id ? (
          <>
            <dt>Access key ID</dt>
            <dd>
              <code>{c.access_key_id}</code> (the secret key is stored encrypted and never shown)
            </dd>
          </>
        ) : null}
        {c.region ? (
          <>
            <dt>Region</dt>
            <dd>{c.region}</dd>
          </>
        ) : null}
        {c.endpoint ? (
          <>
            <dt>Endpoint</dt>
            <dd>
              <code>{c.endpoint}</code>
            </dd>
          </>
        ) : null}
        <dt>External ID</dt>
        <dd>
          {c.external_id ? (
            <>
              <code id="external-id">{c.external_id}</code> <CopyButton text={c.external_id} label="Copy external ID" />
            </>
          ) : (
            '— (role mode only)'
          )}
        </dd>
        <dt>Principal</dt>
        <dd>{c.principal ? <code>{c.principal}</code> : '—'}</dd>
      </dl>
      {trust ? (
        <div class="policy">
          <h3>Trust policy for the role</h3>
          <p class="muted">
            Paste this into the trust relationships of <code>{c.assume_role_arn}</code>: it admits this server's
            principal only with this connection's external ID.
          </p>
          <pre aria-label="Example trust policy">
            <code>{trust}</code>
          </pre>
          <CopyButton text={trust} label="Copy trust policy" />
        </div>
      ) : c.assume_role_arn ? (
        <p class="muted">
          No trust policy yet: the server does not know its own AWS principal (it has no ambient AWS identity, and no
          connection role is configured). Start Ferry with AWS credentials in its environment to get one.
        </p>
      ) : null}
      <div class="policy">
        <h3>Permission policy for exports</h3>
        <div class="row">
          <label>
            Bucket
            <input
              value={bucket}
              onInput={(e) => setBucket((e.target as HTMLInputElement).value)}
              placeholder="my-bucket"
              autocomplete="off"
            />
          </label>
          <label>
            Prefix
            <input
              value={prefix}
              onInput={(e) => setPrefix((e.target as HTMLInputElement).value)}
              placeholder="exports/daily"
              autocomplete="off"
            />
          </label>
        </div>
        {policy ? (
          <>
            <p class="muted">
              Least privilege for COPY … TO '{target}': list that prefix, write, delete and abort uploads under it,
              nothing else.
            </p>
            <pre aria-label="Permission policy">
              <code>{policy}</code>
            </pre>
            <CopyButton text={policy} label="Copy permission policy" />
          </>
        ) : (
          <p class="muted">
            Enter a bucket (and optionally a prefix) to get the policy to attach to the role or to the access key's IAM
            user.
          </p>
        )}
      </div>
      <div class="validate">
        <h3>Validate</h3>
        <label class="check">
          <input
            type="checkbox"
            checked={checkPrefix}
            disabled={!target}
            onChange={(e) => setCheckPrefix((e.target as HTMLInputElement).checked)}
          />
          Also check export permissions on {target ?? 'the bucket/prefix above'}
        </label>
        <button type="button" class="primary" onClick={() => void validate()} disabled={validating}>
          {validating ? 'Validating…' : 'Validate'}
        </button>
        <OutcomeView outcome={outcome} errorTitle="Validation failed" />
      </div>
    </section>
  );
}

function CreateForm({ onCreated }: { onCreated: (name: string) => void }) {
  const [name, setName] = useState('');
  const [mode, setMode] = useState<'role' | 'keys'>('role');
  const [roleArn, setRoleArn] = useState('');
  const [sessionName, setSessionName] = useState('');
  const [accessKeyId, setAccessKeyId] = useState('');
  const [secretName, setSecretName] = useState('');
  const [tokenSecret, setTokenSecret] = useState('');
  /** A new secret for the secret access key: its value lives only in this input until sent. */
  const [newSecretName, setNewSecretName] = useState('');
  const [newSecretValue, setNewSecretValue] = useState('');
  const [region, setRegion] = useState('');
  const [endpoint, setEndpoint] = useState('');
  const [validate, setValidate] = useState(false);
  const [secrets, setSecrets] = useState<{ name: string; schema_name: string | null }[]>([]);
  const [secretsError, setSecretsError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<SqlErrorInfo | string | null>(null);

  const loadSecrets = async () => {
    try {
      const rows = (await queryObjects(SECRETS_SQL)) as { name: string; schema_name: string | null }[];
      setSecrets(rows);
      setSecretsError(null);
      return rows;
    } catch (err) {
      setSecretsError(err);
      return [];
    }
  };
  useEffect(() => void loadSecrets(), []);

  const statement = useMemo(() => {
    const opts: string[] = [];
    if (mode === 'role') {
      opts.push(`ASSUME ROLE ARN = ${literal(roleArn.trim())}`);
      if (sessionName.trim()) opts.push(`ASSUME ROLE SESSION NAME = ${literal(sessionName.trim())}`);
    } else {
      opts.push(`ACCESS KEY ID = ${literal(accessKeyId.trim())}`);
      const keyRef =
        secretName === NEW_SECRET
          ? newSecretName.trim()
            ? ident(newSecretName.trim())
            : '<new secret>'
          : secretName || '<secret>';
      opts.push(`SECRET ACCESS KEY = SECRET ${keyRef}`);
      if (tokenSecret) opts.push(`SESSION TOKEN = SECRET ${tokenSecret}`);
    }
    if (region.trim()) opts.push(`REGION = ${literal(region.trim())}`);
    if (endpoint.trim()) opts.push(`ENDPOINT = ${literal(endpoint.trim())}`);
    return `CREATE CONNECTION ${ident(name.trim() || 'name')} TO AWS (\n  ${opts.join(',\n  ')}\n)${validate ? ' WITH (VALIDATE = true)' : ''}`;
  }, [
    name,
    mode,
    roleArn,
    sessionName,
    accessKeyId,
    secretName,
    newSecretName,
    tokenSecret,
    region,
    endpoint,
    validate,
  ]);
  const creatingSecret = mode === 'keys' && secretName === NEW_SECRET;

  const secretRef = (s: { name: string; schema_name: string | null }) => qualified(s.schema_name, s.name);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (creatingSecret) {
        const secret = newSecretName.trim();
        await execute(`CREATE SECRET ${ident(secret)} AS ${literal(newSecretValue)}`);
        // The value is gone from the page once the server has it; from now on the form
        // refers to the secret by name, also if the connection itself fails below.
        setNewSecretValue('');
        const created = (await loadSecrets()).find((x) => x.name === secret);
        setSecretName(created ? secretRef(created) : ident(secret));
        await execute(
          statement.replace(`SECRET ${ident(secret)}`, `SECRET ${created ? secretRef(created) : ident(secret)}`),
        );
      } else {
        await execute(statement);
      }
      onCreated(name.trim());
    } catch (err) {
      setError(errorInfo(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form id="create-connection" class="card form" onSubmit={(e) => void submit(e)} aria-labelledby="create-title">
      <h2 id="create-title">New AWS connection</h2>
      <label>
        Name
        <input
          required
          value={name}
          onInput={(e) => setName((e.target as HTMLInputElement).value)}
          pattern="[A-Za-z_][A-Za-z0-9_$]*"
          title="Letters, digits, _ and $, not starting with a digit"
          autocomplete="off"
        />
      </label>
      <fieldset>
        <legend>How Ferry gets AWS credentials</legend>
        <label class="check">
          <input type="radio" name="mode" checked={mode === 'role'} onChange={() => setMode('role')} />
          Assume an IAM role (recommended: no long-lived keys, protected by an external ID)
        </label>
        <label class="check">
          <input type="radio" name="mode" checked={mode === 'keys'} onChange={() => setMode('keys')} />
          Access key stored as a secret
        </label>
      </fieldset>
      {mode === 'role' ? (
        <div class="row">
          <label>
            Role ARN
            <input
              required
              value={roleArn}
              onInput={(e) => setRoleArn((e.target as HTMLInputElement).value)}
              placeholder="arn:aws:iam::123456789012:role/ferry-export"
              autocomplete="off"
            />
          </label>
          <label>
            Session name (optional)
            <input
              value={sessionName}
              onInput={(e) => setSessionName((e.target as HTMLInputElement).value)}
              autocomplete="off"
            />
          </label>
        </div>
      ) : (
        <div class="row">
          <label>
            Access key ID
            <input
              required
              value={accessKeyId}
              onInput={(e) => setAccessKeyId((e.target as HTMLInputElement).value)}
              autocomplete="off"
            />
          </label>
          <label>
            Secret access key (a secret)
            <select required value={secretName} onChange={(e) => setSecretName((e.target as HTMLSelectElement).value)}>
              <option value="">Choose a secret…</option>
              <option value={NEW_SECRET}>New secret…</option>
              {secrets.map((s) => (
                <option key={secretRef(s)} value={secretRef(s)}>
                  {s.schema_name ? `${s.schema_name}.` : ''}
                  {s.name}
                </option>
              ))}
            </select>
          </label>
          {creatingSecret ? (
            <>
              <label>
                New secret name
                <input
                  required
                  value={newSecretName}
                  onInput={(e) => setNewSecretName((e.target as HTMLInputElement).value)}
                  pattern="[A-Za-z_][A-Za-z0-9_$]*"
                  autocomplete="off"
                />
              </label>
              <label>
                Secret access key value
                <input
                  required
                  type="password"
                  value={newSecretValue}
                  onInput={(e) => setNewSecretValue((e.target as HTMLInputElement).value)}
                  autocomplete="new-password"
                />
              </label>
            </>
          ) : null}
          <label>
            Session token (optional secret)
            <select value={tokenSecret} onChange={(e) => setTokenSecret((e.target as HTMLSelectElement).value)}>
              <option value="">None</option>
              {secrets.map((s) => (
                <option key={secretRef(s)} value={secretRef(s)}>
                  {s.schema_name ? `${s.schema_name}.` : ''}
                  {s.name}
                </option>
              ))}
            </select>
          </label>
          <p class="muted full">
            Secrets are referenced by name. A new secret's value is sent once, stored encrypted, and never shown again.
          </p>
          {secretsError ? <ErrorBox error={errorInfo(secretsError)} title="Could not list secrets" /> : null}
        </div>
      )}
      <div class="row">
        <label>
          Region (optional)
          <input
            value={region}
            onInput={(e) => setRegion((e.target as HTMLInputElement).value)}
            placeholder="us-east-1"
            autocomplete="off"
          />
        </label>
        <label>
          Endpoint (optional, S3-compatible stores)
          <input
            value={endpoint}
            onInput={(e) => setEndpoint((e.target as HTMLInputElement).value)}
            placeholder="https://s3.example.com"
            autocomplete="off"
          />
        </label>
      </div>
      <label class="check">
        <input
          type="checkbox"
          checked={validate}
          onChange={(e) => setValidate((e.target as HTMLInputElement).checked)}
        />
        Validate while creating (the role's trust policy must already name this connection's external ID, so usually
        validate after)
      </label>
      <details>
        <summary>Statement</summary>
        <pre>
          <code>
            {creatingSecret ? `CREATE SECRET ${ident(newSecretName.trim() || 'name')} AS '********';\n` : ''}
            {statement}
          </code>
        </pre>
      </details>
      <div class="toolbar">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create connection'}
        </button>
      </div>
      {error ? <ErrorBox error={error} title="Could not create the connection" /> : null}
    </form>
  );
}
