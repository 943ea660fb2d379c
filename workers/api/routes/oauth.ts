import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { fromDatabaseError } from "../lib/db-errors";
import { logError } from "../lib/log-error";
import { showAuthorize, submitAuthorize } from "../oauth/authorize-endpoint";
import { randomToken } from "../oauth/encoding";
import { authorizationServerMetadata } from "../oauth/metadata";
import { OAuthError } from "../oauth/oauth-error";
import { oauthErrorResponse } from "../oauth/oauth-response";
import { errorPage } from "../oauth/pages/error-page";
import { pageHeaders } from "../oauth/pages/layout";
import { revocationEndpoint } from "../oauth/revocation-endpoint";
import { ssoCallback } from "../oauth/sso-endpoint";
import { tokenEndpoint } from "../oauth/token-endpoint";
import { userinfoEndpoint } from "../oauth/userinfo-endpoint";
import { SSO_CALLBACK_PATH } from "../services/identity/sso-connections";

type Handler = (c: Context<AppEnv>) => Promise<Response>;

/** Token, revocation and userinfo answer in RFC 6749 formats, never in the API envelope. */
const protocol =
  (handler: Handler): Handler =>
  async (c) => {
    try {
      return await handler(c);
    } catch (error) {
      return oauthErrorResponse(c, error);
    }
  };

/** The authorization endpoint is a page: failures are pages too. */
const page =
  (handler: Handler): Handler =>
  async (c) => {
    try {
      return await handler(c);
    } catch (error) {
      const unavailable = fromDatabaseError(error)?.status === 503;
      if (!unavailable) {
        logError("authorize page failed", c.get("requestId"), error);
      }
      const nonce = randomToken(16);
      const message = unavailable
        ? "Sign-in is briefly unavailable. Try again in a moment."
        : "Something went wrong on our side. Try again.";
      return c.html(errorPage(message, nonce), unavailable ? 503 : 500, {
        ...pageHeaders(nonce),
        ...(unavailable ? { "Retry-After": "5" } : {}),
      });
    }
  };

/**
 * How the OAuth endpoints answer a form or query string the edge's text rules refuse (a NUL,
 * invalid UTF-8…): the sign-in page as a page, the others as RFC 6749 `invalid_request`.
 */
export function oauthTextRefusal(c: Context<AppEnv>, message: string): Response | Promise<Response> {
  if (c.req.path === "/oauth/authorize") {
    const nonce = randomToken(16);
    return c.html(errorPage(`The request cannot be read: ${message}`, nonce), 400, pageHeaders(nonce));
  }
  return oauthErrorResponse(c, new OAuthError("invalid_request", message));
}

const FORM = "application/x-www-form-urlencoded";
const OAuthErrorBody = z
  .object({ error: z.string(), error_description: z.string().optional() })
  .openapi("OAuthError", { description: "RFC 6749 §5.2 error response." });
const TokenResponse = z
  .object({
    access_token: z.string(),
    token_type: z.literal("Bearer"),
    expires_in: z.number().int(),
    scope: z.string(),
    refresh_token: z.string().optional(),
    id_token: z.string().optional(),
  })
  .openapi("TokenResponse");
const oauthErrors = {
  400: { description: "OAuth error", content: { "application/json": { schema: OAuthErrorBody } } },
  401: {
    description: "Client authentication failed",
    content: { "application/json": { schema: OAuthErrorBody } },
  },
  503: {
    description: "Temporarily unavailable",
    content: { "application/json": { schema: OAuthErrorBody } },
  },
};
const authorizeQuery = z.object({
  response_type: z.literal("code"),
  client_id: z.string(),
  redirect_uri: z.string().describe("Exactly as registered (loopback clients: any port)."),
  code_challenge: z.string().describe("base64url(SHA-256(code_verifier)), 43 characters."),
  code_challenge_method: z.literal("S256"),
  state: z.string().optional(),
  scope: z.string().optional().describe("Space-separated; defaults to everything the client may have."),
  nonce: z.string().optional(),
});

export function registerOAuthRoutes(app: OpenAPIHono<AppEnv>): void {
  const metadata = (c: Context<AppEnv>) => {
    c.header("Cache-Control", "public, max-age=300");
    return c.json(authorizationServerMetadata(c.get("config")), 200);
  };
  app.get("/.well-known/oauth-authorization-server", metadata);
  app.get("/.well-known/openid-configuration", metadata);
  app.get("/oauth/authorize", page(showAuthorize));
  app.post("/oauth/authorize", page(submitAuthorize));
  app.get(SSO_CALLBACK_PATH, page(ssoCallback));
  app.post("/oauth/token", protocol(tokenEndpoint));
  app.post("/oauth/revoke", protocol(revocationEndpoint));
  app.get("/oauth/userinfo", protocol(userinfoEndpoint));
  app.post("/oauth/userinfo", protocol(userinfoEndpoint));

  const registry = app.openAPIRegistry;
  const tags = ["oauth"];
  for (const path of ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]) {
    registry.registerPath({
      method: "get",
      path,
      tags,
      summary: path.endsWith("openid-configuration")
        ? "OpenID discovery (same document)"
        : "Authorization server metadata",
      description: "RFC 8414. The issuer is this region's base URL; endpoints are this region's.",
      responses: {
        200: {
          description: "Metadata",
          content: { "application/json": { schema: z.record(z.string(), z.unknown()) } },
        },
      },
    });
  }
  registry.registerPath({
    method: "get",
    path: "/oauth/authorize",
    tags,
    summary: "Sign-in page (authorization code + PKCE)",
    description:
      "Validates the request, then renders the sign-in page (or consent, with a live session). An unknown client or " +
      "unregistered redirect_uri shows an error page and never redirects; other errors redirect with `error`, `state` " +
      "and `iss`. `response_type=token` is refused. The page cannot be framed.",
    request: { query: authorizeQuery },
    responses: {
      200: { description: "Sign-in or consent page", content: { "text/html": { schema: z.string() } } },
      303: { description: "Redirect to the client with an error" },
      400: {
        description: "Error page (request cannot be trusted)",
        content: { "text/html": { schema: z.string() } },
      },
    },
  });
  registry.registerPath({
    method: "post",
    path: "/oauth/authorize",
    tags,
    summary: "Submit sign-in and consent",
    description:
      "Form fields: the authorization parameters, `csrf_token` (from the page and its cookie), `email` + `password`, " +
      "or `mfa_ticket` + `totp` (a TOTP or recovery code) for accounts with MFA, `sso=start` (or an `email` without " +
      "`password`) to go to the identity provider of the business that verified the address's domain (`sso_connection` " +
      "picks one when it has several), `sso_ticket` after that provider's sign-in, `tenant` when the user belongs to " +
      "several businesses, and `consent=approve|deny`. Approved: 303 to `redirect_uri?code=…&state=…&iss=…`. " +
      "Attempts are limited per IP and per account (429 with Retry-After).",
    request: {
      body: {
        content: {
          [FORM]: {
            schema: authorizeQuery.extend({
              csrf_token: z.string(),
              email: z.string().optional(),
              password: z.string().optional(),
              mfa_ticket: z.string().optional(),
              totp: z.string().optional(),
              tenant: z.string().optional(),
              consent: z.enum(["approve", "deny"]).optional(),
              sso: z.literal("start").optional(),
              sso_connection: z.string().optional(),
              sso_ticket: z.string().optional(),
            }),
          },
        },
      },
    },
    responses: {
      200: { description: "Next step (MFA or consent)", content: { "text/html": { schema: z.string() } } },
      303: { description: "Back to the client with `code` (or `error`), `state`, `iss`" },
      401: { description: "Wrong credentials or code (the same message whether or not the account exists)" },
      403: { description: "CSRF check failed or cross-site form" },
      429: { description: "Too many attempts" },
    },
  });
  registry.registerPath({
    method: "post",
    path: "/oauth/token",
    tags,
    summary: "Token endpoint",
    description:
      "Grants: `authorization_code` (with `code_verifier`, `redirect_uri`), `refresh_token` (rotates: the presented " +
      "token is spent; presenting a spent one revokes its whole family), `client_credentials` (a tenant's confidential " +
      "client). Clients authenticate with HTTP Basic or `client_secret` in the body; public clients send `client_id`. " +
      "Responses carry `Cache-Control: no-store`.",
    request: {
      body: {
        content: {
          [FORM]: {
            schema: z.object({
              grant_type: z.enum(["authorization_code", "refresh_token", "client_credentials"]),
              code: z.string().optional(),
              code_verifier: z.string().optional(),
              redirect_uri: z.string().optional(),
              refresh_token: z.string().optional(),
              scope: z.string().optional(),
              client_id: z.string().optional(),
              client_secret: z.string().optional(),
            }),
          },
        },
      },
    },
    responses: {
      200: { description: "Tokens", content: { "application/json": { schema: TokenResponse } } },
      ...oauthErrors,
    },
  });
  registry.registerPath({
    method: "post",
    path: "/oauth/revoke",
    tags,
    summary: "Revoke a token (RFC 7009)",
    description:
      "A refresh token ends its family. An access token is listed as revoked and its family ends. Access tokens so " +
      "revoked (and those of an ended family) stop being accepted at once by the isolate that answered, and within " +
      "10 s by every other (the edge revocation list). Always 200 for a valid client.",
    request: {
      body: {
        content: {
          [FORM]: {
            schema: z.object({
              token: z.string(),
              token_type_hint: z.enum(["access_token", "refresh_token"]).optional(),
              client_id: z.string().optional(),
              client_secret: z.string().optional(),
            }),
          },
        },
      },
    },
    responses: { 200: { description: "Revoked (or nothing to revoke)" }, ...oauthErrors },
  });
  registry.registerPath({
    method: "get",
    path: SSO_CALLBACK_PATH,
    tags,
    summary: "Return from a business's identity provider",
    description:
      "The redirect URI to register at a tenant's OpenID provider (see `/api/v1/iam/sso/connections`). Checks the " +
      "flow cookie (one use, 10 minutes), `state`, RFC 9207 `iss`, PKCE and the ID token (signature, issuer, audience, " +
      "nonce), keys the person by the connection and the IdP's subject (Entra: `tid`+`oid`), then shows consent for " +
      "that business only. A refused sign-in shows the same message whatever the reason.",
    responses: {
      200: { description: "Consent page", content: { "text/html": { schema: z.string() } } },
      400: { description: "Expired or reused flow", content: { "text/html": { schema: z.string() } } },
      403: { description: "Refused", content: { "text/html": { schema: z.string() } } },
      503: { description: "The identity provider cannot be reached" },
    },
  });
  for (const method of ["get", "post"] as const) {
    registry.registerPath({
      method,
      path: "/oauth/userinfo",
      tags,
      summary: "The signed-in user",
      description:
        "Bearer access token of this region. `email` needs the email scope, `name` the profile scope.",
      security: [{ bearerAuth: [] }],
      responses: {
        200: {
          description: "Claims",
          content: {
            "application/json": {
              schema: z.object({
                sub: z.string(),
                tenant_id: z.string(),
                region: z.string(),
                role: z.string(),
                email: z.string().optional(),
                name: z.string().optional(),
              }),
            },
          },
        },
        401: { description: "Invalid token", content: { "application/json": { schema: OAuthErrorBody } } },
      },
    });
  }
}
