// Evaluates a role's intended trust policy for sts:AssumeRole — the part RGW 16 cannot do:
// it stores a trust policy with an sts:ExternalId condition but then refuses every
// AssumeRole on it. Covers principal matching and the string condition operators on
// sts:ExternalId and aws:PrincipalArn; anything else denies rather than guessing.
// Policy grammar: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
// Condition operators: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html

export interface TrustRequest {
  /** The caller's ARN, account filled in (arn:aws:iam::<acct>:user/x or arn:aws:sts::<acct>:assumed-role/r/s). */
  callerArn: string;
  accountId: string;
  externalId: string | undefined;
}

export type TrustDecision = { allow: true } | { allow: false; why: string };

type Json = unknown;
const asArray = (v: Json): Json[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** Treats RGW's account-less ARNs (arn:aws:iam:::user/x) as the local account's. */
export function withAccount(arn: string, accountId: string): string {
  const parts = arn.split(':');
  if (parts.length >= 6 && parts[0] === 'arn' && parts[4] === '') parts[4] = accountId;
  return parts.join(':');
}

function principalMatches(p: string, req: TrustRequest): boolean {
  if (p === '*') return true;
  const principal = /^\d{12}$/.test(p) ? `arn:aws:iam::${p}:root` : withAccount(p, req.accountId);
  // The account root stands for every identity of the account.
  if (principal === `arn:aws:iam::${req.accountId}:root`) return true;
  if (principal === req.callerArn) return true;
  // A role ARN admits every session of that role.
  const role = /^arn:aws:iam::(\d*):role\/(?:.*\/)?([^/]+)$/.exec(principal);
  const session = /^arn:aws:sts::(\d*):assumed-role\/([^/]+)\/[^/]+$/.exec(req.callerArn);
  return role !== null && session !== null && role[1] === session[1] && role[2] === session[2];
}

// StringLike: `*` any run of characters, `?` exactly one; case-sensitive.
function like(pattern: string, value: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 's').test(value);
}

function contextValue(key: string, req: TrustRequest): string | undefined {
  switch (key.toLowerCase()) {
    case 'sts:externalid':
      return req.externalId;
    case 'aws:principalarn':
      return req.callerArn;
    default:
      return undefined;
  }
}

function conditionHolds(cond: Json, req: TrustRequest): { ok: boolean; why?: string } {
  if (cond === undefined) return { ok: true };
  if (typeof cond !== 'object' || cond === null) return { ok: false, why: 'malformed Condition' };
  for (const [op, block] of Object.entries(cond as Record<string, Json>)) {
    const ifExists = op.endsWith('IfExists');
    const base = ifExists ? op.slice(0, -'IfExists'.length) : op;
    if (typeof block !== 'object' || block === null) return { ok: false, why: `malformed ${op}` };
    for (const [key, wanted] of Object.entries(block as Record<string, Json>)) {
      const value = contextValue(key, req);
      const patterns = asArray(wanted).map(String);
      if (value === undefined) {
        if (ifExists) continue;
        // Negated operators match a missing key (IAM semantics); positive ones do not.
        if (base === 'StringNotEquals' || base === 'StringNotLike') continue;
        return { ok: false, why: `${key} is not present` };
      }
      let ok: boolean;
      switch (base) {
        case 'StringEquals':
          ok = patterns.includes(value);
          break;
        case 'StringNotEquals':
          ok = !patterns.includes(value);
          break;
        case 'StringLike':
          ok = patterns.some((p) => like(p, value));
          break;
        case 'StringNotLike':
          ok = !patterns.some((p) => like(p, value));
          break;
        default:
          return { ok: false, why: `condition operator ${op} is not supported by the local STS front` };
      }
      if (!ok) return { ok: false, why: `${op} on ${key} does not match` };
    }
  }
  return { ok: true };
}

function actionMatches(actions: Json): boolean {
  return asArray(actions).some((a) => typeof a === 'string' && like(a.toLowerCase(), 'sts:assumerole'));
}

/** Explicit Deny wins, then any Allow; otherwise implicit deny (IAM evaluation logic). */
export function evaluateTrust(policy: Json, req: TrustRequest): TrustDecision {
  if (typeof policy !== 'object' || policy === null) return { allow: false, why: 'no trust policy' };
  let allowed = false;
  let lastWhy = 'no statement allows this principal';
  for (const st of asArray((policy as { Statement?: Json }).Statement)) {
    if (typeof st !== 'object' || st === null) continue;
    const s = st as { Effect?: string; Principal?: Json; Action?: Json; Condition?: Json };
    if (!actionMatches(s.Action)) continue;
    const principals =
      s.Principal === '*' ? ['*'] : asArray((s.Principal as { AWS?: Json } | undefined)?.AWS).map(String);
    if (!principals.some((p) => principalMatches(p, req))) continue;
    const c = conditionHolds(s.Condition, req);
    if (!c.ok) {
      lastWhy = c.why ?? lastWhy;
      continue;
    }
    if (s.Effect === 'Deny') return { allow: false, why: 'explicitly denied' };
    if (s.Effect === 'Allow') allowed = true;
  }
  return allowed ? { allow: true } : { allow: false, why: lastWhy };
}
