import { importJWK, SignJWT } from "jose";
import type { Rs256PrivateJwk } from "../auth/jwk";
import { signAccessToken } from "../auth/sign-access-token";
import type { Config } from "../env";
import { recordMetric } from "../observability/metrics";
import { OAuthError } from "./oauth-error";

/** The ID token's own type (not at+jwt), so it can never pass as an access token. */
const ID_TOKEN_TTL_SECONDS = 15 * 60;

export function signingKeyOf(config: Config): Rs256PrivateJwk {
  if (!config.signingKey) {
    throw new OAuthError("temporarily_unavailable", "This region cannot issue tokens (no signing key)", 503);
  }
  return config.signingKey;
}

export interface TokenSubject {
  userId: string;
  tenantId: string;
  role: string;
  /** The custom role's permissions at issue time; null for a system role. */
  permissions?: string | null;
  scope: string[];
  clientId: string;
  familyId?: string;
  machine?: boolean;
  ttlSeconds: number;
}

export function issueAccessToken(config: Config, subject: TokenSubject): Promise<string> {
  recordMetric({
    metric: "token_issued",
    region: config.region,
    name: subject.machine ? "client_credentials" : "user",
    outcome: "issued",
    value: 1,
    tenantId: subject.tenantId,
  });
  return signAccessToken({
    signingKey: signingKeyOf(config),
    issuer: config.regionUrls[config.region],
    audience: config.audience,
    region: config.region,
    tenantId: subject.tenantId,
    userId: subject.userId,
    role: subject.role,
    ...(subject.permissions == null ? {} : { permissions: subject.permissions }),
    scope: subject.scope.join(" "),
    ttlSeconds: subject.ttlSeconds,
    clientId: subject.clientId,
    ...(subject.familyId === undefined ? {} : { sessionId: subject.familyId }),
    ...(subject.machine ? { machine: true } : {}),
  });
}

/** OpenID Connect Core §2, issued when `openid` was granted. */
export async function issueIdToken(
  config: Config,
  input: {
    userId: string;
    clientId: string;
    nonce: string | null;
    authTime: string;
    email?: string;
    name?: string;
  },
): Promise<string> {
  const key = signingKeyOf(config);
  const claims: Record<string, unknown> = { auth_time: Math.floor(Date.parse(input.authTime) / 1000) };
  if (input.nonce) claims.nonce = input.nonce;
  if (input.email !== undefined) claims.email = input.email;
  if (input.name !== undefined) claims.name = input.name;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: key.kid })
    .setIssuer(config.regionUrls[config.region])
    .setAudience(input.clientId)
    .setSubject(input.userId)
    .setIssuedAt()
    .setExpirationTime(`${ID_TOKEN_TTL_SECONDS}s`)
    .sign(await importJWK(key, "RS256"));
}
