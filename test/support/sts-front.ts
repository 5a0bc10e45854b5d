// The STS front: one loopback endpoint that serves both STS and S3, because a Ferry AWS
// connection has a single ENDPOINT for every service it uses.
//
// - STS requests (SigV4 credential scope service `sts`) are answered here: the caller's
//   signature is verified, AssumeRole evaluates the role's *intended* trust policy (read
//   from RGW with GetRole — RGW stores it but cannot evaluate sts:ExternalId) and, when it
//   allows the call, returns real temporary credentials from RGW's AssumeRole on the twin
//   role `<name>-twin` (same permission policies, trusting only the admin user).
//   GetCallerIdentity answers for RGW users and for the sessions issued here.
// - Everything else (S3, IAM) is streamed unchanged to RGW, which verifies signatures and
//   enforces the role's permission policy itself. Requests carrying a session issued here
//   past the lifetime the caller asked for get 400 ExpiredToken, so sessions shorter than
//   RGW's 900 s minimum really expire.
//
// Run standalone (with a fault proxy in front): node dist/test/support/sts-front.js
import http from 'node:http';
import { appendFileSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import {
  IAMClient,
  GetRoleCommand,
  CreateRoleCommand,
  ListRolePoliciesCommand,
  GetRolePolicyCommand,
  PutRolePolicyCommand,
  DeleteRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { STSClient, AssumeRoleCommand } from '@aws-sdk/client-sts';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { startLocalServer } from './local-server.js';
import { parseAuthorization, verifySigV4, headerValue, accessKeyOf } from './sigv4.js';
import { stsErrorXml, s3ErrorXml, xmlEscape, STS_NS } from './aws-xml.js';
import { evaluateTrust, withAccount } from './trust-policy.js';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface StsFrontOptions {
  /** Direct RGW endpoint, e.g. http://127.0.0.1:7480. */
  rgwEndpoint: string;
  /** An RGW user with caps roles=*;users=* (reads trust policies, looks up keys, assumes twins). */
  admin: Credentials;
  /** The account id presented in ARNs (RGW's tenant-less users have none). */
  accountId: string;
  region: string;
  /** JSON-lines file of issued sessions, shared by every front of one environment. */
  sessionsFile?: string;
  port?: number;
  /** Shortest DurationSeconds accepted (default FRONT_MIN_DURATION_S); tests of expiry use 1. */
  minDurationSeconds?: number;
}

export interface StsFront {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * RGW refuses AssumeRole DurationSeconds below 900 (the AWS minimum too,
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html); the front allows
 * down to 60 s for refresh tests and enforces the shorter lifetime itself.
 */
export const RGW_MIN_DURATION_S = 900;
export const FRONT_MIN_DURATION_S = 60;
const DEFAULT_DURATION_S = 3600;
const MAX_STS_BODY = 64 * 1024;

interface Session {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  roleName: string;
  sessionName: string;
  /** What the caller asked for; may be earlier than RGW's own expiry. */
  expiresAt: number;
}

class StsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

class SessionStore {
  private readonly byKey = new Map<string, Session>();
  constructor(private readonly file: string | undefined) {}
  add(s: Session): void {
    this.byKey.set(s.accessKeyId, s);
    if (this.file) appendFileSync(this.file, JSON.stringify(s) + '\n', { mode: 0o600 });
  }
  get(accessKeyId: string): Session | undefined {
    const hit = this.byKey.get(accessKeyId);
    if (hit || !this.file) return hit;
    // Another front (another test process) may have issued it.
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return undefined;
    }
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const s = JSON.parse(line) as Session;
      if (s.accessKeyId === accessKeyId) {
        this.byKey.set(accessKeyId, s);
        return s;
      }
    }
    return undefined;
  }
}

interface Caller {
  arn: string;
  userId: string;
}

export async function startStsFront(opts: StsFrontOptions): Promise<StsFront> {
  const rgw = new URL(opts.rgwEndpoint);
  const iam = new IAMClient({
    endpoint: opts.rgwEndpoint,
    region: opts.region,
    credentials: opts.admin,
    maxAttempts: 2,
  });
  const sts = new STSClient({
    endpoint: opts.rgwEndpoint,
    region: opts.region,
    credentials: opts.admin,
    maxAttempts: 2,
  });
  const adminSigner = new SignatureV4({ credentials: opts.admin, region: opts.region, service: 's3', sha256: Sha256 });
  const sessions = new SessionStore(opts.sessionsFile);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const acct = opts.accountId;
  const minDuration = opts.minDurationSeconds ?? FRONT_MIN_DURATION_S;

  // RGW admin ops API: GET /admin/user?access-key=... returns the user and its keys
  // (https://docs.ceph.com/en/pacific/radosgw/adminops/#get-user-info).
  async function userByAccessKey(accessKeyId: string): Promise<{ uid: string; secret: string } | undefined> {
    const signed = await adminSigner.sign({
      method: 'GET',
      protocol: 'http:',
      hostname: rgw.hostname,
      port: Number(rgw.port),
      path: '/admin/user',
      query: { 'access-key': accessKeyId },
      headers: { host: rgw.host },
    });
    const res = await fetch(`${opts.rgwEndpoint}/admin/user?access-key=${encodeURIComponent(accessKeyId)}`, {
      headers: signed.headers,
    });
    // RGW 16 answers an unknown access key with 403 AccessDenied (not 404).
    if (res.status === 404 || res.status === 403) return undefined;
    if (!res.ok) throw new StsError(500, 'InternalFailure', `RGW admin API answered ${res.status}`);
    const info = (await res.json()) as { user_id: string; keys: { access_key: string; secret_key: string }[] };
    const key = info.keys.find((k) => k.access_key === accessKeyId);
    return key ? { uid: info.user_id, secret: key.secret_key } : undefined;
  }

  async function authenticate(req: http.IncomingMessage, body: Buffer): Promise<Caller> {
    const auth = parseAuthorization(headerValue(req.headers, 'authorization'));
    if (!auth) throw new StsError(400, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
    const session = sessions.get(auth.accessKeyId);
    let secret: string;
    let caller: Caller;
    if (session) {
      if (headerValue(req.headers, 'x-amz-security-token') !== session.sessionToken) {
        throw new StsError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
      }
      if (Date.now() >= session.expiresAt)
        throw new StsError(400, 'ExpiredToken', 'The security token included in the request is expired');
      secret = session.secretAccessKey;
      caller = {
        arn: `arn:aws:sts::${acct}:assumed-role/${session.roleName}/${session.sessionName}`,
        userId: `${session.roleName}:${session.sessionName}`,
      };
    } else {
      const user = await userByAccessKey(auth.accessKeyId);
      if (!user)
        throw new StsError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
      secret = user.secret;
      caller = { arn: `arn:aws:iam::${acct}:user/${user.uid}`, userId: user.uid };
    }
    const v = verifySigV4(
      { method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers, body },
      auth,
      secret,
    );
    if (!v.ok) throw new StsError(403, 'SignatureDoesNotMatch', v.reason);
    return caller;
  }

  // Keeps `<name>-twin` carrying exactly the permission policies of `<name>`, so RGW
  // enforces the intended role's permissions on the twin's sessions.
  async function syncTwin(roleName: string): Promise<string> {
    const twin = `${roleName}-twin`;
    const trust = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: ['arn:aws:iam:::user/admin'] }, Action: ['sts:AssumeRole'] }],
    };
    const status = (e: unknown): number | undefined =>
      (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    try {
      await iam.send(new GetRoleCommand({ RoleName: twin }));
    } catch (e) {
      if (status(e) !== 404) throw e;
      try {
        await iam.send(
          new CreateRoleCommand({
            RoleName: twin,
            AssumeRolePolicyDocument: JSON.stringify(trust),
            Description: `local-aws twin of ${roleName}`,
          }),
        );
      } catch (e2) {
        // Another front created it meanwhile (RGW: 409 EntityAlreadyExists, unparsed by the SDK).
        if (status(e2) !== 409 && (e2 as Error).name !== 'EntityAlreadyExists') throw e2;
      }
    }
    const [want, have] = await Promise.all([
      iam.send(new ListRolePoliciesCommand({ RoleName: roleName })).then((r) => r.PolicyNames ?? []),
      iam.send(new ListRolePoliciesCommand({ RoleName: twin })).then((r) => r.PolicyNames ?? []),
    ]);
    for (const name of want) {
      const doc =
        (await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }))).PolicyDocument ?? '';
      await iam.send(
        new PutRolePolicyCommand({ RoleName: twin, PolicyName: name, PolicyDocument: decodeURIComponent(doc) }),
      );
    }
    for (const name of have.filter((n) => !want.includes(n))) {
      await iam.send(new DeleteRolePolicyCommand({ RoleName: twin, PolicyName: name }));
    }
    return twin;
  }

  async function assumeRole(caller: Caller, form: URLSearchParams): Promise<string> {
    const roleArn = form.get('RoleArn') ?? '';
    const sessionName = form.get('RoleSessionName') ?? '';
    const m = /^arn:aws:iam::(\d{12})?:role\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]{1,64})$/.exec(roleArn);
    if (!m) throw new StsError(400, 'ValidationError', `${roleArn} is invalid`);
    if (!/^[\w+=,.@-]{2,64}$/.test(sessionName))
      throw new StsError(
        400,
        'ValidationError',
        `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint`,
      );
    const denied = new StsError(
      403,
      'AccessDenied',
      `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
    );
    if (m[1] !== undefined && m[1] !== acct) throw denied;
    const roleName = m[2]!;
    let role;
    try {
      role = (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role;
    } catch (e) {
      // RGW answers GetRole on a missing role with a bare 404 (the SDK names it NotFound).
      if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) throw denied;
      throw e;
    }
    const policy = JSON.parse(decodeURIComponent(role?.AssumeRolePolicyDocument ?? '{}')) as unknown;
    const decision = evaluateTrust(policy, {
      callerArn: caller.arn,
      accountId: acct,
      externalId: form.get('ExternalId') ?? undefined,
    });
    if (!decision.allow) throw denied;
    const max = role?.MaxSessionDuration ?? DEFAULT_DURATION_S;
    const duration = form.has('DurationSeconds')
      ? Number(form.get('DurationSeconds'))
      : Math.min(DEFAULT_DURATION_S, max);
    if (!Number.isInteger(duration) || duration < minDuration || duration > max) {
      throw new StsError(
        400,
        'ValidationError',
        `The requested DurationSeconds exceeds the MaxSessionDuration set for this role, or is below ${minDuration}.`,
      );
    }
    const twin = await syncTwin(roleName);
    const out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam:::role/${twin}`,
        RoleSessionName: sessionName,
        DurationSeconds: Math.max(duration, RGW_MIN_DURATION_S),
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken)
      throw new StsError(500, 'InternalFailure', 'RGW returned no credentials');
    const expiresAt = Date.now() + duration * 1000;
    sessions.add({
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      roleName,
      sessionName,
      expiresAt,
    });
    const arn = `arn:aws:sts::${acct}:assumed-role/${roleName}/${sessionName}`;
    return `<AssumeRoleResponse xmlns="${STS_NS}"><AssumeRoleResult><Credentials><AccessKeyId>${xmlEscape(c.AccessKeyId)}</AccessKeyId><SecretAccessKey>${xmlEscape(c.SecretAccessKey)}</SecretAccessKey><SessionToken>${xmlEscape(c.SessionToken)}</SessionToken><Expiration>${new Date(expiresAt).toISOString()}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>${xmlEscape(`${roleName}:${sessionName}`)}</AssumedRoleId><Arn>${xmlEscape(arn)}</Arn></AssumedRoleUser><PackedPolicySize>0</PackedPolicySize></AssumeRoleResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></AssumeRoleResponse>`;
  }

  function getCallerIdentity(caller: Caller): string {
    return `<GetCallerIdentityResponse xmlns="${STS_NS}"><GetCallerIdentityResult><Arn>${xmlEscape(caller.arn)}</Arn><UserId>${xmlEscape(caller.userId)}</UserId><Account>${acct}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`;
  }

  async function handleSts(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_STS_BODY) throw new StsError(413, 'RequestEntityTooLarge', 'STS request body too large');
      chunks.push(chunk);
    }
    const body = Buffer.concat(chunks);
    const form = new URLSearchParams(body.toString('utf8'));
    const caller = await authenticate(req, body);
    const action = form.get('Action');
    let xml: string;
    if (action === 'AssumeRole') xml = await assumeRole(caller, form);
    else if (action === 'GetCallerIdentity') xml = getCallerIdentity(caller);
    else
      throw new StsError(
        400,
        'InvalidAction',
        `Could not find operation ${action ?? ''} for version 2011-06-15 (the local STS front answers AssumeRole and GetCallerIdentity)`,
      );
    res.writeHead(200, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(xml) });
    res.end(xml);
  }

  function forward(req: http.IncomingMessage, res: http.ServerResponse): void {
    // A session issued here that outlived what its caller asked for is expired, even
    // though RGW (900 s minimum) would still accept it.
    if (headerValue(req.headers, 'x-amz-security-token') !== undefined) {
      const key = accessKeyOf(req.headers, req.url ?? '/');
      const s = key === undefined ? undefined : sessions.get(key);
      if (s && Date.now() >= s.expiresAt) {
        const xml = s3ErrorXml('ExpiredToken', 'The provided token has expired.');
        res.writeHead(400, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
        res.end(xml);
        req.resume();
        return;
      }
    }
    const up = http.request(
      { host: rgw.hostname, port: rgw.port, method: req.method, path: req.url, headers: req.headers, agent },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.rawHeaders);
        ur.pipe(res);
        ur.on('error', () => res.destroy());
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
    req.on('error', () => up.destroy());
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
  }

  const server = await startLocalServer((req, res) => {
    const auth = parseAuthorization(headerValue(req.headers, 'authorization'));
    if (req.method === 'POST' && auth?.service === 'sts') {
      handleSts(req, res).catch((e: unknown) => {
        const err =
          e instanceof StsError ? e : new StsError(500, 'InternalFailure', String((e as Error)?.message ?? e));
        const xml = stsErrorXml(err.code, err.message, err.status >= 500 ? 'Receiver' : 'Sender');
        if (!res.headersSent)
          res.writeHead(err.status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(xml) });
        res.end(xml);
      });
      return;
    }
    forward(req, res);
  }, opts.port);
  return {
    url: server.url,
    port: server.port,
    close: async () => {
      await server.stop();
      agent.destroy();
      iam.destroy();
      sts.destroy();
    },
  };
}

export { withAccount };

// Standalone: STS front on an ephemeral port with the fault proxy in front of it on
// AWS_LOCAL_GATEWAY_ENDPOINT's port (7482); reads the environment `local-aws.sh up` prints.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { startFaultProxy } = await import('./fault-proxy.js');
  const env = (k: string): string => {
    const v = process.env[k];
    if (!v) {
      console.error(`sts-front: ${k} is not set; run eval "$(npm run -s local-aws -- up)" first`);
      process.exit(2);
    }
    return v;
  };
  const dir = env('AWS_LOCAL_DIR');
  const front = await startStsFront({
    rgwEndpoint: env('AWS_LOCAL_RGW_ENDPOINT'),
    admin: {
      accessKeyId: env('AWS_LOCAL_ADMIN_ACCESS_KEY_ID'),
      secretAccessKey: env('AWS_LOCAL_ADMIN_SECRET_ACCESS_KEY'),
    },
    accountId: env('AWS_LOCAL_ACCOUNT_ID'),
    region: env('AWS_REGION'),
    sessionsFile: `${dir}/sessions.jsonl`,
  });
  const gw = new URL(env('AWS_LOCAL_GATEWAY_ENDPOINT'));
  const proxy = await startFaultProxy({ upstream: front.url, port: Number(gw.port) });
  console.error(
    `sts-front: S3 + STS on ${proxy.url} (fault admin: ${proxy.url}/_faults), forwarding to RGW at ${process.env['AWS_LOCAL_RGW_ENDPOINT']}`,
  );
  // The servers are unref'd for tests; standalone, this timer keeps the process up until a signal.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  const stop = (): void => {
    clearInterval(keepAlive);
    void Promise.all([proxy.close(), front.close()]).then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
