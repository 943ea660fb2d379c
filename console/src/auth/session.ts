import { challengeFor, randomToken } from "./pkce";

/**
 * Sign-in through this region's own authorization server as the first-party public client
 * `nexus-console` (migration 0027): authorization code with PKCE S256, `state` and RFC 9207 `iss`
 * checked on return.
 *
 * Where the tokens live: in this module's memory only, never in localStorage, sessionStorage or a
 * cookie a script can read. The access token lives 15 minutes and is refreshed shortly before it
 * expires with the refresh token, which the server rotates on every use and whose reuse revokes
 * the whole grant (so a refresh token stolen from memory and used after us is detected). The
 * page's strict CSP (no inline script, no other origin) is what keeps foreign script out of this
 * memory. A reload or a new tab starts with no tokens: the authorization server's own sign-in
 * session (an HttpOnly cookie on its pages) means it asks only for consent again, not the password.
 * The one value kept across the redirect is the PKCE verifier and state, in sessionStorage, for
 * the seconds of the round trip, and deleted on return: alone it obtains nothing.
 */
export const CLIENT_ID = "nexus-console";
export const SCOPE =
  "openid profile email crm:read crm:write finance:read finance:write iam:read iam:write webhooks:read webhooks:write";
const PENDING_KEY = "nexus-console:pending-sign-in";
const REFRESH_MARGIN_MS = 60_000;

export interface Claims {
  sub: string;
  tenant_id: string;
  role: string;
  region: string;
  scope: string;
  exp: number;
}

interface Tokens {
  access: string;
  refresh: string | undefined;
  expiresAt: number;
  claims: Claims;
}

let tokens: Tokens | null = null;
let refreshing: Promise<boolean> | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<() => void>();

const origin = () => window.location.origin;
export const redirectUri = () => `${origin()}/console/`;

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function changed() {
  for (const listener of listeners) listener();
}

export const currentClaims = (): Claims | null => tokens?.claims ?? null;

function decodeClaims(jwt: string): Claims {
  const part = jwt.split(".")[1] ?? "";
  const json = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
  return JSON.parse(json) as Claims;
}

interface TokenAnswer {
  access_token: string;
  refresh_token?: string;
  expires_in: number;
  error?: string;
  error_description?: string;
}

async function tokenRequest(form: Record<string, string>): Promise<TokenAnswer> {
  const response = await fetch("/oauth/token", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: CLIENT_ID, ...form }),
    credentials: "omit",
  });
  const body = (await response.json()) as TokenAnswer;
  if (!response.ok)
    throw new Error(body.error_description ?? body.error ?? `Token endpoint: ${response.status}`);
  return body;
}

function keep(answer: TokenAnswer) {
  tokens = {
    access: answer.access_token,
    refresh: answer.refresh_token,
    expiresAt: Date.now() + answer.expires_in * 1000,
    claims: decodeClaims(answer.access_token),
  };
  clearTimeout(timer);
  if (tokens.refresh) {
    const wait = Math.max(5_000, answer.expires_in * 1000 - REFRESH_MARGIN_MS);
    timer = setTimeout(() => void refresh(), wait);
  }
  changed();
}

/** Off to the authorization server; the page comes back to /console/ with a code. */
export async function beginSignIn(): Promise<void> {
  const verifier = randomToken();
  const state = randomToken(16);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state }));
  const url = new URL("/oauth/authorize", origin());
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: CLIENT_ID,
    redirect_uri: redirectUri(),
    scope: SCOPE,
    state,
    code_challenge: await challengeFor(verifier),
    code_challenge_method: "S256",
  }).toString();
  window.location.assign(url.href);
}

/**
 * The return from the authorization server, when this page load is one: the code exchanged,
 * the URL cleaned. Null when the URL carries no answer; throws with the reason when it does
 * and it is not a good one.
 */
export async function completeSignIn(): Promise<Claims | null> {
  const params = new URLSearchParams(window.location.search);
  if (!params.has("code") && !params.has("error")) return null;
  const pending = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  window.history.replaceState(null, "", "/console/");
  const expected = pending ? (JSON.parse(pending) as { verifier: string; state: string }) : null;
  if (!expected || params.get("state") !== expected.state) {
    throw new Error("This sign-in was not started from this page. Sign in again.");
  }
  if (params.get("iss") !== origin()) throw new Error("The answer came from another authorization server.");
  const error = params.get("error");
  if (error) throw new Error(params.get("error_description") ?? error);
  keep(
    await tokenRequest({
      grant_type: "authorization_code",
      code: params.get("code") ?? "",
      code_verifier: expected.verifier,
      redirect_uri: redirectUri(),
    }),
  );
  return currentClaims();
}

/** One refresh at a time; whether the session is still alive after it. */
export function refresh(): Promise<boolean> {
  if (refreshing) return refreshing;
  const presented = tokens?.refresh;
  if (!presented) return Promise.resolve(false);
  refreshing = tokenRequest({ grant_type: "refresh_token", refresh_token: presented })
    .then((answer) => {
      keep(answer);
      return true;
    })
    .catch(() => {
      end();
      return false;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/** The access token to send, refreshed first when it is about to expire. */
export async function accessToken(): Promise<string | null> {
  if (tokens && tokens.expiresAt - Date.now() < REFRESH_MARGIN_MS / 2) await refresh();
  return tokens?.access ?? null;
}

function end() {
  clearTimeout(timer);
  tokens = null;
  changed();
}

/** Revokes the grant at the server (RFC 7009), then forgets the tokens. */
export async function signOut(): Promise<void> {
  const presented = tokens?.refresh ?? tokens?.access;
  end();
  if (!presented) return;
  await fetch("/oauth/revoke", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: CLIENT_ID, token: presented }),
    credentials: "omit",
  }).catch(() => {});
}
