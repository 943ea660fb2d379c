import { z } from "zod";
import type { Database } from "../../../db/client";
import { findClient, type OAuthClientRecord } from "../services/identity/clients";
import type { OAuthErrorCode } from "./oauth-error";
import { CHALLENGE } from "./pkce";
import { redirectUriMatches } from "./redirect-uri";
import { grantScope } from "./scopes";

/** The authorization request's parameters, carried through the sign-in form as hidden fields. */
export const AUTHORIZE_PARAMS = [
  "response_type",
  "client_id",
  "redirect_uri",
  "scope",
  "state",
  "code_challenge",
  "code_challenge_method",
  "nonce",
] as const;
export type AuthorizeParams = Partial<Record<(typeof AUTHORIZE_PARAMS)[number], string>>;

const text = (max: number) => z.string().max(max).optional();
const paramsSchema = z.object({
  response_type: text(64),
  client_id: text(128),
  redirect_uri: text(2048),
  scope: text(1024),
  state: text(1024),
  code_challenge: text(128),
  code_challenge_method: text(16),
  nonce: text(256),
});

export interface AuthorizeRequest {
  client: OAuthClientRecord;
  redirectUri: string;
  scope: string[];
  state: string | undefined;
  codeChallenge: string;
  nonce: string | null;
  /** The parameters as received, to re-post from the page. */
  params: AuthorizeParams;
}

export type AuthorizeCheck =
  | { ok: true; request: AuthorizeRequest }
  /** Not safe to redirect (unknown client, unregistered redirect_uri): an error page. */
  | { ok: false; display: "page"; message: string }
  /** The redirect URI is trusted: the error goes back to the client (RFC 6749 §4.1.2.1). */
  | {
      ok: false;
      display: "redirect";
      redirectUri: string;
      error: OAuthErrorCode;
      description: string;
      state: string | undefined;
    };

/** Picks the authorization parameters out of a query or form, ignoring anything else. */
export function pickAuthorizeParams(source: Record<string, string | File | undefined>): AuthorizeParams {
  const picked: AuthorizeParams = {};
  for (const name of AUTHORIZE_PARAMS) {
    const value = source[name];
    if (typeof value === "string") picked[name] = value;
  }
  return picked;
}

/**
 * Validates an authorization request in the order RFC 6749 §4.1.2.1 requires: first what decides
 * whether redirecting is safe (client, redirect URI), and only then what can be reported back.
 */
export async function checkAuthorizeRequest(
  db: Database,
  raw: AuthorizeParams,
  selfOrigin: string,
): Promise<AuthorizeCheck> {
  const parsed = paramsSchema.safeParse(raw);
  if (!parsed.success)
    return { ok: false, display: "page", message: "The request has a parameter that is too long." };
  const p = parsed.data;
  if (!p.client_id)
    return { ok: false, display: "page", message: "The request names no client (client_id)." };
  const client = await findClient(db, p.client_id);
  if (!client)
    return {
      ok: false,
      display: "page",
      message: "The application asking to sign you in is not known here.",
    };

  let redirectUri = p.redirect_uri;
  if (!redirectUri) {
    // OAuth 2.1 §2.3.2: optional only when exactly one, non-loopback URI is registered.
    const only = client.redirectUris.length === 1 ? client.redirectUris[0] : undefined;
    if (!only || client.type === "public") {
      return { ok: false, display: "page", message: "The request has no redirect_uri." };
    }
    redirectUri = only;
  } else if (!redirectUriMatches(redirectUri, client.redirectUris, client.type === "public", selfOrigin)) {
    return {
      ok: false,
      display: "page",
      message: "The address this application wants to return you to is not registered for it.",
    };
  }

  const back = (error: OAuthErrorCode, description: string): AuthorizeCheck => ({
    ok: false,
    display: "redirect",
    redirectUri: redirectUri as string,
    error,
    description,
    state: p.state,
  });
  if (p.response_type !== "code") {
    return back("unsupported_response_type", "Only response_type=code is supported");
  }
  if (!client.grantTypes.includes("authorization_code")) {
    return back("unauthorized_client", "This client may not use the authorization code grant");
  }
  if (!p.code_challenge || p.code_challenge_method !== "S256") {
    return back("invalid_request", "PKCE is required: code_challenge with code_challenge_method=S256");
  }
  if (!CHALLENGE.test(p.code_challenge)) {
    return back("invalid_request", "code_challenge must be a base64url SHA-256 (43 characters)");
  }
  const scope = grantScope(p.scope, client.scopes);
  if (!scope) return back("invalid_scope", "A requested scope is unknown or not allowed for this client");

  return {
    ok: true,
    request: {
      client,
      redirectUri,
      scope,
      state: p.state,
      codeChallenge: p.code_challenge,
      nonce: p.nonce ?? null,
      params: raw,
    },
  };
}
