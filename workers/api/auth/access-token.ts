import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import { z } from "zod";
import type { RegionId } from "../../../regions/registry";
import type { Config } from "../env";
import { ApiError } from "../lib/errors";
import { isSystemRole } from "./permissions";
import { ACCESS_TOKEN_TYPE, type AccessClaims } from "./token-format";

export type { AccessClaims };

import { VerifiedTokenCache } from "./verified-token-cache";

/** Far above any token we issue; parsing stops before work is spent on junk. */
export const MAX_TOKEN_LENGTH = 8192;
export const CLOCK_TOLERANCE_SECONDS = 30;

// Headers that would let a token choose its own verification key (RFC 8725 §3.10).
const FORBIDDEN_HEADERS = ["jku", "x5u", "jwk", "x5c"] as const;

const claimsSchema = z.object({
  iss: z.string(),
  sub: z.uuid(),
  aud: z.union([z.string(), z.array(z.string())]),
  tenant_id: z.uuid(),
  region: z.string(),
  role: z.string().min(1).max(64),
  scope: z.string().max(2048),
  /** Space-separated permissions of a custom role (see auth/permissions.ts). */
  perms: z.string().max(2048).optional(),
  jti: z.string().min(1).max(128),
  iat: z.number(),
  exp: z.number(),
  client_id: z.string().max(128).optional(),
  sid: z.uuid().optional(),
  gty: z.literal("client_credentials").optional(),
});

const keySets = new WeakMap<Config, Map<RegionId, JWTVerifyGetKey>>();
const verified = new WeakMap<Config, VerifiedTokenCache>();

/** The public keys of `region`'s authorization server, as a jose key resolver (one per isolate). */
export function keySetFor(config: Config, region: RegionId): JWTVerifyGetKey {
  let byRegion = keySets.get(config);
  if (!byRegion) {
    byRegion = new Map();
    keySets.set(config, byRegion);
  }
  let keySet = byRegion.get(region);
  if (!keySet) {
    keySet = createLocalJWKSet(config.jwks[region] as Parameters<typeof createLocalJWKSet>[0]);
    byRegion.set(region, keySet);
  }
  return keySet;
}

const reject = (message: string) => ApiError.unauthenticated(message);

/**
 * Verifies an access token from any region's authorization server, locally (no network):
 * the issuer picks the region, that region's public keys verify it, and the token must say it
 * belongs to that same region. Residency routing then decides where it is served.
 */
export async function verifyAccessToken(token: string, config: Config): Promise<AccessClaims> {
  if (token.length > MAX_TOKEN_LENGTH) throw reject("Token too large");

  let cache = verified.get(config);
  if (!cache) {
    cache = new VerifiedTokenCache();
    verified.set(config, cache);
  }
  // Expiry is rechecked on every hit; no tolerance, so a cached token never outlives a fresh check.
  const known = cache.get(token, Math.floor(Date.now() / 1000));
  if (known) return known;
  const claims = await verifyUncached(token, config);
  cache.set(token, claims);
  return claims;
}

async function verifyUncached(token: string, config: Config): Promise<AccessClaims> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  let unverifiedIssuer: unknown;
  try {
    header = decodeProtectedHeader(token);
    unverifiedIssuer = decodeJwt(token).iss;
  } catch {
    throw reject("Malformed token");
  }
  if (header.alg !== "RS256") throw reject("Unsupported token algorithm");
  if (FORBIDDEN_HEADERS.some((name) => name in header)) throw reject("Token header not allowed");
  if (typeof header.kid !== "string") throw reject("Token has no key id");

  const region = (Object.keys(config.regionUrls) as RegionId[]).find(
    (r) => config.regionUrls[r] === unverifiedIssuer,
  );
  if (!region) throw reject("Unknown token issuer");

  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, keySetFor(config, region), {
      algorithms: ["RS256"],
      issuer: config.regionUrls[region],
      audience: config.audience,
      typ: ACCESS_TOKEN_TYPE,
      requiredClaims: ["sub", "tenant_id", "region", "role", "scope", "jti", "iat", "exp"],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    }));
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw reject("Token expired");
    if (error instanceof errors.JOSEError) throw reject("Invalid token");
    throw error;
  }

  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) throw reject("Invalid token claims");
  // jose checks `iat` only for being a number: a token issued in the future, or one whose
  // lifetime no issuer here grants, is a forged or mis-issued token however well signed.
  if (claims.data.iat > Math.floor(Date.now() / 1000) + CLOCK_TOLERANCE_SECONDS) {
    throw reject("Token issued in the future");
  }
  if (claims.data.exp - claims.data.iat > config.accessTokenMaxLifetimeSeconds) {
    throw reject("Token lifetime too long");
  }
  if (claims.data.region !== region) throw reject("Token region does not match its issuer");
  // A system role's permissions are fixed in code: a token pairing one with its own list is forged
  // or mis-issued, never honoured.
  if (isSystemRole(claims.data.role) && claims.data.perms !== undefined) throw reject("Invalid token claims");

  return {
    userId: claims.data.sub,
    tenantId: claims.data.tenant_id,
    region,
    role: claims.data.role,
    permissions: claims.data.perms === undefined ? null : claims.data.perms.split(" ").filter(Boolean),
    scopes: claims.data.scope.split(" ").filter(Boolean),
    jti: claims.data.jti,
    expiresAt: claims.data.exp,
    clientId: claims.data.client_id ?? null,
    sessionId: claims.data.sid ?? null,
    machine: claims.data.gty === "client_credentials",
  };
}
