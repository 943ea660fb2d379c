import { inject } from "vitest";
import { TEST_TENANTS } from "../support/tenants";
import { iam, jwtPayload, type TenantKey, unique } from "./iam-helpers";
import {
  CookieJar,
  exchangeCode,
  fetchWorker,
  formField,
  openSignIn,
  pkcePair,
  postAuthorize,
} from "./oauth-helpers";

export const IDP_CLIENT = { client_id: "nexus-test", client_secret: "nexus-test-secret" };
export const IDP_PASSWORD = "idp-test-password";
export const idpIssuer = () => inject("oidcIdpIssuer");

/** A domain of this test's own, claimed and proved through the DNS stand-in by `tenant`. */
export async function verifiedDomain(tenant: TenantKey = "c", domain = `${unique("corp")}.example`) {
  const added = await iam("/sso/domains", { method: "POST", json: { domain }, tenant });
  if (added.res.status !== 201) throw new Error(`domain add failed: ${JSON.stringify(added.body)}`);
  const view = added.body.data as { id: string; verification: { record_name: string; record_value: string } };
  await publishTxt(view.verification.record_name, [view.verification.record_value]);
  const verified = await iam(`/sso/domains/${view.id}/verify`, { method: "POST", tenant });
  if (verified.res.status !== 200) throw new Error(`verify failed: ${JSON.stringify(verified.body)}`);
  return { domain, id: view.id };
}

export async function publishTxt(name: string, txt: string[]): Promise<void> {
  const res = await fetch(`${inject("dnsResolverUrl")}/__records`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, txt }),
  });
  if (res.status !== 204) throw new Error(`publishing TXT failed: ${res.status}`);
}

/**
 * A connection of `tenant` to the local IdP (asking for its `groups` scope). A tenant has one
 * connection per issuer, so the test's earlier one for the same issuer goes first.
 */
export async function connection(json: Record<string, unknown>, tenant: TenantKey = "c") {
  const issuer = (json.issuer as string | undefined) ?? idpIssuer();
  const existing = await iam("/sso/connections?limit=200", { tenant });
  for (const c of existing.body.data as { id: string; issuer: string }[]) {
    if (c.issuer === issuer) await iam(`/sso/connections/${c.id}`, { method: "DELETE", tenant });
  }
  const res = await iam("/sso/connections", {
    method: "POST",
    json: {
      name: "Test IdP",
      scopes: ["openid", "email", "profile", "groups"],
      ...IDP_CLIENT,
      ...json,
      issuer,
    },
    tenant,
  });
  if (res.res.status !== 201) throw new Error(`connection failed: ${JSON.stringify(res.body)}`);
  return res.body.data as { id: string; redirect_uri: string };
}

/** Adds (or changes) a person at the local IdP. */
export async function idpUser(user: { sub: string; email: string; name?: string; groups?: string[] }) {
  const res = await fetch(`${idpIssuer()}/__control/user`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: user.email.split("@")[0], groups: [], password: IDP_PASSWORD, ...user }),
  });
  if (res.status !== 200) throw new Error(`idp user failed: ${res.status}`);
}

/**
 * Follows the IdP's redirects as a browser would, signing in on its login page, until it sends us
 * back. A page whose form carries only hidden fields is a SAML POST binding (the IdP's
 * auto-submitting form to the bridge's ACS): it is submitted as the browser's script would.
 */
export interface IdpBrowsing {
  /** Changes the SAMLResponse the IdP's form carries before it is posted (an attacker's edit). */
  samlResponse?: (base64: string) => string;
}

async function throughIdp(authorizeUrl: string, email: string, browsing: IdpBrowsing = {}): Promise<string> {
  // `email` is who signs in at the IdP: not necessarily the address typed at our sign-in page.
  const jar = new CookieJar();
  let url = authorizeUrl;
  let res: Response | undefined;
  for (let hop = 0; hop < 12; hop++) {
    if (url.startsWith(TEST_CALLBACK_PREFIX)) return url;
    res ??= await fetch(url, { redirect: "manual", headers: { Cookie: jar.header() } });
    jar.take(res);
    const location = res.headers.get("Location");
    if (location) {
      url = new URL(location, url).href;
      res = undefined;
      continue;
    }
    const html = await res.text();
    const action = /action="([^"]+)"/.exec(html)?.[1];
    if (res.status !== 200 || !action) throw new Error(`IdP answered ${res.status}: ${html.slice(0, 300)}`);
    const hidden = [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)];
    const fields = html.includes('name="password"')
      ? { email, password: IDP_PASSWORD }
      : Object.fromEntries(hidden.map((m) => [m[1] as string, m[2] as string]));
    if (fields.SAMLResponse && browsing.samlResponse)
      fields.SAMLResponse = browsing.samlResponse(fields.SAMLResponse);
    const target = new URL(action.replaceAll("&amp;", "&"), url).href;
    res = await fetch(target, {
      method: "POST",
      redirect: "manual",
      headers: { Cookie: jar.header(), "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields),
    });
    url = target;
  }
  throw new Error("too many redirects at the IdP");
}

const TEST_CALLBACK_PREFIX = "http://127.0.0.1:8787/oauth/sso/callback";

/**
 * The whole enterprise sign-in as a browser does it: the sign-in page with only an address and
 * "single sign-on", the IdP's login page, back to the callback. Answers the callback's page (a
 * consent page on success) and what is needed to go on.
 */
export async function ssoSignIn(
  email: string,
  extra: Record<string, string> = {},
  idpLogin = email,
  browsing: IdpBrowsing = {},
) {
  const { verifier, challenge } = await pkcePair();
  const opts = { challenge };
  const { jar, ip, csrf } = await openSignIn(opts);
  const started = await postAuthorize(opts, jar, ip, { csrf_token: csrf, email, sso: "start", ...extra });
  // The page goes on to the IdP with a Refresh header (see oauth/sso-endpoint.ts), not a 303.
  const location = /^0;url=(.+)$/.exec(started.headers.get("Refresh") ?? "")?.[1];
  if (started.status !== 200 || !location) return { started, jar, ip, opts, verifier };
  const back = await throughIdp(location, idpLogin, browsing);
  const callback = await fetchWorker(back, { headers: { Cookie: jar.header(), "CF-Connecting-IP": ip } });
  jar.take(callback);
  const html = await callback.text();
  return { started, callback, html, jar, ip, opts, verifier, back };
}

/** After a successful callback: approve consent for the tenant; answers the client's code. */
export async function approve(flow: Awaited<ReturnType<typeof ssoSignIn>>) {
  const html = flow.html ?? "";
  const res = await postAuthorize(flow.opts, flow.jar, flow.ip, {
    csrf_token: formField(html, "csrf_token") ?? "",
    sso_ticket: formField(html, "sso_ticket") ?? "",
    tenant: formField(html, "tenant") ?? "",
    consent: "approve",
  });
  const location = res.headers.get("Location");
  return { res, code: location ? new URL(location).searchParams.get("code") : null };
}

/** Consent approved and the code redeemed: the access token's claims. */
export async function signedInClaims(flow: Awaited<ReturnType<typeof ssoSignIn>>) {
  const { code } = await approve(flow);
  if (!code) throw new Error("no authorization code");
  const tokens = (await (await exchangeCode(code, flow.verifier)).json()) as { access_token: string };
  return jwtPayload(tokens.access_token);
}

export const tenantOf = (key: TenantKey) => TEST_TENANTS[key];
