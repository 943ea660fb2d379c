import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { verifyAccessToken } from "../auth/access-token";
import { requestInfo } from "../lib/request-info";
import { serviceDatabase } from "../lib/service-context";
import { revokeAccessToken, revokeRefreshToken } from "../services/identity/grants";
import { authenticateClient } from "./client-authentication";
import { OAuthError } from "./oauth-error";
import { oauthJson } from "./oauth-response";
import { readForm } from "./token-endpoint";

/**
 * POST /oauth/revoke (RFC 7009). A client may revoke only its own tokens; an unknown, foreign or
 * already revoked token still answers 200, so the endpoint tells nothing about tokens.
 */
export async function revocationEndpoint(c: Context<AppEnv>) {
  const form = await readForm(c);
  const db = serviceDatabase(c);
  const client = await authenticateClient(db, c.req.header("Authorization"), form);
  const token = typeof form.token === "string" ? form.token : "";
  if (!token) throw new OAuthError("invalid_request", "token is required");
  const info = requestInfo(c);
  if (token.startsWith("nxrt_")) {
    await revokeRefreshToken(db, token, client.id, info);
  } else {
    const claims = await verifyAccessToken(token, c.get("config")).catch(() => null);
    if (claims && claims.clientId === client.clientId && claims.region === c.get("config").region) {
      await revokeAccessToken(
        db,
        {
          tenantId: claims.tenantId,
          jti: claims.jti,
          expiresAt: claims.expiresAt,
          familyId: claims.sessionId,
          userId: claims.userId,
        },
        client.id,
        info,
      );
    }
  }
  return oauthJson(c, {}, 200);
}
