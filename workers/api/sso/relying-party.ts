import * as oidc from "openid-client";
import { TtlCache } from "../lib/ttl-cache";

/**
 * The Worker as an OpenID Connect relying party of a tenant's identity provider, through
 * openid-client 6 (oauth4webapi underneath: fetch and WebCrypto only, so it runs on workerd).
 * It checks what matters here: the discovered issuer equals the connection's, the ID token's
 * signature (the IdP's JWKS), `iss`, `aud`, `exp`, `nonce`, the authorization response's
 * `state` and RFC 9207 `iss`, and PKCE S256 at the token endpoint.
 */
export interface RelyingPartyInput {
  /** Changes whenever the connection does (id + updated_at): a cached configuration is never stale. */
  cacheKey: string;
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  /** http issuers on loopback, for the local IdP in development and tests only. */
  allowInsecure: boolean;
}

const DISCOVERY_TIMEOUT_SECONDS = 5;
// Discovery documents and JWKS change rarely; an isolate keeps them 10 minutes.
const configurations = new TtlCache<Promise<oidc.Configuration>>(10 * 60_000, 200);

function configurationOf(input: RelyingPartyInput): Promise<oidc.Configuration> {
  const cached = configurations.get(input.cacheKey);
  if (cached) return cached;
  const auth = input.clientSecret ? oidc.ClientSecretBasic(input.clientSecret) : oidc.None();
  const pending = oidc.discovery(new URL(input.issuer), input.clientId, undefined, auth, {
    execute: input.allowInsecure ? [oidc.allowInsecureRequests] : [],
    timeout: DISCOVERY_TIMEOUT_SECONDS,
  });
  configurations.set(input.cacheKey, pending);
  // A failed discovery is not remembered: the next sign-in tries again.
  pending.catch(() => configurations.delete(input.cacheKey));
  return pending;
}

export interface AuthorizationStart {
  url: URL;
  codeVerifier: string;
  state: string;
  nonce: string;
}

export async function startAuthorization(
  input: RelyingPartyInput,
  params: { redirectUri: string; scopes: readonly string[]; loginHint?: string | undefined },
): Promise<AuthorizationStart> {
  const config = await configurationOf(input);
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const query: Record<string, string> = {
    redirect_uri: params.redirectUri,
    scope: params.scopes.join(" "),
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
    state,
    nonce,
  };
  if (params.loginHint) query.login_hint = params.loginHint;
  return { url: oidc.buildAuthorizationUrl(config, query), codeVerifier, state, nonce };
}

/**
 * Redeems the authorization response at `callbackUrl` and answers the ID token's claims, with
 * the userinfo endpoint's added (many IdPs put `email` and `groups` only there); userinfo's `sub`
 * must be the ID token's. Throws on anything that does not verify.
 */
export async function finishAuthorization(
  input: RelyingPartyInput,
  callbackUrl: URL,
  checks: { codeVerifier: string; state: string; nonce: string },
): Promise<Record<string, unknown>> {
  const config = await configurationOf(input);
  const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
    pkceCodeVerifier: checks.codeVerifier,
    expectedState: checks.state,
    expectedNonce: checks.nonce,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  if (!claims) throw new Error("no ID token");
  const idClaims = { ...claims } as Record<string, unknown>;
  if (config.serverMetadata().userinfo_endpoint) {
    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    // The ID token's protocol claims win: userinfo adds profile claims, never replaces iss/aud/sub.
    return { ...info, ...idClaims };
  }
  return idClaims;
}
