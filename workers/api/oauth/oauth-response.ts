import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { fromDatabaseError } from "../lib/db-errors";
import { logError } from "../lib/log-error";
import { OAuthError } from "./oauth-error";

/** RFC 6749 §5.1: token responses are never cached. */
export function oauthJson(c: Context<AppEnv>, body: object, status: 200 | 400 | 401 | 500 | 503) {
  return c.json(body, status, { "Cache-Control": "no-store", Pragma: "no-cache" });
}

/**
 * The OAuth endpoints' error handler: RFC 6749 §5.2 bodies, a database outage as
 * temporarily_unavailable with Retry-After, anything unexpected as server_error (logged, with
 * no internals in the response).
 */
export function oauthErrorResponse(c: Context<AppEnv>, error: unknown) {
  let oauth: OAuthError;
  if (error instanceof OAuthError) oauth = error;
  else {
    const db = fromDatabaseError(error);
    oauth =
      db?.status === 503
        ? new OAuthError("temporarily_unavailable", "A dependency is unavailable; try again shortly", 503)
        : new OAuthError("server_error", "Internal server error", 500);
    if (oauth.status === 500) {
      logError("oauth request failed", c.get("requestId"), error);
    }
  }
  if (oauth.status === 503) c.header("Retry-After", "5");
  if (oauth.error === "invalid_client" && c.req.header("Authorization")) {
    c.header("WWW-Authenticate", 'Basic realm="nexus"');
  }
  if (oauth.error === "invalid_token") {
    c.header("WWW-Authenticate", `Bearer realm="nexus", error="invalid_token"`);
  }
  return oauthJson(c, oauth.body(), oauth.status);
}
