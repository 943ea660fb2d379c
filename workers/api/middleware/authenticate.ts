import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { verifyAccessToken } from "../auth/access-token";
import { verifyApiKey } from "../auth/api-key";
import { looksLikeApiKey, parseApiKey } from "../auth/api-key-format";
import { clientAddress } from "../auth/forwarded-client";
import { assertNotRevoked } from "../auth/revocation-list";
import { ApiError } from "../lib/errors";
import type { PublicRoutes } from "../lib/public-routes";
import { deferOf, serviceDatabase } from "../lib/service-context";
import { CREDENTIAL_LOOKUP_LIMIT, countPerAddress } from "../limits/per-address";
import { recordMetric } from "../observability/metrics";

/** The one credential of a request: `Authorization: Bearer …` (token or key) or `X-API-Key`. */
function presentedCredential(authorization: string | undefined, apiKey: string | undefined): string {
  // RFC 6750 §3.1: more than one way of authenticating is an invalid request.
  if (authorization && apiKey !== undefined) {
    throw ApiError.unauthenticated("Send either Authorization or X-API-Key, not both", "invalid_request");
  }
  if (apiKey !== undefined) return apiKey.trim();
  if (!authorization) throw ApiError.unauthenticated("Missing bearer token", "invalid_request");
  const match = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (!match?.[1]) throw ApiError.unauthenticated("Authorization must be a Bearer token", "invalid_request");
  return match[1];
}

/**
 * Bearer access tokens (RS256 JWT) and API keys (`nxk_{region}_…`). A key names its region in
 * its prefix: another region's key is left unverified for residency to forward (only its home
 * database knows it); a malformed key is refused without any I/O.
 *
 * Routes declared public (`publicRoute()`) are served without reading any credential: a token
 * sent there is neither verified nor refused, and the request stays in this region.
 */
export const authenticate = (publicRoutes: PublicRoutes) =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (publicRoutes.matches(c)) return next();
    const credential = presentedCredential(c.req.header("Authorization"), c.req.header("X-API-Key"));
    const config = c.get("config");

    if (looksLikeApiKey(credential) || c.req.header("X-API-Key") !== undefined) {
      const parsed = parseApiKey(credential);
      if (!parsed) throw ApiError.unauthenticated("Malformed API key");
      c.set("homeRegion", parsed.region);
      if (parsed.region !== config.region) return next();
      const key = await measuredValidation("api_key", config.region, () =>
        verifyApiKey(
          credential,
          parsed.tenantId,
          config,
          async () => {
            const ip = await clientAddress(config, c.req.raw.headers);
            await countPerAddress(c.env.RATE_LIMITER, config, ip, CREDENTIAL_LOOKUP_LIMIT);
            return serviceDatabase(c);
          },
          deferOf(c),
        ),
      );
      c.set("actor", {
        userId: key.keyId,
        credential: "api_key",
        tenantId: key.tenantId,
        role: key.role,
        scopes: key.scopes,
      });
      return next();
    }

    const claims = await measuredValidation("access_token", config.region, () =>
      verifyAccessToken(credential, config),
    );
    await assertNotRevoked(config, claims, () => serviceDatabase(c), deferOf(c));
    c.set("claims", claims);
    c.set("homeRegion", claims.region);
    c.set("actor", {
      userId: claims.userId,
      credential: claims.machine ? "client_credentials" : "access_token",
      tenantId: claims.tenantId,
      role: claims.role,
      ...(claims.permissions === null ? {} : { permissions: claims.permissions }),
      scopes: claims.scopes,
    });
    await next();
  });

/** Token and API key validations by kind and outcome (a refused one throws on, as before). */
async function measuredValidation<T>(kind: string, region: string, verify: () => Promise<T>): Promise<T> {
  const started = performance.now();
  let outcome = "refused";
  try {
    const result = await verify();
    outcome = "valid";
    return result;
  } finally {
    recordMetric({
      metric: "token_validation",
      region,
      name: kind,
      outcome,
      value: performance.now() - started,
    });
  }
}
