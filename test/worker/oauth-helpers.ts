import { env, exports } from "cloudflare:workers";
import type { sql } from "drizzle-orm";
import { createDatabase } from "../../db/client";
import { rowsOf, tenantRows } from "../../db/rows";
import { DEMO_PASSWORD } from "../../db/seed/demo";
import { base64url, sha256 } from "../../workers/api/oauth/encoding";
import { BASE } from "./helpers";

export const CLI = "nexus-cli";
export const CLI_REDIRECT = "http://127.0.0.1:53682/callback";
export { DEMO_PASSWORD };

/** The database as the Worker sees it (the app role; row-level security applies). */
export const db = () => {
  // A secret in production, so the generated bindings type marks it optional; the test config sets it.
  if (!env.DATABASE_URL) throw new Error("DATABASE_URL is not bound");
  return createDatabase({ url: env.DATABASE_URL, httpEndpoint: env.DATABASE_HTTP_URL });
};
export const asTenant = (tenantId: string, query: ReturnType<typeof sql>) =>
  tenantRows(db(), tenantId, [query]);
export const rows = <T>(query: ReturnType<typeof sql>) => rowsOf<T>(db(), query);

export async function pkcePair() {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  return { verifier, challenge: base64url(await sha256(verifier)) };
}

/** A random client address per flow, so per-IP sign-in limits of one test do not leak into others. */
export const randomIp = () =>
  `198.51.${Math.floor(Math.random() * 255)}.${Math.floor(Math.random() * 254) + 1}`;

export async function fetchWorker(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(
    new Request(path.startsWith("http") ? path : `${BASE}${path}`, { redirect: "manual", ...init }),
  );
}

/** A browser's cookie jar, enough for these pages (one host, no paths). */
export class CookieJar {
  readonly cookies = new Map<string, string>();
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

export function formField(html: string, name: string): string | undefined {
  return new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1]?.replaceAll("&amp;", "&");
}

export interface AuthorizeOptions {
  email?: string;
  password?: string;
  clientId?: string;
  redirectUri?: string;
  scope?: string;
  state?: string;
  nonce?: string;
  ip?: string;
  jar?: CookieJar;
  challenge?: string;
}

export function authorizeQuery(o: AuthorizeOptions & { challenge: string }): URLSearchParams {
  const q = new URLSearchParams({
    response_type: "code",
    client_id: o.clientId ?? CLI,
    redirect_uri: o.redirectUri ?? CLI_REDIRECT,
    code_challenge: o.challenge,
    code_challenge_method: "S256",
    state: o.state ?? "st-123",
  });
  if (o.scope) q.set("scope", o.scope);
  if (o.nonce) q.set("nonce", o.nonce);
  return q;
}

/** GET the sign-in page: its CSRF token and cookies. */
export async function openSignIn(o: AuthorizeOptions & { challenge: string }) {
  const jar = o.jar ?? new CookieJar();
  const ip = o.ip ?? randomIp();
  const page = await fetchWorker(`/oauth/authorize?${authorizeQuery(o)}`, {
    headers: { Cookie: jar.header(), "CF-Connecting-IP": ip },
  });
  jar.take(page);
  const html = await page.text();
  return { page, html, jar, ip, csrf: formField(html, "csrf_token") ?? "" };
}

export async function postAuthorize(
  o: AuthorizeOptions & { challenge: string },
  jar: CookieJar,
  ip: string,
  fields: Record<string, string>,
) {
  const body = new URLSearchParams(authorizeQuery(o));
  for (const [k, v] of Object.entries(fields)) body.set(k, v);
  const res = await fetchWorker("/oauth/authorize", {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Cookie: jar.header(),
      "CF-Connecting-IP": ip,
    },
    body,
  });
  jar.take(res);
  return res;
}

/** Drives the sign-in page as a browser would: GET, then POST credentials with consent. */
export async function signInForCode(o: AuthorizeOptions = {}) {
  const { verifier, challenge } = await pkcePair();
  const opts = { ...o, challenge: o.challenge ?? challenge };
  const { jar, ip, csrf } = await openSignIn(opts);
  const res = await postAuthorize(opts, jar, ip, {
    csrf_token: csrf,
    email: o.email ?? "owner@tenant-a.example",
    password: o.password ?? DEMO_PASSWORD,
    consent: "approve",
  });
  const location = res.headers.get("Location");
  const code = location ? (new URL(location).searchParams.get("code") ?? undefined) : undefined;
  return { res, location, code, verifier, jar, ip };
}

export async function tokenRequest(fields: Record<string, string>, headers: Record<string, string> = {}) {
  return fetchWorker("/oauth/token", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(fields),
  });
}

export async function exchangeCode(code: string, verifier: string, redirectUri = CLI_REDIRECT) {
  return tokenRequest({
    grant_type: "authorization_code",
    client_id: CLI,
    code,
    code_verifier: verifier,
    redirect_uri: redirectUri,
  });
}

export type { TokenSet as Tokens } from "../../scripts/lib/cli-sign-in";

import type { TokenSet as Tokens } from "../../scripts/lib/cli-sign-in";

/** Sign-in to tokens in one call, for tests about what comes after. */
export async function tokensFor(o: AuthorizeOptions = {}): Promise<Tokens> {
  const { code, verifier } = await signInForCode(o);
  if (!code) throw new Error("sign-in produced no code");
  const res = await exchangeCode(code, verifier, o.redirectUri);
  if (res.status !== 200) throw new Error(`token exchange failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as Tokens;
}

export const refresh = (token: string) =>
  tokenRequest({ grant_type: "refresh_token", client_id: CLI, refresh_token: token });

/**
 * Limits count in fixed windows; a test that straddles a window's end would see the count reset.
 * Waits (at most `marginMs`) until the current window has at least that long left.
 */
export async function awayFromWindowEdge(windowMs: number, marginMs = 15_000): Promise<void> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < marginMs) await new Promise((r) => setTimeout(r, left + 50));
}
