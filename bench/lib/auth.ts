import { generateRegionKey, jwksBinding } from "../../regions/local/dev-keys";
import type { RegionId } from "../../regions/registry";
import { signAccessToken } from "../../workers/api/auth/sign-access-token";

export interface BenchCredentials {
  /** The JWKS binding: both regions' public keys, as every deployed region gets it. */
  jwks: string;
  token: string;
  /** Another Owner token, for another tenant. */
  tokenFor(tenantId: string, userId: string): Promise<string>;
}

/**
 * Throwaway keys per run (nothing to leak or rotate) and one long-lived Owner token. The issuer
 * must be the eu URL in REGION_URLS: the Worker picks the verifying region by issuer, and an eu
 * token served by the eu Worker is handled locally (no residency forward).
 */
export async function createCredentials(options: {
  issuer: string;
  audience: string;
  tenantId: string;
  userId: string;
  ttlSeconds: number;
}): Promise<BenchCredentials> {
  const keys: Record<RegionId, Awaited<ReturnType<typeof generateRegionKey>>> = {
    eu: await generateRegionKey("eu"),
    lagos: await generateRegionKey("lagos"),
  };
  const tokenFor = (tenantId: string, userId: string) =>
    signAccessToken({
      signingKey: keys.eu.privateJwk,
      issuer: options.issuer,
      audience: options.audience,
      region: "eu",
      tenantId,
      userId,
      role: "Owner",
      scope:
        "crm:read crm:write realtime:read realtime:write webhooks:read webhooks:write finance:read finance:write ai:read ai:write",
      ttlSeconds: options.ttlSeconds,
    });
  return { jwks: jwksBinding(keys), token: await tokenFor(options.tenantId, options.userId), tokenFor };
}
