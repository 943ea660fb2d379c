import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { verifyAccessToken } from "../auth/access-token";
import { ApiError } from "../lib/errors";

/** Bearer access tokens (RS256 JWT). API keys join in with the IAM work. */
export const authenticate = () =>
  createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header("Authorization");
    if (!header) throw ApiError.unauthenticated("Missing bearer token", "invalid_request");
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1])
      throw ApiError.unauthenticated("Authorization must be a Bearer token", "invalid_request");

    const claims = await verifyAccessToken(match[1], c.get("config"));
    c.set("claims", claims);
    c.set("actor", {
      userId: claims.userId,
      tenantId: claims.tenantId,
      role: claims.role,
      ...(claims.permissions === null ? {} : { permissions: claims.permissions }),
      scopes: claims.scopes,
    });
    await next();
  });
