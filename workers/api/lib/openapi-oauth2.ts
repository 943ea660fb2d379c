import type { SUPPORTED_SCOPES } from "../oauth/scopes";

/**
 * The region's authorization server in the OpenAPI document: an `oauth2` scheme (authorization
 * code with PKCE for people, client credentials for services) listed beside `bearerAuth` on every
 * operation that takes a bearer token, so the docs page can sign in and send requests.
 */

type Security = Record<string, string[]>[];
interface Document {
  paths?: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown> | undefined>;
}

const SCOPE_DESCRIPTIONS: Record<(typeof SUPPORTED_SCOPES)[number], string> = {
  openid: "Sign in (an ID token)",
  profile: "Your name in the ID token and userinfo",
  email: "Your email address in the ID token and userinfo",
  offline_access: "A refresh token",
  "crm:read": "Read contacts, leads, opportunities and events",
  "crm:write": "Change contacts, leads and opportunities",
  "finance:read": "Read invoices and payments (and which payment connections exist)",
  "finance:write": "Create and change invoices, take payments, manage payment connections",
  "ai:read": "Read agents, chat history, runs and AI usage",
  "ai:write": "Chat with and run agents, define custom agents",
  "iam:read": "Read members, roles, API keys and OAuth clients",
  "iam:write": "Change members, roles, API keys and OAuth clients",
  "realtime:read": "Open realtime connections",
  "realtime:write": "Post realtime messages",
  "webhooks:read": "Read webhook endpoints and deliveries",
  "webhooks:write": "Change webhook endpoints",
};

/** The first-party client the /docs page signs in with (public, PKCE, redirect `/docs`). */
export const DOCS_CLIENT_ID = "nexus-docs";
/** What "Try it" asks for unless the reader picks otherwise: reading everything. */
const DOCS_DEFAULT_SCOPES = ["openid", "crm:read", "finance:read", "iam:read", "webhooks:read"];

export function oauth2Scheme(regionUrl: string) {
  const url = (path: string) => new URL(path, regionUrl).toString();
  return {
    type: "oauth2",
    description:
      "This region's authorization server. People: authorization code with PKCE (S256); the docs " +
      `page signs in with the public client \`${DOCS_CLIENT_ID}\` and returns to /docs. Services: client credentials.`,
    flows: {
      authorizationCode: {
        authorizationUrl: url("/oauth/authorize"),
        tokenUrl: url("/oauth/token"),
        refreshUrl: url("/oauth/token"),
        scopes: SCOPE_DESCRIPTIONS,
        "x-usePkce": "SHA-256",
        // The docs page's own public client (migration 0019): Scalar signs in with it and comes
        // back to /docs, the path that client is registered for on every region's origin.
        "x-scalar-client-id": DOCS_CLIENT_ID,
        "x-scalar-redirect-uri": url("/docs"),
        "x-default-scopes": DOCS_DEFAULT_SCOPES,
      },
      clientCredentials: {
        tokenUrl: url("/oauth/token"),
        scopes: SCOPE_DESCRIPTIONS,
      },
    },
  };
}

/** Adds the scheme, and `oauth2` as an alternative wherever an operation accepts `bearerAuth`. */
export function withOAuth2<T extends object>(document: T, regionUrl: string): T {
  const doc = document as Document;
  doc.components = {
    ...doc.components,
    securitySchemes: { ...doc.components?.securitySchemes, oauth2: oauth2Scheme(regionUrl) },
  };
  for (const item of Object.values(doc.paths ?? {})) {
    for (const operation of Object.values(item)) {
      const op = operation as { security?: Security };
      if (!Array.isArray(op?.security)) continue;
      if (op.security.some((s) => "bearerAuth" in s) && !op.security.some((s) => "oauth2" in s)) {
        op.security = [...op.security, { oauth2: [] }];
      }
    }
  }
  return document;
}
