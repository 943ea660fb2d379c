import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { verifyAccessToken } from "../auth/access-token";
import { announceRevocations, revokedAccessToken, revokedFamilies } from "../auth/revocation-list";
import { requestInfo } from "../lib/request-info";
import { deferOf, serviceDatabase } from "../lib/service-context";
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
  const config = c.get("config");
  if (token.startsWith("nxrt_")) {
    const families = await revokeRefreshToken(db, token, client.id, info);
    await announceRevocations(config, revokedFamilies(families), deferOf(c));
  } else {
    const claims = await verifyAccessToken(token, config).catch(() => null);
    if (claims && claims.clientId === client.clientId && claims.region === config.region) {
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
      // This isolate refuses the token at once; every other within REVOCATION_BOUND_MS.
      await announceRevocations(
        config,
        [
          revokedAccessToken(claims.jti, claims.expiresAt),
          ...revokedFamilies(claims.sessionId ? [claims.sessionId] : []),
        ],
        deferOf(c),
      );
    }
  }
  return oauthJson(c, {}, 200);
}
