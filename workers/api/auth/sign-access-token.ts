import { importJWK, type JWK, SignJWT } from "jose";
import type { RegionId } from "../../../regions/registry";
import { ACCESS_TOKEN_TTL_SECONDS, ACCESS_TOKEN_TYPE } from "./token-format";

export interface AccessTokenInput {
  /** Private RS256 JWK; its `kid` goes in the header. */
  signingKey: JWK;
  issuer: string;
  audience: string;
  region: RegionId;
  tenantId: string;
  userId: string;
  role: string;
  /** A custom role's permissions, space-separated (`perms`); left out for system roles. */
  permissions?: string;
  scope: string;
  ttlSeconds?: number;
  /** RFC 9068 `client_id`: the OAuth client the token was issued to. */
  clientId?: string;
  /** The refresh-token family (grant) it came from; revoking the family lists it as revoked. */
  sessionId?: string;
  /** Set for client_credentials: the subject is an OAuth client acting as itself, not a person. */
  machine?: boolean;
}

/** Issues an access token in the shape API.md fixes (RS256, `typ: at+jwt`, `kid`). */
export async function signAccessToken(input: AccessTokenInput): Promise<string> {
  if (!input.signingKey.kid) throw new Error("signing key has no kid");
  const key = await importJWK(input.signingKey, "RS256");
  return new SignJWT({
    tenant_id: input.tenantId,
    region: input.region,
    role: input.role,
    ...(input.permissions === undefined ? {} : { perms: input.permissions }),
    scope: input.scope,
    ...(input.clientId === undefined ? {} : { client_id: input.clientId }),
    ...(input.sessionId === undefined ? {} : { sid: input.sessionId }),
    ...(input.machine ? { gty: "client_credentials" } : {}),
  })
    .setProtectedHeader({ alg: "RS256", typ: ACCESS_TOKEN_TYPE, kid: input.signingKey.kid })
    .setIssuer(input.issuer)
    .setAudience(input.audience)
    .setSubject(input.userId)
    .setJti(crypto.randomUUID())
    .setIssuedAt()
    .setExpirationTime(`${input.ttlSeconds ?? ACCESS_TOKEN_TTL_SECONDS}s`)
    .sign(key);
}
