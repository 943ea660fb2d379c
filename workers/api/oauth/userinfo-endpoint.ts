import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { verifyAccessToken } from "../auth/access-token";
import { assertNotRevoked } from "../auth/revocation-list";
import { ApiError } from "../lib/errors";
import { deferOf, serviceDatabase } from "../lib/service-context";
import { findUserById } from "../services/identity/users";
import { OAuthError } from "./oauth-error";
import { oauthJson } from "./oauth-response";

/**
 * GET|POST /oauth/userinfo (OIDC Core §5.3) with a bearer access token of this region. Claims
 * follow the granted scopes: `email` for the address, `profile` for the name.
 */
export async function userinfoEndpoint(c: Context<AppEnv>) {
  const match = /^Bearer\s+(\S+)$/i.exec(c.req.header("Authorization") ?? "");
  if (!match?.[1]) throw new OAuthError("invalid_token", "A bearer access token is required");
  const config = c.get("config");
  const claims = await verifyAccessToken(match[1], config).catch(() => {
    throw new OAuthError("invalid_token", "The access token is not valid");
  });
  if (claims.region !== config.region)
    throw new OAuthError("invalid_token", "The token belongs to another region");
  await assertNotRevoked(config, claims, () => serviceDatabase(c), deferOf(c)).catch((error: unknown) => {
    if (error instanceof ApiError && error.code === "UNAUTHENTICATED") {
      throw new OAuthError("invalid_token", "The access token was revoked");
    }
    throw error;
  });
  const user = await findUserById(serviceDatabase(c), claims.userId);
  const body: Record<string, unknown> = {
    sub: claims.userId,
    tenant_id: claims.tenantId,
    region: claims.region,
    role: claims.role,
  };
  if (user && claims.scopes.includes("email")) {
    body.email = user.email;
    body.email_verified = false;
  }
  if (user && claims.scopes.includes("profile")) body.name = user.name;
  return oauthJson(c, body, 200);
}
